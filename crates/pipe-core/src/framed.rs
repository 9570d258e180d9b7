//! Framed streams and sinks over any adapter's transport: [`FramedRead`] (a
//! `futures_core::Stream` of decoded frames), [`FramedWrite`] (a `futures_sink::Sink` that
//! encodes into pooled chunks and flushes with vectored writes) and [`Framed`] (both). Written
//! once on `pipe_core::adapter`'s traits; each adapter names them for its `ChunkedStream`
//! (`pipe_tokio::FramedRead<S, D>`, ...).
//!
//! - Dropping a `next()` future loses nothing: frames are decoded from the pipe and consumed in
//!   the poll that returns them.
//! - After a fatal error the stream ends: a transport error is yielded once, then `None`; a
//!   decoder error is yielded, and if the decoder then fails again with nothing consumed in
//!   between (it cannot recover, as a length over the maximum), the stream ends instead of
//!   repeating it. A decoder that recovers (`LinesCodec` drops a long line) goes on.
//! - An idle connection holds no pooled chunk: the read side's pipe lends a chunk to the
//!   transport only for one poll, and the write buffer gives its chunks back as they are sent.
//!
//! ```
//! use futures_core::Stream;
//! use pipe_core::codec::LinesCodec;
//! use pipe_core::framed::FramedRead;
//! use std::pin::Pin;
//! use std::task::{Context, Poll, Waker};
//! let (mut writer, reader) = pipe_core::async_pipe::pipe();
//! writer.write_now(b"hello\n")?;
//! let mut lines = FramedRead::new(reader, LinesCodec::new());
//! let mut cx = Context::from_waker(Waker::noop());
//! assert!(matches!(Pin::new(&mut lines).poll_next(&mut cx), Poll::Ready(Some(Ok(l))) if l == "hello"));
//! assert!(Pin::new(&mut lines).poll_next(&mut cx).is_pending()); // waits for more
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_core::Stream;
use futures_sink::Sink;

use crate::adapter::{PollRead, PollWrite};
use crate::codec::{Decoder, Encoder};
use crate::pipe::{Pipe, PipeOptions, PipeState};

/// The default high-water mark of a write buffer: once this many bytes are buffered,
/// `poll_ready` flushes first.
///
/// ```
/// use futures_sink::Sink;
/// use pipe_core::codec::LinesCodec;
/// use pipe_core::framed::{DEFAULT_HIGH_WATER, FramedWrite};
/// use std::pin::Pin;
/// use std::task::{Context, Waker};
/// let mut sink = FramedWrite::new(Vec::new(), LinesCodec::new());
/// let mut cx = Context::from_waker(Waker::noop());
/// Pin::new(&mut sink).start_send("a short line")?;
/// assert!(Sink::<&str>::poll_ready(Pin::new(&mut sink), &mut cx).is_ready());
/// assert_eq!(sink.buffered(), 13); // under the mark: kept
/// Pin::new(&mut sink).start_send("x".repeat(DEFAULT_HIGH_WATER).as_str())?;
/// assert!(Sink::<&str>::poll_ready(Pin::new(&mut sink), &mut cx).is_ready());
/// assert_eq!(sink.buffered(), 0); // at the mark: written out first
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const DEFAULT_HIGH_WATER: usize = 128 * 1024;

/// The decoding side's state, shared by [`FramedRead`] and [`Framed`].
#[derive(Debug, Default)]
struct ReadState {
    /// The stream ended (the end, or a fatal error was yielded): every poll is `None`.
    done: bool,
    /// The pipe's consumed count when the last decoder error was yielded: an error again with
    /// nothing consumed since means the decoder cannot recover, and the stream ends.
    errored_at: Option<u64>,
}

