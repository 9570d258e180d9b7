//! Tests of `chunk-pool` written from its documentation only (README, crate docs, doc comments
//! of the public items), not from its code.
//!
//! Every test takes one process-wide lock: a few tests measure the process's live heap bytes
//! (through `stats_alloc` as the global allocator) and must not see other tests' allocations,
//! and the global pool is shared by the whole process.

use chunk_pool::{Chunk, Pool, PoolConfig, PoolError, PoolStats};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use std::alloc::System;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, mpsc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Live heap bytes of the process, modulo 2^64 (a failed allocation is counted by
/// `stats_alloc` as allocated, so only differences between two readings are meaningful).
fn live_bytes() -> usize {
    let s = GLOBAL.stats();
    s.bytes_allocated.wrapping_sub(s.bytes_deallocated)
}

/// How many live heap bytes fewer there are now than at `before` (negative: more).
fn freed_since(before: usize) -> isize {
    before.wrapping_sub(live_bytes()) as isize
}

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;
const GIB: usize = 1 << 30;

fn config(min: usize, max: usize, idle: usize, cache: usize) -> PoolConfig {
    PoolConfig::new()
        .min_chunk(min)
        .max_chunk(max)
        .idle_bytes_per_class(idle)
        .thread_cache_bytes(cache)
}

fn make(min: usize, max: usize, idle: usize, cache: usize) -> Pool {
    Pool::new(config(min, max, idle, cache)).expect("a valid configuration")
}

/// The relations the stats docs make exact at rest.
fn check_derived(s: &PoolStats) {
    assert_eq!(
        s.outstanding_chunks,
        s.acquired - s.returned,
        "outstanding = acquired - returned: {s:?}"
    );
    assert_eq!(
        s.acquired,
        s.reused + s.allocated,
        "every acquisition is reused or allocated: {s:?}"
    );
    assert_eq!(
        s.idle_chunks,
        s.allocated - s.freed - s.outstanding_chunks,
        "idle = allocated - freed - outstanding: {s:?}"
    );
}

fn invalid_config(result: Result<Pool, PoolError>, field: &str) -> String {
    match result {
        Err(PoolError::InvalidConfig(text)) => {
            assert!(
                text.contains(field),
                "the text should say which field ({field}): {text:?}"
            );
            let shown = PoolError::InvalidConfig(text).to_string();
            assert!(
                shown.contains(field),
                "Display should name the field ({field}): {shown:?}"
            );
            shown
        }
        Err(other) => panic!("expected InvalidConfig about {field}, got {other:?}"),
        Ok(pool) => panic!("expected InvalidConfig about {field}, got a pool {pool:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Traits the docs show

fn is_send_sync_static<T: Send + Sync + 'static>() {}
fn is_clone_debug<T: Clone + std::fmt::Debug>() {}
fn is_copy_default_eq<T: Copy + Default + Eq + std::fmt::Debug>() {}
fn is_error<T: std::error::Error + Clone + Eq + Send + Sync + 'static>() {}
fn is_byte_buffer<
    T: std::ops::DerefMut<Target = [u8]> + AsRef<[u8]> + AsMut<[u8]> + std::fmt::Debug,
>() {
}

#[test]
fn documented_traits_are_implemented() {
    let _g = serial();
    is_send_sync_static::<Pool>();
    is_clone_debug::<Pool>();
    is_send_sync_static::<Chunk>();
    is_byte_buffer::<Chunk>();
    is_send_sync_static::<PoolConfig>();
    is_copy_default_eq::<PoolConfig>();
    is_send_sync_static::<PoolStats>();
    is_copy_default_eq::<PoolStats>();
    is_error::<PoolError>();
    let _boxed: Box<dyn std::error::Error + Send + Sync> =
        Box::new(PoolError::TooLarge { requested: 1 });

    let zero = PoolStats::default();
    assert_eq!(
        (
            zero.acquired,
            zero.reused,
            zero.allocated,
            zero.returned,
            zero.freed
        ),
        (0, 0, 0, 0, 0)
    );
    assert_eq!(
        (
            zero.outstanding_chunks,
            zero.outstanding_bytes,
            zero.idle_chunks
        ),
        (0, 0, 0)
    );

    let pool = make(64, 1024, 4096, 0);
    assert_eq!(
        pool.stats(),
        PoolStats::default(),
        "a new pool has counted nothing"
    );
    let chunk = pool.acquire(10).unwrap();
    assert!(!format!("{pool:?}").is_empty());
    assert!(!format!("{chunk:?}").is_empty());
    assert!(!format!("{:?}", pool.stats()).is_empty());
    assert!(!format!("{:?}", PoolConfig::new()).is_empty());
}

// ---------------------------------------------------------------------------------------------
// PoolConfig

#[test]
fn config_defaults_are_as_documented() {
    let _g = serial();
    assert_eq!(PoolConfig::default(), PoolConfig::new());
    let copy = PoolConfig::new().min_chunk(128);
    let again = copy; // Copy
    assert_eq!(copy, again);
    assert_ne!(copy, PoolConfig::new());
    assert_eq!(
        PoolConfig::new().min_chunk(4096).max_chunk(MIB),
        PoolConfig::new(),
        "4 KiB to 1 MiB by default"
    );
    assert_eq!(
        PoolConfig::new()
            .idle_bytes_per_class(4 * MIB)
            .thread_cache_bytes(256 * KIB),
        PoolConfig::new(),
        "4 MiB idle per class, 256 KiB per thread cache and class by default"
    );

    let pool = Pool::new(PoolConfig::default()).unwrap();
    assert_eq!(pool.min_chunk(), 4096);
    assert_eq!(pool.max_chunk(), MIB);
}

#[test]
fn default_thread_cache_holds_64_chunks_of_4_kib_and_the_queue_the_rest() {
    let _g = serial();
    let pool = Pool::new(PoolConfig::new()).unwrap();
    let chunks: Vec<Chunk> = (0..70).map(|_| pool.acquire(4096).unwrap()).collect();
    drop(chunks);
    let s = pool.stats();
    assert_eq!((s.returned, s.freed, s.idle_chunks), (70, 0, 70));
    // Another thread's trim frees the shared queues only: 70 - 64 in this thread's cache.
    let from_other = std::thread::scope(|s| s.spawn(|| pool.trim()).join().unwrap());
    assert_eq!(
        from_other, 6,
        "256 KiB of thread cache holds 64 chunks of 4 KiB"
    );
    assert_eq!(pool.trim(), 64, "this thread's trim frees its own cache");
    assert_eq!(pool.stats().idle_chunks, 0);
}

#[test]
fn default_idle_bytes_per_class_is_4_mib() {
    let _g = serial();
    let pool = Pool::new(PoolConfig::new().thread_cache_bytes(0)).unwrap();
    let small: Vec<Chunk> = (0..1025).map(|_| pool.acquire(4096).unwrap()).collect();
    drop(small);
    let s = pool.stats();
    assert_eq!(
        (s.returned, s.freed, s.idle_chunks),
        (1025, 1, 1024),
        "4 MiB of 4 KiB chunks"
    );
    let big: Vec<Chunk> = (0..5).map(|_| pool.acquire(MIB).unwrap()).collect();
    drop(big);
    let s = pool.stats();
    assert_eq!((s.freed, s.idle_chunks), (2, 1028), "4 MiB of 1 MiB chunks");
    check_derived(&s);
}

#[test]
fn min_chunk_bounds() {
    let _g = serial();
    for bad in [
        0,
        1,
        2,
        32,
        63,
        65,
        96,
        100,
        4095,
        4097,
        usize::MAX,
        1 << 63,
    ] {
        invalid_config(
            Pool::new(PoolConfig::new().min_chunk(bad).max_chunk(GIB)),
            "min_chunk",
        );
    }
    for good in [64, 128, 4096, MIB] {
        let pool =
            Pool::new(PoolConfig::new().min_chunk(good)).unwrap_or_else(|e| panic!("{good}: {e}"));
        assert_eq!(pool.min_chunk(), good);
        assert_eq!(pool.acquire(1).unwrap().capacity(), good);
    }
}

#[test]
fn max_chunk_bounds() {
    let _g = serial();
    for bad in [
        0,
        1,
        4097,
        3 * MIB,
        GIB - 1,
        GIB + 1,
        2 * GIB,
        usize::MAX,
        1 << 63,
    ] {
        let shown = invalid_config(Pool::new(PoolConfig::new().max_chunk(bad)), "max_chunk");
        assert!(!shown.is_empty());
    }
    for good in [8192, MIB, 512 * MIB, GIB] {
        let pool =
            Pool::new(PoolConfig::new().max_chunk(good)).unwrap_or_else(|e| panic!("{good}: {e}"));
        assert_eq!(pool.max_chunk(), good);
        assert_eq!(pool.chunk_size_for(good), good);
        assert_eq!(
            pool.chunk_size_for(good + 1),
            good + 1,
            "above the largest class: the size itself"
        );
    }
}

#[test]
fn min_chunk_above_max_chunk_is_an_error_not_a_panic() {
    let _g = serial();
    let result = Pool::new(PoolConfig::new().min_chunk(2 * MIB).max_chunk(MIB));
    assert!(
        matches!(result, Err(PoolError::InvalidConfig(_))),
        "{result:?}"
    );
    let result = Pool::new(PoolConfig::new().min_chunk(128).max_chunk(64));
    assert!(
        matches!(result, Err(PoolError::InvalidConfig(_))),
        "{result:?}"
    );
}

#[test]
fn one_class_when_min_equals_max() {
    let _g = serial();
    let pool = make(64, 64, 64, 0);
    let c = pool.acquire(0).unwrap();
    assert_eq!((c.capacity(), c.is_pooled()), (64, true));
    let c2 = pool.acquire(64).unwrap();
    assert_eq!((c2.capacity(), c2.is_pooled()), (64, true));
    let c3 = pool.acquire(65).unwrap();
    assert_eq!((c3.capacity(), c3.is_pooled()), (65, false));

    // The largest allowed class as the only class: made without allocating a chunk.
    let huge = Pool::new(PoolConfig::new().min_chunk(GIB).max_chunk(GIB)).unwrap();
    assert_eq!((huge.min_chunk(), huge.max_chunk()), (GIB, GIB));
    assert_eq!(huge.chunk_size_for(0), GIB);
    assert_eq!(huge.chunk_size_for(GIB + 1), GIB + 1);
    assert_eq!(huge.stats(), PoolStats::default());
}

#[test]
fn idle_bytes_per_class_limit_of_2_pow_24_chunks_of_min_chunk() {
    let _g = serial();
    let limit = 1usize << 24;
    // 64-byte chunks: 1 GiB. One class only, so only one queue of 2^24 slots is made.
    for (min, chunks, ok) in [
        (64, limit - 1, true),
        (64, limit, true),
        (64, limit + 1, false),
        (4096, limit, true),
        (4096, limit + 1, false),
    ] {
        let result = Pool::new(config(min, min, chunks * min, 0));
        if ok {
            let pool = result
                .unwrap_or_else(|e| panic!("{chunks} chunks of {min} should be accepted: {e}"));
            assert_eq!(pool.stats(), PoolStats::default());
        } else {
            invalid_config(result, "idle_bytes_per_class");
        }
    }
    // The docs' own numbers: 1 GiB of 64-byte chunks, 64 GiB of 4 KiB ones, is the limit
    // (checked above); anything above, however large, is refused, not a panic or an overflow.
    invalid_config(
        Pool::new(config(64, MIB, usize::MAX, 0)),
        "idle_bytes_per_class",
    );
    invalid_config(
        Pool::new(config(4096, MIB, usize::MAX, 0)),
        "idle_bytes_per_class",
    );
    invalid_config(
        Pool::new(PoolConfig::new().idle_bytes_per_class(usize::MAX)),
        "idle_bytes_per_class",
    );
}

#[test]
fn idle_bytes_between_two_chunk_counts_rounds_down() {
    let _g = serial();
    // "Idle bytes each class keeps at most": 2^24 chunks plus a part of one is 2^24 chunks.
    let pool = Pool::new(config(64, 64, (64 << 24) + 63, 0));
    assert!(pool.is_ok(), "{pool:?}");
    drop(pool);
    let pool = make(64, 64, 3 * 64 + 63, 0);
    let chunks: Vec<Chunk> = (0..5).map(|_| pool.acquire(64).unwrap()).collect();
    drop(chunks);
    assert_eq!(
        pool.stats().idle_chunks,
        3,
        "255 bytes keep three 64-byte chunks"
    );
}

#[test]
fn idle_bytes_zero_or_below_a_class_still_keeps_one_chunk() {
    let _g = serial();
    for idle in [0, 1, 63] {
        let pool = make(64, 256, idle, 0);
        for size in [64, 128, 256] {
            let chunks: Vec<Chunk> = (0..3).map(|_| pool.acquire(size).unwrap()).collect();
            drop(chunks);
        }
        let s = pool.stats();
        assert_eq!(
            (s.idle_chunks, s.freed),
            (3, 6),
            "idle {idle}: one chunk per class: {s:?}"
        );
        // And it is reused.
        let c = pool.acquire(128).unwrap();
        assert_eq!(pool.stats().reused, 1);
        drop(c);
    }
}

#[test]
fn each_class_queue_keeps_at_most_its_idle_bytes() {
    let _g = serial();
    // 192 idle bytes: 3 chunks of 64, 1 of 128, 1 of 256 (at least one); 512: unpooled.
    let pool = make(64, 256, 192, 0);
    let mut expected_freed = 0;
    let mut expected_idle = 0;
    for (size, keep) in [(64, 3), (128, 1), (256, 1)] {
        let chunks: Vec<Chunk> = (0..5).map(|_| pool.acquire(size).unwrap()).collect();
        drop(chunks);
        expected_freed += 5 - keep;
        expected_idle += keep;
        let s = pool.stats();
        assert_eq!(
            (s.freed, s.idle_chunks),
            (expected_freed, expected_idle),
            "class {size}: {s:?}"
        );
        check_derived(&s);
        // Dropping more into a full class frees them; the count of idle chunks stays put.
        let more: Vec<Chunk> = (0..keep + 2).map(|_| pool.acquire(size).unwrap()).collect();
        drop(more);
        expected_freed += 2;
        let s = pool.stats();
        assert_eq!(
            (s.freed, s.idle_chunks),
            (expected_freed, expected_idle),
            "class {size} again: {s:?}"
        );
    }
    let s = pool.stats();
    assert_eq!(s.returned, 5 + 5 + 5 + 5 + 3 + 3);
    assert_eq!(pool.trim(), expected_idle);
    let s = pool.stats();
    assert_eq!(
        (s.idle_chunks, s.freed, s.allocated),
        (0, s.allocated, s.allocated)
    );
}

#[test]
fn thread_cache_off_sends_every_chunk_to_the_shared_queue() {
    let _g = serial();
    let pool = make(64, 64, 64 * 8, 0);
    drop(pool.acquire(64).unwrap());
    // Another thread gets it straight away, and another thread's trim sees it.
    std::thread::scope(|s| {
        s.spawn(|| {
            let c = pool.acquire(1).unwrap();
            assert_eq!(
                pool.stats().reused,
                1,
                "a chunk returned with no thread cache is shared"
            );
            drop(c);
        })
        .join()
        .unwrap();
    });
    let from_other = std::thread::scope(|s| s.spawn(|| pool.trim()).join().unwrap());
    assert_eq!(from_other, 1);
    assert_eq!(pool.stats().idle_chunks, 0);
}

#[test]
fn thread_cache_of_one_byte_keeps_one_chunk_per_class() {
    let _g = serial();
    let pool = make(64, 128, 128, 1);
    for size in [64, 128] {
        let chunks: Vec<Chunk> = (0..5).map(|_| pool.acquire(size).unwrap()).collect();
        drop(chunks);
    }
    // 64: 1 cached + 2 queued + 2 freed; 128: 1 cached + 1 queued + 3 freed.
    let s = pool.stats();
    assert_eq!((s.idle_chunks, s.freed), (5, 5), "{s:?}");
    let from_other = std::thread::scope(|s| s.spawn(|| pool.trim()).join().unwrap());
    assert_eq!(from_other, 3, "the queues hold 2 + 1");
    assert_eq!(
        pool.trim(),
        2,
        "this thread's cache holds one chunk per class"
    );
}

#[test]
fn thread_cache_usize_max_has_no_limit() {
    let _g = serial();
    let pool = make(64, 128, 0, usize::MAX);
    let chunks: Vec<Chunk> = (0..200)
        .map(|i| pool.acquire(64 * (1 + i % 2)).unwrap())
        .collect();
    drop(chunks);
    let s = pool.stats();
    assert_eq!((s.returned, s.freed, s.idle_chunks), (200, 0, 200), "{s:?}");
    let from_other = std::thread::scope(|s| s.spawn(|| pool.trim()).join().unwrap());
    assert_eq!(from_other, 0, "all 200 are in this thread's cache");
    let again: Vec<Chunk> = (0..200)
        .map(|i| pool.acquire(64 * (1 + i % 2)).unwrap())
        .collect();
    assert_eq!(pool.stats().reused, 200);
    drop(again);
    assert_eq!(pool.trim(), 200);
}

// ---------------------------------------------------------------------------------------------
// acquire: sizes and capacities

#[test]
fn acquire_rounds_up_to_classes_of_the_default_config() {
    let _g = serial();
    let pool = Pool::new(PoolConfig::default()).unwrap();
    let mut cases = vec![(0, 4096), (1, 4096), (4095, 4096), (4096, 4096)];
    let mut class = 4096;
    while class < MIB {
        cases.push((class + 1, class * 2));
        cases.push((class * 2 - 1, class * 2));
        cases.push((class * 2, class * 2));
        class *= 2;
    }
    for (size, cap) in cases {
        assert_eq!(pool.chunk_size_for(size), cap, "chunk_size_for({size})");
        let mut c = pool.acquire(size).unwrap();
        assert_eq!(c.capacity(), cap, "acquire({size})");
        assert!(c.capacity() >= size.max(1));
        assert_eq!(c.len(), cap, "derefs to exactly capacity bytes");
        assert!(c.is_pooled());
        c[cap - 1] = 7;
        assert_eq!(c.as_ref().len(), cap);
        assert_eq!(c.as_mut()[cap - 1], 7);
    }
    // One over the largest class: an unpooled chunk of exactly that size.
    let c = pool.acquire(MIB + 1).unwrap();
    assert_eq!(
        (c.capacity(), c.len(), c.is_pooled()),
        (MIB + 1, MIB + 1, false)
    );
    assert_eq!(pool.chunk_size_for(MIB + 1), MIB + 1);
    assert_eq!(pool.chunk_size_for(usize::MAX), usize::MAX);
    let c = pool.acquire(3 * MIB + 5).unwrap();
    assert_eq!((c.capacity(), c.is_pooled()), (3 * MIB + 5, false));
}

#[test]
fn acquire_matches_chunk_size_for_on_a_small_pool() {
    let _g = serial();
    let pool = make(64, 64 * KIB, 64 * KIB, 0);
    for size in 0..=(64 * KIB + 70) {
        if size > 300 && size % 61 != 0 && !size.is_power_of_two() && !(size + 1).is_power_of_two()
        {
            continue;
        }
        let expected = if size <= 64 {
            64
        } else if size <= 64 * KIB {
            size.next_power_of_two()
        } else {
            size
        };
        assert_eq!(
            pool.chunk_size_for(size),
            expected,
            "chunk_size_for({size})"
        );
        let c = pool.acquire(size).unwrap();
        assert_eq!(c.capacity(), expected, "acquire({size})");
        assert_eq!(c.is_pooled(), size <= 64 * KIB, "is_pooled for {size}");
    }
    check_derived(&pool.stats());
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

#[test]
fn unpooled_chunks_are_counted_and_freed_on_drop() {
    let _g = serial();
    let pool = make(64, 256, 4096, usize::MAX);
    let c = pool.acquire(257).unwrap();
    let s = pool.stats();
    assert_eq!((s.acquired, s.allocated, s.reused), (1, 1, 0));
    assert_eq!((s.outstanding_chunks, s.outstanding_bytes), (1, 257));
    assert!(c.iter().all(|&b| b == 0), "a new chunk is zeroed");
    drop(c);
    let s = pool.stats();
    assert_eq!(
        (s.returned, s.freed, s.idle_chunks, s.outstanding_bytes),
        (1, 1, 0, 0),
        "{s:?}"
    );
    // Never reused, even with an unlimited thread cache.
    let c = pool.acquire(257).unwrap();
    assert_eq!(pool.stats().reused, 0);
    drop(c);
    assert_eq!(pool.stats().freed, 2);
    check_derived(&pool.stats());
}

#[test]
fn impossible_sizes_fail_with_too_large() {
    let _g = serial();
    let pool = make(64, 256, 4096, 4096);
    for size in [usize::MAX, isize::MAX as usize + 1, isize::MAX as usize] {
        match pool.acquire(size) {
            Err(PoolError::TooLarge { requested }) => {
                assert_eq!(requested, size);
                let err = PoolError::TooLarge { requested };
                let shown = err.to_string();
                assert!(
                    shown.contains(&size.to_string()),
                    "Display should give the size: {shown:?}"
                );
            }
            other => panic!("acquire({size}): expected TooLarge, got {other:?}"),
        }
    }
    let s = pool.stats();
    assert_eq!(
        s.outstanding_chunks, 0,
        "a failed acquire hands nothing out: {s:?}"
    );
    assert_eq!(s.outstanding_bytes, 0, "{s:?}");
    assert_eq!(s.acquired, 0, "acquired counts chunks handed out: {s:?}");
    check_derived(&s);
    // The pool still works.
    assert_eq!(pool.acquire(10).unwrap().capacity(), 64);
}

#[test]
fn error_display_is_useful() {
    let _g = serial();
    let e = PoolError::InvalidConfig("min_chunk must be a power of two");
    assert!(
        e.to_string().contains("min_chunk must be a power of two"),
        "{e}"
    );
    let e = PoolError::TooLarge { requested: 12345 };
    assert!(e.to_string().contains("12345"), "{e}");
    assert_eq!(e.clone(), e);
}

// ---------------------------------------------------------------------------------------------
// Contents and identity of chunks

#[test]
fn new_chunks_are_zeroed_and_reused_chunks_keep_old_bytes() {
    let _g = serial();
    let pool = make(64, 4096, 4096, 0);
    let mut c = pool.acquire(1000).unwrap();
    assert!(c.iter().all(|&b| b == 0), "zeroed when first allocated");
    c.fill(0xAB);
    let addr = c.as_ptr();
    drop(c);
    let again = pool.acquire(1024).unwrap();
    assert_eq!(again.as_ptr(), addr, "the same memory, reused");
    assert!(
        again.iter().all(|&b| b == 0xAB),
        "a reused chunk holds whatever its last user wrote"
    );
}

#[test]
fn crate_doc_example_counts() {
    let _g = serial();
    let pool = Pool::new(PoolConfig::default()).unwrap();
    let mut chunk = pool.acquire(1000).unwrap();
    assert!(chunk.capacity() >= 1000);
    chunk[..5].copy_from_slice(b"hello");
    let addr = chunk.as_ptr();
    drop(chunk);
    let again = pool.acquire(4096).unwrap();
    assert_eq!(again.as_ptr(), addr);
    assert_eq!(&again[..5], b"hello");
    let stats = pool.stats();
    assert_eq!((stats.acquired, stats.reused, stats.allocated), (2, 1, 1));
    assert_eq!(
        (stats.outstanding_chunks, stats.outstanding_bytes),
        (1, 4096)
    );
    drop(again);
    let stats = pool.stats();
    assert_eq!(
        (
            stats.outstanding_chunks,
            stats.outstanding_bytes,
            stats.returned
        ),
        (0, 0, 2)
    );
    assert_eq!(stats.idle_chunks, 1);
}

#[test]
fn outstanding_chunks_never_alias() {
    let _g = serial();
    let pool = make(64, 64, 64 * 4, 64 * 2);
    for round in 0u8..20 {
        let mut chunks: Vec<Chunk> = (0..10).map(|_| pool.acquire(64).unwrap()).collect();
        for (i, c) in chunks.iter_mut().enumerate() {
            c.fill(round.wrapping_mul(31).wrapping_add(i as u8));
        }
        for (i, c) in chunks.iter().enumerate() {
            let want = round.wrapping_mul(31).wrapping_add(i as u8);
            assert!(
                c.iter().all(|&b| b == want),
                "chunk {i} of round {round} was overwritten"
            );
        }
        let addrs: HashSet<usize> = chunks.iter().map(|c| c.as_ptr() as usize).collect();
        assert_eq!(addrs.len(), 10);
    }
    check_derived(&pool.stats());
}

#[test]
fn a_chunk_returns_to_the_pool_it_came_from_exactly_once() {
    let _g = serial();
    let a = make(64, 256, 4096, 4096);
    let b = make(64, 256, 4096, 4096);
    let c = a.acquire(100).unwrap();
    // Moved around: into a box, a vector, another thread and back.
    let boxed = Box::new(c);
    let mut v = vec![*boxed];
    let c = std::thread::scope(|s| s.spawn(move || v.pop().unwrap()).join().unwrap());
    drop(c);
    let (sa, sb) = (a.stats(), b.stats());
    assert_eq!((sa.acquired, sa.returned, sa.idle_chunks), (1, 1, 1));
    assert_eq!(sb, PoolStats::default(), "another pool sees nothing");
    let from_b = b.acquire(100).unwrap();
    assert_eq!(b.stats().reused, 0, "b does not hand out a's memory");
    drop(from_b);
    assert_eq!(a.stats().returned, 1);
}

#[test]
fn clones_share_the_pool() {
    let _g = serial();
    let pool = make(64, 256, 4096, 0);
    let clone = pool.clone();
    let c = clone.acquire(64).unwrap();
    assert_eq!(pool.stats(), clone.stats());
    assert_eq!(pool.stats().acquired, 1);
    assert_eq!((clone.min_chunk(), clone.max_chunk()), (64, 256));
    drop(clone);
    drop(c);
    // The pool is still open: the chunk went back to it and is reused.
    let again = pool.acquire(64).unwrap();
    let s = pool.stats();
    assert_eq!((s.acquired, s.reused, s.returned), (2, 1, 1));
    drop(again);
}

// ---------------------------------------------------------------------------------------------
// Per-thread caches and threads

#[test]
fn chunk_dropped_on_another_thread_is_returned_and_later_shared() {
    let _g = serial();
    let pool = make(64, 256, 4096, 4096);
    let chunks: Vec<Chunk> = (0..3).map(|_| pool.acquire(128).unwrap()).collect();
    std::thread::scope(|s| s.spawn(move || drop(chunks)).join().unwrap());
    let s = pool.stats();
    assert_eq!(
        (s.returned, s.outstanding_chunks, s.idle_chunks, s.freed),
        (3, 0, 3, 0),
        "{s:?}"
    );
    // That thread exited: its cache went to the shared queue, where this thread finds it.
    let again: Vec<Chunk> = (0..3).map(|_| pool.acquire(128).unwrap()).collect();
    let s = pool.stats();
    assert_eq!((s.reused, s.allocated), (3, 3), "{s:?}");
    drop(again);
}

#[test]
fn exiting_thread_moves_its_cache_to_the_queue_or_frees_what_does_not_fit() {
    let _g = serial();
    // The queue keeps one 64-byte chunk; each thread cache four.
    let pool = make(64, 64, 64, 4 * 64);
    std::thread::scope(|s| {
        s.spawn(|| {
            let chunks: Vec<Chunk> = (0..4).map(|_| pool.acquire(64).unwrap()).collect();
            drop(chunks);
            let s = pool.stats();
            assert_eq!(
                (s.freed, s.idle_chunks),
                (0, 4),
                "all four in this thread's cache"
            );
        })
        .join()
        .unwrap();
    });
    let s = pool.stats();
    assert_eq!(
        (s.returned, s.freed, s.idle_chunks),
        (4, 3, 1),
        "one fits the queue: {s:?}"
    );
    check_derived(&s);
    let c = pool.acquire(64).unwrap();
    assert_eq!(pool.stats().reused, 1);
    drop(c);
}

#[test]
fn another_threads_cache_is_private_while_it_lives() {
    let _g = serial();
    let pool = make(64, 64, 64 * 8, 64 * 8);
    let (to_main, from_worker) = mpsc::channel::<()>();
    let (to_worker, from_main) = mpsc::channel::<()>();
    std::thread::scope(|s| {
        let pool = &pool;
        let worker = s.spawn(move || {
            drop(pool.acquire(64).unwrap());
            to_main.send(()).unwrap();
            from_main.recv().unwrap();
        });
        from_worker.recv().unwrap();
        let s1 = pool.stats();
        assert_eq!(
            (s1.returned, s1.idle_chunks),
            (1, 1),
            "idle counts a thread cache: {s1:?}"
        );
        assert_eq!(
            pool.trim(),
            0,
            "trim frees only the queues and this thread's cache"
        );
        let mine = pool.acquire(64).unwrap();
        assert_eq!(
            pool.stats().allocated,
            2,
            "the worker's cached chunk is not handed to this thread"
        );
        drop(mine);
        to_worker.send(()).unwrap();
        worker.join().unwrap();
    });
    let s = pool.stats();
    assert_eq!((s.idle_chunks, s.freed), (2, 0), "{s:?}");
    // The worker's chunk is now in the queue; this thread's own chunk is in its cache.
    let from_other = std::thread::scope(|s| s.spawn(|| pool.trim()).join().unwrap());
    assert_eq!(from_other, 1);
    assert_eq!(pool.trim(), 1);
}

#[test]
fn global_pool_is_one_pool_with_the_default_config() {
    let _g = serial();
    let g = Pool::global();
    assert!(std::ptr::eq(g, Pool::global()));
    let other_thread = std::thread::spawn(|| Pool::global() as *const Pool as usize)
        .join()
        .unwrap();
    assert_eq!(other_thread, g as *const Pool as usize);
    assert_eq!((g.min_chunk(), g.max_chunk()), (4096, MIB));
    assert_eq!(g.chunk_size_for(1), 4096);

    let before = g.stats();
    let c = g.acquire(5000).unwrap();
    assert_eq!(c.capacity(), 8192);
    let mid = g.stats();
    assert_eq!(mid.acquired, before.acquired + 1);
    assert_eq!(mid.outstanding_chunks, before.outstanding_chunks + 1);
    assert_eq!(mid.outstanding_bytes, before.outstanding_bytes + 8192);
    drop(c);

    // A clone of the global pool dropped does not close it.
    let clone = g.clone();
    drop(clone.acquire(5000).unwrap());
    drop(clone);
    let c = g.acquire(5000).unwrap();
    let after = g.stats();
    assert_eq!(after.acquired, before.acquired + 3);
    assert!(
        after.reused >= before.reused + 2,
        "still reusing after a clone dropped: {before:?} {after:?}"
    );
    drop(c);
    assert_eq!(g.stats().outstanding_chunks, before.outstanding_chunks);

    // A pool of one's own is separate from the global pool.
    let own = Pool::new(PoolConfig::default()).unwrap();
    let at = g.stats();
    drop(own.acquire(5000).unwrap());
    assert_eq!(g.stats(), at);
    assert_eq!(own.stats().acquired, 1);
}

#[test]
fn several_threads_at_once_add_up() {
    let _g = serial();
    let sizes = [0, 1, 64, 65, 128, 200, 256, 257, 1000];
    let pool = make(64, 256, 64 * 4, 64 * 2);
    const THREADS: u64 = 4;
    const ROUNDS: u64 = 1500;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let pool = &pool;
                s.spawn(move || {
                    let mut held: Vec<Chunk> = Vec::new();
                    let mut rng = Rng(0x9E37_79B9 + t);
                    for _ in 0..ROUNDS {
                        let size = sizes[rng.below(sizes.len())];
                        let mut c = pool.acquire(size).unwrap();
                        assert_eq!(c.capacity(), pool.chunk_size_for(size));
                        c[0] = t as u8;
                        held.push(c);
                        if held.len() > 3 || rng.below(2) == 0 {
                            let i = rng.below(held.len());
                            let c = held.swap_remove(i);
                            assert_eq!(c[0], t as u8, "nobody else wrote my chunk");
                            drop(c);
                        }
                    }
                    held
                })
            })
            .collect();
        // Each thread hands its last chunks to this one, which drops them.
        let leftovers: Vec<Chunk> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        let s1 = pool.stats();
        assert_eq!(s1.acquired, THREADS * ROUNDS);
        assert_eq!(s1.outstanding_chunks, leftovers.len() as u64);
        let bytes: usize = leftovers.iter().map(|c| c.capacity()).sum();
        assert_eq!(s1.outstanding_bytes, bytes as u64);
        check_derived(&s1);
        drop(leftovers);
    });
    let s = pool.stats();
    assert_eq!(
        (
            s.acquired,
            s.returned,
            s.outstanding_chunks,
            s.outstanding_bytes
        ),
        (THREADS * ROUNDS, THREADS * ROUNDS, 0, 0)
    );
    check_derived(&s);
    // All workers exited: idle chunks are in the queues (4 + 2 + 1) and this thread's cache
    // (up to 2 + 1 + 1 from the leftovers it dropped).
    assert!(s.idle_chunks <= 7 + 4, "{s:?}");
    let from_other = std::thread::scope(|sc| sc.spawn(|| pool.trim()).join().unwrap());
    assert!(
        from_other <= 7,
        "the queues hold at most 4 + 2 + 1: {from_other}"
    );
    let mine = pool.trim();
    assert_eq!(from_other + mine, s.idle_chunks);
    let s = pool.stats();
    assert_eq!((s.idle_chunks, s.freed), (0, s.allocated));
}

#[test]
fn chunks_acquired_on_some_threads_and_dropped_on_others_add_up() {
    let _g = serial();
    let pool = make(64, 512, 64 * 8, 64 * 4);
    const PER_PRODUCER: usize = 1500;
    std::thread::scope(|s| {
        let mut consumers = Vec::new();
        let mut producers = Vec::new();
        for p in 0..2u8 {
            let (tx, rx) = mpsc::sync_channel::<Chunk>(16);
            let pool = &pool;
            producers.push(s.spawn(move || {
                for i in 0..PER_PRODUCER {
                    let mut c = pool.acquire(1 + (i * 37) % 600).unwrap();
                    c[0] = p;
                    tx.send(c).unwrap();
                }
            }));
            consumers.push(s.spawn(move || {
                let mut n = 0;
                for c in rx {
                    assert_eq!(c[0], p);
                    n += 1;
                    drop(c);
                }
                n
            }));
        }
        for p in producers {
            p.join().unwrap();
        }
        let dropped: usize = consumers.into_iter().map(|c| c.join().unwrap()).sum();
        assert_eq!(dropped, 2 * PER_PRODUCER);
    });
    let s = pool.stats();
    let total = (2 * PER_PRODUCER) as u64;
    assert_eq!(
        (
            s.acquired,
            s.returned,
            s.outstanding_chunks,
            s.outstanding_bytes
        ),
        (total, total, 0, 0),
        "{s:?}"
    );
    check_derived(&s);
    // Every thread exited: all idle chunks sit in the queues (8 + 4 + 2 + 1 at most), where
    // this thread's trim reaches them.
    assert!(s.idle_chunks <= 15, "{s:?}");
    assert_eq!(pool.trim(), s.idle_chunks);
    assert_eq!(pool.stats().idle_chunks, 0);
}

thread_local! {
    static HELD_AT_EXIT: std::cell::RefCell<Option<(Pool, Chunk)>> = const { std::cell::RefCell::new(None) };
}

/// Runs a thread that uses `pool` once (before or after `at_exit`, per `pool_first`) and leaves
/// `at_exit` to a thread-local destructor, which runs during thread teardown, before or after
/// the pool's own per-thread state is torn down; then checks that two chunks were acquired and
/// returned and that this thread's `trim` reaches every idle one (none stranded).
fn check_teardown(pool: &Pool, pool_first: bool, at_exit: impl Fn() + Send + Sync) {
    std::thread::scope(|s| {
        s.spawn(|| {
            if pool_first {
                drop(pool.acquire(64).unwrap()); // the pool's thread state exists first
            }
            at_exit();
            if !pool_first {
                drop(pool.acquire(64).unwrap());
            }
        })
        .join()
        .unwrap();
    });
    let s = pool.stats();
    assert_eq!(
        (s.acquired, s.returned, s.outstanding_chunks),
        (2, 2, 0),
        "pool first {pool_first}: {s:?}"
    );
    check_derived(&s);
    assert_eq!(pool.trim(), s.idle_chunks, "pool first {pool_first}: {s:?}");
    assert_eq!(pool.stats().idle_chunks, 0);
}

/// A chunk dropped by a thread-local destructor during thread teardown, before or after the
/// pool's own per-thread state is torn down: counted, not lost.
#[test]
fn chunks_released_during_thread_teardown_are_counted_and_not_lost() {
    let _g = serial();
    for pool_first in [false, true] {
        let pool = make(64, 64, 64 * 8, 64 * 8);
        check_teardown(&pool, pool_first, || {
            let c = pool.acquire(64).unwrap();
            HELD_AT_EXIT.with(|h| *h.borrow_mut() = Some((pool.clone(), c)));
        });
    }
}

struct AcquireOnDrop(Pool);

impl Drop for AcquireOnDrop {
    fn drop(&mut self) {
        let c = self
            .0
            .acquire(100)
            .expect("acquire works during thread teardown");
        assert_eq!(c.capacity(), 128);
    }
}

thread_local! {
    static ACQUIRE_AT_EXIT: std::cell::RefCell<Option<AcquireOnDrop>> = const { std::cell::RefCell::new(None) };
}

#[test]
fn acquire_during_thread_teardown_works_and_is_counted() {
    let _g = serial();
    for pool_first in [false, true] {
        let pool = make(64, 256, 64 * 8, 64 * 8);
        check_teardown(&pool, pool_first, || {
            ACQUIRE_AT_EXIT.with(|h| *h.borrow_mut() = Some(AcquireOnDrop(pool.clone())));
        });
    }
}

/// Takes snapshots while threads start, work and exit; returns them in order.
fn snapshots_under_load(pool: &Pool) -> Vec<PoolStats> {
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        let observer = s.spawn(|| {
            let mut seen = Vec::new();
            while !done.load(Ordering::Acquire) {
                seen.push(pool.stats());
            }
            seen.push(pool.stats());
            seen
        });
        let workers: Vec<_> = (0..2)
            .map(|t| {
                s.spawn(move || {
                    for i in 0..150 {
                        // Short-lived threads: their counters must survive them.
                        std::thread::scope(|s| {
                            s.spawn(|| {
                                let a = pool.acquire(64 * (1 + (i + t) % 3)).unwrap();
                                let b = pool.acquire(300).unwrap();
                                drop(a);
                                drop(b);
                            })
                            .join()
                            .unwrap();
                        });
                        drop(pool.acquire(64).unwrap());
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        done.store(true, Ordering::Release);
        observer.join().unwrap()
    })
}

#[test]
fn counters_only_grow_while_threads_come_and_go() {
    let _g = serial();
    let pool = make(64, 256, 128, 128);
    let seen = snapshots_under_load(&pool);
    assert!(seen.len() >= 2);
    for pair in seen.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        assert!(
            b.acquired >= a.acquired,
            "acquired went back: {a:?} then {b:?}"
        );
        assert!(b.reused >= a.reused, "reused went back: {a:?} then {b:?}");
        assert!(
            b.allocated >= a.allocated,
            "allocated went back: {a:?} then {b:?}"
        );
        assert!(
            b.returned >= a.returned,
            "returned went back: {a:?} then {b:?}"
        );
        assert!(b.freed >= a.freed, "freed went back: {a:?} then {b:?}");
    }
    let last = *seen.last().unwrap();
    assert_eq!(last, pool.stats(), "at rest, exact");
    assert_eq!((last.acquired, last.returned), (2 * 150 * 3, 2 * 150 * 3));
    check_derived(&last);
}

#[test]
fn derived_fields_stay_within_their_counters_under_load() {
    let _g = serial();
    let pool = make(64, 256, 128, 128);
    let seen = snapshots_under_load(&pool);
    for s in &seen {
        assert!(
            s.outstanding_chunks <= s.acquired,
            "more outstanding than handed out: {s:?}"
        );
        assert!(
            s.idle_chunks <= s.allocated,
            "more idle than allocated: {s:?}"
        );
        assert!(
            s.outstanding_bytes < 1 << 62,
            "outstanding bytes wrapped below zero: {s:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Closing a pool: memory measured with the instrumented allocator

#[test]
fn dropping_the_last_handle_frees_idle_chunks_including_this_threads_cache() {
    let _g = serial();
    // 1 MiB chunks: 2 in this thread's cache, 4 in the queue.
    let pool = make(MIB, MIB, 16 * MIB, 2 * MIB);
    let chunks: Vec<Chunk> = (0..6).map(|_| pool.acquire(MIB).unwrap()).collect();
    drop(chunks);
    assert_eq!(pool.stats().idle_chunks, 6);
    let before = live_bytes();
    drop(pool);
    let freed = freed_since(before);
    assert!(
        freed >= (6 * MIB) as isize,
        "closing should free 6 MiB of idle chunks, freed {freed}"
    );
}

#[test]
fn chunks_outliving_their_pool_still_work_and_all_memory_goes_at_the_end() {
    let _g = serial();
    let before = live_bytes();
    let pool = make(MIB, MIB, 16 * MIB, 16 * MIB);
    let mut here = pool.acquire(MIB).unwrap();
    let there = pool.acquire(MIB).unwrap();
    here.fill(5);
    drop(pool);
    here[MIB - 1] = 6;
    assert!(here[..MIB - 1].iter().all(|&b| b == 5));
    assert_eq!(here[MIB - 1], 6);
    assert_eq!((here.capacity(), here.is_pooled()), (MIB, true));
    drop(here);
    std::thread::scope(|s| s.spawn(move || drop(there)).join().unwrap());
    let leaked = -freed_since(before);
    assert!(
        leaked < (64 * KIB) as isize,
        "everything of the closed pool is freed in the end: {leaked} bytes left"
    );
}

/// "When the last handle to a user-made pool drops, the pool closes: ... and chunks still out
/// are freed when they drop."
#[test]
fn chunks_outliving_their_pool_are_freed_when_they_drop() {
    let _g = serial();
    let pool = make(MIB, MIB, 16 * MIB, 16 * MIB);
    let here = pool.acquire(MIB).unwrap();
    let there = pool.acquire(MIB).unwrap();
    let last = pool.acquire(MIB).unwrap(); // keeps the pool's shared state alive meanwhile
    drop(pool);
    // Net of the few hundred bytes a thread's first drop of a chunk of this pool allocates
    // for its cache entry: the chunk's 1 MiB comes back (before the fix, -480 and -72).
    let before = live_bytes();
    drop(here);
    let freed = freed_since(before);
    assert!(
        freed > (MIB / 2) as isize,
        "a chunk of a closed pool dropped on this thread: freed {freed} bytes"
    );
    let before = live_bytes();
    std::thread::scope(|s| s.spawn(move || drop(there)).join().unwrap());
    let freed = freed_since(before);
    assert!(
        freed > (MIB / 2) as isize,
        "a chunk of a closed pool dropped on another thread: freed {freed} bytes"
    );
    drop(last);
}

#[test]
fn other_threads_caches_of_a_closed_pool_are_freed() {
    let _g = serial();
    for exit_instead_of_register in [false, true] {
        let pool = make(MIB, MIB, 16 * MIB, 16 * MIB);
        let (to_main, from_worker) = mpsc::channel::<()>();
        let (to_worker, from_main) = mpsc::channel::<()>();
        let worker_pool = pool.clone();
        let worker = std::thread::spawn(move || {
            let chunks: Vec<Chunk> = (0..4).map(|_| worker_pool.acquire(MIB).unwrap()).collect();
            drop(chunks); // into this worker's cache
            drop(worker_pool);
            to_main.send(()).unwrap();
            from_main.recv().unwrap();
            if !exit_instead_of_register {
                // Register a pool: a new one, used for the first time on this thread.
                let other = make(64, 64, 64, 64);
                drop(other.acquire(1).unwrap());
                drop(other);
                to_main.send(()).unwrap();
                from_main.recv().unwrap();
            }
        });
        from_worker.recv().unwrap();
        assert_eq!(
            pool.stats().idle_chunks,
            4,
            "four chunks in the worker's cache"
        );
        // A chunk still out keeps the pool's shared state alive: the worker's chunks must be
        // freed anyway, not queued until this one goes.
        let out = pool.acquire(MIB).unwrap();
        let before = live_bytes();
        drop(pool); // the last handle: the pool closes
        to_worker.send(()).unwrap();
        if !exit_instead_of_register {
            from_worker.recv().unwrap();
            let freed = freed_since(before);
            assert!(
                freed >= (4 * MIB) as isize,
                "freed when the worker registers a pool: {freed}"
            );
            to_worker.send(()).unwrap();
        }
        worker.join().unwrap();
        let freed = freed_since(before);
        assert!(
            freed >= (4 * MIB) as isize,
            "freed by the time the worker exited: {freed}"
        );
        drop(out);
    }
}

#[test]
fn a_thread_cache_keeps_one_chunk_of_a_class_larger_than_its_bytes() {
    let _g = serial();
    // Default config: 256 KiB per thread cache and class, "otherwise at least one chunk".
    let pool = Pool::new(PoolConfig::new()).unwrap();
    drop(pool.acquire(MIB).unwrap());
    drop(pool.acquire(512 * KIB).unwrap());
    assert_eq!(pool.stats().idle_chunks, 2);
    let from_other = std::thread::scope(|s| s.spawn(|| pool.trim()).join().unwrap());
    assert_eq!(
        from_other, 0,
        "both chunks are in this thread's cache, not in the queues"
    );
    assert_eq!(pool.trim(), 2);
}

// ---------------------------------------------------------------------------------------------
// A model-based test: random operations, every stat compared with a model of the documented
// policy after every step.

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.0 | 1;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The documented policy, counted. A drop goes into the dropping thread's cache if its class
/// has room, else into the class queue, else to the allocator; an acquire takes from the
/// thread's cache, else the queue, else allocates; an exiting thread's cache goes to the queue,
/// what does not fit is freed; `trim` frees the queues and the caller's cache.
struct Model {
    min: usize,
    max: usize,
    queue_cap: Vec<usize>,
    cache_cap: Vec<usize>,
    queue: Vec<usize>,
    s: PoolStats,
}

impl Model {
    fn new(min: usize, max: usize, idle: usize, cache: usize) -> Model {
        let classes = (max / min).trailing_zeros() as usize + 1;
        let class_size = |i: usize| min << i;
        Model {
            min,
            max,
            queue_cap: (0..classes)
                .map(|i| (idle / class_size(i)).max(1))
                .collect(),
            cache_cap: (0..classes)
                .map(|i| {
                    if cache == 0 {
                        0
                    } else {
                        (cache / class_size(i)).max(1)
                    }
                })
                .collect(),
            queue: vec![0; classes],
            s: PoolStats::default(),
        }
    }
    fn empty_cache(&self) -> Vec<usize> {
        vec![0; self.queue.len()]
    }
    fn class(&self, size: usize) -> Option<usize> {
        (size <= self.max).then(|| {
            (size.max(1).next_power_of_two().max(self.min) / self.min).trailing_zeros() as usize
        })
    }
    fn capacity(&self, size: usize) -> usize {
        self.class(size).map_or(size, |c| self.min << c)
    }
    /// Returns (capacity, reused).
    fn acquire(&mut self, cache: &mut [usize], size: usize) -> (usize, bool) {
        let cap = self.capacity(size);
        self.s.acquired += 1;
        self.s.outstanding_chunks += 1;
        self.s.outstanding_bytes += cap as u64;
        let reused = match self.class(size) {
            Some(c) if cache[c] > 0 => {
                cache[c] -= 1;
                true
            }
            Some(c) if self.queue[c] > 0 => {
                self.queue[c] -= 1;
                true
            }
            _ => false,
        };
        if reused {
            self.s.reused += 1;
            self.s.idle_chunks -= 1;
        } else {
            self.s.allocated += 1;
        }
        (cap, reused)
    }
    fn release(&mut self, cache: &mut [usize], cap: usize) {
        self.s.returned += 1;
        self.s.outstanding_chunks -= 1;
        self.s.outstanding_bytes -= cap as u64;
        match self.class(cap) {
            Some(c) if self.capacity(cap) == cap && cache[c] < self.cache_cap[c] => {
                cache[c] += 1;
                self.s.idle_chunks += 1;
            }
            Some(c) if self.capacity(cap) == cap && self.queue[c] < self.queue_cap[c] => {
                self.queue[c] += 1;
                self.s.idle_chunks += 1;
            }
            _ => self.s.freed += 1,
        }
    }
    fn thread_exit(&mut self, cache: Vec<usize>) {
        for (c, n) in cache.into_iter().enumerate() {
            let kept = n.min(self.queue_cap[c] - self.queue[c]);
            self.queue[c] += kept;
            self.s.freed += (n - kept) as u64;
            self.s.idle_chunks -= (n - kept) as u64;
        }
    }
    fn trim(&mut self, cache: &mut [usize]) -> u64 {
        let n: usize = self.queue.iter().sum::<usize>() + cache.iter().sum::<usize>();
        self.queue.iter_mut().for_each(|q| *q = 0);
        cache.iter_mut().for_each(|q| *q = 0);
        self.s.freed += n as u64;
        self.s.idle_chunks -= n as u64;
        n as u64
    }
}

struct Held {
    chunk: Chunk,
    tag: u64,
}

/// Checks a chunk just handed out against the model's verdict, then tags it.
fn take(
    chunk: Chunk,
    cap: usize,
    reused: bool,
    tags: &mut u64,
    dropped: &HashSet<u64>,
    ctx: &str,
) -> Held {
    let mut chunk = chunk;
    assert_eq!(chunk.capacity(), cap, "{ctx}: capacity");
    assert_eq!(chunk.len(), cap, "{ctx}: length");
    let old = u64::from_le_bytes(chunk[..8].try_into().unwrap());
    if reused {
        assert!(
            dropped.contains(&old),
            "{ctx}: a reused chunk holds its last user's bytes, found tag {old}"
        );
    } else {
        assert!(
            chunk.iter().all(|&b| b == 0),
            "{ctx}: a newly allocated chunk is zeroed"
        );
    }
    *tags += 1;
    chunk[..8].copy_from_slice(&tags.to_le_bytes());
    Held { chunk, tag: *tags }
}

fn give(held: Held, dropped: &mut HashSet<u64>, ctx: &str) {
    let now = u64::from_le_bytes(held.chunk[..8].try_into().unwrap());
    assert_eq!(
        now, held.tag,
        "{ctx}: an outstanding chunk was written by someone else"
    );
    dropped.insert(held.tag);
    drop(held.chunk);
}

fn run_model(min: usize, max: usize, idle: usize, cache: usize, seed: u64, steps: usize) {
    let pool = make(min, max, idle, cache);
    let mut model = Model::new(min, max, idle, cache);
    let mut main_cache = model.empty_cache();
    let mut rng = Rng(seed);
    let mut held: Vec<Held> = Vec::new();
    let mut dropped: HashSet<u64> = HashSet::new();
    let mut tags = 0u64;
    let mut sizes = vec![
        0,
        1,
        min - 1,
        min,
        min + 1,
        max - 1,
        max,
        max + 1,
        3 * max + 7,
    ];
    let mut class = min;
    while class < max {
        sizes.extend([class + 1, 2 * class - 1, 2 * class]);
        class *= 2;
    }
    for step in 0..steps {
        let op = rng.below(10);
        let ctx = format!("config ({min}, {max}, {idle}, {cache}) seed {seed} step {step} op {op}");
        match op {
            // acquire on this thread, through the pool or a clone of it
            0..=3 => {
                let size = sizes[rng.below(sizes.len())];
                let chunk = if op == 3 {
                    let handle = pool.clone();
                    let c = handle.acquire(size).unwrap();
                    drop(handle);
                    c
                } else {
                    pool.acquire(size).unwrap()
                };
                let (cap, reused) = model.acquire(&mut main_cache, size);
                held.push(take(chunk, cap, reused, &mut tags, &dropped, &ctx));
            }
            // drop on this thread
            4..=5 if !held.is_empty() => {
                let h = held.swap_remove(rng.below(held.len()));
                let cap = h.chunk.capacity();
                give(h, &mut dropped, &ctx);
                model.release(&mut main_cache, cap);
            }
            // move 1-3 chunks to a new thread that drops them and exits
            6 if !held.is_empty() => {
                let n = 1 + rng.below(held.len().min(3));
                let moved: Vec<Held> = (0..n)
                    .map(|_| held.swap_remove(rng.below(held.len())))
                    .collect();
                let caps: Vec<usize> = moved.iter().map(|h| h.chunk.capacity()).collect();
                let tags_moved: Vec<u64> = moved.iter().map(|h| h.tag).collect();
                std::thread::scope(|s| {
                    s.spawn(|| {
                        let mut sink = HashSet::new();
                        for h in moved {
                            give(h, &mut sink, &ctx);
                        }
                    })
                    .join()
                    .unwrap();
                });
                dropped.extend(tags_moved);
                let mut cache = model.empty_cache();
                for cap in caps {
                    model.release(&mut cache, cap);
                }
                model.thread_exit(cache);
            }
            // a new thread acquires 1-3 chunks, drops some there, hands the rest over, exits
            7 => {
                let plan: Vec<(usize, bool)> = (0..1 + rng.below(3))
                    .map(|_| (sizes[rng.below(sizes.len())], rng.below(2) == 0))
                    .collect();
                let mut cache = model.empty_cache();
                let verdicts: Vec<(usize, bool)> = plan
                    .iter()
                    .map(|&(size, _)| model.acquire(&mut cache, size))
                    .collect();
                for (i, &(_, keep)) in plan.iter().enumerate() {
                    if !keep {
                        model.release(&mut cache, verdicts[i].0);
                    }
                }
                model.thread_exit(cache);
                let (kept, gone) = std::thread::scope(|s| {
                    s.spawn(|| {
                        let mut all = Vec::new();
                        for (i, &(size, _)) in plan.iter().enumerate() {
                            let c = pool.acquire(size).unwrap();
                            all.push(take(
                                c,
                                verdicts[i].0,
                                verdicts[i].1,
                                &mut tags,
                                &dropped,
                                &ctx,
                            ));
                        }
                        let mut kept = Vec::new();
                        let mut gone = HashSet::new();
                        for (h, &(_, keep)) in all.into_iter().zip(&plan) {
                            if keep {
                                kept.push(h);
                            } else {
                                give(h, &mut gone, &ctx);
                            }
                        }
                        (kept, gone)
                    })
                    .join()
                    .unwrap()
                });
                dropped.extend(gone);
                held.extend(kept);
            }
            // trim on this thread
            8 => {
                let expected = model.trim(&mut main_cache);
                assert_eq!(pool.trim(), expected, "{ctx}: trim on this thread");
            }
            // trim on another thread: the queues only
            9 => {
                let mut none = model.empty_cache();
                let expected = model.trim(&mut none);
                let got = std::thread::scope(|s| s.spawn(|| pool.trim()).join().unwrap());
                assert_eq!(got, expected, "{ctx}: trim on another thread");
            }
            _ => {}
        }
        let stats = pool.stats();
        assert_eq!(stats, model.s, "{ctx}: stats differ from the model");
        check_derived(&stats);
        for (c, (&q, &cap)) in model.queue.iter().zip(&model.queue_cap).enumerate() {
            assert!(q <= cap, "model bug: class {c} queue {q} > {cap}");
        }
    }
    for h in held.drain(..) {
        let cap = h.chunk.capacity();
        give(h, &mut dropped, "final drop");
        model.release(&mut main_cache, cap);
    }
    assert_eq!(pool.stats(), model.s, "after dropping everything");
    let s = pool.stats();
    assert_eq!((s.outstanding_chunks, s.outstanding_bytes), (0, 0));
}

/// The model test under five configurations (a small cache, no cache, an unlimited cache with
/// the smallest queues, a one-byte cache, a single class), four seeds each.
#[test]
fn model_of_every_stat_under_each_configuration() {
    let _g = serial();
    // (min_chunk, max_chunk, idle bytes per class, thread cache bytes, first seed)
    let configs = [
        (64, 256, 192, 128, 1),
        (64, 256, 256, 0, 11),
        (64, 256, 0, usize::MAX, 21),
        (64, 512, 64, 1, 31),
        (64, 64, 128, 64, 41),
    ];
    for (min, max, idle, cache, first) in configs {
        for seed in first..first + 4 {
            // Shown with a failure: which configuration and seed.
            eprintln!("min {min} max {max} idle {idle} cache {cache} seed {seed}");
            run_model(min, max, idle, cache, seed, 400);
        }
    }
}

/// "When the last handle to a user-made pool drops, the pool closes: its idle chunks are
/// freed": the shared queues' too, while a chunk is still out (it kept the pool's shared state,
/// and with it the queues, alive until it dropped).
#[test]
fn closing_frees_the_queued_chunks_while_a_chunk_is_out() {
    let _g = serial();
    let pool = make(MIB, MIB, 16 * MIB, 0);
    let out = pool.acquire(MIB).unwrap();
    drop((pool.acquire(MIB).unwrap(), pool.acquire(MIB).unwrap()));
    assert_eq!(
        pool.stats().idle_chunks,
        2,
        "no thread cache: both in the queue"
    );
    let before = live_bytes();
    drop(pool);
    let freed = freed_since(before);
    assert!(
        freed >= (2 * MIB) as isize,
        "closing freed {freed} bytes of 2 MiB queued"
    );
    drop(out);
}
