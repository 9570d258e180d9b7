//! The kit for adapter authors: how `pipe-tokio` and `pipe-async-std` (or an adapter for
//! another runtime) turn a transport and a [`Pipe`] into cancel-safe async reads, written once
//! for every runtime.
//!
//! An adapter's stream type owns a transport and a pipe and implements [`PollRead`] (lend the
//! pipe and a [`FillFn`] that polls the transport, usually [`from_transport`]) and, for writes,
//! [`PollWrite`]. Its public async methods are then one line each: [`read_line`],
//! [`read_exact`], [`fill_more`], [`write_all`], ... return the futures, and [`crate::Lines`]
//! is the lines stream. Its runtime's `AsyncRead`/`AsyncBufRead` impls call [`poll_read_from`]
//! (or [`poll_read_into`], for a reader without a transport) and [`poll_fill_buf`].
//!
//! All progress lives in the pipe, so every read future here can be dropped at any `Pending`
//! without losing a byte (it is cancel safe). While the transport has nothing to give, the pipe
//! holds no chunk it did not already hold: a chunk is lent to the transport only for the
//! duration of one poll and given back if nothing arrived.
//!
//! Users of the adapters never need this module.
//!
//! ```
//! // The in-process reader implements `PollRead`: the kit's futures read from it.
//! # futures_executor_free::run(async {
//! let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
//! writer.write_now(b"GET key\r\n")?;
//! let line = pipe_core::adapter::read_line(&mut reader, false).await?;
//! assert_eq!(line.unwrap(), "GET key");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! # mod futures_executor_free {
//! #     pub fn run<F: std::future::Future>(f: F) -> F::Output {
//! #         let mut f = std::pin::pin!(f);
//! #         let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
//! #         loop {
//! #             if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; }
//! #         }
//! #     }
//! # }
//! ```

use std::future::{Future, poll_fn};
use std::io::{self, IoSlice};
use std::task::{Context, Poll, ready};

use bytes::Bytes;

use crate::error::ReadError;
use crate::pipe::{Pipe, PipeState};
use crate::read::cut_ending;
use crate::segment::Segment;

/// What one poll of the transport gave.
enum Fill {
    Got(usize),
    Retry,
    NotReady,
    Failed(io::Error),
}

impl Fill {
    /// What a transport read of at most `room` bytes came to. `WouldBlock` wakes the task to
    /// poll again (the transport will not).
    #[inline]
    fn of(read: Poll<io::Result<usize>>, room: usize, cx: &mut Context<'_>) -> Fill {
        match read {
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
        }
    }
}