fn poll_decode<T: PollRead, D: Decoder>(
    inner: &mut T,
    decoder: &mut D,
    state: &mut ReadState,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<D::Item, D::Error>>> {
    if state.done {
        return Poll::Ready(None);
    }
    // The stream ends after the end, a transport error, or a repeated decoder error; a decoder
    // error the decoder may recover from leaves it open. Decided where each outcome is made,
    // so that a frame goes out without a second look at it.
    inner.with_parts(|pipe, fill| {
        loop {
            let clean_end = matches!(pipe.state(), PipeState::Closed);
            let step = if clean_end {
                decoder.decode_eof(pipe)
            } else {
                decoder.decode(pipe)
            };
            match step {
                Ok(Some(frame)) => {
                    state.errored_at = None;
                    return Poll::Ready(Some(Ok(frame)));
                }
                Ok(None) if clean_end => {
                    state.done = true;
                    return Poll::Ready(None);
                }
                Ok(None) => {
                    // The buffered frames are out; the transport's error is next, once.
                    if let PipeState::Failed(e) = pipe.state() {
                        state.done = true;
                        return Poll::Ready(Some(Err(e.to_io_error().into())));
                    }
                    if let Err(e) = ready!(pipe.poll_more(cx, usize::MAX, &mut &mut *fill)) {
                        state.done = true;
                        return Poll::Ready(Some(Err(io::Error::from(e).into())));
                    }
                }
                Err(e) => {
                    let consumed = pipe.consumed_total();
                    if state.errored_at == Some(consumed) {
                        state.done = true;
                        return Poll::Ready(None);
                    }
                    state.errored_at = Some(consumed);
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
    })
}

/// A stream of the frames `D` decodes from a transport `T` (an adapter's `ChunkedStream`).
///
/// ```
/// # futures_executor_free::run(async {
/// use futures_core::Stream;
/// use pipe_core::codec::LinesCodec;
/// use pipe_core::framed::FramedRead;
///
/// // Any `PollRead`: here the in-process pipe's reader.
/// let (mut writer, reader) = pipe_core::async_pipe::pipe();
/// writer.write_now(b"one\ntwo\n")?;
/// drop(writer);
/// let mut lines = FramedRead::new(reader, LinesCodec::new());
/// let mut seen = Vec::new();
/// while let Some(line) = std::future::poll_fn(|cx| std::pin::Pin::new(&mut lines).poll_next(cx)).await {
///     seen.push(line?);
/// }
/// assert_eq!(seen, ["one", "two"]);
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
#[derive(Debug)]
pub struct FramedRead<T, D> {
    inner: T,
    decoder: D,
    state: ReadState,
}

impl<T, D> FramedRead<T, D> {
    /// Frames decoded by `decoder` from `inner`.
    ///
    /// ```
    /// use futures_core::Stream;
    /// use pipe_core::codec::LinesCodec;
    /// use pipe_core::framed::FramedRead;
    /// use std::pin::Pin;
    /// use std::task::{Context, Poll, Waker};
    /// let (mut writer, reader) = pipe_core::async_pipe::pipe();
    /// writer.write_now(b"hi\n")?;
    /// let mut lines = FramedRead::new(reader, LinesCodec::new());
    /// let next = Pin::new(&mut lines).poll_next(&mut Context::from_waker(Waker::noop()));
    /// assert!(matches!(next, Poll::Ready(Some(Ok(line))) if line == "hi"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(inner: T, decoder: D) -> Self {
        FramedRead {
            inner,
            decoder,
            state: ReadState::default(),
        }
    }

    /// The transport.
    ///
    /// ```
    /// use pipe_core::codec::LinesCodec;
    /// use pipe_core::framed::FramedRead;
    /// let (mut writer, reader) = pipe_core::async_pipe::pipe();
    /// writer.write_now(b"one\ntwo\n")?;
    /// let lines = FramedRead::new(reader, LinesCodec::new());
    /// assert_eq!(lines.get_ref().buffered(), 8);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The transport, mutably (reading from it directly bypasses the decoder).
    ///
    /// ```
    /// use pipe_core::codec::LinesCodec;
    /// use pipe_core::framed::FramedRead;
    /// let (mut writer, reader) = pipe_core::async_pipe::pipe();
    /// writer.write_now(b"HELLO\none\ntwo\n")?;
    /// let mut lines = FramedRead::new(reader, LinesCodec::new());
    /// // A greeting read straight from the transport: the decoder sees only what follows.
    /// let greeting = lines.get_mut().with_pipe(|pipe| pipe.read_line(false))?;
    /// assert_eq!(greeting, "HELLO");
    /// assert_eq!(lines.get_ref().buffered(), 8);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// The decoder.
    ///
    /// ```
    /// use pipe_core::codec::LinesCodec;
    /// use pipe_core::framed::FramedRead;
    /// let (_writer, reader) = pipe_core::async_pipe::pipe();
    /// let lines = FramedRead::new(reader, LinesCodec::new_with_max_length(80));
    /// assert_eq!(lines.decoder().max_length(), 80);
    /// ```
    pub fn decoder(&self) -> &D {
        &self.decoder
    }

    /// The decoder, mutably (to change its settings between frames).
    ///
    /// ```
    /// use futures_core::Stream;
    /// use pipe_core::codec::{LinesCodec, LinesCodecError};
    /// use pipe_core::framed::FramedRead;
    /// use std::pin::Pin;
    /// use std::task::{Context, Poll, Waker};
    /// let (mut writer, reader) = pipe_core::async_pipe::pipe();
    /// writer.write_now(b"far too long\n")?;
    /// let mut lines = FramedRead::new(reader, LinesCodec::new());
    /// *lines.decoder_mut() = LinesCodec::new_with_max_length(4);
    /// let next = Pin::new(&mut lines).poll_next(&mut Context::from_waker(Waker::noop()));
    /// assert!(matches!(next, Poll::Ready(Some(Err(LinesCodecError::MaxLineLengthExceeded)))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decoder_mut(&mut self) -> &mut D {
        &mut self.decoder
    }

    /// The transport (with its buffered bytes) and the decoder.
    ///
    /// ```
    /// use futures_core::Stream;
    /// use pipe_core::codec::LinesCodec;
    /// use pipe_core::framed::FramedRead;
    /// use std::pin::Pin;
    /// use std::task::{Context, Waker};
    /// let (mut writer, reader) = pipe_core::async_pipe::pipe();
    /// writer.write_now(b"one\ntwo\n")?;
    /// let mut lines = FramedRead::new(reader, LinesCodec::new_with_max_length(80));
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(Pin::new(&mut lines).poll_next(&mut cx).is_ready()); // "one"
    /// let (reader, codec) = lines.into_parts();
    /// assert_eq!(reader.buffered(), 4); // "two\n", not decoded
    /// assert_eq!(codec.max_length(), 80);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_parts(self) -> (T, D) {
        (self.inner, self.decoder)
    }

    /// The transport, with whatever it has buffered.
    ///
    /// ```
    /// use futures_core::Stream;
    /// use pipe_core::codec::LinesCodec;
    /// use pipe_core::framed::FramedRead;
    /// use std::pin::Pin;
    /// use std::task::{Context, Waker};
    /// let (mut writer, reader) = pipe_core::async_pipe::pipe();
    /// writer.write_now(b"one\ntwo\n")?;
    /// let mut lines = FramedRead::new(reader, LinesCodec::new());
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(Pin::new(&mut lines).poll_next(&mut cx).is_ready()); // "one"
    /// let mut reader = lines.into_inner();
    /// assert_eq!(reader.with_pipe(|pipe| pipe.read_line(false))?, "two");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: PollRead + Unpin, D: Decoder + Unpin> Stream for FramedRead<T, D> {
    type Item = Result<D::Item, D::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        poll_decode(&mut this.inner, &mut this.decoder, &mut this.state, cx)
    }
}

