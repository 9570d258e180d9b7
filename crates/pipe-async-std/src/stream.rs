//! `ChunkedStream`: a futures-io transport and the pipe its bytes arrive in.

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};
use futures_util::io::{AsyncReadExt, ReadHalf, WriteHalf};
use pipe_core::adapter::{self, FillFn, PollRead, PollWrite, WriteFn, from_transport};
use pipe_core::{Bytes, Pipe, PipeOptions};

/// A futures-io transport `S` whose incoming bytes are read as frames out of a pooled [`Pipe`].
///
/// Reads need `S: AsyncRead + Unpin`, writes `S: AsyncWrite + Unpin`. Every read method is
/// cancel safe.
///
/// ```
/// use pipe_async_std::ChunkedStream;
/// # async_std::task::block_on(async {
/// let mut s = ChunkedStream::new(futures_util::io::Cursor::new(b"hello\r\nworld".to_vec()));
/// assert_eq!(s.read_line(false).await?.unwrap(), "hello");
/// assert_eq!(s.read_to_end().await?, "world");
/// assert_eq!(s.read_line(false).await?, None);
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct ChunkedStream<S> {
    /// The transport; bytes read from it go into `pipe`, except those an `AsyncRead` read takes
    /// straight into its caller's buffer (only when `pipe` holds nothing: order is kept).
    io: S,
    /// The bytes read from `io` and not yet consumed, and how the read side ended.
    pipe: Pipe,
}

impl<S> ChunkedStream<S> {
    /// Wraps `io` with [`PipeOptions::default`] (global pool, 64 KiB maximum frame).
    ///
    /// ```
    /// use pipe_async_std::{ChunkedStream, DEFAULT_MAX_FRAME};
    /// let stream = ChunkedStream::new(&b"PING\r\n"[..]);
    /// assert_eq!(stream.pipe().max_frame(), DEFAULT_MAX_FRAME); // 64 KiB
    /// assert_eq!(stream.buffered(), 0); // nothing is read before the first read
    /// ```
    pub fn new(io: S) -> Self {
        Self::with_options(io, PipeOptions::default())
    }

    /// Wraps `io` with the given pool, maximum frame size and chunk sizes.
    ///
    /// ```
    /// use pipe_async_std::{ChunkedStream, PipeOptions};
    /// let options = PipeOptions::new().max_frame(1024);
    /// let stream = ChunkedStream::with_options(&b"PING\r\n"[..], options);
    /// assert_eq!(stream.pipe().max_frame(), 1024);
    /// ```
    pub fn with_options(io: S, options: PipeOptions) -> Self {
        Self::from_parts(io, Pipe::with_options(options))
    }

