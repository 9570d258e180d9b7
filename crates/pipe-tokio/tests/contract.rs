//! The documented contracts of pipe-tokio, through the public API only: vectored writes resumed
//! after cancellation, the `lines()` stream's errors and limits, `fill_more` past the frame
//! limit, and the in-process pipe's `fill_more`, parser pattern and backpressure. Every test
//! uses its own pool and checks that all its chunks come back.

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::{Pin, pin};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures_util::future::{Either, select};
use futures_util::{FutureExt, StreamExt};
use pipe_testkit::faults;
use pipe_tokio::{AsyncPipeOptions, ChunkedStream, PipeOptions, Pool, PoolConfig};
use pipe_tokio::{ReadError, read_error_of};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;

/// Turns a hang into a failure.
async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    let out = tokio::time::timeout(Duration::from_secs(30), f).await;
    out.unwrap_or_else(|_| panic!("{what}: no outcome within 30 s (hang)"))
}

fn opts(pool: &Pool, max_frame: usize) -> PipeOptions {
    PipeOptions::new().pool(pool.clone()).max_frame(max_frame)
}

/// An in-process pipe: pause 64 KiB, resume 32 KiB, the given maximum frame.
fn inproc(pool: &Pool, max_frame: usize) -> (pipe_tokio::PipeWriter, pipe_tokio::PipeReader) {
    let pipe = opts(pool, max_frame);
    let o = AsyncPipeOptions::new()
        .pipe(pipe)
        .pause(64 << 10)
        .resume(32 << 10);
    pipe_tokio::pipe_with(o).unwrap()
}

fn assert_balanced(pool: &Pool, what: &str) {
    let stats = pool.stats();
    assert!(stats.outstanding_chunks == 0, "{what}: {stats:?}");
}