/// The encoding side's state, shared by [`FramedWrite`] and [`Framed`]: the encoded messages
/// not yet sent, in pooled chunks (and payloads appended whole).
#[derive(Debug)]
struct WriteState {
    buffer: Pipe,
    /// Once this many bytes are buffered (`>=`), `poll_ready` flushes first.
    high_water: usize,
    /// `poll_close` ran: sending more is an error.
    closed: bool,
}

impl WriteState {
    fn new() -> Self {
        WriteState {
            buffer: Pipe::with_options(PipeOptions::new().max_frame(crate::UNLIMITED)),
            high_water: DEFAULT_HIGH_WATER,
            closed: false,
        }
    }

    /// Writes the whole buffer with vectored writes (up to 256 slices a call: a flush of a
    /// batch of messages with appended payloads is one `writev`, which also keeps Nagle's
    /// algorithm from holding back a second write; 64 slices made a demo without
    /// `TCP_NODELAY` serve 18 thousand commands a second, 256 made it 1.2 million).
    fn poll_write_out<T: PollWrite>(
        &mut self,
        inner: &mut T,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        while !self.buffer.is_empty() {
            let mut slices = [IoSlice::new(&[]); 256];
            let n = self.buffer.io_slices(&mut slices);
            let written = ready!(inner.with_writer(|write| write(cx, &slices[..n])))?;
            if written == 0 {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "the transport accepted no bytes",
                )));
            }
            self.buffer.skip(written);
        }
        Poll::Ready(Ok(()))
    }

    fn poll_ready<T: PollWrite>(
        &mut self,
        inner: &mut T,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        if self.closed {
            return Poll::Ready(Err(closed()));
        }
        if self.buffer.len() >= self.high_water {
            ready!(self.poll_write_out(inner, cx))?;
        }
        Poll::Ready(Ok(()))
    }

    fn poll_flush<T: PollWrite>(
        &mut self,
        inner: &mut T,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        ready!(self.poll_write_out(inner, cx))?;
        inner.poll_flush_transport(cx)
    }

    fn poll_close<T: PollWrite>(
        &mut self,
        inner: &mut T,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        ready!(self.poll_flush(inner, cx))?;
        self.closed = true;
        inner.poll_close_transport(cx)
    }
}

fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the sink is closed")
}

/// A sink of messages that `E` encodes into pooled chunks, sent to a transport `T` with
/// vectored writes. `poll_ready` flushes first once the buffered bytes reach the high-water
/// mark ([`DEFAULT_HIGH_WATER`], see [`set_high_water`](FramedWrite::set_high_water)); a
/// payload the encoder appends whole (`LengthDelimitedCodec`'s of 4 KiB and more) is sent from
/// its own memory, never copied. `poll_close` sends what is buffered, then closes the
/// transport's write side as the stream's `shutdown` does (a TCP FIN where the adapter's
/// `shutdown` documents one); after it, sending is a `BrokenPipe` error. A transport error
/// comes out of `poll_ready`, `poll_flush` or `poll_close` as it happens, and the bytes not yet
/// written stay buffered: a later flush sends them, each message once, in order.
///
/// ```
/// use futures_sink::Sink;
/// use pipe_core::codec::LinesCodec;
/// use pipe_core::framed::FramedWrite;
/// use std::pin::Pin;
/// use std::task::{Context, Waker};
/// let mut sink = FramedWrite::new(Vec::new(), LinesCodec::new());
/// Pin::new(&mut sink).start_send("one")?;
/// Pin::new(&mut sink).start_send("two")?;
/// assert!(sink.get_ref().is_empty()); // buffered until a flush
/// let mut cx = Context::from_waker(Waker::noop());
/// assert!(Sink::<&str>::poll_flush(Pin::new(&mut sink), &mut cx).is_ready());
/// assert_eq!(sink.get_ref(), b"one\ntwo\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FramedWrite<T, E> {
    inner: T,
    encoder: E,
    state: WriteState,
}

impl<T, E> FramedWrite<T, E> {
    /// Messages encoded by `encoder` onto `inner`.
    ///
    /// ```
    /// use futures_sink::Sink;
    /// use pipe_core::codec::LinesCodec;
    /// use pipe_core::framed::FramedWrite;
    /// use std::pin::Pin;
    /// let mut sink = FramedWrite::new(Vec::new(), LinesCodec::new());
    /// Pin::new(&mut sink).start_send("hi")?;
    /// assert_eq!(sink.buffered(), 3); // "hi\n", encoded and not yet sent
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(inner: T, encoder: E) -> Self {
        FramedWrite {
            inner,
            encoder,
            state: WriteState::new(),
        }
    }