    /// Puts a transport and a pipe back together; reads see the pipe's bytes first.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// use pipe_async_std::{ChunkedStream, Pipe};
    /// let mut pipe = Pipe::new();
    /// pipe.write_all(b"first\n")?;
    /// let mut stream = ChunkedStream::from_parts(&b"second\n"[..], pipe);
    /// assert_eq!(stream.read_line(false).await?.unwrap(), "first"); // the pipe's bytes first
    /// assert_eq!(stream.read_line(false).await?.unwrap(), "second");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn from_parts(io: S, pipe: Pipe) -> Self {
        ChunkedStream { io, pipe }
    }

    /// The transport.
    ///
    /// ```
    /// let stream = pipe_async_std::ChunkedStream::new(&b"PING\r\n"[..]);
    /// assert_eq!(*stream.get_ref(), b"PING\r\n"); // the transport itself, not yet read from
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.io
    }

    /// The transport, mutably (reading from it directly bypasses the buffered bytes).
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// use futures_util::io::{AsyncReadExt, AsyncWriteExt};
    /// let (mut peer, io) = async_std::os::unix::net::UnixStream::pair()?;
    /// let mut stream = pipe_async_std::ChunkedStream::new(io);
    /// peer.write_all(b"one\ntwo\n").await?;
    /// assert_eq!(stream.read_line(false).await?.unwrap(), "one"); // "two\n" stays buffered
    /// peer.write_all(b"three\n").await?;
    /// let mut buf = [0; 16];
    /// let n = stream.get_mut().read(&mut buf).await?;
    /// assert_eq!(&buf[..n], b"three\n"); // ahead of the buffered "two\n"
    /// assert_eq!(stream.read_line(false).await?.unwrap(), "two");
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.io
    }

    /// The transport and the pipe with whatever was read and not consumed: nothing is lost.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// let mut stream = pipe_async_std::ChunkedStream::new(&b"one\ntwo\n"[..]);
    /// assert_eq!(stream.read_line(false).await?.unwrap(), "one");
    /// let (io, mut pipe) = stream.into_inner();
    /// assert!(io.is_empty()); // the transport was read to its end...
    /// assert_eq!(pipe.read_line(false)?, "two"); // ...and "two\n" waits in the pipe
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn into_inner(self) -> (S, Pipe) {
        (self.io, self.pipe)
    }

    /// The pipe holding what was read and not yet consumed.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// let mut stream = pipe_async_std::ChunkedStream::new(&b"+OK\r\n"[..]);
    /// assert!(stream.pipe().is_empty());
    /// assert_eq!(stream.peek(1).await?.unwrap(), "+"); // reads, consumes nothing
    /// assert_eq!(stream.pipe().len(), 5);
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn pipe(&self) -> &Pipe {
        &self.pipe
    }

    /// The pipe, mutably: for its synchronous reads and settings.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// use std::io::ErrorKind;
    /// let mut stream = pipe_async_std::ChunkedStream::new(&b"a line too long\n"[..]);
    /// stream.pipe_mut().set_max_frame(8);
    /// let err = stream.read_line(false).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidData);
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn pipe_mut(&mut self) -> &mut Pipe {
        &mut self.pipe
    }

    /// Bytes read from the transport and not yet consumed.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// let mut stream = pipe_async_std::ChunkedStream::new(&b"one\ntwo\n"[..]);
    /// assert_eq!(stream.buffered(), 0);
    /// assert_eq!(stream.read_line(false).await?.unwrap(), "one");
    /// assert_eq!(stream.buffered(), 4); // "two\n", read along with "one\n"
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn buffered(&self) -> usize {
        self.pipe.len()
    }
}

/// Polls a futures-io transport for bytes into `buf`.
fn poll_transport<S: AsyncRead + Unpin>(
    io: &mut S,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    Pin::new(io).poll_read(cx, buf)
}

impl<S: AsyncRead + Unpin> PollRead for ChunkedStream<S> {
    #[inline]
    fn with_parts<R>(&mut self, f: impl FnOnce(&mut Pipe, &mut FillFn<'_>) -> R) -> R {
        let io = &mut self.io;
        f(
            &mut self.pipe,
            &mut from_transport(|cx, buf| poll_transport(io, cx, buf)),
        )
    }
}

/// A real half-close (`shutdown(Write)`, a FIN) for async-std's sockets, whose `poll_close`
/// only flushes; `None` for other transports (their `poll_close` is the way).
fn half_close<S: 'static>(io: &S) -> Option<io::Result<()>> {
    #[cfg(feature = "async-std")]
    {
        let io: &dyn std::any::Any = io;
        if let Some(tcp) = io.downcast_ref::<async_std::net::TcpStream>() {
            return Some(tcp.shutdown(std::net::Shutdown::Write));
        }
        #[cfg(unix)]
        if let Some(unix) = io.downcast_ref::<async_std::os::unix::net::UnixStream>() {
            return Some(unix.shutdown(std::net::Shutdown::Write));
        }
    }
    #[cfg(not(feature = "async-std"))]
    let _ = io;
    None
}

