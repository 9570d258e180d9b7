//! A chunk: a fixed-capacity byte buffer on loan from a pool.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use crate::pool::{Inner, Pool};

/// A fixed-capacity byte buffer from a [`Pool`](crate::Pool).
///
/// It derefs to `[u8]` of exactly [`capacity`](Chunk::capacity) bytes. Its memory goes back to
/// the pool it came from when it is dropped, on whichever thread drops it.
///
/// ```
/// let pool = chunk_pool::Pool::global();
/// let mut chunk = pool.acquire(10)?;
/// chunk[0] = 42;
/// assert_eq!(chunk[0], 42);
/// assert_eq!(chunk.capacity(), pool.min_chunk());
/// # Ok::<(), chunk_pool::PoolError>(())
/// ```
pub struct Chunk {
    /// The memory; empty only after `drop` has handed it back.
    buf: Box<[u8]>,
    /// The pool the memory returns to; `None` only after `drop` has handed it back.
    home: Option<Arc<Inner>>,
}

impl Chunk {
    pub(crate) fn new(buf: Box<[u8]>, home: Arc<Inner>) -> Chunk {
        Chunk {
            buf,
            home: Some(home),
        }
    }

    /// The number of bytes the chunk holds.
    ///
    /// ```
    /// let chunk = chunk_pool::Pool::global().acquire(5000)?;
    /// assert_eq!(chunk.capacity(), 8192); // 5000 rounded up to its class
    /// assert_eq!(chunk.len(), chunk.capacity());
    /// # Ok::<(), chunk_pool::PoolError>(())
    /// ```
    #[inline]
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Whether the chunk belongs to a size class, so it may be kept for reuse when dropped (in
    /// this thread's cache or its class queue); false for chunks above the largest class.
    ///
    /// ```
    /// let pool = chunk_pool::Pool::new(chunk_pool::PoolConfig::new().max_chunk(8192))?;
    /// assert!(pool.acquire(8192)?.is_pooled());
    /// let big = pool.acquire(8193)?; // above the largest class
    /// assert!(!big.is_pooled());
    /// assert_eq!(big.capacity(), 8193);
    /// # Ok::<(), chunk_pool::PoolError>(())
    /// ```
    pub fn is_pooled(&self) -> bool {
        self.home
            .as_ref()
            .is_some_and(|h| self.buf.len() <= h.max_chunk)
    }
}

impl Deref for Chunk {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        &self.buf
    }
}

impl DerefMut for Chunk {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.buf
    }
}

impl AsRef<[u8]> for Chunk {
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl AsMut<[u8]> for Chunk {
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.buf
    }
}

impl fmt::Debug for Chunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chunk")
            .field("capacity", &self.buf.len())
            .finish_non_exhaustive()
    }
}

impl Drop for Chunk {
    #[inline]
    fn drop(&mut self) {
        if let Some(home) = self.home.take() {
            Pool::recycle(std::mem::take(&mut self.buf), home);
        }
    }
}
