//! The in-process pipe's halves with tokio's `AsyncRead`/`AsyncWrite`: wrappers of
//! `pipe_core`'s runtime-free halves (see `pipe_core::async_pipe` for backpressure and
//! completion), with the methods written out so that they win over the I/O traits'
//! extension methods of the same name.

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use pipe_core::adapter::{self, FillFn, PollRead};
use pipe_core::{AsyncPipeOptions, Bytes, Lines, Pipe, PipeBuffer, WriteError, async_pipe};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The writing half of an in-process pipe, with tokio's `AsyncWrite`: fill pooled space in
/// place ([`get_buffer`](PipeWriter::get_buffer), then commit), [`flush`](PipeWriter::flush)
/// (where backpressure waits), and finally [`complete`](PipeWriter::complete). Dropping it
/// completes the write side cleanly.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (mut writer, mut reader) = pipe_tokio::pipe();
/// let n = tokio::io::copy(&mut &b"one\ntwo\n"[..], &mut writer).await?; // an `AsyncWrite`
/// assert_eq!(n, 8);
/// writer.complete();
/// assert_eq!(reader.read_line(false).await?.unwrap(), "one");
/// assert_eq!(reader.read_to_end().await?, "two\n");
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct PipeWriter(async_pipe::PipeWriter);

/// The reading half of an in-process pipe, with tokio's `AsyncRead`: the read methods of the
/// streams (`read_line`, `read_until`, `read_exact`, ..., `fill_more`), each cancel safe, and
/// [`with_pipe`](PipeReader::with_pipe) for synchronous parsing. Dropping it gives its bytes back
/// to the pool and fails the writer's next call with `BrokenPipe`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (mut writer, mut reader) = pipe_tokio::pipe();
/// writer.write_now(b"head\nbody")?;
/// writer.complete();
/// assert_eq!(reader.read_line(false).await?.unwrap(), "head");
/// let mut rest = Vec::new();
/// tokio::io::copy(&mut reader, &mut rest).await?; // an `AsyncRead`
/// assert_eq!(rest, b"body");
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct PipeReader(async_pipe::PipeReader);

/// An in-process pipe with the default options: 64 KiB pause, 32 KiB resume, 64 KiB maximum
/// frame, the global pool.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (mut writer, mut reader) = pipe_tokio::pipe();
/// writer.write_all(b"hello\n").await?;
/// writer.complete();
/// assert_eq!(reader.read_line(false).await?.unwrap(), "hello");
/// assert_eq!(reader.read_line(false).await?, None);
/// # Ok(())
/// # }
/// ```
pub fn pipe() -> (PipeWriter, PipeReader) {
    let (w, r) = async_pipe::pipe();
    (PipeWriter(w), PipeReader(r))
}

/// An in-process pipe with the given options. Error (`InvalidInput`): `pause` is 0 or not above
/// `resume`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use pipe_tokio::{AsyncPipeOptions, PipeOptions};
/// let options = AsyncPipeOptions::new().pipe(PipeOptions::new().max_frame(1024)).pause(4096).resume(1024);
/// let (mut writer, mut reader) = pipe_tokio::pipe_with(options)?;
/// writer.write_all(b"ok\n").await?;
/// assert_eq!(reader.read_line(true).await?.unwrap(), "ok\n");
/// # Ok(())
/// # }
/// ```
pub fn pipe_with(options: AsyncPipeOptions) -> io::Result<(PipeWriter, PipeReader)> {
    let (w, r) = async_pipe::pipe_with(options)?;
    Ok((PipeWriter(w), PipeReader(r)))
}

