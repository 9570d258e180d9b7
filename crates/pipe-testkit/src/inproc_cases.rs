//! The in-process pipe (`pipe`, `pipe_with`, `PipeWriter`, `PipeReader`) tested as a user who
//! has only its documentation, written once for every runtime: errors (once and again, nothing
//! lost before them), cancellation at `Pending` (every byte once, in order), each limit one
//! under, at and one over, `max_spin` at its default, zero, 10 ms and huge, the reader or the
//! writer going, and the pool balanced at the end. Each adapter's `tests/inproc.rs` invokes
//! [`inproc_tests!`](crate::inproc_tests) once per runtime (and its `runtime_free` arm once);
//! the runtime-free parts are here. Timeouts only guard against hangs: no check depends on
//! timing.

use std::io::{self, ErrorKind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Wake, Waker};
use std::time::Duration;

use pipe_core::{AsyncPipeOptions, Pool, ReadError, read_error_of};

/// What the test bodies of [`inproc_tests!`](crate::inproc_tests) name, imported by each of
/// them: the std items, the pipe's option and error types, this module's helpers, and the test
/// kit's macros under short names (`within!`, `sleep!`, `cancelling!`).
pub mod prelude {
    pub use std::future::Future;
    pub use std::io::{self, ErrorKind, IoSlice};
    pub use std::pin::pin;
    pub use std::sync::Arc;
    pub use std::task::{Context, Poll};
    pub use std::time::Duration;

    pub use futures_util::{StreamExt, future, poll};
    pub use pipe_core::{
        AsyncPipeOptions, Bytes, PipeOptions, Pool, PoolConfig, ReadError, UNLIMITED, WriteError,
        read_error_of,
    };

    pub use super::{
        DEFAULT_SPIN, DelimitedCase, MAX, SPIN_10MS, Transfer, WaitIn, ZERO_SPIN, assert_balanced,
        assert_limit, assert_reset, assert_same_lines, bytewise, cat, corpus, counting, limited,
        mentions, options, pieces, rnd, strip_ending, wakes, with_spin, xs,
    };
    pub use crate::cases::pool;
    pub use crate::{__inproc_cancelling as cancelling, __sleep as sleep, __within as within};
}

/// Options on `pool`, the rest at the defaults.
pub fn options(pool: &Pool) -> AsyncPipeOptions {
    AsyncPipeOptions::new().pool(pool.clone())
}

/// Options on `pool` with the maximum frame and the backpressure thresholds.
pub fn limited(pool: &Pool, max_frame: usize, pause: usize, resume: usize) -> AsyncPipeOptions {
    options(pool)
        .max_frame(max_frame)
        .pause(pause)
        .resume(resume)
}

/// `options` with `max_spin(spin)`, or as they are for `None` (the default spin).
pub fn with_spin(options: AsyncPipeOptions, spin: Option<Duration>) -> AsyncPipeOptions {
    match spin {
        Some(spin) => options.max_spin(spin),
        None => options,
    }
}

/// Panics unless every chunk of `pool` came back.
#[track_caller]
pub fn assert_balanced(pool: &Pool) {
    let stats = pool.stats();
    assert_eq!(stats.outstanding_chunks, 0, "pool not balanced: {stats:?}");
}

/// The next pseudo-random number of the sequence in `s` (a linear congruential generator; the
/// high bits).
pub fn rnd(s: &mut u64) -> u64 {
    *s = s
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *s >> 33
}

/// `n` lines of varied lengths (some empty, some of a few KiB), a third ending in `\r\n`: the
/// bytes, and the lines without their endings.
pub fn corpus(n: usize, seed: u64) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut s = seed;
    let mut bytes = Vec::new();
    let mut lines = Vec::new();
    for i in 0..n {
        let len = match rnd(&mut s) % 10 {
            0 => 0,
            1..=6 => rnd(&mut s) % 40,
            7 | 8 => rnd(&mut s) % 400,
            _ => rnd(&mut s) % 4000,
        } as usize;
        let mut line = if len == 0 {
            Vec::new()
        } else {
            format!("{i}:").into_bytes()
        };
        line.extend((0..len).map(|j| b'a' + ((i + j) % 26) as u8));
        bytes.extend_from_slice(&line);
        bytes.extend_from_slice(if rnd(&mut s).is_multiple_of(3) {
            b"\r\n"
        } else {
            b"\n"
        });
        lines.push(line);
    }
    (bytes, lines)
}

/// `line` without its `\n` or `\r\n` (which it must end with).
pub fn strip_ending(mut line: Vec<u8>) -> Vec<u8> {
    assert_eq!(line.pop(), Some(b'\n'));
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    line
}

/// Panics at the first line that differs (printed), or if the counts differ.
#[track_caller]
pub fn assert_same_lines(got: &[Vec<u8>], expect: &[Vec<u8>]) {
    if let Some(i) = (0..got.len().min(expect.len())).find(|&i| got[i] != expect[i]) {
        panic!(
            "line {i} differs: got {:?}, expected {:?}",
            String::from_utf8_lossy(&got[i]),
            String::from_utf8_lossy(&expect[i])
        );
    }
    assert_eq!(got.len(), expect.len(), "line count");
}

/// One transfer between two tasks (see `transfer` in [`inproc_tests!`](crate::inproc_tests)).
#[derive(Clone, Copy, Debug)]
pub struct Transfer {
    /// `max_spin`, or `None` for the default.
    pub spin: Option<Duration>,
    /// The pause threshold.
    pub pause: usize,
    /// The resume threshold.
    pub resume: usize,
    /// Written a byte at a time (else in pieces of up to 700 bytes).
    pub bytewise: bool,
    /// The number of lines of the [`corpus`].
    pub lines: usize,
    /// The seed of the corpus, the writes and the reads.
    pub seed: u64,
}

/// The default `max_spin`.
pub const DEFAULT_SPIN: Option<Duration> = None;
/// A `max_spin` of zero: park at once.
pub const ZERO_SPIN: Option<Duration> = Some(Duration::ZERO);
/// A `max_spin` of 10 ms.
pub const SPIN_10MS: Option<Duration> = Some(Duration::from_millis(10));

/// A transfer of 300 lines written in pieces.
pub const fn pieces(spin: Option<Duration>, pause: usize, resume: usize, seed: u64) -> Transfer {
    Transfer {
        spin,
        pause,
        resume,
        bytewise: false,
        lines: 300,
        seed,
    }
}

/// A transfer of 40 lines written a byte at a time.
pub const fn bytewise(spin: Option<Duration>, pause: usize, resume: usize, seed: u64) -> Transfer {
    Transfer {
        spin,
        pause,
        resume,
        bytewise: true,
        lines: 40,
        seed,
    }
}

/// Whether `e`'s message or any of its sources mentions `text`.
pub fn mentions(e: &(dyn std::error::Error + 'static), text: &str) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.to_string().contains(text) {
            return true;
        }
        cur = err.source();
    }
    false
}

/// Panics unless `e` is the writer's `ConnectionReset` "upstream gone".
#[track_caller]
pub fn assert_reset(e: &io::Error) {
    assert_eq!(e.kind(), ErrorKind::ConnectionReset, "{e:?}");
    assert!(
        mentions(e, "upstream gone"),
        "not the writer's error: {e:?}"
    );
}

/// `n` bytes `x`.
pub fn xs(n: usize) -> Vec<u8> {
    vec![b'x'; n]
}

/// The parts, one after the other.
pub fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Panics unless `e` is a frame over the maximum frame size `limit`.
#[track_caller]
pub fn assert_limit(e: &io::Error, limit: usize) {
    assert_eq!(e.kind(), ErrorKind::InvalidData, "{e:?}");
    assert!(
        matches!(read_error_of(e), Some(ReadError::LimitExceeded { limit: l, .. }) if *l == limit),
        "{e:?}"
    );
}

/// The maximum frame of the byte-by-byte limit cases.
pub const MAX: usize = 16;