/// One write of `bufs` to the transport: a single slice through the plain write (on a socket a
/// `send`, which costs the kernel less than a `writev` of one slice: about 3% of a request's
/// server CPU in the `resp` bench), several through the vectored one.
fn poll_write_slices<S: AsyncWrite + Unpin>(
    io: &mut S,
    cx: &mut Context<'_>,
    bufs: &[IoSlice<'_>],
) -> Poll<io::Result<usize>> {
    match bufs {
        [one] => Pin::new(io).poll_write(cx, one),
        _ => Pin::new(io).poll_write_vectored(cx, bufs),
    }
}

/// Writes for the framed sinks; `S: 'static` so that closing can half-close async-std's
/// sockets as [`ChunkedStream::shutdown`] does.
impl<S: AsyncWrite + Unpin + 'static> PollWrite for ChunkedStream<S> {
    fn with_writer<R>(&mut self, f: impl FnOnce(&mut WriteFn<'_>) -> R) -> R {
        let io = &mut self.io;
        f(&mut |cx, bufs| poll_write_slices(io, cx, bufs))
    }

    fn poll_flush_transport(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_close_transport(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(Pin::new(&mut self.io).poll_flush(cx))?;
        match half_close(&self.io) {
            Some(done) => Poll::Ready(done),
            None => Pin::new(&mut self.io).poll_close(cx),
        }
    }
}

/// The read methods. Each returns the future of `pipe_core::adapter`, shared with the other
/// runtimes' adapters; every one is cancel safe (its progress lives in the pipe).
impl<S: AsyncRead + Unpin> ChunkedStream<S> {
    /// The next line, up to and including `\n`; without the ending, `\n` or `\r\n` is
    /// stripped. `Ok(None)` at the end of the stream; a last line without `\n` is an
    /// `UnexpectedEof` error carrying it ([`read_error_of`](crate::read_error_of)). A line over
    /// the maximum frame size (ending not counted) is `InvalidData`, with nothing consumed.
    ///
    /// Cancel safe: if the future is dropped before it completes, no data is lost; the next
    /// read sees every byte.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// let io = &b"PING\r\n"[..]; // any `AsyncRead`: a socket, a TLS stream, bytes
    /// let mut stream = pipe_async_std::ChunkedStream::new(io);
    /// assert_eq!(stream.read_line(false).await?.unwrap(), "PING");
    /// assert_eq!(stream.read_line(false).await?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn read_line(
        &mut self,
        with_ending: bool,
    ) -> impl Future<Output = io::Result<Option<Bytes>>> {
        adapter::read_line(self, with_ending)
    }

    /// Calls `f` with every complete line buffered, waiting until there is at least one: the
    /// zero-allocation form for hot loops (lines are lent from pooled memory). Returns how many
    /// lines `f` saw; `Ok(0)` at the end of the stream.
    ///
    /// Cancel safe: lines are handed to `f` and consumed within one poll.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// let io = &b"a\nbb\nccc\n"[..];
    /// let mut stream = pipe_async_std::ChunkedStream::new(io);
    /// let mut total = 0;
    /// while stream.read_lines_with(false, |line| total += line.len()).await? > 0 {}
    /// assert_eq!(total, 6);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn read_lines_with(
        &mut self,
        with_ending: bool,
        f: impl FnMut(&[u8]),
    ) -> impl Future<Output = io::Result<usize>> {
        adapter::read_lines_with(self, with_ending, f)
    }

    /// The next frame ending in `sep` (any non-empty separator), with or without it. `Ok(None)`
    /// at the end.
    ///
    /// Cancel safe: if the future is dropped before it completes, no data is lost.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// let io = &b"one\0two\0"[..];
    /// let mut stream = pipe_async_std::ChunkedStream::new(io);
    /// assert_eq!(stream.read_until(b"\0", false).await?.unwrap(), "one");
    /// assert_eq!(stream.read_until(b"\0", true).await?.unwrap(), "two\0");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn read_until<'a>(
        &'a mut self,
        sep: &'a [u8],
        with_sep: bool,
    ) -> impl Future<Output = io::Result<Option<Bytes>>> + 'a {
        adapter::read_until(self, sep, with_sep)
    }

    /// Exactly `n` bytes. `Ok(None)` if the stream ended with nothing buffered; an
    /// `UnexpectedEof` error carrying the leftover if it ended with fewer than `n`;
    /// `InvalidData` if `n` is over the maximum frame size. `n == 0` is an empty frame at once,
    /// even at the end (as [`Pipe::read_exact`](pipe_core::Pipe::read_exact)).
    ///
    /// Cancel safe: if the future is dropped before it completes, no data is lost.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// let io = &[0, 3, b'a', b'b', b'c'][..];
    /// let mut stream = pipe_async_std::ChunkedStream::new(io);
    /// let header = stream.read_exact(2).await?.unwrap();
    /// let len = u16::from_be_bytes([header[0], header[1]]) as usize;
    /// assert_eq!(stream.read_exact(len).await?.unwrap(), "abc");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn read_exact(&mut self, n: usize) -> impl Future<Output = io::Result<Option<Bytes>>> {
        adapter::read_exact(self, n)
    }

    /// The next line lent from the stream's pipe until the stream is used again: the async
    /// form of [`Pipe::read_line_ref`], for loops that look at each line and move on (no
    /// allocation, no reference count; a line split across chunks is copied once into a reused
    /// buffer). Otherwise as [`read_line`](ChunkedStream::read_line): `Ok(None)` at the end, a
    /// last line without `\n` an `UnexpectedEof` error carrying it, a line over the maximum
    /// frame size `InvalidData` with nothing consumed.
    ///
    /// Cancel safe: the line is consumed only when the future completes.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// let io = &b"SET k v\r\nGET k\r\n"[..];
    /// let mut stream = pipe_async_std::ChunkedStream::new(io);
    /// let mut commands = 0;
    /// while let Some(line) = stream.read_line_ref(false).await? {
    ///     assert!(line.starts_with(b"SET") || line.starts_with(b"GET"));
    ///     commands += 1;
    /// }
    /// assert_eq!(commands, 2);
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn read_line_ref(
        &mut self,
        with_ending: bool,
    ) -> impl Future<Output = io::Result<Option<&[u8]>>> + '_ {
        let io = &mut self.io;
        adapter::read_line_ref(
            &mut self.pipe,
            from_transport(move |cx, buf| poll_transport(io, cx, buf)),
            with_ending,
        )
    }

    /// The next frame ending in `sep`, lent until the stream is used again: the async form of
    /// [`Pipe::read_until_ref`]. Outcomes as [`read_until`](ChunkedStream::read_until).
    ///
    /// Cancel safe: the frame is consumed only when the future completes.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// let io = &b"key\0value\0"[..];
    /// let mut stream = pipe_async_std::ChunkedStream::new(io);
    /// assert_eq!(stream.read_until_ref(b"\0", false).await?, Some(&b"key"[..]));
    /// assert_eq!(stream.read_until_ref(b"\0", true).await?, Some(&b"value\0"[..]));
    /// assert_eq!(stream.read_until_ref(b"\0", true).await?, None);
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn read_until_ref<'a>(
        &'a mut self,
        sep: &'a [u8],
        with_sep: bool,
    ) -> impl Future<Output = io::Result<Option<&'a [u8]>>> + 'a {
        let io = &mut self.io;
        adapter::read_until_ref(
            &mut self.pipe,
            from_transport(move |cx, buf| poll_transport(io, cx, buf)),
            sep,
            with_sep,
        )
    }

    /// Exactly `n` bytes lent until the stream is used again: the async form of
    /// [`Pipe::read_exact_ref`]. Outcomes as [`read_exact`](ChunkedStream::read_exact).
    ///
    /// Cancel safe: the bytes are consumed only when the future completes.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// let io = &[0, 3, b'a', b'b', b'c'][..];
    /// let mut stream = pipe_async_std::ChunkedStream::new(io);
    /// let header = stream.read_exact_ref(2).await?.unwrap();
    /// let len = u16::from_be_bytes([header[0], header[1]]) as usize;
    /// assert_eq!(stream.read_exact_ref(len).await?, Some(&b"abc"[..]));
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn read_exact_ref(
        &mut self,
        n: usize,
    ) -> impl Future<Output = io::Result<Option<&[u8]>>> + '_ {
        let io = &mut self.io;
        adapter::read_exact_ref(
            &mut self.pipe,
            from_transport(move |cx, buf| poll_transport(io, cx, buf)),
            n,
        )
    }

    /// Between 1 and `n` bytes, as soon as any are there. `Ok(None)` at the end; `n == 0` is
    /// `InvalidInput`.
    ///
    /// Cancel safe: if the future is dropped before it completes, no data is lost.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// let io = &b"abc"[..];
    /// let mut stream = pipe_async_std::ChunkedStream::new(io);
    /// assert_eq!(stream.read_at_most(1024).await?.unwrap(), "abc");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn read_at_most(&mut self, n: usize) -> impl Future<Output = io::Result<Option<Bytes>>> {
        adapter::read_at_most(self, n)
    }

    /// Everything until the peer closes its side, up to the maximum frame size (past it:
    /// `InvalidData`, nothing consumed). Empty if nothing was left.
    ///
    /// Cancel safe: if the future is dropped before it completes, no data is lost.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// let io = &b"the whole body"[..];
    /// let mut stream = pipe_async_std::ChunkedStream::new(io);
    /// assert_eq!(stream.read_to_end().await?, "the whole body");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn read_to_end(&mut self) -> impl Future<Output = io::Result<Bytes>> {
        adapter::read_to_end(self)
    }

    /// Up to `n` bytes without consuming them, waiting for at least one. `Ok(None)` at the
    /// end. `peek(0)` is an empty frame at once, as on a pipe.
    ///
    /// Cancel safe: if the future is dropped before it completes, no data is lost.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// let io = &b"+OK\r\n"[..];
    /// let mut stream = pipe_async_std::ChunkedStream::new(io);
    /// assert_eq!(stream.peek(1).await?.unwrap(), "+");
    /// assert_eq!(stream.read_line(false).await?.unwrap(), "+OK");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn peek(&mut self, n: usize) -> impl Future<Output = io::Result<Option<Bytes>>> {
        adapter::peek(self, n)
    }

    /// Waits until more bytes are buffered than when it was called and returns how many
    /// arrived (`Ok(0)` at the end of the stream): the way to drive a parser that reads
    /// synchronously from [`pipe_mut`](ChunkedStream::pipe_mut) and waits only when a read
    /// says `NeedMore`. Each call reads at most one chunk (the pipe's adaptive chunk size, at
    /// most its `max_chunk`), however much is buffered: the maximum frame size bounds what a
    /// frame search buffers, not what a parser that asks for more gets.
    ///
    /// Cancel safe: bytes that arrived stay buffered.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// use pipe_async_std::ReadError;
    /// let io = &b"GET a\r\nGET b\r\n"[..];
    /// let mut stream = pipe_async_std::ChunkedStream::new(io);
    /// let mut keys = Vec::new();
    /// loop {
    ///     match stream.pipe_mut().read_line_ref(false) {
    ///         Ok(line) => keys.push(line[4..].to_vec()),
    ///         Err(ReadError::NeedMore) => {
    ///             stream.fill_more().await?;
    ///         }
    ///         Err(_) => break, // the end (or a partial line, an error)
    ///     }
    /// }
    /// assert_eq!(keys, [b"a", b"b"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn fill_more(&mut self) -> impl Future<Output = io::Result<usize>> {
        adapter::fill_more(self)
    }

    /// Waits until at least `n` bytes are buffered, consuming nothing: `Ok(true)` then,
    /// `Ok(false)` if the stream ended with fewer. Bounded like every read: `n` over the
    /// maximum frame size is `InvalidData` at once. For parsers that know how much the next
    /// frame needs (a header's length) and then read it synchronously from
    /// [`pipe_mut`](ChunkedStream::pipe_mut).
    ///
    /// Cancel safe: bytes that arrived stay buffered.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// let mut stream = pipe_async_std::ChunkedStream::new(&b"\x00\x03abc"[..]);
    /// assert!(stream.fill_at_least(5).await?);
    /// let mut cursor = stream.pipe_mut().cursor();
    /// let len = cursor.u16_be()? as usize;
    /// assert_eq!(cursor.bytes(len)?, "abc");
    /// cursor.commit();
    /// assert!(!stream.fill_at_least(1).await?); // the end
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn fill_at_least(&mut self, n: usize) -> impl Future<Output = io::Result<bool>> {
        adapter::fill_at_least(self, n)
    }

    /// Drops bytes up to and including the next `sep`, reading as needed: the way on after a
    /// frame over the limit. Memory stays bounded: bytes without a separator are dropped as
    /// they arrive. Returns how many bytes were dropped (at the end of the stream, what was dropped
    /// before it).
    ///
    /// Cancel safe: bytes dropped before a cancellation stay dropped; nothing else is lost.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// use pipe_async_std::{ChunkedStream, PipeOptions};
    /// let io = &b"far too long a line\nok\n"[..];
    /// let options = PipeOptions::new().max_frame(8);
    /// let mut stream = ChunkedStream::with_options(io, options);
    /// let err = stream.read_line(false).await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    /// assert_eq!(stream.discard_until(b"\n").await?, 20);
    /// assert_eq!(stream.read_line(false).await?.unwrap(), "ok");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn discard_until<'a>(
        &'a mut self,
        sep: &'a [u8],
    ) -> impl Future<Output = io::Result<usize>> + 'a {
        adapter::discard_until(self, sep)
    }

    /// A `futures_core::Stream` of lines (see [`read_line`](ChunkedStream::read_line)). Errors
    /// never repeat: a line over the limit gives one `InvalidData` error and is dropped through
    /// its `\n`, then the lines after it come; a partial last line or a transport error is
    /// given once, then the stream ends. `into_inner` gives the stream back.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// use futures_util::StreamExt;
    /// let io = &b"one\ntwo\n"[..];
    /// let mut lines = pipe_async_std::ChunkedStream::new(io).lines(false);
    /// let mut seen = Vec::new();
    /// while let Some(line) = lines.next().await {
    ///     seen.push(line?);
    /// }
    /// assert_eq!(seen, ["one", "two"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn lines(self, with_ending: bool) -> crate::Lines<S> {
        pipe_core::Lines::new(self, with_ending)
    }
}

