//! `Pool` and `PoolConfig` at the extremes of their numeric arguments, written from the
//! documentation alone: sizes of 0, 1, `usize::MAX`, `isize::MAX`, configurations out of range
//! (min above max, zero, not a power of two, above 1 GiB, unbounded idle and cache limits).
//! Every call must answer (a chunk or a `PoolError`), never panic or abort, and the pool must
//! go on working after an error ("Bad input gets a clear error and loses nothing").
//!
//! Calls that could abort the process (an allocation the allocator cannot serve) run in a child
//! process (this test binary again, one ignored test selected) under a virtual memory limit,
//! so that an abort fails one test instead of the suite.

use chunk_pool::{Pool, PoolConfig, PoolError};
use std::process::Command;

/// Virtual memory limit of a child process, in KiB (4 GiB): an allocation of a terabyte must
/// be refused, not served lazily.
const CHILD_VMEM_KIB: u64 = 4 * 1024 * 1024;

/// The environment variable that tells a child test it is the child.
const CHILD_ENV: &str = "CHUNK_POOL_EXTREMES_CHILD";

/// Runs the ignored test `name` of this binary in a child process under [`CHILD_VMEM_KIB`];
/// returns whether it exited successfully and its stderr.
fn run_child(name: &str) -> (bool, String) {
    let exe = std::env::current_exe().expect("the test binary");
    let script = format!("ulimit -v {CHILD_VMEM_KIB} && exec \"$0\" \"$@\"");
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(exe)
        .args([
            name,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("spawn the child");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let ran = stdout.contains("running 1 test");
    assert!(ran, "the child ran no test: {stdout}\n{stderr}");
    (out.status.success(), format!("{stdout}\n{stderr}"))
}

/// Whether this process is a child started by [`run_child`].
fn is_child() -> bool {
    std::env::var_os(CHILD_ENV).is_some()
}

/// A small private pool, so that stats are exact.
fn small_pool() -> Pool {
    Pool::new(PoolConfig::new().min_chunk(64).max_chunk(4096)).expect("a valid config")
}

/// The pool still hands out and takes back chunks after an error, and counts them.
fn assert_pool_works(pool: &Pool) {
    let before = pool.stats();
    let mut chunk = pool.acquire(10).expect("a small chunk");
    assert!(chunk.capacity() >= 10);
    chunk[..5].copy_from_slice(b"hello");
    assert_eq!(&chunk[..5], b"hello");
    drop(chunk);
    let after = pool.stats();
    assert_eq!(after.acquired, before.acquired + 1);
    assert_eq!(after.outstanding_chunks, before.outstanding_chunks);
}

#[test]
fn acquire_zero_gives_at_least_one_byte() {
    let pool = small_pool();
    let chunk = pool.acquire(0).expect("size 0 is served");
    assert!(chunk.capacity() >= 1);
    assert_eq!(chunk.capacity(), pool.min_chunk());
    assert_eq!(pool.chunk_size_for(0), pool.min_chunk());
    assert_eq!(pool.acquire(1).unwrap().capacity(), pool.min_chunk());
}

#[test]
fn acquire_usize_max_is_too_large_and_changes_nothing() {
    let pool = small_pool();
    let before = pool.stats();
    for size in [
        usize::MAX,
        usize::MAX - 1,
        isize::MAX as usize + 1,
        isize::MAX as usize,
    ] {
        match pool.acquire(size) {
            Err(PoolError::TooLarge { requested }) => assert_eq!(requested, size),
            other => panic!("acquire({size}) gave {other:?}"),
        }
    }
    let after = pool.stats();
    assert_eq!(after.outstanding_chunks, before.outstanding_chunks);
    assert_eq!(after.outstanding_bytes, before.outstanding_bytes);
    assert_eq!(
        after.acquired, before.acquired,
        "a refused acquire hands out nothing"
    );
    assert_pool_works(&pool);
}

#[test]
fn global_pool_refuses_usize_max() {
    let pool = Pool::global();
    assert!(matches!(
        pool.acquire(usize::MAX),
        Err(PoolError::TooLarge { .. })
    ));
    assert!(matches!(
        pool.acquire(isize::MAX as usize),
        Err(PoolError::TooLarge { .. })
    ));
    assert!(pool.acquire(1).unwrap().capacity() >= 1);
}

#[test]
fn chunk_size_for_extremes_does_not_overflow() {
    let pool = small_pool();
    assert_eq!(pool.chunk_size_for(usize::MAX), usize::MAX);
    assert_eq!(pool.chunk_size_for(usize::MAX - 1), usize::MAX - 1);
    assert_eq!(pool.chunk_size_for(pool.max_chunk()), pool.max_chunk());
    assert_eq!(
        pool.chunk_size_for(pool.max_chunk() + 1),
        pool.max_chunk() + 1
    );
    assert_eq!(pool.chunk_size_for(pool.max_chunk() - 1), pool.max_chunk());
    assert_eq!(pool.chunk_size_for(1), 64);
    assert_eq!(pool.chunk_size_for(65), 128);
}

#[test]
fn just_above_the_largest_class_is_unpooled_and_exact() {
    let pool = small_pool();
    let chunk = pool.acquire(pool.max_chunk() + 1).unwrap();
    assert_eq!(chunk.capacity(), pool.max_chunk() + 1);
    assert!(!chunk.is_pooled());
    let chunk = pool.acquire(pool.max_chunk()).unwrap();
    assert_eq!(chunk.capacity(), pool.max_chunk());
    assert!(chunk.is_pooled());
}

/// `Pool::new` on `config` must answer: `Ok` or `InvalidConfig`. Returns the answer.
fn new_answers(config: PoolConfig) -> Result<Pool, PoolError> {
    let result = Pool::new(config);
    if let Err(e) = &result {
        assert!(
            matches!(e, PoolError::InvalidConfig(_)),
            "{config:?}: {e:?}"
        );
        assert!(!e.to_string().is_empty());
    }
    result
}

#[test]
fn min_chunk_out_of_range_is_invalid_config() {
    for min in [
        0,
        1,
        2,
        32,
        63,
        100,
        4095,
        4097,
        usize::MAX,
        usize::MAX - 1,
        isize::MAX as usize,
    ] {
        let result = new_answers(PoolConfig::new().min_chunk(min));
        assert!(
            result.is_err(),
            "min_chunk({min}) is documented as out of range"
        );
    }
    assert_eq!(
        new_answers(PoolConfig::new().min_chunk(64))
            .unwrap()
            .min_chunk(),
        64
    );
}

#[test]
fn max_chunk_out_of_range_is_invalid_config() {
    for max in [
        0,
        1,
        100,
        (1 << 30) + 1,
        1 << 31,
        usize::MAX,
        usize::MAX - 1,
        isize::MAX as usize,
        (isize::MAX as usize) + 1,
    ] {
        let result = new_answers(PoolConfig::new().max_chunk(max));
        assert!(
            result.is_err(),
            "max_chunk({max}) is documented as out of range"
        );
    }
    // At most 1 GiB: 1 GiB itself is in range.
    let pool = new_answers(PoolConfig::new().max_chunk(1 << 30)).unwrap();
    assert_eq!(pool.max_chunk(), 1 << 30);
    assert_eq!(pool.chunk_size_for((1 << 30) - 1), 1 << 30);
}

#[test]
fn min_above_max_is_invalid_config() {
    let result = new_answers(PoolConfig::new().min_chunk(8192).max_chunk(4096));
    assert!(result.is_err(), "min_chunk above max_chunk");
    // min == max: one class.
    let pool = new_answers(PoolConfig::new().min_chunk(4096).max_chunk(4096)).unwrap();
    assert_eq!(pool.acquire(0).unwrap().capacity(), 4096);
    assert_eq!(pool.acquire(4097).unwrap().capacity(), 4097);
}

#[test]
fn smallest_and_largest_class_span_works() {
    let pool = new_answers(PoolConfig::new().min_chunk(64).max_chunk(1 << 30)).unwrap();
    assert_eq!(pool.acquire(1).unwrap().capacity(), 64);
    assert_eq!(pool.chunk_size_for((1 << 29) + 1), 1 << 30);
    assert_eq!(pool.chunk_size_for((1 << 30) + 1), (1 << 30) + 1);
}

#[test]
fn idle_and_cache_limits_of_zero_work() {
    let pool = new_answers(
        PoolConfig::new()
            .min_chunk(64)
            .max_chunk(4096)
            .idle_bytes_per_class(0)
            .thread_cache_bytes(0),
    )
    .unwrap();
    assert_pool_works(&pool);
    // "at least one chunk": a returned chunk may be kept, and a trim frees what is idle.
    drop(pool.acquire(64).unwrap());
    let again = pool.acquire(64).unwrap();
    assert_eq!(again.capacity(), 64);
    drop(again);
    let freed = pool.trim();
    assert!(
        freed <= 1,
        "at most one idle chunk per class was kept, freed {freed}"
    );
    assert_eq!(pool.stats().idle_chunks, 0);
}

#[test]
fn idle_and_cache_limits_of_one_byte_work() {
    let pool = new_answers(
        PoolConfig::new()
            .min_chunk(64)
            .max_chunk(4096)
            .idle_bytes_per_class(1)
            .thread_cache_bytes(1),
    )
    .unwrap();
    assert_pool_works(&pool);
}

#[test]

fn huge_idle_bytes_per_class_answers_in_a_child() {
    let (ok, out) = run_child("child_huge_idle_bytes_per_class_entry");
    assert!(
        ok,
        "Pool::new with idle_bytes_per_class(usize::MAX) did not answer:\n{out}"
    );
}

#[test]

fn huge_thread_cache_bytes_answers_in_a_child() {
    let (ok, out) = run_child("child_huge_thread_cache_bytes_entry");
    assert!(
        ok,
        "Pool::new with thread_cache_bytes(usize::MAX) did not answer:\n{out}"
    );
}

#[test]
fn unpooled_terabyte_is_refused_in_a_child() {
    let (ok, out) = run_child("child_unpooled_terabyte_entry");
    assert!(
        ok,
        "acquire(1 TiB) under a 4 GiB limit did not answer TooLarge:\n{out}"
    );
}

/// `idle_bytes_per_class(usize::MAX)`: a valid value by the docs (no upper bound is stated);
/// `Pool::new` must answer, and the pool must work.
fn child_huge_idle_bytes_per_class() {
    for bytes in [usize::MAX, isize::MAX as usize, 1 << 50] {
        let config = PoolConfig::new().idle_bytes_per_class(bytes);
        if let Ok(pool) = new_answers(config) {
            assert_pool_works(&pool);
        }
    }
}

/// `thread_cache_bytes(usize::MAX)`: as above, for the per-thread cache.
fn child_huge_thread_cache_bytes() {
    for bytes in [usize::MAX, isize::MAX as usize, 1 << 50] {
        let config = PoolConfig::new().thread_cache_bytes(bytes);
        if let Ok(pool) = new_answers(config) {
            assert_pool_works(&pool);
            // Many returns into the cache.
            let chunks: Vec<_> = (0..64).map(|_| pool.acquire(4096).unwrap()).collect();
            drop(chunks);
            assert_pool_works(&pool);
        }
    }
}

#[test]
#[ignore = "child process of huge_idle_bytes_per_class_answers_in_a_child"]
fn child_huge_idle_bytes_per_class_entry() {
    if is_child() {
        child_huge_idle_bytes_per_class();
    }
}

#[test]
#[ignore = "child process of huge_thread_cache_bytes_answers_in_a_child"]
fn child_huge_thread_cache_bytes_entry() {
    if is_child() {
        child_huge_thread_cache_bytes();
    }
}

#[test]
#[ignore = "child process of unpooled_terabyte_is_refused_in_a_child"]
fn child_unpooled_terabyte_entry() {
    if !is_child() {
        return;
    }
    let pool = small_pool();
    let before = pool.stats();
    match pool.acquire(1 << 40) {
        Err(PoolError::TooLarge { requested }) => assert_eq!(requested, 1 << 40),
        Ok(chunk) => panic!("a 1 TiB chunk under a 4 GiB limit: {}", chunk.capacity()),
        Err(e) => panic!("{e:?}"),
    }
    assert_eq!(pool.stats().outstanding_chunks, before.outstanding_chunks);
    assert_pool_works(&pool);
}
