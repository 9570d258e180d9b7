//! Sockets as chunked frame streams on tokio.
//!
//! [`ChunkedStream`] wraps any `AsyncRead`/`AsyncWrite` (a `TcpStream`, a `UnixStream`, a TLS
//! stream, an in-memory duplex) and reads lines, delimited frames, exact byte counts and
//! whatever is there out of a pooled [`Pipe`], with writes (plain, vectored) going straight to
//! the transport.
//!
//! ```no_run
//! use pipe_tokio::ChunkedStream;
//!
//! # async fn run() -> std::io::Result<()> {
//! let mut stream = ChunkedStream::connect("127.0.0.1:6379").await?;
//! stream.write_all(b"PING\r\n").await?;
//! match stream.read_line(false).await? {
//!     Some(reply) => println!("{}", String::from_utf8_lossy(&reply)),
//!     None => println!("the server closed the connection"),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! What it does that `BufReader` does not:
//!
//! - **Every read is cancel safe.** A read's progress lives in the pipe, so dropping the future
//!   (in `tokio::select!`, on a timeout) loses nothing: the next read goes on where it stopped.
//!   (`tokio::io::AsyncBufReadExt::read_line` is not cancel safe.)
//! - **Idle streams hold no buffer.** A chunk is lent to the socket only for one poll and given
//!   back when nothing arrived, so a connection waiting with nothing buffered holds no pooled
//!   memory.
//! - **Bounded memory.** A frame longer than the maximum frame size is an error once at most
//!   that much is buffered; reading from the socket stops there.
//! - **Zero copy.** A frame that lies in one chunk is a `Bytes` slice of it.
//!
//! ## The in-process pipe
//!
//! [`pipe()`] gives a [`PipeWriter`] and a [`PipeReader`] for two tasks of one process (the core
//! of System.IO.Pipelines): the writer fills pooled chunks in place and flushes (waiting while
//! the reader is behind), the reader has the owned read methods of a stream (the lending
//! `*_ref` reads through [`PipeReader::with_pipe`], under the pipe's lock). Both implement
//! tokio's I/O traits. See `pipe_core::async_pipe` for backpressure and completion.
//!
//! ## Outcomes as `io::Result`
//!
//! | outcome | result |
//! |---|---|
//! | a frame | `Ok(Some(frame))` |
//! | clean end, nothing left | `Ok(None)` |
//! | end inside a frame | `Err` of kind `UnexpectedEof`; the leftover is inside: [`read_error_of`] gives [`ReadError::Partial`] |
//! | transport error | `Err` of its kind; every later read that the buffered bytes cannot serve returns the same error |
//! | frame over the limit | `Err` of kind `InvalidData` ([`ReadError::LimitExceeded`]); nothing consumed: [`ChunkedStream::discard_until`] goes on past it |
//! | empty separator, `read_at_most(0)` | `Err` of kind `InvalidInput` |
//!
//! Features: `net` (default) adds the TCP and Unix socket methods (`connect`, `accept`, peer
//! addresses, owned halves; Unix sockets on Unix only) and tokio's network driver; without it
//! the streams take any `AsyncRead`/`AsyncWrite` (TLS streams, pipes, in-memory) and the socket
//! examples here do not build.

mod inproc;
#[cfg(feature = "net")]
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
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use futures_util::StreamExt;
/// use pipe_tokio::{ChunkedStream, Lines};
/// let mut lines: Lines<&[u8]> = ChunkedStream::new(&b"one\ntwo\n"[..]).lines(false);
/// assert_eq!(lines.next().await.unwrap()?, "one");
/// let mut stream = lines.into_inner(); // the stream back, with what it buffered
/// assert_eq!(stream.read_line(false).await?.unwrap(), "two");
/// # Ok(())
/// # }
/// ```
pub type Lines<S> = pipe_core::Lines<ChunkedStream<S>>;

/// The lines of an in-process [`PipeReader`] as a `futures_core::Stream`, made by
/// [`PipeReader::lines`].
///
/// ```
/// let (mut writer, reader) = pipe_tokio::pipe();
/// writer.write_now(b"a\nb\n")?;
/// let mut lines: pipe_tokio::PipeLines = reader.lines(false);
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
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use futures_util::StreamExt;
/// use pipe_tokio::{ChunkedStream, FramedRead, codec::LinesCodec};
///
/// let io = &b"one\r\ntwo\n"[..]; // any transport: a socket, a TLS stream, bytes
/// let mut lines = FramedRead::new(ChunkedStream::new(io), LinesCodec::new_with_max_length(1024));
/// assert_eq!(lines.next().await.unwrap()?, "one");
/// assert_eq!(lines.next().await.unwrap()?, "two");
/// assert!(lines.next().await.is_none());
/// # Ok(())
/// # }
/// ```
pub type FramedRead<S, D> = pipe_core::framed::FramedRead<ChunkedStream<S>, D>;

/// A `futures_sink::Sink` of messages an encoder writes into pooled chunks, sent to a
/// [`ChunkedStream`] over `S` with vectored writes (see `pipe_core::framed`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use futures_util::SinkExt;
/// use pipe_tokio::{Bytes, ChunkedStream, FramedWrite, codec::LengthDelimitedCodec};
///
/// let mut sink = FramedWrite::new(ChunkedStream::new(Vec::new()), LengthDelimitedCodec::new());
/// sink.send(Bytes::from_static(b"hello")).await?;
/// assert_eq!(sink.get_ref().get_ref(), b"\0\0\0\x05hello");
/// # Ok(())
/// # }
/// ```
pub type FramedWrite<S, E> = pipe_core::framed::FramedWrite<ChunkedStream<S>, E>;

/// Both: a `Stream` of decoded frames and a `Sink` of messages on one [`ChunkedStream`] over
/// `S` with one codec (see `pipe_core::framed`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use futures_util::{SinkExt, StreamExt};
/// use pipe_tokio::{ChunkedStream, Framed, codec::LinesCodec};
///
/// let (a, b) = tokio::io::duplex(1024);
/// let mut left = Framed::new(ChunkedStream::new(a), LinesCodec::new());
/// let mut right = Framed::new(ChunkedStream::new(b), LinesCodec::new());
/// left.send("ping").await?;
/// assert_eq!(right.next().await.unwrap()?, "ping");
/// right.send("pong").await?;
/// assert_eq!(left.next().await.unwrap()?, "pong");
/// # Ok(())
/// # }
/// ```
///
/// Split into halves two tasks own with `split_with` and the stream's own split
/// (`into_split` for TCP and Unix sockets, `split` for any stream):
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use futures_util::{SinkExt, StreamExt};
/// use pipe_tokio::{ChunkedStream, Framed, codec::LinesCodec};
/// use tokio::net::TcpStream;
///
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let client = ChunkedStream::connect(listener.local_addr()?).await?;
/// let (server, _) = listener.accept().await?;
/// let mut peer = Framed::new(ChunkedStream::new(server), LinesCodec::new());
/// let framed = Framed::new(client, LinesCodec::new());
/// let (mut lines, mut sink) = framed.split_with(ChunkedStream::<TcpStream>::into_split);
/// let writer = tokio::spawn(async move { sink.send("from the write half").await });
/// assert_eq!(peer.next().await.unwrap()?, "from the write half");
/// writer.await??;
/// peer.send("to the read half").await?;
/// assert_eq!(lines.next().await.unwrap()?, "to the read half");
/// # Ok(())
/// # }
/// ```
pub type Framed<S, C> = pipe_core::framed::Framed<ChunkedStream<S>, C>;