impl<S: AsyncWrite + Unpin> ChunkedStream<S> {
    /// Writes all of `data` to the transport, resuming after partial writes. Not cancel safe:
    /// if the future is dropped, a prefix of `data` may have been written (use
    /// [`write_vectored_all`](ChunkedStream::write_vectored_all) to know how much).
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// let mut stream = pipe_async_std::ChunkedStream::new(Vec::new()); // any `AsyncWrite`
    /// stream.write_all(b"PING\r\n").await?;
    /// assert_eq!(stream.get_ref(), b"PING\r\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.write_vectored_all(&mut &mut [IoSlice::new(data)][..])
            .await
    }

    /// Writes every byte of `bufs` with vectored writes (one `writev` where the transport
    /// supports it; a single slice, or what is left of the last one, with a plain write),
    /// resuming after partial writes. `bufs` is advanced in place as bytes go
    /// out (as `IoSlice::advance_slices` does: slices written whole are dropped from the
    /// front, a slice written in part is shortened), so after a cancellation `bufs` holds
    /// exactly what is left to write: call again with it to resume, and every byte goes out
    /// once. Empty when it completes.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// use std::io::IoSlice;
    /// let mut stream = pipe_async_std::ChunkedStream::new(Vec::new()); // any `AsyncWrite`
    /// let mut slices = [IoSlice::new(b"SET k "), IoSlice::new(b"v\r\n")];
    /// let mut bufs = &mut slices[..];
    /// stream.write_vectored_all(&mut bufs).await?;
    /// assert!(bufs.is_empty());
    /// assert_eq!(stream.get_ref(), b"SET k v\r\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn write_vectored_all(
        &mut self,
        bufs: &mut &mut [IoSlice<'_>],
    ) -> impl Future<Output = io::Result<()>> {
        // Straight on the transport, not through `PollWrite` (which asks `S: 'static` for the
        // half-close of `close`): writes work on borrowed transports too.
        let io = &mut self.io;
        std::future::poll_fn(move |cx| {
            adapter::poll_write_vectored_all(cx, bufs, |cx, b| poll_write_slices(io, cx, b))
        })
    }

    /// Flushes the transport.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// let io = futures_util::io::BufWriter::new(Vec::new()); // a transport that buffers writes
    /// let mut stream = pipe_async_std::ChunkedStream::new(io);
    /// stream.write_all(b"PING\r\n").await?;
    /// assert!(stream.get_ref().get_ref().is_empty()); // still in the `BufWriter`
    /// stream.flush().await?;
    /// assert_eq!(stream.get_ref().get_ref(), b"PING\r\n");
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn flush(&mut self) -> io::Result<()> {
        std::future::poll_fn(|cx| Pin::new(&mut self.io).poll_flush(cx)).await
    }

    /// Shuts down the write side; reading goes on until the peer closes. For async-std's
    /// `TcpStream` and `UnixStream` (and halves made by `into_split`) this is a real half-close
    /// (`shutdown(Write)`, a TCP FIN). futures-io has no half-close, so for any other transport
    /// it is the transport's `poll_close`: smol's `smol::net::TcpStream` and
    /// `smol::net::unix::UnixStream` half-close there too, but `smol::Async<std::net::TcpStream>`
    /// (async-io's wrapper) only flushes: shut that one down with
    /// `get_ref().get_ref().shutdown(Shutdown::Write)`.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// use pipe_async_std::ChunkedStream;
    /// let (a, b) = async_std::os::unix::net::UnixStream::pair()?;
    /// let (mut client, mut server) = (ChunkedStream::new(a), ChunkedStream::new(b));
    /// client.write_all(b"request").await?;
    /// client.shutdown().await?;
    /// assert_eq!(server.read_to_end().await?, "request"); // then the end
    /// server.write_all(b"reply\n").await?;
    /// assert_eq!(client.read_line(false).await?.unwrap(), "reply"); // reading goes on
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn shutdown(&mut self) -> io::Result<()>
    where
        S: 'static,
    {
        self.flush().await?;
        if let Some(done) = half_close(&self.io) {
            return done;
        }
        std::future::poll_fn(|cx| Pin::new(&mut self.io).poll_close(cx)).await
    }

    /// Shuts down the write side and drops the stream.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// use pipe_async_std::ChunkedStream;
    /// let (a, b) = async_std::os::unix::net::UnixStream::pair()?;
    /// let (mut client, mut server) = (ChunkedStream::new(a), ChunkedStream::new(b));
    /// client.write_all(b"bye\n").await?;
    /// client.close().await?;
    /// assert_eq!(server.read_line(false).await?.unwrap(), "bye");
    /// assert_eq!(server.read_line(false).await?, None); // the end
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn close(mut self) -> io::Result<()>
    where
        S: 'static,
    {
        self.shutdown().await
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ChunkedStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let io = &mut this.io;
        adapter::poll_read_from(&mut this.pipe, cx, buf, |cx, b| poll_transport(io, cx, b))
    }
}