/// (separator, input, `Some(frame)` or `None` for over the limit, bytes fed when ready)
pub type DelimitedCase = (&'static [u8], Vec<u8>, Option<Vec<u8>>, usize);

/// Where a writer waits for room when its reader goes.
#[derive(Clone, Copy, Debug)]
pub enum WaitIn {
    /// `flush` after a `write_now` past `pause`.
    Flush,
    /// The pipe's own `write_all`.
    WriteAll,
    /// `write_vectored_all`.
    WriteVectoredAll,
    /// The runtime's `AsyncWriteExt::write_all`.
    AsyncWriteTrait,
}

/// A waker that counts its wakes.
#[derive(Debug, Default)]
pub struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A [`CountingWaker`] and a `Waker` of it.
pub fn counting() -> (Arc<CountingWaker>, Waker) {
    let count = Arc::new(CountingWaker::default());
    let waker = Waker::from(count.clone());
    (count, waker)
}

/// How many times `c` was woken.
pub fn wakes(c: &CountingWaker) -> usize {
    c.0.load(Ordering::SeqCst)
}

/// The test functions (see the module documentation), in two invocations:
///
/// - `inproc_tests!(runtime_free)`, once per test file: the two checks that need no runtime
///   (`pipe_with`'s checks of its options; the halves and their futures are `Send`).
/// - `inproc_tests!(test: runner, threaded: runner, one_thread: runner)` once per runtime
///   (`one_thread` may be left out), with the runners as [`cases`](crate::cases) describes
///   them. `test` runs the cases of one task (most of them; three start a writer task too):
///   a single-threaded runner where the runtime has one. The concurrent cases (a writer task
///   and a reader, or a read polled by hand against the reader's spin) run in a module
///   `threaded` on `threaded` (worker threads) and, with `one_thread`, again in a module
///   `one_thread` on it (every task on the test thread). A hang fails a test after 30 s.
///
/// The including module names (see [`cases`](crate::cases) for the usual ones):
///
/// - `pipe`, `pipe_with`, `PipeWriter`, `PipeReader`: the adapter's in-process pipe.
/// - `AsyncReadExt`, `AsyncWriteExt`: the runtime's I/O extension traits (`read`; `write`,
///   `write_all`, `flush`).
/// - `spawn`, `join`, `timeout`, `yield_now`: as [`cases`](crate::cases) says; `spawn` starts
///   the task on the runner's executor (on the test thread for a one-thread runner).
/// - `cancel(task).await`: stops a task `spawn` started and waits until its future is dropped;
///   `None`, or `Some(output)` if it had finished first.
/// - `close(&mut writer).await`: the runtime's `AsyncWrite` close of a `PipeWriter` (tokio's
///   `AsyncWriteExt::shutdown`, futures-io's `AsyncWriteExt::close`): `io::Result<()>`.
/// - `copy(&mut reader, &mut writer).await`: the runtime's copy (`tokio::io::copy`,
///   `futures_util::io::copy`) from a `&mut &[u8]` or a `&mut PipeReader` into a
///   `&mut PipeWriter` or a `&mut Vec<u8>`: `io::Result<u64>`.
///
/// It defines, next to the tests, a module `__inproc` (the helpers on the adapter's halves
/// and the concurrent cases) and the modules `threaded` and `one_thread`; the test bodies
/// import [`prelude`](crate::inproc_cases::prelude).
#[macro_export]
macro_rules! inproc_tests {
    (runtime_free) => {
        /// `pipe_with` refuses a `pause` of 0 or not above `resume` (`InvalidInput`), in
        /// whatever order they were set; every `max_spin` is accepted.
        #[test]
        fn pipe_with_checks_pause_and_resume() {
            use $crate::inproc_cases::prelude::*;
            let check = |pause: usize, resume: usize| {
                pipe_with(AsyncPipeOptions::new().pause(pause).resume(resume)).map(|_| ())
            };
            assert_eq!(check(0, 0).unwrap_err().kind(), ErrorKind::InvalidInput);
            assert_eq!(check(10, 10).unwrap_err().kind(), ErrorKind::InvalidInput);
            assert_eq!(check(10, 11).unwrap_err().kind(), ErrorKind::InvalidInput);
            assert!(check(11, 10).is_ok());
            assert!(check(1, 0).is_ok());
            assert!(check(usize::MAX, 0).is_ok());
            assert!(check(usize::MAX, usize::MAX - 1).is_ok());
            // pause 0 is refused whatever resume says.
            assert_eq!(
                pipe_with(AsyncPipeOptions::new().resume(0).pause(0))
                    .map(|_| ())
                    .unwrap_err()
                    .kind(),
                ErrorKind::InvalidInput
            );
            for spin in [Duration::ZERO, Duration::from_nanos(1), Duration::MAX] {
                assert!(pipe_with(AsyncPipeOptions::new().max_spin(spin)).is_ok());
            }
        }

        /// The halves and their futures are `Send`.
        #[test]
        fn the_halves_and_their_futures_are_send() {
            fn send<T: Send>(_: &T) {}
            let (mut w, mut r) = pipe();
            send(&w.flush());
            send(&w.write_all(b""));
            send(&r.read_line(false));
            send(&r.fill_more());
            send(&r.read_lines_with(false, |_| ()));
            send(&w);
            send(&r);
        }
    };
    (test: $test:tt, threaded: $threaded:tt $(, one_thread: $one_thread:tt)? $(,)?) => {
        /// The helpers on the adapter's halves, and the concurrent cases the modules
        /// `threaded` and `one_thread` run.
        mod __inproc {
            use super::{
                AsyncReadExt, AsyncWriteExt, PipeReader, PipeWriter, cancel, close, join,
                pipe_with, spawn, timeout, yield_now,
            };
            use $crate::inproc_cases::prelude::*;

            /// Writes `data` in pieces of 1 to 700 bytes, each by one of the documented ways (in
            /// place, `write_all`, `write_vectored_all`, `write_now` + `flush`), yielding now and
            /// then.
            pub async fn write_in_pieces(
                w: &mut PipeWriter,
                data: &[u8],
                seed: u64,
            ) -> io::Result<()> {
                let mut s = seed;
                let mut rest = data;
                while !rest.is_empty() {
                    let n = (1 + rnd(&mut s) as usize % 700).min(rest.len());
                    let (piece, tail) = rest.split_at(n);
                    match rnd(&mut s) % 4 {
                        0 => {
                            {
                                let mut buf = w.get_buffer(n).map_err(io::Error::from)?;
                                assert!(buf.len() >= n);
                                buf[..n].copy_from_slice(piece);
                                buf.commit(n).map_err(io::Error::from)?;
                            }
                            w.flush().await?;
                        }
                        1 => w.write_all(piece).await?,
                        2 => {
                            let mut slices =
                                [IoSlice::new(&piece[..n / 2]), IoSlice::new(&piece[n / 2..])];
                            let mut bufs = &mut slices[..];
                            w.write_vectored_all(&mut bufs).await?;
                            assert!(bufs.is_empty());
                        }
                        _ => {
                            w.write_now(piece).map_err(io::Error::from)?;
                            w.flush().await?;
                        }
                    }
                    if rnd(&mut s).is_multiple_of(8) {
                        yield_now().await;
                    }
                    rest = tail;
                }
                Ok(())
            }

            /// Writes `data` one byte at a time, yielding after each.
            pub async fn write_bytewise(w: &mut PipeWriter, data: &[u8]) -> io::Result<()> {
                for b in data {
                    w.write_all(std::slice::from_ref(b)).await?;
                    yield_now().await;
                }
                Ok(())
            }

            /// Reads every line into `out` with a mix of the documented reads, each dropped at
            /// `Pending` most times; `Ok` at the clean end.
            pub async fn read_mixed_cancelling(
                r: &mut PipeReader,
                seed: u64,
                out: &mut Vec<Vec<u8>>,
            ) -> io::Result<()> {
                let mut k = seed;
                loop {
                    match rnd(&mut k) % 6 {
                        0 => match cancelling!(k, r.read_line(false))? {
                            Some(line) => out.push(line.to_vec()),
                            None => return Ok(()),
                        },
                        1 => match cancelling!(k, r.read_until(b"\n", true))? {
                            Some(line) => out.push(strip_ending(line.to_vec())),
                            None => return Ok(()),
                        },
                        2 => {
                            let n = cancelling!(
                                k,
                                r.read_lines_with(false, |l| out.push(l.to_vec()))
                            )?;
                            if n == 0 {
                                return Ok(());
                            }
                        }
                        3 => loop {
                            let read = r.with_pipe(|p| p.read_line_ref(false).map(<[u8]>::to_vec));
                            match read {
                                Ok(line) => {
                                    out.push(line);
                                    break;
                                }
                                Err(ReadError::NeedMore) => {
                                    cancelling!(k, r.fill_more())?;
                                }
                                Err(ReadError::End) => return Ok(()),
                                Err(e) => return Err(e.into()),
                            }
                        },
                        4 => {
                            let peeked = cancelling!(k, r.peek(1))?;
                            match peeked {
                                Some(b) => assert_eq!(b.len(), 1),
                                None => {
                                    assert_eq!(r.read_line(false).await?, None);
                                    return Ok(());
                                }
                            }
                            let line = r.read_line(false).await?.expect("a line after a peek");
                            out.push(line.to_vec());
                        }
                        _ => {
                            if cancelling!(k, r.fill_at_least(1))? {
                                assert!(r.buffered() >= 1);
                            }
                        }
                    }
                }
            }

            /// Feeds `input` a byte at a time with `write_now`, polling the same read after each
            /// byte (and once before); how many bytes were fed when it was ready, and its output.
            pub async fn fed_until_ready<T>(
                w: &mut PipeWriter,
                input: &[u8],
                read: impl Future<Output = T>,
            ) -> (usize, T) {
                let mut read = pin!(read);
                if let Poll::Ready(v) = poll!(read.as_mut()) {
                    return (0, v);
                }
                for (i, b) in input.iter().enumerate() {
                    w.write_now(std::slice::from_ref(b)).unwrap();
                    if let Poll::Ready(v) = poll!(read.as_mut()) {
                        return (i + 1, v);
                    }
                }
                panic!(
                    "not ready after all of {:?}",
                    String::from_utf8_lossy(input)
                );
            }

            /// Feeds `input` a byte at a time, with a new read future after each byte (the old one
            /// dropped at `Pending`).
            pub async fn fed_until_ready_recreated(
                w: &mut PipeWriter,
                r: &mut PipeReader,
                input: &[u8],
                with_ending: bool,
            ) -> (usize, io::Result<Option<Bytes>>) {
                if let Poll::Ready(v) = poll!(pin!(r.read_line(with_ending))) {
                    return (0, v);
                }
                for (i, b) in input.iter().enumerate() {
                    w.write_now(std::slice::from_ref(b)).unwrap();
                    if let Poll::Ready(v) = poll!(pin!(r.read_line(with_ending))) {
                        return (i + 1, v);
                    }
                }
                panic!(
                    "not ready after all of {:?}",
                    String::from_utf8_lossy(input)
                );
            }

            // ------------------------------------------------------------------------------------
            // Two tasks, every line once, in order, under cancellation, for each max_spin.

            /// A writer task writes a [`corpus`] (in pieces by every documented way, or a byte at
            /// a time); the reader reads it with every documented read, dropped at `Pending` most
            /// times: every line once, in order, and the end stays the end.
            pub async fn transfer(t: Transfer) {
                let pool = pool();
                let opts = with_spin(options(&pool).pause(t.pause).resume(t.resume), t.spin);
                let (mut w, mut r) = pipe_with(opts).unwrap();
                let (bytes, expect) = corpus(t.lines, t.seed);
                let writer = spawn(async move {
                    if t.bytewise {
                        write_bytewise(&mut w, &bytes).await?;
                    } else {
                        write_in_pieces(&mut w, &bytes, t.seed).await?;
                    }
                    w.complete();
                    Ok::<_, io::Error>(())
                });
                let mut got = Vec::new();
                read_mixed_cancelling(&mut r, t.seed ^ 0x5bd1e995, &mut got)
                    .await
                    .unwrap();
                join(writer).await.unwrap();
                assert_same_lines(&got, &expect);
                // The end stays the end.
                assert_eq!(r.read_line(false).await.unwrap(), None);
                assert_eq!(r.read_to_end().await.unwrap(), "");
                drop(r);
                assert_balanced(&pool);
            }

            /// A writer that sends bursts of lines with gaps around 10 ms (and drops itself at the
            /// end instead of completing): every line once, and the reads complete, whatever
            /// `max_spin`.
            pub async fn lines_with_gaps(spin: Option<Duration>) {
                let pool = pool();
                let (mut w, mut r) = pipe_with(with_spin(options(&pool), spin)).unwrap();
                let gaps = [0u64, 0, 1, 3, 12, 20];
                let writer = spawn(async move {
                    for burst in 0..18 {
                        for i in 0..=burst % 4 {
                            w.write_all(format!("burst {burst} line {i}\n").as_bytes())
                                .await?;
                        }
                        sleep!(Duration::from_millis(gaps[burst % gaps.len()]));
                    }
                    drop(w); // completes the write side, as documented
                    Ok::<_, io::Error>(())
                });
                let mut got = Vec::new();
                let mut k = 77u64;
                loop {
                    if rnd(&mut k).is_multiple_of(2) {
                        match r.read_line(false).await.unwrap() {
                            Some(line) => got.push(line.to_vec()),
                            None => break,
                        }
                    } else if r
                        .read_lines_with(false, |l| got.push(l.to_vec()))
                        .await
                        .unwrap()
                        == 0
                    {
                        break;
                    }
                }
                join(writer).await.unwrap();
                let expect: Vec<Vec<u8>> = (0..18)
                    .flat_map(|burst| {
                        (0..=burst % 4)
                            .map(move |i| format!("burst {burst} line {i}").into_bytes())
                    })
                    .collect();
                assert_same_lines(&got, &expect);
                drop(r);
                assert_balanced(&pool);
            }

            // ------------------------------------------------------------------------------------
            // The writer's error, the writer going.

            /// The writer's lines, then a partial line, then its error, on another task, read with
            /// cancellations: every line once, then the error; the partial line is still readable.
            pub async fn error_after_lines_reaches_a_cancelling_reader(spin: Option<Duration>) {
                let pool = pool();
                let (mut w, mut r) =
                    pipe_with(with_spin(options(&pool).pause(1024).resume(256), spin)).unwrap();
                let (bytes, expect) = corpus(150, 21);
                let writer = spawn(async move {
                    write_in_pieces(&mut w, &bytes, 21).await?;
                    write_bytewise(&mut w, b"tail").await?;
                    w.complete_with_error(io::Error::new(ErrorKind::ConnectionAborted, "boom"));
                    Ok::<_, io::Error>(())
                });
                let mut got = Vec::new();
                let err = read_mixed_cancelling(&mut r, 99, &mut got)
                    .await
                    .unwrap_err();
                join(writer).await.unwrap();
                assert_eq!(err.kind(), ErrorKind::ConnectionAborted, "{err:?}");
                assert_same_lines(&got, &expect);
                // Nothing lost before the error: the partial line is buffered and readable.
                assert_eq!(
                    r.read_line(false).await.unwrap_err().kind(),
                    ErrorKind::ConnectionAborted
                );
                assert_eq!(r.read_at_most(100).await.unwrap().unwrap(), "tail");
                assert_eq!(
                    r.read_at_most(100).await.unwrap_err().kind(),
                    ErrorKind::ConnectionAborted
                );
                drop(r);
                assert_balanced(&pool);
            }

            /// A reader waiting on another task sees the end when the writer is dropped, and the
            /// bytes before it.
            pub async fn dropped_writer_wakes_a_waiting_reader(spin: Option<Duration>) {
                let pool = pool();
                let (mut w, mut r) = pipe_with(with_spin(options(&pool), spin)).unwrap();
                let reader = spawn(async move {
                    let mut got = Vec::new();
                    while let Some(line) = r.read_line(false).await? {
                        got.push(line.to_vec());
                    }
                    let end = r.read_line(false).await?;
                    Ok::<_, io::Error>((got, end))
                });
                for i in 0..5 {
                    w.write_all(format!("{i}\n").as_bytes()).await.unwrap();
                    yield_now().await;
                }
                sleep!(Duration::from_millis(2));
                drop(w);
                let (got, end) = join(reader).await.unwrap();
                assert_eq!(got, [b"0", b"1", b"2", b"3", b"4"]);
                assert_eq!(end, None);
                assert_balanced(&pool);
            }

            // ------------------------------------------------------------------------------------
            // The reader going.

            /// The writer waits for room (more than `pause` bytes to write); the reader is dropped
            /// (or completes): the writer gets `BrokenPipe` and does not hang; its next calls fail
            /// with `ReaderGone`; the reader's bytes went back to the pool.
            pub async fn reader_goes_while_the_writer_waits(how: WaitIn, complete: bool) {
                let pool = pool();
                let (mut w, r) = pipe_with(options(&pool).pause(4096).resume(1024)).unwrap();
                let data = vec![b'z'; 20_000];
                let writer = spawn(async move {
                    let res = match how {
                        WaitIn::Flush => {
                            w.write_now(&data).unwrap();
                            w.flush().await
                        }
                        WaitIn::WriteAll => w.write_all(&data).await,
                        WaitIn::WriteVectoredAll => {
                            let mut slices =
                                [IoSlice::new(&data[..5000]), IoSlice::new(&data[5000..])];
                            let mut bufs = &mut slices[..];
                            w.write_vectored_all(&mut bufs).await
                        }
                        WaitIn::AsyncWriteTrait => AsyncWriteExt::write_all(&mut w, &data).await,
                    };
                    (w, res)
                });
                while r.buffered() < 4096 {
                    yield_now().await;
                }
                yield_now().await;
                if complete {
                    r.complete();
                } else {
                    drop(r);
                }
                let (mut w, res) = join(writer).await;
                let err = res.unwrap_err();
                assert_eq!(err.kind(), ErrorKind::BrokenPipe, "{how:?}: {err:?}");
                assert!(w.is_reader_gone());
                // The reader's bytes are back in the pool, though the writer is still here.
                assert_balanced(&pool);
                assert_eq!(w.write_now(b"x").unwrap_err(), WriteError::ReaderGone);
                assert!(matches!(w.get_buffer(1), Err(WriteError::ReaderGone)));
                assert!(matches!(w.buffer_written(1), Err(WriteError::ReaderGone)));
                assert_eq!(w.flush().await.unwrap_err().kind(), ErrorKind::BrokenPipe);
                assert_eq!(
                    w.write_all(b"x").await.unwrap_err().kind(),
                    ErrorKind::BrokenPipe
                );
                let mut slices = [IoSlice::new(b"x")];
                let mut bufs = &mut slices[..];
                assert_eq!(
                    w.write_vectored_all(&mut bufs).await.unwrap_err().kind(),
                    ErrorKind::BrokenPipe
                );
                assert_eq!(
                    AsyncWriteExt::write(&mut w, b"x").await.unwrap_err().kind(),
                    ErrorKind::BrokenPipe
                );
                drop(w);
                assert_balanced(&pool);
            }

            /// A writer task paused in `flush` at `pause` is woken when the reader brings the pipe
            /// down to `resume`.
            pub async fn a_writer_paused_at_pause_is_woken_at_resume() {
                let (mut w, mut r) =
                    pipe_with(AsyncPipeOptions::new().pause(100).resume(40)).unwrap();
                w.write_now(&[b'a'; 100]).unwrap();
                let writer = spawn(async move {
                    w.flush().await?;
                    Ok::<_, io::Error>(w.unread())
                });
                assert_eq!(r.read_exact(60).await.unwrap().unwrap().len(), 60);
                assert!(join(writer).await.unwrap() <= 40);
            }

            // ------------------------------------------------------------------------------------
            // The maximum frame.

            /// `lines()` with its `next()` dropped at `Pending` over and over, fed a byte at a
            /// time from another task, lines over the limit included: every line once, one error
            /// per long line.
            pub async fn lines_stream_cancelled(spin: Option<Duration>) {
                let pool = pool();
                let (mut w, r) = pipe_with(with_spin(limited(&pool, 64, 32, 8), spin)).unwrap();
                let mut input = Vec::new();
                let mut expect: Vec<Result<Vec<u8>, ()>> = Vec::new();
                for i in 0..60 {
                    if i % 7 == 3 {
                        input.extend_from_slice(&xs(65 + i));
                        input.extend_from_slice(b"\r\n");
                        expect.push(Err(()));
                    } else {
                        let line = format!("line {i} {}", "y".repeat(i % 50)).into_bytes();
                        input.extend_from_slice(&line);
                        input.extend_from_slice(b"\n");
                        expect.push(Ok(line));
                    }
                }
                let writer = spawn(async move {
                    write_bytewise(&mut w, &input).await?;
                    w.complete();
                    Ok::<_, io::Error>(())
                });
                let mut lines = r.lines(false);
                let mut got = Vec::new();
                let mut k = 5u64;
                while let Some(item) = cancelling!(k, lines.next()) {
                    got.push(match item {
                        Ok(line) => Ok(line.to_vec()),
                        Err(e) => {
                            assert_limit(&e, 64);
                            Err(())
                        }
                    });
                }
                join(writer).await.unwrap();
                assert_eq!(got.len(), expect.len());
                for (i, (g, e)) in got.iter().zip(&expect).enumerate() {
                    assert_eq!(g, e, "item {i}");
                }
                drop(lines);
                assert_balanced(&pool);
            }

            // ------------------------------------------------------------------------------------
            // Frames larger than `pause`, with the writer on another task.

            /// Frames one under, at and one over a maximum frame of 1000 with `pause` at 64,
            /// written by another task (with `write_all`, or a byte at a time): each read gets its
            /// frame, or the limit (again, nothing consumed) and `discard_until` goes on past it.
            pub async fn frames_larger_than_pause(bytewise: bool, spin: Option<Duration>) {
                const M: usize = 1000;
                let pool = pool();
                let (mut w, mut r) =
                    pipe_with(with_spin(limited(&pool, M, 64, 32), spin)).unwrap();
                let ys = |n| vec![b'y'; n];
                let parts: Vec<Vec<u8>> = vec![
                    cat(&[&xs(M - 1), b"\n"]),
                    cat(&[&xs(M), b"\n"]),
                    cat(&[&xs(M), b"\r\n"]),
                    cat(&[&xs(M + 1), b"\n"]),
                    b"ok\n".to_vec(),
                    cat(&[&ys(M), b"<END>"]),
                    cat(&[&ys(M + 1), b"<END>"]),
                    b"fin<END>".to_vec(),
                    vec![b'e'; M],
                    vec![b'f'; M],
                ];
                let writer = spawn(async move {
                    for part in parts {
                        if bytewise {
                            write_bytewise(&mut w, &part).await?;
                        } else {
                            w.write_all(&part).await?;
                        }
                    }
                    w.complete();
                    Ok::<_, io::Error>(())
                });
                assert_eq!(r.read_line(false).await.unwrap().unwrap(), xs(M - 1));
                assert_eq!(r.read_line(false).await.unwrap().unwrap(), xs(M));
                assert_eq!(r.read_line(false).await.unwrap().unwrap(), xs(M));
                assert_limit(&r.read_line(false).await.unwrap_err(), M);
                assert_limit(&r.read_line(false).await.unwrap_err(), M);
                assert_eq!(r.discard_until(b"\n").await.unwrap(), M + 2);
                assert_eq!(r.read_line(false).await.unwrap().unwrap(), "ok");
                assert_eq!(r.read_until(b"<END>", false).await.unwrap().unwrap(), ys(M));
                assert_limit(&r.read_until(b"<END>", false).await.unwrap_err(), M);
                assert_eq!(r.discard_until(b"<END>").await.unwrap(), M + 6);
                assert_eq!(
                    r.read_until(b"<END>", true).await.unwrap().unwrap(),
                    "fin<END>"
                );
                assert_limit(&r.read_exact(M + 1).await.unwrap_err(), M);
                assert_eq!(r.read_exact(M).await.unwrap().unwrap(), vec![b'e'; M]);
                assert_limit(&r.fill_at_least(M + 1).await.unwrap_err(), M);
                assert!(r.fill_at_least(M).await.unwrap());
                assert_eq!(r.read_exact(M).await.unwrap().unwrap(), vec![b'f'; M]);
                assert_eq!(r.read_line(false).await.unwrap(), None);
                join(writer).await.unwrap();
                drop(r);
                assert_balanced(&pool);
            }

            /// `read_to_end` of `len` bytes written with `write_all` (which flushes) by another
            /// task, then the writer dropped: the bytes up to the maximum frame, `InvalidData`
            /// past it (nothing consumed, and no hang).
            pub async fn read_to_end_with_backpressure(
                len: usize,
                opts: AsyncPipeOptions,
                max_frame: usize,
            ) {
                let (mut w, mut r) = pipe_with(opts).unwrap();
                let data: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
                let sent = data.clone();
                let writer = spawn(async move {
                    w.write_all(&sent).await?;
                    drop(w);
                    Ok::<_, io::Error>(())
                });
                match r.read_to_end().await {
                    Ok(all) => {
                        assert!(
                            len <= max_frame,
                            "{len} bytes over a limit of {max_frame} accepted"
                        );
                        assert!(all == data, "read_to_end: wrong bytes");
                    }
                    Err(e) => {
                        assert!(
                            len > max_frame,
                            "{len} bytes within the limit of {max_frame}: {e:?}"
                        );
                        assert_limit(&e, max_frame);
                        let mut got = Vec::new();
                        while let Some(b) = r.read_at_most(4096).await.unwrap() {
                            got.extend_from_slice(&b);
                        }
                        assert!(got == data);
                    }
                }
                join(writer).await.unwrap();
            }

            /// `read_to_end_with_backpressure` with a maximum frame of 1000 and `pause` at 64.
            pub async fn read_to_end_above_pause(len: usize) {
                let opts = AsyncPipeOptions::new().max_frame(1000).pause(64).resume(32);
                read_to_end_with_backpressure(len, opts, 1000).await
            }

            /// With no maximum frame, frames much larger than `pause` arrive whole.
            pub async fn unlimited_frames_larger_than_pause() {
                let pool = pool();
                let (mut w, mut r) = pipe_with(limited(&pool, UNLIMITED, 1024, 512)).unwrap();
                let writer = spawn(async move {
                    w.write_all(&xs(300_000)).await?;
                    w.write_all(b"\n").await?;
                    w.write_all(&vec![b'q'; 200_000]).await?;
                    w.complete();
                    Ok::<_, io::Error>(())
                });
                assert_eq!(r.read_line(false).await.unwrap().unwrap(), xs(300_000));
                assert_eq!(
                    r.read_exact(200_000).await.unwrap().unwrap(),
                    vec![b'q'; 200_000]
                );
                assert_eq!(r.read_exact(1).await.unwrap(), None);
                join(writer).await.unwrap();
                drop(r);
                assert_balanced(&pool);
            }

            // ------------------------------------------------------------------------------------
            // fill_more.

            /// A parser that only calls `fill_more` and consumes nothing, with the writer paused
            /// by backpressure on another task: the pipe grows to one frame (`max_frame + 2`),
            /// then `InvalidData` instead of a wait that never ends; consuming lets the writer
            /// finish.
            pub async fn fill_more_past_one_frame_fails_instead_of_waiting() {
                let pool = pool();
                let (mut w, mut r) = pipe_with(limited(&pool, 100, 64, 32)).unwrap();
                let data: Vec<u8> = (0..1000u32).map(|i| (i % 200) as u8 + 1).collect();
                let sent = data.clone();
                let writer = spawn(async move {
                    w.write_all(&sent).await?;
                    w.complete();
                    Ok::<_, io::Error>(())
                });
                let mut arrived = 0;
                let err = loop {
                    match r.fill_more().await {
                        Ok(0) => panic!("the end, with the writer paused"),
                        Ok(n) => arrived += n,
                        Err(e) => break e,
                    }
                };
                assert_limit(&err, 100);
                assert_eq!(arrived, r.buffered(), "fill_more's counts");
                assert!(r.buffered() <= 102, "{} buffered", r.buffered());
                assert!(r.buffered() >= 64, "{} buffered", r.buffered());
                assert_limit(&r.fill_more().await.unwrap_err(), 100);
                let mut got = Vec::new();
                while let Some(b) = r.read_at_most(30).await.unwrap() {
                    got.extend_from_slice(&b);
                }
                assert!(got == data);
                join(writer).await.unwrap();
                drop(r);
                assert_balanced(&pool);
            }

            /// `with_pipe` consuming bytes wakes a writer waiting for room.
            pub async fn with_pipe_wakes_a_paused_writer() {
                let pool = pool();
                let (mut w, mut r) = pipe_with(limited(&pool, 100, 64, 32)).unwrap();
                let writer = spawn(async move {
                    w.write_all(&xs(5000)).await?;
                    w.complete();
                    Ok::<_, io::Error>(())
                });
                let mut total = 0;
                loop {
                    total += r.with_pipe(|p| {
                        let n = p.len();
                        p.skip(n)
                    });
                    if r.buffered() == 0 && r.fill_more().await.unwrap() == 0 {
                        break;
                    }
                }
                assert_eq!(total, 5000);
                join(writer).await.unwrap();
                drop(r);
                assert_balanced(&pool);
            }

            // ------------------------------------------------------------------------------------
            // Cancelled writes, and the I/O traits.

            /// `write_vectored_all` dropped at `Pending` again and again and resumed with the same
            /// `bufs`: every byte once, in order.
            pub async fn write_vectored_all_resumed_after_cancellation(spin: Option<Duration>) {
                let pool = pool();
                let (mut w, mut r) =
                    pipe_with(with_spin(options(&pool).pause(128).resume(64), spin)).unwrap();
                let data: Vec<u8> = (0..60_000u32).map(|i| (i * 7 % 256) as u8).collect();
                let sent = data.clone();
                let writer = spawn(async move {
                    let mut slices: Vec<IoSlice<'_>> = sent.chunks(37).map(IoSlice::new).collect();
                    let mut bufs = &mut slices[..];
                    let mut k = 3u64;
                    let mut rounds = 0;
                    while !bufs.is_empty() {
                        cancelling!(k, w.write_vectored_all(&mut bufs))?;
                        rounds += 1;
                    }
                    assert!(rounds >= 1);
                    w.complete();
                    Ok::<_, io::Error>(())
                });
                let mut got = Vec::new();
                let mut k = 11u64;
                while let Some(b) = cancelling!(k, r.read_at_most(1 + (k % 300) as usize)).unwrap()
                {
                    got.extend_from_slice(&b);
                }
                join(writer).await.unwrap();
                assert_eq!(got.len(), data.len());
                assert!(got == data);
                drop(r);
                assert_balanced(&pool);
            }

            /// The runtime's `AsyncWrite` and `AsyncRead` through the traits, each call dropped at
            /// `Pending` now and then: every byte once; `close` (tokio's `shutdown`, futures-io's
            /// `close`) is the clean end and later writes are `BrokenPipe`.
            pub async fn async_read_and_write_traits(spin: Option<Duration>) {
                let pool = pool();
                let (mut w, mut r) =
                    pipe_with(with_spin(options(&pool).pause(256).resume(64), spin)).unwrap();
                let data: Vec<u8> = (0..50_000u32).map(|i| (i * 13 % 256) as u8).collect();
                let sent = data.clone();
                let writer = spawn(async move {
                    let mut rest = &sent[..];
                    let mut k = 17u64;
                    while !rest.is_empty() {
                        let piece = 1 + (rnd(&mut k) % 900) as usize;
                        let piece = &rest[..piece.min(rest.len())];
                        let n = cancelling!(k, AsyncWriteExt::write(&mut w, piece))?;
                        assert!(n >= 1 && n <= piece.len());
                        rest = &rest[n..];
                    }
                    AsyncWriteExt::flush(&mut w).await?;
                    close(&mut w).await?;
                    let late = AsyncWriteExt::write(&mut w, b"late").await.unwrap_err();
                    assert_eq!(late.kind(), ErrorKind::BrokenPipe);
                    assert_eq!(
                        w.write_all(b"late").await.unwrap_err().kind(),
                        ErrorKind::BrokenPipe
                    );
                    let late = io::Error::from(w.write_now(b"late").unwrap_err());
                    assert_eq!(late.kind(), ErrorKind::BrokenPipe);
                    Ok::<_, io::Error>(())
                });
                let mut got = Vec::new();
                let mut buf = [0u8; 700];
                let mut k = 23u64;
                loop {
                    let want = 1 + (rnd(&mut k) % 700) as usize;
                    let n = cancelling!(k, AsyncReadExt::read(&mut r, &mut buf[..want])).unwrap();
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&buf[..n]);
                }
                join(writer).await.unwrap();
                assert_eq!(got.len(), data.len());
                assert!(got == data);
                assert_eq!(AsyncReadExt::read(&mut r, &mut buf).await.unwrap(), 0);
                drop(r);
                assert_balanced(&pool);
            }

            // ------------------------------------------------------------------------------------
            // A length-prefixed protocol (a header line, then `read_exact` of the body),
            // cancelled.

            /// Bodies of up to `max_body` bytes, each after a header line with its length, written
            /// in pieces by another task; the reader reads each header, then its body (after a
            /// `fill_at_least` and a `peek` now and then), every read dropped at `Pending` most
            /// times: every body once, intact.
            pub async fn length_prefixed_transfer(
                max_frame: usize,
                pause: usize,
                max_body: usize,
                spin: Option<Duration>,
            ) {
                let pool = pool();
                let (mut w, mut r) =
                    pipe_with(with_spin(limited(&pool, max_frame, pause, pause / 4), spin))
                        .unwrap();
                let mut s = max_body as u64;
                let bodies: Vec<Vec<u8>> = (0..40)
                    .map(|i| {
                        let len = match rnd(&mut s) % 4 {
                            0 => 0,
                            1 => rnd(&mut s) as usize % 100,
                            _ => rnd(&mut s) as usize % (max_body + 1),
                        };
                        (0..len).map(|j| ((i * 31 + j) % 256) as u8).collect()
                    })
                    .collect();
                let mut wire = Vec::new();
                for body in &bodies {
                    wire.extend_from_slice(format!("{}\r\n", body.len()).as_bytes());
                    wire.extend_from_slice(body);
                }
                let writer = spawn(async move {
                    write_in_pieces(&mut w, &wire, 5).await?;
                    w.complete();
                    Ok::<_, io::Error>(())
                });
                let mut k = 1234u64;
                let mut got = Vec::new();
                loop {
                    let Some(header) = cancelling!(k, r.read_line(false)).unwrap() else {
                        break;
                    };
                    let len: usize = std::str::from_utf8(&header).unwrap().parse().unwrap();
                    if rnd(&mut k).is_multiple_of(3) {
                        assert!(cancelling!(k, r.fill_at_least(len)).unwrap());
                        assert!(r.buffered() >= len);
                        if len > 0 {
                            let peeked = cancelling!(k, r.peek(len)).unwrap().unwrap();
                            assert!(!peeked.is_empty() && peeked.len() <= len);
                        }
                    }
                    let body = cancelling!(k, r.read_exact(len)).unwrap().unwrap();
                    assert_eq!(body.len(), len);
                    got.push(body.to_vec());
                }
                join(writer).await.unwrap();
                assert_eq!(got.len(), bodies.len());
                for (i, (g, b)) in got.iter().zip(&bodies).enumerate() {
                    assert!(g == b, "body {i} differs");
                }
                drop(r);
                assert_balanced(&pool);
            }

            // ------------------------------------------------------------------------------------
            // Halves dropped while they wait.

            /// A reader dropped while its read waits, in a task that is cancelled and in place
            /// (the read future dropped at `Pending`): the writer's write fails with `BrokenPipe`
            /// instead of waiting.
            pub async fn reader_cancelled_in_its_read() {
                for in_a_task in [true, false] {
                    let (mut w, mut r) =
                        pipe_with(AsyncPipeOptions::new().pause(64).resume(32)).unwrap();
                    w.write_now(b"no newline yet").unwrap();
                    if in_a_task {
                        let reader = spawn(async move { r.read_line(false).await });
                        yield_now().await;
                        assert!(cancel(reader).await.is_none(), "the read did not wait");
                    } else {
                        assert!(poll!(pin!(async move { r.read_line(false).await })).is_pending());
                    }
                    let err = w.write_all(&xs(10_000)).await.unwrap_err();
                    assert_eq!(err.kind(), ErrorKind::BrokenPipe, "in a task: {in_a_task}");
                    assert!(w.is_reader_gone());
                }
            }

            /// A writer dropped while its `write_all` waits for room, in a task that is cancelled
            /// and in place (the write future dropped at `Pending`), completes the pipe cleanly:
            /// the reader gets every byte that went in, then the end.
            pub async fn writer_cancelled_in_its_write() {
                for in_a_task in [true, false] {
                    let (mut w, mut r) =
                        pipe_with(AsyncPipeOptions::new().pause(64).resume(32)).unwrap();
                    let writing = async move {
                        w.write_now(b"first\n").unwrap();
                        w.write_all(&xs(10_000)).await
                    };
                    if in_a_task {
                        let writer = spawn(writing);
                        // No read waits for a frame here (that would let the writer past `pause`).
                        while r.buffered() < 64 {
                            yield_now().await;
                        }
                        assert!(cancel(writer).await.is_none(), "the write did not wait");
                    } else {
                        assert!(poll!(pin!(writing)).is_pending());
                    }
                    assert_eq!(r.read_line(false).await.unwrap().unwrap(), "first");
                    let rest = r.read_to_end().await.unwrap();
                    let n = rest.len();
                    assert!((58..10_000).contains(&n), "in a task: {in_a_task}: {n}");
                    assert!(rest.iter().all(|&b| b == b'x'));
                    assert_eq!(r.read_line(false).await.unwrap(), None);
                }
            }

            // ------------------------------------------------------------------------------------
            // Frames larger than `pause` through the I/O traits, and frames kept while the writer
            // goes on.

            /// Lines of 1000 bytes (the maximum frame) with `pause` at 64, written through the
            /// `AsyncWrite` trait: the reader waiting for each line lets the writer's `poll_write`
            /// go on past `pause`.
            pub async fn frames_larger_than_pause_through_async_write(spin: Option<Duration>) {
                let pool = pool();
                let (mut w, mut r) =
                    pipe_with(with_spin(limited(&pool, 1000, 64, 32), spin)).unwrap();
                let writer = spawn(async move {
                    for i in 0..20u8 {
                        let mut line = vec![b'a' + i; 1000];
                        line.extend_from_slice(if i % 2 == 0 { b"\n" } else { b"\r\n" });
                        AsyncWriteExt::write_all(&mut w, &line).await?;
                        AsyncWriteExt::flush(&mut w).await?;
                    }
                    close(&mut w).await
                });
                for i in 0..20u8 {
                    let line = r.read_line(false).await.unwrap().unwrap();
                    assert_eq!(line, vec![b'a' + i; 1000], "line {i}");
                }
                assert_eq!(r.read_line(false).await.unwrap(), None);
                join(writer).await.unwrap();
                drop(r);
                assert_balanced(&pool);
            }

            /// Frames taken out (owned `Bytes`, slices of pooled chunks) and kept while the writer
            /// goes on writing (in place, into the chunks they came from, or new ones) never
            /// change.
            pub async fn kept_frames_never_change(spin: Option<Duration>) {
                let pool = pool();
                let (mut w, mut r) =
                    pipe_with(with_spin(options(&pool).pause(4096).resume(1024), spin)).unwrap();
                let (bytes, expect) = corpus(400, 31);
                let writer = spawn(async move {
                    write_in_pieces(&mut w, &bytes, 31).await?;
                    w.complete();
                    Ok::<_, io::Error>(())
                });
                let mut kept: Vec<(Bytes, Vec<u8>)> = Vec::new();
                let mut peeks: Vec<(Bytes, Vec<u8>)> = Vec::new();
                let mut k = 3u64;
                loop {
                    if rnd(&mut k).is_multiple_of(3)
                        && let Some(p) = r.peek(1 + (rnd(&mut k) % 50) as usize).await.unwrap()
                    {
                        let copy = p.to_vec();
                        peeks.push((p, copy));
                    }
                    let line = if rnd(&mut k).is_multiple_of(2) {
                        r.read_line(false).await.unwrap()
                    } else {
                        r.read_until(b"\n", true).await.unwrap()
                    };
                    let Some(line) = line else { break };
                    let copy = line.to_vec();
                    kept.push((line, copy));
                }
                join(writer).await.unwrap();
                for (i, (b, copy)) in kept.iter().enumerate() {
                    assert!(b[..] == copy[..], "frame {i} changed after it was read");
                }
                for (i, (b, copy)) in peeks.iter().enumerate() {
                    assert!(b[..] == copy[..], "peek {i} changed after it was taken");
                }
                let got: Vec<Vec<u8>> = kept
                    .iter()
                    .map(|(_, c)| {
                        let mut c = c.clone();
                        if c.last() == Some(&b'\n') {
                            c = strip_ending(c);
                        }
                        c
                    })
                    .collect();
                assert_same_lines(&got, &expect);
                drop((kept, peeks, r));
                assert_balanced(&pool);
            }

            // ------------------------------------------------------------------------------------
            // The reader's spin, seen through a counting waker (polled by hand, so no runtime
            // decides).

            /// Whatever the spin decides, a read that returned `Pending` either woke its task
            /// itself or is woken by the writer's next commit: no wake-up is lost, for waits
            /// shorter and longer than `max_spin`.
            pub async fn no_lost_wake_around_the_spin(spin: Duration) {
                let (mut w, mut r) = pipe_with(AsyncPipeOptions::new().max_spin(spin)).unwrap();
                let (count, waker) = counting();
                let mut cx = Context::from_waker(&waker);
                let mut k = 99u64;
                for i in 0..300 {
                    let line = format!("{i}\n");
                    let mut read = pin!(r.read_line(false));
                    let mut self_woke = false;
                    for _ in 0..=rnd(&mut k) % 3 {
                        let before = wakes(&count);
                        assert!(
                            read.as_mut().poll(&mut cx).is_pending(),
                            "empty pipe, ready"
                        );
                        self_woke = wakes(&count) > before;
                        let pause =
                            Duration::from_micros(rnd(&mut k) % (2 * spin.as_micros() as u64 + 1));
                        std::thread::sleep(pause);
                    }
                    let before = wakes(&count);
                    w.write_now(line.as_bytes()).unwrap();
                    assert!(
                        self_woke || wakes(&count) > before,
                        "wait {i}: parked without being woken by the commit"
                    );
                    match read.as_mut().poll(&mut cx) {
                        Poll::Ready(Ok(Some(l))) => assert_eq!(l, line.trim_end()),
                        other => panic!("wait {i}: {other:?}"),
                    }
                }
            }
        }

        /// The concurrent cases, with worker threads.
        mod threaded {
            use super::*;

            $crate::__inproc_concurrent_tests!($threaded);
        }

        $(
            /// The concurrent cases again, every task on the test thread.
            mod one_thread {
                use super::*;

                $crate::__inproc_concurrent_tests!($one_thread);
            }
        )?

        // ------------------------------------------------------------------------------------
        // The writer's error.

        $crate::__inproc_test! { $test
            /// The writer's error after some bytes: the lines before it, then the error (not
            /// `UnexpectedEof`) from every read that needs more, again and again, the same shared
            /// error, nothing consumed; reads the buffered bytes can serve still succeed; then the
            /// error from every read, the `AsyncRead` one too; the lines stream gives it once,
            /// then ends.
            fn complete_with_error_serves_what_is_buffered_then_the_same_error_every_time() {
                let pool = pool();
                let (mut w, mut r) = pipe_with(options(&pool)).unwrap();
                w.write_now(b"one\ntwo\nabc").unwrap();
                w.complete_with_error(io::Error::new(ErrorKind::ConnectionReset, "upstream gone"));
                assert_eq!(r.read_line(false).await.unwrap().unwrap(), "one");
                assert_eq!(r.read_line(true).await.unwrap().unwrap(), "two\n");

                // "abc" has no `\n`: the writer's error (not `UnexpectedEof`), again and again,
                // and nothing consumed.
                let first = r.read_line(false).await.unwrap_err();
                assert_reset(&first);
                let second = r.read_line(false).await.unwrap_err();
                assert_reset(&second);
                if let (Some(ReadError::Stream(a)), Some(ReadError::Stream(b))) =
                    (read_error_of(&first), read_error_of(&second))
                {
                    assert!(a.same_as(b), "not the same shared error");
                }
                assert_eq!(r.buffered(), 3);
                assert_reset(&r.read_exact(4).await.unwrap_err());
                assert_reset(&r.read_until(b"\0", false).await.unwrap_err());
                assert_reset(&r.read_to_end().await.unwrap_err());
                assert_reset(
                    &r.read_lines_with(false, |_| panic!("no line"))
                        .await
                        .unwrap_err(),
                );
                assert_eq!(r.buffered(), 3);

                // Reads the buffered bytes can serve still succeed.
                assert!(r.fill_at_least(3).await.unwrap());
                assert_reset(&r.fill_at_least(4).await.unwrap_err());
                assert_eq!(r.peek(10).await.unwrap().unwrap(), "abc");
                assert_eq!(r.read_exact(0).await.unwrap().unwrap(), "");
                assert_eq!(r.read_exact(2).await.unwrap().unwrap(), "ab");
                assert_eq!(r.read_at_most(10).await.unwrap().unwrap(), "c");
                assert_eq!(r.buffered(), 0);

                // Nothing left: the error, every time, from every read.
                assert_reset(&r.read_at_most(10).await.unwrap_err());
                assert_reset(&r.read_at_most(10).await.unwrap_err());
                assert_reset(&r.peek(1).await.unwrap_err());
                assert_reset(&r.read_line(false).await.unwrap_err());
                assert_reset(&r.fill_more().await.unwrap_err());
                assert_reset(&r.fill_more().await.unwrap_err());
                assert_reset(&r.discard_until(b"\n").await.unwrap_err());
                let mut buf = [0u8; 8];
                assert_reset(&AsyncReadExt::read(&mut r, &mut buf).await.unwrap_err());
                assert_reset(&AsyncReadExt::read(&mut r, &mut buf).await.unwrap_err());

                // The lines stream gives it once, then ends.
                let mut lines = r.lines(false);
                assert_reset(&lines.next().await.unwrap().unwrap_err());
                assert!(lines.next().await.is_none());
                assert!(lines.next().await.is_none());
                drop(lines);
                assert_balanced(&pool);
            }
        }

        $crate::__inproc_test! { $test
            /// `discard_until` after the writer's error with bytes buffered and no separator: no
            /// separator can come, so they all go (the possible start of one too), then the
            /// error, every time.
            fn discard_until_after_the_writers_error_drops_the_rest_then_says_it() {
                let (mut w, mut r) = pipe();
                w.write_now(b"ab\r").unwrap();
                w.complete_with_error(io::Error::new(ErrorKind::ConnectionReset, "upstream gone"));
                assert_reset(&r.discard_until(b"\r\n").await.unwrap_err());
                assert_eq!(r.buffered(), 0);
                assert_reset(&r.discard_until(b"\r\n").await.unwrap_err());
                assert_reset(&r.read_line(false).await.unwrap_err());
            }
        }

        $crate::__inproc_test! { $test
            /// `fill_more` reports the bytes that came before the writer's error, then the error,
            /// again.
            fn fill_more_reports_bytes_before_the_writers_error_then_the_error() {
                let (mut w, mut r) = pipe();
                assert!(r.with_pipe(|p| p.read_line_ref(false).unwrap_err().is_need_more()));
                w.write_now(b"xy").unwrap();
                w.complete_with_error(io::Error::new(ErrorKind::ConnectionReset, "upstream gone"));
                assert_eq!(r.fill_more().await.unwrap(), 2);
                assert_reset(&r.fill_more().await.unwrap_err());
                assert_reset(&r.fill_more().await.unwrap_err());
                assert_eq!(r.read_exact(2).await.unwrap().unwrap(), "xy");
            }
        }

        $crate::__inproc_test! { $test
            /// `read_until` after a clean end: a last frame past the limit is the limit, nothing
            /// consumed, whether it came whole or a byte a write (the bytes that may have begun
            /// the separator not counted: `abcd-` with `--` and a limit of 4 is the leftover);
            /// `discard_until` then drops it and the end follows.
            fn read_until_at_the_end_past_the_limit_is_the_limit() {
                for (rest, partial) in [(&b"abcd-"[..], true), (b"abcde", false)] {
                    for bytewise in [false, true] {
                        let (mut w, mut r) =
                            pipe_with(AsyncPipeOptions::new().max_frame(4)).unwrap();
                        if bytewise {
                            for b in rest {
                                w.write_now(&[*b]).unwrap();
                            }
                        } else {
                            w.write_now(rest).unwrap();
                        }
                        w.complete();
                        let err = r.read_until(b"--", false).await.unwrap_err();
                        if partial {
                            assert!(
                                matches!(read_error_of(&err), Some(ReadError::Partial(p)) if p == rest),
                                "{err:?}"
                            );
                        } else {
                            assert_limit(&err, 4);
                            assert_eq!(r.buffered(), rest.len(), "nothing consumed");
                            assert_limit(&r.read_until(b"--", false).await.unwrap_err(), 4);
                            assert_eq!(r.discard_until(b"--").await.unwrap(), rest.len());
                        }
                        assert_eq!(r.read_until(b"--", false).await.unwrap(), None);
                    }
                }
            }
        }

        // ------------------------------------------------------------------------------------
        // The writer going without an error.

        $crate::__inproc_test! { $test
            /// A dropped writer: the complete line, the partial one once (its leftover in the
            /// error), then the end from every read, again and again.
            fn dropping_the_writer_gives_the_rest_then_a_partial_then_the_end() {
                let pool = pool();
                let (mut w, mut r) = pipe_with(options(&pool)).unwrap();
                w.write_now(b"a\nbc").unwrap();
                drop(w);
                assert_eq!(r.read_line(false).await.unwrap().unwrap(), "a");
                let err = r.read_line(false).await.unwrap_err();
                assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
                assert!(
                    matches!(read_error_of(&err), Some(ReadError::Partial(rest)) if rest == "bc")
                );
                drop(err); // the leftover is a slice of a pooled chunk
                assert_eq!(r.read_line(false).await.unwrap(), None);
                assert_eq!(r.read_line(false).await.unwrap(), None);
                assert_eq!(r.read_until(b"\n", true).await.unwrap(), None);
                assert_eq!(r.read_exact(1).await.unwrap(), None);
                assert_eq!(r.read_exact(0).await.unwrap().unwrap(), "");
                assert_eq!(r.read_at_most(5).await.unwrap(), None);
                assert_eq!(r.peek(5).await.unwrap(), None);
                assert_eq!(r.read_to_end().await.unwrap(), "");
                assert_eq!(
                    r.read_lines_with(false, |_| panic!("no line"))
                        .await
                        .unwrap(),
                    0
                );
                assert_eq!(r.fill_more().await.unwrap(), 0);
                assert!(!r.fill_at_least(1).await.unwrap());
                assert_eq!(r.discard_until(b"\n").await.unwrap(), 0);
                let mut buf = [0u8; 4];
                assert_eq!(AsyncReadExt::read(&mut r, &mut buf).await.unwrap(), 0);
                drop(r);
                assert_balanced(&pool);
            }
        }

        $crate::__inproc_test! { $test
            /// Partial frames at the end (`read_exact`, `read_until`, `read_lines_with`): the
            /// leftover once, in the error, then the end.
            fn partial_frames_at_the_end_carry_the_leftover_once() {
                let (mut w, mut r) = pipe();
                w.write_now(b"abc").unwrap();
                w.complete();
                let err = r.read_exact(5).await.unwrap_err();
                assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
                assert!(
                    matches!(read_error_of(&err), Some(ReadError::Partial(rest)) if rest == "abc")
                );
                assert_eq!(r.read_exact(5).await.unwrap(), None);

                let (mut w, mut r) = pipe();
                w.write_now(b"one\0two").unwrap();
                w.complete();
                assert_eq!(r.read_until(b"\0", false).await.unwrap().unwrap(), "one");
                let err = r.read_until(b"\0", false).await.unwrap_err();
                assert!(
                    matches!(read_error_of(&err), Some(ReadError::Partial(rest)) if rest == "two")
                );
                assert_eq!(r.read_until(b"\0", false).await.unwrap(), None);

                // read_lines_with: the complete line, then the partial one as an error, then the
                // end.
                let (mut w, mut r) = pipe();
                w.write_now(b"a\nb").unwrap();
                w.complete();
                let mut seen = Vec::new();
                assert_eq!(
                    r.read_lines_with(false, |l| seen.push(l.to_vec()))
                        .await
                        .unwrap(),
                    1
                );
                assert_eq!(seen, [b"a"]);
                let err = r
                    .read_lines_with(false, |_| panic!("no line"))
                    .await
                    .unwrap_err();
                assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
                assert!(
                    matches!(read_error_of(&err), Some(ReadError::Partial(rest)) if rest == "b")
                );
                assert_eq!(
                    r.read_lines_with(false, |_| panic!("no line"))
                        .await
                        .unwrap(),
                    0
                );
            }
        }

        $crate::__inproc_test! { $test
            /// A buffer from `get_buffer` dropped without a commit sends nothing.
            fn a_buffer_dropped_without_commit_is_not_sent() {
                let pool = pool();
                let (mut w, mut r) = pipe_with(options(&pool)).unwrap();
                w.write_now(b"kept\n").unwrap();
                {
                    let mut buf = w.get_buffer(8).unwrap();
                    buf[..8].copy_from_slice(b"dropped\n");
                }
                w.complete();
                assert_eq!(r.read_to_end().await.unwrap(), "kept\n");
                drop(r);
                assert_balanced(&pool);
            }
        }

        // ------------------------------------------------------------------------------------
        // The reader going.

        $crate::__inproc_test! { $test
            /// A reader gone before anything was written: every write fails (`ReaderGone`,
            /// `BrokenPipe`).
            fn a_reader_gone_with_nothing_written_fails_every_write() {
                let (mut w, r) = pipe();
                assert!(!w.is_reader_gone());
                drop(r);
                assert!(w.is_reader_gone());
                assert_eq!(w.unread(), 0);
                assert_eq!(w.write_now(b"").unwrap_err(), WriteError::ReaderGone);
                assert_eq!(w.flush().await.unwrap_err().kind(), ErrorKind::BrokenPipe);
                assert!(matches!(w.get_buffer(0), Err(WriteError::ReaderGone)));
            }
        }

        // ------------------------------------------------------------------------------------
        // Options and their limits.

        $crate::__inproc_test! { $test
            /// `pause(usize::MAX)` turns backpressure off: 3 MB written and flushed with nobody
            /// reading.
            fn pause_usize_max_turns_backpressure_off() {
                let pool = pool();
                let (mut w, mut r) = pipe_with(options(&pool).pause(usize::MAX)).unwrap();
                let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
                // Nobody reads: with backpressure this would wait forever.
                w.write_all(&data).await.unwrap();
                w.flush().await.unwrap();
                assert_eq!(w.unread(), data.len());
                w.complete();
                let mut got = Vec::new();
                while let Some(b) = r.read_at_most(1 << 20).await.unwrap() {
                    got.extend_from_slice(&b);
                }
                assert!(got == data);
                drop(r);
                assert_balanced(&pool);
            }
        }

        $crate::__inproc_test! { $test
            /// `flush` returns one under `pause`, waits at it, still waits one over `resume`,
            /// returns at `resume`; unread bytes brought under `pause` before the flush do not
            /// make it wait.
            fn flush_waits_from_pause_down_to_resume_exactly() {
                let (mut w, mut r) =
                    pipe_with(AsyncPipeOptions::new().pause(100).resume(40)).unwrap();
                w.write_now(&[b'a'; 99]).unwrap();
                assert!(
                    matches!(poll!(pin!(w.flush())), Poll::Ready(Ok(()))),
                    "one under pause"
                );
                w.write_now(b"b").unwrap();
                {
                    let mut flush = pin!(w.flush());
                    assert!(poll!(flush.as_mut()).is_pending(), "at pause");
                    assert_eq!(r.read_exact(59).await.unwrap().unwrap().len(), 59);
                    assert_eq!(r.buffered(), 41);
                    assert!(poll!(flush.as_mut()).is_pending(), "one over resume");
                    assert_eq!(r.read_exact(1).await.unwrap().unwrap(), "a");
                    assert_eq!(r.buffered(), 40);
                    assert!(
                        matches!(poll!(flush.as_mut()), Poll::Ready(Ok(()))),
                        "at resume"
                    );
                }
                // Unread bytes that reached pause with no flush, brought under it before the
                // flush: the flush does not wait.
                w.write_now(&[b'c'; 60]).unwrap();
                assert_eq!(w.unread(), 100);
                assert_eq!(r.read_exact(50).await.unwrap().unwrap().len(), 50);
                assert!(matches!(poll!(pin!(w.flush())), Poll::Ready(Ok(()))));
            }
        }

        // ------------------------------------------------------------------------------------
        // The maximum frame, byte by byte: one under, at, one over.

        $crate::__inproc_test! { $test
            /// Lines one under and at the maximum frame, fed a byte at a time: ready exactly when
            /// their ending is complete, with the same read future and with a new one after every
            /// byte.
            fn lines_at_the_limit_byte_by_byte() {
                // (input, with_ending, bytes fed when the line is ready, the line)
                let accepted: [(Vec<u8>, bool, usize, Vec<u8>); 6] = [
                    (cat(&[&xs(MAX - 1), b"\n"]), false, MAX, xs(MAX - 1)),
                    (cat(&[&xs(MAX), b"\n"]), false, MAX + 1, xs(MAX)),
                    (cat(&[&xs(MAX), b"\r\n"]), false, MAX + 2, xs(MAX)),
                    (
                        cat(&[&xs(MAX), b"\r\n"]),
                        true,
                        MAX + 2,
                        cat(&[&xs(MAX), b"\r\n"]),
                    ),
                    (
                        cat(&[&xs(MAX), b"\n"]),
                        true,
                        MAX + 1,
                        cat(&[&xs(MAX), b"\n"]),
                    ),
                    (
                        cat(&[&xs(MAX - 1), b"\r\r\n"]),
                        false,
                        MAX + 2,
                        cat(&[&xs(MAX - 1), b"\r"]),
                    ),
                ];
                for (input, with_ending, at, line) in accepted {
                    let pool = pool();
                    let (mut w, mut r) = pipe_with(options(&pool).max_frame(MAX)).unwrap();
                    let (fed, out) =
                        __inproc::fed_until_ready(&mut w, &input, r.read_line(with_ending)).await;
                    let name = String::from_utf8_lossy(&input).into_owned();
                    assert_eq!(fed, at, "{name:?}");
                    assert_eq!(out.unwrap().unwrap(), line, "{name:?}");
                    assert_eq!(r.buffered(), 0);
                    // The same with a new future after every byte.
                    let recreated =
                        __inproc::fed_until_ready_recreated(&mut w, &mut r, &input, with_ending);
                    let (fed, out) = recreated.await;
                    assert_eq!(fed, at, "{name:?} recreated");
                    assert_eq!(out.unwrap().unwrap(), line, "{name:?} recreated");
                    drop((w, r));
                    assert_balanced(&pool);
                }
            }
        }

        $crate::__inproc_test! { $test
            /// Lines one over the maximum frame, fed a byte at a time: the limit as soon as it is
            /// passed, nothing consumed, the same error again; `discard_until` goes on past them.
            fn lines_over_the_limit_byte_by_byte_consume_nothing_and_repeat() {
                let over: [Vec<u8>; 3] = [
                    cat(&[&xs(MAX + 1), b"\n"]),
                    cat(&[&xs(MAX), b"\rx\n"]),
                    cat(&[&xs(MAX), b"\r\r\n"]),
                ];
                for input in over {
                    let name = String::from_utf8_lossy(&input).into_owned();
                    let pool = pool();
                    let (mut w, mut r) = pipe_with(options(&pool).max_frame(MAX)).unwrap();
                    let (fed, out) =
                        __inproc::fed_until_ready(&mut w, &input, r.read_line(false)).await;
                    assert!(
                        (MAX + 1..=MAX + 2).contains(&fed),
                        "{name:?}: ready after {fed} bytes"
                    );
                    assert_limit(&out.unwrap_err(), MAX);
                    assert_eq!(r.buffered(), fed, "{name:?}: something consumed");
                    // Again: the same error, nothing consumed.
                    assert_limit(&r.read_line(false).await.unwrap_err(), MAX);
                    w.write_now(&input[fed..]).unwrap();
                    assert_limit(&r.read_line(true).await.unwrap_err(), MAX);
                    assert_limit(&r.read_line(false).await.unwrap_err(), MAX);
                    assert_eq!(r.buffered(), input.len());
                    // The way on.
                    assert_eq!(r.discard_until(b"\n").await.unwrap(), input.len());
                    w.write_now(b"ok\n").unwrap();
                    assert_eq!(r.read_line(false).await.unwrap().unwrap(), "ok");
                    drop((w, r));
                    assert_balanced(&pool);
                }
            }
        }

        $crate::__inproc_test! { $test
            /// Frames of `read_until` (a 2-byte and a 5-byte separator, split ones too) one under,
            /// at and one over the maximum frame, fed a byte at a time.
            fn delimited_frames_at_the_limit_byte_by_byte() {
                // (separator, input, Some(frame) or None for over the limit, bytes fed when ready)
                let cases: Vec<DelimitedCase> = vec![
                    (
                        b"\r\n",
                        cat(&[&xs(MAX - 1), b"\r\n"]),
                        Some(xs(MAX - 1)),
                        MAX + 1,
                    ),
                    (b"\r\n", cat(&[&xs(MAX), b"\r\n"]), Some(xs(MAX)), MAX + 2),
                    (b"\r\n", cat(&[&xs(MAX + 1), b"\r\n"]), None, MAX + 2),
                    (b"<END>", cat(&[&xs(MAX), b"<END>"]), Some(xs(MAX)), MAX + 5),
                    (
                        b"<END>",
                        cat(&[&xs(MAX - 3), b"<EN<END>"]),
                        Some(cat(&[&xs(MAX - 3), b"<EN"])),
                        MAX + 5,
                    ),
                    (b"<END>", cat(&[&xs(MAX + 1), b"<END>"]), None, MAX + 5),
                    (b"<END>", cat(&[&xs(MAX - 2), b"<EN<END>"]), None, MAX + 5),
                ];
                for (sep, input, frame, at) in cases {
                    let name = String::from_utf8_lossy(&input).into_owned();
                    let pool = pool();
                    let (mut w, mut r) = pipe_with(options(&pool).max_frame(MAX)).unwrap();
                    let (fed, out) =
                        __inproc::fed_until_ready(&mut w, &input, r.read_until(sep, false)).await;
                    match frame {
                        Some(frame) => {
                            assert_eq!(fed, at, "{name:?}");
                            assert_eq!(out.unwrap().unwrap(), frame, "{name:?}");
                            assert_eq!(r.buffered(), 0);
                        }
                        None => {
                            assert!(
                                (MAX + 1..=at).contains(&fed),
                                "{name:?}: ready after {fed} bytes"
                            );
                            assert_limit(&out.unwrap_err(), MAX);
                            assert_eq!(r.buffered(), fed);
                            w.write_now(&input[fed..]).unwrap();
                            assert_limit(&r.read_until(sep, true).await.unwrap_err(), MAX);
                            assert_eq!(r.discard_until(sep).await.unwrap(), input.len());
                        }
                    }
                    drop((w, r));
                    assert_balanced(&pool);
                }
            }
        }

        $crate::__inproc_test! { $test
            /// `read_exact` and `fill_at_least` one over the maximum frame: refused at once, even
            /// with nothing buffered, and again; at and one under it: ready exactly when the bytes
            /// are there; `read_at_most` and `peek` are not limited.
            fn exact_counts_at_the_limit() {
                let pool = pool();
                let (mut w, mut r) = pipe_with(options(&pool).max_frame(MAX)).unwrap();
                // One over: refused at once, even with nothing buffered, and again.
                assert_limit(&r.read_exact(MAX + 1).await.unwrap_err(), MAX);
                assert_limit(&r.fill_at_least(MAX + 1).await.unwrap_err(), MAX);
                let input = xs(MAX + 4);
                let (fed, out) =
                    __inproc::fed_until_ready(&mut w, &input, r.fill_at_least(MAX)).await;
                assert_eq!(fed, MAX);
                assert!(out.unwrap());
                assert_eq!(r.buffered(), MAX, "fill_at_least consumed");
                assert_limit(&r.read_exact(MAX + 1).await.unwrap_err(), MAX);
                assert_limit(&r.fill_at_least(MAX + 1).await.unwrap_err(), MAX);
                assert_eq!(r.buffered(), MAX);
                assert_eq!(r.read_exact(MAX).await.unwrap().unwrap(), xs(MAX));
                let (fed, out) =
                    __inproc::fed_until_ready(&mut w, &input, r.read_exact(MAX - 1)).await;
                assert_eq!(fed, MAX - 1);
                assert_eq!(out.unwrap().unwrap(), xs(MAX - 1));
                // read_at_most and peek are not limited.
                w.write_now(&xs(100)).unwrap();
                assert_eq!(r.peek(50).await.unwrap().unwrap().len(), 50);
                assert_eq!(r.read_at_most(1000).await.unwrap().unwrap().len(), 100);
                drop((w, r));
                assert_balanced(&pool);
            }
        }

        $crate::__inproc_test! { $test
            /// `read_to_end` of one under, at and one over the maximum frame: the bytes, or the
            /// limit with nothing consumed (again), the bytes still readable; with the writer
            /// still open, the limit once it is passed.
            fn read_to_end_at_the_limit() {
                for len in [MAX - 1, MAX, MAX + 1] {
                    let pool = pool();
                    let (mut w, mut r) = pipe_with(options(&pool).max_frame(MAX)).unwrap();
                    w.write_now(&xs(len)).unwrap();
                    w.complete();
                    let out = r.read_to_end().await;
                    if len <= MAX {
                        assert_eq!(out.unwrap(), xs(len));
                    } else {
                        assert_limit(&out.unwrap_err(), MAX);
                        assert_eq!(r.buffered(), len, "nothing consumed");
                        assert_limit(&r.read_to_end().await.unwrap_err(), MAX);
                        assert_eq!(r.read_at_most(1000).await.unwrap().unwrap(), xs(len));
                        assert_eq!(r.read_at_most(1000).await.unwrap(), None);
                    }
                    drop(r);
                    assert_balanced(&pool);
                }
                // With the writer still open, the error comes once the limit is passed.
                let (mut w, mut r) = pipe_with(AsyncPipeOptions::new().max_frame(MAX)).unwrap();
                let (fed, out) =
                    __inproc::fed_until_ready(&mut w, &xs(MAX + 4), r.read_to_end()).await;
                assert_eq!(fed, MAX + 1);
                assert_limit(&out.unwrap_err(), MAX);
            }
        }

        $crate::__inproc_test! { $test
            /// `set_max_frame` raised after the limit error: the same read gets the frame.
            fn raising_the_limit_after_an_error_reads_the_frame() {
                let (mut w, mut r) = pipe_with(AsyncPipeOptions::new().max_frame(MAX)).unwrap();
                w.write_now(&cat(&[&xs(MAX + 1), b"\n", b"next\n"]))
                    .unwrap();
                assert_limit(&r.read_line(false).await.unwrap_err(), MAX);
                r.set_max_frame(MAX + 1);
                assert_eq!(r.with_pipe(|p| p.max_frame()), MAX + 1);
                assert_eq!(r.read_line(false).await.unwrap().unwrap(), xs(MAX + 1));
                assert_eq!(r.read_line(false).await.unwrap().unwrap(), "next");
            }
        }

        $crate::__inproc_test! { $test
            /// `read_at_most(0)` and an empty separator are `InvalidInput` and consume nothing.
            fn bad_arguments_are_invalid_input_and_change_nothing() {
                let (mut w, mut r) = pipe();
                w.write_now(b"abc\n").unwrap();
                assert_eq!(
                    r.read_at_most(0).await.unwrap_err().kind(),
                    ErrorKind::InvalidInput
                );
                assert_eq!(
                    r.read_until(b"", false).await.unwrap_err().kind(),
                    ErrorKind::InvalidInput
                );
                assert_eq!(r.buffered(), 4);
                assert_eq!(r.read_line(true).await.unwrap().unwrap(), "abc\n");
            }
        }

        $crate::__inproc_test! { $test
            /// Lines over the limit through `lines()`: one `InvalidData` each, then the lines
            /// after it; a partial last line once; then the end for good.
            fn lines_stream_gives_each_error_once() {
                let pool = pool();
                let (mut w, r) = pipe_with(options(&pool).max_frame(MAX)).unwrap();
                w.write_now(&cat(&[
                    b"a\n",
                    &xs(MAX + 1),
                    b"\n",
                    &xs(MAX),
                    b"\r\n",
                    &xs(40),
                    b"\nb\nc",
                ]))
                .unwrap();
                w.complete();
                let mut lines = r.lines(false);
                assert_eq!(lines.next().await.unwrap().unwrap(), "a");
                assert_limit(&lines.next().await.unwrap().unwrap_err(), MAX);
                assert_eq!(lines.next().await.unwrap().unwrap(), xs(MAX));
                assert_limit(&lines.next().await.unwrap().unwrap_err(), MAX);
                assert_eq!(lines.next().await.unwrap().unwrap(), "b");
                let err = lines.next().await.unwrap().unwrap_err();
                assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
                assert!(
                    matches!(read_error_of(&err), Some(ReadError::Partial(rest)) if rest == "c")
                );
                drop(err);
                assert!(lines.next().await.is_none());
                assert!(lines.next().await.is_none());
                drop(lines);
                assert_balanced(&pool);
            }
        }

        // ------------------------------------------------------------------------------------
        // fill_more.

        $crate::__inproc_test! { $test
            /// `fill_more` counts from the reader's last look: bytes that arrived before the call
            /// are reported at once; then it waits for new ones; at the end 0, again.
            fn fill_more_counts_from_the_readers_last_look() {
                let (mut w, mut r) = pipe();
                assert!(r.with_pipe(|p| p.read_line_ref(false).unwrap_err().is_need_more()));
                w.write_now(b"abc").unwrap();
                // Arrived between the look and the call: reported at once.
                assert!(matches!(poll!(pin!(r.fill_more())), Poll::Ready(Ok(3))));
                {
                    let mut more = pin!(r.fill_more());
                    assert!(poll!(more.as_mut()).is_pending(), "nothing new");
                    w.write_now(b"de").unwrap();
                    assert!(matches!(poll!(more.as_mut()), Poll::Ready(Ok(2))));
                }
                assert_eq!(r.buffered(), 5);
                w.complete();
                assert_eq!(r.fill_more().await.unwrap(), 0);
                assert_eq!(r.fill_more().await.unwrap(), 0);
                assert_eq!(r.read_to_end().await.unwrap(), "abcde");
            }
        }

        // ------------------------------------------------------------------------------------
        // Cancelled writes, and the I/O traits.

        $crate::__inproc_test! { $test
            /// A `write_all` dropped at `Pending` leaves a prefix of its bytes written (written
            /// again, the rest arrives once); a `flush` dropped while it waits loses nothing.
            fn a_cancelled_write_all_leaves_a_prefix_and_a_cancelled_flush_loses_nothing() {
                let pool = pool();
                let (mut w, mut r) = pipe_with(options(&pool).pause(64).resume(32)).unwrap();
                let data: Vec<u8> = (0..1000u32).map(|i| (i % 256) as u8).collect();
                assert!(poll!(pin!(w.write_all(&data))).is_pending());
                let n = w.unread();
                assert!(n > 0 && n < data.len(), "{n}");
                assert_eq!(r.read_exact(n).await.unwrap().unwrap(), &data[..n]);
                // The rest, written again while the reader reads.
                let rest = &data[n..];
                let (written, got) = future::join(w.write_all(rest), async {
                    let mut got = Vec::new();
                    while got.len() < rest.len() {
                        got.extend_from_slice(&r.read_at_most(4096).await.unwrap().unwrap());
                    }
                    got
                })
                .await;
                written.unwrap();
                assert_eq!(got, rest);
                // A flush dropped while it waits loses nothing.
                w.write_now(&data[..100]).unwrap();
                assert!(poll!(pin!(w.flush())).is_pending());
                w.complete();
                let mut got = Vec::new();
                while let Some(b) = r.read_at_most(4096).await.unwrap() {
                    got.extend_from_slice(&b);
                }
                assert_eq!(got, &data[..100]);
                drop(r);
                assert_balanced(&pool);
            }
        }

        $crate::__inproc_test! { $test
            /// The runtime's `copy` into the writer (then `close`) and out of the reader: every
            /// byte.
            fn copy_moves_everything() {
                let (mut w, mut r) =
                    pipe_with(AsyncPipeOptions::new().pause(1000).resume(10)).unwrap();
                let data: Arc<Vec<u8>> =
                    Arc::new((0..100_000u32).map(|i| (i % 256) as u8).collect());
                let sent = data.clone();
                let writer = spawn(async move {
                    let mut src = &sent[..];
                    copy(&mut src, &mut w).await?;
                    close(&mut w).await
                });
                let mut out = Vec::new();
                let n = within!("copy", copy(&mut r, &mut out)).unwrap();
                join(writer).await.unwrap();
                assert_eq!(n, data.len() as u64);
                assert!(out == *data);
            }
        }

        // ------------------------------------------------------------------------------------
        // The write side's own errors, and memory.

        $crate::__inproc_test! { $test
            /// `buffer_written` with nothing lent or more than lent, and `get_buffer` over the
            /// largest chunk: refused, nothing changed.
            fn write_side_misuse_errors_change_nothing() {
                let pool = pool();
                let (mut w, mut r) = pipe_with(options(&pool)).unwrap();
                assert_eq!(w.buffer_written(1).unwrap_err(), WriteError::NothingLent);
                let lent = {
                    let mut buf = w.get_buffer(4).unwrap();
                    buf[..4].copy_from_slice(b"abcd");
                    buf.len()
                };
                assert!(lent >= 4);
                assert_eq!(
                    w.buffer_written(lent + 1).unwrap_err(),
                    WriteError::Overcommit {
                        committed: lent + 1,
                        lent
                    }
                );
                assert_eq!(w.unread(), 0);
                // The buffer still stands after the refused commit: dropped, then committed.
                w.buffer_written(4).unwrap();
                assert_eq!(w.unread(), 4);
                assert_eq!(w.buffer_written(1).unwrap_err(), WriteError::NothingLent);
                assert!(!w.get_buffer(0).unwrap().is_empty());
                let max = pool.max_chunk();
                assert!(w.get_buffer(max).unwrap().len() >= max);
                let too_large = w.get_buffer(max + 1).map(|_| ());
                assert_eq!(
                    too_large,
                    Err(WriteError::SizeHintTooLarge { hint: max + 1, max })
                );
                assert_eq!(w.unread(), 4);
                assert_eq!(r.buffered(), 4);
                assert_eq!(r.read_exact(4).await.unwrap().unwrap(), "abcd");
                drop((w, r));
                assert_balanced(&pool);
            }
        }

        $crate::__inproc_test! { $test
            /// A drained pipe holds no pooled memory, both halves alive.
            fn a_drained_pipe_holds_no_pooled_memory() {
                let pool = pool();
                let (mut w, mut r) = pipe_with(options(&pool)).unwrap();
                w.write_all(b"one line\n").await.unwrap();
                let line = r.read_line(false).await.unwrap().unwrap();
                assert_eq!(line, "one line");
                drop(line);
                assert_eq!(r.buffered(), 0);
                // Both halves are alive and the pipe is drained.
                assert_balanced(&pool);
                w.write_all(b"two\n").await.unwrap();
                assert_eq!(r.read_line(false).await.unwrap().unwrap(), "two");
                assert_balanced(&pool);
            }
        }

        $crate::__inproc_test! { $test
            /// A dropped reader gives its bytes back to the pool at once, the writer still alive.
            fn a_dropped_reader_gives_its_bytes_back_at_once() {
                let pool = pool();
                let (mut w, r) = pipe_with(options(&pool)).unwrap();
                w.write_now(&xs(100_000)).unwrap();
                assert!(pool.stats().outstanding_chunks > 0);
                drop(r);
                assert_balanced(&pool);
                assert_eq!(w.write_now(b"x").unwrap_err(), WriteError::ReaderGone);
            }
        }

        $crate::__inproc_test! { $test
            /// `discard_until` dropped at `Pending` again and again, fed a byte at a time by
            /// another task: it drops only what it dropped, and the next line is intact.
            fn discard_until_cancelled_loses_only_what_it_dropped() {
                let opts = AsyncPipeOptions::new().max_frame(32).pause(64).resume(16);
                let (mut w, mut r) = pipe_with(opts).unwrap();
                let writer = spawn(async move {
                    __inproc::write_bytewise(&mut w, &cat(&[&xs(3000), b"\nnext\n"])).await?;
                    w.complete();
                    Ok::<_, io::Error>(())
                });
                let mut k = 41u64;
                let n = within!("discard_until", async {
                    cancelling!(k, r.discard_until(b"\n"))
                })
                .unwrap();
                assert!((1..=3001).contains(&n), "{n}");
                assert_eq!(r.read_line(false).await.unwrap().unwrap(), "next");
                assert_eq!(r.read_line(false).await.unwrap(), None);
                join(writer).await.unwrap();
            }
        }

        // ------------------------------------------------------------------------------------
        // More edges: zero-length reads, huge counts, the first close standing, wakes.

        $crate::__inproc_test! { $test
            /// Zero-byte reads are served at once, open and empty or errored; an empty frame is
            /// never the end.
            fn zero_length_reads() {
                let (mut w, mut r) = pipe();
                // Open and empty.
                let empty = poll!(pin!(r.read_exact(0)));
                assert!(matches!(empty, Poll::Ready(Ok(Some(b))) if b.is_empty()));
                assert!(matches!(
                    poll!(pin!(r.fill_at_least(0))),
                    Poll::Ready(Ok(true))
                ));
                w.write_now(b"\n\r\n").unwrap();
                // An empty frame is never the end.
                assert_eq!(r.read_line(false).await.unwrap().unwrap(), "");
                assert_eq!(r.read_line(false).await.unwrap().unwrap(), "");
                w.complete_with_error(io::Error::new(ErrorKind::ConnectionReset, "upstream gone"));
                // Errored with nothing buffered: a zero-byte read is still served.
                assert_eq!(r.read_exact(0).await.unwrap().unwrap(), "");
                assert!(r.fill_at_least(0).await.unwrap());
                assert_reset(&r.read_exact(1).await.unwrap_err());
            }
        }

        $crate::__inproc_test! { $test
            /// `max_frame(0)` allows only empty frames.
            fn max_frame_zero_allows_only_empty_frames() {
                let (mut w, mut r) = pipe_with(AsyncPipeOptions::new().max_frame(0)).unwrap();
                w.write_now(b"\n\r\na\n").unwrap();
                assert_eq!(r.read_line(false).await.unwrap().unwrap(), "");
                assert_eq!(r.read_line(true).await.unwrap().unwrap(), "\r\n");
                assert_limit(&r.read_line(false).await.unwrap_err(), 0);
                assert_eq!(r.read_exact(0).await.unwrap().unwrap(), "");
                assert_limit(&r.read_exact(1).await.unwrap_err(), 0);
                assert_eq!(r.discard_until(b"\n").await.unwrap(), 2);
                assert_eq!(r.buffered(), 0);
            }
        }

        $crate::__inproc_test! { $test
            /// Huge counts (`usize::MAX`, 1 TiB) with no maximum frame neither allocate nor panic:
            /// they wait, then end with the leftover.
            fn huge_counts_do_not_allocate_or_panic() {
                let pool = pool();
                let (mut w, mut r) = pipe_with(options(&pool).max_frame(UNLIMITED)).unwrap();
                assert!(matches!(
                    w.get_buffer(usize::MAX),
                    Err(WriteError::SizeHintTooLarge {
                        hint: usize::MAX,
                        ..
                    })
                ));
                w.write_now(b"0123456789").unwrap();
                {
                    let mut exact = pin!(r.read_exact(usize::MAX));
                    assert!(poll!(exact.as_mut()).is_pending());
                }
                {
                    let mut exact = pin!(r.read_exact(1 << 40));
                    assert!(poll!(exact.as_mut()).is_pending());
                }
                {
                    let mut at_least = pin!(r.fill_at_least(usize::MAX));
                    assert!(poll!(at_least.as_mut()).is_pending());
                }
                assert_eq!(r.peek(usize::MAX).await.unwrap().unwrap(), "0123456789");
                w.complete();
                assert!(!r.fill_at_least(usize::MAX).await.unwrap());
                let err = r.read_exact(usize::MAX).await.unwrap_err();
                assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
                let digits = "0123456789";
                assert!(
                    matches!(read_error_of(&err), Some(ReadError::Partial(rest)) if rest == digits)
                );
                drop(err);
                assert_eq!(r.read_at_most(usize::MAX).await.unwrap(), None);
                drop(r);
                assert_balanced(&pool);
            }
        }

        $crate::__inproc_test! { $test
            /// The first close stands: `close` (the `AsyncWrite` one), then an error: the reader
            /// sees the clean end.
            fn the_first_close_stands() {
                // close (the AsyncWrite one), then an error: the reader sees the clean end.
                let (mut w, mut r) = pipe();
                w.write_now(b"a\n").unwrap();
                close(&mut w).await.unwrap();
                // The writer stays; its calls say `Closed` (a `BrokenPipe` as an `io::Error`).
                assert_eq!(w.get_buffer(1).err(), Some(WriteError::Closed));
                assert_eq!(
                    io::Error::from(w.get_buffer(1).err().unwrap()).kind(),
                    ErrorKind::BrokenPipe
                );
                assert_eq!(w.write_now(b"b
"), Err(WriteError::Closed));
                assert_eq!(w.buffer_written(0), Err(WriteError::Closed));
                assert_eq!(w.write_all(b"b
").await.unwrap_err().kind(), ErrorKind::BrokenPipe);
                w.complete_with_error(io::Error::other("too late"));
                assert_eq!(r.read_line(false).await.unwrap().unwrap(), "a");
                assert_eq!(r.read_line(false).await.unwrap(), None);
            }
        }

        $crate::__inproc_test! { $test
            /// `read_lines_with` gives the lines before a line over the limit, then the limit,
            /// again; `discard_until` goes on past it.
            fn read_lines_with_stops_at_a_line_over_the_limit() {
                let (mut w, mut r) = pipe_with(AsyncPipeOptions::new().max_frame(MAX)).unwrap();
                w.write_now(&cat(&[b"a\nbb\n", &xs(MAX + 1), b"\nc\n"]))
                    .unwrap();
                let mut seen = Vec::new();
                assert_eq!(
                    r.read_lines_with(true, |l| seen.push(l.to_vec()))
                        .await
                        .unwrap(),
                    2
                );
                assert_eq!(seen, [&b"a\n"[..], b"bb\n"]);
                assert_limit(
                    &r.read_lines_with(true, |_| panic!("no line"))
                        .await
                        .unwrap_err(),
                    MAX,
                );
                assert_limit(
                    &r.read_lines_with(true, |_| panic!("no line"))
                        .await
                        .unwrap_err(),
                    MAX,
                );
                assert_eq!(r.discard_until(b"\n").await.unwrap(), MAX + 2);
                assert_eq!(
                    r.read_lines_with(false, |l| assert_eq!(l, b"c"))
                        .await
                        .unwrap(),
                    1
                );
            }
        }

        $crate::__inproc_test! { $test
            /// `discard_until` drops bytes without a separator as they arrive (memory stays
            /// bounded) but keeps a possible start of the separator; cancelled after dropping
            /// some, a new call drops the rest; at the end, what it dropped before it, then 0.
            fn discard_until_keeps_memory_bounded_and_a_split_separator() {
                let pool = pool();
                let (mut w, mut r) = pipe_with(options(&pool).max_frame(MAX)).unwrap();
                {
                    // Bytes without a separator are dropped as they arrive: memory stays bounded.
                    let mut discard = pin!(r.discard_until(b"<END>"));
                    for _ in 0..50 {
                        w.write_now(&xs(4000)).unwrap();
                        assert!(poll!(discard.as_mut()).is_pending());
                        assert!(
                            pool.stats().outstanding_bytes <= 64 << 10,
                            "{:?}",
                            pool.stats()
                        );
                    }
                    w.write_now(b"<EN").unwrap();
                    assert!(poll!(discard.as_mut()).is_pending());
                }
                // A possible start of the separator stays.
                let kept = r.buffered();
                assert!((3..=4).contains(&kept), "{kept} buffered");
                w.write_now(b"D>ok\n").unwrap();
                match poll!(pin!(r.discard_until(b"<END>"))) {
                    Poll::Ready(n) => assert_eq!(n.unwrap(), kept + 2),
                    Poll::Pending => panic!("the separator is complete, still pending"),
                }
                assert_eq!(r.read_line(false).await.unwrap().unwrap(), "ok");
                // Cancelled after dropping some: a new call drops the rest and finds the
                // separator.
                w.write_now(&cat(&[&xs(50_000), b"<E"])).unwrap();
                assert!(poll!(pin!(r.discard_until(b"<END>"))).is_pending());
                w.write_now(b"ND>next\n").unwrap();
                let n = r.discard_until(b"<END>").await.unwrap();
                assert!((5..=50_005).contains(&n), "{n}");
                assert_eq!(r.read_line(false).await.unwrap().unwrap(), "next");
                // At the end: what was dropped before it, then 0.
                w.write_now(b"abc").unwrap();
                w.complete();
                assert_eq!(r.discard_until(b"\n").await.unwrap(), 3);
                assert_eq!(r.discard_until(b"\n").await.unwrap(), 0);
                drop(r);
                assert_balanced(&pool);
            }
        }

        $crate::__inproc_test! { $test
            /// `write_vectored_all` skips empty slices (and an empty list); empty writes send
            /// nothing.
            fn write_vectored_all_skips_empty_slices() {
                let (mut w, mut r) = pipe();
                let mut slices = [
                    IoSlice::new(b""),
                    IoSlice::new(b"ab"),
                    IoSlice::new(b""),
                    IoSlice::new(b""),
                    IoSlice::new(b"c\n"),
                    IoSlice::new(b""),
                ];
                let mut bufs = &mut slices[..];
                w.write_vectored_all(&mut bufs).await.unwrap();
                assert!(bufs.is_empty());
                let mut none: [IoSlice<'_>; 0] = [];
                let mut bufs = &mut none[..];
                w.write_vectored_all(&mut bufs).await.unwrap();
                w.write_all(b"").await.unwrap();
                w.write_now(b"").unwrap();
                assert_eq!(r.read_line(false).await.unwrap().unwrap(), "abc");
                assert_eq!(r.buffered(), 0);
            }
        }

        $crate::__inproc_test! { $test
            /// `pipe(..)` then `pool(..)` on the options keeps the pipe's maximum frame, and the
            /// pool is the one given.
            fn options_pipe_then_pool_keeps_the_max_frame() {
                let pool = pool();
                let opts = AsyncPipeOptions::new()
                    .pipe(PipeOptions::new().max_frame(100))
                    .pool(pool.clone());
                let (mut w, mut r) = pipe_with(opts).unwrap();
                assert_eq!(r.with_pipe(|p| p.max_frame()), 100);
                w.write_now(b"x").unwrap();
                assert_eq!(pool.stats().outstanding_chunks, 1);
                drop((w, r));
                assert_balanced(&pool);
            }
        }

        $crate::__inproc_test! { $test
            /// `max_spin(Duration::ZERO)` parks at once, every time: a read that finds nothing
            /// does not wake itself, and the writer's commit, completion or error wakes it.
            fn zero_spin_parks_and_is_woken() {
                for end in 0..3 {
                    let (mut w, mut r) =
                        pipe_with(AsyncPipeOptions::new().max_spin(Duration::ZERO)).unwrap();
                    let (count, waker) = counting();
                    let mut cx = Context::from_waker(&waker);
                    {
                        let mut read = pin!(r.read_line(false));
                        for _ in 0..3 {
                            assert!(read.as_mut().poll(&mut cx).is_pending());
                        }
                        assert_eq!(wakes(&count), 0, "a parked reader woke itself");
                        w.write_now(b"par").unwrap();
                        assert!(
                            wakes(&count) >= 1,
                            "a commit did not wake the parked reader"
                        );
                        assert!(read.as_mut().poll(&mut cx).is_pending());
                        let before = wakes(&count);
                        w.write_now(b"t\n").unwrap();
                        assert!(wakes(&count) > before);
                        let polled = read.as_mut().poll(&mut cx);
                        assert!(matches!(polled, Poll::Ready(Ok(Some(l))) if l == "part"));
                    }
                    let mut read = pin!(r.read_line(false));
                    assert!(read.as_mut().poll(&mut cx).is_pending());
                    let before = wakes(&count);
                    match end {
                        0 => drop(w),
                        1 => w.complete(),
                        _ => w.complete_with_error(io::Error::new(
                            ErrorKind::ConnectionReset,
                            "upstream gone",
                        )),
                    }
                    assert!(
                        wakes(&count) > before,
                        "the end did not wake the reader ({end})"
                    );
                    match read.as_mut().poll(&mut cx) {
                        Poll::Ready(Ok(None)) => assert!(end < 2),
                        Poll::Ready(Err(e)) => {
                            assert_eq!(end, 2);
                            assert_reset(&e);
                        }
                        other => panic!("{other:?}"),
                    }
                }
            }
        }

        $crate::__inproc_test! { $test
            /// A writer parked in `flush` is woken when the reader brings the pipe to `resume`,
            /// and when the reader goes.
            fn a_parked_writer_is_woken() {
                for go in [false, true] {
                    let (mut w, mut r) =
                        pipe_with(AsyncPipeOptions::new().pause(100).resume(40)).unwrap();
                    w.write_now(&xs(100)).unwrap();
                    let (count, waker) = counting();
                    let mut cx = Context::from_waker(&waker);
                    let mut flush = pin!(w.flush());
                    assert!(flush.as_mut().poll(&mut cx).is_pending());
                    assert_eq!(wakes(&count), 0);
                    if go {
                        drop(r);
                        assert!(
                            wakes(&count) >= 1,
                            "the reader went without waking the writer"
                        );
                        match flush.as_mut().poll(&mut cx) {
                            Poll::Ready(Err(e)) => assert_eq!(e.kind(), ErrorKind::BrokenPipe),
                            other => panic!("{other:?}"),
                        }
                    } else {
                        assert_eq!(r.read_exact(60).await.unwrap().unwrap().len(), 60);
                        assert!(
                            wakes(&count) >= 1,
                            "resume reached without waking the writer"
                        );
                        assert!(matches!(flush.as_mut().poll(&mut cx), Poll::Ready(Ok(()))));
                    }
                }
            }
        }

        $crate::__inproc_test! { $test
            /// Lines at the limit in 64-byte chunks, starting at every offset, so that `\r` and
            /// `\n` fall on either side of a chunk boundary.
            fn lines_at_the_limit_across_tiny_chunks() {
                let pool = Pool::new(PoolConfig::new().min_chunk(64).max_chunk(64 << 10)).unwrap();
                let cases: [(Vec<u8>, Option<Vec<u8>>); 4] = [
                    (cat(&[&xs(MAX), b"\r\n"]), Some(xs(MAX))),
                    (cat(&[&xs(MAX), b"\n"]), Some(xs(MAX))),
                    (
                        cat(&[&xs(MAX - 1), b"\r\r\n"]),
                        Some(cat(&[&xs(MAX - 1), b"\r"])),
                    ),
                    (cat(&[&xs(MAX), b"\r\r\n"]), None),
                ];
                for offset in 0..140 {
                    for (input, line) in &cases {
                        let opts = AsyncPipeOptions::new()
                            .pipe(PipeOptions::new().chunk_size(64).max_chunk(64))
                            .pool(pool.clone())
                            .max_frame(MAX);
                        let (mut w, mut r) = pipe_with(opts).unwrap();
                        for _ in 0..offset {
                            w.write_now(b"p").unwrap();
                        }
                        assert_eq!(r.with_pipe(|p| p.skip(offset)), offset);
                        let (fed, out) =
                            __inproc::fed_until_ready(&mut w, input, r.read_line(false)).await;
                        match line {
                            Some(line) => {
                                assert_eq!(fed, input.len(), "offset {offset}");
                                assert_eq!(out.unwrap().unwrap(), line, "offset {offset}");
                            }
                            None => {
                                assert!(fed <= MAX + 2, "offset {offset}: {fed}");
                                assert_limit(&out.unwrap_err(), MAX);
                            }
                        }
                    }
                }
                assert_balanced(&pool);
            }
        }

        $crate::__inproc_test! { $test
            /// A read that waits for a frame grants the writer room past `pause`; once that read
            /// is over (completed, or dropped at `Pending`), nobody waits for a frame and `flush`
            /// waits at `pause` again, as `flush`'s docs say ("unless the reader waits for more
            /// bytes to finish a frame").
            fn grant_after_a_completed_frame_read() {
                let opts = AsyncPipeOptions::new().max_frame(1000).pause(64).resume(32);
                let (mut w, mut r) = pipe_with(opts).unwrap();
                {
                    let mut read = pin!(r.read_line(false));
                    assert!(poll!(read.as_mut()).is_pending());
                    w.write_now(b"a\n").unwrap();
                    assert!(matches!(poll!(read.as_mut()), Poll::Ready(Ok(Some(l))) if l == "a"));
                }
                w.write_now(&xs(64)).unwrap();
                assert!(
                    poll!(pin!(w.flush())).is_pending(),
                    "the completed read left its grant"
                );
            }
        }

        $crate::__inproc_test! { $test
            /// The same after a frame read dropped at `Pending`: the flush waits at `pause`.
            fn grant_after_a_cancelled_frame_read() {
                let opts = AsyncPipeOptions::new().max_frame(1000).pause(64).resume(32);
                let (mut w, mut r) = pipe_with(opts).unwrap();
                w.write_now(&xs(64)).unwrap();
                assert!(poll!(pin!(r.read_line(false))).is_pending());
                // The read was dropped: nobody waits for a frame, so the flush should wait at
                // `pause`.
                let flushed = poll!(pin!(w.flush())).is_ready();
                // How far past `pause` the writer gets with nobody reading.
                let mut unread = w.unread();
                while unread < 5000 && poll!(pin!(w.write_all(b"z"))).is_ready() {
                    unread = w.unread();
                }
                assert!(
                    !flushed,
                    "flush went on at pause after the read was dropped: {unread} bytes unread"
                );
                // The same through `pipe_core::adapter`'s futures on the adapter's reader.
                let opts = AsyncPipeOptions::new().max_frame(1000).pause(64).resume(32);
                let (mut w, mut r) = pipe_with(opts).unwrap();
                w.write_now(&xs(64)).unwrap();
                {
                    let mut read = pin!($crate::cases::reexport::pipe_core::adapter::read_line(
                        &mut r, false
                    ));
                    assert!(poll!(read.as_mut()).is_pending());
                    assert!(poll!(pin!(w.flush())).is_ready(), "granted while it waits");
                }
                assert!(poll!(pin!(w.flush())).is_pending(), "withdrawn once dropped");
            }
        }

        $crate::__inproc_test! { $test
            /// `fill_more` fails past one frame only while the writer is paused: with the bytes
            /// written by `write_now` (no flush, no pause) it waits for more.
            fn fill_more_waits_when_the_writer_is_not_paused() {
                let opts = AsyncPipeOptions::new().max_frame(100).pause(64).resume(32);
                let (mut w, mut r) = pipe_with(opts).unwrap();
                w.write_now(&xs(500)).unwrap();
                assert_eq!(r.fill_more().await.unwrap(), 500);
                {
                    let mut more = pin!(r.fill_more());
                    assert!(
                        poll!(more.as_mut()).is_pending(),
                        "the writer is not paused"
                    );
                    w.write_now(b"y").unwrap();
                    assert!(matches!(poll!(more.as_mut()), Poll::Ready(Ok(1))));
                }
                // Now the writer flushes and is paused: the reader cannot wait for it.
                assert!(poll!(pin!(w.flush())).is_pending());
                assert_limit(&r.fill_more().await.unwrap_err(), 100);
                assert_eq!(r.buffered(), 501);
            }
        }

        $crate::__inproc_test! { $test
            /// The writer's error reaches reads that wait with part of their frame buffered: each
            /// gets the error, and the part is still there for reads it can serve.
            fn error_reaches_waiting_reads_with_part_of_a_frame() {
                let (mut w, mut r) =
                    pipe_with(AsyncPipeOptions::new().max_spin(Duration::ZERO)).unwrap();
                w.write_now(b"abc").unwrap();
                let (count, waker) = counting();
                let mut cx = Context::from_waker(&waker);
                {
                    let mut exact = pin!(r.read_exact(10));
                    assert!(exact.as_mut().poll(&mut cx).is_pending());
                    w.complete_with_error(io::Error::new(
                        ErrorKind::ConnectionReset,
                        "upstream gone",
                    ));
                    assert!(wakes(&count) >= 1);
                    match exact.as_mut().poll(&mut cx) {
                        Poll::Ready(Err(e)) => assert_reset(&e),
                        other => panic!("{other:?}"),
                    }
                }
                assert_reset(&r.fill_at_least(4).await.unwrap_err());
                assert_reset(&r.read_line(false).await.unwrap_err());
                assert_eq!(r.read_at_most(10).await.unwrap().unwrap(), "abc");
            }
        }

        $crate::__inproc_test! { $test
            /// `read_to_end` dropped at `Pending` again and again while the writer writes: the
            /// whole body.
            fn read_to_end_cancelled() {
                let pool = pool();
                let (mut w, mut r) = pipe_with(limited(&pool, 200_000, 1024, 256)).unwrap();
                let data: Vec<u8> = (0..150_000u32).map(|i| (i % 249) as u8).collect();
                let sent = data.clone();
                let writer = spawn(async move {
                    __inproc::write_in_pieces(&mut w, &sent, 8).await?;
                    w.complete();
                    Ok::<_, io::Error>(())
                });
                let mut k = 8u64;
                let all = cancelling!(k, r.read_to_end()).unwrap();
                assert!(all == data);
                join(writer).await.unwrap();
                drop((all, r));
                assert_balanced(&pool);
            }
        }

        $crate::__inproc_test! { $test
            /// A last line over the limit with no `\n`: `lines()` gives its one error, then ends.
            fn lines_stream_over_the_limit_at_the_end() {
                let (mut w, r) = pipe_with(AsyncPipeOptions::new().max_frame(MAX)).unwrap();
                w.write_now(&cat(&[b"a\n", &xs(3 * MAX)])).unwrap();
                w.complete();
                let mut lines = r.lines(true);
                assert_eq!(lines.next().await.unwrap().unwrap(), "a\n");
                assert_limit(&lines.next().await.unwrap().unwrap_err(), MAX);
                assert!(lines.next().await.is_none());
                assert!(lines.next().await.is_none());
            }
        }

        // ------------------------------------------------------------------------------------
        // Writer errors of every kind, and the lines stream's error rules with them.

        $crate::__inproc_test! { $test
            /// Whatever kind the writer's error has (even the kinds the adapters treat specially
            /// for transports: `WouldBlock`, `Interrupted`, `InvalidData`, `UnexpectedEof`), the
            /// reader gets the buffered lines, then that error on every read that needs more,
            /// promptly.
            fn writer_errors_of_every_kind() {
                let kinds = [
                    ErrorKind::WouldBlock,
                    ErrorKind::Interrupted,
                    ErrorKind::InvalidData,
                    ErrorKind::UnexpectedEof,
                    ErrorKind::InvalidInput,
                    ErrorKind::TimedOut,
                    ErrorKind::BrokenPipe,
                    ErrorKind::Other,
                ];
                for kind in kinds {
                    let (mut w, mut r) = pipe();
                    w.write_now(b"a\nb\ntail").unwrap();
                    w.complete_with_error(io::Error::new(kind, "the writer's own error"));
                    assert_eq!(r.read_line(false).await.unwrap().unwrap(), "a", "{kind:?}");
                    let mut n = 0;
                    assert_eq!(
                        r.read_lines_with(false, |_| n += 1).await.unwrap(),
                        1,
                        "{kind:?}"
                    );
                    for _ in 0..2 {
                        let e = r.read_line(false).await.unwrap_err();
                        assert_eq!(e.kind(), kind);
                        assert!(mentions(&e, "the writer's own error"), "{kind:?}: {e:?}");
                        assert_eq!(r.read_exact(5).await.unwrap_err().kind(), kind);
                        assert_eq!(r.read_to_end().await.unwrap_err().kind(), kind);
                        assert_eq!(r.buffered(), 4, "{kind:?}");
                    }
                    assert_eq!(r.read_at_most(100).await.unwrap().unwrap(), "tail");
                    for _ in 0..2 {
                        assert_eq!(r.read_at_most(100).await.unwrap_err().kind(), kind);
                        assert_eq!(r.fill_more().await.unwrap_err().kind(), kind);
                        let mut buf = [0u8; 4];
                        assert_eq!(
                            AsyncReadExt::read(&mut r, &mut buf)
                                .await
                                .unwrap_err()
                                .kind(),
                            kind
                        );
                    }
                }
            }
        }

        $crate::__inproc_test! { $test
            /// `lines()` gives the writer's error once and ends, whatever its kind: an
            /// `InvalidData` from the writer is not a line over the limit (which would be dropped
            /// through its `\n`, the stream going on).
            fn lines_stream_gives_a_writer_error_once_whatever_its_kind() {
                for kind in [
                    ErrorKind::InvalidData,
                    ErrorKind::UnexpectedEof,
                    ErrorKind::ConnectionReset,
                ] {
                    let (mut w, r) = pipe();
                    w.write_now(b"a\ntail").unwrap();
                    w.complete_with_error(io::Error::new(kind, "the writer's own error"));
                    let mut lines = r.lines(false);
                    assert_eq!(lines.next().await.unwrap().unwrap(), "a", "{kind:?}");
                    let e = lines.next().await.unwrap().unwrap_err();
                    assert_eq!(e.kind(), kind);
                    assert!(mentions(&e, "the writer's own error"), "{kind:?}: {e:?}");
                    assert!(
                        lines.next().await.is_none(),
                        "{kind:?}: more after the writer's error"
                    );
                    assert!(lines.next().await.is_none(), "{kind:?}");
                }
            }
        }

        $crate::__inproc_test! { $test
            /// After a `write_vectored_all` dropped at `Pending`, `bufs` holds exactly what did
            /// not go in; after a `poll_write`, `unread` grew by the count it returned.
            fn a_cancelled_vectored_write_leaves_exactly_the_rest() {
                let (mut w, mut r) =
                    pipe_with(AsyncPipeOptions::new().pause(100).resume(50)).unwrap();
                let data: Vec<u8> = (0..1000u32).map(|i| (i % 256) as u8).collect();
                let mut slices: Vec<IoSlice<'_>> = data.chunks(33).map(IoSlice::new).collect();
                let mut bufs = &mut slices[..];
                let mut sent = 0;
                let mut got = Vec::new();
                while !bufs.is_empty() {
                    let before = w.unread();
                    let ready = poll!(pin!(w.write_vectored_all(&mut bufs))).is_ready();
                    let left: usize = bufs.iter().map(|b| b.len()).sum();
                    sent += w.unread() - before;
                    assert_eq!(
                        sent + left,
                        data.len(),
                        "bufs does not hold exactly the rest"
                    );
                    if !ready {
                        got.extend_from_slice(&r.read_at_most(37).await.unwrap().unwrap());
                    }
                }
                let before = w.unread();
                let n = match poll!(pin!(AsyncWriteExt::write(&mut w, b"0123456789"))) {
                    Poll::Ready(n) => n.unwrap(),
                    Poll::Pending => 0,
                };
                assert_eq!(w.unread(), before + n);
                w.complete();
                while let Some(b) = r.read_at_most(4096).await.unwrap() {
                    got.extend_from_slice(&b);
                }
                assert_eq!(got, [&data[..], &b"0123456789"[..n]].concat());
            }
        }

        $crate::__inproc_test! { $test
            /// A spell that ran out (the reader stayed scheduled, then parked) makes the next wait
            /// park at once, and the writer's commit wakes it.
            fn a_spell_that_runs_out_makes_the_next_wait_park() {
                let spin = Duration::from_millis(3);
                let (mut w, mut r) = pipe_with(AsyncPipeOptions::new().max_spin(spin)).unwrap();
                let (count, waker) = counting();
                let mut cx = Context::from_waker(&waker);
                // A few short waits first (the bytes come right after the read parks or spins), so
                // that the next wait may stay scheduled.
                for _ in 0..3 {
                    let mut read = pin!(r.read_line(false));
                    assert!(read.as_mut().poll(&mut cx).is_pending());
                    w.write_now(b"warm\n").unwrap();
                    let polled = read.as_mut().poll(&mut cx);
                    assert!(matches!(polled, Poll::Ready(Ok(Some(l))) if l == "warm"));
                }
                let mut spun = false;
                {
                    let mut read = pin!(r.read_line(false));
                    loop {
                        let before = wakes(&count);
                        assert!(read.as_mut().poll(&mut cx).is_pending());
                        if wakes(&count) == before {
                            break; // parked
                        }
                        spun = true;
                        std::thread::sleep(Duration::from_micros(200));
                    }
                    let before = wakes(&count);
                    w.write_now(b"a\n").unwrap();
                    assert!(wakes(&count) > before, "the parked reader was not woken");
                    assert!(
                        matches!(read.as_mut().poll(&mut cx), Poll::Ready(Ok(Some(l))) if l == "a")
                    );
                }
                if spun {
                    // That wait lasted longer than max_spin and its spell ran out: the next parks
                    // at once.
                    let mut read = pin!(r.read_line(false));
                    let before = wakes(&count);
                    assert!(read.as_mut().poll(&mut cx).is_pending());
                    assert_eq!(
                        wakes(&count),
                        before,
                        "stayed scheduled right after a spell ran out"
                    );
                    w.write_now(b"b\n").unwrap();
                    assert!(wakes(&count) > before, "the parked reader was not woken");
                    assert!(
                        matches!(read.as_mut().poll(&mut cx), Poll::Ready(Ok(Some(l))) if l == "b")
                    );
                }
            }
        }
    };
}

/// The concurrent cases of [`inproc_tests!`](crate::inproc_tests), one test each on `$runner`
/// (in a module that sees the including module's names).
#[doc(hidden)]
#[macro_export]
macro_rules! __inproc_concurrent_tests {
    ($runner:tt) => {
        $crate::__inproc_each! { $runner
            transfer_pieces_default_spin_default_pause:
                __inproc::transfer(pieces(DEFAULT_SPIN, 64 << 10, 32 << 10, 1));
            transfer_pieces_default_spin_small_pause:
                __inproc::transfer(pieces(DEFAULT_SPIN, 512, 128, 2));
            transfer_pieces_zero_spin_small_pause:
                __inproc::transfer(pieces(ZERO_SPIN, 512, 128, 3));
            transfer_pieces_10ms_spin_small_pause:
                __inproc::transfer(pieces(SPIN_10MS, 512, 128, 4));
            transfer_pieces_1us_spin_tiny_pause:
                __inproc::transfer(pieces(Some(Duration::from_micros(1)), 64, 32, 5));
            transfer_pieces_pause_1_resume_0:
                __inproc::transfer(pieces(ZERO_SPIN, 1, 0, 6));
            transfer_bytewise_default_spin:
                __inproc::transfer(bytewise(DEFAULT_SPIN, 64 << 10, 32 << 10, 7));
            transfer_bytewise_zero_spin:
                __inproc::transfer(bytewise(ZERO_SPIN, 64, 32, 8));
            transfer_bytewise_10ms_spin:
                __inproc::transfer(bytewise(SPIN_10MS, 64, 32, 9));
            gaps_default_spin:
                __inproc::lines_with_gaps(DEFAULT_SPIN);
            gaps_zero_spin:
                __inproc::lines_with_gaps(ZERO_SPIN);
            gaps_10ms_spin:
                __inproc::lines_with_gaps(SPIN_10MS);
            gaps_one_hour_spin:
                __inproc::lines_with_gaps(Some(Duration::from_secs(3600)));
            gaps_max_duration_spin:
                __inproc::lines_with_gaps(Some(Duration::MAX));
            error_after_lines_default_spin:
                __inproc::error_after_lines_reaches_a_cancelling_reader(DEFAULT_SPIN);
            error_after_lines_zero_spin:
                __inproc::error_after_lines_reaches_a_cancelling_reader(ZERO_SPIN);
            dropped_writer_default_spin:
                __inproc::dropped_writer_wakes_a_waiting_reader(DEFAULT_SPIN);
            dropped_writer_zero_spin:
                __inproc::dropped_writer_wakes_a_waiting_reader(ZERO_SPIN);
            dropped_writer_huge_spin:
                __inproc::dropped_writer_wakes_a_waiting_reader(Some(Duration::from_secs(3600)));
            reader_dropped_during_flush:
                __inproc::reader_goes_while_the_writer_waits(WaitIn::Flush, false);
            reader_dropped_during_write_all:
                __inproc::reader_goes_while_the_writer_waits(WaitIn::WriteAll, false);
            reader_dropped_during_write_vectored_all:
                __inproc::reader_goes_while_the_writer_waits(WaitIn::WriteVectoredAll, false);
            reader_dropped_during_async_write:
                __inproc::reader_goes_while_the_writer_waits(WaitIn::AsyncWriteTrait, false);
            reader_completed_during_write_all:
                __inproc::reader_goes_while_the_writer_waits(WaitIn::WriteAll, true);
            a_writer_paused_at_pause_is_woken_at_resume:
                __inproc::a_writer_paused_at_pause_is_woken_at_resume();
            lines_stream_cancelled_default_spin:
                __inproc::lines_stream_cancelled(DEFAULT_SPIN);
            lines_stream_cancelled_zero_spin:
                __inproc::lines_stream_cancelled(ZERO_SPIN);
            large_frames_write_all_default_spin:
                __inproc::frames_larger_than_pause(false, DEFAULT_SPIN);
            large_frames_write_all_zero_spin:
                __inproc::frames_larger_than_pause(false, ZERO_SPIN);
            large_frames_bytewise_10ms_spin:
                __inproc::frames_larger_than_pause(true, SPIN_10MS);
            read_to_end_one_under_a_limit_above_pause:
                __inproc::read_to_end_above_pause(999);
            read_to_end_at_a_limit_above_pause:
                __inproc::read_to_end_above_pause(1000);
            read_to_end_one_over_a_limit_above_pause:
                __inproc::read_to_end_above_pause(1001);
            read_to_end_default_options_one_under:
                __inproc::read_to_end_with_backpressure(65535, AsyncPipeOptions::new(), 65536);
            read_to_end_default_options_at_the_limit:
                __inproc::read_to_end_with_backpressure(65536, AsyncPipeOptions::new(), 65536);
            read_to_end_default_options_one_over:
                __inproc::read_to_end_with_backpressure(65537, AsyncPipeOptions::new(), 65536);
            read_to_end_unlimited_small_pause:
                __inproc::read_to_end_with_backpressure(
                    300_000,
                    AsyncPipeOptions::new()
                        .max_frame(UNLIMITED)
                        .pause(1024)
                        .resume(512),
                    UNLIMITED,
                );
            unlimited_frames:
                __inproc::unlimited_frames_larger_than_pause();
            fill_more_with_a_paused_writer:
                __inproc::fill_more_past_one_frame_fails_instead_of_waiting();
            with_pipe_wakes_writer:
                __inproc::with_pipe_wakes_a_paused_writer();
            vectored_cancelled_default_spin:
                __inproc::write_vectored_all_resumed_after_cancellation(DEFAULT_SPIN);
            vectored_cancelled_zero_spin:
                __inproc::write_vectored_all_resumed_after_cancellation(ZERO_SPIN);
            io_traits_default_spin:
                __inproc::async_read_and_write_traits(DEFAULT_SPIN);
            io_traits_zero_spin:
                __inproc::async_read_and_write_traits(ZERO_SPIN);
            io_traits_10ms_spin:
                __inproc::async_read_and_write_traits(SPIN_10MS);
            length_prefixed_default_limits:
                __inproc::length_prefixed_transfer(64 << 10, 64 << 10, 64 << 10, DEFAULT_SPIN);
            length_prefixed_small_pause:
                __inproc::length_prefixed_transfer(64 << 10, 512, 64 << 10, ZERO_SPIN);
            length_prefixed_unlimited_big_bodies:
                __inproc::length_prefixed_transfer(UNLIMITED, 4096, 700_000, DEFAULT_SPIN);
            reader_cancelled_in_its_read:
                __inproc::reader_cancelled_in_its_read();
            writer_cancelled_in_its_write:
                __inproc::writer_cancelled_in_its_write();
            large_lines_through_async_write_default_spin:
                __inproc::frames_larger_than_pause_through_async_write(DEFAULT_SPIN);
            large_lines_through_async_write_zero_spin:
                __inproc::frames_larger_than_pause_through_async_write(ZERO_SPIN);
            kept_frames_default_spin:
                __inproc::kept_frames_never_change(DEFAULT_SPIN);
            kept_frames_zero_spin:
                __inproc::kept_frames_never_change(ZERO_SPIN);
            no_lost_wake_50us_spin:
                __inproc::no_lost_wake_around_the_spin(Duration::from_micros(50));
            no_lost_wake_300us_spin:
                __inproc::no_lost_wake_around_the_spin(Duration::from_micros(300));
        }
    };
}

/// A test `$name` made by `$runner` (see [`cases`](crate::cases)) whose body imports the
/// [`prelude`](crate::inproc_cases::prelude) and fails if it hangs.
#[doc(hidden)]
#[macro_export]
macro_rules! __inproc_test {
    ($runner:tt $(#[$meta:meta])* fn $name:ident() $body:block) => {
        $crate::__test_fn! { $runner
            $(#[$meta])*
            fn $name() {
                #[allow(unused_imports)]
                use $crate::inproc_cases::prelude::*;
                $crate::__within!(stringify!($name), async $body)
            }
        }
    };
}

/// One test on `$runner` per `name: future;`, awaiting the future.
#[doc(hidden)]
#[macro_export]
macro_rules! __inproc_each {
    ($runner:tt $($name:ident: $future:expr;)*) => {$(
        $crate::__inproc_test! { $runner fn $name() { $future.await } }
    )*};
}

/// Awaits the future `$make` builds, but most times drops it at `Pending` first (after one
/// poll, two polls with a yield between, a zero timeout, a `select` against a yield, or up to
/// three polls with yields between) and builds it again: the read or write must go on as if
/// nothing happened. `$k` is the state of [`rnd`](crate::inproc_cases::rnd). Uses the
/// including module's `timeout` and `yield_now`.
#[doc(hidden)]
#[macro_export]
macro_rules! __inproc_cancelling {
    ($k:ident, $make:expr) => {{
        use ::std::pin::pin;
        use ::std::task::Poll;
        use $crate::cases::reexport::futures_util::future::{Either, select};
        use $crate::cases::reexport::futures_util::poll;
        loop {
            match $crate::inproc_cases::rnd(&mut $k) % 6 {
                0 => break $make.await,
                1 => {
                    let mut fut = pin!($make);
                    if let Poll::Ready(v) = poll!(fut.as_mut()) {
                        break v;
                    }
                }
                2 => {
                    let mut fut = pin!($make);
                    if let Poll::Ready(v) = poll!(fut.as_mut()) {
                        break v;
                    }
                    yield_now().await;
                    if let Poll::Ready(v) = poll!(fut.as_mut()) {
                        break v;
                    }
                }
                3 => {
                    if let Ok(v) = timeout(::std::time::Duration::ZERO, $make).await {
                        break v;
                    }
                }
                4 => {
                    if let Either::Left((v, _)) = select(pin!($make), pin!(yield_now())).await {
                        break v;
                    }
                }
                _ => {
                    let mut fut = pin!($make);
                    let mut done = None;
                    for _ in 0..3 {
                        if let Poll::Ready(v) = poll!(fut.as_mut()) {
                            done = Some(v);
                            break;
                        }
                        yield_now().await;
                    }
                    if let Some(v) = done {
                        break v;
                    }
                }
            }
            yield_now().await;
        }
    }};
}
