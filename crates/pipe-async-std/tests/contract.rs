//! The documented contracts of pipe-async-std, through the public API only, each on async-std
//! and on smol: vectored writes resumed after cancellation, the `lines()` stream's errors and
//! limits, `fill_more` past the frame limit, the in-process pipe's `fill_more`, parser pattern
//! and backpressure, and `shutdown` on smol's sockets. Every test uses its own pool and checks
//! that all its chunks come back.

use std::future::Future;
use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_io::{AsyncRead, AsyncWrite};
use futures_util::StreamExt;
use futures_util::future::{Either, select};
use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use pipe_async_std::{AsyncPipeOptions, ChunkedStream, PipeOptions, Pool, PoolConfig};
use pipe_async_std::{PipeReader, PipeWriter, ReadError, read_error_of};
use pipe_testkit::faults;

#[derive(Clone, Copy, Debug)]
enum Rt {
    AsyncStd,
    Smol,
}

/// Each behaviour runs on both.
const RUNTIMES: [Rt; 2] = [Rt::AsyncStd, Rt::Smol];

type Task<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl Rt {
    fn block_on<T>(self, f: impl Future<Output = T>) -> T {
        match self {
            Rt::AsyncStd => async_std::task::block_on(f),
            Rt::Smol => smol::block_on(f),
        }
    }

    fn spawn<T: Send + 'static>(self, f: impl Future<Output = T> + Send + 'static) -> Task<T> {
        match self {
            Rt::AsyncStd => Box::pin(async_std::task::spawn(f)),
            Rt::Smol => Box::pin(smol::spawn(f)),
        }
    }

    /// `f`'s output, or `None` if `d` passed first (`f` is polled first).
    async fn timeout<T>(self, d: Duration, f: impl Future<Output = T>) -> Option<T> {
        match self {
            Rt::AsyncStd => async_std::future::timeout(d, f).await.ok(),
            Rt::Smol => match select(pin!(f), pin!(smol::Timer::after(d))).await {
                Either::Left((out, _)) => Some(out),
                Either::Right(_) => None,
            },
        }
    }

    async fn sleep(self, d: Duration) {
        self.timeout(d, std::future::pending::<()>()).await;
    }

    /// Turns a hang into a failure.
    async fn within<T>(self, what: &str, f: impl Future<Output = T>) -> T {
        let out = self.timeout(Duration::from_secs(30), f).await;
        out.unwrap_or_else(|| panic!("{what} on {self:?}: no outcome within 30 s (hang)"))
    }
}

fn opts(pool: &Pool, max_frame: usize) -> PipeOptions {
    PipeOptions::new().pool(pool.clone()).max_frame(max_frame)
}

/// An in-process pipe: pause 64 KiB, resume 32 KiB, the given maximum frame.
fn inproc(pool: &Pool, max_frame: usize) -> (PipeWriter, PipeReader) {
    let pipe = opts(pool, max_frame);
    let o = AsyncPipeOptions::new()
        .pipe(pipe)
        .pause(64 << 10)
        .resume(32 << 10);
    pipe_async_std::pipe_with(o).unwrap()
}

fn assert_balanced(pool: &Pool, what: &str) {
    let stats = pool.stats();
    assert!(stats.outstanding_chunks == 0, "{what}: {stats:?}");
}

/// A loopback TCP pair of the runtime's own sockets (`TCP_NODELAY` on), bound to `$peer` and
/// `$ours` (wrapped with `$opts`) for `$body`, which is compiled for each socket type.
macro_rules! on_tcp {
    ($rt:expr, $opts:expr, |$peer:ident, $ours:ident| $body:expr) => {
        match $rt {
            Rt::AsyncStd => on_tcp!(async_std::net, $opts, $peer, $ours, $body),
            Rt::Smol => on_tcp!(smol::net, $opts, $peer, $ours, $body),
        }
    };
    ($net:ident::net, $opts:expr, $peer:ident, $ours:ident, $body:expr) => {{
        let listener = $net::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (a, b) = futures_util::join!(listener.accept(), $net::net::TcpStream::connect(addr));
        let ($peer, ours) = (a.unwrap().0, b.unwrap());
        $peer.set_nodelay(true).and(ours.set_nodelay(true)).unwrap();
        let $ours = ChunkedStream::with_options(ours, $opts);
        $body
    }};
}

