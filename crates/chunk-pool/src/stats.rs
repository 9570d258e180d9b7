//! Pool statistics: per-thread counter shards summed on demand.
//!
//! Each thread that uses a pool owns one [`Shard`] of counters and is its only writer, so the hot
//! path bumps a counter with a plain load and store instead of a locked read-modify-write, and two
//! threads never share a cache line. Paths that run without a thread's shard (a thread-local being
//! torn down) use the pool's shared shard with atomic adds.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// One set of counters. Either written by one thread only ([`Shard::add_owned`]) or shared
/// ([`Shard::add_shared`]); never both.
#[derive(Default)]
pub(crate) struct Shard {
    counters: [AtomicU64; Counter::COUNT],
}

#[derive(Clone, Copy)]
pub(crate) enum Counter {
    Acquired,
    Reused,
    Allocated,
    Returned,
    Freed,
    AcquiredBytes,
    ReturnedBytes,
}

impl Counter {
    const COUNT: usize = 7;
}

impl Shard {
    /// Adds `n` to a counter of a shard that only the calling thread writes.
    #[inline]
    pub(crate) fn add_owned(&self, c: Counter, n: u64) {
        let cell = &self.counters[c as usize];
        cell.store(cell.load(Relaxed).wrapping_add(n), Relaxed);
    }

    /// Adds `n` to a counter of a shard that several threads may write.
    pub(crate) fn add_shared(&self, c: Counter, n: u64) {
        self.counters[c as usize].fetch_add(n, Relaxed);
    }
}

/// A snapshot of a pool's counters.
///
/// Counters only grow; the `outstanding_*` fields are derived from them. Under concurrent use a
/// snapshot is taken counter by counter, so it may be a moment out of step, its fields with
/// each other too (`outstanding_bytes` above 0 with `outstanding_chunks` at 0, say; the derived
/// fields never go below 0); at rest it is exact.
///
/// ```
/// use chunk_pool::{Pool, PoolConfig, PoolStats};
/// let pool = Pool::new(PoolConfig::default())?;
/// assert_eq!(pool.stats(), PoolStats::default()); // nothing counted yet
/// let chunk = pool.acquire(100)?;
/// let stats = pool.stats();
/// assert_eq!((stats.outstanding_chunks, stats.outstanding_bytes), (1, 4096));
/// drop(chunk);
/// let stats = pool.stats();
/// assert_eq!((stats.returned, stats.outstanding_chunks, stats.idle_chunks), (1, 0, 1));
/// # Ok::<(), chunk_pool::PoolError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolStats {
    /// Chunks handed out by `acquire`, pooled or not.
    pub acquired: u64,
    /// Acquisitions served from idle chunks (a thread cache or a class queue).
    pub reused: u64,
    /// Chunks allocated from the system allocator.
    pub allocated: u64,
    /// Chunks given back (dropped by their last owner).
    pub returned: u64,
    /// Chunks given back to the system allocator: returned to a full class, trimmed, or unpooled.
    pub freed: u64,
    /// Chunks handed out and not yet returned.
    pub outstanding_chunks: u64,
    /// Capacity in bytes of the chunks handed out and not yet returned.
    pub outstanding_bytes: u64,
    /// Chunks allocated, not freed and not outstanding: idle in a queue or a thread cache.
    pub idle_chunks: u64,
}

pub(crate) fn sum<'a>(shards: impl IntoIterator<Item = &'a Shard>) -> PoolStats {
    let mut t = [0u64; Counter::COUNT];
    for shard in shards {
        for (i, slot) in t.iter_mut().enumerate() {
            *slot = slot.wrapping_add(shard.counters[i].load(Relaxed));
        }
    }
    let acquired = t[Counter::Acquired as usize];
    let returned = t[Counter::Returned as usize];
    let allocated = t[Counter::Allocated as usize];
    let freed = t[Counter::Freed as usize];
    let outstanding_chunks = acquired.saturating_sub(returned);
    PoolStats {
        acquired,
        reused: t[Counter::Reused as usize],
        allocated,
        returned,
        freed,
        outstanding_chunks,
        outstanding_bytes: t[Counter::AcquiredBytes as usize]
            .saturating_sub(t[Counter::ReturnedBytes as usize]),
        idle_chunks: allocated
            .saturating_sub(freed)
            .saturating_sub(outstanding_chunks),
    }
}
