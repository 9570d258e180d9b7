//! The pool: size classes, one bounded lock-free queue of idle chunks per class, stats.
//!
//! Invariants:
//! - Class `i` holds chunks of exactly `min_chunk << i` bytes; a chunk's capacity says its class.
//! - A class queue never holds more than `idle_bytes_per_class / class_size` chunks (at least
//!   one); a chunk that does not fit is freed.
//! - Every chunk handed out is counted `acquired` once and `returned` once, so
//!   `acquired - returned` is the number outstanding.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock};

use crossbeam_queue::ArrayQueue;

use crate::cache;
use crate::chunk::Chunk;
use crate::stats::{self, Counter, PoolStats, Shard};

/// How a [`Pool`] sizes and bounds its chunks: a builder, so that settings can be added
/// without breaking code. [`Pool::new`] checks it (each field's range, and `min_chunk` at most
/// `max_chunk`; equal gives a single class).
///
/// ```
/// use chunk_pool::{Pool, PoolConfig};
/// let pool = Pool::new(PoolConfig::new().min_chunk(1024).max_chunk(64 * 1024))?;
/// assert_eq!(pool.acquire(1)?.capacity(), 1024);
/// assert_eq!(pool.acquire(1025)?.capacity(), 2048);
/// # Ok::<(), chunk_pool::PoolError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolConfig {
    /// The smallest class, in bytes: a power of two, at least 64.
    min_chunk: usize,
    /// The largest class, in bytes: a power of two, at most 1 GiB.
    max_chunk: usize,
    /// Idle bytes each class keeps at most in its shared queue (at least one chunk).
    idle_bytes_per_class: usize,
    /// Idle bytes each thread keeps at most per class in its front cache (0: no cache).
    thread_cache_bytes: usize,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            min_chunk: 4 * 1024,
            max_chunk: 1024 * 1024,
            idle_bytes_per_class: 4 * 1024 * 1024,
            thread_cache_bytes: 256 * 1024,
        }
    }
}

impl PoolConfig {
    /// The defaults: classes from 4 KiB to 1 MiB, 4 MiB idle per class, 256 KiB per thread
    /// cache and class.
    ///
    /// ```
    /// let pool = chunk_pool::Pool::new(chunk_pool::PoolConfig::new())?;
    /// assert_eq!(pool.min_chunk(), 4096);
    /// # Ok::<(), chunk_pool::PoolError>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The smallest class, in bytes: a power of two, at least 64. Default 4 KiB.
    ///
    /// ```
    /// let pool = chunk_pool::Pool::new(chunk_pool::PoolConfig::new().min_chunk(64))?;
    /// assert_eq!(pool.acquire(1)?.capacity(), 64);
    /// # Ok::<(), chunk_pool::PoolError>(())
    /// ```
    #[must_use]
    pub fn min_chunk(mut self, bytes: usize) -> Self {
        self.min_chunk = bytes;
        self
    }

    /// The largest class, in bytes: a power of two, at most 1 GiB. Requests above it get
    /// unpooled chunks. Default 1 MiB.
    ///
    /// ```
    /// let pool = chunk_pool::Pool::new(chunk_pool::PoolConfig::new().max_chunk(8192))?;
    /// assert_eq!(pool.max_chunk(), 8192);
    /// # Ok::<(), chunk_pool::PoolError>(())
    /// ```
    #[must_use]
    pub fn max_chunk(mut self, bytes: usize) -> Self {
        self.max_chunk = bytes;
        self
    }

    /// Idle bytes each class keeps at most in its shared queue (at least one chunk). Default
    /// 4 MiB. Each class's queue is made with the pool, about 24 bytes for every chunk it may
    /// hold, so [`Pool::new`] refuses more than 2^24 chunks of `min_chunk` (1 GiB of 64-byte
    /// chunks, 64 GiB of 4 KiB ones) with [`PoolError::InvalidConfig`].
    ///
    /// ```
    /// let config = chunk_pool::PoolConfig::new().idle_bytes_per_class(1 << 20);
    /// assert!(chunk_pool::Pool::new(config).is_ok());
    /// ```
    #[must_use]
    pub fn idle_bytes_per_class(mut self, bytes: usize) -> Self {
        self.idle_bytes_per_class = bytes;
        self
    }

