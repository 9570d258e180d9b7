//! A bounded, lock-free pool of byte chunks.
//!
//! `chunk-pool` hands out [`Chunk`]s: fixed-capacity, initialised byte buffers in power-of-two
//! size classes. A chunk goes back to the pool it came from when it is dropped, on whatever
//! thread drops it, exactly once. Idle chunks wait in one bounded
//! [`crossbeam_queue::ArrayQueue`] per size class, behind a small per-thread front cache, so the
//! common acquire/release pair touches no shared memory at all.
//!
//! Memory is bounded: each class keeps at most a configured number of idle bytes, a chunk
//! returned to a full class is freed, and [`Pool::trim`] frees idle chunks on demand. A request
//! larger than the largest class gets an unpooled chunk, freed when dropped.
//!
//! ```
//! use chunk_pool::{Pool, PoolConfig};
//!
//! let pool = Pool::new(PoolConfig::default())?;
//! let mut chunk = pool.acquire(1000)?;
//! assert!(chunk.capacity() >= 1000);
//! chunk[..5].copy_from_slice(b"hello");
//! drop(chunk); // back to `pool`
//!
//! let again = pool.acquire(4096)?; // the same memory, reused
//! let stats = pool.stats();
//! assert_eq!(stats.acquired, 2);
//! assert_eq!(stats.reused, 1);
//! assert_eq!(stats.outstanding_chunks, 1);
//! drop(again);
//! assert_eq!(pool.stats().outstanding_chunks, 0);
//! # Ok::<(), chunk_pool::PoolError>(())
//! ```
//!
//! The crate has no `unsafe` code: chunks are boxed slices, zeroed when first allocated and
//! reused as they are afterwards (a reader of a reused chunk sees old bytes, never uninitialised
//! memory).

mod cache;
mod chunk;
mod pool;
mod stats;

pub use chunk::Chunk;
pub use pool::{Pool, PoolConfig, PoolError};
pub use stats::PoolStats;

/// This crate's README, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
