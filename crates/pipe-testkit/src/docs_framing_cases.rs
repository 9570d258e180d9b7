//! The framing layer on each adapter (`FramedRead`, `FramedWrite`, `Framed` over a
//! `ChunkedStream`, with `pipe_core::codec`'s codecs), tested from its documentation alone
//! (`pipe_core::framed`'s module and type docs, the adapters' `FramedRead`/`FramedWrite`/`Framed`
//! docs, README "Framing"), written once for every runtime.
//!
//! What the docs promise and these tests check: frames come out whole and once, whatever the
//! transport's pieces (one byte a read with `Pending` between, a loopback peer writing a byte at a
//! time); a `next()`, `send()` or `flush()` dropped at `Pending` loses and repeats nothing; after
//! a transport error the stream yields it once and ends; a decoder error is yielded and the
//! stream goes on if the decoder recovers (`LinesCodec`) and ends if it fails again with nothing
//! consumed (`LengthDelimitedCodec`); the write side buffers up to its high-water mark and
//! flushes first once it is reached; `close` makes sending a `BrokenPipe` error; `into_parts` keeps the read
//! bytes and drops unsent ones; `split_with` keeps both sides' state.
//!
//! Each adapter's `tests/docs_framing.rs` invokes [`docs_framing_tests!`](crate::docs_framing_tests)
//! once per runtime, with these names in scope: `ChunkedStream`, `FramedRead`, `FramedWrite`,
//! `Framed` (the adapter's), `Tcp` (the runtime's TCP stream), `async fn tcp_pair() ->
//! (ChunkedStream<Tcp>, ChunkedStream<Tcp>)` (a loopback pair, `TCP_NODELAY` on both) and
//! `fn spawn(f) -> impl Future<Output = f's output>`.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// What the test bodies of [`docs_framing_tests!`](crate::docs_framing_tests) name.
pub mod prelude {
    pub use std::io;
    pub use std::task::Poll;

    pub use futures_util::StreamExt;
    pub use pipe_core::codec::{
        self, AnyDelimiterCodec, AnyDelimiterCodecError, BytesCodec, Decoder, Encoder,
        LengthDelimitedCodec, LengthDelimitedCodecError, LinesCodec, LinesCodecError,
    };
    pub use pipe_core::framed::DEFAULT_HIGH_WATER;
    pub use pipe_core::{Bytes, Pipe};

    pub use super::{
        Rd, Rng, Script, Written, encode_all, ldc_payloads, next_with_drops, poll_once, yield_once,
    };
}

// ---------------------------------------------------------------------------------------------
// The scripted transport.

/// What the scripted transport's read side does when polled.
#[derive(Debug, Clone)]
pub enum Rd {
    /// Bytes, as many as fit (or one, in one-byte mode); the rest stays for the next read.
    Data(Vec<u8>),
    /// `Pending`, with a wake-up.
    Pending,
    /// `Ok(0)`, once.
    End,
    /// An error of this kind, once.
    Fail(io::ErrorKind),
}

/// What the test sees of the scripted transport's write side.
#[derive(Debug, Clone, Default)]
pub struct Written {
    bytes: Arc<Mutex<Vec<u8>>>,
    closed: Arc<AtomicBool>,
}

impl Written {
    /// Every byte written so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.bytes.lock().unwrap().clone()
    }
    /// How many bytes were written.
    pub fn len(&self) -> usize {
        self.bytes.lock().unwrap().len()
    }
    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Whether the transport was shut down (tokio's `poll_shutdown`, futures-io's `poll_close`).
    pub fn closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }
}

/// An in-memory transport that plays a read script (then the end, forever) and records its
/// writes; tokio's and futures-io's reader and writer.
#[derive(Debug)]
pub struct Script {
    reads: VecDeque<Rd>,
    read_one_byte: bool,
    read_toggle: bool,
    write_one_byte: bool,
    write_toggle: bool,
    fail_writes_after: Option<(usize, io::ErrorKind)>,
    written: Written,
}

impl Script {
    /// A transport that plays `reads`.
    pub fn new(reads: impl IntoIterator<Item = Rd>) -> (Self, Written) {
        let written = Written::default();
        let s = Script {
            reads: reads.into_iter().collect(),
            read_one_byte: false,
            read_toggle: false,
            write_one_byte: false,
            write_toggle: false,
            fail_writes_after: None,
            written: written.clone(),
        };
        (s, written)
    }

    /// `data`, then the end, one byte a read with `Pending` (and a wake-up) before each.
    pub fn one_byte(data: &[u8]) -> (Self, Written) {
        let (mut s, w) = Script::new([Rd::Data(data.to_vec()), Rd::End]);
        s.read_one_byte = true;
        (s, w)
    }

    /// Writes accept one byte a call, with `Pending` (and a wake-up) before each.
    pub fn slow_writes(mut self) -> Self {
        self.write_one_byte = true;
        self
    }

    /// Writes fail with `kind` once `n` bytes are written.
    pub fn fail_writes_after(mut self, n: usize, kind: io::ErrorKind) -> Self {
        self.fail_writes_after = Some((n, kind));
        self
    }