    /// Idle bytes each thread keeps at most per class in its private front cache (0 turns the
    /// cache off; otherwise at least one chunk). Default 256 KiB. The cache grows as chunks
    /// come back to it, so a large value costs nothing up front (`usize::MAX`: no limit).
    ///
    /// ```
    /// let config = chunk_pool::PoolConfig::new().thread_cache_bytes(0);
    /// assert!(chunk_pool::Pool::new(config).is_ok());
    /// ```
    #[must_use]
    pub fn thread_cache_bytes(mut self, bytes: usize) -> Self {
        self.thread_cache_bytes = bytes;
        self
    }
}

/// Why a pool call failed.
///
/// ```
/// use chunk_pool::{Pool, PoolConfig, PoolError};
/// let err = Pool::new(PoolConfig::new().min_chunk(100)).unwrap_err();
/// assert!(matches!(err, PoolError::InvalidConfig(_)));
/// assert_eq!(
///     err.to_string(),
///     "invalid pool configuration: min_chunk must be a power of two of at least 64"
/// );
/// let err = Pool::global().acquire(usize::MAX).unwrap_err();
/// assert_eq!(err, PoolError::TooLarge { requested: usize::MAX });
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PoolError {
    /// The configuration is not usable; the text says which field and why.
    InvalidConfig(&'static str),
    /// The requested size cannot be allocated (larger than `isize::MAX`, or the allocator said no).
    TooLarge {
        /// The size asked for.
        requested: usize,
    },
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::InvalidConfig(why) => write!(f, "invalid pool configuration: {why}"),
            PoolError::TooLarge { requested } => {
                write!(f, "cannot allocate a chunk of {requested} bytes")
            }
        }
    }
}

impl std::error::Error for PoolError {}

/// A pool of byte chunks. Cloning is cheap and shares the pool.
///
/// See the [crate docs](crate) for the design. [`Pool::global`] is the process-wide default.
/// When the last handle to a user-made pool drops, the pool closes: its idle chunks are freed
/// (the shared queues' and this thread's cache at once, another live thread's cache the next
/// time that thread starts using a pool it has not used before, or when it exits), and chunks
/// still out are freed when they drop.
///
/// A thread's cache is private: while the thread lives, other threads' `acquire`s do not see
/// its idle chunks. When the thread exits, its cache goes to the shared queues (freed where a
/// queue is full).
///
/// ```
/// use chunk_pool::{Pool, PoolConfig};
/// let pool = Pool::new(PoolConfig::default())?;
/// let handle = pool.clone();
/// drop(handle.acquire(100)?);
/// assert_eq!(pool.stats().acquired, 1); // counted by the one pool both handles share
/// # Ok::<(), chunk_pool::PoolError>(())
/// ```
#[derive(Clone)]
pub struct Pool {
    pub(crate) inner: Arc<Inner>,
    /// Closes the pool when the last handle drops.
    _open: Arc<Open>,
}

/// Held by every `Pool` handle (not by chunks or caches): its drop closes the pool.
struct Open(Arc<Inner>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.closed.store(true, Relaxed);
        // This thread's cache goes first: its chunks pass through `stash` into the queues.
        cache::forget(&self.0);
        let freed = self.0.drain_queues();
        self.0.shared.add_shared(Counter::Freed, freed);
        // If chunks can still come back (some are out, or idle in other threads' caches), every
        // queue is then filled with empty boxes (no memory): a chunk returned from now on finds
        // its queue full and is freed at once, with nothing added to the return path (a check
        // for `closed` there cost the RESP server 5-13 instructions a request and the pool's
        // acquire+release 18% of its speed). Nothing takes them out: no handle is left to
        // acquire with. The fill costs a push a slot (about 7 ns: 15 us for the default
        // classes); a pool closed with every chunk back skips it. A chunk returned while the
        // close runs may stay queued until the pool's shared state goes with its last chunk.
        let left = self.0.stats();
        if left.outstanding_chunks > 0 || left.idle_chunks > 0 {
            for queue in self.0.classes.iter() {
                while queue.push(Box::default()).is_ok() {}
            }
        }
    }
}

