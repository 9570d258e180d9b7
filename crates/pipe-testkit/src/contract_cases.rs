//! The documented contracts of an adapter, through its public API only, written once for every
//! runtime: vectored writes resumed after cancellation, the `lines()` stream's errors and
//! limits, `fill_more` past the frame limit, the in-process pipe's `fill_more`, parser pattern
//! and backpressure, `read_until` through the stream's `AsyncBufRead`, and `shutdown`
//! half-closing a TCP stream. Every test uses its own pool and
//! checks that all its chunks come back. Each adapter's `tests/contract.rs` invokes
//! [`contract_tests!`](crate::contract_tests) once per runtime; the runtime-free parts are here.

use std::io::{self, IoSlice};

use bytes::Bytes;
use pipe_core::{ReadError, read_error_of};

/// xorshift64: pseudo-random, reproducible.
#[derive(Debug)]
pub struct Rng(pub u64);

impl Rng {
    /// The next number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// `len` pseudo-random bytes, none of them `\n`.
pub fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed | 1);
    let byte = |b: u8| if b == b'\n' { b'.' } else { b };
    (0..len).map(|_| byte(rng.below(256) as u8)).collect()
}

/// Panics, naming `what`, unless `got` is `want` (without printing megabytes).
pub fn same_bytes(got: &[u8], want: &[u8], what: &str) {
    let diff = got.iter().zip(want).position(|(a, b)| a != b);
    let (g, w) = (got.len(), want.len());
    assert!(g == w && diff.is_none(), "{what}: {g}/{w} bytes, {diff:?}");
}