    /// The transport.
    ///
    /// ```
    /// use futures_sink::Sink;
    /// use pipe_core::codec::LinesCodec;
    /// use pipe_core::framed::FramedWrite;
    /// use std::pin::Pin;
    /// use std::task::{Context, Waker};
    /// let mut sink = FramedWrite::new(Vec::new(), LinesCodec::new());
    /// Pin::new(&mut sink).start_send("hi")?;
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(Sink::<&str>::poll_flush(Pin::new(&mut sink), &mut cx).is_ready());
    /// assert_eq!(sink.get_ref(), b"hi\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The transport, mutably (writing to it directly goes before what is buffered).
    ///
    /// ```
    /// use futures_sink::Sink;
    /// use pipe_core::codec::LinesCodec;
    /// use pipe_core::framed::FramedWrite;
    /// use std::pin::Pin;
    /// use std::task::{Context, Waker};
    /// let mut sink = FramedWrite::new(Vec::new(), LinesCodec::new());
    /// Pin::new(&mut sink).start_send("two")?;
    /// sink.get_mut().extend_from_slice(b"one\n"); // straight to the transport
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(Sink::<&str>::poll_flush(Pin::new(&mut sink), &mut cx).is_ready());
    /// assert_eq!(sink.get_ref(), b"one\ntwo\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// The encoder.
    ///
    /// ```
    /// use pipe_core::codec::LinesCodec;
    /// use pipe_core::framed::FramedWrite;
    /// let sink = FramedWrite::new(Vec::<u8>::new(), LinesCodec::new_with_max_length(80));
    /// assert_eq!(sink.encoder().max_length(), 80);
    /// ```
    pub fn encoder(&self) -> &E {
        &self.encoder
    }

    /// The encoder, mutably.
    ///
    /// ```
    /// use futures_sink::Sink;
    /// use pipe_core::codec::LinesCodec;
    /// use pipe_core::framed::FramedWrite;
    /// use std::pin::Pin;
    /// let mut sink = FramedWrite::new(Vec::new(), LinesCodec::new());
    /// *sink.encoder_mut() = LinesCodec::new_with_max_length(4);
    /// assert!(Pin::new(&mut sink).start_send("too long").is_err()); // refused
    /// assert_eq!(sink.buffered(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encoder_mut(&mut self) -> &mut E {
        &mut self.encoder
    }

    /// Bytes encoded and not yet sent.
    ///
    /// ```
    /// use futures_sink::Sink;
    /// use pipe_core::codec::LinesCodec;
    /// use pipe_core::framed::FramedWrite;
    /// use std::pin::Pin;
    /// use std::task::{Context, Waker};
    /// let mut sink = FramedWrite::new(Vec::new(), LinesCodec::new());
    /// Pin::new(&mut sink).start_send("hi")?;
    /// assert_eq!(sink.buffered(), 3);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(Sink::<&str>::poll_flush(Pin::new(&mut sink), &mut cx).is_ready());
    /// assert_eq!(sink.buffered(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn buffered(&self) -> usize {
        self.state.buffer.len()
    }

    /// Sets the high-water mark: once that many bytes are buffered, `poll_ready` flushes
    /// first.
    ///
    /// ```
    /// use futures_sink::Sink;
    /// use pipe_core::codec::LinesCodec;
    /// use pipe_core::framed::FramedWrite;
    /// use std::pin::Pin;
    /// use std::task::{Context, Waker};
    /// let mut sink = FramedWrite::new(Vec::new(), LinesCodec::new());
    /// let mut cx = Context::from_waker(Waker::noop());
    /// sink.set_high_water(4);
    /// Pin::new(&mut sink).start_send("hi")?;
    /// assert!(Sink::<&str>::poll_ready(Pin::new(&mut sink), &mut cx).is_ready());
    /// assert_eq!(sink.buffered(), 3); // under the mark: kept
    /// Pin::new(&mut sink).start_send("yo")?;
    /// assert!(Sink::<&str>::poll_ready(Pin::new(&mut sink), &mut cx).is_ready());
    /// assert_eq!(sink.get_ref(), b"hi\nyo\n"); // at the mark: written out first
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_high_water(&mut self, bytes: usize) {
        self.state.high_water = bytes;
    }

    /// The transport and the encoder; bytes encoded and not yet sent are dropped (flush
    /// first).
    ///
    /// ```
    /// use futures_sink::Sink;
    /// use pipe_core::codec::LinesCodec;
    /// use pipe_core::framed::FramedWrite;
    /// use std::pin::Pin;
    /// let mut sink = FramedWrite::new(Vec::new(), LinesCodec::new());
    /// Pin::new(&mut sink).start_send("lost")?;
    /// let (memory, _codec) = sink.into_parts();
    /// assert!(memory.is_empty()); // never flushed: dropped
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_parts(self) -> (T, E) {
        (self.inner, self.encoder)
    }
}