/// The shared state of a pool. Chunks and thread caches keep it alive through `Arc`s.
pub(crate) struct Inner {
    /// Unique for the life of the process: thread caches find their entry by it.
    pub(crate) id: u64,
    /// `log2(min_chunk)`.
    min_shift: u32,
    pub(crate) max_chunk: usize,
    /// Chunks each thread cache keeps per class (index = class); 0 = no thread cache.
    pub(crate) thread_cache_slots: Box<[usize]>,
    /// Idle chunks per class; each queue's capacity is that class's retention cap. Once the
    /// pool has closed, each queue is full of empty boxes, so returned chunks are freed.
    classes: Box<[ArrayQueue<Box<[u8]>>]>,
    /// One counter shard per thread that has used the pool; summed by `stats`.
    pub(crate) shards: Mutex<Vec<Arc<Shard>>>,
    /// Counters for paths that run without a thread's own shard.
    pub(crate) shared: Shard,
    /// Set when the last `Pool` handle dropped: caches let go of the pool's chunks.
    pub(crate) closed: AtomicBool,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The most chunks a class's shared queue may hold (see
/// [`PoolConfig::idle_bytes_per_class`]): the queue is allocated whole when the pool is made.
const MAX_IDLE_CHUNKS: usize = 1 << 24;

impl Pool {
    /// Makes a pool; fails if the configuration is out of range.
    ///
    /// ```
    /// use chunk_pool::{Pool, PoolConfig};
    /// let pool = Pool::new(PoolConfig::new().min_chunk(64).max_chunk(1024))?;
    /// assert_eq!((pool.min_chunk(), pool.max_chunk()), (64, 1024));
    /// assert!(Pool::new(PoolConfig::new().min_chunk(2048).max_chunk(1024)).is_err());
    /// # Ok::<(), chunk_pool::PoolError>(())
    /// ```
    pub fn new(config: PoolConfig) -> Result<Pool, PoolError> {
        let PoolConfig {
            min_chunk,
            max_chunk,
            idle_bytes_per_class,
            thread_cache_bytes,
        } = config;
        if !min_chunk.is_power_of_two() || min_chunk < 64 {
            return Err(PoolError::InvalidConfig(
                "min_chunk must be a power of two of at least 64",
            ));
        }
        if !max_chunk.is_power_of_two() || max_chunk > 1 << 30 {
            return Err(PoolError::InvalidConfig(
                "max_chunk must be a power of two of at most 1 GiB",
            ));
        }
        if min_chunk > max_chunk {
            return Err(PoolError::InvalidConfig(
                "min_chunk must not exceed max_chunk",
            ));
        }
        // The class queues are allocated here, whole: a bound instead of an allocation that
        // aborts the process.
        if idle_bytes_per_class / min_chunk > MAX_IDLE_CHUNKS {
            return Err(PoolError::InvalidConfig(
                "idle_bytes_per_class must hold at most 2^24 chunks of min_chunk",
            ));
        }
        let min_shift = min_chunk.trailing_zeros();
        let count = (max_chunk.trailing_zeros() - min_shift + 1) as usize;
        let sizes = (0..count).map(|i| min_chunk << i);
        let classes = sizes
            .clone()
            .map(|size| ArrayQueue::new((idle_bytes_per_class / size).max(1)))
            .collect();
        let thread_cache_slots = sizes
            .map(|size| match thread_cache_bytes {
                0 => 0,
                bytes => (bytes / size).max(1),
            })
            .collect();
        let inner = Arc::new(Inner {
            id: NEXT_ID.fetch_add(1, Relaxed),
            min_shift,
            max_chunk,
            thread_cache_slots,
            classes,
            shards: Mutex::new(Vec::new()),
            shared: Shard::default(),
            closed: AtomicBool::new(false),
        });
        Ok(Pool {
            _open: Arc::new(Open(inner.clone())),
            inner,
        })
    }