impl PipeWriter {
    /// Writable space of at least `max(size_hint, 1)` bytes in a pooled chunk, filled in place
    /// and committed with [`PipeBuffer::commit`] (or [`buffer_written`](PipeWriter::buffer_written)).
    /// The buffer holds the pipe's lock: fill it without awaiting. Errors, with nothing changed:
    /// [`WriteError::ReaderGone`], [`WriteError::Closed`] (after the async `Write` traits'
    /// shutdown or close), [`WriteError::SizeHintTooLarge`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut writer, mut reader) = pipe_tokio::pipe();
    /// {
    ///     let mut buf = writer.get_buffer(3)?;
    ///     buf[..3].copy_from_slice(b"ab\n");
    ///     buf.commit(3)?;
    /// }
    /// writer.flush().await?;
    /// assert_eq!(reader.read_line(false).await?.unwrap(), "ab");
    /// # Ok(())
    /// # }
    /// ```
    pub fn get_buffer(&mut self, size_hint: usize) -> Result<PipeBuffer<'_>, WriteError> {
        self.0.get_buffer(size_hint)
    }

    /// Commits `n` bytes written at the start of the last buffer handed out and wakes the
    /// reader. Errors, with nothing changed: [`WriteError::ReaderGone`], [`WriteError::Closed`],
    /// [`WriteError::NothingLent`], [`WriteError::Overcommit`].
    ///
    /// ```
    /// let (mut writer, _reader) = pipe_tokio::pipe();
    /// writer.get_buffer(2)?[..2].copy_from_slice(b"hi");
    /// writer.buffer_written(2)?;
    /// assert_eq!(writer.unread(), 2);
    /// # Ok::<(), pipe_tokio::WriteError>(())
    /// ```
    pub fn buffer_written(&mut self, n: usize) -> Result<(), WriteError> {
        self.0.buffer_written(n)
    }

    /// Copies `data` in and wakes the reader, without waiting: backpressure is for
    /// [`flush`](PipeWriter::flush). Errors: [`WriteError::ReaderGone`], [`WriteError::Closed`].
    ///
    /// ```
    /// let (mut writer, reader) = pipe_tokio::pipe();
    /// writer.write_now(b"abc")?;
    /// assert_eq!(reader.buffered(), 3);
    /// # Ok::<(), pipe_tokio::WriteError>(())
    /// ```
    pub fn write_now(&mut self, data: &[u8]) -> Result<(), WriteError> {
        self.0.write_now(data)
    }

    /// Waits while the reader is behind: from `pause` unread bytes until they are down to
    /// `resume`, unless the reader waits for more bytes to finish a frame (then up to that
    /// frame). `BrokenPipe` when the reader is gone. Cancel safe: it only waits.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut writer, _reader) = pipe_tokio::pipe();
    /// writer.write_now(b"under the pause threshold")?;
    /// writer.flush().await?; // returns at once
    /// # Ok(())
    /// # }
    /// ```
    pub fn flush(&mut self) -> impl Future<Output = io::Result<()>> {
        self.0.flush()
    }

    /// Copies `data` in, a piece at a time as backpressure allows, and flushes. `BrokenPipe`
    /// when the reader is gone. Not cancel safe: a prefix may have been written (use
    /// [`write_vectored_all`](PipeWriter::write_vectored_all) to know how much).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut writer, mut reader) = pipe_tokio::pipe();
    /// writer.write_all(b"one\n").await?;
    /// assert_eq!(reader.read_line(false).await?.unwrap(), "one");
    /// # Ok(())
    /// # }
    /// ```
    pub fn write_all<'a>(
        &'a mut self,
        data: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + 'a {
        self.0.write_all(data)
    }

    /// Copies every byte of `bufs` in, as backpressure allows, then flushes. `bufs` is advanced
    /// in place as bytes go in, so after a cancellation it holds exactly what is left: call
    /// again with it to resume, and every byte arrives once.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::io::IoSlice;
    /// let (mut writer, mut reader) = pipe_tokio::pipe();
    /// let mut slices = [IoSlice::new(b"GET "), IoSlice::new(b"key\n")];
    /// let mut bufs = &mut slices[..];
    /// writer.write_vectored_all(&mut bufs).await?;
    /// assert!(bufs.is_empty());
    /// assert_eq!(reader.read_line(false).await?.unwrap(), "GET key");
    /// # Ok(())
    /// # }
    /// ```
    pub fn write_vectored_all(
        &mut self,
        bufs: &mut &mut [IoSlice<'_>],
    ) -> impl Future<Output = io::Result<()>> {
        self.0.write_vectored_all(bufs)
    }

    /// Bytes written and not yet read.
    ///
    /// ```
    /// let (mut writer, _reader) = pipe_tokio::pipe();
    /// writer.write_now(b"abc")?;
    /// assert_eq!(writer.unread(), 3);
    /// # Ok::<(), pipe_tokio::WriteError>(())
    /// ```
    pub fn unread(&self) -> usize {
        self.0.unread()
    }

    /// Whether the reader completed or was dropped (every write then fails).
    ///
    /// ```
    /// let (writer, reader) = pipe_tokio::pipe();
    /// drop(reader);
    /// assert!(writer.is_reader_gone());
    /// ```
    pub fn is_reader_gone(&self) -> bool {
        self.0.is_reader_gone()
    }

    /// Completes the write side cleanly: the reader gets the rest, then the end (or a partial
    /// frame). Dropping the writer does the same.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut writer, mut reader) = pipe_tokio::pipe();
    /// writer.write_now(b"last")?;
    /// writer.complete();
    /// assert_eq!(reader.read_to_end().await?, "last");
    /// # Ok(())
    /// # }
    /// ```
    pub fn complete(self) {
        self.0.complete()
    }

    /// Completes the write side with an error: the reader gets the buffered bytes, then this
    /// error on every read they cannot serve.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::io::{Error, ErrorKind};
    /// let (mut writer, mut reader) = pipe_tokio::pipe();
    /// writer.write_now(b"ok\n")?;
    /// writer.complete_with_error(Error::new(ErrorKind::ConnectionReset, "upstream gone"));
    /// assert_eq!(reader.read_line(false).await?.unwrap(), "ok");
    /// let err = reader.read_line(false).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::ConnectionReset);
    /// # Ok(())
    /// # }
    /// ```
    pub fn complete_with_error(self, error: io::Error) {
        self.0.complete_with_error(error)
    }

    /// The runtime-free half.
    ///
    /// ```
    /// let (writer, _reader) = pipe_tokio::pipe();
    /// let inner: pipe_core::async_pipe::PipeWriter = writer.into_inner();
    /// assert!(!inner.is_reader_gone());
    /// ```
    pub fn into_inner(self) -> async_pipe::PipeWriter {
        self.0
    }
}