impl<T: PollWrite + Unpin, I, E: Encoder<I> + Unpin> Sink<I> for FramedWrite<T, E> {
    type Error = E::Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), E::Error>> {
        let this = self.get_mut();
        this.state
            .poll_ready(&mut this.inner, cx)
            .map_err(Into::into)
    }

    fn start_send(self: Pin<&mut Self>, item: I) -> Result<(), E::Error> {
        let this = self.get_mut();
        if this.state.closed {
            return Err(closed().into());
        }
        this.encoder.encode(item, &mut this.state.buffer)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), E::Error>> {
        let this = self.get_mut();
        this.state
            .poll_flush(&mut this.inner, cx)
            .map_err(Into::into)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), E::Error>> {
        let this = self.get_mut();
        this.state
            .poll_close(&mut this.inner, cx)
            .map_err(Into::into)
    }
}

/// A [`FramedRead`] and a [`FramedWrite`] on one transport with one codec: a `Stream` of
/// decoded frames and a `Sink` of messages.
///
/// ```
/// use futures_core::Stream;
/// use futures_sink::Sink;
/// use pipe_core::codec::LinesCodec;
/// use pipe_core::framed::Framed;
/// use std::pin::Pin;
/// use std::task::{Context, Poll, Waker};
/// # mod memory {
/// #     use pipe_core::Pipe;
/// #     use pipe_core::adapter::{FillFn, PollRead, PollWrite, WriteFn, from_transport};
/// #     use std::io::{self, Read};
/// #     use std::task::{Context, Poll};
/// #     pub struct Memory {
/// #         pipe: Pipe,
/// #         input: &'static [u8],
/// #         pub output: Vec<u8>,
/// #     }
/// #     impl Memory {
/// #         pub fn new(input: &'static [u8]) -> Self {
/// #             Memory { pipe: Pipe::new(), input, output: Vec::new() }
/// #         }
/// #     }
/// #     impl PollRead for Memory {
/// #         fn with_parts<R>(&mut self, f: impl FnOnce(&mut Pipe, &mut FillFn<'_>) -> R) -> R {
/// #             let input = &mut self.input;
/// #             f(&mut self.pipe, &mut from_transport(|_cx, buf| Poll::Ready(input.read(buf))))
/// #         }
/// #     }
/// #     impl PollWrite for Memory {
/// #         fn with_writer<R>(&mut self, f: impl FnOnce(&mut WriteFn<'_>) -> R) -> R {
/// #             f(&mut |_cx, bufs| {
/// #                 bufs.iter().for_each(|b| self.output.extend_from_slice(b));
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
/// // `Memory`: reads the bytes it is given, keeps what is written in `output`.
/// let mut framed = Framed::new(Memory::new(b"ping\n"), LinesCodec::new());
/// let mut cx = Context::from_waker(Waker::noop());
/// // An echo: the line read goes back.
/// let Poll::Ready(Some(line)) = Pin::new(&mut framed).poll_next(&mut cx) else { unreachable!() };
/// Pin::new(&mut framed).start_send(line?)?;
/// assert!(Sink::<pipe_core::Bytes>::poll_flush(Pin::new(&mut framed), &mut cx).is_ready());
/// assert_eq!(framed.get_ref().output, b"ping\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Framed<T, C> {
    inner: T,
    codec: C,
    read: ReadState,
    write: WriteState,
}