/// `$f` on `$rt`, bounded by the timeout (30 s) that turns a hang into a failure.
macro_rules! t {
    ($rt:expr, $f:expr) => {
        $rt.within(stringify!($f), $f).await
    };
}

/// Defines, for each `async fn NAME(rt: Rt)` named, a `#[test]` running it on async-std, then
/// on smol.
macro_rules! on_both_runtimes {
    ($($name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            for rt in super::RUNTIMES {
                rt.block_on(super::$name(rt));
            }
        }
    )*};
}

mod on_both {
    on_both_runtimes!(
        write_vectored_all_resumes_after_cancellation,
        lines_errors_never_repeat_and_limits_drop_one_line,
        fill_more_reads_a_chunk_per_call_past_the_frame_limit,
        inproc_fill_more_reports_arrivals_then_the_end,
        inproc_parser_pattern_reads_every_line,
        inproc_backpressure_bounds_a_reader_that_never_consumes,
        shutdown_half_closes_smol_and_async_std_tcp_streams,
    );
}

/// xorshift64: pseudo-random, reproducible.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// `len` pseudo-random bytes, none of them `\n`.
fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed | 1);
    let byte = |b: u8| if b == b'\n' { b'.' } else { b };
    (0..len).map(|_| byte(rng.below(256) as u8)).collect()
}

fn same_bytes(got: &[u8], want: &[u8], what: &str) {
    let diff = got.iter().zip(want).position(|(a, b)| a != b);
    let (g, w) = (got.len(), want.len());
    assert!(g == w && diff.is_none(), "{what}: {g}/{w} bytes, {diff:?}");
}

