//! pipe-tokio's `ChunkedStream` as an `AsyncRead`, `AsyncBufRead` and writer, tested from its
//! documentation alone (README: "It implements `AsyncRead`...", forwarding with `copy_buf`,
//! "Writes:"; `pipe_core::adapter::poll_read_from`; `PipeOptions::chunk_size`;
//! `ChunkedStream::write_all` and `write_vectored_all`), on tokio's current-thread and
//! multi-thread runtimes.
//!
//! What the docs promise and these tests check: buffered bytes come first; with nothing
//! buffered, a read into at least a chunk (`chunk_size` rounded up to a pool class, 16 KiB by
//! default) goes straight from the transport into the caller's buffer (no pooled chunk is
//! acquired, nothing is buffered); the end and a transport error are reported to every later
//! read; an idle stream holds no pooled chunk; reads into uninitialised memory deliver the same
//! bytes; several slices go out in one vectored write and a single one with a plain write;
//! partial and cancelled writes are resumed, every byte once; `copy_buf` forwards every byte.

use std::collections::VecDeque;
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use futures_util::FutureExt;
use pipe_testkit::cases::assert_balanced;
use pipe_testkit::faults::Faulty;
use pipe_tokio::{ChunkedStream, PipeOptions, Pool, PoolConfig};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};

// ---------------------------------------------------------------------------------------------
// Test transports and helpers.

/// What the scripted transport does when it is polled.
#[derive(Debug)]
enum Step {
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
const LATE: &[u8] = b"LATE";

/// A read-only transport that plays a script of [`Step`]s, then gives [`LATE`] forever.
#[derive(Debug)]
struct Steps {
    steps: VecDeque<Step>,
}

impl Steps {
    fn new(steps: impl IntoIterator<Item = Step>) -> Self {
        Steps {
            steps: steps.into_iter().collect(),
        }
    }

