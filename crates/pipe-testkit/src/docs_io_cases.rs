//! An adapter's `ChunkedStream` as an `AsyncRead`, `AsyncBufRead` and writer, tested from its
//! documentation alone (README: "It implements `AsyncRead`...", forwarding with `copy_buf`,
//! "Writes:"; `pipe_core::adapter::poll_read_from`; `PipeOptions::chunk_size`;
//! `ChunkedStream::write_all` and `write_vectored_all`), written once for every runtime.
//!
//! What the docs promise and these tests check: buffered bytes come first; with nothing
//! buffered, a read into at least a chunk (`chunk_size` rounded up to a pool class, 16 KiB by
//! default) goes straight from the transport into the caller's buffer (no pooled chunk is
//! acquired, nothing is buffered); the end and a transport error are reported to every later
//! read; an idle stream holds no pooled chunk; reads into uninitialised memory (where the
//! runtime has them: tokio's `read_buf`) deliver the same bytes; several slices go out in one
//! vectored write and a single one with a plain write; partial and cancelled writes are
//! resumed, every byte once; `copy_buf` forwards every byte.
//!
//! Each adapter's `tests/docs_io.rs` invokes [`docs_io_tests!`](crate::docs_io_tests) once per
//! runtime; the runtime-free parts (the scripted transport [`Steps`], the recording writer
//! [`Recorder`], both implementing tokio's and futures-io's traits) are here.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pipe_core::{PipeOptions, Pool, PoolConfig};

/// What the test bodies of [`docs_io_tests!`](crate::docs_io_tests) name, imported by each of
/// them.
pub mod prelude {
    pub use std::future::Future;
    pub use std::io::{self, IoSlice};
    pub use std::pin::{Pin, pin};
    pub use std::task::Poll;
    pub use std::time::Duration;

    pub use futures_util::FutureExt;

    pub use super::{
        Call, ReadTurn, Reader, Recorder, Seen, Step, Steps, private, read_turns, readers,
        text_lines,
    };
    pub use crate::cases::assert_balanced;
    pub use crate::contract_cases::{payload, same_bytes};
    pub use crate::faults::Faulty;
}

// ---------------------------------------------------------------------------------------------
// The scripted transport.

/// What the scripted transport does when it is polled.
#[derive(Debug)]
pub enum Step {
    /// Bytes, as many as fit in the reader's buffer (the rest stays for the next poll).
    Data(Vec<u8>),
    /// `Pending`, with a wake-up.
    Pending,
    /// `Pending` without a wake-up: the reader waits (until the test polls again).
    Idle,
    /// `Ok(0)`, once.
    End,
    /// An error of this kind, once.
    Fail(io::ErrorKind),
}

/// What the scripted transport gives once its script has run out: a stream that reads its
/// transport again after the end or an error it reported sees these bytes.
pub const LATE: &[u8] = b"LATE";

/// A read-only transport that plays a script of [`Step`]s, then gives [`LATE`] forever; a
/// tokio and a futures-io reader.
#[derive(Debug)]
pub struct Steps {
    steps: VecDeque<Step>,
}

impl Steps {
    /// A transport that plays `steps`.
    pub fn new(steps: impl IntoIterator<Item = Step>) -> Self {
        Steps {
            steps: steps.into_iter().collect(),
        }
    }

    /// `data` in pieces of the sizes `sizes` cycles through, `Pending` before each, then `last`.
    pub fn pieces(data: &[u8], sizes: &[usize], last: Step) -> Self {
        let mut steps = Vec::new();
        let (mut at, mut i) = (0, 0);
        while at < data.len() {
            let n = sizes[i % sizes.len()].min(data.len() - at);
            steps.push(Step::Pending);
            steps.push(Step::Data(data[at..at + n].to_vec()));
            at += n;
            i += 1;
        }
        steps.push(Step::Pending);
        steps.push(last);
        Steps::new(steps)
    }

    /// The next step's outcome for a read into `out`.
    pub fn poll_read(&mut self, cx: &mut Context<'_>, out: &mut [u8]) -> Poll<io::Result<usize>> {
        if out.is_empty() {
            return Poll::Ready(Ok(0));
        }
        match self.steps.pop_front() {
            None => {
                let n = LATE.len().min(out.len());
                out[..n].copy_from_slice(&LATE[..n]);
                Poll::Ready(Ok(n))
            }
            Some(Step::Pending) => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Some(Step::Idle) => Poll::Pending,
            Some(Step::End) => Poll::Ready(Ok(0)),
            Some(Step::Fail(kind)) => Poll::Ready(Err(io::Error::new(kind, "scripted failure"))),
            Some(Step::Data(mut data)) => {
                let n = data.len().min(out.len());
                out[..n].copy_from_slice(&data[..n]);
                if n < data.len() {
                    data.drain(..n);
                    self.steps.push_front(Step::Data(data));
                }
                Poll::Ready(Ok(n))
            }
        }
    }
}

crate::faults::read_traits!(Steps);

// ---------------------------------------------------------------------------------------------
// The recording writer.