/// Checks that `bufs` is exactly the unsent suffix of `data` (the slices were cut from it).
fn check_rest(bufs: &[IoSlice<'_>], data: &[u8]) -> usize {
    let left: usize = bufs.iter().map(|b| b.len()).sum();
    let mut at = data.as_ptr() as usize + data.len() - left;
    for b in bufs {
        assert!(!b.is_empty() && b.as_ptr() as usize == at, "not the rest");
        at += b.len();
    }
    left
}

/// Writes `data` in 256 KiB `IoSlice`s with `$w.write_vectored_all`, racing each attempt
/// against a timer of 0 to 300 µs (0: dropped after one poll) and resuming with the same `bufs`;
/// checks after every attempt that `bufs` holds exactly the unsent rest. Evaluates to the number
/// of cancellations that left bytes unsent.
macro_rules! write_with_cancellations {
    ($rt:expr, $w:expr, $data:expr, $seed:expr) => {{
        let data: &[u8] = $data;
        let mut slices: Vec<IoSlice<'_>> = data.chunks(256 << 10).map(IoSlice::new).collect();
        let mut bufs: &mut [IoSlice<'_>] = &mut slices[..];
        let (mut rng, mut cancelled, mut left) = (Rng($seed), 0u32, data.len());
        for round in 0.. {
            let outcome = if round > 100_000 {
                Some(t!($rt, $w.write_vectored_all(&mut bufs)))
            } else {
                let timer = Duration::from_micros(rng.below(300));
                $rt.timeout(timer, $w.write_vectored_all(&mut bufs)).await
            };
            let now = check_rest(&*bufs, data);
            assert!(now <= left, "bufs grew back: {left} -> {now}");
            left = now;
            if let Some(result) = outcome {
                result.unwrap();
                assert!(bufs.is_empty(), "completed with {left} bytes unsent");
                break;
            }
            cancelled += u32::from(left > 0);
        }
        cancelled
    }};
}

/// Reads everything, pausing 200 µs after each read so that the writer waits often.
async fn read_slowly(rt: Rt, mut from: impl AsyncRead + Unpin) -> Vec<u8> {
    let (mut got, mut buf) = (Vec::new(), vec![0; 64 << 10]);
    loop {
        match from.read(&mut buf).await.unwrap() {
            0 => return got,
            n => got.extend_from_slice(&buf[..n]),
        }
        rt.sleep(Duration::from_micros(200)).await;
    }
}

async fn check_received(rt: Rt, reader: Task<Vec<u8>>, data: &[u8], cancelled: u32) {
    same_bytes(&t!(rt, reader), data, &format!("{rt:?}"));
    assert!(cancelled >= 10, "{rt:?}: {cancelled} cancellations");
}

async fn write_vectored_all_resumes_after_cancellation(rt: Rt) {
    let pool = Pool::new(PoolConfig::default()).unwrap();
    let data = payload(16 << 20, 7);
    on_tcp!(rt, opts(&pool, 1 << 16), |peer, ours| {
        let reader = rt.spawn(read_slowly(rt, peer));
        let mut ours = ours;
        let cancelled = write_with_cancellations!(rt, ours, &data, 11);
        ours.shutdown().await.unwrap();
        check_received(rt, reader, &data, cancelled).await;
    });
    assert_balanced(&pool, "tcp");
    let (mut w, r) = inproc(&pool, 1 << 16);
    let reader = rt.spawn(read_slowly(rt, r));
    let cancelled = write_with_cancellations!(rt, w, &data, 13);
    w.complete();
    check_received(rt, reader, &data, cancelled).await;
    assert_balanced(&pool, "in-process");
}

/// What one item of a `lines()` stream was.
#[derive(Debug, PartialEq)]
enum Item {
    Line(String),
    Limit,
    Partial(String),
    Reset,
}

fn classify(item: io::Result<bytes::Bytes>) -> Item {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let e = match item {
        Ok(line) => return Item::Line(text(&line)),
        Err(e) => e,
    };
    match (e.kind(), read_error_of(&e)) {
        (io::ErrorKind::InvalidData, Some(ReadError::LimitExceeded { .. })) => Item::Limit,
        (io::ErrorKind::UnexpectedEof, Some(ReadError::Partial(rest))) => Item::Partial(text(rest)),
        (io::ErrorKind::ConnectionReset, _) => Item::Reset,
        _ => panic!("unexpected error from lines(): {e:?}"),
    }
}

/// Drains the lines of `s`, failing if it yields more than `bound` items; checks that the
/// stream stays ended.
async fn drain<S: AsyncRead + Unpin>(
    rt: Rt,
    s: ChunkedStream<S>,
    ending: bool,
    bound: usize,
) -> Vec<Item> {
    let (mut lines, mut got) = (s.lines(ending), Vec::new());
    while let Some(item) = t!(rt, lines.next()) {
        got.push(classify(item));
        assert!(got.len() <= bound, "the lines stream does not end: {got:?}");
    }
    assert!(t!(rt, lines.next()).is_none(), "the stream stays ended");
    got
}

/// A transport that delivers `data` `step` bytes a read, `Pending` (with a wake-up) before each
/// piece, then the end or a `ConnectionReset`.
struct Script(Vec<u8>, usize, usize, bool, bool);

impl AsyncRead for Script {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let Script(data, pos, step, reset, flip) = self.get_mut();
        *flip = !*flip;
        if *flip {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if *pos == data.len() && *reset {
            return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
        }
        let n = (*step).min(data.len() - *pos).min(buf.len());
        buf[..n].copy_from_slice(&data[*pos..*pos + n]);
        *pos += n;
        Poll::Ready(Ok(n))
    }
}

/// pipe-model's misbehaving transport (short reads, `Pending`, `Interrupted`, `WouldBlock`,
/// a reset after `fail_at` bytes), read side.
struct Faulty(faults::Faulty);

impl AsyncRead for Faulty {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.0.poll_read(cx, buf)
    }
}

/// Maximum frame 8. (input, then a reset, with_ending, items): `{N}` in an input is N `x`s;
/// items are `|`-separated: a line, `!L` a limit error, `!R` the reset, `!P..` a partial line.
const LINE_CASES: &[(&str, bool, bool, &str)] = &[
    ("12345678\nz\n", false, false, "12345678|z"),
    ("12345678\nz\n", false, true, "12345678\n|z\n"),
    ("12345678\r\nz\r\n", false, false, "12345678|z"),
    ("12345678\r\nz\n", false, true, "12345678\r\n|z\n"),
    ("123456789\nz\n", false, false, "!L|z"),
    ("123456789\r\nz\r\n", false, false, "!L|z"),
    ("a\n{100}\nb\n{30}\r\n\nc\n", false, false, "a|!L|b|!L||c"),
    ("{9}\n{200}\nok\n", false, true, "!L|!L|ok\n"),
    ("a\n{20}", false, false, "a|!L"),
    ("a\r\nbc", false, false, "a|!Pbc"),
    ("a\nbc", true, false, "a|!R"),
    ("a\nb\n", true, false, "a|b|!R"),
    ("a\n{20}", true, false, "a|!L|!R"),
];

fn expand(input: &str) -> Vec<u8> {
    let part = |(i, p): (usize, &str)| match i % 2 {
        0 => p.to_string(),
        _ => "x".repeat(p.parse().unwrap()),
    };
    input
        .split(['{', '}'])
        .enumerate()
        .map(part)
        .collect::<String>()
        .into_bytes()
}

fn items(spec: &str) -> Vec<Item> {
    let item = |s: &str| match (s, s.strip_prefix("!P")) {
        ("!L", _) => Item::Limit,
        ("!R", _) => Item::Reset,
        (_, Some(rest)) => Item::Partial(rest.into()),
        _ => Item::Line(s.into()),
    };
    spec.split('|').map(item).collect()
}

/// A peer that sends `bytes` (all at once, or one byte per write), then closes.
async fn send(mut peer: impl AsyncWrite + Unpin, bytes: Vec<u8>, one_by_one: bool) {
    for piece in bytes.chunks(if one_by_one { 1 } else { bytes.len().max(1) }) {
        peer.write_all(piece).await.unwrap();
        smol::future::yield_now().await; // let the reader in (runtime-free)
    }
}

async fn lines_errors_never_repeat_and_limits_drop_one_line(rt: Rt) {
    let pool = Pool::new(PoolConfig::default()).unwrap();
    for &(input, reset, ending, want) in LINE_CASES {
        let (bytes, want) = (expand(input), items(want));
        let check = |got: Vec<Item>, how: &str| {
            assert_eq!(got, want, "{rt:?}, {input:?}, {how}");
            assert_balanced(&pool, input);
        };
        let bound = want.len() + 2;
        for step in [1, usize::MAX] {
            let script = Script(bytes.clone(), 0, step, reset, false);
            let s = ChunkedStream::with_options(script, opts(&pool, 8));
            check(drain(rt, s, ending, bound).await, &format!("{step} a read"));
        }
        for seed in 1..8 {
            let fail_at = reset.then_some(bytes.len());
            let faulty = Faulty(faults::Faulty::new(bytes.clone(), fail_at, seed));
            let s = ChunkedStream::with_options(faulty, opts(&pool, 8));
            check(drain(rt, s, ending, bound).await, &format!("faulty {seed}"));
        }
        // A real peer over loopback (it closes cleanly): all at once or byte by byte.
        for one_by_one in [false, true].into_iter().filter(|_| !reset) {
            let got = on_tcp!(rt, opts(&pool, 8), |peer, ours| {
                let writer = rt.spawn(send(peer, bytes.clone(), one_by_one));
                let got = drain(rt, ours, ending, bound).await;
                writer.await;
                got
            });
            check(got, &format!("tcp, one byte a write: {one_by_one}"));
        }
    }
}

fn is_limit(e: &io::Error) -> bool {
    let limit = matches!(read_error_of(e), Some(ReadError::LimitExceeded { .. }));
    limit && e.kind() == io::ErrorKind::InvalidData
}

/// Calls `fill_more` without consuming until all of `want` is buffered: at most one call per
/// 1024 bytes; then the end (`Ok(0)`, twice), the bytes intact, a frame read over the limit.
async fn fill_all<S: AsyncRead + Unpin>(rt: Rt, mut s: ChunkedStream<S>, want: &[u8], what: &str) {
    let (total, mut calls) = (want.len(), 0);
    while s.buffered() < total {
        calls += 1;
        assert!(calls <= total / 1024, "{rt:?}, {what}: {calls} calls");
        let (before, n) = (s.buffered(), t!(rt, s.fill_more()).unwrap());
        assert!(n > 0 && s.buffered() == before + n, "{what}: {n}");
    }
    for _ in 0..2 {
        assert_eq!(t!(rt, s.fill_more()).unwrap(), 0, "{rt:?}, {what}: the end");
    }
    let buffered: Vec<u8> = s.pipe().chunks().flatten().copied().collect();
    same_bytes(&buffered, want, what);
    let err = t!(rt, s.read_line(false)).unwrap_err();
    assert!(is_limit(&err) && s.buffered() == total, "{what}: {err:?}");
}

async fn fill_more_reads_a_chunk_per_call_past_the_frame_limit(rt: Rt) {
    let pool = Pool::new(PoolConfig::default()).unwrap();
    let data = payload(1 << 20, 5);
    let s = ChunkedStream::with_options(&data[..], opts(&pool, 1024));
    fill_all(rt, s, &data, "in-memory transport").await;
    assert_balanced(&pool, "in-memory");
    on_tcp!(rt, opts(&pool, 1024), |peer, ours| {
        let writer = rt.spawn(send(peer, data.clone(), false));
        fill_all(rt, ours, &data, "tcp").await;
        writer.await;
    });
    assert_balanced(&pool, "tcp");
}

async fn inproc_fill_more_reports_arrivals_then_the_end(rt: Rt) {
    let pool = Pool::new(PoolConfig::default()).unwrap();
    let (mut w, mut r) = inproc(&pool, 1 << 16);
    {
        let mut fill = pin!(r.fill_more());
        assert!(futures_util::poll!(fill.as_mut()).is_pending());
        w.write_now(b"abc").unwrap();
        assert_eq!(t!(rt, fill).unwrap(), 3);
    }
    // Bytes that arrive between a parser's NeedMore and the call are reported at once.
    assert!(r.with_pipe(|p| matches!(p.read_line_ref(false), Err(ReadError::NeedMore))));
    w.write_now(b"de\n").unwrap();
    assert_eq!(t!(rt, r.fill_more()).unwrap(), 3);
    assert_eq!(r.with_pipe(|p| p.read_line(false).unwrap()), "abcde");
    // The writer completes with bytes unread: they are reported, then the end.
    w.write_now(b"tail").unwrap();
    w.complete();
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(t!(rt, r.fill_more()).unwrap());
    }
    assert_eq!(got, [4, 0, 0], "{rt:?}");
    let err = r.read_line(false).await.unwrap_err();
    assert!(matches!(read_error_of(&err), Some(ReadError::Partial(rest)) if rest == "tail"));
    assert_eq!(r.read_line(false).await.unwrap(), None);
    drop((err, r));
    assert_balanced(&pool, "in-process");
}

