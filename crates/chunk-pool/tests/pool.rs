//! Pool behaviour: classes, reuse, retention cap, trim, cross-thread return, accounting.

use chunk_pool::{Pool, PoolConfig, PoolError};

/// A pool without thread caches, so every idle chunk sits in a class queue and counts are exact.
fn queue_only(idle_bytes_per_class: usize) -> Pool {
    Pool::new(
        PoolConfig::new()
            .min_chunk(1024)
            .max_chunk(16 * 1024)
            .idle_bytes_per_class(idle_bytes_per_class)
            .thread_cache_bytes(0),
    )
    .unwrap()
}

#[test]
fn sizes_round_up_to_their_class() {
    let pool = queue_only(1 << 20);
    for (ask, cap) in [
        (0, 1024),
        (1, 1024),
        (1024, 1024),
        (1025, 2048),
        (5000, 8192),
        (16384, 16384),
    ] {
        let chunk = pool.acquire(ask).unwrap();
        assert_eq!(chunk.capacity(), cap, "acquire({ask})");
        assert_eq!(chunk.len(), cap);
        assert!(chunk.is_pooled());
        assert_eq!(pool.chunk_size_for(ask), cap);
    }
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

#[test]
fn fill_then_drain_reuses_every_chunk() {
    let pool = queue_only(1 << 20);
    let first: Vec<_> = (0..10).map(|_| pool.acquire(1024).unwrap()).collect();
    let s = pool.stats();
    assert_eq!((s.acquired, s.allocated, s.reused), (10, 10, 0));
    assert_eq!((s.outstanding_chunks, s.outstanding_bytes), (10, 10 * 1024));
    drop(first);
    let s = pool.stats();
    assert_eq!(
        (s.returned, s.outstanding_chunks, s.idle_chunks),
        (10, 0, 10)
    );
    let second: Vec<_> = (0..10).map(|_| pool.acquire(1000).unwrap()).collect();
    let s = pool.stats();
    assert_eq!((s.acquired, s.allocated, s.reused), (20, 10, 10));
    assert_eq!(s.idle_chunks, 0);
    drop(second);
    assert_eq!(pool.stats().outstanding_bytes, 0);
}

#[test]
fn reused_chunk_keeps_its_bytes_and_size() {
    let pool = queue_only(1 << 20);
    let mut chunk = pool.acquire(2048).unwrap();
    chunk[..4].copy_from_slice(b"abcd");
    drop(chunk);
    let again = pool.acquire(2048).unwrap();
    assert_eq!(&again[..4], b"abcd");
    assert_eq!(pool.stats().reused, 1);
}

#[test]
fn a_full_class_frees_what_does_not_fit() {
    // Room for 3 idle chunks of 1 KiB.
    let pool = queue_only(3 * 1024);
    let chunks: Vec<_> = (0..5).map(|_| pool.acquire(1024).unwrap()).collect();
    drop(chunks);
    let s = pool.stats();
    assert_eq!(s.returned, 5);
    assert_eq!(s.freed, 2);
    assert_eq!(s.idle_chunks, 3);
    assert_eq!(s.outstanding_chunks, 0);
}

#[test]
fn every_class_keeps_at_least_one_chunk() {
    let pool = queue_only(1);
    drop(pool.acquire(16 * 1024).unwrap());
    assert_eq!(pool.stats().idle_chunks, 1);
    drop(pool.acquire(16 * 1024).unwrap());
    assert_eq!(pool.stats().reused, 1);
}

#[test]
fn trim_frees_every_idle_chunk() {
    let pool = queue_only(1 << 20);
    let chunks: Vec<_> = [1024, 2048, 4096, 4096]
        .iter()
        .map(|&n| pool.acquire(n).unwrap())
        .collect();
    drop(chunks);
    assert_eq!(pool.stats().idle_chunks, 4);
    assert_eq!(pool.trim(), 4);
    let s = pool.stats();
    assert_eq!((s.idle_chunks, s.freed, s.outstanding_chunks), (0, 4, 0));
    assert_eq!(pool.trim(), 0);
}

#[test]
fn trim_also_empties_this_threads_cache() {
    let pool = Pool::new(PoolConfig::default()).unwrap();
    drop(pool.acquire(4096).unwrap());
    assert_eq!(pool.stats().idle_chunks, 1);
    assert_eq!(pool.trim(), 1);
    assert_eq!(pool.stats().idle_chunks, 0);
}

#[test]
fn the_thread_cache_serves_repeat_requests() {
    let pool = Pool::new(PoolConfig::default()).unwrap();
    for _ in 0..100 {
        drop(pool.acquire(8192).unwrap());
    }
    let s = pool.stats();
    assert_eq!((s.acquired, s.allocated, s.reused), (100, 1, 99));
    assert_eq!(s.outstanding_chunks, 0);
}

#[test]
fn thread_cache_overflow_goes_to_the_shared_queue() {
    let pool = Pool::new(
        PoolConfig::new()
            .min_chunk(1024)
            .max_chunk(1024)
            .idle_bytes_per_class(2 * 1024)
            .thread_cache_bytes(2 * 1024),
    )
    .unwrap();
    let chunks: Vec<_> = (0..6).map(|_| pool.acquire(1024).unwrap()).collect();
    drop(chunks);
    // Two in this thread's cache, two in the queue, two freed.
    let s = pool.stats();
    assert_eq!((s.returned, s.freed, s.idle_chunks), (6, 2, 4));
}

#[test]
fn above_the_largest_class_chunks_are_unpooled() {
    let pool = queue_only(1 << 20);
    let big = pool.acquire(100_000).unwrap();
    assert_eq!(big.capacity(), 100_000);
    assert!(!big.is_pooled());
    assert_eq!(pool.stats().outstanding_bytes, 100_000);
    drop(big);
    let s = pool.stats();
    assert_eq!(
        (s.allocated, s.returned, s.freed, s.idle_chunks),
        (1, 1, 1, 0)
    );
}

#[test]
fn impossible_sizes_are_an_error_not_an_abort() {
    let pool = queue_only(1 << 20);
    for size in [usize::MAX, isize::MAX as usize + 1] {
        assert_eq!(
            pool.acquire(size).unwrap_err(),
            PoolError::TooLarge { requested: size }
        );
    }
    let s = pool.stats();
    assert_eq!((s.acquired, s.outstanding_chunks), (0, 0));
    assert!(
        PoolError::TooLarge { requested: 7 }
            .to_string()
            .starts_with("cannot allocate")
    );
}

#[test]
fn bad_configurations_are_rejected() {
    for config in [
        PoolConfig::new().min_chunk(1000),
        PoolConfig::new().min_chunk(32),
        PoolConfig::new().max_chunk(3000),
        PoolConfig::new().max_chunk(1 << 31),
        PoolConfig::new().min_chunk(8192).max_chunk(4096),
        // One chunk of `min_chunk` over the 2^24 a class queue may hold, and far over.
        PoolConfig::new().idle_bytes_per_class(((1 << 24) + 1) * 4096),
        PoolConfig::new().idle_bytes_per_class(usize::MAX),
    ] {
        let err = Pool::new(config).unwrap_err();
        assert!(matches!(err, PoolError::InvalidConfig(_)), "{config:?}");
        assert!(err.to_string().starts_with("invalid pool configuration"));
    }
}

/// Large limits that are allowed cost nothing up front that the docs do not state: a class
/// queue of 2^16 chunks (about 1.5 MiB), a thread cache without a limit (grown as chunks come
/// back); both pools work.
#[test]
fn large_allowed_limits_make_working_pools() {
    for config in [
        PoolConfig::new().idle_bytes_per_class((1 << 16) * 4096),
        PoolConfig::new().thread_cache_bytes(usize::MAX),
    ] {
        let pool = Pool::new(config).expect("within the bounds");
        let chunks: Vec<_> = (0..100).map(|_| pool.acquire(4096).unwrap()).collect();
        drop(chunks);
        let again = pool.acquire(4096).unwrap();
        assert_eq!(again.capacity(), 4096);
        assert!(pool.stats().reused >= 1, "{config:?}");
    }
}

#[test]
fn chunks_return_home_from_another_thread() {
    let a = queue_only(1 << 20);
    let b = queue_only(1 << 20);
    let chunks: Vec<_> = (0..8)
        .map(|i| if i % 2 == 0 { &a } else { &b }.acquire(1024).unwrap())
        .collect();
    std::thread::spawn(move || drop(chunks)).join().unwrap();
    for pool in [&a, &b] {
        let s = pool.stats();
        assert_eq!((s.acquired, s.returned, s.idle_chunks), (4, 4, 4));
    }
}

#[test]
fn a_thread_cache_is_handed_back_when_its_thread_exits() {
    let pool = Pool::new(PoolConfig::default()).unwrap();
    let p = pool.clone();
    std::thread::spawn(move || {
        let chunks: Vec<_> = (0..3).map(|_| p.acquire(4096).unwrap()).collect();
        drop(chunks); // into that thread's cache
    })
    .join()
    .unwrap();
    // The thread's cache went to the shared queue when it exited: this thread reuses it.
    let chunks: Vec<_> = (0..3).map(|_| pool.acquire(4096).unwrap()).collect();
    let s = pool.stats();
    assert_eq!((s.allocated, s.reused), (3, 3));
    drop(chunks);
}

#[test]
fn many_threads_keep_the_books_balanced() {
    let pool = Pool::new(PoolConfig::new().thread_cache_bytes(16 * 1024)).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let producers: Vec<_> = (0..4)
        .map(|t| {
            let pool = pool.clone();
            let tx = tx.clone();
            std::thread::spawn(move || {
                for i in 0..2000usize {
                    let size = 1 << (10 + (i + t) % 12); // 1 KiB .. 2 MiB: pooled and unpooled
                    let chunk = pool.acquire(size).unwrap();
                    if i % 3 == 0 {
                        tx.send(chunk).unwrap(); // dropped on the consumer thread
                    }
                }
            })
        })
        .collect();
    drop(tx);
    let consumer = std::thread::spawn(move || rx.into_iter().count());
    for p in producers {
        p.join().unwrap();
    }
    assert_eq!(consumer.join().unwrap(), 4 * 667);
    let s = pool.stats();
    assert_eq!(s.acquired, 8000);
    assert_eq!(s.returned, 8000);
    assert_eq!((s.outstanding_chunks, s.outstanding_bytes), (0, 0));
    assert_eq!(s.acquired, s.reused + s.allocated);
    // The worker threads have exited, so their caches are back in the queues: trim frees all.
    pool.trim();
    let s = pool.stats();
    assert_eq!(s.freed, s.allocated);
    assert_eq!(s.idle_chunks, 0);
}

#[test]
fn the_global_pool_is_one_pool() {
    let a = Pool::global();
    let b = Pool::global();
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    assert_eq!(a.min_chunk(), 4096, "the default smallest class");
    assert_eq!(a.max_chunk(), 1 << 20, "the default largest class");
}
