//! The runtime-free core of an async chunked stream, shared by `pipe-tokio` and
//! `pipe-async-std`: serve a read request from the pipe, and when it needs more, fill the pipe
//! from a transport through a poll function. The adapters only say how to poll their transport.
//!
//! All progress lives in the pipe, so a read future built on [`Pipe::poll_request`] can be dropped
//! at any `Pending` without losing a byte (it is cancel safe). While the transport has nothing
//! to give, the pipe holds no chunk it did not already hold: a chunk is lent to the transport
//! only for the duration of one poll and given back if nothing arrived.

use std::io::{self, IoSlice};
use std::task::{Context, Poll, ready};

use bytes::Bytes;

use crate::error::ReadError;
use crate::pipe::{Pipe, PipeState};

/// What one poll of the transport gave.
enum Fill {
    Got(usize),
    Retry,
    NotReady,
    Failed(io::Error),
}

/// A read an async stream serves from its pipe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadRequest<'a> {
    /// [`Pipe::read_line`] with or without the ending.
    Line {
        /// Keep the `\n` (and a `\r` before it).
        with_ending: bool,
    },
    /// [`Pipe::read_until`].
    Until {
        /// The separator (non-empty).
        sep: &'a [u8],
        /// Keep the separator.
        with_sep: bool,
    },
    /// [`Pipe::read_exact`].
    Exact(usize),
    /// [`Pipe::read_at_most`].
    AtMost(usize),
    /// [`Pipe::peek`]: waits until at least one byte is buffered (or the end).
    Peek(usize),
    /// Everything up to the end of the stream, within the maximum frame size.
    ToEnd,
}

impl Pipe {
    /// Serves `request` from what is buffered, without any I/O.
    pub fn try_request(&mut self, request: ReadRequest<'_>) -> Result<Bytes, ReadError> {
        match request {
            ReadRequest::Line { with_ending } => self.read_line(with_ending),
            ReadRequest::Until { sep, with_sep } => self.read_until(sep, with_sep),
            ReadRequest::Exact(n) => self.read_exact(n),
            ReadRequest::AtMost(n) => self.read_at_most(n),
            ReadRequest::Peek(n) => self.peek(n),
            ReadRequest::ToEnd => self.read_to_end_buffered(),
        }
    }

    fn read_to_end_buffered(&mut self) -> Result<Bytes, ReadError> {
        self.release_spent();
        if self.len > self.max_frame {
            return Err(ReadError::LimitExceeded {
                limit: self.max_frame,
                buffered: self.len,
            });
        }
        match &self.state {
            PipeState::Open => Err(ReadError::NeedMore),
            PipeState::Closed => Ok(self.take(self.len)),
            PipeState::Failed(e) => Err(ReadError::Stream(e.clone())),
        }
    }

    /// How many bytes the next fill may add for `request` without buffering past the frame
    /// limit (at least 1, so a read always makes progress towards an outcome). A frame search
    /// needs at most `max_frame` bytes plus its ending (`\r\n` for a line); reads that take
    /// whatever is there get `usize::MAX` (one fill reads at most one chunk).
    pub fn fill_budget(&self, request: ReadRequest<'_>) -> usize {
        let slack = match request {
            ReadRequest::Line { .. } => 2,
            ReadRequest::Until { sep, .. } => sep.len(),
            ReadRequest::AtMost(_) | ReadRequest::Peek(_) => return usize::MAX,
            ReadRequest::Exact(_) | ReadRequest::ToEnd => 1,
        };
        self.max_frame
            .saturating_add(slack)
            .saturating_sub(self.len)
            .max(1)
    }