impl<T, C> Framed<T, C> {
    /// Frames and messages of `codec` over `inner`.
    ///
    /// ```
    /// use futures_core::Stream;
    /// use pipe_core::codec::LinesCodec;
    /// use pipe_core::framed::Framed;
    /// use std::pin::Pin;
    /// use std::task::{Context, Poll, Waker};
    /// // Any `PollRead` (and `PollWrite` to send): here the in-process pipe's reader.
    /// let (mut writer, reader) = pipe_core::async_pipe::pipe();
    /// writer.write_now(b"hi\n")?;
    /// let mut framed = Framed::new(reader, LinesCodec::new());
    /// let next = Pin::new(&mut framed).poll_next(&mut Context::from_waker(Waker::noop()));
    /// assert!(matches!(next, Poll::Ready(Some(Ok(line))) if line == "hi"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(inner: T, codec: C) -> Self {
        Framed {
            inner,
            codec,
            read: ReadState::default(),
            write: WriteState::new(),
        }
    }

    /// The transport.
    ///
    /// ```
    /// use pipe_core::codec::LinesCodec;
    /// use pipe_core::framed::Framed;
    /// let (mut writer, reader) = pipe_core::async_pipe::pipe();
    /// writer.write_now(b"one\ntwo\n")?;
    /// let framed = Framed::new(reader, LinesCodec::new());
    /// assert_eq!(framed.get_ref().buffered(), 8);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The transport, mutably.
    ///
    /// ```
    /// use pipe_core::codec::LinesCodec;
    /// use pipe_core::framed::Framed;
    /// let (mut writer, reader) = pipe_core::async_pipe::pipe();
    /// writer.write_now(b"HELLO\none\n")?;
    /// let mut framed = Framed::new(reader, LinesCodec::new());
    /// // A greeting read straight from the transport: the codec sees only what follows.
    /// let greeting = framed.get_mut().with_pipe(|pipe| pipe.read_line(false))?;
    /// assert_eq!(greeting, "HELLO");
    /// assert_eq!(framed.get_ref().buffered(), 4);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// The codec.
    ///
    /// ```
    /// use pipe_core::codec::LinesCodec;
    /// use pipe_core::framed::Framed;
    /// let (_writer, reader) = pipe_core::async_pipe::pipe();
    /// let framed = Framed::new(reader, LinesCodec::new_with_max_length(80));
    /// assert_eq!(framed.codec().max_length(), 80);
    /// ```
    pub fn codec(&self) -> &C {
        &self.codec
    }

    /// The codec, mutably.
    ///
    /// ```
    /// use pipe_core::codec::LinesCodec;
    /// use pipe_core::framed::Framed;
    /// let (_writer, reader) = pipe_core::async_pipe::pipe();
    /// let mut framed = Framed::new(reader, LinesCodec::new());
    /// *framed.codec_mut() = LinesCodec::new_with_max_length(4);
    /// assert_eq!(framed.codec().max_length(), 4);
    /// ```
    pub fn codec_mut(&mut self) -> &mut C {
        &mut self.codec
    }

    /// Bytes encoded and not yet sent.
    ///
    /// ```
    /// use futures_sink::Sink;
    /// use pipe_core::codec::LinesCodec;
    /// use pipe_core::framed::Framed;
    /// use std::pin::Pin;
    /// use std::task::{Context, Waker};
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
    /// // `Memory`: a `PollWrite` that keeps what is written (see `adapter::PollWrite`).
    /// let mut framed = Framed::new(Memory::default(), LinesCodec::new());
    /// Pin::new(&mut framed).start_send("hi")?;
    /// assert_eq!(framed.write_buffered(), 3);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(Sink::<&str>::poll_flush(Pin::new(&mut framed), &mut cx).is_ready());
    /// assert_eq!(framed.write_buffered(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_buffered(&self) -> usize {
        self.write.buffer.len()
    }

    /// Sets the write side's high-water mark: once that many bytes are buffered,
    /// `poll_ready` flushes first.
    ///
    /// ```
    /// use futures_sink::Sink;
    /// use pipe_core::codec::LinesCodec;
    /// use pipe_core::framed::Framed;
    /// use std::pin::Pin;
    /// use std::task::{Context, Waker};
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
    /// // `Memory`: a `PollWrite` that keeps what is written (see `adapter::PollWrite`).
    /// let mut framed = Framed::new(Memory::default(), LinesCodec::new());
    /// let mut cx = Context::from_waker(Waker::noop());
    /// framed.set_high_water(4);
    /// Pin::new(&mut framed).start_send("hi")?;
    /// assert!(Sink::<&str>::poll_ready(Pin::new(&mut framed), &mut cx).is_ready());
    /// assert_eq!(framed.write_buffered(), 3); // under the mark: kept
    /// Pin::new(&mut framed).start_send("yo")?;
    /// assert!(Sink::<&str>::poll_ready(Pin::new(&mut framed), &mut cx).is_ready());
    /// assert_eq!(framed.get_ref().0, b"hi\nyo\n"); // at the mark: written out first
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_high_water(&mut self, bytes: usize) {
        self.write.high_water = bytes;
    }

    /// The transport (with the bytes it has read and not decoded) and the codec; bytes
    /// encoded and not yet sent are dropped (flush first).
    ///
    /// ```
    /// use futures_core::Stream;
    /// use pipe_core::codec::LinesCodec;
    /// use pipe_core::framed::Framed;
    /// use std::pin::Pin;
    /// use std::task::{Context, Waker};
    /// let (mut writer, reader) = pipe_core::async_pipe::pipe();
    /// writer.write_now(b"one\ntwo\n")?;
    /// let mut framed = Framed::new(reader, LinesCodec::new());
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(Pin::new(&mut framed).poll_next(&mut cx).is_ready()); // "one"
    /// let (reader, _codec) = framed.into_parts();
    /// assert_eq!(reader.buffered(), 4); // "two\n", read and not decoded
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_parts(self) -> (T, C) {
        (self.inner, self.codec)
    }

    /// Splits into a [`FramedRead`] and a [`FramedWrite`] that two tasks can own, with
    /// `split` dividing the transport (an adapter's `into_split` or `split`, which keeps the
    /// read bytes on the read half). Nothing is lost: the read side keeps its decoder state
    /// and stream state, the write side the messages encoded and not yet sent and its
    /// high-water mark; each half gets a clone of the codec.
    ///
    /// ```
    /// # futures_executor_free::run(async {
    /// use futures_core::Stream;
    /// use pipe_core::codec::LinesCodec;
    /// use pipe_core::framed::Framed;
    ///
    /// // Any transport that splits: here two in-process pipes, one each way.
    /// let (mut to_us, from_peer) = pipe_core::async_pipe::pipe();
    /// let (to_peer, _peer_reads) = pipe_core::async_pipe::pipe();
    /// to_us.write_now(b"hello\n")?;
    /// let framed = Framed::new((from_peer, to_peer), LinesCodec::new());
    /// let (mut lines, _sink) = framed.split_with(|(r, w)| (r, w));
    /// let line = std::future::poll_fn(|cx| std::pin::Pin::new(&mut lines).poll_next(cx)).await;
    /// assert_eq!(line.unwrap()?, "hello");
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
    pub fn split_with<R, W>(
        self,
        split: impl FnOnce(T) -> (R, W),
    ) -> (FramedRead<R, C>, FramedWrite<W, C>)
    where
        C: Clone,
    {
        let (r, w) = split(self.inner);
        let read = FramedRead {
            inner: r,
            decoder: self.codec.clone(),
            state: self.read,
        };
        let write = FramedWrite {
            inner: w,
            encoder: self.codec,
            state: self.write,
        };
        (read, write)
    }
}

impl<T: PollRead + Unpin, C: Decoder + Unpin> Stream for Framed<T, C> {
    type Item = Result<C::Item, C::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        poll_decode(&mut this.inner, &mut this.codec, &mut this.read, cx)
    }
}

impl<T: PollWrite + Unpin, I, C: Encoder<I> + Unpin> Sink<I> for Framed<T, C> {
    type Error = C::Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), C::Error>> {
        let this = self.get_mut();
        this.write
            .poll_ready(&mut this.inner, cx)
            .map_err(Into::into)
    }

    fn start_send(self: Pin<&mut Self>, item: I) -> Result<(), C::Error> {
        let this = self.get_mut();
        if this.write.closed {
            return Err(closed().into());
        }
        this.codec.encode(item, &mut this.write.buffer)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), C::Error>> {
        let this = self.get_mut();
        this.write
            .poll_flush(&mut this.inner, cx)
            .map_err(Into::into)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), C::Error>> {
        let this = self.get_mut();
        this.write
            .poll_close(&mut this.inner, cx)
            .map_err(Into::into)
    }
}