    /// The process-wide default pool, made with [`PoolConfig::default`] on first use.
    ///
    /// ```
    /// use chunk_pool::Pool;
    /// assert!(std::ptr::eq(Pool::global(), Pool::global())); // one pool for the process
    /// assert_eq!((Pool::global().min_chunk(), Pool::global().max_chunk()), (4096, 1 << 20));
    /// ```
    pub fn global() -> &'static Pool {
        static GLOBAL: OnceLock<Pool> = OnceLock::new();
        GLOBAL
            .get_or_init(|| Pool::new(PoolConfig::default()).expect("the default config is valid"))
    }

    /// Hands out a chunk of at least `size` bytes (at least one byte for `size == 0`).
    ///
    /// Sizes up to the largest class are rounded up to their class and served from idle chunks
    /// when this thread's cache or the class's shared queue holds any. Larger sizes get an
    /// unpooled chunk of exactly `size` bytes, freed when dropped; if that allocation is
    /// impossible the call fails with [`PoolError::TooLarge`] rather than aborting (and is not
    /// counted in [`stats`](Pool::stats)). A reused chunk holds whatever its last user wrote.
    ///
    /// ```
    /// let pool = chunk_pool::Pool::new(chunk_pool::PoolConfig::default())?;
    /// let mut chunk = pool.acquire(0)?;
    /// assert_eq!(chunk.capacity(), 4096); // the smallest class
    /// chunk[0] = 7;
    /// drop(chunk);
    /// let again = pool.acquire(100)?;
    /// assert_eq!(again[0], 7); // the same memory, as its last user left it
    /// assert_eq!(pool.stats().reused, 1);
    /// # Ok::<(), chunk_pool::PoolError>(())
    /// ```
    #[inline]
    pub fn acquire(&self, size: usize) -> Result<Chunk, PoolError> {
        let Some(class) = self.inner.class_of(size) else {
            return self.acquire_unpooled(size);
        };
        let inner = &self.inner;
        let from_cache = cache::with_local(inner, |local| {
            let chunk = local.take(class);
            local.shard.add_owned(Counter::Acquired, 1);
            let bytes = inner.class_size(class) as u64;
            local.shard.add_owned(Counter::AcquiredBytes, bytes);
            match chunk {
                Some(chunk) => {
                    local.shard.add_owned(Counter::Reused, 1);
                    Some(chunk)
                }
                None => None,
            }
        });
        match from_cache {
            Some(Some((buf, home))) => Ok(Chunk::new(buf, home)),
            // Counted as acquired on this thread's shard; find or make the memory.
            Some(None) => Ok(self.acquire_slow(class, |c| cache::count_here(inner, c))),
            None => {
                let shard = &inner.shared;
                shard.add_shared(Counter::Acquired, 1);
                shard.add_shared(Counter::AcquiredBytes, inner.class_size(class) as u64);
                Ok(self.acquire_slow(class, |c| shard.add_shared(c, 1)))
            }
        }
    }

