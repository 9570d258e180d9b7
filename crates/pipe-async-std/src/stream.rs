//! `ChunkedStream`: a futures-io transport and the pipe its bytes arrive in.

use std::any::Any;
use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};
use pipe_core::stream::{FillFn, PollRead, PollWrite, WriteFn, from_transport};
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

impl<S: AsyncRead + Unpin> PollRead for ChunkedStream<S> {
    fn with_parts<R>(&mut self, f: impl FnOnce(&mut Pipe, &mut FillFn<'_>) -> R) -> R {
        let io = &mut self.io;
        f(
            &mut self.pipe,
            &mut from_transport(|cx, buf| poll_transport(io, cx, buf)),
        )
    }
}

impl<S: AsyncWrite + Unpin> PollWrite for ChunkedStream<S> {
    fn with_writer<R>(&mut self, f: impl FnOnce(&mut WriteFn<'_>) -> R) -> R {
        let io = &mut self.io;
        f(&mut |cx, bufs| Pin::new(&mut *io).poll_write_vectored(cx, bufs))
    }
}

/// The read methods, shared with the other runtime's adapter (`pipe_core::async_read_methods!`).
impl<S: AsyncRead + Unpin> ChunkedStream<S> {
    pipe_core::async_read_methods!();
}

impl<S: AsyncWrite + Unpin> ChunkedStream<S> {
    pipe_core::async_write_methods!();

    /// Flushes the transport.
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
            .poll_read_into(cx, buf, from_transport(|cx, b| poll_transport(io, cx, b)))
    }
}

impl<S: AsyncRead + Unpin> AsyncBufRead for ChunkedStream<S> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        let io = &mut this.io;
        this.pipe
            .poll_fill_buf(cx, from_transport(|cx, b| poll_transport(io, cx, b)))
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