    fn read_into(&mut self, cx: &mut Context<'_>, dst: &mut [u8]) -> Poll<io::Result<usize>> {
        if dst.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if self.read_one_byte && matches!(self.reads.front(), Some(Rd::Data(_))) {
            self.read_toggle = !self.read_toggle;
            if self.read_toggle {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
        }
        match self.reads.pop_front() {
            None | Some(Rd::End) => Poll::Ready(Ok(0)),
            Some(Rd::Pending) => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Some(Rd::Fail(kind)) => Poll::Ready(Err(io::Error::new(kind, "scripted failure"))),
            Some(Rd::Data(mut data)) => {
                let n = if self.read_one_byte {
                    1
                } else {
                    data.len().min(dst.len())
                };
                dst[..n].copy_from_slice(&data[..n]);
                if n < data.len() {
                    data.drain(..n);
                    self.reads.push_front(Rd::Data(data));
                }
                Poll::Ready(Ok(n))
            }
        }
    }

    fn write_from(&mut self, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let mut bytes = self.written.bytes.lock().unwrap();
        let mut n = data.len();
        if let Some((limit, kind)) = self.fail_writes_after {
            if bytes.len() >= limit {
                return Poll::Ready(Err(io::Error::new(kind, "scripted write failure")));
            }
            n = n.min(limit - bytes.len());
        }
        if self.write_one_byte {
            self.write_toggle = !self.write_toggle;
            if self.write_toggle {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            n = 1;
        }
        bytes.extend_from_slice(&data[..n]);
        Poll::Ready(Ok(n))
    }
}

impl tokio::io::AsyncRead for Script {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let dst = buf.initialize_unfilled();
        match this.read_into(cx, dst) {
            Poll::Ready(Ok(n)) => {
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl tokio::io::AsyncWrite for Script {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().write_from(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.written.closed.store(true, Ordering::SeqCst);
        Poll::Ready(Ok(()))
    }
}

impl futures_io::AsyncRead for Script {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().read_into(cx, buf)
    }
}

impl futures_io::AsyncWrite for Script {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().write_from(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.written.closed.store(true, Ordering::SeqCst);
        Poll::Ready(Ok(()))
    }
}

// ---------------------------------------------------------------------------------------------
// Cancellation and data helpers.

/// A small deterministic generator (xorshift).
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0 | 1;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Polls `f` once with the caller's context, then drops it.
pub async fn poll_once<F: Future>(f: F) -> Poll<F::Output> {
    let mut f = std::pin::pin!(f);
    std::future::poll_fn(|cx| Poll::Ready(f.as_mut().poll(cx))).await
}

/// Gives the runtime one turn (wakes itself, `Pending` once).
pub async fn yield_once() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

/// The stream's next item, with `next()` polled once and dropped at `Pending` at random points
/// (else awaited).
pub async fn next_with_drops<S>(s: &mut S, rng: &mut Rng) -> Option<S::Item>
where
    S: futures_util::Stream + Unpin,
{
    use futures_util::StreamExt;
    loop {
        if rng.below(4) == 0 {
            return s.next().await;
        }
        match poll_once(s.next()).await {
            Poll::Ready(item) => return item,
            Poll::Pending => yield_once().await,
        }
    }
}

/// Payloads of varied sizes (empty, small, around the 4 KiB append line, above a 16 KiB chunk).
pub fn ldc_payloads(rng: &mut Rng, n: usize) -> Vec<pipe_core::Bytes> {
    let sizes = [0usize, 1, 5, 63, 4095, 4096, 5000, 20_000];
    (0..n)
        .map(|i| {
            let size = if i < sizes.len() {
                sizes[i]
            } else {
                rng.below(300)
            };
            let seed = rng.below(256) as u8;
            (0..size)
                .map(|j| seed.wrapping_add(j as u8))
                .collect::<Vec<u8>>()
                .into()
        })
        .collect()
}

/// The bytes `codec` writes for `items`.
pub fn encode_all<I, E>(codec: &mut E, items: impl IntoIterator<Item = I>) -> Vec<u8>
where
    E: pipe_core::codec::Encoder<I>,
    E::Error: std::fmt::Debug,
{
    let mut pipe = pipe_core::Pipe::new();
    for item in items {
        codec.encode(item, &mut pipe).unwrap();
    }
    let n = pipe.len();
    pipe.read_exact(n).map(|b| b.to_vec()).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// The cases.

/// One case of [`docs_framing_tests!`](crate::docs_framing_tests): an `async` test under the
/// given attribute, or a `#[test]` that runs the body with the given `block_on`.
#[doc(hidden)]
#[macro_export]
macro_rules! __docs_framing_case {
    ((#[$($attr:tt)*]) $name:ident $body:block) => {
        #[$($attr)*]
        async fn $name() $body
    };
    (($block_on:path) $name:ident $body:block) => {
        #[test]
        fn $name() {
            $block_on(async $body)
        }
    };
}

/// The framing tests, written once: `docs_framing_tests!(test: (#[tokio::test]))` or
/// `docs_framing_tests!(test: (smol::block_on))`. See the [module](crate::docs_framing_cases)
/// for the names it needs in scope.
#[macro_export]
macro_rules! docs_framing_tests {
    (test: ($($how:tt)*)) => {
        #[allow(unused_imports)]
        use $crate::docs_framing_cases::prelude::*;
        #[allow(unused_imports)]
        use futures_util::SinkExt;

        // -------------------------------------------------------------------------------------
        // FramedRead: frames whole and once.

        /// framed.rs:1-2 and README: a `Stream` of decoded frames, whatever the pieces: one
        /// byte a read with `Pending` between; after the end every poll is `None`.
        $crate::__docs_framing_case!(($($how)*) read_lines_one_byte_a_read {
            let (io, _) = Script::one_byte(b"one\r\ntwo\n\n\r\nthr");
            let mut lines = FramedRead::new(ChunkedStream::new(io), LinesCodec::new_with_max_length(8));
            let mut got = Vec::new();
            while let Some(line) = lines.next().await {
                got.push(line.unwrap());
            }
            assert_eq!(got, ["one", "two", "", "", "thr"]);
            for _ in 0..3 {
                assert!(lines.next().await.is_none(), "after the end: None again");
            }
        });

        /// Length-delimited frames of every size one byte a read, and through reads dropped at
        /// `Pending` at random points: each frame once, in order.
        $crate::__docs_framing_case!(($($how)*) read_ldc_one_byte_a_read_with_drops {
            let mut rng = Rng(11);
            let payloads = ldc_payloads(&mut rng, 14);
            let wire = encode_all(&mut LengthDelimitedCodec::new(), payloads.clone());
            for drops in [false, true] {
                let (io, _) = Script::one_byte(&wire);
                let mut frames = FramedRead::new(ChunkedStream::new(io), LengthDelimitedCodec::new());
                let mut got = Vec::new();
                loop {
                    let item = if drops {
                        next_with_drops(&mut frames, &mut rng).await
                    } else {
                        frames.next().await
                    };
                    match item {
                        Some(f) => got.push(f.unwrap()),
                        None => break,
                    }
                }
                assert_eq!(got, payloads, "drops {drops}");
            }
        });

        /// framed.rs:7-8 "Dropping a `next()` future loses nothing": pieces of random sizes with
        /// `Pending` between, `next()` dropped at random `Pending`s, every codec.
        $crate::__docs_framing_case!(($($how)*) read_next_dropped_at_pending_loses_nothing {
            let mut rng = Rng(5);
            let text: Vec<u8> = (0..300)
                .flat_map(|i| format!("line {i}{}", if i % 3 == 0 { "\r\n" } else { "\n" }).into_bytes())
                .collect();
            let mut script = Vec::new();
            let mut at = 0;
            while at < text.len() {
                let end = (at + 1 + rng.below(40)).min(text.len());
                script.push(Rd::Data(text[at..end].to_vec()));
                for _ in 0..rng.below(3) {
                    script.push(Rd::Pending);
                }
                at = end;
            }
            script.push(Rd::End);
            let (io, _) = Script::new(script.clone());
            let mut lines = FramedRead::new(ChunkedStream::new(io), LinesCodec::new());
            let mut got = Vec::new();
            while let Some(line) = next_with_drops(&mut lines, &mut rng).await {
                got.push(String::from_utf8(line.unwrap().to_vec()).unwrap());
            }
            let want: Vec<String> = (0..300).map(|i| format!("line {i}")).collect();
            assert_eq!(got, want);

            let (io, _) = Script::new(script);
            let mut chunks = FramedRead::new(ChunkedStream::new(io), BytesCodec);
            let mut all = Vec::new();
            while let Some(c) = next_with_drops(&mut chunks, &mut rng).await {
                all.extend_from_slice(&c.unwrap());
            }
            assert_eq!(all, text, "BytesCodec: every byte once");
        });

        /// lines_codec.rs:15-17 and framed.rs:12 "A decoder that recovers (`LinesCodec` drops a
        /// long line) goes on": one error for the long line (arriving a byte at a time), then the
        /// next lines; one under, at and one over the maximum with `\r\n`.
        $crate::__docs_framing_case!(($($how)*) read_long_line_error_once_then_goes_on {
            let (io, _) = Script::one_byte(b"abc\r\nabcd\r\nabcde\r\nfar too long a line\nyes\nlast");
            let mut lines = FramedRead::new(ChunkedStream::new(io), LinesCodec::new_with_max_length(4));
            let mut got = Vec::new();
            while let Some(item) = lines.next().await {
                got.push(match item {
                    Ok(line) => String::from_utf8(line.to_vec()).unwrap(),
                    Err(LinesCodecError::MaxLineLengthExceeded) => "<long>".to_string(),
                    Err(e) => panic!("{e:?}"),
                });
            }
            assert_eq!(got, ["abc", "abcd", "<long>", "<long>", "yes", "last"]);
            assert!(lines.next().await.is_none());
        });

        /// length_delimited.rs:76-77 and framed.rs:9-12: a length over the maximum is yielded
        /// once, then the stream ends (the decoder fails again with nothing consumed); one under
        /// and at the maximum are frames.
        $crate::__docs_framing_case!(($($how)*) read_frame_too_big_yielded_once_then_ends {
            let max = 5usize;
            let mut wire = Vec::new();
            for len in [max - 1, max, max + 1, 1] {
                wire.extend_from_slice(&(len as u32).to_be_bytes());
                wire.extend(std::iter::repeat_n(b'x', len));
            }
            for one_byte in [false, true] {
                let (io, _) = if one_byte {
                    Script::one_byte(&wire)
                } else {
                    Script::new([Rd::Data(wire.clone()), Rd::End])
                };
                let codec = LengthDelimitedCodec::builder().max_frame_length(max).new_codec();
                let mut frames = FramedRead::new(ChunkedStream::new(io), codec);
                assert_eq!(frames.next().await.unwrap().unwrap().len(), max - 1);
                assert_eq!(frames.next().await.unwrap().unwrap().len(), max);
                match frames.next().await {
                    Some(Err(LengthDelimitedCodecError::FrameTooBig { length, max: m })) => {
                        assert_eq!((length, m), ((max + 1) as u64, max))
                    }
                    other => panic!("{other:?}"),
                }
                for _ in 0..3 {
                    assert!(frames.next().await.is_none(), "the stream ends, no repeated error");
                }
            }
        });

        /// framed.rs:9 "a transport error is yielded once, then `None`"; README: buffered frames
        /// still come first. Every codec, with the error right after data.
        $crate::__docs_framing_case!(($($how)*) read_transport_error_once_then_none {
            let reset = io::ErrorKind::ConnectionReset;
            // LinesCodec.
            let (io, _) = Script::new([Rd::Data(b"a\nb\npar".to_vec()), Rd::Fail(reset)]);
            let mut s = FramedRead::new(ChunkedStream::new(io), LinesCodec::new());
            assert_eq!(s.next().await.unwrap().unwrap(), "a");
            assert_eq!(s.next().await.unwrap().unwrap(), "b");
            let e = io::Error::from(s.next().await.unwrap().unwrap_err());
            assert_eq!(e.kind(), reset);
            for _ in 0..3 {
                assert!(s.next().await.is_none());
            }
            // LengthDelimitedCodec.
            let mut wire = encode_all(&mut LengthDelimitedCodec::new(), [Bytes::from_static(b"one")]);
            wire.extend_from_slice(&[0, 0, 0, 9, b'p']);
            let (io, _) = Script::new([Rd::Data(wire), Rd::Fail(reset)]);
            let mut s = FramedRead::new(ChunkedStream::new(io), LengthDelimitedCodec::new());
            assert_eq!(s.next().await.unwrap().unwrap(), "one");
            let e = io::Error::from(s.next().await.unwrap().unwrap_err());
            assert_eq!(e.kind(), reset);
            for _ in 0..3 {
                assert!(s.next().await.is_none());
            }
            // BytesCodec.
            let (io, _) = Script::new([Rd::Data(b"abc".to_vec()), Rd::Fail(reset)]);
            let mut s = FramedRead::new(ChunkedStream::new(io), BytesCodec);
            assert_eq!(s.next().await.unwrap().unwrap(), "abc");
            assert_eq!(s.next().await.unwrap().unwrap_err().kind(), reset);
            assert!(s.next().await.is_none());
            // The error before any byte.
            let (io, _) = Script::new([Rd::Pending, Rd::Fail(reset)]);
            let mut s = FramedRead::new(ChunkedStream::new(io), LinesCodec::new());
            assert_eq!(io::Error::from(s.next().await.unwrap().unwrap_err()).kind(), reset);
            assert!(s.next().await.is_none());
            assert!(s.next().await.is_none());
        });

        /// The same for `AnyDelimiterCodec`: its partial last chunk must not come out as a
        /// chunk in place of the transport error (framed.rs:9).
        $crate::__docs_framing_case!(($($how)*) read_transport_error_any_delimiter {
            let reset = io::ErrorKind::ConnectionReset;
            let (io, _) = Script::new([Rd::Data(b"a,rest".to_vec()), Rd::Fail(reset)]);
            let codec = AnyDelimiterCodec::new(b",".to_vec(), b",".to_vec());
            let mut s = FramedRead::new(ChunkedStream::new(io), codec);
            assert_eq!(s.next().await.unwrap().unwrap(), "a");
            let mut items = Vec::new();
            while let Some(item) = s.next().await {
                items.push(item.map_err(|e| io::Error::from(e).kind()));
                assert!(items.len() < 5, "the stream ends");
            }
            assert!(
                items.iter().all(|i| i.is_err()) && items.len() == 1,
                "one error, no partial chunk: {items:?}"
            );
            assert_eq!(items[0].as_ref().unwrap_err(), &reset);
        });

        /// CHANGELOG (Fixed): a `FramedRead` whose decoder just returned an error ends at a
        /// transport error that follows at once; the errors come once each.
        $crate::__docs_framing_case!(($($how)*) read_decoder_error_then_transport_error {
            let reset = io::ErrorKind::ConnectionReset;
            let mut rng = Rng(21);
            for drops in [false, true] {
                let (io, _) = Script::new([
                    Rd::Data(b"ok\nabcdef".to_vec()),
                    Rd::Pending,
                    Rd::Data(b"gh".to_vec()),
                    Rd::Fail(reset),
                ]);
                let mut s = FramedRead::new(ChunkedStream::new(io), LinesCodec::new_with_max_length(3));
                let mut got = Vec::new();
                loop {
                    let item = if drops {
                        next_with_drops(&mut s, &mut rng).await
                    } else {
                        s.next().await
                    };
                    match item {
                        None => break,
                        Some(Ok(line)) => got.push(format!("{line:?}")),
                        Some(Err(LinesCodecError::MaxLineLengthExceeded)) => got.push("long".into()),
                        Some(Err(LinesCodecError::Io(e))) => got.push(format!("io {:?}", e.kind())),
                    }
                    assert!(got.len() < 10, "{got:?}");
                }
                assert_eq!(got, ["b\"ok\"", "long", "io ConnectionReset"], "drops {drops}");
            }
        });

        /// mod.rs:71-73 (the default `decode_eof`) through a stream: the end inside a
        /// length-delimited frame is one `UnexpectedEof`, then `None`; a last line and a last
        /// chunk without their endings are frames (lines_codec.rs:17, any_delimiter_codec.rs:14).
        $crate::__docs_framing_case!(($($how)*) read_end_inside_frame {
            let (io, _) = Script::one_byte(&[0, 0, 0, 1, b'a', 0, 0, 0, 5, b'h', b'e']);
            let mut s = FramedRead::new(ChunkedStream::new(io), LengthDelimitedCodec::new());
            assert_eq!(s.next().await.unwrap().unwrap(), "a");
            let e = io::Error::from(s.next().await.unwrap().unwrap_err());
            assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
            assert!(s.next().await.is_none());
            assert!(s.next().await.is_none());

            let (io, _) = Script::one_byte(b"x\nlast");
            let mut s = FramedRead::new(ChunkedStream::new(io), LinesCodec::new());
            assert_eq!(s.next().await.unwrap().unwrap(), "x");
            assert_eq!(s.next().await.unwrap().unwrap(), "last");
            assert!(s.next().await.is_none());

            let (io, _) = Script::one_byte(b"a;b,c");
            let codec = AnyDelimiterCodec::new(b",;".to_vec(), b",".to_vec());
            let mut s = FramedRead::new(ChunkedStream::new(io), codec);
            let mut got = Vec::new();
            while let Some(c) = s.next().await {
                got.push(c.unwrap());
            }
            assert_eq!(got, ["a", "b", "c"]);
        });

        /// lines_codec.rs:97: `LinesCodec::new()` is bounded only by memory, past the stream's
        /// own maximum frame (64 KiB by default).
        $crate::__docs_framing_case!(($($how)*) read_unbounded_line_past_stream_max_frame {
            let mut line = vec![b'L'; 150 * 1024];
            line.extend_from_slice(b"\nshort\n");
            let script: Vec<Rd> = line.chunks(3000).map(|c| Rd::Data(c.to_vec())).chain([Rd::End]).collect();
            let (io, _) = Script::new(script);
            let mut s = FramedRead::new(ChunkedStream::new(io), LinesCodec::new());
            assert_eq!(s.next().await.unwrap().unwrap().len(), 150 * 1024);
            assert_eq!(s.next().await.unwrap().unwrap(), "short");
            assert!(s.next().await.is_none());
        });

        /// framed.rs:161-167: `into_parts`/`into_inner` give the transport with its buffered
        /// bytes: nothing read and not decoded is lost.
        $crate::__docs_framing_case!(($($how)*) read_into_parts_keeps_buffered_bytes {
            let (io, _) = Script::new([Rd::Data(b"a\nb\nc".to_vec()), Rd::End]);
            let mut s = FramedRead::new(ChunkedStream::new(io), LinesCodec::new());
            assert_eq!(s.next().await.unwrap().unwrap(), "a");
            let (mut stream, _codec) = s.into_parts();
            assert_eq!(stream.read_to_end().await.unwrap(), "b\nc");

            let (io, _) = Script::new([Rd::Data(b"1\n2\n".to_vec()), Rd::End]);
            let mut s = FramedRead::new(ChunkedStream::new(io), LinesCodec::new());
            assert_eq!(s.next().await.unwrap().unwrap(), "1");
            assert_eq!(s.decoder().max_length(), usize::MAX);
            let mut stream = s.into_inner();
            assert_eq!(stream.read_line(false).await.unwrap().unwrap(), "2");
            assert!(stream.read_line(false).await.unwrap().is_none());
        });

        // -------------------------------------------------------------------------------------
        // FramedWrite.

        /// framed.rs:263-267: messages encoded and sent with every byte once, to a transport
        /// that takes one byte a write with `Pending` between; appended payloads (4 KiB and
        /// more) too; `buffered()` is 0 after the flush.
        $crate::__docs_framing_case!(($($how)*) write_one_byte_a_write {
            let mut rng = Rng(8);
            let payloads = ldc_payloads(&mut rng, 12);
            let want = encode_all(&mut LengthDelimitedCodec::new(), payloads.clone());
            let (io, written) = Script::new([]);
            let mut sink = FramedWrite::new(ChunkedStream::new(io.slow_writes()), LengthDelimitedCodec::new());
            for p in payloads {
                sink.send(p).await.unwrap();
            }
            assert_eq!(sink.buffered(), 0);
            assert_eq!(written.bytes(), want);
        });

        /// framed.rs:305 `buffered`: bytes encoded and not yet sent; `feed` under the high-water
        /// mark sends nothing, `flush` sends all.
        $crate::__docs_framing_case!(($($how)*) write_buffered_until_flush {
            let (io, written) = Script::new([]);
            let mut sink = FramedWrite::new(ChunkedStream::new(io), LinesCodec::new());
            sink.feed("hello").await.unwrap();
            sink.feed(b"".as_slice()).await.unwrap();
            assert_eq!(sink.buffered(), 7);
            assert!(written.is_empty(), "nothing sent before a flush under the high-water mark");
            SinkExt::<&str>::flush(&mut sink).await.unwrap();
            assert_eq!(sink.buffered(), 0);
            assert_eq!(written.bytes(), b"hello\n\n");
            SinkExt::<&str>::flush(&mut sink).await.unwrap();
            assert_eq!(written.bytes(), b"hello\n\n", "a second flush sends nothing again");
        });

        /// framed.rs:264-265,310 and `DEFAULT_HIGH_WATER`: `poll_ready` flushes first once the
        /// buffer is past the mark; below it, nothing is sent.
        $crate::__docs_framing_case!(($($how)*) write_high_water_mark {
            // A small mark: 6-byte messages against 10.
            let (io, written) = Script::new([]);
            let mut sink = FramedWrite::new(ChunkedStream::new(io), LinesCodec::new());
            sink.set_high_water(10);
            sink.feed("hello").await.unwrap();
            sink.feed("hello").await.unwrap();
            assert_eq!((sink.buffered(), written.len()), (12, 0), "under the mark when fed");
            sink.feed("world").await.unwrap();
            assert_eq!(written.bytes(), b"hello\nhello\n", "past the mark: flushed first");
            assert_eq!(sink.buffered(), 6);

            // One under, at and one over the mark: framed.rs:264 "flushes first once the
            // buffered bytes reach the high-water mark" (set_high_water says "past it").
            for mark in [11usize, 12, 13] {
                let (io, written) = Script::new([]);
                let mut sink = FramedWrite::new(ChunkedStream::new(io), LinesCodec::new());
                sink.set_high_water(mark);
                sink.feed("hello").await.unwrap();
                sink.feed("hello").await.unwrap();
                assert_eq!(written.len(), 0);
                sink.feed("hello").await.unwrap();
                let flushed = if mark <= 12 { 12 } else { 0 };
                assert_eq!(written.len(), flushed, "mark {mark}, 12 bytes buffered");
                assert_eq!(sink.buffered(), 18 - flushed);
            }

            // The default mark.
            assert_eq!(DEFAULT_HIGH_WATER, 128 * 1024);
            let (io, written) = Script::new([]);
            let mut sink = FramedWrite::new(ChunkedStream::new(io), LengthDelimitedCodec::new());
            let msg = Bytes::from(vec![b'm'; 1020]); // 1 KiB a message with its header
            let mut fed = 0usize;
            while written.is_empty() {
                let before = sink.buffered();
                sink.feed(msg.clone()).await.unwrap();
                fed += 1;
                if written.is_empty() {
                    assert!(before <= DEFAULT_HIGH_WATER, "past the mark without a flush: {before}");
                } else {
                    assert!(before >= DEFAULT_HIGH_WATER, "flushed under the mark: {before}");
                    assert_eq!(written.len(), before, "the buffer went out whole");
                }
                assert!(fed < 1000);
            }
            sink.close().await.unwrap();
            assert_eq!(written.len(), fed * 1024);
        });

        /// A `send()` and a `flush()` dropped at `Pending` (the transport takes a byte a write)
        /// lose and repeat nothing: the messages encoded go out once each, in order.
        $crate::__docs_framing_case!(($($how)*) write_send_and_flush_dropped_at_pending {
            let mut rng = Rng(31);
            let payloads = ldc_payloads(&mut rng, 10);
            let want = encode_all(&mut LengthDelimitedCodec::new(), payloads.clone());
            let (io, written) = Script::new([]);
            let mut sink = FramedWrite::new(ChunkedStream::new(io.slow_writes()), LengthDelimitedCodec::new());
            for p in payloads {
                // Under the default high-water mark `poll_ready` is ready at once, so the
                // message is encoded in the first poll; the flush after it is what is dropped.
                match poll_once(sink.send(p)).await {
                    Poll::Ready(r) => r.unwrap(),
                    Poll::Pending => yield_once().await,
                }
                let mut flushes = 0;
                while rng.below(3) != 0 {
                    flushes += 1;
                    match poll_once(sink.flush()).await {
                        Poll::Ready(r) => {
                            r.unwrap();
                            break;
                        }
                        Poll::Pending => yield_once().await,
                    }
                    assert!(flushes < 1_000_000);
                }
            }
            sink.flush().await.unwrap();
            assert_eq!(sink.buffered(), 0);
            assert_eq!(written.bytes(), want);
        });

        /// framed.rs:267 "After `poll_close`, sending is a `BrokenPipe` error"; close sends what
        /// was buffered and shuts the transport down; a second close does not panic.
        $crate::__docs_framing_case!(($($how)*) write_after_close_is_broken_pipe {
            let (io, written) = Script::new([]);
            let mut sink = FramedWrite::new(ChunkedStream::new(io.slow_writes()), LinesCodec::new());
            sink.feed("bye").await.unwrap();
            SinkExt::<&str>::close(&mut sink).await.unwrap();
            assert_eq!(written.bytes(), b"bye\n");
            assert!(written.closed());
            for _ in 0..2 {
                let e = sink.send("more").await.unwrap_err();
                assert_eq!(io::Error::from(e).kind(), io::ErrorKind::BrokenPipe);
            }
            let _ = SinkExt::<&str>::close(&mut sink).await;
            assert_eq!(written.bytes(), b"bye\n", "nothing after the close");
        });

        /// A transport write error comes out of `send` with its kind; the next call does not
        /// panic.
        $crate::__docs_framing_case!(($($how)*) write_transport_error {
            let (io, written) = Script::new([]);
            let io = io.slow_writes().fail_writes_after(5, io::ErrorKind::ConnectionReset);
            let mut sink = FramedWrite::new(ChunkedStream::new(io), LinesCodec::new());
            let e = sink.send("twenty bytes of text").await.unwrap_err();
            assert_eq!(io::Error::from(e).kind(), io::ErrorKind::ConnectionReset);
            assert_eq!(written.bytes(), b"twent");
            let again = sink.send("x").await;
            assert!(again.is_err(), "the transport still fails");
            assert_eq!(written.len(), 5);
        });

        /// mod.rs:113 "nothing of the message is written then" and lines_codec.rs:186 through a
        /// sink: a refused message leaves the buffer as it was; the sink goes on.
        $crate::__docs_framing_case!(($($how)*) write_encoder_error_nothing_written {
            let (io, written) = Script::new([]);
            let mut sink = FramedWrite::new(ChunkedStream::new(io), LinesCodec::new_with_max_length(3));
            sink.feed("abc").await.unwrap();
            assert!(matches!(sink.feed("abcd").await, Err(LinesCodecError::MaxLineLengthExceeded)));
            assert_eq!(sink.buffered(), 4);
            sink.send("ok").await.unwrap();
            assert_eq!(written.bytes(), b"abc\nok\n");

            let (io, written) = Script::new([]);
            let codec = LengthDelimitedCodec::builder().length_field_length(1).new_codec();
            let mut sink = FramedWrite::new(ChunkedStream::new(io), codec);
            let e = sink.send(Bytes::from(vec![0u8; 256])).await.unwrap_err();
            assert!(matches!(e, LengthDelimitedCodecError::PayloadTooLong { length: 256 }), "{e:?}");
            sink.send(Bytes::from(vec![1u8; 255])).await.unwrap();
            assert_eq!(written.len(), 256);
        });

        /// framed.rs:315-316: `into_parts` drops what was encoded and not sent (flush first).
        $crate::__docs_framing_case!(($($how)*) write_into_parts_drops_unsent {
            let (io, written) = Script::new([]);
            let mut sink = FramedWrite::new(ChunkedStream::new(io), LinesCodec::new());
            sink.send("sent").await.unwrap();
            sink.feed("unsent").await.unwrap();
            let (mut stream, _codec) = sink.into_parts();
            assert_eq!(written.bytes(), b"sent\n");
            stream.write_all(b"direct").await.unwrap();
            assert_eq!(written.bytes(), b"sent\ndirect");
        });

        // -------------------------------------------------------------------------------------
        // Framed and split_with.

        /// framed.rs:412-416: `split_with` keeps the read side's buffered bytes and decoder state
        /// (a long line being dropped) and the write side's unsent messages and high-water mark.
        $crate::__docs_framing_case!(($($how)*) split_with_keeps_both_sides_state {
            let (io, written) = Script::new([
                Rd::Data(b"ok\ntoolong-part1".to_vec()),
                Rd::Pending,
                Rd::Data(b"-part2\nnext\n".to_vec()),
                Rd::End,
            ]);
            let mut framed = Framed::new(ChunkedStream::new(io), LinesCodec::new_with_max_length(4));
            assert_eq!(framed.next().await.unwrap().unwrap(), "ok");
            assert!(matches!(framed.next().await, Some(Err(LinesCodecError::MaxLineLengthExceeded))));
            framed.set_high_water(2);
            framed.feed("q1").await.unwrap();
            assert_eq!(framed.write_buffered(), 3);
            assert!(written.is_empty());
            let (mut read, mut write) = framed.split_with(ChunkedStream::split);
            assert_eq!(read.next().await.unwrap().unwrap(), "next", "the long line's tail is dropped");
            assert!(read.next().await.is_none());
            assert_eq!(write.buffered(), 3, "the unsent message went with the write half");
            write.feed("q2").await.unwrap();
            assert_eq!(written.bytes(), b"q1\n", "the high-water mark went with it: flushed first");
            SinkExt::<&str>::flush(&mut write).await.unwrap();
            assert_eq!(written.bytes(), b"q1\nq2\n");
        });

        /// framed.rs:406-408: `Framed::into_parts` keeps the read bytes not decoded.
        $crate::__docs_framing_case!(($($how)*) framed_into_parts {
            let (io, written) = Script::new([Rd::Data(b"1\n2\n3".to_vec()), Rd::End]);
            let mut framed = Framed::new(ChunkedStream::new(io), LinesCodec::new());
            assert_eq!(framed.next().await.unwrap().unwrap(), "1");
            framed.send("out").await.unwrap();
            assert_eq!(framed.codec().max_length(), usize::MAX);
            let (mut stream, _) = framed.into_parts();
            assert_eq!(stream.read_to_end().await.unwrap(), "2\n3");
            assert_eq!(written.bytes(), b"out\n");
        });

        // -------------------------------------------------------------------------------------
        // Loopback TCP.

        /// A peer that writes one byte at a time (`TCP_NODELAY`), lines with both endings and
        /// length-delimited frames; the reader drops `next()` at random `Pending`s.
        $crate::__docs_framing_case!(($($how)*) tcp_peer_one_byte_at_a_time {
            let (client, mut peer) = tcp_pair().await;
            let text: Vec<u8> = (0..60)
                .flat_map(|i| format!("l{i}{}", if i % 2 == 0 { "\r\n" } else { "\n" }).into_bytes())
                .collect();
            let writer = spawn(async move {
                for b in text {
                    peer.write_all(&[b]).await.unwrap();
                }
                peer.shutdown().await.unwrap();
                peer
            });
            let mut rng = Rng(41);
            let mut lines = FramedRead::new(client, LinesCodec::new_with_max_length(8));
            let mut got = Vec::new();
            while let Some(line) = next_with_drops(&mut lines, &mut rng).await {
                got.push(String::from_utf8(line.unwrap().to_vec()).unwrap());
            }
            let _peer = writer.await;
            let want: Vec<String> = (0..60).map(|i| format!("l{i}")).collect();
            assert_eq!(got, want);

            let (client, mut peer) = tcp_pair().await;
            let payloads: Vec<Bytes> = [0usize, 1, 5, 63, 300, 4096, 5000]
                .iter()
                .map(|&n| Bytes::from((0..n).map(|i| i as u8).collect::<Vec<u8>>()))
                .collect();
            let wire = encode_all(&mut LengthDelimitedCodec::new(), payloads.clone());
            let writer = spawn(async move {
                for b in wire {
                    peer.write_all(&[b]).await.unwrap();
                }
                peer.shutdown().await.unwrap();
                peer
            });
            let mut frames = FramedRead::new(client, LengthDelimitedCodec::new());
            let mut got = Vec::new();
            while let Some(f) = next_with_drops(&mut frames, &mut rng).await {
                got.push(f.unwrap());
            }
            let _peer = writer.await;
            assert_eq!(got, payloads);
        });

        /// README "Split a `Framed`" and the adapters' `Framed` docs: an echo over loopback, the
        /// client split with `split_with` into a writer task and a reader; bytes read before the
        /// split stay on the read half.
        $crate::__docs_framing_case!(($($how)*) tcp_framed_echo_split {
            let mut rng = Rng(51);
            let mut payloads = ldc_payloads(&mut rng, 40);
            payloads.push(Bytes::from(vec![7u8; 70_000]));
            let count = payloads.len();
            let (client, server) = tcp_pair().await;
            // The echo stops after `count` frames (no half-close needed: futures-io's
            // `poll_close` does not send a FIN on every transport, README "async-std and smol").
            let echo = spawn(async move {
                let mut server = Framed::new(server, LengthDelimitedCodec::new());
                for _ in 0..count {
                    let frame = server.next().await.unwrap().unwrap();
                    server.send(frame).await.unwrap();
                }
                server
            });
            let mut client = Framed::new(client, LengthDelimitedCodec::new());
            // Two frames sent and echoed before the split; the second one's echo may be buffered.
            client.send(payloads[0].clone()).await.unwrap();
            client.send(payloads[1].clone()).await.unwrap();
            assert_eq!(client.next().await.unwrap().unwrap(), payloads[0]);
            let (mut read, mut write) = client.split_with(ChunkedStream::split);
            let to_send = payloads[2..].to_vec();
            let writer = spawn(async move {
                for p in to_send {
                    write.feed(p).await.unwrap();
                }
                write.flush().await.unwrap();
                assert_eq!(write.buffered(), 0);
                write
            });
            let mut got = vec![payloads[0].clone()];
            while got.len() < count {
                got.push(next_with_drops(&mut read, &mut rng).await.unwrap().unwrap());
            }
            let _write = writer.await;
            drop(echo.await);
            assert_eq!(got, payloads);
            assert!(read.next().await.is_none(), "the server closed: the end");
        });
    };
}