async fn inproc_parser_pattern_reads_every_line(rt: Rt) {
    let pool = Pool::new(PoolConfig::default()).unwrap();
    let (w, mut r) = inproc(&pool, 1 << 16);
    let text: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
    let writer = rt.spawn(async move {
        // The runtime-free half: the pipe's own `write_all`, not the I/O trait's.
        let (mut w, mut rest, mut rng) = (w.into_inner(), text.as_bytes(), Rng(99));
        while !rest.is_empty() {
            let k = (1 + rng.below(3000) as usize).min(rest.len());
            w.write_all(&rest[..k]).await.unwrap();
            rest = &rest[k..];
        }
    });
    let mut count = 0usize;
    let parse = async {
        for _ in 0..1_000_000 {
            let done = r.with_pipe(|p| {
                loop {
                    match p.read_line_ref(false) {
                        Ok(l) => assert_eq!(l, format!("line {count}").as_bytes()),
                        Err(ReadError::NeedMore) => return false,
                        Err(ReadError::End) => return true,
                        Err(e) => panic!("after {count} lines: {e:?}"),
                    }
                    count += 1;
                }
            });
            if done {
                return;
            }
            t!(rt, r.fill_more()).unwrap();
        }
        panic!("the parser loop did not end");
    };
    t!(rt, parse);
    assert_eq!(count, 20_000, "{rt:?}");
    writer.await;
    drop(r);
    assert_balanced(&pool, "in-process");
}

