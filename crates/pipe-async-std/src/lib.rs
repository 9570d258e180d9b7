//! Sockets as chunked frame streams on async-std and smol.
//!
//! The same API as `pipe-tokio`, name for name, over the futures-io traits (`AsyncRead`,
//! `AsyncBufRead`, `AsyncWrite`): switching runtime is switching the crate. It serves async-std
//! sockets, and smol's (`smol::Async<std::net::TcpStream>`, `smol::net::TcpStream`) through the
//! same traits.
//!
//! async-std is discontinued upstream (its README points to smol). This crate keeps its name
//! and supports async-std fully; its core behaviours are tested on smol too.
//!
//! ```no_run
//! use pipe_async_std::ChunkedStream;
//!
//! # async fn run() -> std::io::Result<()> {
//! let mut stream = ChunkedStream::connect("127.0.0.1:6379").await?;
//! stream.write_all(b"PING\r\n").await?;
//! if let Some(reply) = stream.read_line(false).await? {
//!     println!("{}", String::from_utf8_lossy(&reply));
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Every read is cancel safe (its progress lives in the pipe), an idle stream holds no pooled
//! chunk (a chunk is lent to the transport for one poll and taken back if nothing arrived, which
//! works for any futures-io transport), and a frame over the limit is an error once at most that
//! much is buffered. Outcomes map to `io::Result` exactly as in `pipe-tokio`:
//!
//! | outcome | result |
//! |---|---|
//! | a frame | `Ok(Some(frame))` |
//! | clean end, nothing left | `Ok(None)` |
//! | end inside a frame | `Err` of kind `UnexpectedEof`; [`read_error_of`] gives [`ReadError::Partial`] with the leftover |
//! | transport error | `Err` of its kind, the same on every later read |
//! | frame over the limit | `Err` of kind `InvalidData`; nothing consumed |
//! | empty separator, `read_at_most(0)` | `Err` of kind `InvalidInput` |
//!
//! The in-process pipe: [`pipe()`] gives a [`PipeWriter`] and a [`PipeReader`] for two tasks of
//! one process, with futures-io's `AsyncWrite` and `AsyncRead`; see `pipe_core::async_pipe`.

mod inproc;
#[cfg(feature = "async-std")]
mod net;
mod stream;

pub use inproc::{PipeReader, PipeWriter, pipe, pipe_with};
// Everything a user of this crate names, so that it needs no direct `pipe-core` dependency.
pub use pipe_core::{
    AsyncPipeOptions, Bytes, DEFAULT_MAX_FRAME, Discarded, FindError, Pipe, PipeBuffer,
    PipeOptions, PipeState, Pool, PoolConfig, PoolStats, ReadError, StreamError, UNLIMITED,
    WriteError, read_error_of,
};
pub use stream::ChunkedStream;

/// The lines of a [`ChunkedStream`] over `S` as a `futures_core::Stream`, made by
/// [`ChunkedStream::lines`]. ([`PipeReader::lines`] gives a `pipe_core::Lines<PipeReader>`.)
pub type Lines<S> = pipe_core::Lines<ChunkedStream<S>>;

/// This crate's README, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