impl PipeReader {
    /// Runs `f` on the pipe under its lock: synchronous reads of what is buffered (the `*_ref`
    /// forms included), for parsers that wait with [`fill_more`](PipeReader::fill_more) only
    /// when a read says `NeedMore`. A writer waiting for room is woken if `f` made enough. `f`
    /// must not use the writer half.
    ///
    /// ```
    /// let (mut writer, mut reader) = pipe_tokio::pipe();
    /// writer.write_now(b"a\nb\n")?;
    /// let n = reader.with_pipe(|pipe| pipe.read_lines_with(false, |_| ()))?;
    /// assert_eq!(n, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_pipe<R>(&mut self, f: impl FnOnce(&mut Pipe) -> R) -> R {
        self.0.with_pipe(f)
    }

    /// Bytes written and not yet read.
    ///
    /// ```
    /// let (mut writer, reader) = pipe_tokio::pipe();
    /// writer.write_now(b"abc")?;
    /// assert_eq!(reader.buffered(), 3);
    /// # Ok::<(), pipe_tokio::WriteError>(())
    /// ```
    pub fn buffered(&self) -> usize {
        self.0.buffered()
    }

    /// Changes the maximum frame size (see [`Pipe::set_max_frame`]).
    ///
    /// ```
    /// let (_writer, mut reader) = pipe_tokio::pipe();
    /// reader.set_max_frame(1 << 20);
    /// assert_eq!(reader.with_pipe(|pipe| pipe.max_frame()), 1 << 20);
    /// ```
    pub fn set_max_frame(&mut self, max_frame: usize) {
        self.0.set_max_frame(max_frame)
    }

    /// Stops reading: the buffered bytes go back to the pool and the writer's next write fails
    /// ([`WriteError::ReaderGone`] from `get_buffer`, `buffer_written` and `write_now`,
    /// `BrokenPipe` from the async writes). Dropping the reader does the same.
    ///
    /// ```
    /// let (mut writer, reader) = pipe_tokio::pipe();
    /// reader.complete();
    /// assert!(writer.write_now(b"x").is_err());
    /// ```
    pub fn complete(self) {
        self.0.complete()
    }

    /// The runtime-free half.
    ///
    /// ```
    /// let (_writer, reader) = pipe_tokio::pipe();
    /// let inner: pipe_core::async_pipe::PipeReader = reader.into_inner();
    /// assert_eq!(inner.buffered(), 0);
    /// ```
    pub fn into_inner(self) -> async_pipe::PipeReader {
        self.0
    }
}