async fn inproc_backpressure_bounds_a_reader_that_never_consumes(rt: Rt) {
    let pool = Pool::new(PoolConfig::default()).unwrap();
    let (w, mut r) = inproc(&pool, 64 << 10);
    let mut w = w.into_inner(); // the runtime-free half: the pipe's own `write_all`
    let bound = 2 * (64 << 10) + 2;
    let big = vec![b'x'; 1 << 20];
    {
        let mut write = pin!(w.write_all(&big));
        let reading = async {
            for _ in 0..100_000 {
                let n = r.fill_more().await?;
                assert!(n > 0 && r.buffered() <= bound, "{n}: {}", r.buffered());
            }
            Err::<(), _>(io::Error::other("fill_more never reported the limit"))
        };
        let err: io::Error = match t!(rt, select(write.as_mut(), pin!(reading))) {
            Either::Left((res, _)) => panic!("the writer pushed 1 MiB: {res:?}"),
            Either::Right((res, _)) => res.unwrap_err(),
        };
        assert!(is_limit(&err), "{rt:?}: {err:?}");
        // The writer is stuck, not past the bound; asking again fails again, no hang.
        assert!(futures_util::poll!(write.as_mut()).is_pending());
        assert!(is_limit(&t!(rt, r.fill_more()).unwrap_err()));
        assert!(r.buffered() <= bound, "{} buffered", r.buffered());
        drop(r);
        assert_eq!(t!(rt, write).unwrap_err().kind(), io::ErrorKind::BrokenPipe);
    }
    drop(w);
    assert_balanced(&pool, "in-process");
}

