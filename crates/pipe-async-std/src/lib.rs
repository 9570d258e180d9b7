//! Sockets as chunked frame streams on async-std and smol.
//!
//! The same API as `pipe-tokio`, name for name, over the futures-io traits (`AsyncRead`,
//! `AsyncBufRead`, `AsyncWrite`): switching runtime is switching the crate. It serves async-std
//! sockets, and smol's (`smol::Async<std::net::TcpStream>`, `smol::net::TcpStream`) through the
//! same traits. Where it differs, futures-io having no half-close: `shutdown`, `close` and the
//! framed sinks ask `S: 'static` (to send async-std's sockets a FIN), futures'
//! `AsyncWriteExt::close` on a stream is the transport's own `poll_close` (no FIN on async-std's
//! sockets: call [`ChunkedStream::shutdown`]), and `into_split` gives two streams of the socket
//! type.
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
//!
//! Features: `async-std` (default) adds async-std's TCP and Unix socket methods (`connect`,
//! `accept`, Unix sockets on Unix only) and the real half-close of their `shutdown`; without
//! it (on smol, or any other futures-io runtime) the crate builds without async-std and the
//! socket examples here do not build.

mod inproc;
#[cfg(feature = "async-std")]
mod net;
mod stream;

pub use inproc::{PipeReader, PipeWriter, pipe, pipe_with};
// Everything a user of this crate names, so that it needs no direct `pipe-core` dependency.
pub use pipe_core::{
    AsyncPipeOptions, Bytes, Chunk, Cursor, DEFAULT_MAX_FRAME, Discarded, FindError, Pipe,
    PipeBuffer, PipeOptions, PipeState, Pool, PoolConfig, PoolError, PoolStats, ReadError,
    StreamError, UNLIMITED, WriteError, read_error_of,
};
pub use stream::ChunkedStream;

/// The lines of a [`ChunkedStream`] over `S` as a `futures_core::Stream`, made by
/// [`ChunkedStream::lines`] (an in-process reader's are [`PipeLines`]).
///
/// ```
/// # async_std::task::block_on(async {
/// use futures_util::StreamExt;
/// use pipe_async_std::{ChunkedStream, Lines};
/// let mut lines: Lines<&[u8]> = ChunkedStream::new(&b"one\ntwo\n"[..]).lines(false);
/// assert_eq!(lines.next().await.unwrap()?, "one");
/// let mut stream = lines.into_inner(); // the stream back, with what it buffered
/// assert_eq!(stream.read_line(false).await?.unwrap(), "two");
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub type Lines<S> = pipe_core::Lines<ChunkedStream<S>>;

/// The lines of an in-process [`PipeReader`] as a `futures_core::Stream`, made by
/// [`PipeReader::lines`].
///
/// ```
/// let (mut writer, reader) = pipe_async_std::pipe();
/// writer.write_now(b"a\nb\n")?;
/// let mut lines: pipe_async_std::PipeLines = reader.lines(false);
/// use futures_util::{FutureExt, StreamExt};
/// assert_eq!(lines.next().now_or_never().flatten().transpose()?.unwrap(), "a");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type PipeLines = pipe_core::Lines<PipeReader>;

/// This crate's README, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Codecs for the framed types: lines, any delimiter, length-delimited, bytes (see
/// `pipe_core::codec`), and the `Decoder`/`Encoder` traits to write your own.
pub use pipe_core::codec;

/// A `futures_core::Stream` of the frames a decoder takes out of a [`ChunkedStream`] over `S`
/// (see `pipe_core::framed`): dropping a `next()` loses nothing, and after a fatal error the
/// stream ends.
///
/// ```
/// # async_std::task::block_on(async {
/// use futures_util::StreamExt;
/// use pipe_async_std::{ChunkedStream, FramedRead, codec::LinesCodec};
///
/// let io = &b"one\r\ntwo\n"[..]; // any transport: a socket, a TLS stream, bytes
/// let mut lines = FramedRead::new(ChunkedStream::new(io), LinesCodec::new_with_max_length(1024));
/// assert_eq!(lines.next().await.unwrap()?, "one");
/// assert_eq!(lines.next().await.unwrap()?, "two");
/// assert!(lines.next().await.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub type FramedRead<S, D> = pipe_core::framed::FramedRead<ChunkedStream<S>, D>;

/// A `futures_sink::Sink` of messages an encoder writes into pooled chunks, sent to a
/// [`ChunkedStream`] over `S` with vectored writes (see `pipe_core::framed`).
///
/// ```
/// # async_std::task::block_on(async {
/// use futures_util::SinkExt;
/// use pipe_async_std::{Bytes, ChunkedStream, FramedWrite, codec::LengthDelimitedCodec};
///
/// let mut sink = FramedWrite::new(ChunkedStream::new(Vec::new()), LengthDelimitedCodec::new());
/// sink.send(Bytes::from_static(b"hello")).await?;
/// assert_eq!(sink.get_ref().get_ref(), b"\0\0\0\x05hello");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub type FramedWrite<S, E> = pipe_core::framed::FramedWrite<ChunkedStream<S>, E>;

/// Both: a `Stream` of decoded frames and a `Sink` of messages on one [`ChunkedStream`] over
/// `S` with one codec (see `pipe_core::framed`).
///
/// ```
/// # async_std::task::block_on(async {
/// use futures_util::{SinkExt, StreamExt};
/// use pipe_async_std::{ChunkedStream, Framed, codec::LinesCodec};
///
/// let (a, b) = async_std::os::unix::net::UnixStream::pair()?;
/// let mut left = Framed::new(ChunkedStream::new(a), LinesCodec::new());
/// let mut right = Framed::new(ChunkedStream::new(b), LinesCodec::new());
/// left.send("ping").await?;
/// assert_eq!(right.next().await.unwrap()?, "ping");
/// right.send("pong").await?;
/// assert_eq!(left.next().await.unwrap()?, "pong");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
///
/// Split into halves two tasks own with `split_with` and the stream's own split
/// (`into_split` for async-std's sockets, `split` for any stream):
///
/// ```
/// # async_std::task::block_on(async {
/// use futures_util::{SinkExt, StreamExt};
/// use async_std::os::unix::net::UnixStream;
/// use pipe_async_std::{ChunkedStream, Framed, codec::LinesCodec};
///
/// let (a, b) = UnixStream::pair()?;
/// let mut peer = Framed::new(ChunkedStream::new(b), LinesCodec::new());
/// let framed = Framed::new(ChunkedStream::new(a), LinesCodec::new());
/// let (mut lines, mut sink) = framed.split_with(ChunkedStream::<UnixStream>::into_split);
/// let writer = async_std::task::spawn(async move { sink.send("from the write half").await });
/// assert_eq!(peer.next().await.unwrap()?, "from the write half");
/// writer.await?;
/// peer.send("to the read half").await?;
/// assert_eq!(lines.next().await.unwrap()?, "to the read half");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub type Framed<S, C> = pipe_core::framed::Framed<ChunkedStream<S>, C>;
