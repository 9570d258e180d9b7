//! A pooled, chunked byte pipe for parsing byte streams.
//!
//! A writer borrows space in a pooled chunk ([`Pipe::get_buffer`]), fills it from a socket, a
//! file or a decoder, and commits what it wrote ([`Pipe::buffer_written`]). A reader takes lines,
//! delimited frames, exact byte counts or whatever is there, found across chunk boundaries. Bytes
//! are copied at most once between writer and reader, and chunks go back to their
//! [`chunk_pool::Pool`] as soon as they are consumed.
//!
//! ```
//! use pipe_core::{Pipe, ReadError};
//!
//! let mut pipe = Pipe::new();
//! // A writer fills pooled memory in place, as a socket read would.
//! let buf = pipe.get_buffer(0)?;
//! let msg = b"PING\r\n$3\r\nabc\r\n";
//! buf[..msg.len()].copy_from_slice(msg);
//! pipe.buffer_written(msg.len())?;
//!
//! assert_eq!(pipe.read_line(false)?, "PING");
//! let header = pipe.read_line(false)?;
//! let n: usize = std::str::from_utf8(&header[1..])?.parse()?;
//! assert_eq!(pipe.read_exact(n)?, "abc");
//! assert_eq!(pipe.read_exact(2)?, "\r\n");
//! assert!(matches!(pipe.read_line(true), Err(ReadError::NeedMore)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Every read returns `Ok(frame)` or one [`ReadError`] outcome: need more, end, partial (with the
//! leftover), stream error, limit exceeded. An empty frame is `Ok`, never the end. Reads either
//! return a frame or consume nothing (except `Partial`, which hands the leftover over).
//!
//! Owned frames are [`bytes::Bytes`]: a slice of the chunk when the frame lies in one chunk (the
//! chunk is then sealed: never written again, back to the pool when the last slice drops), a copy
//! when it straddles chunks. The `*_ref` forms lend a `&[u8]` instead and never allocate in steady
//! state. Searches are incremental: a frame of `n` bytes costs O(n) scanning however many pieces
//! it arrives in.

pub use bytes::Bytes;
pub use chunk_pool::{Chunk, Pool, PoolConfig, PoolError, PoolStats};

pub mod adapter;
pub mod async_pipe;
mod byte_find;
pub mod codec;
mod cursor;
mod error;
pub mod framed;
mod io;
mod lines;
mod memo;
mod pipe;
mod read;
mod search;
mod segment;

pub use async_pipe::{AsyncPipeOptions, PipeBuffer};
pub use cursor::Cursor;
pub use error::{FindError, ReadError, StreamError, WriteError, read_error_of};
pub use lines::Lines;
pub use pipe::{DEFAULT_MAX_FRAME, Pipe, PipeOptions, PipeState, UNLIMITED};
pub use read::Discarded;

/// This crate's README, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