impl<S: AsyncRead + Unpin> AsyncBufRead for ChunkedStream<S> {
    #[inline]
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        let io = &mut this.io;
        adapter::poll_fill_buf(
            &mut this.pipe,
            cx,
            from_transport(|cx, b| poll_transport(io, cx, b)),
        )
    }

    #[inline]
    fn consume(self: Pin<&mut Self>, amt: usize) {
        adapter::consume(&mut self.get_mut().pipe, amt);
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ChunkedStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_close(cx)
    }
}

impl<S: AsyncRead + AsyncWrite> ChunkedStream<S> {
    /// Read and write halves of any transport (through futures' `split`); the read half keeps
    /// the buffered bytes. The write half's `shutdown` is futures' `WriteHalf::poll_close`,
    /// which on async-std's `TcpStream` only flushes (no FIN): for a half-close of a TCP or
    /// Unix socket, split with `into_split`.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// use pipe_async_std::ChunkedStream;
    /// let (a, b) = async_std::os::unix::net::UnixStream::pair()?;
    /// let (mut client, mut server) = (ChunkedStream::new(a), ChunkedStream::new(b));
    /// server.write_all(b"one\ntwo\n").await?;
    /// assert_eq!(client.read_line(false).await?.unwrap(), "one");
    /// let (mut reader, mut writer) = client.split();
    /// assert_eq!(reader.read_line(false).await?.unwrap(), "two"); // kept by the read half
    /// writer.write_all(b"three\n").await?;
    /// assert_eq!(server.read_line(false).await?.unwrap(), "three");
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn split(self) -> (ChunkedStream<ReadHalf<S>>, ChunkedStream<WriteHalf<S>>) {
        let (io, pipe) = self.into_inner();
        let (r, w) = io.split();
        (ChunkedStream::from_parts(r, pipe), ChunkedStream::new(w))
    }
}