/// `shutdown()` half-closes async-std's and smol's `TcpStream`: the peer reads what was sent,
/// then the end, and our side still reads what the peer sends afterwards.
async fn shutdown_half_closes_smol_and_async_std_tcp_streams(rt: Rt) {
    let pool = Pool::new(PoolConfig::default()).unwrap();
    on_tcp!(rt, opts(&pool, 1 << 16), |peer, ours| {
        let (mut peer, mut ours) = (peer, ours);
        ours.write_all(b"hello").await.unwrap();
        t!(rt, ours.shutdown()).unwrap();
        let mut got = Vec::new();
        t!(rt, peer.read_to_end(&mut got)).unwrap();
        assert_eq!(got, b"hello", "{rt:?}");
        peer.write_all(b"reply\n").await.unwrap();
        drop(peer);
        assert_eq!(t!(rt, ours.read_line(false)).unwrap().unwrap(), "reply");
        assert_eq!(t!(rt, ours.read_line(false)).unwrap(), None);
    });
    assert_balanced(&pool, "tcp");
}

/// On `smol::Async<std::net::TcpStream>`, `shutdown()` only flushes: the peer sees no end until
/// the socket itself is shut down.
#[test]
fn shutdown_only_flushes_smol_async_tcp_stream() {
    let rt = Rt::Smol;
    rt.block_on(async {
        let pool = Pool::new(PoolConfig::default()).unwrap();
        let listener = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connect = smol::Async::<std::net::TcpStream>::connect(addr);
        let (peer, ours) = futures_util::join!(listener.accept(), connect);
        let mut peer = peer.unwrap().0;
        let mut ours = ChunkedStream::with_options(ours.unwrap(), opts(&pool, 1 << 16));
        ours.write_all(b"hello").await.unwrap();
        t!(rt, ours.shutdown()).unwrap();
        let mut buf = [0; 5];
        t!(rt, peer.read_exact(&mut buf)).unwrap();
        assert_eq!(&buf, b"hello");
        // No end for the peer (the one use of timing: a short read must time out).
        let short = Duration::from_millis(200);
        let read = rt.timeout(short, peer.read(&mut buf)).await;
        assert!(read.is_none(), "the peer saw {read:?} after shutdown()");
        ours.get_ref().get_ref().shutdown(Shutdown::Write).unwrap();
        assert_eq!(t!(rt, peer.read(&mut buf)).unwrap(), 0, "the end");
        peer.write_all(b"reply\n").await.unwrap();
        drop(peer);
        assert_eq!(t!(rt, ours.read_line(false)).unwrap().unwrap(), "reply");
        assert_eq!(t!(rt, ours.read_line(false)).unwrap(), None);
        drop(ours);
        assert_balanced(&pool, "smol::Async");
    });
}