    /// Takes back the memory of a dropped chunk (its `Drop` calls this): the policy that
    /// mirrors [`acquire`](Pool::acquire). Into this thread's cache if its class has room and
    /// the pool is open, else into the class queue, else to the allocator. Counted as returned
    /// on this thread's shard (or the shared one during thread teardown).
    #[inline]
    pub(crate) fn recycle(buf: Box<[u8]>, home: Arc<Inner>) {
        let bytes = buf.len() as u64;
        let class = home.class_of_capacity(buf.len());
        let cached = cache::with_local_owned((buf, home), |local, idle| {
            local.shard.add_owned(Counter::Returned, 1);
            local.shard.add_owned(Counter::ReturnedBytes, bytes);
            let kept = match class {
                Some(c) if !idle.1.closed.load(Relaxed) => local.put(c, idle),
                _ => Err(idle),
            };
            // Overflow goes to the shared queue once the thread's entry is no longer borrowed:
            // dropping the last pool reference there could re-enter the cache.
            kept.map_err(|idle| (idle, local.shard.clone()))
        });
        match cached {
            Ok(Ok(())) => {}
            Ok(Err(((buf, home), shard))) => home.stash(buf, |c| shard.add_owned(c, 1)),
            Err((buf, home)) => {
                home.shared.add_shared(Counter::Returned, 1);
                home.shared.add_shared(Counter::ReturnedBytes, bytes);
                home.stash(buf, |c| home.shared.add_shared(c, 1));
            }
        }
    }

    /// Takes an idle chunk from the class queue, or allocates one.
    fn acquire_slow(&self, class: usize, count: impl Fn(Counter)) -> Chunk {
        let buf = match self.inner.classes[class].pop() {
            Some(buf) => {
                count(Counter::Reused);
                buf
            }
            None => {
                count(Counter::Allocated);
                vec![0u8; self.inner.class_size(class)].into_boxed_slice()
            }
        };
        Chunk::new(buf, self.inner.clone())
    }

    fn acquire_unpooled(&self, size: usize) -> Result<Chunk, PoolError> {
        let mut buf = Vec::new();
        buf.try_reserve_exact(size)
            .map_err(|_| PoolError::TooLarge { requested: size })?;
        buf.resize(size, 0);
        let inner = &self.inner;
        for (c, n) in [
            (Counter::Acquired, 1),
            (Counter::Allocated, 1),
            (Counter::AcquiredBytes, size as u64),
        ] {
            inner.shared.add_shared(c, n);
        }
        Ok(Chunk::new(buf.into_boxed_slice(), inner.clone()))
    }

    /// Frees the idle chunks of every class queue and of the calling thread's cache.
    ///
    /// Other threads' caches are private to them; each holds at most
    /// [`PoolConfig::thread_cache_bytes`] per class and is emptied when its thread exits.
    /// Returns the number of chunks freed.
    ///
    /// ```
    /// let pool = chunk_pool::Pool::new(chunk_pool::PoolConfig::default())?;
    /// let (a, b) = (pool.acquire(10)?, pool.acquire(10)?);
    /// drop((a, b));
    /// assert_eq!(pool.stats().idle_chunks, 2);
    /// assert_eq!(pool.trim(), 2);
    /// assert_eq!(pool.stats().idle_chunks, 0);
    /// # Ok::<(), chunk_pool::PoolError>(())
    /// ```
    pub fn trim(&self) -> u64 {
        let freed = cache::trim_local(&self.inner) + self.inner.drain_queues();
        self.inner.shared.add_shared(Counter::Freed, freed);
        freed
    }

    /// A snapshot of the pool's counters.
    ///
    /// ```
    /// let pool = chunk_pool::Pool::new(chunk_pool::PoolConfig::default())?;
    /// let chunk = pool.acquire(5000)?;
    /// let stats = pool.stats();
    /// assert_eq!((stats.acquired, stats.allocated), (1, 1));
    /// assert_eq!(stats.outstanding_bytes, 8192);
    /// drop(chunk);
    /// assert_eq!(pool.stats().returned, 1);
    /// # Ok::<(), chunk_pool::PoolError>(())
    /// ```
    pub fn stats(&self) -> PoolStats {
        self.inner.stats()
    }