/// The reads of `pipe_core::adapter` (and [`Lines`]) on the wrapper, through the core half.
impl PollRead for PipeReader {
    fn with_parts<R>(&mut self, f: impl FnOnce(&mut Pipe, &mut FillFn<'_>) -> R) -> R {
        self.0.with_parts(f)
    }

    fn poll_fill_more(
        &mut self,
        cx: &mut Context<'_>,
        since: &mut Option<usize>,
    ) -> Poll<io::Result<usize>> {
        self.0.poll_fill_more(cx, since)
    }

    fn cancel_wait(&mut self) {
        self.0.cancel_wait();
    }
}

/// The read methods, as on the streams. Each returns the future of `pipe_core::adapter`;
/// every one is cancel safe (its progress lives in the pipe).
impl PipeReader {
    /// The next line, up to and including `\n`; without the ending, `\n` or `\r\n` is
    /// stripped. `Ok(None)` at the end; a last line without `\n` is an
    /// `UnexpectedEof` error carrying it ([`read_error_of`](crate::read_error_of)). A line over
    /// the maximum frame size (ending not counted) is `InvalidData`, with nothing consumed.
    ///
    /// Cancel safe: if the future is dropped before it completes, no data is lost; the next
    /// read sees every byte.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut writer, mut reader) = pipe_tokio::pipe();
    /// writer.write_now(&b"PING\r\n"[..])?;
    /// drop(writer); // completes the write side
    /// assert_eq!(reader.read_line(false).await?.unwrap(), "PING");
    /// assert_eq!(reader.read_line(false).await?, None);
    /// # Ok(())
    /// # }
    /// ```
    pub fn read_line(
        &mut self,
        with_ending: bool,
    ) -> impl Future<Output = io::Result<Option<Bytes>>> {
        adapter::read_line(&mut self.0, with_ending)
    }

    /// Calls `f` with every complete line buffered, waiting until there is at least one: the
    /// zero-allocation form for hot loops (lines are lent from pooled memory). Returns how many
    /// lines `f` saw; `Ok(0)` at the end of the reader.
    ///
    /// Cancel safe: lines are handed to `f` and consumed within one poll.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut writer, mut reader) = pipe_tokio::pipe();
    /// writer.write_now(&b"a\nbb\nccc\n"[..])?;
    /// drop(writer); // completes the write side
    /// let mut total = 0;
    /// while reader.read_lines_with(false, |line| total += line.len()).await? > 0 {}
    /// assert_eq!(total, 6);
    /// # Ok(())
    /// # }
    /// ```
    pub fn read_lines_with(
        &mut self,
        with_ending: bool,
        f: impl FnMut(&[u8]),
    ) -> impl Future<Output = io::Result<usize>> {
        adapter::read_lines_with(&mut self.0, with_ending, f)
    }