/// One write call as the recording writer saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// `poll_write` of one slice, and the bytes it took.
    Plain(usize),
    /// `poll_write_vectored` of `slices` non-empty slices, and the bytes it took.
    Vectored {
        /// The non-empty slices offered.
        slices: usize,
        /// The bytes taken.
        bytes: usize,
    },
}

/// A writer that takes at most `max` bytes a call (`Pending` with a wake-up every other call
/// with `pending`) and records every call; a tokio and a futures-io writer.
#[derive(Debug, Default)]
pub struct Recorder {
    max: usize,
    pending: bool,
    flip: bool,
    /// Everything written, in order.
    pub written: Vec<u8>,
    /// Every call that wrote, in order.
    pub calls: Vec<Call>,
}

impl Recorder {
    /// A writer that takes at most `max` bytes a call, `Pending` every other call with
    /// `pending`.
    pub fn new(max: usize, pending: bool) -> Self {
        Recorder {
            max,
            pending,
            ..Recorder::default()
        }
    }

    fn take(&mut self, cx: &mut Context<'_>, bufs: &[IoSlice<'_>]) -> Poll<usize> {
        if self.pending {
            self.flip = !self.flip;
            if self.flip {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
        }
        let (mut budget, mut n) = (self.max, 0);
        for b in bufs {
            let k = b.len().min(budget);
            self.written.extend_from_slice(&b[..k]);
            n += k;
            budget -= k;
            if budget == 0 {
                break;
            }
        }
        Poll::Ready(n)
    }

    fn write_plain(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let n = ready!(self.take(cx, &[IoSlice::new(buf)]));
        self.calls.push(Call::Plain(n));
        Poll::Ready(Ok(n))
    }

    fn write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let bytes = ready!(self.take(cx, bufs));
        let slices = bufs.iter().filter(|b| !b.is_empty()).count();
        self.calls.push(Call::Vectored { slices, bytes });
        Poll::Ready(Ok(bytes))
    }
}

/// The methods tokio's and futures-io's `AsyncWrite` have alike; flushing does nothing.
macro_rules! recorder_write_methods {
    () => {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.get_mut().write_plain(cx, buf)
        }

        fn poll_write_vectored(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            self.get_mut().write_vectored(cx, bufs)
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    };
}

impl tokio::io::AsyncWrite for Recorder {
    recorder_write_methods!();

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl futures_io::AsyncWrite for Recorder {
    recorder_write_methods!();

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

// ---------------------------------------------------------------------------------------------
// Data, options, reads.

/// `count` text lines of varying length, each ending in `\n` and a multiple of 4 bytes long
/// (so that `read_exact(4)` never meets the end inside a frame).
pub fn text_lines(count: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..count {
        // "line NNNN " is 10 bytes, the ending 1: 1, 5 or 9 bytes of padding.
        out.extend(format!("line {i:04} {}\n", "x".repeat(1 + 4 * (i % 3))).bytes());
    }
    assert_eq!(out.len() % 4, 0);
    out
}

/// A pool of the test's own, and stream options on it (with `chunk_size` if given).
pub fn private(chunk_size: Option<usize>) -> (Pool, PipeOptions) {
    let pool = Pool::new(PoolConfig::new()).expect("the default pool config");
    let mut options = PipeOptions::new().pool(pool.clone());
    if let Some(size) = chunk_size {
        options = options.chunk_size(size);
    }
    (pool, options)
}

/// The outcome of one read, whatever its kind.
#[derive(Debug, PartialEq, Eq)]
pub enum Seen {
    /// Bytes.
    Bytes(Vec<u8>),
    /// The end.
    End,
    /// An error of this kind.
    Error(io::ErrorKind),
}

/// The reads a stream offers, for the checks of what every read sees after the end or an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    /// `AsyncRead::read` into 16 KiB (at the default threshold: straight from the transport).
    Large,
    /// `AsyncRead::read` into 16 bytes (under it: through the pipe).
    Small,
    /// `read_buf` into 16 KiB of uninitialised memory.
    LargeUninit,
    /// `read_buf` into 16 bytes of uninitialised memory.
    SmallUninit,
    /// The stream's own `read_line` (with its ending).
    Line,
    /// The stream's own `read_exact(4)`.
    Exact,
    /// `AsyncBufRead::fill_buf` (then `consume` of what it gave).
    FillBuf,
}

/// The reads of a runtime that reads into uninitialised memory (`uninit`) or not.
pub fn readers(uninit: bool) -> &'static [Reader] {
    const ALL: [Reader; 7] = [
        Reader::Large,
        Reader::Small,
        Reader::LargeUninit,
        Reader::SmallUninit,
        Reader::Line,
        Reader::Exact,
        Reader::FillBuf,
    ];
    const INITIALISED: [Reader; 5] = [
        Reader::Large,
        Reader::Small,
        Reader::Line,
        Reader::Exact,
        Reader::FillBuf,
    ];
    if uninit { &ALL } else { &INITIALISED }
}

/// One turn of the cancelled reads' test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadTurn {
    /// A read dropped after one poll by `now_or_never`.
    NowOrNever,
    /// A read dropped after one poll by a zero timeout.
    ZeroTimeout,
    /// The stream's own `read_exact(5)`, dropped after one poll (if 5 bytes are left).
    ReadExact,
    /// A read awaited.
    Await,
}

