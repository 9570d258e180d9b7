//! `ChunkedStream`: a futures-io transport and the pipe its bytes arrive in.

use std::any::Any;
use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};
use pipe_core::stream::{ReadRequest, into_io, poll_write_vectored_all};
use pipe_core::{Pipe, PipeOptions};

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
    /// The transport; bytes read from it go into `pipe` and nowhere else.
    io: S,
    /// The bytes read from `io` and not yet consumed, and how the read side ended.
    pipe: Pipe,
}

impl<S> ChunkedStream<S> {
    /// Wraps `io` with [`PipeOptions::default`] (global pool, 64 KiB maximum frame).
    pub fn new(io: S) -> Self {
        Self::with_options(io, PipeOptions::default())
    }

    /// Wraps `io` with the given pool, maximum frame size and chunk sizes.
    pub fn with_options(io: S, options: PipeOptions) -> Self {
        Self::from_parts(io, Pipe::with_options(options))
    }

    /// Puts a transport and a pipe back together; reads see the pipe's bytes first.
    pub fn from_parts(io: S, pipe: Pipe) -> Self {
        ChunkedStream { io, pipe }
    }

    /// The transport.
    pub fn get_ref(&self) -> &S {
        &self.io
    }

    /// The transport, mutably (reading from it directly bypasses the buffered bytes).
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.io
    }

    /// The transport and the pipe with whatever was read and not consumed: nothing is lost.
    pub fn into_inner(self) -> (S, Pipe) {
        (self.io, self.pipe)
    }

    /// The pipe holding what was read and not yet consumed.
    pub fn pipe(&self) -> &Pipe {
        &self.pipe
    }

    /// The pipe, mutably: for its synchronous reads and settings.
    pub fn pipe_mut(&mut self) -> &mut Pipe {
        &mut self.pipe
    }

    /// Bytes read from the transport and not yet consumed.
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

impl<S: AsyncRead + Unpin> ChunkedStream<S> {
    /// Polls for one read request; the base of every read method.
    pub fn poll_read_request(
        &mut self,
        cx: &mut Context<'_>,
        request: ReadRequest<'_>,
    ) -> Poll<io::Result<Option<Bytes>>> {
        let io = &mut self.io;
        self.pipe
            .poll_request(cx, request, |cx, buf| poll_transport(io, cx, buf))
            .map(into_io)
    }

    async fn request(&mut self, request: ReadRequest<'_>) -> io::Result<Option<Bytes>> {
        std::future::poll_fn(|cx| self.poll_read_request(cx, request)).await
    }

    /// The next line (`\n`, or `\r\n` stripped without the ending); `Ok(None)` at the end.
    /// Cancel safe: dropping the future loses no data.
    pub async fn read_line(&mut self, with_ending: bool) -> io::Result<Option<Bytes>> {
        self.request(ReadRequest::Line { with_ending }).await
    }

    /// The next frame ending in `sep`; `Ok(None)` at the end. Cancel safe.
    pub async fn read_until(&mut self, sep: &[u8], with_sep: bool) -> io::Result<Option<Bytes>> {
        self.request(ReadRequest::Until { sep, with_sep }).await
    }

    /// Exactly `n` bytes; `Ok(None)` at the end, `UnexpectedEof` with the leftover if the
    /// stream ends inside. Cancel safe.
    pub async fn read_exact(&mut self, n: usize) -> io::Result<Option<Bytes>> {
        self.request(ReadRequest::Exact(n)).await
    }

    /// Between 1 and `n` bytes as soon as any are there; `Ok(None)` at the end. Cancel safe.
    pub async fn read_at_most(&mut self, n: usize) -> io::Result<Option<Bytes>> {
        self.request(ReadRequest::AtMost(n)).await
    }

    /// Everything until the peer closes, within the maximum frame size. Cancel safe.
    pub async fn read_to_end(&mut self) -> io::Result<Bytes> {
        Ok(self.request(ReadRequest::ToEnd).await?.unwrap_or_default())
    }

    /// Up to `n` bytes without consuming them, waiting for one; `Ok(None)` at the end.
    /// Cancel safe.
    pub async fn peek(&mut self, n: usize) -> io::Result<Option<Bytes>> {
        self.request(ReadRequest::Peek(n)).await
    }

    /// Drops bytes through the next `sep`, reading as needed, in bounded memory: the way on
    /// after a frame over the limit. Returns the bytes dropped. Cancel safe.
    pub async fn discard_until(&mut self, sep: &[u8]) -> io::Result<usize> {
        let mut dropped = 0;
        std::future::poll_fn(|cx| {
            let io = &mut self.io;
            self.pipe
                .poll_discard_until(cx, sep, &mut dropped, |cx, b| poll_transport(io, cx, b))
        })
        .await
    }

    /// A `Stream` of lines, ending at the end of the transport.
    pub fn lines(self, with_ending: bool) -> crate::Lines<S> {
        crate::Lines::new(self, with_ending)
    }
}

impl<S: AsyncWrite + Unpin> ChunkedStream<S> {
    /// Writes all of `data`, resuming after partial writes.
    pub async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.write_vectored_all(&mut [IoSlice::new(data)]).await
    }

    /// Writes every byte of `bufs` with vectored writes, resuming after partial writes; `bufs`
    /// is advanced as bytes go out.
    pub async fn write_vectored_all(&mut self, mut bufs: &mut [IoSlice<'_>]) -> io::Result<()> {
        let io = &mut self.io;
        std::future::poll_fn(|cx| {
            poll_write_vectored_all(cx, &mut bufs, |cx, b| {
                Pin::new(&mut *io).poll_write_vectored(cx, b)
            })
        })
        .await
    }

    /// Flushes the transport.
    pub async fn flush(&mut self) -> io::Result<()> {
        std::future::poll_fn(|cx| Pin::new(&mut self.io).poll_flush(cx)).await
    }

    /// Shuts down the write side; reading goes on until the peer closes. For async-std's
    /// `TcpStream` and `UnixStream` (and halves made by `into_split`) this is a real half-close
    /// (`shutdown(Write)`, a TCP FIN). futures-io has no half-close, so for any other transport
    /// it is the transport's `poll_close`, which for async-io sockets (smol) only flushes: shut
    /// those down with their own `shutdown(Shutdown::Write)` through
    /// [`get_ref`](ChunkedStream::get_ref).
    pub async fn shutdown(&mut self) -> io::Result<()>
    where
        S: 'static,
    {
        self.flush().await?;
        let io: &dyn Any = &self.io;
        if let Some(tcp) = io.downcast_ref::<async_std::net::TcpStream>() {
            return tcp.shutdown(Shutdown::Write);
        }
        if let Some(unix) = io.downcast_ref::<async_std::os::unix::net::UnixStream>() {
            return unix.shutdown(Shutdown::Write);
        }
        std::future::poll_fn(|cx| Pin::new(&mut self.io).poll_close(cx)).await
    }

    /// Shuts down the write side and drops the stream.
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
        this.pipe
            .poll_read_into(cx, buf, |cx, b| poll_transport(io, cx, b))
    }
}

impl<S: AsyncRead + Unpin> AsyncBufRead for ChunkedStream<S> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        let io = &mut this.io;
        this.pipe
            .poll_fill_buf(cx, |cx, b| poll_transport(io, cx, b))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_mut().pipe.skip(amt);
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