/// Checks that `bufs` is exactly the unsent suffix of `data` (the slices were cut from it);
/// returns its length.
pub fn check_rest(bufs: &[IoSlice<'_>], data: &[u8]) -> usize {
    let left: usize = bufs.iter().map(|b| b.len()).sum();
    let mut at = data.as_ptr() as usize + data.len() - left;
    for b in bufs {
        assert!(!b.is_empty() && b.as_ptr() as usize == at, "not the rest");
        at += b.len();
    }
    left
}

/// What one item of a `lines()` stream was.
#[derive(Debug, PartialEq)]
pub enum Item {
    /// A line.
    Line(String),
    /// A line over the maximum frame size.
    Limit,
    /// The partial last line.
    Partial(String),
    /// The transport's reset.
    Reset,
}

/// The [`Item`] a `lines()` stream's item is; panics on any other error.
pub fn classify(item: io::Result<Bytes>) -> Item {
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

/// Maximum frame 8. (input, then a reset, with_ending, items): `{N}` in an input is N `x`s
/// ([`expand`]); items are `|`-separated ([`items`]): a line, `!L` a limit error, `!R` the
/// reset, `!P..` a partial line.
pub const LINE_CASES: &[(&str, bool, bool, &str)] = &[
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

/// The bytes of a [`LINE_CASES`] input.
pub fn expand(input: &str) -> Vec<u8> {
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

/// The items of a [`LINE_CASES`] expectation.
pub fn items(spec: &str) -> Vec<Item> {
    let item = |s: &str| match (s, s.strip_prefix("!P")) {
        ("!L", _) => Item::Limit,
        ("!R", _) => Item::Reset,
        (_, Some(rest)) => Item::Partial(rest.into()),
        _ => Item::Line(s.into()),
    };
    spec.split('|').map(item).collect()
}

/// The test functions, one per contract:
/// `contract_tests!(test: runner, threaded: runner)`, with the runners as
/// [`cases`](crate::cases) describes them (`threaded` for the tests that want worker threads).
/// The including module names `ChunkedStream`, `pipe_with`, `TcpStream`,
/// `AsyncReadExt`, `AsyncBufReadExt`, `AsyncWriteExt`, `spawn`, `join`, `timeout` and
/// `yield_now` (see
/// [`cases`](crate::cases)).
#[macro_export]
macro_rules! contract_tests {
    (test: $test:tt, threaded: $threaded:tt) => {
        $crate::__test_fn! { $threaded
            /// `write_vectored_all` cancelled at random points and resumed with the same
            /// `bufs` leaves exactly the unsent rest in them and sends every byte once: over
            /// loopback TCP (small socket buffers, a slow reader) and the in-process pipe.
            fn write_vectored_all_resumes_after_cancellation() {
                let pool = $crate::cases::pool();
                let data = $crate::contract_cases::payload(16 << 20, 7);

                let (peer, mut ours) =
                    $crate::__contract_tcp_pair!($crate::cases::options(&pool, 1 << 16), true);
                let reader = spawn(async move { $crate::__read_slowly!(peer) });
                let writing = async { $crate::__write_with_cancellations!(ours, &data, 11) };
                let cancelled = $crate::__within!("tcp", writing);
                ours.shutdown().await.unwrap();
                $crate::__check_received!(reader, &data, cancelled, "tcp");
                drop(ours);
                $crate::cases::assert_balanced(&pool, "tcp");

                let options = $crate::cases::inproc_options(&pool, 1 << 16);
                let (mut w, r) = pipe_with(options).unwrap();
                let reader = spawn(async move { $crate::__read_slowly!(r) });
                let writing = async { $crate::__write_with_cancellations!(w, &data, 13) };
                let cancelled = $crate::__within!("in-process", writing);
                w.complete();
                $crate::__check_received!(reader, &data, cancelled, "in-process");
                $crate::cases::assert_balanced(&pool, "in-process");
            }
        }

        $crate::__test_fn! { $threaded
            /// `lines()` never repeats an error, drops a line over the limit through its `\n`,
            /// and ends after a partial line or a transport error: on scripted, misbehaving and
            /// real TCP transports.
            fn lines_errors_never_repeat_and_limits_drop_one_line() {
                use $crate::contract_cases::{expand, items, LINE_CASES};
                let pool = $crate::cases::pool();
                for &(input, reset, with_ending, want) in LINE_CASES {
                    let (bytes, want) = (expand(input), items(want));
                    let check = |got: Vec<$crate::contract_cases::Item>, how: &str| {
                        assert_eq!(got, want, "{input:?}, {how}");
                        $crate::cases::assert_balanced(&pool, input);
                    };
                    let bound = want.len() + 2;
                    let options = || $crate::cases::options(&pool, 8);
                    for step in [1, usize::MAX] {
                        let script = $crate::faults::Script::new(bytes.clone(), step, reset);
                        let s = ChunkedStream::with_options(script, options());
                        let got = $crate::__drain_lines!(s.lines(with_ending), bound);
                        check(got, &format!("{step} byte(s) a read"));
                    }
                    for seed in 1..8 {
                        let fail_at = reset.then_some(bytes.len());
                        let faulty = $crate::faults::Faulty::new(bytes.clone(), fail_at, seed);
                        let s = ChunkedStream::with_options(faulty, options());
                        let got = $crate::__drain_lines!(s.lines(with_ending), bound);
                        check(got, &format!("faulty, seed {seed}"));
                    }
                    // A real peer over loopback (it closes cleanly): all at once, or one byte
                    // per write.
                    for one_by_one in [false, true].into_iter().filter(|_| !reset) {
                        let (mut peer, s) = $crate::__contract_tcp_pair!(options(), false);
                        let sent = bytes.clone();
                        let writer = spawn(async move {
                            for piece in sent.chunks(if one_by_one { 1 } else { sent.len() }) {
                                peer.write_all(piece).await.unwrap();
                                yield_now().await; // let the reader in
                            }
                        });
                        let got = $crate::__drain_lines!(s.lines(with_ending), bound);
                        join(writer).await;
                        check(got, &format!("tcp, one byte a write: {one_by_one}"));
                    }
                }
            }
        }

        $crate::__test_fn! { $test
            /// `fill_more` reads a chunk a call however much is buffered, past the maximum
            /// frame, until the end: from memory and over TCP.
            fn fill_more_reads_a_chunk_per_call_past_the_frame_limit() {
                let pool = $crate::cases::pool();
                let data = $crate::contract_cases::payload(1 << 20, 5);
                let options = || $crate::cases::options(&pool, 1024);
                let mut s = ChunkedStream::with_options(&data[..], options());
                $crate::__fill_all!(s, &data, "in-memory transport");
                drop(s);
                $crate::cases::assert_balanced(&pool, "in-memory");

                let (mut peer, mut s) = $crate::__contract_tcp_pair!(options(), false);
                let sent = data.clone();
                let writer = spawn(async move { peer.write_all(&sent).await.unwrap() });
                $crate::__fill_all!(s, &data, "tcp");
                join(writer).await;
                drop(s);
                $crate::cases::assert_balanced(&pool, "tcp");
            }
        }

        $crate::__test_fn! { $test
            /// The in-process reader's `fill_more` reports bytes as they arrive (also those
            /// that came before the call), then the end after the writer completes.
            fn inproc_fill_more_reports_arrivals_then_the_end() {
                use $crate::cases::reexport::pipe_core::ReadError;
                let pool = $crate::cases::pool();
                let (mut w, mut r) = pipe_with($crate::cases::inproc_options(&pool, 1 << 16)).unwrap();
                {
                    let mut fill = ::std::pin::pin!(r.fill_more());
                    assert!($crate::cases::reexport::futures_util::poll!(fill.as_mut()).is_pending());
                    w.write_now(b"abc").unwrap();
                    assert_eq!($crate::__within!("fill_more", fill).unwrap(), 3);
                }
                // Bytes that arrive between a parser's NeedMore and the call are reported at
                // once.
                assert!(r.with_pipe(|p| matches!(p.read_line_ref(false), Err(ReadError::NeedMore))));
                w.write_now(b"de\n").unwrap();
                assert_eq!($crate::__within!("fill_more", r.fill_more()).unwrap(), 3);
                assert_eq!(r.with_pipe(|p| p.read_line(false).unwrap()), "abcde");
                // The writer completes with bytes unread: they are reported, then the end.
                w.write_now(b"tail").unwrap();
                w.complete();
                let mut got = Vec::new();
                for _ in 0..3 {
                    got.push($crate::__within!("fill_more", r.fill_more()).unwrap());
                }
                assert_eq!(got, [4, 0, 0]);
                let err = r.read_line(false).await.unwrap_err();
                assert!($crate::cases::is_partial(&err, "tail"), "{err:?}");
                assert_eq!(r.read_line(false).await.unwrap(), None);
                drop((err, r));
                $crate::cases::assert_balanced(&pool, "in-process");
            }
        }

        $crate::__test_fn! { $threaded
            /// The parser pattern (parse synchronously under `with_pipe`, await `fill_more` on
            /// `NeedMore`) reads every line a writer task sends in random pieces.
            fn inproc_parser_pattern_reads_every_line() {
                use $crate::cases::reexport::pipe_core::ReadError;
                let pool = $crate::cases::pool();
                let (w, mut r) = pipe_with($crate::cases::inproc_options(&pool, 1 << 16)).unwrap();
                let text: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
                let writer = spawn(async move {
                    // The runtime-free half: the pipe's own `write_all`, not the I/O trait's.
                    let mut rng = $crate::contract_cases::Rng(99);
                    let (mut w, mut rest) = (w.into_inner(), text.as_bytes());
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
                        $crate::__within!("fill_more", r.fill_more()).unwrap();
                    }
                    panic!("the parser loop did not end");
                };
                $crate::__within!("the parser", parse);
                assert_eq!(count, 20_000);
                join(writer).await;
                drop(r);
                $crate::cases::assert_balanced(&pool, "in-process");
            }
        }

        $crate::__test_fn! { $threaded
            /// A writer task that sends bursts of lines with pauses of every length between
            /// them (none, a few yields, up to 2 ms: shorter and longer than the reader's
            /// `max_spin`, so its reader both stays scheduled and parks) delivers every line
            /// once and in order to the test's reader, on the default options. Half the lines,
            /// at random, are read by polling once and dropping the read while not ready; the
            /// other half are awaited, so a lost wake-up would hang them.
            fn inproc_bursts_and_pauses_deliver_every_line_once() {
                $crate::__inproc_bursts!()
            }
        }

        $crate::__test_fn! { $test
            /// The same on the single-threaded runner: a reader that stays scheduled wakes
            /// itself, and the writer task on the same thread must still get its turns.
            fn inproc_bursts_and_pauses_on_one_thread() {
                $crate::__inproc_bursts!()
            }
        }

        $crate::__test_fn! { $test
            /// A reader that never consumes bounds what the writer can push (twice the maximum
            /// frame): `fill_more` reports the limit, again and again, with the writer stuck;
            /// the writer fails with `BrokenPipe` once the reader is gone.
            fn inproc_backpressure_bounds_a_reader_that_never_consumes() {
                use $crate::cases::reexport::futures_util::future::{select, Either};
                use $crate::cases::reexport::futures_util::poll;
                let pool = $crate::cases::pool();
                let (w, mut r) = pipe_with($crate::cases::inproc_options(&pool, 64 << 10)).unwrap();
                let mut w = w.into_inner(); // the runtime-free half: the pipe's own `write_all`
                let bound = 2 * (64 << 10) + 2;
                let big = vec![b'x'; 1 << 20];
                {
                    let mut write = ::std::pin::pin!(w.write_all(&big));
                    let err = {
                        let reading = ::std::pin::pin!(async {
                            for _ in 0..100_000 {
                                let n = r.fill_more().await?;
                                assert!(n > 0 && r.buffered() <= bound, "{n}: {}", r.buffered());
                            }
                            Err::<(), _>(::std::io::Error::other("fill_more never reported the limit"))
                        });
                        let both = select(write.as_mut(), reading);
                        match $crate::__within!("writer and reader", both) {
                            Either::Left((res, _)) => panic!("the writer pushed 1 MiB: {res:?}"),
                            Either::Right((res, _)) => res.unwrap_err(),
                        }
                    };
                    assert!($crate::cases::is_limit(&err), "{err:?}");
                    // The writer is stuck, not past the bound; asking again fails again, no hang.
                    assert!(poll!(write.as_mut()).is_pending());
                    let again = $crate::__within!("fill_more", r.fill_more()).unwrap_err();
                    assert!($crate::cases::is_limit(&again), "fill_more again: {again:?}");
                    assert!(r.buffered() <= bound, "{} buffered", r.buffered());
                    drop(r);
                    let res = $crate::__within!("the writer after the reader went", write);
                    assert_eq!(res.unwrap_err().kind(), ::std::io::ErrorKind::BrokenPipe);
                }
                drop(w);
                $crate::cases::assert_balanced(&pool, "in-process");
            }
        }

        $crate::__test_fn! { $test
            /// `fill_at_least` on the in-process reader while the writer is paused by
            /// backpressure: true once `n` bytes are there (one under and at the maximum
            /// frame), `InvalidData` at once one over, never a hang; after the writer is done,
            /// false with fewer; nothing consumed by any of it.
            fn inproc_fill_at_least_with_a_paused_writer() {
                use $crate::cases::reexport::futures_util::future::join;
                let pool = $crate::cases::pool();
                let frame = 16 << 10;
                let (w, mut r) = pipe_with($crate::cases::inproc_options(&pool, frame)).unwrap();
                let mut w = w.into_inner();
                let data: Vec<u8> = (0..(256u32 << 10)).map(|i| i as u8).collect();
                let writing = async {
                    w.write_all(&data).await.unwrap();
                    drop(w);
                };
                let reading = async {
                    assert!($crate::__within!("one under", r.fill_at_least(frame - 1)).unwrap());
                    assert!($crate::__within!("at", r.fill_at_least(frame)).unwrap());
                    let before = r.buffered();
                    let over = $crate::__within!("one over", r.fill_at_least(frame + 1));
                    assert_eq!(over.unwrap_err().kind(), ::std::io::ErrorKind::InvalidData);
                    assert_eq!(r.buffered(), before, "nothing consumed");
                    let mut got = Vec::new();
                    while let Some(bytes) = $crate::__within!("a read", r.read_at_most(4096)).unwrap() {
                        got.extend_from_slice(&bytes);
                    }
                    assert!(!$crate::__within!("at the end", r.fill_at_least(1)).unwrap());
                    got
                };
                let ((), got) = $crate::__within!("writer and reader", join(writing, reading));
                $crate::contract_cases::same_bytes(&got, &data, "in-process");
                drop(r);
                $crate::cases::assert_balanced(&pool, "in-process");
            }
        }

        $crate::__test_fn! { $test
            /// The stream as the runtime's `AsyncBufRead`, where a `BufReader` was:
            /// `read_until` into one reused `Vec` gives every line once, whatever the
            /// transport's pieces (one byte a read, hiccups, lines across chunks, reads
            /// cancelled at `Pending` and called again with the same `Vec`, `read_exact` of a
            /// line's first bytes in between); then `Ok(0)` at the end, every time, or, after
            /// every byte before it, the transport's error, every time.
            fn read_until_as_on_a_bufreader() {
                use $crate::contract_cases::payload;
                let pool = $crate::cases::pool();
                // Short lines, lines around the 4 KiB chunk, more short lines, an unended one.
                let mut data = $crate::faults::lines(3, 300);
                for len in [4095, 4096, 4097, 9000] {
                    data.extend(payload(len, len as u64));
                    data.push(b'\n');
                }
                data.extend($crate::faults::lines(4, 300));
                data.extend_from_slice(b"no newline at the end");
                let want: Vec<&[u8]> = data.split_inclusive(|&b| b == b'\n').collect();
                let options = || $crate::cases::options(&pool, 64);
                for reset in [false, true] {
                    for step in [1, 7, usize::MAX] {
                        for cancel in [false, true] {
                            let script = $crate::faults::Script::new(data.clone(), step, reset);
                            let s = ChunkedStream::with_options(script, options());
                            let how = format!("reset {reset}, {step} a read, cancel {cancel}");
                            let cancelled =
                                $crate::__read_until_all!(s, &want, reset, cancel, &how);
                            // A read in pieces waits before each.
                            let waits = cancel && step < data.len();
                            assert!(!waits || cancelled > 0, "{how}: never cancelled");
                            $crate::cases::assert_balanced(&pool, &how);
                        }
                    }
                    for seed in 1..4 {
                        let fail_at = reset.then_some(data.len());
                        let faulty = $crate::faults::Faulty::new(data.clone(), fail_at, seed);
                        let s = ChunkedStream::with_options(faulty, options());
                        let how = format!("reset {reset}, faulty, seed {seed}");
                        $crate::__read_until_all!(s, &want, reset, seed == 2, &how);
                        $crate::cases::assert_balanced(&pool, &how);
                    }
                }
                // A real peer over loopback: one byte a write, then all at once.
                for one_by_one in [true, false] {
                    let (writer, s) = $crate::__tcp_sender!(options(), data.clone(), one_by_one);
                    let how = format!("tcp, one byte a write: {one_by_one}");
                    $crate::__read_until_all!(s, &want, false, one_by_one, &how);
                    join(writer).await;
                    $crate::cases::assert_balanced(&pool, &how);
                }
                // Lines that end where a transport read ends, read in turn lent (which leaves
                // the chunk it came from spent, on loan) and through `AsyncBufRead`, which must
                // go on past that chunk.
                let data: Vec<u8> =
                    (0..40).flat_map(|i| format!("line {i:02}\n").into_bytes()).collect();
                let script = $crate::faults::Script::new(data, 8, false);
                let mut s = ChunkedStream::with_options(script, options());
                let mut line = Vec::new();
                for i in 0..40 {
                    let want = format!("line {i:02}\n");
                    if i % 2 == 0 {
                        let lent = $crate::__within!("read_line_ref", s.read_line_ref(true));
                        assert_eq!(lent.unwrap().unwrap(), want.as_bytes(), "lent line {i}");
                    } else {
                        line.clear();
                        let n = $crate::__within!(
                            "read_until",
                            AsyncBufReadExt::read_until(&mut s, b'\n', &mut line)
                        );
                        assert_eq!((n.unwrap(), &line[..]), (8, want.as_bytes()), "line {i}");
                    }
                }
                line.clear();
                let end = AsyncBufReadExt::read_until(&mut s, b'\n', &mut line).await.unwrap();
                assert_eq!((end, line.len()), (0, 0), "the end");
                drop(s);
                $crate::cases::assert_balanced(&pool, "lent and buffered in turn");
            }
        }

        $crate::__test_fn! { $test
            /// The stream's `AsyncRead` (the runtime's `read`, `read_exact`), as its docs and
            /// the adapter kit's `poll_read_from` describe it: buffered bytes first; with
            /// nothing buffered, a read of at least a chunk goes straight from the transport
            /// into the caller's memory, taking no chunk from the pool. Every byte once, in
            /// order, whatever the mix of large reads, small ones and `read_exact`, from a
            /// transport giving one byte, 7 or all at a time, with hiccups, cancelled at
            /// `Pending` and called again, from a real peer one byte a write; then the end or
            /// the transport's error, every time, the pipe's own reads seeing it too.
            fn large_reads_skip_the_pipe() {
                use $crate::contract_cases::payload;
                let pool = $crate::cases::pool();
                let options = || $crate::cases::options(&pool, 64);
                // Straight through: a chunk's worth or more, nothing buffered, no chunk taken.
                let data = payload(100_000, 5);
                let script = $crate::faults::Script::new(data.clone(), usize::MAX, false);
                let mut s = ChunkedStream::with_options(script, options());
                let mut big = vec![0u8; 64 << 10];
                let n = $crate::__within!("read", AsyncReadExt::read(&mut s, &mut big)).unwrap();
                assert_eq!(n, 64 << 10, "one transport read, straight into the caller's buffer");
                assert_eq!(&big[..], &data[..n]);
                assert_eq!(s.buffered(), 0);
                assert_eq!(pool.stats().acquired, 0, "no chunk for a read past the pipe");
                // One byte under a chunk: through the pipe (a chunk taken, the rest buffered).
                let mut under = vec![0u8; (16 << 10) - 1];
                $crate::__within!("read", AsyncReadExt::read_exact(&mut s, &mut under)).unwrap();
                assert_eq!(&under[..], &data[n..n + under.len()]);
                assert!(pool.stats().acquired > 0, "a read under a chunk fills one");
                assert_eq!(s.buffered(), 1, "the rest of the 16 KiB chunk, buffered");
                let mut rest = Vec::new();
                $crate::__within!("read_to_end", AsyncReadExt::read_to_end(&mut s, &mut rest))
                    .unwrap();
                $crate::contract_cases::same_bytes(&rest, &data[n + under.len()..], "the rest");
                drop(s);
                $crate::cases::assert_balanced(&pool, "straight through");
                for reset in [false, true] {
                    for step in [1, 7, usize::MAX] {
                        for cancel in [false, true] {
                            let len = if step == 1 { 40_000 } else { 300_000 };
                            let data = payload(len, step as u64);
                            let script = $crate::faults::Script::new(data.clone(), step, reset);
                            let s = ChunkedStream::with_options(script, options());
                            let how = format!("reset {reset}, {step} a read, cancel {cancel}");
                            let cancelled =
                                $crate::__read_all_mixed!(s, &data, reset, cancel, &how);
                            // A read in pieces waits before each.
                            let waits = cancel && step < data.len();
                            assert!(!waits || cancelled > 0, "{how}: never cancelled");
                            $crate::cases::assert_balanced(&pool, &how);
                        }
                    }
                    for seed in 1..4 {
                        let data = payload(200_000, seed);
                        let fail_at = reset.then_some(data.len());
                        let faulty = $crate::faults::Faulty::new(data.clone(), fail_at, seed);
                        let s = ChunkedStream::with_options(faulty, options());
                        let how = format!("reset {reset}, faulty, seed {seed}");
                        $crate::__read_all_mixed!(s, &data, reset, seed == 2, &how);
                        $crate::cases::assert_balanced(&pool, &how);
                    }
                }
                // Idle after bytes came, the last of them read lent (the chunk stays until the
                // next call): a large read that waits holds no pooled chunk.
                let (mut peer, mut s) = $crate::__contract_tcp_pair!(options(), false);
                peer.write_all(b"0123456789\n").await.unwrap();
                let mut some = [0u8; 3];
                $crate::__within!("read_exact", AsyncReadExt::read_exact(&mut s, &mut some))
                    .unwrap();
                let line = $crate::__within!("read_line_ref", s.read_line_ref(false)).unwrap();
                assert_eq!(line.unwrap(), b"3456789");
                let read = AsyncReadExt::read(&mut s, &mut big);
                let waited = $crate::cases::reexport::futures_util::FutureExt::now_or_never(read);
                assert!(waited.is_none(), "nothing sent: the read waits");
                assert_eq!(pool.stats().outstanding_chunks, 0, "an idle stream holds no chunk");
                peer.write_all(b"more").await.unwrap();
                let n = $crate::__within!("read", AsyncReadExt::read(&mut s, &mut big)).unwrap();
                assert_eq!(&big[..n], b"more");
                drop((peer, s));
                $crate::cases::assert_balanced(&pool, "idle");
                // A real peer over loopback: one byte a write, then all at once.
                for one_by_one in [true, false] {
                    let data = payload(if one_by_one { 20_000 } else { 500_000 }, 9);
                    let (writer, s) = $crate::__tcp_sender!(options(), data.clone(), one_by_one);
                    let how = format!("tcp, one byte a write: {one_by_one}");
                    $crate::__read_all_mixed!(s, &data, false, one_by_one, &how);
                    join(writer).await;
                    $crate::cases::assert_balanced(&pool, &how);
                }
            }
        }

        $crate::__test_fn! { $test
            /// `shutdown()` half-closes a TCP stream: the peer reads what was sent, then the
            /// end, and our side still reads what the peer sends afterwards.
            fn shutdown_half_closes_tcp_streams() {
                let pool = $crate::cases::pool();
                let (mut peer, mut ours) =
                    $crate::__contract_tcp_pair!($crate::cases::options(&pool, 1 << 16), false);
                ours.write_all(b"hello").await.unwrap();
                $crate::__within!("shutdown", ours.shutdown()).unwrap();
                let mut got = Vec::new();
                $crate::__within!("read_to_end", peer.read_to_end(&mut got)).unwrap();
                assert_eq!(got, b"hello");
                peer.write_all(b"reply\n").await.unwrap();
                drop(peer);
                let line = $crate::__within!("read_line", ours.read_line(false)).unwrap();
                assert_eq!(line.unwrap(), "reply");
                assert_eq!($crate::__within!("read_line", ours.read_line(false)).unwrap(), None);
                drop(ours);
                $crate::cases::assert_balanced(&pool, "tcp");
            }
        }
    };
}

/// A connected loopback TCP pair of the runtime's sockets, `TCP_NODELAY` on both sides: (the
/// raw peer socket, our side wrapped with `$options`); with `$small` true, small socket buffers
/// so that writes wait often ([`cases::tcp_pair`](crate::cases::tcp_pair)).
#[doc(hidden)]
#[macro_export]
macro_rules! __contract_tcp_pair {
    ($options:expr, $small:expr) => {{
        let (peer, ours) = $crate::cases::tcp_pair($small);
        let (peer, ours) = (
            TcpStream::try_from(peer).unwrap(),
            TcpStream::try_from(ours).unwrap(),
        );
        (peer, ChunkedStream::with_options(ours, $options))
    }};
}

/// A loopback pair whose peer, in a task of its own, sends `$data` one byte a write (yielding
/// after each, so that a reader on the same thread gets in) or, unless `$one_by_one`, all at
/// once, then closes: evaluates to (the task, our `ChunkedStream` with `$options`).
#[doc(hidden)]
#[macro_export]
macro_rules! __tcp_sender {
    ($options:expr, $data:expr, $one_by_one:expr) => {{
        let (mut peer, s) = $crate::__contract_tcp_pair!($options, false);
        let (sent, one_by_one): (Vec<u8>, bool) = ($data, $one_by_one);
        let writer = spawn(async move {
            for piece in sent.chunks(if one_by_one { 1 } else { sent.len().max(1) }) {
                peer.write_all(piece).await.unwrap();
                if one_by_one {
                    yield_now().await; // let the reader in
                }
            }
        });
        (writer, s)
    }};
}

/// Reads everything from `$from` (with the runtime's `AsyncReadExt::read`), pausing 200 µs
/// after each read so that the writer waits often; evaluates to the bytes.
#[doc(hidden)]
#[macro_export]
macro_rules! __read_slowly {
    ($from:expr) => {{
        let mut from = $from;
        let (mut got, mut buf) = (Vec::new(), vec![0; 64 << 10]);
        loop {
            match AsyncReadExt::read(&mut from, &mut buf).await.unwrap() {
                0 => break got,
                n => got.extend_from_slice(&buf[..n]),
            }
            $crate::__sleep!(::std::time::Duration::from_micros(200));
        }
    }};
}

/// Awaits the reader task `$reader` and checks what it got (`$data`) and that at least ten
/// writes were cancelled midway.
#[doc(hidden)]
#[macro_export]
macro_rules! __check_received {
    ($reader:expr, $data:expr, $cancelled:expr, $what:expr) => {{
        let got = $crate::__within!($what, join($reader));
        $crate::contract_cases::same_bytes(&got, $data, $what);
        assert!($cancelled >= 10, "{}: {} cancellations", $what, $cancelled);
    }};
}

/// Writes `$data` in 256 KiB `IoSlice`s with `$w.write_vectored_all`, cancelling the future at
/// pseudo-random points (dropped after one poll, or raced against a timer of 0 to 300 µs) and
/// resuming with the same `bufs` each time; checks after every attempt that `bufs` holds
/// exactly the unsent rest. Evaluates to the number of cancellations that left bytes unsent.
#[doc(hidden)]
#[macro_export]
macro_rules! __write_with_cancellations {
    ($w:expr, $data:expr, $seed:expr) => {{
        use $crate::cases::reexport::futures_util::FutureExt;
        let data: &[u8] = $data;
        let mut slices: Vec<::std::io::IoSlice<'_>> = data
            .chunks(256 << 10)
            .map(::std::io::IoSlice::new)
            .collect();
        let mut bufs: &mut [::std::io::IoSlice<'_>] = &mut slices[..];
        let (mut rng, mut cancelled, mut left) =
            ($crate::contract_cases::Rng($seed), 0u32, data.len());
        for round in 0.. {
            let outcome = if round > 100_000 {
                Some($crate::__within!(
                    "an uncancelled write",
                    $w.write_vectored_all(&mut bufs)
                ))
            } else if rng.below(2) == 0 {
                $w.write_vectored_all(&mut bufs).now_or_never()
            } else {
                let timer = ::std::time::Duration::from_micros(rng.below(300));
                timeout(timer, $w.write_vectored_all(&mut bufs)).await.ok()
            };
            let now = $crate::contract_cases::check_rest(&*bufs, data);
            assert!(now <= left, "bufs grew back: {left} -> {now}");
            left = now;
            if let Some(result) = outcome {
                result.unwrap();
                assert!(bufs.is_empty(), "completed with {left} bytes unsent");
                break;
            }
            cancelled += u32::from(left > 0);
            yield_now().await;
        }
        cancelled
    }};
}

/// Drains the `lines()` stream `$lines` into [`Item`](crate::contract_cases::Item)s, failing if
/// it yields more than `$bound` items; checks that it stays ended.
#[doc(hidden)]
#[macro_export]
macro_rules! __drain_lines {
    ($lines:expr, $bound:expr) => {{
        use $crate::cases::reexport::futures_util::StreamExt;
        let (mut lines, mut got) = ($lines, Vec::new());
        while let Some(item) = $crate::__within!("lines().next()", lines.next()) {
            got.push($crate::contract_cases::classify(item));
            assert!(
                got.len() <= $bound,
                "the lines stream does not end: {got:?}"
            );
        }
        let after = $crate::__within!("next() after the end", lines.next());
        assert!(after.is_none(), "the stream stays ended");
        got
    }};
}

/// Reads the stream `$s` to its end with the runtime's `AsyncBufReadExt::read_until` into one
/// reused `Vec` and checks each line against `$want`; every fifth line longer than 3 bytes
/// starts with an `AsyncReadExt::read_exact` of 3 bytes. With `$cancel`, each `read_until` is
/// first polled once and dropped if `Pending` (its bytes stay in the `Vec`, as the runtime's
/// docs say), then called again. At the end: `Ok(0)` twice, or with `$reset` the transport's
/// `ConnectionReset` twice. Drops the stream; evaluates to the number of cancellations.
#[doc(hidden)]
#[macro_export]
macro_rules! __read_until_all {
    ($s:expr, $want:expr, $reset:expr, $cancel:expr, $how:expr) => {{
        let (want, reset, cancel, how): (&[&[u8]], bool, bool, &str) =
            ($want, $reset, $cancel, $how);
        let mut s = $s;
        let (mut line, mut got, mut cancelled) = (Vec::new(), 0, 0);
        let end = loop {
            line.clear();
            if got % 5 == 0 && want.get(got).is_some_and(|w| w.len() > 3) {
                let mut three = [0u8; 3];
                $crate::__within!(how, AsyncReadExt::read_exact(&mut s, &mut three)).unwrap();
                line.extend_from_slice(&three);
            }
            let outcome = loop {
                if cancel {
                    let once = ::std::time::Duration::ZERO;
                    match timeout(once, AsyncBufReadExt::read_until(&mut s, b'\n', &mut line)).await
                    {
                        Ok(outcome) => break outcome,
                        Err(_) => {
                            cancelled += 1;
                            yield_now().await; // let a writer on this thread in
                        }
                    }
                } else {
                    break $crate::__within!(
                        how,
                        AsyncBufReadExt::read_until(&mut s, b'\n', &mut line)
                    );
                }
            };
            match outcome {
                Ok(0) if line.is_empty() => break Ok(0),
                Ok(_) => {
                    let w = want
                        .get(got)
                        .unwrap_or_else(|| panic!("{how}: extra {line:?}"));
                    $crate::contract_cases::same_bytes(&line, w, &format!("{how}, line {got}"));
                    got += 1;
                }
                Err(e) => {
                    // The unended last line came before the error, into the `Vec`.
                    if !line.is_empty() {
                        let w = want
                            .get(got)
                            .unwrap_or_else(|| panic!("{how}: extra {line:?}"));
                        $crate::contract_cases::same_bytes(&line, w, &format!("{how}, last"));
                        got += 1;
                    }
                    break Err(e.kind());
                }
            }
        };
        assert_eq!(got, want.len(), "{how}: lines before the end");
        line.clear();
        let again = AsyncBufReadExt::read_until(&mut s, b'\n', &mut line).await;
        let again = again.map_err(|e| e.kind());
        if reset {
            let kind = Err(::std::io::ErrorKind::ConnectionReset);
            assert_eq!((end, again), (kind, kind), "{how}: the error, every time");
        } else {
            assert_eq!((end, again), (Ok(0), Ok(0)), "{how}: the end, every time");
        }
        assert!(line.is_empty(), "{how}: nothing after the end");
        drop(s);
        cancelled
    }};
}

/// Reads everything from the stream `$s` with the runtime's `AsyncReadExt`, four reads a
/// round: `read` into 64 KiB twice (the first takes what is buffered, the second, with nothing
/// buffered, goes past the pipe), `read` into 100 bytes (a fill through the pipe) and
/// `read_exact` of 3 bytes; with `$cancel`, each `read` is polled once, dropped if it waits
/// and called again. Checks the bytes against `$data`, then the end (`Ok(0)`) or, with
/// `$reset`, the transport's reset, twice, and that the pipe's `read_line` sees the same.
/// Evaluates to how many reads were cancelled.
#[doc(hidden)]
#[macro_export]
macro_rules! __read_all_mixed {
    ($s:expr, $data:expr, $reset:expr, $cancel:expr, $how:expr) => {{
        let (data, reset, cancel, how): (&[u8], bool, bool, &str) = ($data, $reset, $cancel, $how);
        let mut s = $s;
        let (mut got, mut big, mut small) = (Vec::new(), vec![0u8; 64 << 10], [0u8; 100]);
        let (mut turn, mut cancelled) = (0usize, 0usize);
        let end = loop {
            turn += 1;
            if turn % 4 == 0 {
                if data.len() - got.len() >= 3 {
                    let mut three = [0u8; 3];
                    $crate::__within!(how, AsyncReadExt::read_exact(&mut s, &mut three)).unwrap();
                    got.extend_from_slice(&three);
                }
                continue;
            }
            let buf: &mut [u8] = if turn % 4 == 3 { &mut small } else { &mut big };
            let outcome = loop {
                if cancel {
                    // Polled once, dropped if it waits.
                    let read = AsyncReadExt::read(&mut s, &mut *buf);
                    match $crate::cases::reexport::futures_util::FutureExt::now_or_never(read) {
                        Some(outcome) => break outcome,
                        None => {
                            cancelled += 1;
                            yield_now().await; // let a writer on this thread in
                        }
                    }
                } else {
                    break $crate::__within!(how, AsyncReadExt::read(&mut s, &mut *buf));
                }
            };
            match outcome {
                Ok(0) => break Ok(0),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => break Err(e.kind()),
            }
        };
        $crate::contract_cases::same_bytes(&got, data, how);
        assert!(
            s.pipe().is_closed(),
            "{how}: the end or the error kept in the pipe"
        );
        let again = AsyncReadExt::read(&mut s, &mut big)
            .await
            .map_err(|e| e.kind());
        let line = s.read_line(false).await;
        let line = line.map(|l| l.map(|l| l.len())).map_err(|e| e.kind());
        if reset {
            let kind = ::std::io::ErrorKind::ConnectionReset;
            assert_eq!(
                (end, again),
                (Err(kind), Err(kind)),
                "{how}: the error, every time"
            );
            assert_eq!(line, Err(kind), "{how}: the pipe's reads see the error");
        } else {
            assert_eq!((end, again), (Ok(0), Ok(0)), "{how}: the end, every time");
            assert_eq!(line, Ok(None), "{how}: the pipe's reads see the end");
        }
        drop(s);
        cancelled
    }};
}

/// Calls `fill_more` on the stream `$s` without consuming until all of `$want` is buffered: at
/// most one call per 1024 bytes; then the end (`Ok(0)`, twice), the bytes intact, a frame read
/// over the limit.
#[doc(hidden)]
#[macro_export]
macro_rules! __fill_all {
    ($s:expr, $want:expr, $what:expr) => {{
        let (want, what): (&[u8], &str) = ($want, $what);
        let (total, mut calls) = (want.len(), 0);
        while $s.buffered() < total {
            calls += 1;
            assert!(calls <= total / 1024, "{what}: {calls} calls");
            let before = $s.buffered();
            let n = $crate::__within!("fill_more", $s.fill_more()).unwrap();
            assert!(n > 0 && $s.buffered() == before + n, "{what}: {n}");
        }
        for _ in 0..2 {
            let n = $crate::__within!("fill_more", $s.fill_more()).unwrap();
            assert_eq!(n, 0, "{what}: the end");
        }
        let buffered: Vec<u8> = $s.pipe().chunks().flatten().copied().collect();
        $crate::contract_cases::same_bytes(&buffered, want, what);
        let err = $crate::__within!("read_line", $s.read_line(false)).unwrap_err();
        assert!(
            $crate::cases::is_limit(&err) && $s.buffered() == total,
            "{what}: {err:?}"
        );
    }};
}

/// The body of the `inproc_bursts_*` cases (see [`contract_tests!`](crate::contract_tests)),
/// run on both runners. Uses the including module's `pipe_with`, `spawn`, `join`, `timeout`
/// and `yield_now`.
#[doc(hidden)]
#[macro_export]
macro_rules! __inproc_bursts {
    () => {{
        use $crate::cases::reexport::futures_util::FutureExt;
        let pool = $crate::cases::pool();
        let (w, mut r) = pipe_with($crate::cases::inproc_options(&pool, 1 << 16)).unwrap();
        const LINES: usize = 40_000;
        let writer = spawn(async move {
            let mut rng = $crate::contract_cases::Rng(7);
            let mut w = w.into_inner(); // the runtime-free half: the pipe's own `write_all`
            let mut next = 0usize;
            while next < LINES {
                let burst = (1 + rng.below(400) as usize).min(LINES - next);
                let text: String = (next..next + burst)
                    .map(|i| format!("line {i}\n"))
                    .collect();
                next += burst;
                let mut rest = text.as_bytes();
                while !rest.is_empty() {
                    let k = (1 + rng.below(3000) as usize).min(rest.len());
                    w.write_all(&rest[..k]).await.unwrap();
                    rest = &rest[k..];
                }
                match rng.below(4) {
                    0 => {}
                    1 => {
                        for _ in 0..rng.below(20) {
                            yield_now().await;
                        }
                    }
                    _ => $crate::__sleep!(::std::time::Duration::from_micros(rng.below(2000))),
                }
            }
        });
        let reading = async {
            let mut rng = $crate::contract_cases::Rng(11);
            for i in 0..LINES {
                let line = if rng.below(2) == 0 {
                    r.read_line(false).await
                } else {
                    // Polled once and dropped while not ready, until it is.
                    loop {
                        if let Some(out) = r.read_line(false).now_or_never() {
                            break out;
                        }
                        yield_now().await;
                    }
                };
                let line = line
                    .unwrap()
                    .unwrap_or_else(|| panic!("the end at line {i}"));
                assert_eq!(line, format!("line {i}").as_bytes(), "line {i}");
            }
            assert!(r.read_line(false).await.unwrap().is_none(), "then the end");
        };
        let ((), ()) = ($crate::__within!("the reader", reading), join(writer).await);
        drop(r);
        $crate::cases::assert_balanced(&pool, "in-process");
    }};
}