    /// Calls `fill` once and checks that it made progress: a fill that is ready without new
    /// bytes, an end or an error means the reader cannot wait (the in-process writer is paused
    /// by backpressure and the buffered bytes already pass what one frame may need), which is
    /// reported as [`ReadError::LimitExceeded`] rather than waited on forever.
    fn poll_more(
        &mut self,
        cx: &mut Context<'_>,
        budget: usize,
        fill: &mut impl FnMut(&mut Pipe, &mut Context<'_>, usize) -> Poll<()>,
    ) -> Poll<Result<(), ReadError>> {
        let before = self.len;
        ready!(fill(self, cx, budget));
        if self.len == before && !self.is_closed() {
            return Poll::Ready(Err(ReadError::LimitExceeded {
                limit: self.max_frame,
                buffered: self.len,
            }));
        }
        Poll::Ready(Ok(()))
    }

    /// One fill from a transport: lends up to `budget` bytes of pooled space to `read`, commits
    /// what it reads, closes the pipe at end of stream (`Ok(0)`) or with the error it returns.
    /// `Interrupted` is retried; `WouldBlock` is treated as "not ready" (the task is woken to
    /// poll again). On `Pending` the lent chunk goes back unless it holds earlier data.
    ///
    /// `Ready(())` means the pipe changed (data, end or error); call [`Pipe::try_request`] again.
    pub fn poll_fill(
        &mut self,
        cx: &mut Context<'_>,
        budget: usize,
        mut read: impl FnMut(&mut Context<'_>, &mut [u8]) -> Poll<io::Result<usize>>,
    ) -> Poll<()> {
        loop {
            let buf = match self.get_buffer(0) {
                Ok(buf) => buf,
                // Closed: nothing more will come; the caller's next try sees the outcome.
                Err(_) => return Poll::Ready(()),
            };
            let room = buf.len().min(budget.max(1));
            let fill = match read(cx, &mut buf[..room]) {
                Poll::Ready(Ok(n)) if n > room => Fill::Failed(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the transport reported more bytes than it was given",
                )),
                Poll::Ready(Ok(n)) => Fill::Got(n),
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => Fill::Retry,
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                    cx.waker().wake_by_ref();
                    Fill::NotReady
                }
                Poll::Ready(Err(e)) => Fill::Failed(e),
                Poll::Pending => Fill::NotReady,
            };
            // Every loan ends here: commit what arrived, or nothing (the chunk goes back).
            let arrived = if let Fill::Got(n) = fill { n } else { 0 };
            self.buffer_written(arrived)
                .expect("the loan was just made and `arrived <= room`");
            match fill {
                Fill::Retry => continue,
                Fill::NotReady => return Poll::Pending,
                Fill::Got(0) => {
                    let _ = self.eof();
                }
                Fill::Got(_) => {}
                Fill::Failed(e) => {
                    let _ = self.eof_with_error(e);
                }
            }
            return Poll::Ready(());
        }
    }