    /// `data` in pieces of the sizes `sizes` cycles through, `Pending` before each, then `last`.
    fn pieces(data: &[u8], sizes: &[usize], last: Step) -> Self {
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

    fn poll(&mut self, cx: &mut Context<'_>, out: &mut [u8]) -> Poll<io::Result<usize>> {
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

impl AsyncRead for Steps {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = std::task::ready!(self.get_mut().poll(cx, buf.initialize_unfilled()))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

/// A transport read through a trait object (the scripted one or the test kit's faulty one).
trait Transport: AsyncRead + Unpin + Send {}
impl<T: AsyncRead + Unpin + Send> Transport for T {}

/// One write call as the recording writer saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Call {
    /// `poll_write` of one slice, and the bytes it took.
    Plain(usize),
    /// `poll_write_vectored` of `slices` non-empty slices, and the bytes it took.
    Vectored { slices: usize, bytes: usize },
}

/// A writer that takes at most `max` bytes a call (`Pending` with a wake-up every other call
/// with `pending`) and records every call.
#[derive(Debug, Default)]
struct Recorder {
    max: usize,
    pending: bool,
    flip: bool,
    written: Vec<u8>,
    calls: Vec<Call>,
}

impl Recorder {
    fn new(max: usize, pending: bool) -> Self {
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
}

impl AsyncWrite for Recorder {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let n = std::task::ready!(this.take(cx, &[IoSlice::new(buf)]));
        this.calls.push(Call::Plain(n));
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let bytes = std::task::ready!(this.take(cx, bufs));
        let slices = bufs.iter().filter(|b| !b.is_empty()).count();
        this.calls.push(Call::Vectored { slices, bytes });
        Poll::Ready(Ok(bytes))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// `len` pseudo-random bytes from `seed`.
fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// `count` text lines of varying length, each ending in `\n` and a multiple of 4 bytes long
/// (so that `read_exact(4)` never meets the end inside a frame).
fn text_lines(count: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..count {
        // "line NNNN " is 10 bytes, the ending 1: 1, 5 or 9 bytes of padding.
        out.extend(format!("line {i:04} {}\n", "x".repeat(1 + 4 * (i % 3))).bytes());
    }
    assert_eq!(out.len() % 4, 0);
    out
}

/// Panics, naming `what` and the first differing position, unless `got == want`.
fn assert_same(got: &[u8], want: &[u8], what: &str) {
    if got != want {
        let at = got.iter().zip(want).position(|(a, b)| a != b);
        panic!(
            "{what}: got {} bytes, want {}; first difference at {at:?}",
            got.len(),
            want.len()
        );
    }
}

/// A pool of the test's own, and stream options on it (with `chunk_size` if given).
fn private(chunk_size: Option<usize>) -> (Pool, PipeOptions) {
    let pool = Pool::new(PoolConfig::new()).expect("the default pool config");
    let mut options = PipeOptions::new().pool(pool.clone());
    if let Some(size) = chunk_size {
        options = options.chunk_size(size);
    }
    (pool, options)
}

/// One `AsyncRead` read of at most `size` bytes: into an initialised slice (`read`) or, with
/// `uninit`, into a fresh `BytesMut`'s spare (uninitialised) capacity (`read_buf`).
async fn read_once<S: AsyncRead + Unpin>(
    s: &mut ChunkedStream<S>,
    size: usize,
    uninit: bool,
) -> io::Result<Vec<u8>> {
    if uninit {
        let mut buf = BytesMut::with_capacity(size);
        assert_eq!(buf.capacity(), size, "the test's precondition");
        AsyncReadExt::read_buf(s, &mut buf).await?;
        Ok(buf.to_vec())
    } else {
        let mut buf = vec![0u8; size];
        let n = AsyncReadExt::read(s, &mut buf).await?;
        buf.truncate(n);
        Ok(buf)
    }
}

/// The outcome of one read, whatever its kind.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Bytes(Vec<u8>),
    End,
    Error(io::ErrorKind),
}

/// The reads a stream offers, for the checks of what every read sees after the end or an error.
#[derive(Clone, Copy, Debug)]
enum Reader {
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

const READERS: [Reader; 7] = [
    Reader::Large,
    Reader::Small,
    Reader::LargeUninit,
    Reader::SmallUninit,
    Reader::Line,
    Reader::Exact,
    Reader::FillBuf,
];

async fn read_with<S: AsyncRead + Unpin>(s: &mut ChunkedStream<S>, r: Reader) -> Seen {
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
                AsyncBufReadExt::consume(s, v.len());
                Ok(bytes(v))
            }
            Err(e) => Err(e),
        },
    };
    result.unwrap_or_else(|e| Seen::Error(e.kind()))
}

/// `future`'s output, or a panic if it takes more than 10 s (a hang becomes a failure).
async fn within<F: Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .unwrap_or_else(|_| panic!("{what}: no outcome within 10 s"))
}

/// A connected loopback pair: the peer as a blocking std socket, ours on tokio.
fn tcp_pair() -> (std::net::TcpStream, tokio::net::TcpStream) {
    let (peer, ours) = pipe_testkit::cases::tcp_pair(false);
    peer.set_nonblocking(false).expect("a blocking peer");
    (
        peer,
        tokio::net::TcpStream::from_std(ours).expect("a tokio socket"),
    )
}

// ---------------------------------------------------------------------------------------------
// Reads.

/// One under, at and one over the chunk threshold (16 KiB by default; a `chunk_size` of 5000
/// rounded up to the 8 KiB pool class; 5000 itself is under it), into initialised slices
/// (`read`) or, with `uninit`, into a `BytesMut`'s uninitialised spare capacity (`read_buf`):
/// every byte comes once, in order, then the end; a read of at least a chunk with nothing
/// buffered takes no pooled chunk and leaves nothing buffered, one under it goes through the
/// pipe. The bytes are checked at once; the chunk counts are gathered and checked at the end,
/// so that a failure lists every read size that broke them.
///
/// Uninitialised memory is the exception: the README's sentence does not say so, but the
/// CHANGELOG does ("only initialised memory is read into directly"; bytes are put into
/// uninitialised memory from the pipe), so for `read_buf` only the bytes are checked.
async fn reads_at_the_chunk_threshold(uninit: bool) {
    let mut broken = Vec::new();
    for (chunk_size, threshold) in [(None, 16usize << 10), (Some(5000), 8 << 10)] {
        let mut sizes = vec![threshold - 1, threshold, threshold + 1];
        sizes.extend(chunk_size);
        for size in sizes {
            let what = format!("chunk_size {chunk_size:?}, reads of {size}, uninit {uninit}");
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
            assert_same(&first, &data[..first.len()], &what);
            let (acquired, buffered) = (pool.stats().acquired, s.buffered());
            if uninit {
                // Through the pipe (see above): nothing about chunks is promised.
            } else if size >= threshold && (acquired, buffered) != (0, 0) {
                broken.push(format!(
                    "{what}: first read acquired {acquired} chunks, left {buffered} bytes buffered"
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
            assert_same(&got, &data, &what);
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

async fn slice_reads_at_the_chunk_threshold() {
    reads_at_the_chunk_threshold(false).await;
}

async fn uninit_reads_at_the_chunk_threshold() {
    reads_at_the_chunk_threshold(true).await;
}

/// Bytes already in the pipe (left after a `read_line`) come first, even to a read of more
/// than a chunk; once they are gone, large reads into initialised memory go straight to the
/// caller again (into uninitialised memory they go through the pipe: see
/// [`reads_at_the_chunk_threshold`]).
async fn buffered_bytes_come_first(uninit: bool) {
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
    assert_same(&got, &data[..got.len()], &what);
    assert!(got.len() >= 20, "{what}: the buffered tail came first");
    let acquired = pool.stats().acquired;
    loop {
        let piece = read_once(&mut s, 32 << 10, uninit).await.unwrap();
        assert_same(&got, &data[..got.len()], &what);
        if piece.is_empty() {
            break;
        }
        got.extend(piece);
    }
    assert_same(&got, &data, &what);
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

async fn buffered_bytes_come_first_slices() {
    buffered_bytes_come_first(false).await;
}

async fn buffered_bytes_come_first_uninit() {
    buffered_bytes_come_first(true).await;
}

/// The end, and a transport error, first met by any kind of read (through the pipe or straight
/// into the caller's buffer), are reported to every later read of every kind, twice over; the
/// transport is not read again (it would give other bytes).
async fn end_and_error_are_reported_every_time() {
    for fail in [false, true] {
        for first in READERS {
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
            assert_same(&got, &data, &what);
            assert_eq!(seen, outcome, "{what}");
            for round in 0..2 {
                for r in READERS {
                    let seen = read_with(&mut s, r).await;
                    assert_eq!(seen, outcome, "{what}: then {r:?}, round {round}");
                }
            }
            drop(s);
            assert_balanced(&pool, &what);
        }
    }
}

/// Reads dropped after one poll (`now_or_never`, a zero timeout) between awaited ones, of every
/// size around the threshold and into both kinds of memory, over a scripted transport and the
/// test kit's faulty one: every byte once, in order.
async fn cancelled_reads_lose_nothing() {
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
            let uninit = turn.is_multiple_of(2);
            let outcome = match turn % 4 {
                0 => read_once(&mut s, size, uninit).now_or_never(),
                1 => tokio::time::timeout(Duration::ZERO, read_once(&mut s, size, uninit))
                    .await
                    .ok(),
                2 if data.len() - got.len() >= 5 => {
                    // The stream's own `read_exact`, dropped after one poll.
                    s.read_exact(5)
                        .now_or_never()
                        .map(|r| Ok(r.unwrap().expect("5 bytes").to_vec()))
                }
                _ => Some(within(&what, read_once(&mut s, size, uninit)).await),
            };
            match outcome {
                None => tokio::task::yield_now().await,
                Some(Ok(piece)) if piece.is_empty() => break,
                Some(Ok(piece)) => got.extend(piece),
                Some(Err(e)) => panic!("{what}: {e}"),
            }
        }
        assert_same(&got, &data, &what);
        assert_eq!(
            read_once(&mut s, 16 << 10, false).await.unwrap(),
            b"",
            "{what}"
        );
        drop(s);
        assert_balanced(&pool, &what);
    }
}

/// A read waiting for bytes (of any size, into either kind of memory, and the stream's own
/// `read_line`) holds no pooled chunk, on a scripted transport and on a loopback socket, the
/// first time and after earlier reads; the bytes that then arrive are delivered.
async fn idle_reads_hold_no_chunk() {
    let reads = [
        (100usize, false),
        ((16 << 10) - 1, false),
        (16 << 10, false),
        (40_000, false),
        (100, true),
        (16 << 10, true),
    ];
    for (size, uninit) in reads {
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
            let got = if uninit {
                let mut buf = BytesMut::with_capacity(size);
                let mut read = pin!(AsyncReadExt::read_buf(&mut s, &mut buf));
                let first = std::future::poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await;
                assert!(first.is_pending(), "{what}");
                let stats = pool.stats();
                assert_eq!(
                    stats.outstanding_chunks, 0,
                    "{what}: idle with a chunk, {stats:?}"
                );
                assert_eq!(read.await.unwrap(), 5, "{what}");
                buf.to_vec()
            } else {
                let mut buf = vec![0u8; size];
                let mut read = pin!(AsyncReadExt::read(&mut s, &mut buf));
                let first = std::future::poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await;
                assert!(first.is_pending(), "{what}");
                let stats = pool.stats();
                assert_eq!(
                    stats.outstanding_chunks, 0,
                    "{what}: idle with a chunk, {stats:?}"
                );
                let n = read.await.unwrap();
                buf.truncate(n);
                buf
            };
            assert_eq!(got, want.as_bytes(), "{what}");
        }
        drop(s);
        assert_balanced(&pool, &what);
    }

    let (mut peer, ours) = tcp_pair();
    let (pool, options) = private(None);
    let mut s = ChunkedStream::with_options(ours, options);
    let sizes = [100usize, (16 << 10) - 1, 16 << 10, 40_000, 0, 100];
    for (i, size) in sizes.into_iter().enumerate() {
        let what = format!("socket, read of {size} (0: read_line)");
        let msg = format!("message {i}\n");
        let got = if size == 0 {
            let mut read = pin!(s.read_line(true));
            let first = std::future::poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await;
            assert!(first.is_pending(), "{what}");
            let stats = pool.stats();
            assert_eq!(
                stats.outstanding_chunks, 0,
                "{what}: idle with a chunk, {stats:?}"
            );
            std::io::Write::write_all(&mut peer, msg.as_bytes()).unwrap();
            within(&what, read).await.unwrap().unwrap().to_vec()
        } else {
            let mut buf = vec![0u8; size];
            let mut read = pin!(AsyncReadExt::read(&mut s, &mut buf));
            let first = std::future::poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await;
            assert!(first.is_pending(), "{what}");
            let stats = pool.stats();
            assert_eq!(
                stats.outstanding_chunks, 0,
                "{what}: idle with a chunk, {stats:?}"
            );
            std::io::Write::write_all(&mut peer, msg.as_bytes()).unwrap();
            let n = within(&what, read).await.unwrap();
            buf.truncate(n);
            buf
        };
        assert_eq!(String::from_utf8_lossy(&got), msg, "{what}");
    }
    drop(s);
    assert_balanced(&pool, "socket");
}

/// A peer on a loopback socket sends lines one byte at a time; reads of every kind and size
/// (some dropped after one poll) get every byte once, in order; then the end, every time.
async fn peer_sends_one_byte_at_a_time() {
    let (mut peer, ours) = tcp_pair();
    let data = text_lines(30);
    let sent = data.clone();
    let writer = std::thread::spawn(move || {
        for b in sent {
            std::io::Write::write_all(&mut peer, &[b]).unwrap();
            std::thread::sleep(Duration::from_micros(200));
        }
        peer.shutdown(std::net::Shutdown::Write).unwrap();
    });
    let (pool, options) = private(None);
    let mut s = ChunkedStream::with_options(ours, options);
    let mut got = Vec::new();
    let mut turn = 0usize;
    loop {
        turn += 1;
        let reader = READERS[turn % READERS.len()];
        let seen = if turn.is_multiple_of(3) {
            match tokio::time::timeout(Duration::ZERO, read_with(&mut s, reader)).await {
                Ok(seen) => seen,
                Err(_) => continue,
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
    assert_same(&got, &data, "one byte at a time");
    for r in READERS {
        assert_eq!(read_with(&mut s, r).await, Seen::End, "{r:?} after the end");
    }
    drop(s);
    assert_balanced(&pool, "one byte at a time");
}

/// A peer that resets the connection: the read that meets it, straight or through the pipe,
/// fails with `ConnectionReset`, and so does every later read (the socket itself would say
/// "end" the second time).
async fn socket_reset_is_reported_every_time() {
    for first in [Reader::Large, Reader::Small, Reader::Line] {
        let what = format!("first {first:?}");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let peer = pipe_testkit::cases::connect(listener.local_addr().unwrap(), true);
        let (ours, _) = listener.accept().unwrap();
        ours.set_nonblocking(true).unwrap();
        let ours = tokio::net::TcpStream::from_std(ours).unwrap();
        let (pool, options) = private(None);
        let mut s = ChunkedStream::with_options(ours, options);
        drop(peer);
        let seen = within(&what, read_with(&mut s, first)).await;
        assert_eq!(seen, Seen::Error(io::ErrorKind::ConnectionReset), "{what}");
        for round in 0..2 {
            for r in READERS {
                let seen = within(&what, read_with(&mut s, r)).await;
                let want = Seen::Error(io::ErrorKind::ConnectionReset);
                assert_eq!(seen, want, "{what}: then {r:?}, round {round}");
            }
        }
        drop(s);
        assert_balanced(&pool, &what);
    }
}

/// `tokio::io::copy_buf` from a stream, after a header read with `read_line`, forwards every
/// byte (the buffered rest of the first piece first); after a transport error it fails with
/// that error's kind, having forwarded every byte before it, and fails the same way again.
async fn copy_buf_forwards_every_byte() {
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
        let copied = tokio::io::copy_buf(&mut s, &mut sink).await;
        assert_same(&sink, &data[18..], &what);
        if fail {
            let kind = copied.map_err(|e| e.kind());
            assert_eq!(kind, Err(io::ErrorKind::ConnectionReset), "{what}");
            let again = tokio::io::copy_buf(&mut s, &mut sink).await;
            assert_eq!(again.map_err(|e| e.kind()), kind, "{what}: again");
            assert_eq!(sink.len(), data.len() - 18, "{what}: bytes after the error");
        } else {
            assert_eq!(copied.unwrap(), (data.len() - 18) as u64, "{what}");
            assert_eq!(tokio::io::copy_buf(&mut s, &mut sink).await.unwrap(), 0);
        }
        drop(s);
        assert_balanced(&pool, &what);
    }

    // Over a loopback socket, a peer sending one byte at a time.
    let (mut peer, ours) = tcp_pair();
    let data = text_lines(20);
    let sent = data.clone();
    let writer = std::thread::spawn(move || {
        for b in sent {
            std::io::Write::write_all(&mut peer, &[b]).unwrap();
            std::thread::sleep(Duration::from_micros(100));
        }
    });
    let (pool, options) = private(None);
    let mut s = ChunkedStream::with_options(ours, options);
    let mut sink = Vec::new();
    let copied = within("copy_buf", tokio::io::copy_buf(&mut s, &mut sink)).await;
    writer.join().unwrap();
    assert_eq!(copied.unwrap(), data.len() as u64);
    assert_same(&sink, &data, "copy_buf over a socket");
    drop(s);
    assert_balanced(&pool, "copy_buf over a socket");
}

// ---------------------------------------------------------------------------------------------
// Writes.

/// Several slices go out in one vectored write; what is left of the last slice, or a single
/// slice, with the transport's plain write; partial writes resume where they stopped.
async fn vectored_and_plain_writes() {
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

    // 12 bytes a call: two vectored writes, then the rest of the last slice with a plain one.
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

    // A single slice, through `write_vectored_all` and `write_all`: plain writes only.
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

/// Over the test kit's faulty writer (short writes, `Pending`, `Interrupted`, `WouldBlock`),
/// `write_all` and `write_vectored_all` put every byte out once, in order.
async fn partial_writes_put_every_byte_out_once() {
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
        let parts: Vec<Vec<u8>> = (0..200).map(|i| payload(i % 97, seed + i as u64)).collect();
        let mut slices: Vec<IoSlice<'_>> = parts.iter().map(|p| IoSlice::new(p)).collect();
        let mut bufs = &mut slices[..];
        s.write_vectored_all(&mut bufs).await.unwrap();
        assert!(bufs.is_empty());
        assert!(
            s.get_ref().vectored_writes > 0,
            "seed {seed}: no vectored write"
        );
        let want = [data, parts.concat()].concat();
        assert_same(&s.get_ref().written, &want, &format!("seed {seed}"));
    }
}

/// `write_vectored_all` dropped at every `Pending` (`now_or_never`, a zero timeout) and called
/// again with the same `bufs`: every byte goes out once, in order.
async fn cancelled_vectored_writes_resume() {
    for faulty in [false, true] {
        let what = format!("faulty {faulty}");
        let parts: Vec<Vec<u8>> = (0..60).map(|i| payload(1 + i % 41, i as u64)).collect();
        let want = parts.concat();
        let mut slices: Vec<IoSlice<'_>> = parts.iter().map(|p| IoSlice::new(p)).collect();
        let mut bufs = &mut slices[..];
        let written = if faulty {
            let mut s = ChunkedStream::new(Faulty::new(Vec::new(), None, 5));
            let mut turn = 0u32;
            loop {
                turn += 1;
                let done = if turn.is_multiple_of(2) {
                    s.write_vectored_all(&mut bufs).now_or_never()
                } else {
                    tokio::time::timeout(Duration::ZERO, s.write_vectored_all(&mut bufs))
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
        assert_same(&written, &want, &what);
    }
}

// ---------------------------------------------------------------------------------------------
// Every test on both of tokio's runtimes.

macro_rules! on_both_runtimes {
    ($($name:ident),* $(,)?) => {
        mod current_thread {
            $(
                #[tokio::test(flavor = "current_thread")]
                async fn $name() {
                    super::$name().await
                }
            )*
        }

        mod multi_thread {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name().await
                }
            )*
        }
    };
}

on_both_runtimes!(
    slice_reads_at_the_chunk_threshold,
    uninit_reads_at_the_chunk_threshold,
    buffered_bytes_come_first_slices,
    buffered_bytes_come_first_uninit,
    end_and_error_are_reported_every_time,
    cancelled_reads_lose_nothing,
    idle_reads_hold_no_chunk,
    peer_sends_one_byte_at_a_time,
    socket_reset_is_reported_every_time,
    copy_buf_forwards_every_byte,
    vectored_and_plain_writes,
    partial_writes_put_every_byte_out_once,
    cancelled_vectored_writes_resume,
);