/// The turns of the cancelled reads' test, in order, with or without zero timeouts.
pub fn read_turns(zero_timeout: bool) -> &'static [ReadTurn] {
    use ReadTurn::*;
    if zero_timeout {
        &[NowOrNever, ZeroTimeout, ReadExact, Await]
    } else {
        &[NowOrNever, ReadExact, Await]
    }
}

/// A connected loopback pair: the peer as a blocking std socket, ours non-blocking for the
/// runtime to take over (`TcpStream::try_from`).
pub fn tcp_pair() -> (std::net::TcpStream, std::net::TcpStream) {
    let (peer, ours) = crate::cases::tcp_pair(false);
    peer.set_nonblocking(false).expect("a blocking peer");
    (peer, ours)
}

/// Whether the runtime reads into uninitialised memory: whether `docs_io_tests!` was given an
/// `uninit` runner.
#[doc(hidden)]
#[macro_export]
macro_rules! __docs_io_uninit {
    () => {
        false
    };
    ($runner:tt) => {
        true
    };
}

/// The test functions, one per documented behaviour:
/// `docs_io_tests!(test: runner)`, or `docs_io_tests!(test: runner, uninit: runner)` on a
/// runtime that reads into uninitialised memory (tokio's `read_buf`): then its reads are mixed
/// in everywhere and two tests of their own are added. The runners are as
/// [`cases`](crate::cases) describes them.
///
/// The including module names `ChunkedStream` and `TcpStream` (see [`cases`](crate::cases)),
/// `AsyncRead`, `AsyncBufRead` and `AsyncBufReadExt` (the runtime's traits), `copy_buf` (the
/// runtime's, `copy_buf(&mut reader, &mut writer)`), `timeout` and `yield_now` (see
/// [`cases`](crate::cases)), and:
///
/// - `read_once(&mut stream, size, uninit).await`: one `AsyncRead` read of at most `size`
///   bytes into an initialised slice, or with `uninit` into a fresh `BytesMut`'s spare capacity
///   (called with `uninit` only given an `uninit` runner), as an `io::Result<Vec<u8>>`;
/// - `ZERO_TIMEOUT: bool`: whether futures are also dropped after one poll by a zero
///   `timeout` (else by `now_or_never` alone, and a `yield_now` after it where needed).
#[macro_export]
macro_rules! docs_io_tests {
    (test: $test:tt $(, uninit: $uninit:tt)?) => {
        /// Whether the reads into uninitialised memory are tested.
        const UNINIT: bool = $crate::__docs_io_uninit!($($uninit)?);

        /// A transport read through a trait object (the scripted one or the test kit's faulty
        /// one).
        trait Transport: AsyncRead + Unpin + Send {}
        impl<T: AsyncRead + Unpin + Send> Transport for T {}

        /// The outcome of one read of the kind `r`.
        async fn read_with<S: AsyncRead + Unpin>(
            s: &mut ChunkedStream<S>,
            r: $crate::docs_io_cases::Reader,
        ) -> $crate::docs_io_cases::Seen {
            use $crate::docs_io_cases::prelude::*;
            let bytes = |v: Vec<u8>| {
                if v.is_empty() {
                    Seen::End
                } else {
                    Seen::Bytes(v)
                }
            };
            let result = match r {
                Reader::Large => read_once(s, 16 << 10, false).await.map(bytes),
                Reader::Small => read_once(s, 16, false).await.map(bytes),
                Reader::LargeUninit => read_once(s, 16 << 10, true).await.map(bytes),
                Reader::SmallUninit => read_once(s, 16, true).await.map(bytes),
                Reader::Line => s
                    .read_line(true)
                    .await
                    .map(|l| l.map_or(Seen::End, |l| Seen::Bytes(l.to_vec()))),
                Reader::Exact => s
                    .read_exact(4)
                    .await
                    .map(|l| l.map_or(Seen::End, |l| Seen::Bytes(l.to_vec()))),
                Reader::FillBuf => match AsyncBufReadExt::fill_buf(s).await {
                    Ok(b) => {
                        let v = b.to_vec();
                        AsyncBufRead::consume(Pin::new(&mut *s), v.len());
                        Ok(bytes(v))
                    }
                    Err(e) => Err(e),
                },
            };
            result.unwrap_or_else(|e| Seen::Error(e.kind()))
        }

        /// `future`'s output, or a panic if it takes more than 10 s (a hang becomes a failure).
        async fn within<F: ::std::future::Future>(what: &str, future: F) -> F::Output {
            timeout(::std::time::Duration::from_secs(10), future)
                .await
                .unwrap_or_else(|_| panic!("{what}: no outcome within 10 s"))
        }

        /// One under, at and one over the chunk threshold (16 KiB by default; a `chunk_size`
        /// of 5000 rounded up to the 8 KiB pool class; 5000 itself is under it), into
        /// initialised slices (`read`) or, with `uninit`, into a `BytesMut`'s uninitialised
        /// spare capacity (`read_buf`): every byte comes once, in order, then the end; a read
        /// of at least a chunk with nothing buffered takes no pooled chunk and leaves nothing
        /// buffered, one under it goes through the pipe. The bytes are checked at once; the
        /// chunk counts are gathered and checked at the end, so that a failure lists every
        /// read size that broke them.
        ///
        /// Uninitialised memory is the exception: the README's sentence does not say so, but
        /// the CHANGELOG does ("only initialised memory is read into directly"; bytes are put
        /// into uninitialised memory from the pipe), so for `read_buf` only the bytes are
        /// checked.
        async fn chunk_threshold_reads(uninit: bool) {
            use $crate::docs_io_cases::prelude::*;
            let mut broken = Vec::new();
            for (chunk_size, threshold) in [(None, 16usize << 10), (Some(5000), 8 << 10)] {
                let mut sizes = vec![threshold - 1, threshold, threshold + 1];
                sizes.extend(chunk_size);
                for size in sizes {
                    let what =
                        format!("chunk_size {chunk_size:?}, reads of {size}, uninit {uninit}");
                    let (pool, options) = private(chunk_size);
                    let data = payload(3 * threshold + 100, size as u64);
                    let script = Steps::new([Step::Pending, Step::Data(data.clone()), Step::End]);
                    let mut s = ChunkedStream::with_options(script, options);
                    let first = read_once(&mut s, size, uninit).await.unwrap();
                    assert!(
                        !first.is_empty() && first.len() <= size,
                        "{what}: {}",
                        first.len()
                    );
                    same_bytes(&first, &data[..first.len()], &what);
                    let (acquired, buffered) = (pool.stats().acquired, s.buffered());
                    if uninit {
                        // Through the pipe (see above): nothing about chunks is promised.
                    } else if size >= threshold && (acquired, buffered) != (0, 0) {
                        broken.push(format!(
                            "{what}: first read acquired {acquired} chunks, left {buffered} \
                             bytes buffered"
                        ));
                    }
                    if !uninit && size < threshold && acquired == 0 {
                        broken.push(format!("{what}: first read skipped the pipe"));
                    }
                    let mut got = first;
                    loop {
                        let piece = read_once(&mut s, size, uninit).await.unwrap();
                        if piece.is_empty() {
                            break;
                        }
                        got.extend(piece);
                    }
                    same_bytes(&got, &data, &what);
                    assert_eq!(
                        read_once(&mut s, size, uninit).await.unwrap(),
                        b"",
                        "{what}"
                    );
                    assert_eq!(s.buffered(), 0, "{what}");
                    let acquired = pool.stats().acquired;
                    if !uninit && size >= threshold && acquired != 0 {
                        broken.push(format!("{what}: all the reads acquired {acquired} chunks"));
                    }
                    drop(s);
                    assert_balanced(&pool, &what);
                }
            }
            assert!(broken.is_empty(), "{}", broken.join("\n"));
        }

        /// Bytes already in the pipe (left after a `read_line`) come first, even to a read of
        /// more than a chunk; once they are gone, large reads into initialised memory go
        /// straight to the caller again (into uninitialised memory they go through the pipe:
        /// see `chunk_threshold_reads`).
        async fn buffered_first_reads(uninit: bool) {
            use $crate::docs_io_cases::prelude::*;
            let what = format!("uninit {uninit}");
            let (pool, options) = private(None);
            let big = payload(50_000, 7);
            let mut data = b"HELLO\r\nbuffered tail".to_vec();
            data.extend_from_slice(&big);
            let script = Steps::new([
                Step::Pending,
                Step::Data(data[..20].to_vec()),
                Step::Pending,
                Step::Data(big.clone()),
                Step::Pending,
                Step::End,
            ]);
            let mut s = ChunkedStream::with_options(script, options);
            assert_eq!(s.read_line(true).await.unwrap().unwrap(), "HELLO\r\n");
            assert_eq!(
                s.buffered(),
                13,
                "{what}: the rest of the first piece is buffered"
            );
            let mut got = data[..7].to_vec();
            while s.buffered() > 0 {
                let piece = read_once(&mut s, 32 << 10, uninit).await.unwrap();
                assert!(!piece.is_empty(), "{what}");
                got.extend(piece);
            }
            same_bytes(&got, &data[..got.len()], &what);
            assert!(got.len() >= 20, "{what}: the buffered tail came first");
            let acquired = pool.stats().acquired;
            loop {
                let piece = read_once(&mut s, 32 << 10, uninit).await.unwrap();
                same_bytes(&got, &data[..got.len()], &what);
                if piece.is_empty() {
                    break;
                }
                got.extend(piece);
            }
            same_bytes(&got, &data, &what);
            let after = pool.stats().acquired;
            if !uninit {
                assert_eq!(
                    after, acquired,
                    "{what}: large reads with nothing buffered took chunks"
                );
            }
            drop(s);
            assert_balanced(&pool, &what);
        }

        // -------------------------------------------------------------------------------------
        // Reads.

        $crate::__test_fn! { $test
            /// `chunk_threshold_reads` into initialised slices.
            fn reads_at_the_chunk_threshold() {
                chunk_threshold_reads(false).await;
            }
        }

        $crate::__test_fn! { $test
            /// `buffered_first_reads` into initialised slices.
            fn buffered_bytes_come_first() {
                buffered_first_reads(false).await;
            }
        }

        $(
            $crate::__test_fn! { $uninit
                /// `chunk_threshold_reads` into uninitialised memory.
                fn uninit_reads_at_the_chunk_threshold() {
                    chunk_threshold_reads(true).await;
                }
            }

            $crate::__test_fn! { $uninit
                /// `buffered_first_reads` into uninitialised memory.
                fn buffered_bytes_come_first_uninit() {
                    buffered_first_reads(true).await;
                }
            }
        )?

        $crate::__test_fn! { $test
            /// The end, and a transport error, first met by any kind of read (through the pipe
            /// or straight into the caller's buffer), are reported to every later read of every
            /// kind, twice over; the transport is not read again (it would give other bytes).
            fn end_and_error_are_reported_every_time() {
                use $crate::docs_io_cases::prelude::*;
                for fail in [false, true] {
                    for &first in readers(UNINIT) {
                        let what = format!("fail {fail}, first {first:?}");
                        let (pool, options) = private(None);
                        let data = text_lines(40);
                        let last = if fail {
                            Step::Fail(io::ErrorKind::ConnectionReset)
                        } else {
                            Step::End
                        };
                        let script = Steps::pieces(&data, &[100, 3, 1000], last);
                        let mut s = ChunkedStream::with_options(script, options);
                        let outcome = if fail {
                            Seen::Error(io::ErrorKind::ConnectionReset)
                        } else {
                            Seen::End
                        };
                        let mut got = Vec::new();
                        let seen = loop {
                            match read_with(&mut s, first).await {
                                Seen::Bytes(b) => got.extend(b),
                                other => break other,
                            }
                        };
                        same_bytes(&got, &data, &what);
                        assert_eq!(seen, outcome, "{what}");
                        for round in 0..2 {
                            for &r in readers(UNINIT) {
                                let seen = read_with(&mut s, r).await;
                                assert_eq!(seen, outcome, "{what}: then {r:?}, round {round}");
                            }
                        }
                        drop(s);
                        assert_balanced(&pool, &what);
                    }
                }
            }
        }

        $crate::__test_fn! { $test
            /// Reads dropped after one poll (`now_or_never`, a zero timeout with
            /// `ZERO_TIMEOUT`) between awaited ones, of every size around the threshold and
            /// into both kinds of memory (where the runtime has them), over a scripted
            /// transport and the test kit's faulty one: every byte once, in order.
            fn cancelled_reads_lose_nothing() {
                use $crate::docs_io_cases::prelude::*;
                let turns = read_turns(ZERO_TIMEOUT);
                for transport in 0..3u64 {
                    let what = format!("transport {transport}");
                    let (pool, options) = private(None);
                    let data = payload(120_000, transport + 11);
                    let io: Box<dyn Transport> = if transport == 0 {
                        Box::new(Steps::pieces(
                            &data,
                            &[1, 7, 3000, 20_000, 16 << 10, 100],
                            Step::End,
                        ))
                    } else {
                        Box::new(Faulty::new(data.clone(), None, transport))
                    };
                    let mut s = ChunkedStream::with_options(io, options);
                    let sizes = [10usize, (16 << 10) - 1, 16 << 10, (16 << 10) + 1, 40_000];
                    let mut got = Vec::new();
                    let mut turn = 0usize;
                    loop {
                        turn += 1;
                        let size = sizes[turn % sizes.len()];
                        let uninit = UNINIT && turn.is_multiple_of(2);
                        let outcome = match turns[turn % turns.len()] {
                            ReadTurn::NowOrNever => read_once(&mut s, size, uninit).now_or_never(),
                            ReadTurn::ZeroTimeout => {
                                timeout(Duration::ZERO, read_once(&mut s, size, uninit))
                                    .await
                                    .ok()
                            }
                            ReadTurn::ReadExact if data.len() - got.len() >= 5 => {
                                // The stream's own `read_exact`, dropped after one poll.
                                s.read_exact(5)
                                    .now_or_never()
                                    .map(|r| Ok(r.unwrap().expect("5 bytes").to_vec()))
                            }
                            _ => Some(within(&what, read_once(&mut s, size, uninit)).await),
                        };
                        match outcome {
                            None => yield_now().await,
                            Some(Ok(piece)) if piece.is_empty() => break,
                            Some(Ok(piece)) => got.extend(piece),
                            Some(Err(e)) => panic!("{what}: {e}"),
                        }
                    }
                    same_bytes(&got, &data, &what);
                    assert_eq!(
                        read_once(&mut s, 16 << 10, false).await.unwrap(),
                        b"",
                        "{what}"
                    );
                    drop(s);
                    assert_balanced(&pool, &what);
                }
            }
        }

        $crate::__test_fn! { $test
            /// A read waiting for bytes (of any size, into either kind of memory where the
            /// runtime has both, and the stream's own `read_line`) holds no pooled chunk, on a
            /// scripted transport and on a loopback socket, the first time and after earlier
            /// reads; the bytes that then arrive are delivered.
            fn idle_reads_hold_no_chunk() {
                use $crate::docs_io_cases::prelude::*;
                let reads = [
                    (100usize, false),
                    ((16 << 10) - 1, false),
                    (16 << 10, false),
                    (40_000, false),
                    (100, true),
                    (16 << 10, true),
                ];
                for (size, uninit) in reads.into_iter().filter(|&(_, u)| UNINIT || !u) {
                    let what = format!("scripted, read of {size}, uninit {uninit}");
                    let (pool, options) = private(None);
                    let script = Steps::new([
                        Step::Idle,
                        Step::Data(b"ping\n".to_vec()),
                        Step::Idle,
                        Step::Data(b"pong\n".to_vec()),
                        Step::End,
                    ]);
                    let mut s = ChunkedStream::with_options(script, options);
                    for want in ["ping\n", "pong\n"] {
                        let mut read = pin!(read_once(&mut s, size, uninit));
                        let first =
                            ::std::future::poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await;
                        assert!(first.is_pending(), "{what}");
                        let stats = pool.stats();
                        assert_eq!(
                            stats.outstanding_chunks, 0,
                            "{what}: idle with a chunk, {stats:?}"
                        );
                        let got = read.await.unwrap();
                        assert_eq!(got, want.as_bytes(), "{what}");
                    }
                    drop(s);
                    assert_balanced(&pool, &what);
                }

                let (mut peer, ours) = $crate::docs_io_cases::tcp_pair();
                let ours = TcpStream::try_from(ours).expect("the runtime's socket");
                let (pool, options) = private(None);
                let mut s = ChunkedStream::with_options(ours, options);
                let sizes = [100usize, (16 << 10) - 1, 16 << 10, 40_000, 0, 100];
                for (i, size) in sizes.into_iter().enumerate() {
                    let what = format!("socket, read of {size} (0: read_line)");
                    let msg = format!("message {i}\n");
                    let got = if size == 0 {
                        let mut read = pin!(s.read_line(true));
                        let first =
                            ::std::future::poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await;
                        assert!(first.is_pending(), "{what}");
                        let stats = pool.stats();
                        assert_eq!(
                            stats.outstanding_chunks, 0,
                            "{what}: idle with a chunk, {stats:?}"
                        );
                        ::std::io::Write::write_all(&mut peer, msg.as_bytes()).unwrap();
                        within(&what, read).await.unwrap().unwrap().to_vec()
                    } else {
                        let mut read = pin!(read_once(&mut s, size, false));
                        let first =
                            ::std::future::poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await;
                        assert!(first.is_pending(), "{what}");
                        let stats = pool.stats();
                        assert_eq!(
                            stats.outstanding_chunks, 0,
                            "{what}: idle with a chunk, {stats:?}"
                        );
                        ::std::io::Write::write_all(&mut peer, msg.as_bytes()).unwrap();
                        within(&what, read).await.unwrap()
                    };
                    assert_eq!(String::from_utf8_lossy(&got), msg, "{what}");
                }
                drop(s);
                assert_balanced(&pool, "socket");
            }
        }

        $crate::__test_fn! { $test
            /// A peer on a loopback socket sends lines one byte at a time; reads of every kind
            /// and size (some dropped after one poll) get every byte once, in order; then the
            /// end, every time.
            fn peer_sends_one_byte_at_a_time() {
                use $crate::docs_io_cases::prelude::*;
                let (mut peer, ours) = $crate::docs_io_cases::tcp_pair();
                let ours = TcpStream::try_from(ours).expect("the runtime's socket");
                let data = text_lines(30);
                let sent = data.clone();
                let writer = ::std::thread::spawn(move || {
                    for b in sent {
                        ::std::io::Write::write_all(&mut peer, &[b]).unwrap();
                        ::std::thread::sleep(Duration::from_micros(200));
                    }
                    peer.shutdown(::std::net::Shutdown::Write).unwrap();
                });
                let (pool, options) = private(None);
                let mut s = ChunkedStream::with_options(ours, options);
                let mut got = Vec::new();
                let mut turn = 0usize;
                let all = readers(UNINIT);
                loop {
                    turn += 1;
                    let reader = all[turn % all.len()];
                    let seen = if turn.is_multiple_of(3) {
                        let once = if ZERO_TIMEOUT {
                            timeout(Duration::ZERO, read_with(&mut s, reader)).await.ok()
                        } else {
                            read_with(&mut s, reader).now_or_never()
                        };
                        match once {
                            Some(seen) => seen,
                            None => {
                                if !ZERO_TIMEOUT {
                                    yield_now().await;
                                }
                                continue;
                            }
                        }
                    } else {
                        within("one byte at a time", read_with(&mut s, reader)).await
                    };
                    match seen {
                        Seen::Bytes(b) => got.extend(b),
                        Seen::End => break,
                        Seen::Error(kind) => panic!("{reader:?}: {kind:?}"),
                    }
                }
                writer.join().unwrap();
                same_bytes(&got, &data, "one byte at a time");
                for &r in all {
                    assert_eq!(read_with(&mut s, r).await, Seen::End, "{r:?} after the end");
                }
                drop(s);
                assert_balanced(&pool, "one byte at a time");
            }
        }

        $crate::__test_fn! { $test
            /// A peer that resets the connection: the read that meets it, straight or through
            /// the pipe, fails with `ConnectionReset`, and so does every later read (the socket
            /// itself would say "end" the second time).
            fn socket_reset_is_reported_every_time() {
                use $crate::docs_io_cases::prelude::*;
                for first in [Reader::Large, Reader::Small, Reader::Line] {
                    let what = format!("first {first:?}");
                    let listener = ::std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                    let peer =
                        $crate::cases::connect(listener.local_addr().unwrap(), true);
                    let (ours, _) = listener.accept().unwrap();
                    ours.set_nonblocking(true).unwrap();
                    let ours = TcpStream::try_from(ours).expect("the runtime's socket");
                    let (pool, options) = private(None);
                    let mut s = ChunkedStream::with_options(ours, options);
                    drop(peer);
                    let seen = within(&what, read_with(&mut s, first)).await;
                    assert_eq!(seen, Seen::Error(io::ErrorKind::ConnectionReset), "{what}");
                    for round in 0..2 {
                        for &r in readers(UNINIT) {
                            let seen = within(&what, read_with(&mut s, r)).await;
                            let want = Seen::Error(io::ErrorKind::ConnectionReset);
                            assert_eq!(seen, want, "{what}: then {r:?}, round {round}");
                        }
                    }
                    drop(s);
                    assert_balanced(&pool, &what);
                }
            }
        }

        $crate::__test_fn! { $test
            /// The runtime's `copy_buf` from a stream, after a header read with `read_line`,
            /// forwards every byte (the buffered rest of the first piece first); after a
            /// transport error it fails with that error's kind, having forwarded every byte
            /// before it, and fails the same way again.
            fn copy_buf_forwards_every_byte() {
                use $crate::docs_io_cases::prelude::*;
                for fail in [false, true] {
                    let what = format!("fail {fail}");
                    let (pool, options) = private(None);
                    let mut data = b"CONNECT upstream\r\n".to_vec();
                    data.extend(payload(300_000, 5));
                    let last = if fail {
                        Step::Fail(io::ErrorKind::ConnectionReset)
                    } else {
                        Step::End
                    };
                    let script = Steps::pieces(&data, &[40, 1, 70_000, 9000], last);
                    let mut s = ChunkedStream::with_options(script, options);
                    assert_eq!(
                        s.read_line(true).await.unwrap().unwrap(),
                        "CONNECT upstream\r\n"
                    );
                    let mut sink = Vec::new();
                    let copied = copy_buf(&mut s, &mut sink).await;
                    same_bytes(&sink, &data[18..], &what);
                    if fail {
                        let kind = copied.map_err(|e| e.kind());
                        assert_eq!(kind, Err(io::ErrorKind::ConnectionReset), "{what}");
                        let again = copy_buf(&mut s, &mut sink).await;
                        assert_eq!(again.map_err(|e| e.kind()), kind, "{what}: again");
                        assert_eq!(sink.len(), data.len() - 18, "{what}: bytes after the error");
                    } else {
                        assert_eq!(copied.unwrap(), (data.len() - 18) as u64, "{what}");
                        let again = copy_buf(&mut s, &mut sink).await;
                        assert_eq!(again.unwrap(), 0, "{what}: again");
                    }
                    drop(s);
                    assert_balanced(&pool, &what);
                }

                // Over a loopback socket, a peer sending one byte at a time.
                let (mut peer, ours) = $crate::docs_io_cases::tcp_pair();
                let ours = TcpStream::try_from(ours).expect("the runtime's socket");
                let data = text_lines(20);
                let sent = data.clone();
                let writer = ::std::thread::spawn(move || {
                    for b in sent {
                        ::std::io::Write::write_all(&mut peer, &[b]).unwrap();
                        ::std::thread::sleep(Duration::from_micros(100));
                    }
                });
                let (pool, options) = private(None);
                let mut s = ChunkedStream::with_options(ours, options);
                let mut sink = Vec::new();
                let copied = within("copy_buf", copy_buf(&mut s, &mut sink)).await;
                writer.join().unwrap();
                assert_eq!(copied.unwrap(), data.len() as u64);
                same_bytes(&sink, &data, "copy_buf over a socket");
                drop(s);
                assert_balanced(&pool, "copy_buf over a socket");
            }
        }

        // -------------------------------------------------------------------------------------
        // Writes.

        $crate::__test_fn! { $test
            /// Several slices go out in one vectored write; what is left of the last slice, or
            /// a single slice, with the transport's plain write; partial writes resume where
            /// they stopped.
            fn vectored_and_plain_writes() {
                use $crate::docs_io_cases::prelude::*;
                let (a, b, c) = ([b'a'; 10], [b'b'; 10], [b'c'; 10]);
                let all = [&a[..], &b[..], &c[..]].concat();

                // Everything fits: one vectored write of the three slices.
                let mut s = ChunkedStream::new(Recorder::new(1000, false));
                let mut slices = [IoSlice::new(&a), IoSlice::new(&b), IoSlice::new(&c)];
                let mut bufs = &mut slices[..];
                s.write_vectored_all(&mut bufs).await.unwrap();
                assert!(bufs.is_empty());
                let calls = [Call::Vectored {
                    slices: 3,
                    bytes: 30,
                }];
                assert_eq!(s.get_ref().calls, calls);
                assert_eq!(s.get_ref().written, all);

                // 12 bytes a call: two vectored writes, then the rest of the last slice with a
                // plain one.
                let mut s = ChunkedStream::new(Recorder::new(12, false));
                let mut slices = [IoSlice::new(&a), IoSlice::new(&b), IoSlice::new(&c)];
                let mut bufs = &mut slices[..];
                s.write_vectored_all(&mut bufs).await.unwrap();
                assert!(bufs.is_empty());
                let calls = [
                    Call::Vectored {
                        slices: 3,
                        bytes: 12,
                    },
                    Call::Vectored {
                        slices: 2,
                        bytes: 12,
                    },
                    Call::Plain(6),
                ];
                assert_eq!(s.get_ref().calls, calls);
                assert_eq!(s.get_ref().written, all);

                // A single slice, through `write_vectored_all` and `write_all`: plain writes
                // only.
                let mut s = ChunkedStream::new(Recorder::new(12, false));
                let mut slices = [IoSlice::new(&all)];
                let mut bufs = &mut slices[..];
                s.write_vectored_all(&mut bufs).await.unwrap();
                assert!(bufs.is_empty());
                s.write_all(&all).await.unwrap();
                let plain = [Call::Plain(12), Call::Plain(12), Call::Plain(6)];
                assert_eq!(s.get_ref().calls, [plain, plain].concat());
                assert_eq!(s.get_ref().written, [&all[..], &all[..]].concat());
            }
        }

        $crate::__test_fn! { $test
            /// Over the test kit's faulty writer (short writes, `Pending`, `Interrupted`,
            /// `WouldBlock`), `write_all` and `write_vectored_all` put every byte out once, in
            /// order.
            fn partial_writes_put_every_byte_out_once() {
                use $crate::docs_io_cases::prelude::*;
                for seed in 1..4u64 {
                    let data = payload(100_000, seed);
                    let mut s = ChunkedStream::new(Faulty::new(Vec::new(), None, seed));
                    s.write_all(&data).await.unwrap();
                    assert_eq!(
                        s.get_ref().vectored_writes,
                        0,
                        "seed {seed}: one slice, vectored"
                    );
                    assert!(s.get_ref().plain_writes > 0);
                    let parts: Vec<Vec<u8>> =
                        (0..200).map(|i| payload(i % 97, seed + i as u64)).collect();
                    let mut slices: Vec<IoSlice<'_>> =
                        parts.iter().map(|p| IoSlice::new(p)).collect();
                    let mut bufs = &mut slices[..];
                    s.write_vectored_all(&mut bufs).await.unwrap();
                    assert!(bufs.is_empty());
                    assert!(
                        s.get_ref().vectored_writes > 0,
                        "seed {seed}: no vectored write"
                    );
                    let want = [data, parts.concat()].concat();
                    same_bytes(&s.get_ref().written, &want, &format!("seed {seed}"));
                }
            }
        }

        $crate::__test_fn! { $test
            /// `write_vectored_all` dropped at every `Pending` (`now_or_never`, and every other
            /// time a zero timeout with `ZERO_TIMEOUT`) and called again with the same `bufs`:
            /// every byte goes out once, in order.
            fn cancelled_vectored_writes_resume() {
                use $crate::docs_io_cases::prelude::*;
                for faulty in [false, true] {
                    let what = format!("faulty {faulty}");
                    let parts: Vec<Vec<u8>> =
                        (0..60).map(|i| payload(1 + i % 41, i as u64)).collect();
                    let want = parts.concat();
                    let mut slices: Vec<IoSlice<'_>> =
                        parts.iter().map(|p| IoSlice::new(p)).collect();
                    let mut bufs = &mut slices[..];
                    let written = if faulty {
                        let mut s = ChunkedStream::new(Faulty::new(Vec::new(), None, 5));
                        let mut turn = 0u32;
                        loop {
                            turn += 1;
                            let done = if !ZERO_TIMEOUT || turn.is_multiple_of(2) {
                                s.write_vectored_all(&mut bufs).now_or_never()
                            } else {
                                timeout(Duration::ZERO, s.write_vectored_all(&mut bufs))
                                    .await
                                    .ok()
                            };
                            if let Some(r) = done {
                                r.unwrap();
                                break;
                            }
                        }
                        s.into_inner().0.written
                    } else {
                        let mut s = ChunkedStream::new(Recorder::new(7, true));
                        let mut cancelled = 0;
                        loop {
                            match s.write_vectored_all(&mut bufs).now_or_never() {
                                Some(r) => break r.unwrap(),
                                None => cancelled += 1,
                            }
                        }
                        assert!(cancelled > 10, "{what}: the writes were not cancelled");
                        s.into_inner().0.written
                    };
                    assert!(bufs.is_empty(), "{what}");
                    same_bytes(&written, &want, &what);
                }
            }
        }
    };
}
