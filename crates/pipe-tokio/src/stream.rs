//! `ChunkedStream`: a transport and the pipe its bytes arrive in.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use pipe_core::stream::{ReadRequest, into_io, poll_write_vectored_all};
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

impl<S: AsyncRead + Unpin> ChunkedStream<S> {
    /// Polls for one read request; the base of every read method. See the
    /// [crate docs](crate) for the outcome mapping.
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

    /// The next line, up to and including `\n`; without the ending, `\n` or `\r\n` is
    /// stripped. `Ok(None)` at the end of the stream.
    ///
    /// Cancel safe: if the future is dropped before it completes, no data is lost; the next read
    /// sees every byte.
    pub async fn read_line(&mut self, with_ending: bool) -> io::Result<Option<Bytes>> {
        self.request(ReadRequest::Line { with_ending }).await
    }

    /// The next frame ending in `sep`, with or without the separator. `Ok(None)` at the end.
    ///
    /// Cancel safe: if the future is dropped before it completes, no data is lost.
    pub async fn read_until(&mut self, sep: &[u8], with_sep: bool) -> io::Result<Option<Bytes>> {
        self.request(ReadRequest::Until { sep, with_sep }).await
    }

    /// Exactly `n` bytes. `Ok(None)` if the stream ended with nothing buffered; an
    /// `UnexpectedEof` error carrying the leftover if it ended with fewer than `n`.
    ///
    /// Cancel safe: if the future is dropped before it completes, no data is lost.
    pub async fn read_exact(&mut self, n: usize) -> io::Result<Option<Bytes>> {
        self.request(ReadRequest::Exact(n)).await
    }

    /// Between 1 and `n` bytes, as soon as any are there. `Ok(None)` at the end.
    ///
    /// Cancel safe: if the future is dropped before it completes, no data is lost.
    pub async fn read_at_most(&mut self, n: usize) -> io::Result<Option<Bytes>> {
        self.request(ReadRequest::AtMost(n)).await
    }

    /// Everything until the peer closes its side, up to the maximum frame size (past it:
    /// `InvalidData`, nothing consumed). Empty if nothing was left.
    ///
    /// Cancel safe: if the future is dropped before it completes, no data is lost.
    pub async fn read_to_end(&mut self) -> io::Result<Bytes> {
        Ok(self.request(ReadRequest::ToEnd).await?.unwrap_or_default())
    }

    /// Up to `n` bytes without consuming them, waiting for at least one. `Ok(None)` at the end.
    ///
    /// Cancel safe: if the future is dropped before it completes, no data is lost.
    pub async fn peek(&mut self, n: usize) -> io::Result<Option<Bytes>> {
        self.request(ReadRequest::Peek(n)).await
    }

    /// Drops bytes up to and including the next `sep`, reading as needed: the way on after a
    /// frame over the limit. Memory stays bounded: bytes without a separator are dropped as
    /// they arrive. Returns the bytes dropped; at the end of the stream, what was dropped
    /// before it.
    ///
    /// Cancel safe: bytes dropped before a cancellation stay dropped, and nothing else is lost.
    pub async fn discard_until(&mut self, sep: &[u8]) -> io::Result<usize> {
        let mut dropped = 0;
        std::future::poll_fn(|cx| {
            let io = &mut self.io;
            self.pipe
                .poll_discard_until(cx, sep, &mut dropped, |cx, b| poll_transport(io, cx, b))
        })
        .await
    }

    /// A stream of lines (see [`read_line`](ChunkedStream::read_line)), ending at the end of
    /// the transport. [`Lines::into_inner`](crate::Lines::into_inner) gives the stream back.
    pub fn lines(self, with_ending: bool) -> crate::Lines<S> {
        crate::Lines::new(self, with_ending)
    }
}

impl<S: AsyncWrite + Unpin> ChunkedStream<S> {
    /// Writes all of `data` to the transport, resuming after partial writes.
    pub async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.write_vectored_all(&mut [IoSlice::new(data)]).await
    }

    /// Writes every byte of `bufs` with vectored writes (one `writev` where the transport
    /// supports it), resuming after partial writes. `bufs` is advanced as bytes go out, so after
    /// a cancellation it holds exactly what is left to write.
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
            |cx, b| poll_transport(io, cx, b)
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
