//! `ChunkedStream`: a transport and the pipe its bytes arrive in.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use pipe_core::stream::{FillFn, PollRead, PollWrite, WriteFn, from_transport};
use pipe_core::{Pipe, PipeOptions};
use tokio::io::{AsyncBufRead, AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};

/// A transport `S` whose incoming bytes are read as frames out of a pooled [`Pipe`].
///
/// Reads need `S: AsyncRead + Unpin`, writes `S: AsyncWrite + Unpin`; a read half of a split
/// socket is a `ChunkedStream` too. Every read method is cancel safe.
///
/// ```
/// use pipe_tokio::ChunkedStream;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let (client, server) = tokio::io::duplex(64);
/// let mut client = ChunkedStream::new(client);
/// let mut server = ChunkedStream::new(server);
/// client.write_all(b"hello\r\nworld").await?;
/// client.shutdown().await?;
/// assert_eq!(server.read_line(false).await?.unwrap(), "hello");
/// assert_eq!(server.read_to_end().await?, "world");
/// assert_eq!(server.read_line(false).await?, None); // the end
/// # Ok(())
/// # }
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
        ChunkedStream {
            io,
            pipe: Pipe::with_options(options),
        }
    }

    /// The transport.
    pub fn get_ref(&self) -> &S {
        &self.io
    }

    /// The transport, mutably. Reading from it directly bypasses (and may reorder around) the
    /// bytes already buffered.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.io
    }

    /// Puts a transport and a pipe (from [`into_inner`](ChunkedStream::into_inner)) back
    /// together; reads see the pipe's bytes first.
    pub fn from_parts(io: S, pipe: Pipe) -> Self {
        ChunkedStream { io, pipe }
    }

    /// The transport and the pipe with whatever was read and not consumed: nothing is lost.
    pub fn into_inner(self) -> (S, Pipe) {
        (self.io, self.pipe)
    }

    /// The pipe holding what was read and not yet consumed.
    pub fn pipe(&self) -> &Pipe {
        &self.pipe
    }

    /// The pipe, mutably: for its synchronous reads and settings (`set_max_frame`).
    pub fn pipe_mut(&mut self) -> &mut Pipe {
        &mut self.pipe
    }

    /// Bytes read from the transport and not yet consumed.
    pub fn buffered(&self) -> usize {
        self.pipe.len()
    }
}

/// Polls `io` for bytes into `buf`, the shape `pipe_core::stream` asks of a transport.
fn poll_transport<S: AsyncRead + Unpin>(
    io: &mut S,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    let mut buf = ReadBuf::new(buf);
    match Pin::new(io).poll_read(cx, &mut buf) {
        Poll::Ready(Ok(())) => Poll::Ready(Ok(buf.filled().len())),
        Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
        Poll::Pending => Poll::Pending,
    }
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
        self.io.flush().await
    }

    /// Shuts down the write side (a TCP FIN); reading goes on until the peer closes.
    pub async fn shutdown(&mut self) -> io::Result<()> {
        self.io.shutdown().await
    }

    /// Shuts down the write side and drops the stream (and whatever was buffered).
    pub async fn close(mut self) -> io::Result<()> {
        self.io.shutdown().await
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ChunkedStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let io = &mut this.io;
        let n = std::task::ready!(this.pipe.poll_read_into(
            cx,
            buf.initialize_unfilled(),
            from_transport(|cx, b| poll_transport(io, cx, b))
        ))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
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

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