/// A read an async stream serves from its pipe.
///
/// ```
/// use pipe_core::adapter::{PollRead, ReadRequest};
/// use std::task::{Context, Poll, Waker};
/// let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
/// writer.write_now(b"key\0value")?;
/// let mut cx = Context::from_waker(Waker::noop());
/// let request = ReadRequest::Until { sep: b"\0", with_sep: false };
/// let Poll::Ready(frame) = reader.poll_read_request(&mut cx, request) else { unreachable!() };
/// assert_eq!(frame?.unwrap(), "key");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
    pub(crate) fn try_request(&mut self, request: ReadRequest<'_>) -> Result<Bytes, ReadError> {
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
    pub(crate) fn fill_budget(&self, request: ReadRequest<'_>) -> usize {
        let slack = match request {
            ReadRequest::Line { .. } => 2,
            ReadRequest::Until { sep, .. } => sep.len(),
            ReadRequest::AtMost(_) | ReadRequest::Peek(_) => return usize::MAX,
            ReadRequest::Exact(_) | ReadRequest::ToEnd => 1,
        };
        self.budget_with_slack(slack)
    }

    /// [`fill_budget`](Pipe::fill_budget) for a read that needs `slack` bytes past the limit.
    fn budget_with_slack(&self, slack: usize) -> usize {
        self.max_frame
            .saturating_add(slack)
            .saturating_sub(self.len)
            .max(1)
    }

    /// Calls `fill` once and checks that it made progress: a fill that is ready without new
    /// bytes, an end or an error means the reader cannot wait (the in-process writer is paused
    /// by backpressure and the buffered bytes already pass what one frame may need), which is
    /// reported as [`ReadError::LimitExceeded`] rather than waited on forever.
    pub(crate) fn poll_more(
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
    #[inline]
    pub(crate) fn poll_fill(
        &mut self,
        cx: &mut Context<'_>,
        budget: usize,
        mut read: impl FnMut(&mut Context<'_>, &mut [u8]) -> Poll<io::Result<usize>>,
    ) -> Poll<()> {
        self.fed_by_transport();
        // An empty pipe reads straight into a chunk taken out of it, which becomes a segment
        // only if bytes arrive (see `take_fill_chunk`).
        if let Some(mut chunk) = self.take_fill_chunk() {
            let fill = loop {
                let room = chunk.len().min(budget.max(1));
                match Fill::of(read(cx, &mut chunk[..room]), room, cx) {
                    Fill::Retry => continue,
                    fill => break fill,
                }
            };
            let arrived = if let Fill::Got(n) = fill { n } else { 0 };
            // Dropped here when nothing came: back to the pool.
            self.push_filled(chunk, arrived);
            return self.end_fill(fill);
        }
        loop {
            let buf = match self.get_buffer(0) {
                Ok(buf) => buf,
                // Closed: nothing more will come; the caller's next try sees the outcome.
                Err(_) => return Poll::Ready(()),
            };
            let room = buf.len().min(budget.max(1));
            let fill = Fill::of(read(cx, &mut buf[..room]), room, cx);
            // Every loan ends here: commit what arrived, or nothing (the chunk goes back).
            let arrived = if let Fill::Got(n) = fill { n } else { 0 };
            self.buffer_written(arrived)
                .expect("the loan was just made and `arrived <= room`");
            if let Fill::Retry = fill {
                continue;
            }
            return self.end_fill(fill);
        }
    }

    /// After a fill's bytes are committed: gives the spare back if nothing came, closes the
    /// pipe at the end of the stream or with the transport's error.
    #[inline]
    fn end_fill(&mut self, fill: Fill) -> Poll<()> {
        match fill {
            Fill::Retry | Fill::Got(1..) => {}
            Fill::NotReady => {
                self.release_spare();
                return Poll::Pending;
            }
            Fill::Got(0) => {
                let _ = self.eof();
            }
            Fill::Failed(e) => {
                let _ = self.eof_with_error(e);
            }
        }
        Poll::Ready(())
    }

    /// Serves `request`, calling `fill` (see [`FillFn`]) as long as it needs more; the outcome
    /// as [`into_io`] maps it. Cancel safe: dropping the caller between polls loses nothing.
    pub(crate) fn poll_request(
        &mut self,
        cx: &mut Context<'_>,
        request: ReadRequest<'_>,
        mut fill: impl FnMut(&mut Pipe, &mut Context<'_>, usize) -> Poll<()>,
    ) -> Poll<io::Result<Option<Bytes>>> {
        loop {
            // A line, the form people write first, is read without the request dispatch, and
            // a frame goes out without the outcome conversion: 64 B lines through a stream's
            // `read_line().await`, 424 -> 345 instructions a line (`read_paths stream-lines`).
            let attempt = match request {
                ReadRequest::Line { with_ending } => self.read_frame(b"\n", with_ending, true),
                other => self.try_request(other),
            };
            match attempt {
                Ok(frame) => return Poll::Ready(Ok(Some(frame))),
                Err(ReadError::NeedMore) => {}
                Err(e) => return Poll::Ready(into_io(Err(e))),
            }
            let budget = self.fill_budget(request);
            if let Err(e) = ready!(self.poll_more(cx, budget, &mut fill)) {
                return Poll::Ready(into_io(Err(e)));
            }
        }
    }
}

/// A fill from a transport, as a [`FillFn`]: lends up to `budget` bytes of pooled space (at
/// most one chunk) to `read`, commits what it reads, and closes the pipe at the end of the
/// stream (`Ok(0)`) or with the error `read` returns. `Interrupted` is retried; `WouldBlock` is
/// "not ready" (the task is woken to poll again). On `Pending` the lent chunk goes back unless
/// it holds earlier data, so an idle stream holds no pooled memory.
///
/// ```
/// use pipe_core::adapter::from_transport;
/// use std::io::Read;
/// use std::task::{Context, Poll, Waker};
/// let mut pipe = pipe_core::Pipe::new();
/// let mut input = &b"hello"[..];
/// let mut fill = from_transport(|_cx, buf| Poll::Ready(input.read(buf)));
/// let mut cx = Context::from_waker(Waker::noop());
/// assert!(fill(&mut pipe, &mut cx, 3).is_ready());
/// assert_eq!(pipe.len(), 3); // at most `budget` bytes
/// assert!(fill(&mut pipe, &mut cx, usize::MAX).is_ready());
/// assert_eq!(pipe.len(), 5);
/// assert!(fill(&mut pipe, &mut cx, usize::MAX).is_ready()); // `Ok(0)`: the end
/// assert!(pipe.is_closed());
/// ```
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
    pub(crate) fn poll_lines_with(
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
    pub(crate) fn poll_discard_until(
        &mut self,
        cx: &mut Context<'_>,
        sep: &[u8],
        dropped: &mut usize,
        mut fill: impl FnMut(&mut Pipe, &mut Context<'_>, usize) -> Poll<()>,
    ) -> Poll<io::Result<usize>> {
        loop {
            match self.discard_until(sep) {
                Ok(crate::Discarded::Found(n)) => {
                    *dropped += n;
                    return Poll::Ready(Ok(*dropped));
                }
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
    pub(crate) fn poll_fill_more(
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
    #[inline]
    pub(crate) fn poll_fill_buf(
        &mut self,
        cx: &mut Context<'_>,
        fill: impl FnMut(&mut Pipe, &mut Context<'_>, usize) -> Poll<()>,
    ) -> Poll<io::Result<&[u8]>> {
        // A chunk of the pool with unread bytes first (a read loop's common case): its bytes,
        // after one check; the rest out of line. (Looked up twice: returning the first
        // look's borrow on one path only is what the borrow checker refuses.)
        if !matches!(self.segments.front(), Some(Segment::Open { start, end, .. }) if start < end) {
            return self.poll_fill_buf_slow(cx, fill);
        }
        match self.segments.front() {
            Some(Segment::Open { chunk, start, end }) => Poll::Ready(Ok(&chunk[*start..*end])),
            _ => Poll::Ready(Ok(self.chunks().next().unwrap_or_default())),
        }
    }

    /// [`poll_fill_buf`](Pipe::poll_fill_buf) when the first segment is not a pool chunk with
    /// unread bytes (nothing buffered, a spent front, a sealed or growing segment).
    #[inline(never)]
    fn poll_fill_buf_slow(
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

    /// [`poll_read_into`](Pipe::poll_read_into) for a stream that reads `read`, its transport:
    /// when nothing is buffered and `out` holds at least a chunk (see `reads_past`), the
    /// transport reads straight into `out` (one copy of each byte instead of two, as
    /// `BufReader` skips its buffer for large reads). The end or an error met that way closes
    /// the pipe as a fill's would.
    pub(crate) fn poll_read_from(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut [u8],
        mut read: impl FnMut(&mut Context<'_>, &mut [u8]) -> Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        if self.reads_past(out.len()) {
            self.start_read_past();
            loop {
                match Fill::of(read(cx, out), out.len(), cx) {
                    Fill::Retry => continue,
                    Fill::Got(n @ 1..) => return Poll::Ready(Ok(n)),
                    Fill::NotReady => {
                        // Idle: no chunk kept (the one a lent frame left is the spare now), as
                        // after a fill that found nothing.
                        self.release_spare();
                        return Poll::Pending;
                    }
                    // The end or the transport's error, kept in the pipe: served below as every
                    // later read will see it.
                    end => {
                        let _ = self.end_fill(end);
                        break;
                    }
                }
            }
        }
        self.poll_read_into(cx, out, from_transport(read))
    }

    /// Copies buffered bytes into `out`, filling (see [`FillFn`]) first if nothing is
    /// buffered (the `read` of an async `Read`). `Ok(0)` at a clean end.
    pub(crate) fn poll_read_into(
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
        self.consume_buffered(n);
        Poll::Ready(Ok(n))
    }
}

/// Writes every byte of `bufs` with vectored writes (`write`), resuming after partial writes.
/// `bufs` is advanced past what was written, so a caller interrupted by `Pending` (or dropped and
/// retried with the same slices) goes on where it stopped. A write of 0 bytes is `WriteZero`;
/// `Interrupted` is retried and `WouldBlock` treated as not ready, as on the read side.
///
/// ```
/// use pipe_core::adapter::poll_write_vectored_all;
/// use std::io::IoSlice;
/// use std::task::{Context, Poll, Waker};
/// let mut sent = Vec::new();
/// // A transport that takes at most 3 bytes a call.
/// let write = |_: &mut Context<'_>, bufs: &[IoSlice<'_>]| {
///     let n = bufs[0].len().min(3);
///     sent.extend_from_slice(&bufs[0][..n]);
///     Poll::Ready(Ok(n))
/// };
/// let mut slices = [IoSlice::new(b"GET "), IoSlice::new(b"key\n")];
/// let mut bufs = &mut slices[..];
/// let mut cx = Context::from_waker(Waker::noop());
/// assert!(matches!(poll_write_vectored_all(&mut cx, &mut bufs, write), Poll::Ready(Ok(()))));
/// assert!(bufs.is_empty());
/// assert_eq!(sent, b"GET key\n");
/// ```
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
/// the most bytes the read may still add (a frame search's frame and ending less what is
/// buffered; `usize::MAX` for reads that take whatever is there). `Ready(())` when the pipe
/// changed (data, end or error: the caller tries its read again); `Pending` after arranging for
/// the task to be woken. `Ready(())` with the pipe unchanged breaks this contract: the read
/// then takes it for a frame that cannot grow and fails (`LimitExceeded`) instead of waiting,
/// so a transport that woke with nothing to give returns `Pending`. A socket's fill is [`from_transport`] (one poll of the transport into
/// pooled space); the in-process pipe's reader waits for its writer.
///
/// ```
/// use pipe_core::adapter::{FillFn, poll_fill_buf};
/// use std::task::{Context, Poll, Waker};
/// // A fill that is its own source: it writes a message into the pipe.
/// let fill: &mut FillFn<'_> = &mut |pipe, _cx, _budget| {
///     pipe.write_all(b"hello").expect("the pipe is open");
///     Poll::Ready(()) // the pipe changed: the read tries again
/// };
/// let mut pipe = pipe_core::Pipe::new();
/// let mut cx = Context::from_waker(Waker::noop());
/// let Poll::Ready(data) = poll_fill_buf(&mut pipe, &mut cx, fill) else { unreachable!() };
/// assert_eq!(data?, b"hello");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type FillFn<'a> = dyn FnMut(&mut Pipe, &mut Context<'_>, usize) -> Poll<()> + 'a;

/// A poll of a transport writing a prefix of the buffers.
///
/// ```
/// use pipe_core::adapter::WriteFn;
/// use std::io::IoSlice;
/// use std::task::{Context, Poll, Waker};
/// let mut sent = Vec::new();
/// // A transport that takes the first slice only.
/// let write: &mut WriteFn<'_> = &mut |_cx, bufs| {
///     sent.extend_from_slice(&bufs[0]);
///     Poll::Ready(Ok(bufs[0].len()))
/// };
/// let mut cx = Context::from_waker(Waker::noop());
/// let bufs = [IoSlice::new(b"ab"), IoSlice::new(b"c")];
/// let Poll::Ready(n) = write(&mut cx, &bufs) else { unreachable!() };
/// assert_eq!(n?, 2); // a prefix: the caller writes the rest
/// assert_eq!(sent, b"ab");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type WriteFn<'a> = dyn FnMut(&mut Context<'_>, &[IoSlice<'_>]) -> Poll<io::Result<usize>> + 'a;

/// A transport and its pipe, as the async adapters wrap them. An adapter provides
/// [`with_parts`](PollRead::with_parts); the polls every async read is made of come with it,
/// and [`crate::Lines`] and this module's futures ([`read_line`], ...) build on them, so every
/// runtime shares one implementation.
///
/// ```
/// use pipe_core::Pipe;
/// use pipe_core::adapter::{FillFn, PollRead, from_transport, read_line};
/// use std::io::Read;
/// use std::task::Poll;
///
/// /// Bytes in memory as a transport.
/// struct Memory {
///     pipe: Pipe,
///     input: &'static [u8],
/// }
///
/// impl PollRead for Memory {
///     fn with_parts<R>(&mut self, f: impl FnOnce(&mut Pipe, &mut FillFn<'_>) -> R) -> R {
///         let input = &mut self.input;
///         f(&mut self.pipe, &mut from_transport(|_cx, buf| Poll::Ready(input.read(buf))))
///     }
/// }
/// # futures_executor_free::run(async {
/// let mut stream = Memory { pipe: Pipe::new(), input: b"hello\nworld\n" };
/// assert_eq!(read_line(&mut stream, false).await?.unwrap(), "hello");
/// assert_eq!(read_line(&mut stream, false).await?.unwrap(), "world");
/// assert_eq!(read_line(&mut stream, false).await?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// # mod futures_executor_free {
/// #     pub fn run<F: std::future::Future>(f: F) -> F::Output {
/// #         let mut f = std::pin::pin!(f);
/// #         let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #         loop {
/// #             if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; }
/// #         }
/// #     }
/// # }
/// ```
pub trait PollRead {
    /// Lends the pipe and the way to get more bytes into it to `f`.
    fn with_parts<R>(&mut self, f: impl FnOnce(&mut Pipe, &mut FillFn<'_>) -> R) -> R;

    /// Polls for one read request: served from the pipe, filling while it says `NeedMore`;
    /// the outcome as [`into_io`] maps it.
    fn poll_read_request(
        &mut self,
        cx: &mut Context<'_>,
        request: ReadRequest<'_>,
    ) -> Poll<io::Result<Option<Bytes>>> {
        self.with_parts(|pipe, fill| pipe.poll_request(cx, request, fill))
    }

    /// Polls handing every complete buffered line to `f` (see [`Pipe::read_lines_with`]),
    /// filling until there is at least one: how many, `Ok(0)` at the clean end.
    fn poll_lines_with(
        &mut self,
        cx: &mut Context<'_>,
        with_ending: bool,
        f: &mut dyn FnMut(&[u8]),
    ) -> Poll<io::Result<usize>> {
        self.with_parts(|pipe, fill| pipe.poll_lines_with(cx, with_ending, f, fill))
    }

    /// Polls for more bytes than were buffered at the first poll (`since` keeps that count
    /// across polls): see [`fill_more`]. An adapter whose bytes can arrive between polls (the
    /// in-process reader) sets `since` itself.
    fn poll_fill_more(
        &mut self,
        cx: &mut Context<'_>,
        since: &mut Option<usize>,
    ) -> Poll<io::Result<usize>> {
        self.with_parts(|pipe, fill| pipe.poll_fill_more(cx, since, fill))
    }

    /// A read future of this module was dropped after a poll that returned `Pending`: its
    /// wait is over. A reader undoes here what a wait arranged: the in-process reader
    /// withdraws the room it let a paused writer have for the frame it waited for. A stream has
    /// nothing to undo (the default).
    fn cancel_wait(&mut self) {}

    /// Polls dropping bytes through `sep` (see [`Pipe::discard_until`]), filling as needed;
    /// `dropped` accumulates across polls. Ready with the total, at the separator or the end.
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
/// [`with_writer`](PollWrite::with_writer), and [`write_all`] and [`write_vectored_all`] give
/// the futures.
///
/// ```
/// use pipe_core::adapter::{PollWrite, WriteFn, write_all};
/// use std::io;
/// use std::task::{Context, Poll};
///
/// /// A transport that keeps what is written.
/// #[derive(Default)]
/// struct Memory(Vec<u8>);
///
/// impl PollWrite for Memory {
///     fn with_writer<R>(&mut self, f: impl FnOnce(&mut WriteFn<'_>) -> R) -> R {
///         f(&mut |_cx, bufs| {
///             bufs.iter().for_each(|b| self.0.extend_from_slice(b));
///             Poll::Ready(Ok(bufs.iter().map(|b| b.len()).sum()))
///         })
///     }
///
///     fn poll_flush_transport(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
///         Poll::Ready(Ok(()))
///     }
///
///     fn poll_close_transport(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
///         Poll::Ready(Ok(()))
///     }
/// }
/// # futures_executor_free::run(async {
/// let mut stream = Memory::default();
/// write_all(&mut stream, b"PING\r\n").await?;
/// assert_eq!(stream.0, b"PING\r\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// # mod futures_executor_free {
/// #     pub fn run<F: std::future::Future>(f: F) -> F::Output {
/// #         let mut f = std::pin::pin!(f);
/// #         let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #         loop {
/// #             if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; }
/// #         }
/// #     }
/// # }
/// ```
pub trait PollWrite {
    /// Lends a vectored-write poll of the transport to `f`.
    fn with_writer<R>(&mut self, f: impl FnOnce(&mut WriteFn<'_>) -> R) -> R;

    /// Flushes the transport (its own buffers, a TLS layer's): its write trait's `poll_flush`.
    fn poll_flush_transport(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Closes the transport's write side: its write trait's `poll_shutdown` (tokio) or
    /// `poll_close` (futures-io).
    fn poll_close_transport(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Polls writing every byte of `bufs`: [`poll_write_vectored_all`].
    fn poll_write_all(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &mut &mut [IoSlice<'_>],
    ) -> Poll<io::Result<()>> {
        self.with_writer(|write| poll_write_vectored_all(cx, bufs, write))
    }
}

/// Memory as a write transport, as `Vec<u8>` is an `AsyncWrite` in tokio and futures-io: a
/// framed sink over it encodes into the `Vec`. Every write takes all its bytes at once;
/// flushing and closing do nothing.
///
/// ```
/// use futures_sink::Sink;
/// use pipe_core::codec::LinesCodec;
/// use pipe_core::framed::FramedWrite;
/// use std::pin::Pin;
/// use std::task::{Context, Waker};
/// let mut sink = FramedWrite::new(Vec::new(), LinesCodec::new());
/// Pin::new(&mut sink).start_send("PING")?;
/// let mut cx = Context::from_waker(Waker::noop());
/// assert!(Sink::<&str>::poll_flush(Pin::new(&mut sink), &mut cx).is_ready());
/// assert_eq!(sink.get_ref(), b"PING\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl PollWrite for Vec<u8> {
    fn with_writer<R>(&mut self, f: impl FnOnce(&mut WriteFn<'_>) -> R) -> R {
        f(&mut |_, bufs| {
            let mut n = 0;
            for buf in bufs {
                self.extend_from_slice(buf);
                n += buf.len();
            }
            Poll::Ready(Ok(n))
        })
    }

    fn poll_flush_transport(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close_transport(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
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
/// Recover the inner [`ReadError`] with [`read_error_of`](crate::read_error_of); a failed
/// stream's error carries the [`StreamError`](crate::StreamError) itself as its inner error
/// instead, as every read of a failed stream returns it (see
/// [`StreamError::to_io_error`](crate::StreamError::to_io_error)), so that two reads' errors can
/// be compared with [`StreamError::same_as`](crate::StreamError::same_as).
///
/// ```
/// use pipe_core::adapter::into_io;
/// use pipe_core::{Pipe, ReadError, read_error_of};
/// let mut pipe = Pipe::new();
/// pipe.write_all(b"hi\nrest")?;
/// pipe.eof()?;
/// assert_eq!(into_io(pipe.read_line(false))?.unwrap(), "hi");
/// let partial = into_io(pipe.read_line(false)).unwrap_err();
/// assert_eq!(partial.kind(), std::io::ErrorKind::UnexpectedEof);
/// assert!(matches!(read_error_of(&partial), Some(ReadError::Partial(rest)) if rest == "rest"));
/// assert_eq!(into_io(pipe.read_line(false))?, None); // the end
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn into_io(result: Result<Bytes, ReadError>) -> io::Result<Option<Bytes>> {
    match result {
        Ok(frame) => Ok(Some(frame)),
        Err(ReadError::End) => Ok(None),
        Err(ReadError::Stream(e)) => Err(e.to_io_error()),
        Err(e) => Err(e.into()),
    }
}

/// Waits until bytes are buffered, filling the pipe with `fill`, and returns the first chunk's
/// worth: the `poll_fill_buf` of an async `BufRead`. Empty at a clean end, the stream error
/// after a failed one.
///
/// ```
/// use pipe_core::adapter::{consume, from_transport, poll_fill_buf};
/// use std::io::Read;
/// use std::task::{Context, Poll, Waker};
/// let mut pipe = pipe_core::Pipe::new();
/// let mut input = &b"hello"[..];
/// let mut fill = from_transport(|_cx, buf| Poll::Ready(input.read(buf)));
/// let mut cx = Context::from_waker(Waker::noop());
/// let Poll::Ready(data) = poll_fill_buf(&mut pipe, &mut cx, &mut fill) else { unreachable!() };
/// assert_eq!(data?, b"hello");
/// consume(&mut pipe, 5);
/// let Poll::Ready(data) = poll_fill_buf(&mut pipe, &mut cx, &mut fill) else { unreachable!() };
/// assert!(data?.is_empty()); // the clean end
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn poll_fill_buf<'a>(
    pipe: &'a mut Pipe,
    cx: &mut Context<'_>,
    fill: impl FnMut(&mut Pipe, &mut Context<'_>, usize) -> Poll<()>,
) -> Poll<io::Result<&'a [u8]>> {
    pipe.poll_fill_buf(cx, fill)
}

/// Drops `amt` bytes after [`poll_fill_buf`] (all of them if fewer are buffered): the
/// `consume` of an async `BufRead`. A part of the first chunk, as a `read_until` loop drops a
/// line at a time, takes a few instructions.
///
/// ```
/// let mut pipe = pipe_core::Pipe::new();
/// pipe.write_all(b"key: value\n")?;
/// pipe_core::adapter::consume(&mut pipe, 5);
/// assert_eq!(pipe.read_line(false)?, "value");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[inline]
pub fn consume(pipe: &mut Pipe, amt: usize) {
    pipe.consume_buffered(amt);
}

/// The `poll_read` of an async `Read` on a stream whose transport `read` reads: buffered bytes
/// first, as [`poll_read_into`] copies them; with nothing buffered and room in `out` for at
/// least a chunk ([`PipeOptions::chunk_size`](crate::PipeOptions::chunk_size) rounded up to a
/// pool class, 16 KiB by default), the transport reads straight into `out`, skipping the pipe
/// (one copy of each byte instead of two, as `BufReader` does for reads of its capacity or
/// more). `Ok(0)` at the clean end; the end and the transport's error are kept in the pipe
/// either way, so every later read sees them.
///
/// ```
/// use std::task::{Context, Poll, Waker};
/// let mut pipe = pipe_core::Pipe::new();
/// let mut cx = Context::from_waker(Waker::noop());
/// let mut source: &[u8] = &[7; 100_000];
/// let mut out = vec![0; 64 * 1024];
/// // Nothing buffered and a large read: straight from the source, the pipe untouched.
/// let read = |_: &mut Context<'_>, buf: &mut [u8]| {
///     Poll::Ready(std::io::Read::read(&mut source, buf))
/// };
/// let Poll::Ready(Ok(n)) = pipe_core::adapter::poll_read_from(&mut pipe, &mut cx, &mut out, read)
/// else { panic!("an in-memory source is always ready") };
/// assert_eq!(n, 64 * 1024);
/// assert_eq!(pipe.len(), 0);
/// ```
pub fn poll_read_from(
    pipe: &mut Pipe,
    cx: &mut Context<'_>,
    out: &mut [u8],
    read: impl FnMut(&mut Context<'_>, &mut [u8]) -> Poll<io::Result<usize>>,
) -> Poll<io::Result<usize>> {
    pipe.poll_read_from(cx, out, read)
}

/// Copies buffered bytes into `out`, filling the pipe with `fill` first if nothing is buffered:
/// the `poll_read` of an async `Read`. `Ok(0)` at a clean end.
///
/// ```
/// use pipe_core::adapter::{from_transport, poll_read_into};
/// use std::io::Read;
/// use std::task::{Context, Poll, Waker};
/// let mut pipe = pipe_core::Pipe::new();
/// let mut input = &b"hello"[..];
/// let fill = from_transport(|_cx, buf| Poll::Ready(input.read(buf)));
/// let mut out = [0; 3];
/// let read = poll_read_into(&mut pipe, &mut Context::from_waker(Waker::noop()), &mut out, fill);
/// assert!(matches!(read, Poll::Ready(Ok(3))));
/// assert_eq!(&out, b"hel");
/// assert_eq!(pipe.len(), 2); // the rest stays buffered
/// ```
pub fn poll_read_into(
    pipe: &mut Pipe,
    cx: &mut Context<'_>,
    out: &mut [u8],
    fill: impl FnMut(&mut Pipe, &mut Context<'_>, usize) -> Poll<()>,
) -> Poll<io::Result<usize>> {
    pipe.poll_read_into(cx, out, fill)
}

// ----- the futures behind the adapters' async methods -------------------------------------------
//
// Each is a `poll_fn` straight over the poll, with no `async fn` layer in between (a layer costs
// about a quarter of a short line's time). Their documentation, with examples, is on the
// adapters' methods.

/// The reader a read future polls: dropped after a poll that returned `Pending` (the read
/// cancelled while it waited), it tells the reader ([`PollRead::cancel_wait`]).
struct Waiting<'a, T: PollRead + ?Sized> {
    reader: &'a mut T,
    /// The last poll returned `Pending`.
    pending: bool,
}

impl<'a, T: PollRead + ?Sized> Waiting<'a, T> {
    fn new(reader: &'a mut T) -> Self {
        Waiting {
            reader,
            pending: false,
        }
    }

    /// `poll` on the reader, noting whether it waits.
    #[inline]
    fn poll<O>(&mut self, poll: impl FnOnce(&mut T) -> Poll<O>) -> Poll<O> {
        let out = poll(&mut *self.reader);
        self.pending = out.is_pending();
        out
    }
}

impl<T: PollRead + ?Sized> Drop for Waiting<'_, T> {
    fn drop(&mut self) {
        if self.pending {
            self.reader.cancel_wait();
        }
    }
}

/// The future of one read request.
fn request<'a, T: PollRead + ?Sized>(
    stream: &'a mut T,
    request: ReadRequest<'a>,
) -> impl Future<Output = io::Result<Option<Bytes>>> + 'a {
    let mut reader = Waiting::new(stream);
    poll_fn(move |cx| reader.poll(|r| r.poll_read_request(cx, request)))
}

/// The next line (see [`Pipe::read_line`]); `Ok(None)` at the end. Cancel safe.
///
/// ```
/// # futures_executor_free::run(async {
/// use pipe_core::adapter::read_line;
/// let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
/// writer.write_now(b"PING\r\nPONG\n")?;
/// writer.complete();
/// assert_eq!(read_line(&mut reader, false).await?.unwrap(), "PING");
/// assert_eq!(read_line(&mut reader, true).await?.unwrap(), "PONG\n");
/// assert_eq!(read_line(&mut reader, false).await?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// # mod futures_executor_free {
/// #     pub fn run<F: std::future::Future>(f: F) -> F::Output {
/// #         let mut f = std::pin::pin!(f);
/// #         let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #         loop {
/// #             if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; }
/// #         }
/// #     }
/// # }
/// ```
pub fn read_line<T: PollRead + ?Sized>(
    stream: &mut T,
    with_ending: bool,
) -> impl Future<Output = io::Result<Option<Bytes>>> + '_ {
    request(stream, ReadRequest::Line { with_ending })
}

/// The next frame ending in `sep` (see [`Pipe::read_until`]); `Ok(None)` at the end. Cancel
/// safe.
///
/// ```
/// # futures_executor_free::run(async {
/// use pipe_core::adapter::read_until;
/// let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
/// writer.write_now(b"key\0value\0")?;
/// assert_eq!(read_until(&mut reader, b"\0", false).await?.unwrap(), "key");
/// assert_eq!(read_until(&mut reader, b"\0", true).await?.unwrap(), "value\0");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// # mod futures_executor_free {
/// #     pub fn run<F: std::future::Future>(f: F) -> F::Output {
/// #         let mut f = std::pin::pin!(f);
/// #         let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #         loop {
/// #             if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; }
/// #         }
/// #     }
/// # }
/// ```
pub fn read_until<'a, T: PollRead + ?Sized>(
    stream: &'a mut T,
    sep: &'a [u8],
    with_sep: bool,
) -> impl Future<Output = io::Result<Option<Bytes>>> + 'a {
    request(stream, ReadRequest::Until { sep, with_sep })
}

/// Exactly `n` bytes (see [`Pipe::read_exact`]); `Ok(None)` at the end with nothing buffered.
/// Cancel safe.
///
/// ```
/// # futures_executor_free::run(async {
/// use pipe_core::adapter::read_exact;
/// let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
/// writer.write_now(b"abcdef")?;
/// writer.complete();
/// assert_eq!(read_exact(&mut reader, 4).await?.unwrap(), "abcd");
/// assert_eq!(read_exact(&mut reader, 2).await?.unwrap(), "ef");
/// assert_eq!(read_exact(&mut reader, 1).await?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// # mod futures_executor_free {
/// #     pub fn run<F: std::future::Future>(f: F) -> F::Output {
/// #         let mut f = std::pin::pin!(f);
/// #         let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #         loop {
/// #             if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; }
/// #         }
/// #     }
/// # }
/// ```
pub fn read_exact<T: PollRead + ?Sized>(
    stream: &mut T,
    n: usize,
) -> impl Future<Output = io::Result<Option<Bytes>>> + '_ {
    request(stream, ReadRequest::Exact(n))
}

/// Between 1 and `n` bytes as soon as any are there; `Ok(None)` at the end. Cancel safe.
///
/// ```
/// # futures_executor_free::run(async {
/// use pipe_core::adapter::read_at_most;
/// let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
/// writer.write_now(b"abcdef")?;
/// assert_eq!(read_at_most(&mut reader, 4).await?.unwrap(), "abcd");
/// assert_eq!(read_at_most(&mut reader, 4).await?.unwrap(), "ef");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// # mod futures_executor_free {
/// #     pub fn run<F: std::future::Future>(f: F) -> F::Output {
/// #         let mut f = std::pin::pin!(f);
/// #         let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #         loop {
/// #             if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; }
/// #         }
/// #     }
/// # }
/// ```
pub fn read_at_most<T: PollRead + ?Sized>(
    stream: &mut T,
    n: usize,
) -> impl Future<Output = io::Result<Option<Bytes>>> + '_ {
    request(stream, ReadRequest::AtMost(n))
}

/// Up to `n` bytes without consuming them, waiting for at least one; `Ok(None)` at the end.
/// `peek(0)` is an empty frame at once. Cancel safe.
///
/// ```
/// # futures_executor_free::run(async {
/// use pipe_core::adapter::peek;
/// let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
/// writer.write_now(b"+OK\r\n")?;
/// assert_eq!(peek(&mut reader, 1).await?.unwrap(), "+");
/// assert!(peek(&mut reader, 0).await?.unwrap().is_empty());
/// assert_eq!(reader.buffered(), 5); // nothing consumed
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// # mod futures_executor_free {
/// #     pub fn run<F: std::future::Future>(f: F) -> F::Output {
/// #         let mut f = std::pin::pin!(f);
/// #         let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #         loop {
/// #             if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; }
/// #         }
/// #     }
/// # }
/// ```
pub fn peek<T: PollRead + ?Sized>(
    stream: &mut T,
    n: usize,
) -> impl Future<Output = io::Result<Option<Bytes>>> + '_ {
    request(stream, ReadRequest::Peek(n))
}

/// Everything until the end of the stream, within the maximum frame size. Cancel safe.
///
/// ```
/// # futures_executor_free::run(async {
/// use pipe_core::adapter::read_to_end;
/// let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
/// writer.write_now(b"one\ntwo")?;
/// writer.complete();
/// assert_eq!(read_to_end(&mut reader).await?, "one\ntwo");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// # mod futures_executor_free {
/// #     pub fn run<F: std::future::Future>(f: F) -> F::Output {
/// #         let mut f = std::pin::pin!(f);
/// #         let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #         loop {
/// #             if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; }
/// #         }
/// #     }
/// # }
/// ```
pub async fn read_to_end<T: PollRead + ?Sized>(stream: &mut T) -> io::Result<Bytes> {
    Ok(request(stream, ReadRequest::ToEnd)
        .await?
        .unwrap_or_default())
}

/// Every complete buffered line to `f`, waiting for at least one; how many, `Ok(0)` at the end.
/// Cancel safe.
///
/// ```
/// # futures_executor_free::run(async {
/// use pipe_core::adapter::read_lines_with;
/// let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
/// writer.write_now(b"GET a\nGET b\nGET")?;
/// let mut keys = Vec::new();
/// let n = read_lines_with(&mut reader, false, |line| keys.push(line[4..].to_vec())).await?;
/// assert_eq!(n, 2);
/// assert_eq!(keys, [b"a", b"b"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// # mod futures_executor_free {
/// #     pub fn run<F: std::future::Future>(f: F) -> F::Output {
/// #         let mut f = std::pin::pin!(f);
/// #         let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #         loop {
/// #             if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; }
/// #         }
/// #     }
/// # }
/// ```
pub fn read_lines_with<T: PollRead + ?Sized>(
    stream: &mut T,
    with_ending: bool,
    mut f: impl FnMut(&[u8]),
) -> impl Future<Output = io::Result<usize>> {
    let mut reader = Waiting::new(stream);
    poll_fn(move |cx| reader.poll(|r| r.poll_lines_with(cx, with_ending, &mut f)))
}

/// Waits for more bytes than were buffered when first polled; how many arrived, `Ok(0)` at the
/// end. See [`PollRead::poll_fill_more`]. Cancel safe.
///
/// ```
/// # futures_executor_free::run(async {
/// use pipe_core::adapter::fill_more;
/// let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
/// writer.write_now(b"ab")?;
/// assert!(reader.with_pipe(|pipe| pipe.read_exact(4)).unwrap_err().is_need_more());
/// writer.write_now(b"cd")?;
/// assert_eq!(fill_more(&mut reader).await?, 2); // "cd"
/// assert_eq!(reader.with_pipe(|pipe| pipe.read_exact(4))?, "abcd");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// # mod futures_executor_free {
/// #     pub fn run<F: std::future::Future>(f: F) -> F::Output {
/// #         let mut f = std::pin::pin!(f);
/// #         let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #         loop {
/// #             if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; }
/// #         }
/// #     }
/// # }
/// ```
pub fn fill_more<T: PollRead + ?Sized>(
    stream: &mut T,
) -> impl Future<Output = io::Result<usize>> + '_ {
    let (mut reader, mut since) = (Waiting::new(stream), None);
    poll_fn(move |cx| reader.poll(|r| r.poll_fill_more(cx, &mut since)))
}

/// Waits until at least `n` bytes are buffered (Okio's `request`, .NET's `ReadAtLeastAsync`):
/// `Ok(true)` then, `Ok(false)` if the stream ended with fewer, the stream's error after a
/// failed one. Bounded like every read: `n` over the maximum frame size is `InvalidData`
/// (`ReadError::LimitExceeded`) at once. Consumes nothing; cancel safe.
///
/// ```
/// # futures_executor_free::run(async {
/// use pipe_core::adapter::fill_at_least;
/// let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
/// writer.write_now(b"abc")?;
/// writer.complete();
/// assert!(fill_at_least(&mut reader, 3).await?);
/// assert!(!fill_at_least(&mut reader, 4).await?); // the stream ended with 3
/// assert_eq!(reader.buffered(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// # mod futures_executor_free {
/// #     pub fn run<F: std::future::Future>(f: F) -> F::Output {
/// #         let mut f = std::pin::pin!(f);
/// #         let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #         loop {
/// #             if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; }
/// #         }
/// #     }
/// # }
/// ```
pub fn fill_at_least<T: PollRead + ?Sized>(
    stream: &mut T,
    n: usize,
) -> impl Future<Output = io::Result<bool>> + '_ {
    let mut reader = Waiting::new(stream);
    poll_fn(move |cx| reader.poll(|r| poll_fill_at_least(r, cx, n)))
}

/// One poll of [`fill_at_least`].
fn poll_fill_at_least<T: PollRead + ?Sized>(
    stream: &mut T,
    cx: &mut Context<'_>,
    n: usize,
) -> Poll<io::Result<bool>> {
    stream.with_parts(|pipe, fill| {
        if n > pipe.max_frame {
            return Poll::Ready(Err(ReadError::LimitExceeded {
                limit: pipe.max_frame,
                buffered: pipe.len,
            }
            .into()));
        }
        loop {
            if pipe.len >= n {
                return Poll::Ready(Ok(true));
            }
            match &pipe.state {
                PipeState::Closed => return Poll::Ready(Ok(false)),
                PipeState::Failed(e) => return Poll::Ready(Err(e.to_io_error())),
                PipeState::Open => {}
            }
            // A fill reads up to a chunk, not just what is missing.
            if let Err(e) = ready!(pipe.poll_more(cx, usize::MAX, &mut &mut *fill)) {
                return Poll::Ready(Err(e.into()));
            }
        }
    })
}

/// Drops bytes through the next `sep`, reading as needed; how many were dropped. Cancel safe
/// in that bytes dropped stay dropped and nothing else is lost; a call made again after a
/// cancellation counts only what it drops itself (keep a count across calls with
/// [`PollRead::poll_discard_until`]'s `dropped`).
///
/// ```
/// # futures_executor_free::run(async {
/// use pipe_core::adapter::{discard_until, read_line};
/// let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
/// writer.write_now(b"junk\r\nPING\r\n")?;
/// assert_eq!(discard_until(&mut reader, b"\r\n").await?, 6);
/// assert_eq!(read_line(&mut reader, false).await?.unwrap(), "PING");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// # mod futures_executor_free {
/// #     pub fn run<F: std::future::Future>(f: F) -> F::Output {
/// #         let mut f = std::pin::pin!(f);
/// #         let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #         loop {
/// #             if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; }
/// #         }
/// #     }
/// # }
/// ```
pub fn discard_until<'a, T: PollRead + ?Sized>(
    stream: &'a mut T,
    sep: &'a [u8],
) -> impl Future<Output = io::Result<usize>> + 'a {
    let (mut reader, mut dropped) = (Waiting::new(stream), 0);
    poll_fn(move |cx| reader.poll(|r| r.poll_discard_until(cx, sep, &mut dropped)))
}

// ----- lending reads: the frame is lent from the pipe until the stream is used again -----------

/// What a lending read takes.
#[derive(Clone, Copy)]
enum Lent<'a> {
    /// A frame ending in `sep`, the ending kept if `keep`; `line`: `\n` or `\r\n`.
    Frame {
        sep: &'a [u8],
        keep: bool,
        line: bool,
    },
    /// Exactly this many bytes.
    Exact(usize),
}

impl Lent<'_> {
    /// What a fill may add beyond the frame limit: the ending a frame search needs.
    fn slack(self) -> usize {
        match self {
            Lent::Frame { line: true, .. } => 2,
            Lent::Frame { sep, .. } => sep.len(),
            Lent::Exact(_) => 1,
        }
    }
}

impl Pipe {
    /// How many bytes the lending read `lent` takes, if they are buffered; else the outcome.
    #[inline]
    fn locate_lent(&mut self, lent: Lent<'_>) -> Result<usize, ReadError> {
        match lent {
            Lent::Frame { sep, line, .. } => self.locate(sep, line),
            Lent::Exact(n) => self.check_exact(n).map(|()| n),
        }
    }

    /// Takes the `n` bytes [`locate_lent`](Pipe::locate_lent) found, lent.
    #[inline]
    fn take_located(&mut self, n: usize, lent: Lent<'_>) -> &[u8] {
        match lent {
            Lent::Frame { sep, keep, line } => self.lend_frame(n, sep, keep, line),
            Lent::Exact(_) => self.take_lent(n),
        }
    }
}

/// The future of a lending read (see [`read_line_ref`]): ready with a frame lent from the pipe
/// for as long as the pipe stays borrowed.
struct LendRead<'a, F> {
    /// `None` once the frame or the outcome was handed out.
    pipe: Option<&'a mut Pipe>,
    fill: F,
    lent: Lent<'a>,
}

impl<'a, F> Future for LendRead<'a, F>
where
    F: FnMut(&mut Pipe, &mut Context<'_>, usize) -> Poll<()> + Unpin,
{
    type Output = io::Result<Option<&'a [u8]>>;

    #[inline]
    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        // The common case in one pass (a line inside the first chunk).
        if let Lent::Frame {
            sep: &[byte],
            keep,
            line,
        } = this.lent
            && let Some(pipe) = this.pipe.as_deref_mut()
            && let Some((from, n)) = pipe.consume_head_frame(byte)
        {
            let pipe = this.pipe.take().expect("checked above");
            let frame = pipe.head_slice(from, n);
            return Poll::Ready(Ok(Some(cut_ending(frame, &[byte], keep, line))));
        }
        this.poll_slow(cx)
    }
}

impl<'a, F> LendRead<'a, F>
where
    F: FnMut(&mut Pipe, &mut Context<'_>, usize) -> Poll<()> + Unpin,
{
    /// The poll past its common case (and after completion): out of line, so that the common
    /// case inlines into the caller without this part's frame set-up.
    #[inline(never)]
    fn poll_slow(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<&'a [u8]>>> {
        let lent = self.lent;
        let Some(pipe) = self.pipe.as_deref_mut() else {
            return Poll::Ready(Err(io::Error::other(
                "a lending read was polled after it completed",
            )));
        };
        // Found first, taken after: the frame's borrow must outlive this poll, so it is made
        // only on the path that returns it.
        let outcome = loop {
            match pipe.locate_lent(lent) {
                Ok(n) => break Ok(n),
                Err(ReadError::NeedMore) => {}
                Err(e) => break Err(e),
            }
            let budget = pipe.budget_with_slack(lent.slack());
            if let Err(e) = ready!(pipe.poll_more(cx, budget, &mut self.fill)) {
                break Err(e);
            }
        };
        let pipe = self.pipe.take().expect("checked above");
        Poll::Ready(match outcome {
            Ok(n) => Ok(Some(pipe.take_located(n, lent))),
            Err(ReadError::End) => Ok(None),
            Err(ReadError::Stream(e)) => Err(e.to_io_error()),
            Err(e) => Err(e.into()),
        })
    }
}

/// The next line lent from `pipe` (see [`Pipe::read_line_ref`]), filling it with `fill` (see
/// [`FillFn`]) as needed: the future behind the adapters' `read_line_ref`. `Ok(None)` at the
/// end; other outcomes as [`into_io`] maps them. Cancel safe: the line is consumed only when
/// the future completes.
///
/// A stream that owns its pipe lends it with the fill of its transport:
///
/// ```
/// use pipe_core::adapter::{from_transport, read_line_ref};
/// use std::future::Future;
/// use std::task::{Context, Poll, Waker};
/// let mut pipe = pipe_core::Pipe::new();
/// let mut input = &b"PING\r\n"[..];
/// let fill = from_transport(move |_cx, buf: &mut [u8]| {
///     let n = input.len().min(buf.len());
///     buf[..n].copy_from_slice(&input[..n]);
///     input = &input[n..];
///     Poll::Ready(Ok(n))
/// });
/// let mut read = std::pin::pin!(read_line_ref(&mut pipe, fill, false));
/// let line = read.as_mut().poll(&mut Context::from_waker(Waker::noop()));
/// assert!(matches!(line, Poll::Ready(Ok(Some(b"PING")))));
/// ```
pub fn read_line_ref<'a, F>(
    pipe: &'a mut Pipe,
    fill: F,
    with_ending: bool,
) -> impl Future<Output = io::Result<Option<&'a [u8]>>> + 'a
where
    F: FnMut(&mut Pipe, &mut Context<'_>, usize) -> Poll<()> + Unpin + 'a,
{
    LendRead {
        pipe: Some(pipe),
        fill,
        lent: Lent::Frame {
            sep: b"\n",
            keep: with_ending,
            line: true,
        },
    }
}

/// The next frame ending in `sep` lent from `pipe` (see [`Pipe::read_until_ref`]), filling it
/// with `fill` as needed: the future behind the adapters' `read_until_ref`. `Ok(None)` at the
/// end. Cancel safe.
///
/// ```
/// use pipe_core::adapter::{from_transport, read_until_ref};
/// use std::future::Future;
/// use std::task::{Context, Poll, Waker};
/// let mut pipe = pipe_core::Pipe::new();
/// pipe.write_all(b"key\0")?;
/// let fill = from_transport(|_cx, _buf: &mut [u8]| Poll::Ready(Ok(0))); // the end
/// let mut read = std::pin::pin!(read_until_ref(&mut pipe, fill, b"\0", false));
/// let frame = read.as_mut().poll(&mut Context::from_waker(Waker::noop()));
/// assert!(matches!(frame, Poll::Ready(Ok(Some(b"key")))));
/// # Ok::<(), pipe_core::WriteError>(())
/// ```
pub fn read_until_ref<'a, F>(
    pipe: &'a mut Pipe,
    fill: F,
    sep: &'a [u8],
    with_sep: bool,
) -> impl Future<Output = io::Result<Option<&'a [u8]>>> + 'a
where
    F: FnMut(&mut Pipe, &mut Context<'_>, usize) -> Poll<()> + Unpin + 'a,
{
    LendRead {
        pipe: Some(pipe),
        fill,
        lent: Lent::Frame {
            sep,
            keep: with_sep,
            line: false,
        },
    }
}

/// Exactly `n` bytes lent from `pipe` (see [`Pipe::read_exact_ref`]), filling it with `fill`
/// as needed: the future behind the adapters' `read_exact_ref`. `Ok(None)` at the end with
/// nothing buffered. Cancel safe.
///
/// ```
/// use pipe_core::adapter::{from_transport, read_exact_ref};
/// use std::future::Future;
/// use std::task::{Context, Poll, Waker};
/// let mut pipe = pipe_core::Pipe::new();
/// pipe.write_all(b"abcdef")?;
/// let fill = from_transport(|_cx, _buf: &mut [u8]| Poll::Ready(Ok(0))); // the end
/// let mut read = std::pin::pin!(read_exact_ref(&mut pipe, fill, 4));
/// let frame = read.as_mut().poll(&mut Context::from_waker(Waker::noop()));
/// assert!(matches!(frame, Poll::Ready(Ok(Some(b"abcd")))));
/// # Ok::<(), pipe_core::WriteError>(())
/// ```
pub fn read_exact_ref<'a, F>(
    pipe: &'a mut Pipe,
    fill: F,
    n: usize,
) -> impl Future<Output = io::Result<Option<&'a [u8]>>> + 'a
where
    F: FnMut(&mut Pipe, &mut Context<'_>, usize) -> Poll<()> + Unpin + 'a,
{
    LendRead {
        pipe: Some(pipe),
        fill,
        lent: Lent::Exact(n),
    }
}

/// Writes all of `data`. Not cancel safe: a prefix may have been written.
///
/// ```
/// # mod memory {
/// #     use pipe_core::adapter::{PollWrite, WriteFn};
/// #     use std::{io, task::{Context, Poll}};
/// #     #[derive(Default)]
/// #     pub struct Memory(pub Vec<u8>);
/// #     impl PollWrite for Memory {
/// #         fn with_writer<R>(&mut self, f: impl FnOnce(&mut WriteFn<'_>) -> R) -> R {
/// #             f(&mut |_cx, bufs| {
/// #                 bufs.iter().for_each(|b| self.0.extend_from_slice(b));
/// #                 Poll::Ready(Ok(bufs.iter().map(|b| b.len()).sum()))
/// #             })
/// #         }
/// #         fn poll_flush_transport(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
/// #             Poll::Ready(Ok(()))
/// #         }
/// #         fn poll_close_transport(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
/// #             Poll::Ready(Ok(()))
/// #         }
/// #     }
/// # }
/// # use memory::Memory;
/// # futures_executor_free::run(async {
/// use pipe_core::adapter::write_all;
/// // `Memory`: a `PollWrite` that keeps what is written (see `adapter::PollWrite`).
/// let mut stream = Memory::default();
/// write_all(&mut stream, b"PING\r\n").await?;
/// assert_eq!(stream.0, b"PING\r\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// # mod futures_executor_free {
/// #     pub fn run<F: std::future::Future>(f: F) -> F::Output {
/// #         let mut f = std::pin::pin!(f);
/// #         let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #         loop {
/// #             if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; }
/// #         }
/// #     }
/// # }
/// ```
pub fn write_all<'a, T: PollWrite + ?Sized>(
    stream: &'a mut T,
    data: &'a [u8],
) -> impl Future<Output = io::Result<()>> + 'a {
    let mut slices = [IoSlice::new(data)];
    poll_fn(move |cx| stream.poll_write_all(cx, &mut &mut slices[..]))
}

/// Writes every byte of `bufs`, advancing `bufs` in place as bytes go out (see
/// [`poll_write_vectored_all`]): after a cancellation it holds exactly what is left.
///
/// ```
/// # mod memory {
/// #     use pipe_core::adapter::{PollWrite, WriteFn};
/// #     use std::{io, task::{Context, Poll}};
/// #     #[derive(Default)]
/// #     pub struct Memory(pub Vec<u8>);
/// #     impl PollWrite for Memory {
/// #         fn with_writer<R>(&mut self, f: impl FnOnce(&mut WriteFn<'_>) -> R) -> R {
/// #             f(&mut |_cx, bufs| {
/// #                 bufs.iter().for_each(|b| self.0.extend_from_slice(b));
/// #                 Poll::Ready(Ok(bufs.iter().map(|b| b.len()).sum()))
/// #             })
/// #         }
/// #         fn poll_flush_transport(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
/// #             Poll::Ready(Ok(()))
/// #         }
/// #         fn poll_close_transport(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
/// #             Poll::Ready(Ok(()))
/// #         }
/// #     }
/// # }
/// # use memory::Memory;
/// # futures_executor_free::run(async {
/// use pipe_core::adapter::write_vectored_all;
/// use std::io::IoSlice;
/// // `Memory`: a `PollWrite` that keeps what is written (see `adapter::PollWrite`).
/// let mut stream = Memory::default();
/// let mut slices = [IoSlice::new(b"GET "), IoSlice::new(b"key\r\n")];
/// let mut bufs = &mut slices[..];
/// write_vectored_all(&mut stream, &mut bufs).await?;
/// assert!(bufs.is_empty());
/// assert_eq!(stream.0, b"GET key\r\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// # mod futures_executor_free {
/// #     pub fn run<F: std::future::Future>(f: F) -> F::Output {
/// #         let mut f = std::pin::pin!(f);
/// #         let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #         loop {
/// #             if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; }
/// #         }
/// #     }
/// # }
/// ```
pub fn write_vectored_all<T: PollWrite + ?Sized>(
    stream: &mut T,
    bufs: &mut &mut [IoSlice<'_>],
) -> impl Future<Output = io::Result<()>> {
    poll_fn(move |cx| stream.poll_write_all(cx, bufs))
}