    /// The next frame ending in `sep` (any non-empty separator), with or without it. `Ok(None)`
    /// at the end.
    ///
    /// Cancel safe: if the future is dropped before it completes, no data is lost.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut writer, mut reader) = pipe_tokio::pipe();
    /// writer.write_now(&b"one\0two\0"[..])?;
    /// drop(writer); // completes the write side
    /// assert_eq!(reader.read_until(b"\0", false).await?.unwrap(), "one");
    /// assert_eq!(reader.read_until(b"\0", true).await?.unwrap(), "two\0");
    /// # Ok(())
    /// # }
    /// ```
    pub fn read_until<'a>(
        &'a mut self,
        sep: &'a [u8],
        with_sep: bool,
    ) -> impl Future<Output = io::Result<Option<Bytes>>> + 'a {
        adapter::read_until(&mut self.0, sep, with_sep)
    }

    /// Exactly `n` bytes. `Ok(None)` if the stream ended with nothing buffered; an
    /// `UnexpectedEof` error carrying the leftover if it ended with fewer than `n`;
    /// `InvalidData` if `n` is over the maximum frame size. `n == 0` is an empty frame at once,
    /// even at the end (as [`Pipe::read_exact`](pipe_core::Pipe::read_exact)).
    ///
    /// Cancel safe: if the future is dropped before it completes, no data is lost.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut writer, mut reader) = pipe_tokio::pipe();
    /// writer.write_now(&[0, 3, b'a', b'b', b'c'][..])?;
    /// drop(writer); // completes the write side
    /// let header = reader.read_exact(2).await?.unwrap();
    /// let len = u16::from_be_bytes([header[0], header[1]]) as usize;
    /// assert_eq!(reader.read_exact(len).await?.unwrap(), "abc");
    /// # Ok(())
    /// # }
    /// ```
    pub fn read_exact(&mut self, n: usize) -> impl Future<Output = io::Result<Option<Bytes>>> {
        adapter::read_exact(&mut self.0, n)
    }

    /// Between 1 and `n` bytes, as soon as any are there. `Ok(None)` at the end; `n == 0` is
    /// `InvalidInput`.
    ///
    /// Cancel safe: if the future is dropped before it completes, no data is lost.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut writer, mut reader) = pipe_tokio::pipe();
    /// writer.write_now(&b"abc"[..])?;
    /// drop(writer); // completes the write side
    /// assert_eq!(reader.read_at_most(1024).await?.unwrap(), "abc");
    /// # Ok(())
    /// # }
    /// ```
    pub fn read_at_most(&mut self, n: usize) -> impl Future<Output = io::Result<Option<Bytes>>> {
        adapter::read_at_most(&mut self.0, n)
    }

    /// Everything until the peer closes its side, up to the maximum frame size (past it:
    /// `InvalidData`, nothing consumed). Empty if nothing was left.
    ///
    /// Cancel safe: if the future is dropped before it completes, no data is lost.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut writer, mut reader) = pipe_tokio::pipe();
    /// writer.write_now(&b"the whole body"[..])?;
    /// drop(writer); // completes the write side
    /// assert_eq!(reader.read_to_end().await?, "the whole body");
    /// # Ok(())
    /// # }
    /// ```
    pub fn read_to_end(&mut self) -> impl Future<Output = io::Result<Bytes>> {
        adapter::read_to_end(&mut self.0)
    }

    /// Up to `n` bytes without consuming them, waiting for at least one. `Ok(None)` at the
    /// end. `peek(0)` is an empty frame at once, as on a pipe.
    ///
    /// Cancel safe: if the future is dropped before it completes, no data is lost.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut writer, mut reader) = pipe_tokio::pipe();
    /// writer.write_now(&b"+OK\r\n"[..])?;
    /// drop(writer); // completes the write side
    /// assert_eq!(reader.peek(1).await?.unwrap(), "+");
    /// assert_eq!(reader.peek(0).await?.unwrap(), "");
    /// assert_eq!(reader.read_line(false).await?.unwrap(), "+OK");
    /// assert_eq!(reader.peek(0).await?.unwrap(), ""); // at the end too
    /// # Ok(())
    /// # }
    /// ```
    pub fn peek(&mut self, n: usize) -> impl Future<Output = io::Result<Option<Bytes>>> {
        adapter::peek(&mut self.0, n)
    }

    /// Waits until more bytes are buffered than when it was called and returns how many
    /// arrived since the reader last looked (`Ok(0)` at the end): the way to drive a parser that reads
    /// synchronously under [`with_pipe`](PipeReader::with_pipe) and waits only when a read
    /// says `NeedMore`. Each call reads at most one chunk (the pipe's adaptive chunk size, at
    /// most its `max_chunk`), however much is buffered: the maximum frame size bounds what a
    /// frame search buffers, not what a parser that asks for more gets.
    ///
    /// While the writer is paused by backpressure, a wait lets the pipe grow to one frame
    /// (`max_frame + 2` bytes); past that it fails with `InvalidData`
    /// (`ReadError::LimitExceeded`) instead of waiting forever: consume, or raise the limit.
    ///
    /// Cancel safe: bytes that arrived stay buffered.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use pipe_tokio::ReadError;
    /// let (mut writer, mut reader) = pipe_tokio::pipe();
    /// writer.write_now(&b"GET a\r\nGET b\r\n"[..])?;
    /// drop(writer); // completes the write side
    /// let mut keys = Vec::new();
    /// loop {
    ///     let read = reader.with_pipe(|pipe| pipe.read_line_ref(false).map(|l| l[4..].to_vec()));
    ///     match read {
    ///         Ok(key) => keys.push(key),
    ///         Err(ReadError::NeedMore) => {
    ///             reader.fill_more().await?;
    ///         }
    ///         Err(_) => break, // the end (or a partial line, an error)
    ///     }
    /// }
    /// assert_eq!(keys, [b"a", b"b"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn fill_more(&mut self) -> impl Future<Output = io::Result<usize>> {
        adapter::fill_more(&mut self.0)
    }

    /// Waits until at least `n` bytes are buffered, consuming nothing: `Ok(true)` then,
    /// `Ok(false)` if the writer completed with fewer. `n` over the maximum frame size is
    /// `InvalidData` at once. Cancel safe.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut writer, mut reader) = pipe_tokio::pipe();
    /// writer.write_now(b"abcd")?;
    /// assert!(reader.fill_at_least(4).await?);
    /// drop(writer);
    /// assert!(!reader.fill_at_least(5).await?);
    /// # Ok(())
    /// # }
    /// ```
    pub fn fill_at_least(&mut self, n: usize) -> impl Future<Output = io::Result<bool>> {
        adapter::fill_at_least(&mut self.0, n)
    }

    /// Drops bytes up to and including the next `sep`, reading as needed: the way on after a
    /// frame over the limit. Memory stays bounded: bytes without a separator are dropped as
    /// they arrive. Returns how many bytes were dropped (at the end of the stream, what was dropped
    /// before it).
    ///
    /// Cancel safe: bytes dropped before a cancellation stay dropped; nothing else is lost.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use pipe_tokio::{AsyncPipeOptions, PipeOptions};
    /// let options = AsyncPipeOptions::new().pipe(PipeOptions::new().max_frame(8));
    /// let (mut writer, mut reader) = pipe_tokio::pipe_with(options)?;
    /// writer.write_now(b"far too long a line\nok\n")?;
    /// let err = reader.read_line(false).await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    /// assert_eq!(reader.discard_until(b"\n").await?, 20);
    /// assert_eq!(reader.read_line(false).await?.unwrap(), "ok");
    /// # Ok(())
    /// # }
    /// ```
    pub fn discard_until<'a>(
        &'a mut self,
        sep: &'a [u8],
    ) -> impl Future<Output = io::Result<usize>> + 'a {
        adapter::discard_until(&mut self.0, sep)
    }

    /// A `futures_core::Stream` of lines (see [`read_line`](PipeReader::read_line)). Errors
    /// never repeat: a line over the limit gives one `InvalidData` error and is dropped through
    /// its `\n`, then the lines after it come; a partial last line or a transport error is
    /// given once, then the stream ends. `into_inner` gives the reader back.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use futures_util::StreamExt;
    /// let (mut writer, reader) = pipe_tokio::pipe();
    /// writer.write_now(b"one\ntwo\n")?;
    /// drop(writer);
    /// let mut lines = reader.lines(false);
    /// let mut seen = Vec::new();
    /// while let Some(line) = lines.next().await {
    ///     seen.push(line?);
    /// }
    /// assert_eq!(seen, ["one", "two"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn lines(self, with_ending: bool) -> crate::PipeLines {
        Lines::new(self, with_ending)
    }
}

impl AsyncRead for PipeReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        // Put into `buf` from the pipe: its unfilled part may be uninitialised memory (`read_buf`
        // into a `BytesMut`), which zeroing first would cost as much as the copy.
        self.get_mut().0.with_parts(|pipe, fill| {
            let data = std::task::ready!(adapter::poll_fill_buf(pipe, cx, fill))?;
            let n = data.len().min(buf.remaining());
            buf.put_slice(&data[..n]);
            adapter::consume(pipe, n);
            Poll::Ready(Ok(()))
        })
    }
}

impl AsyncWrite for PipeWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().0.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().0.poll_flush(cx)
    }

    /// Completes the write side cleanly; later writes fail with `BrokenPipe`.
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().0.poll_complete()
    }
}