/// A connected loopback pair: (the peer, our side wrapped with `opts`). With `small`, socket
/// buffers are small so that writes wait often.
async fn tcp_pair(opts: PipeOptions, small: bool) -> (TcpStream, ChunkedStream<TcpStream>) {
    let (listening, ours) = (TcpSocket::new_v4().unwrap(), TcpSocket::new_v4().unwrap());
    if small {
        listening.set_recv_buffer_size(32 << 10).unwrap();
        ours.set_send_buffer_size(32 << 10).unwrap();
    }
    listening.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener: TcpListener = listening.listen(8).unwrap();
    let addr = listener.local_addr().unwrap();
    let (ours, peer) = tokio::join!(ours.connect(addr), listener.accept());
    let ours = ChunkedStream::with_options(ours.unwrap(), opts);
    (peer.unwrap().0, ours)
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

/// Writes `$data` in `$slice`-byte `IoSlice`s with `$w.write_vectored_all`, cancelling the
/// future at pseudo-random points (dropped after one poll, or raced against a short timer) and
/// resuming with the same `bufs` each time; checks after every attempt that `bufs` holds exactly
/// the unsent rest. Evaluates to the number of cancellations that left bytes unsent.
macro_rules! write_with_cancellations {
    ($w:expr, $data:expr, $slice:expr, $seed:expr) => {{
        let data: &[u8] = $data;
        let mut slices: Vec<IoSlice<'_>> = data.chunks($slice).map(IoSlice::new).collect();
        let mut bufs: &mut [IoSlice<'_>] = &mut slices[..];
        let (mut rng, mut cancelled, mut left) = (Rng($seed), 0u32, data.len());
        for round in 0.. {
            let outcome = if round > 100_000 {
                Some(within("an uncancelled write", $w.write_vectored_all(&mut bufs)).await)
            } else if rng.below(2) == 0 {
                $w.write_vectored_all(&mut bufs).now_or_never()
            } else {
                let micros = rng.below(300);
                tokio::select! {
                    biased;
                    r = $w.write_vectored_all(&mut bufs) => Some(r),
                    _ = tokio::time::sleep(Duration::from_micros(micros)) => None,
                }
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
            tokio::task::yield_now().await;
        }
        cancelled
    }};
}

/// Awaits the reader task and checks what it got and how many writes were cancelled midway.
async fn check_received(reader: JoinHandle<Vec<u8>>, data: &[u8], cancelled: u32, what: &str) {
    same_bytes(&within(what, reader).await.unwrap(), data, what);
    assert!(cancelled >= 10, "{what}: {cancelled} cancellations");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_vectored_all_resumes_after_cancellation() {
    let pool = Pool::new(PoolConfig::default()).unwrap();
    let data = payload(16 << 20, 7);

    // Over loopback TCP, a peer task reading everything.
    let (mut peer, mut ours) = tcp_pair(opts(&pool, 1 << 16), true).await;
    let reader = tokio::spawn(async move {
        let mut got = Vec::new();
        peer.read_to_end(&mut got).await.map(|_| got).unwrap()
    });
    let writing = async { write_with_cancellations!(ours, &data, 256 << 10, 11) };
    let cancelled = within("tcp", writing).await;
    ours.shutdown().await.unwrap();
    check_received(reader, &data, cancelled, "tcp").await;
    drop(ours);
    assert_balanced(&pool, "tcp");

    // The in-process pipe's writer, a reader task reading everything.
    let (mut w, mut r) = inproc(&pool, 1 << 16);
    let reader = tokio::spawn(async move {
        let mut got = Vec::new();
        let n = AsyncReadExt::read_to_end(&mut r, &mut got).await;
        n.map(|_| got).unwrap()
    });
    let writing = async { write_with_cancellations!(w, &data, 256 << 10, 13) };
    let cancelled = within("in-process", writing).await;
    w.complete();
    check_received(reader, &data, cancelled, "in-process").await;
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

/// Drains a `lines()` stream, failing if it yields more than `bound` items; checks that it stays
/// ended.
async fn drain<S: AsyncRead + Unpin>(mut lines: pipe_tokio::Lines<S>, bound: usize) -> Vec<Item> {
    let mut got = Vec::new();
    while let Some(item) = within("lines().next()", lines.next()).await {
        got.push(classify(item));
        assert!(got.len() <= bound, "the lines stream does not end: {got:?}");
    }
    assert!(within("next() after the end", lines.next()).await.is_none());
    got
}

/// A transport that delivers `data` `step` bytes a read, `Pending` (with a wake-up) before each
/// piece, then the end or a `ConnectionReset`.
struct Script(Vec<u8>, usize, usize, bool, bool);

impl AsyncRead for Script {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let Script(data, pos, step, reset, flip) = self.get_mut();
        *flip = !*flip;
        if *flip {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if *pos == data.len() && *reset {
            return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
        }
        let n = (*step).min(data.len() - *pos).min(buf.remaining());
        buf.put_slice(&data[*pos..*pos + n]);
        *pos += n;
        Poll::Ready(Ok(()))
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

/// pipe-model's misbehaving transport (short reads, `Pending`, `Interrupted`, `WouldBlock`,
/// a reset after `fail_at` bytes), read side.
struct Faulty(faults::Faulty);

impl AsyncRead for Faulty {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = ready!(self.0.poll_read(cx, buf.initialize_unfilled()))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_errors_never_repeat_and_limits_drop_one_line() {
    let pool = Pool::new(PoolConfig::default()).unwrap();
    for &(input, reset, with_ending, want) in LINE_CASES {
        let (bytes, want) = (expand(input), items(want));
        let check = |got: Vec<Item>, how: &str| {
            assert_eq!(got, want, "{input:?}, {how}");
            assert_balanced(&pool, input);
        };
        let bound = want.len() + 2;
        for step in [1, usize::MAX] {
            let script = Script(bytes.clone(), 0, step, reset, false);
            let s = ChunkedStream::with_options(script, opts(&pool, 8));
            let got = drain(s.lines(with_ending), bound).await;
            check(got, &format!("{step} byte(s) a read"));
        }
        for seed in 1..8 {
            let fail_at = reset.then_some(bytes.len());
            let faulty = Faulty(faults::Faulty::new(bytes.clone(), fail_at, seed));
            let s = ChunkedStream::with_options(faulty, opts(&pool, 8));
            let got = drain(s.lines(with_ending), bound).await;
            check(got, &format!("faulty, seed {seed}"));
        }
        // A real peer over loopback (it closes cleanly): all at once, or one byte per write.
        for one_by_one in [false, true].into_iter().filter(|_| !reset) {
            let (mut peer, s) = tcp_pair(opts(&pool, 8), false).await;
            peer.set_nodelay(true).unwrap();
            let sent = bytes.clone();
            let writer = tokio::spawn(async move {
                for piece in sent.chunks(if one_by_one { 1 } else { sent.len() }) {
                    peer.write_all(piece).await.unwrap();
                    tokio::task::yield_now().await;
                }
            });
            let got = drain(s.lines(with_ending), bound).await;
            writer.await.unwrap();
            check(got, &format!("tcp, one byte a write: {one_by_one}"));
        }
    }
}

/// `fill_more` on a stream or the in-process reader, bounded by the timeout.
macro_rules! fill {
    ($s:expr) => {
        within("fill_more", $s.fill_more()).await
    };
}

fn is_limit(e: &io::Error) -> bool {
    let limit = matches!(read_error_of(e), Some(ReadError::LimitExceeded { .. }));
    limit && e.kind() == io::ErrorKind::InvalidData
}

/// Calls `fill_more` without consuming until all of `want` is buffered: at most one call per
/// 1024 bytes; then the end (`Ok(0)`, twice), the bytes intact, a frame read over the limit.
async fn fill_all<S: AsyncRead + Unpin>(s: &mut ChunkedStream<S>, want: &[u8], what: &str) {
    let (total, mut calls) = (want.len(), 0);
    while s.buffered() < total {
        calls += 1;
        assert!(calls <= total / 1024, "{what}: {calls} calls");
        let (before, n) = (s.buffered(), fill!(s).unwrap());
        assert!(n > 0 && s.buffered() == before + n, "{what}: {n}");
    }
    let end = (fill!(s).unwrap(), fill!(s).unwrap());
    assert_eq!(end, (0, 0), "{what}: the end");
    let buffered: Vec<u8> = s.pipe().chunks().flatten().copied().collect();
    same_bytes(&buffered, want, what);
    let err = within("read_line", s.read_line(false)).await.unwrap_err();
    assert!(is_limit(&err) && s.buffered() == total, "{what}: {err:?}");
}

#[tokio::test]
async fn fill_more_reads_a_chunk_per_call_past_the_frame_limit() {
    let pool = Pool::new(PoolConfig::default()).unwrap();
    let data = payload(1 << 20, 5);
    let mut s = ChunkedStream::with_options(&data[..], opts(&pool, 1024));
    fill_all(&mut s, &data, "in-memory transport").await;
    drop(s);
    assert_balanced(&pool, "in-memory");

    let (mut peer, mut s) = tcp_pair(opts(&pool, 1024), false).await;
    let sent = data.clone();
    let writer = tokio::spawn(async move { peer.write_all(&sent).await.unwrap() });
    fill_all(&mut s, &data, "tcp").await;
    writer.await.unwrap();
    drop(s);
    assert_balanced(&pool, "tcp");
}

#[tokio::test]
async fn inproc_fill_more_reports_arrivals_then_the_end() {
    let pool = Pool::new(PoolConfig::default()).unwrap();
    let (mut w, mut r) = inproc(&pool, 1 << 16);
    {
        let mut fill = pin!(r.fill_more());
        assert!(futures_util::poll!(fill.as_mut()).is_pending());
        w.write_now(b"abc").unwrap();
        assert_eq!(within("fill_more", fill).await.unwrap(), 3);
    }
    // Bytes that arrive between a parser's NeedMore and the call are reported at once.
    assert!(r.with_pipe(|p| matches!(p.read_line_ref(false), Err(ReadError::NeedMore))));
    w.write_now(b"de\n").unwrap();
    assert_eq!(fill!(r).unwrap(), 3);
    assert_eq!(r.with_pipe(|p| p.read_line(false).unwrap()), "abcde");
    // The writer completes with bytes unread: they are reported, then the end.
    w.write_now(b"tail").unwrap();
    w.complete();
    let got = [fill!(r).unwrap(), fill!(r).unwrap(), fill!(r).unwrap()];
    assert_eq!(got, [4, 0, 0]);
    let err = r.read_line(false).await.unwrap_err();
    assert!(matches!(read_error_of(&err), Some(ReadError::Partial(rest)) if rest == "tail"));
    assert_eq!(r.read_line(false).await.unwrap(), None);
    drop((err, r));
    assert_balanced(&pool, "in-process");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inproc_parser_pattern_reads_every_line() {
    let pool = Pool::new(PoolConfig::default()).unwrap();
    let (w, mut r) = inproc(&pool, 1 << 16);
    let text: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
    let writer = tokio::spawn(async move {
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
            fill!(r).unwrap();
        }
        panic!("the parser loop did not end");
    };
    within("the parser", parse).await;
    assert_eq!(count, 20_000);
    writer.await.unwrap();
    drop(r);
    assert_balanced(&pool, "in-process");
}

#[tokio::test]
async fn inproc_backpressure_bounds_a_reader_that_never_consumes() {
    let pool = Pool::new(PoolConfig::default()).unwrap();
    let (w, mut r) = inproc(&pool, 64 << 10);
    let mut w = w.into_inner(); // the runtime-free half: the pipe's own `write_all`
    let bound = 2 * (64 << 10) + 2;
    let big = vec![b'x'; 1 << 20];
    {
        let mut write = pin!(w.write_all(&big));
        let err = {
            let reading = pin!(async {
                for _ in 0..100_000 {
                    match r.fill_more().await {
                        Ok(n) => assert!(n > 0 && r.buffered() <= bound, "{n}: {}", r.buffered()),
                        Err(e) => return e,
                    }
                }
                panic!("fill_more never reported the limit");
            });
            match within("writer and reader", select(write.as_mut(), reading)).await {
                Either::Left((res, _)) => panic!("the writer pushed 1 MiB past the bound: {res:?}"),
                Either::Right((err, _)) => err,
            }
        };
        assert!(is_limit(&err), "{err:?}");
        // The writer is stuck, not past the bound; asking again fails again, no hang.
        assert!(futures_util::poll!(write.as_mut()).is_pending());
        assert!(is_limit(&fill!(r).unwrap_err()), "fill_more again");
        assert!(r.buffered() <= bound, "{} buffered", r.buffered());
        drop(r);
        let res = within("the writer after the reader went", write).await;
        assert_eq!(res.unwrap_err().kind(), io::ErrorKind::BrokenPipe);
    }
    drop(w);
    assert_balanced(&pool, "in-process");
}