    /// The capacity a request of `size` bytes gets: its class size, or `size` itself above the
    /// largest class.
    ///
    /// ```
    /// use chunk_pool::{Pool, PoolConfig};
    /// let pool = Pool::new(PoolConfig::new().min_chunk(64).max_chunk(1024))?;
    /// assert_eq!(pool.chunk_size_for(0), 64);
    /// assert_eq!(pool.chunk_size_for(100), 128);
    /// assert_eq!(pool.chunk_size_for(5000), 5000); // above the largest class: as asked
    /// assert_eq!(pool.acquire(100)?.capacity(), pool.chunk_size_for(100));
    /// # Ok::<(), chunk_pool::PoolError>(())
    /// ```
    pub fn chunk_size_for(&self, size: usize) -> usize {
        match self.inner.class_of(size) {
            Some(class) => self.inner.class_size(class),
            None => size,
        }
    }

    /// The largest pooled chunk size.
    ///
    /// ```
    /// let pool = chunk_pool::Pool::new(chunk_pool::PoolConfig::new().max_chunk(8192))?;
    /// assert_eq!(pool.max_chunk(), 8192);
    /// assert!(pool.acquire(pool.max_chunk())?.is_pooled());
    /// assert!(!pool.acquire(pool.max_chunk() + 1)?.is_pooled());
    /// # Ok::<(), chunk_pool::PoolError>(())
    /// ```
    pub fn max_chunk(&self) -> usize {
        self.inner.max_chunk
    }

    /// The smallest chunk size.
    ///
    /// ```
    /// let pool = chunk_pool::Pool::new(chunk_pool::PoolConfig::new().min_chunk(256))?;
    /// assert_eq!(pool.min_chunk(), 256);
    /// assert_eq!(pool.acquire(1)?.capacity(), 256);
    /// # Ok::<(), chunk_pool::PoolError>(())
    /// ```
    pub fn min_chunk(&self) -> usize {
        1 << self.inner.min_shift
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("id", &self.inner.id)
            .field("min_chunk", &self.min_chunk())
            .field("max_chunk", &self.inner.max_chunk)
            .finish_non_exhaustive()
    }
}

impl Inner {
    /// The class serving `size`, or `None` above the largest class.
    #[inline]
    pub(crate) fn class_of(&self, size: usize) -> Option<usize> {
        if size > self.max_chunk {
            return None;
        }
        let rounded = size.max(1).next_power_of_two().max(1 << self.min_shift);
        Some((rounded.trailing_zeros() - self.min_shift) as usize)
    }

    /// The class of a chunk of exactly `capacity` bytes, or `None` for an unpooled chunk.
    #[inline]
    pub(crate) fn class_of_capacity(&self, capacity: usize) -> Option<usize> {
        let class = capacity.trailing_zeros().wrapping_sub(self.min_shift) as usize;
        (capacity.is_power_of_two() && class < self.classes.len()).then_some(class)
    }

    #[inline]
    pub(crate) fn class_size(&self, class: usize) -> usize {
        1 << (self.min_shift as usize + class)
    }

    /// Where the memory of a returned chunk goes when no thread cache takes it: its class queue,
    /// or the allocator if the queue is full or the chunk is unpooled (or the pool has closed:
    /// its queues are then kept full, see [`Open`]). Counts a free on `count`.
    pub(crate) fn stash(&self, buf: Box<[u8]>, count: impl FnOnce(Counter)) {
        let Some(class) = self.class_of_capacity(buf.len()) else {
            return count(Counter::Freed);
        };
        if self.classes[class].push(buf).is_err() {
            count(Counter::Freed);
        }
    }

    /// The counters summed over every shard.
    fn stats(&self) -> PoolStats {
        let shards = self.shards.lock().unwrap_or_else(|e| e.into_inner());
        stats::sum(shards.iter().map(|s| &**s).chain([&self.shared]))
    }

    /// Frees every idle chunk of the class queues; returns how many.
    fn drain_queues(&self) -> u64 {
        let mut freed = 0;
        for queue in self.classes.iter() {
            while queue.pop().is_some() {
                freed += 1;
            }
        }
        freed
    }
}
