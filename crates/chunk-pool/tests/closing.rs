//! A user-made pool frees its memory when its last handle drops, thread caches included.
//! (Found by fuzzing: a process making many short-lived pools kept every pool's cached chunks.)
//! Measured with a counting allocator, in a test binary of its own.

use std::alloc::System;

use chunk_pool::{Pool, PoolConfig};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn live_bytes() -> i64 {
    let s = INSTRUMENTED_SYSTEM.stats();
    s.bytes_allocated as i64 - s.bytes_deallocated as i64 + s.bytes_reallocated as i64
}

#[test]
fn dropped_pools_leave_nothing_behind() {
    let before = live_bytes();
    for _ in 0..100 {
        let pool = Pool::new(PoolConfig::default()).unwrap();
        let chunks: Vec<_> = (0..8).map(|_| pool.acquire(64 * 1024).unwrap()).collect();
        drop(chunks); // four go to this thread's cache, four to the class queue
        drop(pool);
    }
    // A chunk that outlives its pool is freed when it drops.
    let pool = Pool::new(PoolConfig::default()).unwrap();
    let late = pool.acquire(64 * 1024).unwrap();
    drop(pool);
    drop(late);
    let leaked = live_bytes() - before;
    // 100 pools each caching 512 KiB would be 50 MiB; allow a little bookkeeping.
    assert!(leaked < 64 * 1024, "{leaked} bytes still allocated");
}