    /// Serves `request`, calling `fill` (see [`FillFn`]) as long as it needs more. Cancel
    /// safe: dropping the caller between polls loses nothing.
    pub fn poll_request(
        &mut self,
        cx: &mut Context<'_>,
        request: ReadRequest<'_>,
        mut fill: impl FnMut(&mut Pipe, &mut Context<'_>, usize) -> Poll<()>,
    ) -> Poll<Result<Bytes, ReadError>> {
        loop {
            match self.try_request(request) {
                Err(ReadError::NeedMore) => {}
                done => return Poll::Ready(done),
            }
            let budget = self.fill_budget(request);
            if let Err(e) = ready!(self.poll_more(cx, budget, &mut fill)) {
                return Poll::Ready(Err(e));
            }
        }
    }
}

/// A fill from a transport: [`Pipe::poll_fill`] with `read`, as a [`FillFn`].
pub fn from_transport(
    mut read: impl FnMut(&mut Context<'_>, &mut [u8]) -> Poll<io::Result<usize>>,
) -> impl FnMut(&mut Pipe, &mut Context<'_>, usize) -> Poll<()> {
    move |pipe, cx, budget| pipe.poll_fill(cx, budget, &mut read)
}

impl Pipe {
    /// Calls `f` with every complete line buffered, filling (see [`FillFn`]) until there is
    /// at least one: the async form of [`Pipe::read_lines_with`]. Ready with the number of
    /// lines, `Ok(0)` at the clean end, or the outcome as an `io::Error` (see [`into_io`]).
    /// Lines handed to `f` are consumed in the same poll, so dropping the caller between polls
    /// loses nothing.
    pub fn poll_lines_with(
        &mut self,
        cx: &mut Context<'_>,
        with_ending: bool,
        f: &mut dyn FnMut(&[u8]),
        mut fill: impl FnMut(&mut Pipe, &mut Context<'_>, usize) -> Poll<()>,
    ) -> Poll<io::Result<usize>> {
        let request = ReadRequest::Line { with_ending };
        loop {
            match self.read_lines_with(with_ending, &mut *f) {
                Ok(n) => return Poll::Ready(Ok(n)),
                Err(ReadError::NeedMore) => {}
                Err(e) => return Poll::Ready(into_io(Err(e)).map(|_| 0)),
            }
            let budget = self.fill_budget(request);
            if let Err(e) = ready!(self.poll_more(cx, budget, &mut fill)) {
                return Poll::Ready(into_io(Err(e)).map(|_| 0));
            }
        }
    }

    /// Drops bytes up to and including the next `sep`, filling (see [`FillFn`]) as needed;
    /// the async form of [`Pipe::discard_until`]. `dropped` accumulates what was dropped, so a
    /// caller polled again after `Pending` (or re-created after a cancellation) keeps count.
    /// Ready with the total when the separator was dropped, or at the clean end; with the error
    /// if the transport failed.
    pub fn poll_discard_until(
        &mut self,
        cx: &mut Context<'_>,
        sep: &[u8],
        dropped: &mut usize,
        mut fill: impl FnMut(&mut Pipe, &mut Context<'_>, usize) -> Poll<()>,
    ) -> Poll<io::Result<usize>> {
        loop {
            match self.discard_until(sep) {
                Ok(crate::Discarded::Found(n)) => return Poll::Ready(Ok(*dropped + n)),
                Ok(crate::Discarded::NotYet(n)) => *dropped += n,
                Err(ReadError::End) => return Poll::Ready(Ok(*dropped)),
                Err(e) => return Poll::Ready(Err(e.into())),
            }
            if let PipeState::Failed(e) = &self.state {
                return Poll::Ready(Err(e.to_io_error()));
            }
            if let Err(e) = ready!(self.poll_more(cx, usize::MAX, &mut fill)) {
                return Poll::Ready(Err(e.into()));
            }
        }
    }

    /// Polls for more bytes than were buffered when `since` was first set (on the first poll):
    /// Ready with how many arrived, `Ok(0)` at the clean end, the stream's error after a failed
    /// one (bytes that arrived before it are reported first). One fill reads at most one chunk
    /// (the pipe's adaptive chunk size, at most its `max_chunk`), whatever the maximum frame
    /// size: the limit bounds what a frame search buffers, and a parser that asks for more
    /// bytes gets them. On the in-process reader, a wait while the writer is paused by
    /// backpressure may let the pipe grow to one frame (`max_frame + 2` bytes); past that it is
    /// [`ReadError::LimitExceeded`] (kind `InvalidData`) instead of a wait that never ends.
    pub fn poll_fill_more(
        &mut self,
        cx: &mut Context<'_>,
        since: &mut Option<usize>,
        mut fill: impl FnMut(&mut Pipe, &mut Context<'_>, usize) -> Poll<()>,
    ) -> Poll<io::Result<usize>> {
        let before = *since.get_or_insert(self.len);
        loop {
            if self.len > before {
                return Poll::Ready(Ok(self.len - before));
            }
            match &self.state {
                PipeState::Failed(e) => return Poll::Ready(Err(e.to_io_error())),
                PipeState::Closed => return Poll::Ready(Ok(0)),
                PipeState::Open => {}
            }
            if let Err(e) = ready!(self.poll_more(cx, usize::MAX, &mut fill)) {
                return Poll::Ready(Err(e.into()));
            }
        }
    }

    /// Waits until bytes are buffered, filling (see [`FillFn`]), and returns the first
    /// chunk's worth (the `fill_buf` of an async `BufRead`): empty at a clean end, the stream
    /// error after a failed one.
    pub fn poll_fill_buf(
        &mut self,
        cx: &mut Context<'_>,
        mut fill: impl FnMut(&mut Pipe, &mut Context<'_>, usize) -> Poll<()>,
    ) -> Poll<io::Result<&[u8]>> {
        while self.len == 0 {
            match &self.state {
                PipeState::Closed => return Poll::Ready(Ok(&[])),
                PipeState::Failed(e) => return Poll::Ready(Err(e.to_io_error())),
                PipeState::Open => {
                    if let Err(e) = ready!(self.poll_more(cx, usize::MAX, &mut fill)) {
                        return Poll::Ready(Err(e.into()));
                    }
                }
            }
        }
        Poll::Ready(Ok(self.chunks().next().unwrap_or_default()))
    }

    /// Copies buffered bytes into `out`, filling (see [`FillFn`]) first if nothing is
    /// buffered (the `read` of an async `Read`). `Ok(0)` at a clean end.
    pub fn poll_read_into(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut [u8],
        fill: impl FnMut(&mut Pipe, &mut Context<'_>, usize) -> Poll<()>,
    ) -> Poll<io::Result<usize>> {
        if out.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let data = ready!(self.poll_fill_buf(cx, fill))?;
        let n = data.len().min(out.len());
        out[..n].copy_from_slice(&data[..n]);
        self.skip(n);
        Poll::Ready(Ok(n))
    }
}

/// Writes every byte of `bufs` with vectored writes (`write`), resuming after partial writes.
/// `bufs` is advanced past what was written, so a caller interrupted by `Pending` (or dropped and
/// retried with the same slices) goes on where it stopped. A write of 0 bytes is `WriteZero`;
/// `Interrupted` is retried and `WouldBlock` treated as not ready, as on the read side.
pub fn poll_write_vectored_all(
    cx: &mut Context<'_>,
    bufs: &mut &mut [IoSlice<'_>],
    mut write: impl FnMut(&mut Context<'_>, &[IoSlice<'_>]) -> Poll<io::Result<usize>>,
) -> Poll<io::Result<()>> {
    IoSlice::advance_slices(bufs, 0);
    while !bufs.is_empty() {
        match ready!(write(cx, bufs)) {
            Ok(0) => {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "the transport accepted no bytes",
                )));
            }
            Ok(n) if n > bufs.iter().map(|b| b.len()).sum::<usize>() => {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the transport reported more bytes than it was given",
                )));
            }
            Ok(n) => IoSlice::advance_slices(bufs, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            Err(e) => return Poll::Ready(Err(e)),
        }
    }
    Poll::Ready(Ok(()))
}

/// How a read that needs more bytes gets them: called with the pipe, the task's context and
/// the most bytes the read may still add (see [`Pipe::fill_budget`]). `Ready(())` when the pipe
/// changed (data, end or error: the caller tries its read again); `Pending` after arranging for
/// the task to be woken. A socket's fill is [`from_transport`] (one poll of the transport into
/// pooled space); the in-process pipe's reader waits for its writer.
pub type FillFn<'a> = dyn FnMut(&mut Pipe, &mut Context<'_>, usize) -> Poll<()> + 'a;

/// A poll of a transport writing a prefix of the buffers.
pub type WriteFn<'a> = dyn FnMut(&mut Context<'_>, &[IoSlice<'_>]) -> Poll<io::Result<usize>> + 'a;

/// A transport and its pipe, as the async adapters wrap them. An adapter provides
/// [`with_parts`](PollRead::with_parts); the polls every async read is made of come with it,
/// and [`Lines`] and [`async_read_methods!`](crate::async_read_methods) build on them, so both
/// runtimes share one implementation.
pub trait PollRead {
    /// Lends the pipe and the way to get more bytes into it to `f`.
    fn with_parts<R>(&mut self, f: impl FnOnce(&mut Pipe, &mut FillFn<'_>) -> R) -> R;

    /// Polls for one read request: [`Pipe::poll_request`] mapped by [`into_io`].
    fn poll_read_request(
        &mut self,
        cx: &mut Context<'_>,
        request: ReadRequest<'_>,
    ) -> Poll<io::Result<Option<Bytes>>> {
        self.with_parts(|pipe, fill| pipe.poll_request(cx, request, fill).map(into_io))
    }

    /// Polls handing every complete buffered line to `f`: [`Pipe::poll_lines_with`].
    fn poll_lines_with(
        &mut self,
        cx: &mut Context<'_>,
        with_ending: bool,
        f: &mut dyn FnMut(&[u8]),
    ) -> Poll<io::Result<usize>> {
        self.with_parts(|pipe, fill| pipe.poll_lines_with(cx, with_ending, f, fill))
    }

    /// Polls for more bytes than were buffered at the first poll: [`Pipe::poll_fill_more`].
    fn poll_fill_more(
        &mut self,
        cx: &mut Context<'_>,
        since: &mut Option<usize>,
    ) -> Poll<io::Result<usize>> {
        self.with_parts(|pipe, fill| pipe.poll_fill_more(cx, since, fill))
    }

    /// Polls dropping bytes through `sep`: [`Pipe::poll_discard_until`].
    fn poll_discard_until(
        &mut self,
        cx: &mut Context<'_>,
        sep: &[u8],
        dropped: &mut usize,
    ) -> Poll<io::Result<usize>> {
        self.with_parts(|pipe, fill| pipe.poll_discard_until(cx, sep, dropped, fill))
    }
}

/// The write side of a transport as the adapters wrap it: an adapter provides
/// [`with_writer`](PollWrite::with_writer), and
/// [`async_write_methods!`](crate::async_write_methods) gives `write_all` and
/// `write_vectored_all`.
pub trait PollWrite {
    /// Lends a vectored-write poll of the transport to `f`.
    fn with_writer<R>(&mut self, f: impl FnOnce(&mut WriteFn<'_>) -> R) -> R;

    /// Polls writing every byte of `bufs`: [`poll_write_vectored_all`].
    fn poll_write_all(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &mut &mut [IoSlice<'_>],
    ) -> Poll<io::Result<()>> {
        self.with_writer(|write| poll_write_vectored_all(cx, bufs, write))
    }
}

/// Defines `write_all` and `write_vectored_all` on a type that implements [`PollWrite`],
/// inside its `impl` block; shared by the adapters.
#[macro_export]
macro_rules! async_write_methods {
    () => {
        /// Writes all of `data` to the transport, resuming after partial writes. Not cancel
        /// safe: if the future is dropped, a prefix of `data` may have been written (use
        /// `write_vectored_all` to know how much).
        pub async fn write_all(&mut self, data: &[u8]) -> ::std::io::Result<()> {
            self.write_vectored_all(&mut &mut [::std::io::IoSlice::new(data)][..])
                .await
        }

        /// Writes every byte of `bufs` with vectored writes (one `writev` where the transport
        /// supports it), resuming after partial writes. `bufs` is advanced in place as bytes
        /// go out (as `IoSlice::advance_slices` does: slices written whole are dropped from
        /// the front, a slice written in part is shortened), so after a cancellation `bufs`
        /// holds exactly what is left to write: call again with it to resume, and every byte
        /// goes out once. Empty when it completes.
        pub async fn write_vectored_all(
            &mut self,
            bufs: &mut &mut [::std::io::IoSlice<'_>],
        ) -> ::std::io::Result<()> {
            ::std::future::poll_fn(|cx| $crate::stream::PollWrite::poll_write_all(self, cx, bufs))
                .await
        }
    };
}

/// The lines of a stream as a `futures_core::Stream`: `Ok(line)` per line, then the end.
/// Dropping a pending `next()` loses nothing.
///
/// Errors never repeat, so `while let Some(line) = lines.next().await` always ends:
/// - a line over the maximum frame size yields one `InvalidData` error
///   ([`ReadError::LimitExceeded`]); that line is then dropped through its `\n` and the lines
///   after it follow (tokio-util's `LinesCodec` does the same);
/// - a partial last line (`UnexpectedEof` with the leftover, see [`read_error_of`]) or a
///   transport error is yielded once, then the stream ends (`None`).
#[derive(Debug)]
pub struct Lines<T> {
    stream: T,
    with_ending: bool,
    /// What the next poll does.
    state: LinesState,
}

/// Where a [`Lines`] stream is.
#[derive(Debug)]
enum LinesState {
    /// Reading the next line.
    Reading,
    /// Dropping the rest of a line over the limit; the count carries over `Pending`.
    Discarding(usize),
    /// After the end or a fatal error: every poll is `None`.
    Done,
}

impl<T> Lines<T> {
    /// The lines of `stream`, with or without their endings.
    pub fn new(stream: T, with_ending: bool) -> Self {
        Lines {
            stream,
            with_ending,
            state: LinesState::Reading,
        }
    }

    /// The stream, with whatever it has buffered (a line being discarded may be partly
    /// dropped).
    pub fn into_inner(self) -> T {
        self.stream
    }
}

impl<T: PollRead + Unpin> futures_core::Stream for Lines<T> {
    type Item = io::Result<Bytes>;

    fn poll_next(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                LinesState::Done => return Poll::Ready(None),
                LinesState::Discarding(dropped) => {
                    match ready!(this.stream.poll_discard_until(cx, b"\n", dropped)) {
                        Ok(_) => this.state = LinesState::Reading,
                        Err(e) => {
                            this.state = LinesState::Done;
                            return Poll::Ready(Some(Err(e)));
                        }
                    }
                }
                LinesState::Reading => {
                    let request = ReadRequest::Line {
                        with_ending: this.with_ending,
                    };
                    let line = ready!(this.stream.poll_read_request(cx, request));
                    return Poll::Ready(match line {
                        Ok(Some(line)) => Some(Ok(line)),
                        Ok(None) => {
                            this.state = LinesState::Done;
                            None
                        }
                        Err(e) => {
                            this.state = match read_error_of(&e) {
                                Some(ReadError::LimitExceeded { .. }) => LinesState::Discarding(0),
                                _ => LinesState::Done,
                            };
                            Some(Err(e))
                        }
                    });
                }
            }
        }
    }
}

/// Defines the async read methods (`read_line`, `read_until`, `read_exact`, `read_at_most`,
/// `read_to_end`, `peek`, `discard_until`, `fill_more`, `lines`) on a type that implements [`PollRead`],
/// inside its `impl` block. The adapters share these definitions and their documentation.
#[macro_export]
macro_rules! async_read_methods {
    () => {
        /// The future of one read request: a `poll_fn` straight over the poll, with no
        /// `async fn` layers in between (they cost a quarter of a short line's time).
        fn request<'a>(
            &'a mut self,
            request: $crate::stream::ReadRequest<'a>,
        ) -> impl ::std::future::Future<
            Output = ::std::io::Result<::std::option::Option<$crate::Bytes>>,
        > + 'a {
            ::std::future::poll_fn(move |cx| {
                $crate::stream::PollRead::poll_read_request(self, cx, request)
            })
        }

        /// The next line, up to and including `\n`; without the ending, `\n` or `\r\n` is
        /// stripped. `Ok(None)` at the end of the stream.
        ///
        /// Cancel safe: if the future is dropped before it completes, no data is lost; the
        /// next read sees every byte.
        pub fn read_line(&mut self, with_ending: bool) -> impl ::std::future::Future<Output = ::std::io::Result<::std::option::Option<$crate::Bytes>>> {
            self.request($crate::stream::ReadRequest::Line { with_ending })
        }

        /// Calls `f` with every complete line buffered, waiting until there is at least one:
        /// the zero-allocation form for hot loops (lines are lent from pooled memory). Returns
        /// how many lines `f` saw; `Ok(0)` at the end of the stream.
        ///
        /// Cancel safe: lines are handed to `f` and consumed within one poll, so dropping the
        /// future loses nothing.
        pub async fn read_lines_with(
            &mut self,
            with_ending: bool,
            mut f: impl FnMut(&[u8]),
        ) -> ::std::io::Result<usize> {
            ::std::future::poll_fn(|cx| {
                $crate::stream::PollRead::poll_lines_with(self, cx, with_ending, &mut f)
            })
            .await
        }

        /// The next frame ending in `sep`, with or without the separator. `Ok(None)` at the
        /// end.
        ///
        /// Cancel safe: if the future is dropped before it completes, no data is lost.
        pub fn read_until<'a>(&'a mut self, sep: &'a [u8], with_sep: bool) -> impl ::std::future::Future<Output = ::std::io::Result<::std::option::Option<$crate::Bytes>>> {
            self.request($crate::stream::ReadRequest::Until { sep, with_sep })
        }

        /// Exactly `n` bytes. `Ok(None)` if the stream ended with nothing buffered; an
        /// `UnexpectedEof` error carrying the leftover if it ended with fewer than `n`.
        ///
        /// Cancel safe: if the future is dropped before it completes, no data is lost.
        pub fn read_exact(&mut self, n: usize) -> impl ::std::future::Future<Output = ::std::io::Result<::std::option::Option<$crate::Bytes>>> {
            self.request($crate::stream::ReadRequest::Exact(n))
        }

        /// Between 1 and `n` bytes, as soon as any are there. `Ok(None)` at the end.
        ///
        /// Cancel safe: if the future is dropped before it completes, no data is lost.
        pub fn read_at_most(&mut self, n: usize) -> impl ::std::future::Future<Output = ::std::io::Result<::std::option::Option<$crate::Bytes>>> {
            self.request($crate::stream::ReadRequest::AtMost(n))
        }

        /// Everything until the peer closes its side, up to the maximum frame size (past it:
        /// `InvalidData`, nothing consumed). Empty if nothing was left.
        ///
        /// Cancel safe: if the future is dropped before it completes, no data is lost.
        pub async fn read_to_end(&mut self) -> ::std::io::Result<$crate::Bytes> {
            ::std::result::Result::Ok(
                self.request($crate::stream::ReadRequest::ToEnd)
                    .await?
                    .unwrap_or_default(),
            )
        }

        /// Up to `n` bytes without consuming them, waiting for at least one. `Ok(None)` at the
        /// end.
        ///
        /// Cancel safe: if the future is dropped before it completes, no data is lost.
        pub fn peek(&mut self, n: usize) -> impl ::std::future::Future<Output = ::std::io::Result<::std::option::Option<$crate::Bytes>>> {
            self.request($crate::stream::ReadRequest::Peek(n))
        }

        /// Waits until more bytes are buffered than when it was called and returns how many
        /// arrived (`Ok(0)` at the end of the stream): the way to drive a parser that reads
        /// synchronously from the pipe (`pipe_mut()` on a stream, `with_pipe` on the in-process
        /// reader) and waits only when a read says `NeedMore`. Each call reads at most one
        /// chunk (the pipe's adaptive chunk size, at most its `max_chunk`), however much is
        /// buffered: the maximum frame size bounds what a frame search buffers, not what a
        /// parser that asks for more bytes gets. A parser that never consumes grows the buffer
        /// by a chunk a call; the frame reads it makes report the limit.
        ///
        /// On the in-process reader, a wait while the writer is paused by backpressure lets
        /// the pipe grow to one frame (`max_frame + 2` bytes); past that it fails with
        /// `InvalidData` (`ReadError::LimitExceeded`) instead of waiting forever: consume, or
        /// raise the limit with `set_max_frame`.
        ///
        /// Cancel safe: bytes that arrived stay buffered.
        pub async fn fill_more(&mut self) -> ::std::io::Result<usize> {
            let mut since = ::std::option::Option::None;
            ::std::future::poll_fn(|cx| {
                $crate::stream::PollRead::poll_fill_more(self, cx, &mut since)
            })
            .await
        }

        /// Drops bytes up to and including the next `sep`, reading as needed: the way on
        /// after a frame over the limit. Memory stays bounded: bytes without a separator are
        /// dropped as they arrive. Returns the bytes dropped (at the end of the stream, what
        /// was dropped before it).
        ///
        /// Cancel safe: bytes dropped before a cancellation stay dropped; nothing else is lost.
        pub async fn discard_until(&mut self, sep: &[u8]) -> ::std::io::Result<usize> {
            let mut dropped = 0;
            ::std::future::poll_fn(|cx| {
                $crate::stream::PollRead::poll_discard_until(self, cx, sep, &mut dropped)
            })
            .await
        }

        /// A stream of lines (see `read_line`), ending at the end of the transport;
        /// `into_inner` gives the stream back.
        pub fn lines(self, with_ending: bool) -> $crate::stream::Lines<Self> {
            $crate::stream::Lines::new(self, with_ending)
        }
    };
}

/// Defines `connect`, `accept` and `peer_addr` for a chunked stream over a runtime's TCP
/// socket type, given that type, its listener and its address trait (tokio's and async-std's
/// spell these the same way); inside the socket type's `impl` block.
#[macro_export]
macro_rules! tcp_methods {
    ($stream:ty, $listener:ty, $to_addrs:path) => {
        /// Connects over TCP (the original's `create_connection`), with `TCP_NODELAY` set as
        /// protocol clients want.
        pub async fn connect(addr: impl $to_addrs) -> ::std::io::Result<Self> {
            let socket = <$stream>::connect(addr).await?;
            socket.set_nodelay(true)?;
            ::std::result::Result::Ok(Self::new(socket))
        }

        /// Accepts the next connection from `listener`, wrapped with `options`.
        pub async fn accept(
            listener: &$listener,
            options: $crate::PipeOptions,
        ) -> ::std::io::Result<(Self, ::std::net::SocketAddr)> {
            let (socket, addr) = listener.accept().await?;
            ::std::result::Result::Ok((Self::with_options(socket, options), addr))
        }

        /// The address of the peer.
        pub fn peer_addr(&self) -> ::std::io::Result<::std::net::SocketAddr> {
            self.get_ref().peer_addr()
        }
    };
}

/// The `io::Result` form of a read outcome, as the async adapters return it:
///
/// | outcome | result |
/// |---|---|
/// | ready | `Ok(Some(frame))` |
/// | end | `Ok(None)` |
/// | partial | `Err` of kind `UnexpectedEof`; its inner error is the [`ReadError::Partial`] with the leftover |
/// | stream error | `Err` of the stream error's kind, the same error every time |
/// | limit exceeded | `Err` of kind `InvalidData`; inner [`ReadError::LimitExceeded`]; nothing consumed |
/// | invalid argument | `Err` of kind `InvalidInput` |
///
/// Recover the inner [`ReadError`] with [`read_error_of`].
pub fn into_io(result: Result<Bytes, ReadError>) -> io::Result<Option<Bytes>> {
    match result {
        Ok(frame) => Ok(Some(frame)),
        Err(ReadError::End) => Ok(None),
        Err(ReadError::Stream(e)) => Err(e.to_io_error()),
        Err(e) => Err(e.into()),
    }
}

/// The [`ReadError`] inside an `io::Error` made by [`into_io`] (a partial frame's leftover, a
/// limit), if there is one.
///
/// ```
/// use pipe_core::{ReadError, stream::{into_io, read_error_of}};
/// let err = into_io(Err(ReadError::Partial("left".into()))).unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
/// assert!(matches!(read_error_of(&err), Some(ReadError::Partial(rest)) if rest == "left"));
/// ```
pub fn read_error_of(error: &io::Error) -> Option<&ReadError> {
    error.get_ref()?.downcast_ref::<ReadError>()
}
