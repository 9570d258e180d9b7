//! `pipe_core::adapter` tested from its documentation alone, as a third-party adapter author
//! would use it: a scripted in-memory transport (bytes, `Pending` with a wake, `WouldBlock`,
//! `Interrupted`, an error, the end) wrapped in a stream that implements `PollRead` and
//! `PollWrite` (over a recording sink with short writes, `Pending` and errors), driven by hand
//! with a counting waker. No runtime.

use bytes::Bytes;
use pipe_core::adapter::{
    FillFn, PollRead, PollWrite, ReadRequest, WriteFn, consume, discard_until, fill_at_least,
    fill_more, from_transport, into_io, peek, poll_fill_buf, poll_read_from, poll_read_into,
    poll_write_vectored_all, read_at_most, read_exact, read_exact_ref, read_line, read_line_ref,
    read_lines_with, read_to_end, read_until, read_until_ref, write_all, write_vectored_all,
};
use pipe_core::{
    Lines, Pipe, PipeOptions, PipeState, Pool, PoolConfig, ReadError, StreamError, UNLIMITED,
    read_error_of,
};
use proptest::prelude::{Just, ProptestConfig, Strategy, any, prop, prop_oneof, proptest};
use std::collections::VecDeque;
use std::future::Future;
use std::io::{self, ErrorKind, IoSlice};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

// ---------------------------------------------------------------------------------------------
// A tiny executor: a counting waker, and a check that every `Pending` arranged a wake.
// ---------------------------------------------------------------------------------------------

struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

struct Task {
    counter: Arc<Counter>,
    waker: Waker,
    pendings: usize,
}

impl Task {
    fn new() -> Task {
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        Task {
            counter,
            waker,
            pendings: 0,
        }
    }

    fn wakes(&self) -> usize {
        self.counter.0.load(Ordering::SeqCst)
    }

    /// One poll of a poll function; `Pending` must come with a wake ("`Pending` after arranging
    /// for the task to be woken"; our transport wakes itself, `WouldBlock` is the kit's job).
    fn poll_fn<T>(&mut self, f: impl FnOnce(&mut Context<'_>) -> Poll<T>) -> Poll<T> {
        let before = self.wakes();
        let mut cx = Context::from_waker(&self.waker);
        let out = f(&mut cx);
        if out.is_pending() {
            self.pendings += 1;
            assert!(self.wakes() > before, "Pending without arranging a wake");
        }
        out
    }

    fn poll<F: Future + ?Sized>(&mut self, fut: Pin<&mut F>) -> Poll<F::Output> {
        self.poll_fn(|cx| fut.poll(cx))
    }

    fn block_on<F: Future>(&mut self, fut: F) -> F::Output {
        let mut fut = pin!(fut);
        for _ in 0..100_000 {
            if let Poll::Ready(out) = self.poll(fut.as_mut()) {
                return out;
            }
        }
        panic!("no progress after 100000 polls");
    }
}

fn run<F: Future>(fut: F) -> F::Output {
    Task::new().block_on(fut)
}

/// Polls `$fut` (re-created by evaluating the expression again) until ready; at each `Pending`,
/// with probability `$pct`%, drops it, runs `$on_cancel` and makes the call again.
macro_rules! drive {
    ($task:expr, $rng:expr, $pct:expr, $fut:expr, $on_cancel:expr) => {{
        let mut polls = 0usize;
        loop {
            let out = {
                let mut fut = pin!($fut);
                loop {
                    polls += 1;
                    assert!(polls < 100_000, "no progress");
                    match $task.poll(fut.as_mut()) {
                        Poll::Ready(v) => break Some(v),
                        Poll::Pending => {
                            if $rng.below(100) < $pct {
                                break None;
                            }
                        }
                    }
                }
            };
            match out {
                Some(v) => break v,
                None => $on_cancel,
            }
        }
    }};
}

/// A seeded RNG (SplitMix64).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn range(&mut self, lo: usize, hi_inclusive: usize) -> usize {
        lo + self.below((hi_inclusive - lo + 1) as u64) as usize
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}

// ---------------------------------------------------------------------------------------------
// The scripted transport and the adapter around it.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Step {
    /// Bytes (non-empty); a smaller buffer gets a prefix, the rest stays next.
    Data(Vec<u8>),
    /// Not ready; wakes the task itself, as a real transport arranges.
    Pending,
    /// `Err(WouldBlock)`: the kit wakes the task.
    WouldBlock,
    /// `Err(Interrupted)`: the kit retries.
    Interrupted,
    /// A transport error; repeated on every later read.
    Fail(ErrorKind),
    /// `Ok(0)`; repeated on every later read.
    End,
}

#[derive(Default)]
struct Script {
    steps: VecDeque<Step>,
    /// Bytes handed to the kit so far.
    delivered: usize,
    polls: usize,
    /// The buffer size of every read.
    bufs: Vec<usize>,
    terminal: Option<Option<ErrorKind>>,
    polls_after_terminal: usize,
}

impl Script {
    fn new(steps: impl IntoIterator<Item = Step>) -> Script {
        Script {
            steps: steps.into_iter().collect(),
            ..Script::default()
        }
    }

    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.polls += 1;
        self.bufs.push(buf.len());
        if let Some(terminal) = self.terminal {
            self.polls_after_terminal += 1;
            return Poll::Ready(match terminal {
                None => Ok(0),
                Some(kind) => Err(io::Error::new(kind, "scripted failure")),
            });
        }
        match self.steps.pop_front() {
            None | Some(Step::End) => {
                self.terminal = Some(None);
                Poll::Ready(Ok(0))
            }
            Some(Step::Fail(kind)) => {
                self.terminal = Some(Some(kind));
                Poll::Ready(Err(io::Error::new(kind, "scripted failure")))
            }
            Some(Step::Pending) => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Some(Step::WouldBlock) => Poll::Ready(Err(ErrorKind::WouldBlock.into())),
            Some(Step::Interrupted) => Poll::Ready(Err(ErrorKind::Interrupted.into())),
            Some(Step::Data(mut data)) => {
                assert!(
                    !buf.is_empty(),
                    "the kit lent the transport an empty buffer"
                );
                let n = buf.len().min(data.len());
                buf[..n].copy_from_slice(&data[..n]);
                if n < data.len() {
                    self.steps.push_front(Step::Data(data.split_off(n)));
                }
                self.delivered += n;
                Poll::Ready(Ok(n))
            }
        }
    }
}

#[derive(Clone, Debug)]
enum W {
    /// Takes at most this many bytes, across slices.
    Take(usize),
    /// Takes the first slice only (as the `WriteFn` doc's example transport).
    First,
    Pending,
    WouldBlock,
    Interrupted,
    Fail(ErrorKind),
    /// `Ok(0)`.
    Zero,
}

#[derive(Default)]
struct Sink {
    steps: VecDeque<W>,
    out: Vec<u8>,
    calls: usize,
}

impl Sink {
    fn new(steps: impl IntoIterator<Item = W>) -> Sink {
        Sink {
            steps: steps.into_iter().collect(),
            ..Sink::default()
        }
    }

    fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.calls += 1;
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        let mut take = |n: usize| {
            let mut left = n;
            for b in bufs {
                let k = left.min(b.len());
                self.out.extend_from_slice(&b[..k]);
                left -= k;
            }
            n
        };
        match self.steps.pop_front() {
            None => Poll::Ready(Ok(take(total))),
            Some(W::Take(n)) => Poll::Ready(Ok(take(n.min(total)))),
            Some(W::First) => {
                let n = bufs.first().map_or(0, |b| b.len());
                Poll::Ready(Ok(take(n)))
            }
            Some(W::Pending) => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Some(W::WouldBlock) => Poll::Ready(Err(ErrorKind::WouldBlock.into())),
            Some(W::Interrupted) => Poll::Ready(Err(ErrorKind::Interrupted.into())),
            Some(W::Fail(kind)) => Poll::Ready(Err(io::Error::new(kind, "scripted write failure"))),
            Some(W::Zero) => Poll::Ready(Ok(0)),
        }
    }
}

/// The adapter under test: a transport, its pipe, and a write sink.
struct Stream {
    pipe: Pipe,
    script: Script,
    sink: Sink,
    cancels: usize,
}

impl Stream {
    fn new(steps: impl IntoIterator<Item = Step>) -> Stream {
        Stream::with(PipeOptions::new(), steps)
    }

    fn with(options: PipeOptions, steps: impl IntoIterator<Item = Step>) -> Stream {
        Stream {
            pipe: Pipe::with_options(options),
            script: Script::new(steps),
            sink: Sink::default(),
            cancels: 0,
        }
    }

    fn writer(steps: impl IntoIterator<Item = W>) -> Stream {
        let mut s = Stream::new([]);
        s.sink = Sink::new(steps);
        s
    }

    fn buffered(&self) -> Vec<u8> {
        self.pipe.chunks().flatten().copied().collect()
    }

    /// Bytes the pipe gave out (or dropped) so far.
    fn consumed(&self) -> usize {
        self.script.delivered - self.pipe.len()
    }
}

impl PollRead for Stream {
    fn with_parts<R>(&mut self, f: impl FnOnce(&mut Pipe, &mut FillFn<'_>) -> R) -> R {
        let script = &mut self.script;
        f(
            &mut self.pipe,
            &mut from_transport(|cx, buf| script.poll_read(cx, buf)),
        )
    }

    fn cancel_wait(&mut self) {
        self.cancels += 1;
    }
}

impl PollWrite for Stream {
    fn with_writer<R>(&mut self, f: impl FnOnce(&mut WriteFn<'_>) -> R) -> R {
        let sink = &mut self.sink;
        f(&mut |cx, bufs| sink.poll_write(cx, bufs))
    }

    fn poll_flush_transport(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close_transport(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

fn data(bytes: &[u8]) -> Step {
    Step::Data(bytes.to_vec())
}

/// Every byte alone, a `Pending` after each, then `last`.
fn one_byte(content: &[u8], last: Step) -> Vec<Step> {
    let mut steps = Vec::new();
    for &b in content {
        steps.push(Step::Data(vec![b]));
        steps.push(Step::Pending);
    }
    steps.push(last);
    steps
}

/// All the bytes in one read, then `last`.
fn whole(content: &[u8], last: Step) -> Vec<Step> {
    let mut steps = Vec::new();
    if !content.is_empty() {
        steps.push(data(content));
    }
    steps.push(last);
    steps
}

fn limit(max_frame: usize) -> PipeOptions {
    PipeOptions::new().max_frame(max_frame)
}

/// A pool of 64-byte chunks only, and options that use it: frames straddle chunks.
fn small_chunks(max_frame: usize) -> (Pool, PipeOptions) {
    let pool = Pool::new(PoolConfig::new().min_chunk(64).max_chunk(64)).unwrap();
    let options = PipeOptions::new()
        .pool(pool.clone())
        .chunk_size(64)
        .max_chunk(64)
        .max_frame(max_frame);
    (pool, options)
}

const RESET: ErrorKind = ErrorKind::ConnectionReset;

// ---------------------------------------------------------------------------------------------
// Outcomes as the adapters return them.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Got {
    Frame(Vec<u8>),
    End,
    Partial(Vec<u8>),
    Limit { limit: usize, buffered: usize },
    Stream(ErrorKind),
    Invalid,
}

fn got(r: io::Result<Option<Bytes>>) -> Got {
    match r {
        Ok(Some(frame)) => Got::Frame(frame.to_vec()),
        Ok(None) => Got::End,
        Err(e) => got_err(&e),
    }
}

fn got_bytes(r: io::Result<Bytes>) -> Got {
    match r {
        Ok(frame) => Got::Frame(frame.to_vec()),
        Err(e) => got_err(&e),
    }
}

/// Classifies an error per the `into_io` table, checking kind and inner error agree.
fn got_err(e: &io::Error) -> Got {
    match read_error_of(e) {
        Some(ReadError::Partial(rest)) => {
            assert_eq!(e.kind(), ErrorKind::UnexpectedEof, "{e:?}");
            Got::Partial(rest.to_vec())
        }
        Some(ReadError::LimitExceeded { limit, buffered }) => {
            assert_eq!(e.kind(), ErrorKind::InvalidData, "{e:?}");
            Got::Limit {
                limit: *limit,
                buffered: *buffered,
            }
        }
        Some(ReadError::InvalidArgument(_)) => {
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e:?}");
            Got::Invalid
        }
        Some(ReadError::Stream(inner)) => {
            assert_eq!(inner.kind(), e.kind(), "{e:?}");
            Got::Stream(e.kind())
        }
        Some(other) => panic!("unexpected inner error {other:?}"),
        None => {
            assert!(
                !matches!(
                    e.kind(),
                    ErrorKind::UnexpectedEof | ErrorKind::InvalidData | ErrorKind::InvalidInput
                ),
                "{e:?}: an outcome error without its ReadError inside"
            );
            Got::Stream(e.kind())
        }
    }
}

/// The shared stream error inside an adapter error: a `ReadError::Stream` (`read_error_of`)
/// or the `StreamError` itself (`StreamError::to_io_error`'s form).
fn stream_error(e: &io::Error) -> StreamError {
    match read_error_of(e) {
        Some(ReadError::Stream(inner)) => inner.clone(),
        Some(other) => panic!("{e:?}: {other:?} inside, not a stream error"),
        None => e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<StreamError>())
            .unwrap_or_else(|| panic!("{e:?}: no StreamError inside"))
            .clone(),
    }
}

fn rest_of(bufs: &[IoSlice<'_>]) -> Vec<u8> {
    bufs.iter().flat_map(|b| b.iter().copied()).collect()
}

/// A stream with maximum frame `max` over `content` then `last`: all at once, or (`one`) one
/// byte a read with `Pending` between.
fn stream_in(one: bool, max: usize, content: &[u8], last: Step) -> Stream {
    let steps = if one {
        one_byte(content, last)
    } else {
        whole(content, last)
    };
    Stream::with(limit(max), steps)
}

// ---------------------------------------------------------------------------------------------
// from_transport: the FillFn of a transport.
// ---------------------------------------------------------------------------------------------

#[test]
fn from_transport_lends_at_most_budget_commits_and_closes_at_end() {
    let mut script = Script::new([data(b"hello world")]);
    let mut pipe = Pipe::new();
    let mut task = Task::new();
    {
        let mut fill = from_transport(|cx, buf| script.poll_read(cx, buf));
        assert!(task.poll_fn(|cx| fill(&mut pipe, cx, 3)).is_ready());
        assert_eq!(pipe.len(), 3, "at most `budget` bytes");
        assert!(
            task.poll_fn(|cx| fill(&mut pipe, cx, usize::MAX))
                .is_ready()
        );
        assert_eq!(pipe.len(), 11);
        assert!(!pipe.is_closed());
        assert!(
            task.poll_fn(|cx| fill(&mut pipe, cx, usize::MAX))
                .is_ready()
        );
        assert!(pipe.is_closed(), "`Ok(0)` closes the pipe");
        assert!(matches!(pipe.state(), PipeState::Closed));
    }
    assert!(
        (1..=3).contains(&script.bufs[0]),
        "lent {} bytes for a budget of 3",
        script.bufs[0]
    );
    assert_eq!(pipe.read_exact(11).unwrap(), "hello world");
    assert!(matches!(pipe.read_exact(1), Err(ReadError::End)));
}

#[test]
fn from_transport_error_closes_the_pipe_with_that_error() {
    let mut script = Script::new([data(b"ab"), Step::Fail(RESET)]);
    let mut pipe = Pipe::new();
    let mut task = Task::new();
    {
        let mut fill = from_transport(|cx, buf| script.poll_read(cx, buf));
        assert!(
            task.poll_fn(|cx| fill(&mut pipe, cx, usize::MAX))
                .is_ready()
        );
        assert!(
            task.poll_fn(|cx| fill(&mut pipe, cx, usize::MAX))
                .is_ready()
        );
    }
    let PipeState::Failed(e) = pipe.state() else {
        panic!("closed with the error: {:?}", pipe.state())
    };
    assert_eq!(e.kind(), RESET);
    assert_eq!(
        pipe.read_exact(2).unwrap(),
        "ab",
        "buffered bytes stay readable"
    );
    let Err(ReadError::Stream(a)) = pipe.read_line(false) else {
        panic!()
    };
    let Err(ReadError::Stream(b)) = pipe.read_exact(1) else {
        panic!()
    };
    assert!(a.same_as(&b));
}

#[test]
fn from_transport_retries_interrupted_and_wakes_on_would_block() {
    let mut script = Script::new([
        Step::Interrupted,
        Step::Interrupted,
        data(b"ab"),
        Step::WouldBlock,
        data(b"c"),
    ]);
    let mut pipe = Pipe::new();
    let mut task = Task::new();
    {
        let mut fill = from_transport(|cx, buf| script.poll_read(cx, buf));
        // `Interrupted` is retried within the same call.
        assert!(
            task.poll_fn(|cx| fill(&mut pipe, cx, usize::MAX))
                .is_ready()
        );
        assert_eq!(pipe.len(), 2);
        // `WouldBlock` is "not ready": Pending, and the task is woken (checked by `Task`).
        let wakes = task.wakes();
        assert!(
            task.poll_fn(|cx| fill(&mut pipe, cx, usize::MAX))
                .is_pending()
        );
        assert!(task.wakes() > wakes);
        assert_eq!(pipe.len(), 2);
        assert!(!pipe.is_closed());
        assert!(
            task.poll_fn(|cx| fill(&mut pipe, cx, usize::MAX))
                .is_ready()
        );
    }
    assert_eq!(pipe.read_exact(3).unwrap(), "abc");
}

#[test]
fn idle_stream_holds_no_pooled_chunk() {
    let (pool, options) = small_chunks(UNLIMITED);
    let steps = [
        Step::Pending,
        data(b"a\n"),
        Step::Pending,
        Step::Pending,
        data(b"b\n"),
        Step::End,
    ];
    let mut s = Stream::with(options, steps);
    let mut task = Task::new();
    {
        let mut fut = pin!(read_line(&mut s, false));
        assert!(task.poll(fut.as_mut()).is_pending());
        assert_eq!(
            pool.stats().outstanding_chunks,
            0,
            "a chunk kept over an empty poll"
        );
        let Poll::Ready(line) = task.poll(fut.as_mut()) else {
            panic!("data was there")
        };
        assert_eq!(line.unwrap().unwrap(), "a");
    }
    {
        let mut fut = pin!(read_line(&mut s, false));
        assert!(task.poll(fut.as_mut()).is_pending());
        // "a busy stream keeps the one chunk it just emptied ..., and gives it back when a
        // read finds nothing"
        assert_eq!(
            pool.stats().outstanding_chunks,
            0,
            "the spare chunk was not given back"
        );
    }
    assert_eq!(run(read_line(&mut s, false)).unwrap().unwrap(), "b");
    assert_eq!(run(read_line(&mut s, false)).unwrap(), None);
}

#[test]
fn ended_or_cancelled_stream_holds_no_pooled_chunk() {
    for last in [Step::End, Step::Fail(RESET)] {
        let (pool, options) = small_chunks(UNLIMITED);
        let content: Vec<u8> = (0..500)
            .map(|i| if i % 50 == 49 { b'\n' } else { b'x' })
            .collect();
        let mut steps = one_byte(&content[..100], Step::Pending);
        steps.extend(whole(&content[100..], last.clone()));
        let mut s = Stream::with(options, steps);
        let mut task = Task::new();
        // A read cancelled after some bytes came, then all of them read.
        {
            let mut fut = pin!(read_exact(&mut s, 10));
            assert!(task.poll(fut.as_mut()).is_pending());
        }
        assert_eq!(run(read_exact(&mut s, 50)).unwrap().unwrap().len(), 50);
        assert_eq!(run(read_exact(&mut s, 50)).unwrap().unwrap().len(), 50);
        // A read cancelled while nothing is buffered and the transport is idle.
        {
            let mut fut = pin!(read_line(&mut s, false));
            assert!(task.poll(fut.as_mut()).is_pending());
        }
        assert_eq!(s.pipe.len(), 0);
        assert_eq!(
            pool.stats().outstanding_chunks,
            0,
            "{last:?}: a chunk held by an idle, empty stream"
        );
        while let Ok(Some(_)) = run(read_line(&mut s, false)) {}
        assert!(s.pipe.is_empty() && s.pipe.is_closed());
        assert_eq!(
            pool.stats().outstanding_chunks,
            0,
            "{last:?}: a chunk held after the end"
        );
    }
}

#[test]
fn pending_keeps_bytes_read_earlier() {
    let mut script = Script::new([data(b"ab"), Step::Pending, data(b"c")]);
    let mut pipe = Pipe::new();
    let mut task = Task::new();
    {
        let mut fill = from_transport(|cx, buf| script.poll_read(cx, buf));
        assert!(
            task.poll_fn(|cx| fill(&mut pipe, cx, usize::MAX))
                .is_ready()
        );
        assert!(
            task.poll_fn(|cx| fill(&mut pipe, cx, usize::MAX))
                .is_pending()
        );
        assert_eq!(pipe.len(), 2);
        assert!(
            task.poll_fn(|cx| fill(&mut pipe, cx, usize::MAX))
                .is_ready()
        );
    }
    assert_eq!(pipe.read_exact(3).unwrap(), "abc");
}

// ---------------------------------------------------------------------------------------------
// into_io
// ---------------------------------------------------------------------------------------------

#[test]
fn into_io_maps_each_outcome_as_its_table_says() {
    let mut pipe = Pipe::with_options(limit(2));
    pipe.write_all(b"ab\nabc").unwrap();
    assert_eq!(into_io(pipe.read_line(false)).unwrap().unwrap(), "ab");
    let e = into_io(pipe.read_line(false)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData);
    assert!(matches!(
        read_error_of(&e),
        Some(ReadError::LimitExceeded {
            limit: 2,
            buffered: 3
        })
    ));
    assert_eq!(pipe.len(), 3, "nothing consumed");
    let e = into_io(pipe.read_at_most(0)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(pipe.len(), 3);
    let mut pipe = Pipe::new();
    pipe.write_all(b"ab").unwrap();
    pipe.eof().unwrap();
    let e = into_io(pipe.read_exact(3)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnexpectedEof);
    assert!(matches!(read_error_of(&e), Some(ReadError::Partial(rest)) if rest == "ab"));
    assert_eq!(into_io(pipe.read_line(false)).unwrap(), None);
    assert_eq!(into_io(Err(ReadError::End)).unwrap(), None);

    let mut failed = Pipe::new();
    failed
        .eof_with_error(io::Error::from(ErrorKind::TimedOut))
        .unwrap();
    let a = into_io(failed.read_line(false)).unwrap_err();
    let b = into_io(failed.read_exact(3)).unwrap_err();
    assert_eq!(
        (a.kind(), b.kind()),
        (ErrorKind::TimedOut, ErrorKind::TimedOut)
    );
    assert!(
        stream_error(&a).same_as(&stream_error(&b)),
        "the same error every time"
    );
}

/// into_io: a failed stream's error "carries the `StreamError` itself as its inner error ...
/// so that two reads' errors can be compared"; `read_error_of` is for the other outcomes.
#[test]
fn into_io_stream_error_carries_the_stream_error_itself() {
    let mut failed = Pipe::new();
    failed
        .eof_with_error(io::Error::from(ErrorKind::TimedOut))
        .unwrap();
    let first = into_io(failed.read_line(false)).unwrap_err();
    let second = into_io(failed.read_exact(3)).unwrap_err();
    assert_eq!(first.kind(), ErrorKind::TimedOut);
    assert!(read_error_of(&first).is_none(), "{first:?}");
    let inner = |e: &io::Error| {
        e.get_ref()
            .and_then(|i| i.downcast_ref::<StreamError>())
            .cloned()
    };
    let (a, b) = (
        inner(&first).expect("a StreamError"),
        inner(&second).expect("a StreamError"),
    );
    assert!(a.same_as(&b), "the same shared error every time");
    // A partial frame's leftover is a `ReadError` inside, as `read_error_of` says.
    let mut ended = Pipe::new();
    ended.write_all(b"left").unwrap();
    ended.eof().unwrap();
    let e = into_io(ended.read_line(false)).unwrap_err();
    assert!(matches!(read_error_of(&e), Some(ReadError::Partial(rest)) if rest == "left"));
}

// ---------------------------------------------------------------------------------------------
// read_line
// ---------------------------------------------------------------------------------------------

#[test]
fn read_line_outcomes_ready_empty_partial_end() {
    for steps in [
        whole(b"one\r\ntwo\n\nthr", Step::End),
        one_byte(b"one\r\ntwo\n\nthr", Step::End),
    ] {
        let mut s = Stream::new(steps);
        assert_eq!(run(read_line(&mut s, false)).unwrap().unwrap(), "one");
        assert_eq!(run(read_line(&mut s, true)).unwrap().unwrap(), "two\n");
        assert_eq!(
            run(read_line(&mut s, false)).unwrap().unwrap(),
            "",
            "an empty line is not the end"
        );
        assert_eq!(
            got(run(read_line(&mut s, true))),
            Got::Partial(b"thr".to_vec())
        );
        assert_eq!(run(read_line(&mut s, false)).unwrap(), None);
        assert_eq!(run(read_line(&mut s, true)).unwrap(), None);
        assert_eq!(s.script.polls_after_terminal, 0);
    }
}

#[test]
fn read_line_one_byte_reads_with_pending_between() {
    let content = b"hello\r\nworld\n";
    let mut s = Stream::new(one_byte(content, Step::End));
    let mut task = Task::new();
    assert_eq!(
        task.block_on(read_line(&mut s, false)).unwrap().unwrap(),
        "hello"
    );
    assert_eq!(s.consumed(), 7);
    assert!(s.pipe.is_empty());
    assert_eq!(
        task.block_on(read_line(&mut s, true)).unwrap().unwrap(),
        "world\n"
    );
    assert_eq!(task.block_on(read_line(&mut s, true)).unwrap(), None);
    assert_eq!(task.pendings, content.len(), "one Pending after each byte");
}

#[test]
fn stream_error_is_the_same_every_time_and_buffered_bytes_stay_readable() {
    let mut s = Stream::new([data(b"a\nbc"), Step::Fail(RESET)]);
    assert_eq!(run(read_line(&mut s, false)).unwrap().unwrap(), "a");
    let e1 = run(read_line(&mut s, false)).unwrap_err();
    assert_eq!(e1.kind(), RESET);
    assert_eq!(s.pipe.len(), 2, "nothing consumed");
    let e2 = run(read_line(&mut s, false)).unwrap_err();
    assert!(
        stream_error(&e1).same_as(&stream_error(&e2)),
        "the same error every time"
    );
    let e3 = run(read_exact(&mut s, 3)).unwrap_err();
    assert!(stream_error(&e1).same_as(&stream_error(&e3)));
    assert_eq!(
        run(read_exact(&mut s, 2)).unwrap().unwrap(),
        "bc",
        "reads the buffer can serve"
    );
    let e4 = run(read_exact(&mut s, 1)).unwrap_err();
    assert!(stream_error(&e1).same_as(&stream_error(&e4)));
    let e5 = run(peek(&mut s, 1)).unwrap_err();
    assert!(stream_error(&e1).same_as(&stream_error(&e5)));
    assert_eq!(s.script.polls_after_terminal, 0);
}

#[test]
fn other_waiters_after_a_read_line_error() {
    let make = || {
        let mut s = Stream::new(one_byte(b"x\nyz", Step::Fail(RESET)));
        assert_eq!(run(read_line(&mut s, false)).unwrap().unwrap(), "x");
        assert_eq!(run(read_line(&mut s, false)).unwrap_err().kind(), RESET);
        assert_eq!(s.buffered(), b"yz");
        s
    };
    // fill_more: "the stream's error after a failed one".
    let mut s = make();
    assert_eq!(run(fill_more(&mut s)).unwrap_err().kind(), RESET);
    assert_eq!(s.buffered(), b"yz");
    // fill_at_least: enough buffered is true; more is the error.
    let mut s = make();
    assert!(run(fill_at_least(&mut s, 2)).unwrap());
    assert_eq!(run(fill_at_least(&mut s, 3)).unwrap_err().kind(), RESET);
    // read_until, read_to_end, read_lines_with: the error, nothing consumed.
    let mut s = make();
    assert_eq!(
        got(run(read_until(&mut s, b";", false))),
        Got::Stream(RESET)
    );
    assert_eq!(got_bytes(run(read_to_end(&mut s))), Got::Stream(RESET));
    assert_eq!(
        run(read_lines_with(&mut s, false, |_| panic!("no line")))
            .unwrap_err()
            .kind(),
        RESET
    );
    assert_eq!(s.buffered(), b"yz");
    // read_at_most and peek take what is buffered, then the error.
    let mut s = make();
    assert_eq!(run(peek(&mut s, 5)).unwrap().unwrap(), "yz");
    assert_eq!(run(read_at_most(&mut s, 5)).unwrap().unwrap(), "yz");
    assert_eq!(got(run(peek(&mut s, 1))), Got::Stream(RESET));
    assert_eq!(got(run(read_at_most(&mut s, 1))), Got::Stream(RESET));
    // discard_until: "with the error if the transport failed".
    let mut s = make();
    assert_eq!(run(discard_until(&mut s, b"\n")).unwrap_err().kind(), RESET);
    // poll_fill_buf and poll_read_into: the buffered bytes, then the error.
    let mut s = make();
    let mut task = Task::new();
    let script = &mut s.script;
    let pipe = &mut s.pipe;
    let mut fill = from_transport(|cx, buf| script.poll_read(cx, buf));
    let Poll::Ready(Ok(buf)) = task.poll_fn(|cx| poll_fill_buf(pipe, cx, &mut fill)) else {
        panic!()
    };
    assert_eq!(buf, b"yz");
    let mut out = [0; 8];
    let Poll::Ready(Ok(n)) = task.poll_fn(|cx| poll_read_into(pipe, cx, &mut out, &mut fill))
    else {
        panic!()
    };
    assert_eq!(&out[..n], b"yz");
    let Poll::Ready(Err(e)) = task.poll_fn(|cx| poll_fill_buf(pipe, cx, &mut fill)) else {
        panic!()
    };
    assert_eq!(e.kind(), RESET);
    let Poll::Ready(Err(e)) = task.poll_fn(|cx| poll_read_into(pipe, cx, &mut out, &mut fill))
    else {
        panic!()
    };
    assert_eq!(e.kind(), RESET);
}

#[test]
fn transport_is_not_polled_after_end_or_error() {
    // "the end and the transport's error are kept in the pipe ..., so every later read sees
    // them": later reads are served by the pipe, not by polling a finished transport again.
    for last in [Step::End, Step::Fail(RESET)] {
        let mut s = Stream::new(whole(b"ab", last.clone()));
        let _ = run(read_line(&mut s, false));
        let _ = run(read_line(&mut s, false));
        let _ = run(fill_more(&mut s));
        let _ = run(read_exact(&mut s, 5));
        let _ = run(peek(&mut s, 5));
        let _ = run(discard_until(&mut s, b"\n"));
        let _ = run(read_to_end(&mut s));
        assert_eq!(
            s.script.polls_after_terminal, 0,
            "{last:?}: transport polled after it ended"
        );
    }
}

/// What a line read of `input` must give with a limit of `m`, for both the whole and the
/// one-byte transport; on a limit, the bytes buffered are bounded and nothing is consumed.
fn check_line_case(m: usize, input: &[u8], clean_end: bool, with_ending: bool, want: Got) {
    for one in [false, true] {
        let last = if clean_end { Step::End } else { Step::Pending };
        // The next line, within the limit.
        let next = &b"ok"[..m.min(2)];
        let mut content = input.to_vec();
        if !clean_end {
            content.extend_from_slice(next);
            content.push(b'\n');
        }
        let steps = if one {
            one_byte(&content, last)
        } else {
            whole(&content, last)
        };
        let mut s = Stream::with(limit(m), steps);
        let ctx = format!(
            "m={m} {:?} one_byte={one} with_ending={with_ending}",
            String::from_utf8_lossy(input)
        );
        let r = got(run(read_line(&mut s, with_ending)));
        match (&want, &r) {
            (Got::Limit { .. }, Got::Limit { limit, buffered }) => {
                assert_eq!(*limit, m, "{ctx}");
                assert_eq!(
                    *buffered,
                    s.pipe.len(),
                    "{ctx}: `buffered` is the pipe's len"
                );
                assert_eq!(s.consumed(), 0, "{ctx}: nothing consumed");
                assert!(
                    *buffered <= m + 2,
                    "{ctx}: {buffered} bytes buffered for a limit of {m}"
                );
                if !clean_end {
                    // The way on: discard the long line, read the next.
                    let dropped = run(discard_until(&mut s, b"\n")).unwrap();
                    assert_eq!(dropped, input.len(), "{ctx}");
                    assert_eq!(
                        run(read_line(&mut s, false)).unwrap().unwrap(),
                        next,
                        "{ctx}"
                    );
                }
            }
            _ => {
                assert_eq!(r, want, "{ctx}");
                if !clean_end {
                    assert_eq!(
                        run(read_line(&mut s, false)).unwrap().unwrap(),
                        next,
                        "{ctx}"
                    );
                }
            }
        }
    }
}

#[test]
fn read_line_limit_boundaries() {
    let f = |b: &[u8]| Got::Frame(b.to_vec());
    let lim = Got::Limit {
        limit: 0,
        buffered: 0,
    };
    let m = 4;
    // Under, at and over the limit, with `\n` and `\r\n`.
    check_line_case(m, b"abc\n", false, false, f(b"abc"));
    check_line_case(m, b"abcd\n", false, false, f(b"abcd"));
    check_line_case(m, b"abcd\n", false, true, f(b"abcd\n"));
    check_line_case(m, b"abcde\n", false, false, lim.clone());
    check_line_case(m, b"abc\r\n", false, false, f(b"abc"));
    check_line_case(m, b"abcd\r\n", false, false, f(b"abcd"));
    check_line_case(m, b"abcd\r\n", false, true, f(b"abcd\r\n"));
    check_line_case(m, b"abcde\r\n", false, false, lim.clone());
    check_line_case(m, b"abcd\rx\n", false, false, lim.clone());
    check_line_case(m, b"\n", false, false, f(b""));
    check_line_case(m, b"\r\n", false, true, f(b"\r\n"));
    // At the end.
    check_line_case(m, b"abc", true, false, Got::Partial(b"abc".to_vec()));
    check_line_case(m, b"abcd", true, false, Got::Partial(b"abcd".to_vec()));
    check_line_case(m, b"abcd\r", true, false, Got::Partial(b"abcd\r".to_vec()));
    check_line_case(m, b"abcde", true, false, lim.clone());
    check_line_case(m, b"abcd\r\r", true, false, lim.clone());
    check_line_case(m, b"", true, false, Got::End);
}

#[test]
fn read_line_limit_zero() {
    let lim = Got::Limit {
        limit: 0,
        buffered: 0,
    };
    check_line_case(0, b"\n", false, false, Got::Frame(vec![]));
    check_line_case(0, b"\r\n", false, false, Got::Frame(vec![]));
    check_line_case(0, b"a\n", false, false, lim.clone());
    check_line_case(0, b"\r", true, false, Got::Partial(b"\r".to_vec()));
    check_line_case(0, b"a", true, false, lim);
}

#[test]
fn read_until_outcomes_and_limits() {
    let m = 4;
    for one in [false, true] {
        let mk = |content: &[u8], last: Step| stream_in(one, m, content, last);
        // Separators across reads, with and without the separator kept.
        let mut s = mk(b"ab--abcd--x;y;abcd;", Step::End);
        assert_eq!(
            run(read_until(&mut s, b"--", false)).unwrap().unwrap(),
            "ab"
        );
        assert_eq!(
            run(read_until(&mut s, b"--", true)).unwrap().unwrap(),
            "abcd--",
            "at the limit"
        );
        assert_eq!(run(read_until(&mut s, b";", true)).unwrap().unwrap(), "x;");
        assert_eq!(run(read_until(&mut s, b";", false)).unwrap().unwrap(), "y");
        assert_eq!(
            run(read_until(&mut s, b";", false)).unwrap().unwrap(),
            "abcd"
        );
        assert_eq!(run(read_until(&mut s, b";", false)).unwrap(), None);
        // One over: nothing consumed, then the way on.
        for (input, sep) in [(&b"abcde--ok--"[..], &b"--"[..]), (b"abcde;ok;", b";")] {
            let mut s = mk(input, Step::End);
            let r = got(run(read_until(&mut s, sep, false)));
            let Got::Limit { limit, buffered } = r else {
                panic!("{input:?}: {r:?}")
            };
            assert_eq!((limit, buffered), (m, s.pipe.len()));
            assert!(buffered <= m + sep.len(), "{buffered} buffered");
            assert_eq!(s.consumed(), 0);
            assert_eq!(run(discard_until(&mut s, sep)).unwrap(), 5 + sep.len());
            assert_eq!(run(read_until(&mut s, sep, false)).unwrap().unwrap(), "ok");
        }
        // At the end: partial within the limit, the limit past it.
        let mut s = mk(b"abcd", Step::End);
        assert_eq!(
            got(run(read_until(&mut s, b";", false))),
            Got::Partial(b"abcd".to_vec())
        );
        assert_eq!(run(read_until(&mut s, b";", false)).unwrap(), None);
        let mut s = mk(b"abcde", Step::End);
        assert!(matches!(
            got(run(read_until(&mut s, b";", false))),
            Got::Limit { limit: 4, .. }
        ));
        let mut s = mk(b"ab", Step::Fail(RESET));
        assert_eq!(
            got(run(read_until(&mut s, b";", false))),
            Got::Stream(RESET)
        );
        assert_eq!(s.buffered(), b"ab");
    }
}

#[test]

fn read_until_at_the_end_past_the_limit_is_limit_exceeded() {
    // Pipe::read_until: "the outcomes of [`ReadError`], the limit counting the frame without
    // its separator"; ReadError::LimitExceeded: "The frame would be longer than `limit`
    // bytes". The last byte `e` cannot begin `--`: the leftover is 5 bytes of frame.
    for one in [false, true] {
        let steps = if one {
            one_byte(b"abcde", Step::End)
        } else {
            whole(b"abcde", Step::End)
        };
        let mut s = Stream::with(limit(4), steps);
        let r = got(run(read_until(&mut s, b"--", false)));
        assert!(
            matches!(r, Got::Limit { limit: 4, .. }),
            "one_byte={one}: {r:?}"
        );
    }
}

#[test]
fn invalid_arguments_change_nothing() {
    let mut s = Stream::new([data(b"abc"), Step::Pending, Step::End]);
    assert_eq!(run(peek(&mut s, 3)).unwrap().unwrap(), "abc");
    let polls = s.script.polls;
    assert_eq!(got(run(read_until(&mut s, b"", false))), Got::Invalid);
    assert_eq!(got(run(read_at_most(&mut s, 0))), Got::Invalid);
    assert_eq!(
        run(discard_until(&mut s, b"")).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(s.buffered(), b"abc");
    assert_eq!(s.script.polls, polls, "a bad call did I/O");
    assert!(!s.pipe.is_closed());
}

// ---------------------------------------------------------------------------------------------
// read_exact, read_at_most, peek, read_to_end
// ---------------------------------------------------------------------------------------------

#[test]
fn read_exact_outcomes() {
    for one in [false, true] {
        let steps = if one {
            one_byte(b"abcdef", Step::End)
        } else {
            whole(b"abcdef", Step::End)
        };
        let mut s = Stream::new(steps);
        assert_eq!(run(read_exact(&mut s, 4)).unwrap().unwrap(), "abcd");
        assert_eq!(run(read_exact(&mut s, 0)).unwrap().unwrap(), "");
        assert_eq!(
            got(run(read_exact(&mut s, 3))),
            Got::Partial(b"ef".to_vec())
        );
        assert_eq!(
            run(read_exact(&mut s, 1)).unwrap(),
            None,
            "the end with nothing buffered"
        );
        assert_eq!(
            run(read_exact(&mut s, 0)).unwrap().unwrap(),
            "",
            "0 is an empty frame at once"
        );
    }
    // `n == 0` at once, without waiting for the transport.
    let mut s = Stream::new([Step::Pending, data(b"x")]);
    let mut task = Task::new();
    let mut fut = pin!(read_exact(&mut s, 0));
    assert!(matches!(task.poll(fut.as_mut()), Poll::Ready(Ok(Some(b))) if b.is_empty()));
}

#[test]
fn read_exact_over_the_limit_fails_at_once() {
    let mut s = Stream::with(limit(4), [Step::Pending, data(b"abcdefgh"), Step::End]);
    let mut task = Task::new();
    {
        let mut fut = pin!(read_exact(&mut s, 5));
        let Poll::Ready(r) = task.poll(fut.as_mut()) else {
            panic!("n > max_frame is at once")
        };
        assert!(matches!(
            got(r),
            Got::Limit {
                limit: 4,
                buffered: 0
            }
        ));
    }
    assert_eq!(s.script.polls, 0, "checked first, without I/O");
    assert_eq!(
        task.block_on(read_exact(&mut s, 4)).unwrap().unwrap(),
        "abcd"
    );
    assert_eq!(
        task.block_on(read_exact(&mut s, 3)).unwrap().unwrap(),
        "efg"
    );
    // Also on a closed pipe with nothing left: the limit, not the end.
    assert_eq!(task.block_on(read_exact(&mut s, 1)).unwrap().unwrap(), "h");
    assert_eq!(task.block_on(read_exact(&mut s, 1)).unwrap(), None);
    assert!(matches!(
        got(task.block_on(read_exact(&mut s, 5))),
        Got::Limit { limit: 4, .. }
    ));
}

#[test]
fn peek_after_read_exact_partial() {
    let mut s = Stream::new(one_byte(b"ab", Step::End));
    assert_eq!(
        got(run(read_exact(&mut s, 3))),
        Got::Partial(b"ab".to_vec())
    );
    assert_eq!(run(peek(&mut s, 1)).unwrap(), None);
    assert_eq!(
        run(peek(&mut s, 0)).unwrap().unwrap(),
        "",
        "peek(0) is an empty frame at once"
    );
    assert_eq!(run(fill_more(&mut s)).unwrap(), 0);
    assert!(!run(fill_at_least(&mut s, 1)).unwrap());
    assert_eq!(run(read_line(&mut s, false)).unwrap(), None);
    assert_eq!(run(read_at_most(&mut s, 3)).unwrap(), None);
    assert_eq!(run(read_to_end(&mut s)).unwrap(), "");
}

#[test]
fn read_at_most_returns_what_is_there() {
    let mut s = Stream::new([data(b"abcdef"), Step::Pending, data(b"gh"), Step::End]);
    let mut task = Task::new();
    assert_eq!(
        task.block_on(read_at_most(&mut s, 4)).unwrap().unwrap(),
        "abcd"
    );
    let polls = s.script.polls;
    assert_eq!(
        task.block_on(read_at_most(&mut s, 4)).unwrap().unwrap(),
        "ef"
    );
    assert_eq!(
        s.script.polls, polls,
        "served from the buffer without waiting for more"
    );
    assert_eq!(task.pendings, 0);
    assert_eq!(
        task.block_on(read_at_most(&mut s, 10)).unwrap().unwrap(),
        "gh"
    );
    assert_eq!(task.pendings, 1);
    assert_eq!(got(task.block_on(read_at_most(&mut s, 0))), Got::Invalid);
    assert_eq!(task.block_on(read_at_most(&mut s, 10)).unwrap(), None);
}

#[test]
fn peek_waits_for_one_byte_and_consumes_nothing() {
    let mut s = Stream::new(one_byte(b"abc", Step::End));
    let mut task = Task::new();
    assert_eq!(task.block_on(peek(&mut s, 0)).unwrap().unwrap(), "");
    assert_eq!(s.script.polls, 0, "peek(0) at once");
    assert_eq!(
        task.block_on(peek(&mut s, 3)).unwrap().unwrap(),
        "a",
        "waits for at least one"
    );
    assert_eq!(
        task.block_on(peek(&mut s, 3)).unwrap().unwrap(),
        "a",
        "nothing consumed"
    );
    assert_eq!(s.pipe.len(), 1);
    assert_eq!(
        task.block_on(read_exact(&mut s, 3)).unwrap().unwrap(),
        "abc"
    );
    assert_eq!(task.block_on(peek(&mut s, 1)).unwrap(), None);
}

#[test]
fn read_to_end_within_the_limit() {
    for one in [false, true] {
        let mk = |m: usize, content: &[u8], last: Step| stream_in(one, m, content, last);
        assert_eq!(
            run(read_to_end(&mut mk(8, b"1234567", Step::End))).unwrap(),
            "1234567"
        );
        assert_eq!(
            run(read_to_end(&mut mk(8, b"12345678", Step::End))).unwrap(),
            "12345678"
        );
        let mut s = mk(8, b"123456789", Step::End);
        let r = got_bytes(run(read_to_end(&mut s)));
        let Got::Limit { limit, buffered } = r else {
            panic!("{r:?}")
        };
        assert_eq!((limit, buffered), (8, s.pipe.len()));
        assert_eq!(s.consumed(), 0, "nothing consumed");
        assert_eq!(run(read_to_end(&mut mk(8, b"", Step::End))).unwrap(), "");
        let mut s = mk(8, b"a\nbc", Step::Fail(RESET));
        assert_eq!(run(read_line(&mut s, false)).unwrap().unwrap(), "a");
        assert_eq!(got_bytes(run(read_to_end(&mut s))), Got::Stream(RESET));
        assert_eq!(s.buffered(), b"bc");
        let mut s = mk(8, b"a\nbc", Step::End);
        assert_eq!(run(read_line(&mut s, false)).unwrap().unwrap(), "a");
        assert_eq!(run(read_to_end(&mut s)).unwrap(), "bc");
        assert_eq!(run(read_to_end(&mut s)).unwrap(), "");
    }
}

// ---------------------------------------------------------------------------------------------
// read_lines_with
// ---------------------------------------------------------------------------------------------

#[test]
fn read_lines_with_counts_waits_and_reports_outcomes() {
    for one in [false, true] {
        let mk = |m: usize, content: &[u8], last: Step| stream_in(one, m, content, last);
        let mut s = mk(64, b"a\nbb\r\nccc", Step::End);
        let mut lines = Vec::new();
        let mut total = 0;
        loop {
            match run(read_lines_with(&mut s, false, |l| lines.push(l.to_vec()))) {
                Ok(0) => panic!("the partial line comes before the end"),
                Ok(n) => total += n,
                Err(e) => {
                    assert_eq!(got_err(&e), Got::Partial(b"ccc".to_vec()));
                    break;
                }
            }
        }
        assert_eq!(total, 2);
        assert_eq!(lines, [&b"a"[..], b"bb"]);
        assert_eq!(
            run(read_lines_with(&mut s, false, |_| panic!())).unwrap(),
            0,
            "the clean end"
        );

        let mut s = mk(64, b"x\r\n", Step::End);
        let mut lines = Vec::new();
        assert_eq!(
            run(read_lines_with(&mut s, true, |l| lines.push(l.to_vec()))).unwrap(),
            1
        );
        assert_eq!(lines, [b"x\r\n"]);

        let mut s = mk(2, b"ok\nabc\nno\n", Step::End);
        let mut lines = Vec::new();
        let mut n = 0;
        let e = loop {
            match run(read_lines_with(&mut s, false, |l| lines.push(l.to_vec()))) {
                Ok(k) => n += k,
                Err(e) => break e,
            }
        };
        assert_eq!(
            (n, lines),
            (1, vec![b"ok".to_vec()]),
            "a line over the limit stops the batch"
        );
        assert!(matches!(got_err(&e), Got::Limit { limit: 2, .. }));
        assert_eq!(
            &s.buffered()[..3],
            b"abc",
            "nothing of the long line consumed"
        );

        let mut s = mk(64, b"x\n", Step::Fail(RESET));
        let mut lines = Vec::new();
        assert_eq!(
            run(read_lines_with(&mut s, false, |l| lines.push(l.to_vec()))).unwrap(),
            1
        );
        assert_eq!(
            run(read_lines_with(&mut s, false, |_| panic!()))
                .unwrap_err()
                .kind(),
            RESET
        );
    }
}

// ---------------------------------------------------------------------------------------------
// fill_more, fill_at_least
// ---------------------------------------------------------------------------------------------

#[test]
fn fill_more_reports_arrivals_then_the_end() {
    let mut s = Stream::new([data(b"ab"), Step::Pending, data(b"cd"), Step::End]);
    let mut task = Task::new();
    assert_eq!(task.block_on(fill_more(&mut s)).unwrap(), 2);
    assert_eq!(task.block_on(fill_more(&mut s)).unwrap(), 2);
    assert_eq!(task.pendings, 1);
    assert_eq!(
        task.block_on(fill_more(&mut s)).unwrap(),
        0,
        "the clean end"
    );
    assert_eq!(task.block_on(fill_more(&mut s)).unwrap(), 0);
    assert_eq!(s.buffered(), b"abcd", "consumes nothing");
}

#[test]
fn fill_more_reports_bytes_before_the_error() {
    let mut s = Stream::new([data(b"ab"), Step::Fail(RESET)]);
    assert_eq!(run(fill_more(&mut s)).unwrap(), 2);
    let e1 = run(fill_more(&mut s)).unwrap_err();
    let e2 = run(fill_more(&mut s)).unwrap_err();
    assert_eq!((e1.kind(), e2.kind()), (RESET, RESET));
    assert!(stream_error(&e1).same_as(&stream_error(&e2)));
    assert_eq!(s.buffered(), b"ab");
}

#[test]
fn fill_more_is_not_bounded_by_the_frame_limit() {
    let (_pool, options) = small_chunks(4);
    let content: Vec<u8> = (0..200u8).collect();
    let mut s = Stream::with(options, [Step::Data(content.clone()), Step::End]);
    let mut total = 0;
    loop {
        let k = run(fill_more(&mut s)).unwrap();
        if k == 0 {
            break;
        }
        assert!(k <= 64, "one fill reads at most one chunk, got {k}");
        if total + 64 <= content.len() {
            assert!(k > 4 + 2, "the frame limit bounded a fill_more: {k}");
        }
        total += k;
    }
    assert_eq!(total, 200);
    assert_eq!(s.buffered(), content);
}

#[test]
fn poll_fill_more_keeps_since_across_polls() {
    let mut s = Stream::new([
        data(b"ab"),
        Step::Pending,
        Step::Pending,
        data(b"cde"),
        Step::End,
    ]);
    let mut task = Task::new();
    let mut since = None;
    assert!(matches!(
        task.poll_fn(|cx| s.poll_fill_more(cx, &mut since)),
        Poll::Ready(Ok(2))
    ));
    let mut since = None;
    assert!(
        task.poll_fn(|cx| s.poll_fill_more(cx, &mut since))
            .is_pending()
    );
    assert_eq!(since, Some(2), "set on the first poll to what was buffered");
    assert!(
        task.poll_fn(|cx| s.poll_fill_more(cx, &mut since))
            .is_pending()
    );
    assert!(matches!(
        task.poll_fn(|cx| s.poll_fill_more(cx, &mut since)),
        Poll::Ready(Ok(3))
    ));
}

#[test]
fn fill_at_least_outcomes() {
    for one in [false, true] {
        let mk = |content: &[u8], last: Step| stream_in(one, 4, content, last);
        let mut s = mk(b"abc", Step::End);
        assert!(run(fill_at_least(&mut s, 0)).unwrap());
        assert!(run(fill_at_least(&mut s, 3)).unwrap());
        assert!(s.pipe.len() >= 3);
        assert!(
            !run(fill_at_least(&mut s, 4)).unwrap(),
            "the stream ended with 3"
        );
        assert_eq!(s.buffered(), b"abc", "consumes nothing");

        let mut s = mk(b"abcdef", Step::End);
        let polls = s.script.polls;
        let mut task = Task::new();
        {
            let mut fut = pin!(fill_at_least(&mut s, 5));
            let Poll::Ready(r) = task.poll(fut.as_mut()) else {
                panic!("over the limit at once")
            };
            let e = r.unwrap_err();
            assert!(matches!(got_err(&e), Got::Limit { limit: 4, .. }));
        }
        assert_eq!(s.script.polls, polls);
        assert!(run(fill_at_least(&mut s, 4)).unwrap(), "at the limit");

        let mut s = mk(b"ab", Step::Fail(RESET));
        assert_eq!(run(fill_at_least(&mut s, 3)).unwrap_err().kind(), RESET);
        assert!(run(fill_at_least(&mut s, 2)).unwrap());
    }
}

// ---------------------------------------------------------------------------------------------
// discard_until
// ---------------------------------------------------------------------------------------------

#[test]
fn discard_until_outcomes() {
    for one in [false, true] {
        let mk = |m: usize, content: &[u8], last: Step| stream_in(one, m, content, last);
        let mut s = mk(64, b"junk\r\nPING\r\n", Step::End);
        assert_eq!(run(discard_until(&mut s, b"\r\n")).unwrap(), 6);
        assert_eq!(run(read_line(&mut s, false)).unwrap().unwrap(), "PING");
        // The frame limit does not apply.
        let mut s = mk(4, b"0123456789\nok\n", Step::End);
        assert_eq!(run(discard_until(&mut s, b"\n")).unwrap(), 11);
        assert_eq!(run(read_line(&mut s, false)).unwrap().unwrap(), "ok");
        // At the clean end: the total, then 0.
        let mut s = mk(64, b"abc-", Step::End);
        assert_eq!(run(discard_until(&mut s, b"--")).unwrap(), 4);
        assert!(s.pipe.is_empty());
        assert_eq!(run(discard_until(&mut s, b"--")).unwrap(), 0);
        assert_eq!(run(read_line(&mut s, false)).unwrap(), None);
        // The transport's error.
        let mut s = mk(64, b"abc", Step::Fail(RESET));
        assert_eq!(run(discard_until(&mut s, b"\n")).unwrap_err().kind(), RESET);
        assert_eq!(run(read_line(&mut s, false)).unwrap_err().kind(), RESET);
    }
}

#[test]
fn discard_until_cancelled_keeps_count_and_loses_nothing() {
    let content = b"xxxxxxxxxx\nok\n";
    for seed in 0..50 {
        let mut rng = SplitMix(seed);
        let mut s = Stream::new(one_byte(content, Step::End));
        let mut task = Task::new();
        let mut totals = 0;
        let mut start = 0;
        let last = drive!(task, rng, 50, discard_until(&mut s, b"\n"), {
            let now = s.consumed();
            assert!(now >= start && now <= 11, "dropped {now}");
            assert_eq!(s.buffered(), &content[now..s.script.delivered]);
            totals += now - start;
            start = now;
        });
        assert_eq!(
            totals + last.unwrap(),
            11,
            "seed {seed}: bytes dropped stay dropped"
        );
        assert_eq!(run(read_line(&mut s, false)).unwrap().unwrap(), "ok");

        // PollRead::poll_discard_until: `dropped` carries the count across re-creations.
        let mut s = Stream::new(one_byte(content, Step::End));
        let mut dropped = 0;
        let total = loop {
            if let Poll::Ready(r) = task.poll_fn(|cx| s.poll_discard_until(cx, b"\n", &mut dropped))
            {
                break r.unwrap();
            }
        };
        assert_eq!(total, 11);
        assert_eq!(run(read_line(&mut s, false)).unwrap().unwrap(), "ok");
    }
}

#[test]
fn poll_discard_until_dropped_holds_the_total() {
    // "`dropped` accumulates across polls. Ready with the total".
    let mut s = Stream::new(one_byte(b"xxxxxxxxxx\nok\n", Step::End));
    let mut task = Task::new();
    let mut dropped = 0;
    let total = loop {
        if let Poll::Ready(r) = task.poll_fn(|cx| s.poll_discard_until(cx, b"\n", &mut dropped)) {
            break r.unwrap();
        }
    };
    assert_eq!((total, dropped), (11, 11));
}

// ---------------------------------------------------------------------------------------------
// poll_fill_buf, consume, poll_read_into, poll_read_from
// ---------------------------------------------------------------------------------------------

#[test]
fn poll_fill_buf_and_consume() {
    let (_pool, options) = small_chunks(UNLIMITED);
    let content: Vec<u8> = (0..150u8).collect();
    let mut pipe = Pipe::with_options(options);
    let mut script = Script::new([Step::Pending, Step::Data(content.clone()), Step::End]);
    let mut task = Task::new();
    let mut fill = from_transport(|cx, buf| script.poll_read(cx, buf));
    let mut seen = Vec::new();
    loop {
        let buf = match task.poll_fn(|cx| poll_fill_buf(&mut pipe, cx, &mut fill)) {
            Poll::Pending => continue,
            Poll::Ready(r) => r.unwrap().to_vec(),
        };
        if buf.is_empty() {
            break;
        }
        assert!(
            buf.len() <= 64,
            "more than the first chunk's worth: {}",
            buf.len()
        );
        assert_eq!(&buf[..], &content[seen.len()..seen.len() + buf.len()]);
        let take = buf.len().min(7);
        seen.extend_from_slice(&buf[..take]);
        consume(&mut pipe, take);
    }
    assert_eq!(seen, content);
    assert_eq!(task.pendings, 1);
    assert!(pipe.is_closed());
    // `consume` past what is buffered drops all.
    let mut pipe = Pipe::new();
    pipe.write_all(b"abc").unwrap();
    consume(&mut pipe, 10);
    assert!(pipe.is_empty());
}

#[test]
fn poll_read_into_buffered_first_then_fill_then_end() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"abc").unwrap();
    let mut script = Script::new([Step::Pending, data(b"defgh"), Step::End]);
    let mut task = Task::new();
    let mut out = [0u8; 4];
    {
        let mut fill = from_transport(|cx, buf| script.poll_read(cx, buf));
        let Poll::Ready(Ok(3)) =
            task.poll_fn(|cx| poll_read_into(&mut pipe, cx, &mut out, &mut fill))
        else {
            panic!()
        };
        assert_eq!(&out[..3], b"abc");
    }
    assert_eq!(script.polls, 0, "buffered bytes first, without a fill");
    let mut fill = from_transport(|cx, buf| script.poll_read(cx, buf));
    assert!(
        task.poll_fn(|cx| poll_read_into(&mut pipe, cx, &mut out, &mut fill))
            .is_pending()
    );
    let Poll::Ready(Ok(4)) = task.poll_fn(|cx| poll_read_into(&mut pipe, cx, &mut out, &mut fill))
    else {
        panic!()
    };
    assert_eq!(&out, b"defg");
    let Poll::Ready(Ok(1)) = task.poll_fn(|cx| poll_read_into(&mut pipe, cx, &mut out, &mut fill))
    else {
        panic!()
    };
    assert_eq!(out[0], b'h');
    let Poll::Ready(Ok(0)) = task.poll_fn(|cx| poll_read_into(&mut pipe, cx, &mut out, &mut fill))
    else {
        panic!()
    };
    let Poll::Ready(Ok(0)) = task.poll_fn(|cx| poll_read_into(&mut pipe, cx, &mut out, &mut fill))
    else {
        panic!()
    };
}

#[test]
fn poll_read_from_large_reads_skip_the_pipe() {
    let content: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
    let mut script = Script::new([Step::Pending, Step::Data(content.clone()), Step::End]);
    let mut pipe = Pipe::new();
    let mut task = Task::new();
    let mut seen = Vec::new();
    let mut big = vec![0u8; 32 * 1024];
    assert!(
        task.poll_fn(|cx| poll_read_from(&mut pipe, cx, &mut big, |cx, b| script.poll_read(cx, b)))
            .is_pending()
    );
    let Poll::Ready(Ok(n)) =
        task.poll_fn(|cx| poll_read_from(&mut pipe, cx, &mut big, |cx, b| script.poll_read(cx, b)))
    else {
        panic!()
    };
    assert!(n > 0);
    assert_eq!(pipe.len(), 0, "straight from the transport");
    assert_eq!(
        *script.bufs.last().unwrap(),
        big.len(),
        "the transport read into `out`"
    );
    seen.extend_from_slice(&big[..n]);
    // A small read goes through the pipe.
    let mut small = [0u8; 10];
    let Poll::Ready(Ok(k)) = task
        .poll_fn(|cx| poll_read_from(&mut pipe, cx, &mut small, |cx, b| script.poll_read(cx, b)))
    else {
        panic!()
    };
    assert!((1..=10).contains(&k));
    seen.extend_from_slice(&small[..k]);
    assert!(!pipe.is_empty(), "the rest of the fill stays buffered");
    // Then large reads: buffered bytes first.
    loop {
        let Poll::Ready(Ok(n)) = task
            .poll_fn(|cx| poll_read_from(&mut pipe, cx, &mut big, |cx, b| script.poll_read(cx, b)))
        else {
            panic!()
        };
        if n == 0 {
            break;
        }
        seen.extend_from_slice(&big[..n]);
    }
    assert_eq!(seen, content);
    assert!(pipe.is_closed(), "the end is kept in the pipe");
    assert_eq!(script.polls_after_terminal, 0);
}

#[test]
fn poll_read_from_keeps_end_and_error_in_the_pipe() {
    let mut script = Script::new([Step::Fail(RESET)]);
    let mut pipe = Pipe::new();
    let mut task = Task::new();
    let mut big = vec![0u8; 32 * 1024];
    let Poll::Ready(Err(e)) =
        task.poll_fn(|cx| poll_read_from(&mut pipe, cx, &mut big, |cx, b| script.poll_read(cx, b)))
    else {
        panic!()
    };
    assert_eq!(e.kind(), RESET);
    assert!(matches!(pipe.state(), PipeState::Failed(e) if e.kind() == RESET));
    let Poll::Ready(Err(e)) =
        task.poll_fn(|cx| poll_read_from(&mut pipe, cx, &mut big, |cx, b| script.poll_read(cx, b)))
    else {
        panic!()
    };
    assert_eq!(e.kind(), RESET, "every later read sees it");
    assert!(matches!(pipe.read_line(false), Err(ReadError::Stream(e)) if e.kind() == RESET));
    assert_eq!(script.polls_after_terminal, 0);
}

// ---------------------------------------------------------------------------------------------
// Budgets, requests, and FillFn written by hand.
// ---------------------------------------------------------------------------------------------

/// An adapter with a hand-written fill: one byte per call from `source`, then the end.
struct Custom {
    pipe: Pipe,
    source: VecDeque<u8>,
    /// (buffered, budget) of every fill.
    budgets: Vec<(usize, usize)>,
}

impl Custom {
    fn new(options: PipeOptions, buffered: &[u8], source: &[u8]) -> Custom {
        let mut pipe = Pipe::with_options(options);
        pipe.write_all(buffered).unwrap();
        Custom {
            pipe,
            source: source.iter().copied().collect(),
            budgets: Vec::new(),
        }
    }
}

impl PollRead for Custom {
    fn with_parts<R>(&mut self, f: impl FnOnce(&mut Pipe, &mut FillFn<'_>) -> R) -> R {
        let source = &mut self.source;
        let budgets = &mut self.budgets;
        f(
            &mut self.pipe,
            &mut |pipe: &mut Pipe, _cx: &mut Context<'_>, budget: usize| {
                budgets.push((pipe.len(), budget));
                match source.pop_front() {
                    Some(b) => pipe.write_all(&[b]).unwrap(),
                    None => pipe.eof().unwrap(),
                }
                Poll::Ready(())
            },
        )
    }
}

#[test]
fn fill_budgets_as_documented() {
    // A line: "a frame search's frame and ending less what is buffered" (at least 1).
    let mut c = Custom::new(limit(10), b"abc", b"defghij\n");
    assert_eq!(
        run(read_line(&mut c, false)).unwrap().unwrap(),
        "abcdefghij"
    );
    assert!(!c.budgets.is_empty());
    for &(buffered, budget) in &c.budgets {
        assert_eq!(
            budget,
            (10 + 2 - buffered).max(1),
            "line budget with {buffered} buffered"
        );
    }
    // A frame ending in a 3-byte separator.
    let mut c = Custom::new(limit(10), b"ab", b"c---");
    assert_eq!(
        run(read_until(&mut c, b"---", false)).unwrap().unwrap(),
        "abc"
    );
    for &(buffered, budget) in &c.budgets {
        assert_eq!(
            budget,
            (10 + 3 - buffered).max(1),
            "until budget with {buffered} buffered"
        );
    }
    // Reads that take whatever is there: usize::MAX.
    let mut c = Custom::new(limit(10), b"", b"xyz");
    assert_eq!(run(read_at_most(&mut c, 5)).unwrap().unwrap(), "x");
    assert_eq!(run(read_at_most(&mut c, 5)).unwrap().unwrap(), "y");
    assert_eq!(run(peek(&mut c, 5)).unwrap().unwrap(), "z");
    assert!(
        c.budgets.iter().all(|&(_, b)| b == usize::MAX),
        "{:?}",
        c.budgets
    );
    let mut c = Custom::new(limit(10), b"0123456789ab", b"x");
    assert_eq!(run(fill_more(&mut c)).unwrap(), 1);
    assert!(
        c.budgets[0].1 > 2,
        "fill_more is not bounded by the frame limit: {:?}",
        c.budgets
    );
    // No limit: no overflow.
    let mut c = Custom::new(limit(UNLIMITED), b"ab", b"c\n");
    assert_eq!(run(read_line(&mut c, true)).unwrap().unwrap(), "abc\n");
    assert!(c.budgets.iter().all(|&(_, b)| b >= 1));
}

#[test]
fn poll_read_request_serves_each_request_kind() {
    let mut s = Stream::new(one_byte(b"key\0line\r\nabcdefrest", Step::End));
    let mut task = Task::new();
    let mut req = |s: &mut Stream, request: ReadRequest<'_>| loop {
        if let Poll::Ready(r) = task.poll_fn(|cx| s.poll_read_request(cx, request)) {
            break got(r);
        }
    };
    let f = |b: &[u8]| Got::Frame(b.to_vec());
    assert_eq!(
        req(
            &mut s,
            ReadRequest::Until {
                sep: b"\0",
                with_sep: false
            }
        ),
        f(b"key")
    );
    assert_eq!(
        req(&mut s, ReadRequest::Line { with_ending: true }),
        f(b"line\r\n")
    );
    assert_eq!(req(&mut s, ReadRequest::Peek(2)), f(b"a"));
    assert_eq!(req(&mut s, ReadRequest::Exact(3)), f(b"abc"));
    assert_eq!(req(&mut s, ReadRequest::AtMost(10)), f(b"d"));
    assert_eq!(req(&mut s, ReadRequest::Exact(1)), f(b"e"));
    assert_eq!(req(&mut s, ReadRequest::ToEnd), f(b"frest"));
    assert_eq!(
        req(&mut s, ReadRequest::Line { with_ending: false }),
        Got::End
    );
}

// ---------------------------------------------------------------------------------------------
// The lending reads.
// ---------------------------------------------------------------------------------------------

type LentRead<'a> = Pin<Box<dyn Future<Output = io::Result<Option<&'a [u8]>>> + 'a>>;

#[test]
fn lending_reads_are_cancel_safe() {
    let content = b"hello\r\nkey;abcdefworld\n";
    for seed in 0..40 {
        let mut rng = SplitMix(seed);
        let mut pipe = Pipe::new();
        let mut script = Script::new(one_byte(content, Step::End));
        let mut task = Task::new();
        let mut pos = 0;
        let mut results = Vec::new();
        for op in 0..5 {
            let r = loop {
                let out = {
                    let fill = from_transport(|cx, buf| script.poll_read(cx, buf));
                    let fut: LentRead<'_> = match op {
                        0 => Box::pin(read_line_ref(&mut pipe, fill, false)),
                        1 => Box::pin(read_until_ref(&mut pipe, fill, b";", true)),
                        2 => Box::pin(read_exact_ref(&mut pipe, fill, 6)),
                        _ => Box::pin(read_line_ref(&mut pipe, fill, true)),
                    };
                    let mut fut = fut;
                    loop {
                        match task.poll(fut.as_mut()) {
                            Poll::Ready(r) => break Some(r.map(|o| o.map(<[u8]>::to_vec))),
                            Poll::Pending if rng.below(2) == 0 => break None,
                            Poll::Pending => {}
                        }
                    }
                };
                match out {
                    Some(r) => break r,
                    None => {
                        // Consumed only when the future completes.
                        assert_eq!(pipe.len(), script.delivered - pos, "seed {seed} op {op}");
                        let buffered: Vec<u8> = pipe.chunks().flatten().copied().collect();
                        assert_eq!(buffered, &content[pos..script.delivered]);
                    }
                }
            };
            let r = r.unwrap();
            pos += match &r {
                Some(frame) if op == 0 => frame.len() + 2,
                Some(frame) => frame.len(),
                None => 0,
            };
            results.push(r);
        }
        let want: [Option<&[u8]>; 5] = [
            Some(b"hello"),
            Some(b"key;"),
            Some(b"abcdef"),
            Some(b"world\n"),
            None,
        ];
        let want: Vec<Option<Vec<u8>>> = want.iter().map(|o| o.map(<[u8]>::to_vec)).collect();
        assert_eq!(results, want, "seed {seed}");
    }
}

#[test]
fn lending_reads_outcomes() {
    let mut task = Task::new();
    // Ok(None) at the end; the limit, nothing consumed; partial as UnexpectedEof.
    let mut pipe = Pipe::with_options(limit(3));
    let mut script = Script::new(whole(b"abcdef\nxy", Step::End));
    {
        let fill = from_transport(|cx, buf| script.poll_read(cx, buf));
        let r = task
            .block_on(read_line_ref(&mut pipe, fill, false))
            .map(|o| o.map(<[u8]>::to_vec));
        let e = r.unwrap_err();
        assert!(matches!(got_err(&e), Got::Limit { limit: 3, .. }));
    }
    assert_eq!(pipe.len(), script.delivered, "nothing consumed");
    assert!(pipe.len() <= 3 + 2, "{} buffered", pipe.len());
    let mut dropped = 0;
    loop {
        match pipe.discard_until(b"\n").unwrap() {
            pipe_core::Discarded::Found(n) => break dropped += n,
            pipe_core::Discarded::NotYet(n) => dropped += n,
        }
        let mut fill = from_transport(|cx, buf| script.poll_read(cx, buf));
        assert!(
            task.poll_fn(|cx| fill(&mut pipe, cx, usize::MAX))
                .is_ready()
        );
    }
    assert_eq!(dropped, 7);
    {
        let fill = from_transport(|cx, buf| script.poll_read(cx, buf));
        let r = task
            .block_on(read_exact_ref(&mut pipe, fill, 3))
            .map(|o| o.map(<[u8]>::to_vec));
        assert_eq!(got_err(&r.unwrap_err()), Got::Partial(b"xy".to_vec()));
    }
    {
        let fill = from_transport(|cx, buf| script.poll_read(cx, buf));
        let r = task
            .block_on(read_exact_ref(&mut pipe, fill, 3))
            .map(|o| o.map(<[u8]>::to_vec));
        assert_eq!(r.unwrap(), None, "the end with nothing buffered");
    }
    {
        let fill = from_transport(|cx, buf| script.poll_read(cx, buf));
        let r = task
            .block_on(read_until_ref(&mut pipe, fill, b";", false))
            .map(|o| o.map(<[u8]>::to_vec));
        assert_eq!(r.unwrap(), None);
    }
    // The transport's error.
    let mut pipe = Pipe::new();
    let mut script = Script::new(one_byte(b"ab", Step::Fail(RESET)));
    let fill = from_transport(|cx, buf| script.poll_read(cx, buf));
    let r = task
        .block_on(read_until_ref(&mut pipe, fill, b";", false))
        .map(|o| o.map(<[u8]>::to_vec));
    assert_eq!(r.unwrap_err().kind(), RESET);
    assert_eq!(pipe.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// cancel_wait
// ---------------------------------------------------------------------------------------------

macro_rules! check_cancel_wait {
    ($name:literal, |$s:ident| $make:expr) => {{
        let steps = [
            Step::Pending,
            data(b"abc\n"),
            Step::Pending,
            data(b"def\n"),
            Step::Pending,
            data(b"gh\n"),
        ];
        let mut stream = Stream::new(steps);
        let mut task = Task::new();
        {
            let $s = &mut stream;
            let mut fut = pin!($make);
            assert!(task.poll(fut.as_mut()).is_pending(), "{}", $name);
        }
        assert_eq!(stream.cancels, 1, "{}: a read dropped after Pending", $name);
        {
            let $s = &mut stream;
            let mut fut = pin!($make);
            assert!(task.poll(fut.as_mut()).is_ready(), "{}", $name);
        }
        {
            let $s = &mut stream;
            let _fut = $make;
        }
        {
            let $s = &mut stream;
            let mut fut = pin!($make);
            while task.poll(fut.as_mut()).is_pending() {}
        }
        assert_eq!(
            stream.cancels, 1,
            "{}: cancel_wait without a dropped Pending read",
            $name
        );
    }};
}

#[test]
fn cancel_wait_is_called_once_for_a_dropped_pending_read() {
    check_cancel_wait!("read_line", |s| read_line(s, false));
    check_cancel_wait!("read_until", |s| read_until(s, b"\n", false));
    check_cancel_wait!("read_exact", |s| read_exact(s, 2));
    check_cancel_wait!("read_at_most", |s| read_at_most(s, 2));
    check_cancel_wait!("peek", |s| peek(s, 2));
    check_cancel_wait!("read_lines_with", |s| read_lines_with(s, false, |_| ()));
    check_cancel_wait!("fill_more", |s| fill_more(s));
    check_cancel_wait!("fill_at_least", |s| fill_at_least(s, 1));
    check_cancel_wait!("discard_until", |s| discard_until(s, b"\n"));
}

#[test]
fn cancel_wait_for_read_to_end() {
    let mut stream = Stream::new([Step::Pending, data(b"abc"), Step::End]);
    let mut task = Task::new();
    {
        let mut fut = pin!(read_to_end(&mut stream));
        assert!(task.poll(fut.as_mut()).is_pending());
    }
    assert_eq!(stream.cancels, 1, "read_to_end dropped after Pending");
    assert_eq!(run(read_to_end(&mut stream)).unwrap(), "abc");
    assert_eq!(stream.cancels, 1);
}

// ---------------------------------------------------------------------------------------------
// Lines over the adapter.
// ---------------------------------------------------------------------------------------------

fn next_line<T: PollRead + Unpin>(task: &mut Task, lines: &mut Lines<T>) -> Option<Got> {
    use futures_core::Stream as _;
    loop {
        if let Poll::Ready(item) = task.poll_fn(|cx| Pin::new(&mut *lines).poll_next(cx)) {
            return item.map(|r| match r {
                Ok(line) => Got::Frame(line.to_vec()),
                Err(e) => got_err(&e),
            });
        }
    }
}

#[test]
fn lines_stream_over_the_adapter() {
    let mut task = Task::new();
    let s = Stream::with(limit(4), one_byte(b"far too long\nok\npart", Step::End));
    let mut lines = Lines::new(s, false);
    assert!(matches!(
        next_line(&mut task, &mut lines),
        Some(Got::Limit { limit: 4, .. })
    ));
    assert_eq!(
        next_line(&mut task, &mut lines),
        Some(Got::Frame(b"ok".to_vec()))
    );
    assert_eq!(
        next_line(&mut task, &mut lines),
        Some(Got::Partial(b"part".to_vec()))
    );
    assert_eq!(next_line(&mut task, &mut lines), None);
    assert_eq!(next_line(&mut task, &mut lines), None);

    let s = Stream::new(one_byte(b"a\r\nb", Step::Fail(RESET)));
    let mut lines = Lines::new(s, true);
    assert_eq!(
        next_line(&mut task, &mut lines),
        Some(Got::Frame(b"a\r\n".to_vec()))
    );
    assert_eq!(next_line(&mut task, &mut lines), Some(Got::Stream(RESET)));
    assert_eq!(
        next_line(&mut task, &mut lines),
        None,
        "errors never repeat"
    );
    let s = lines.into_inner();
    assert_eq!(s.buffered(), b"b");
}

// ---------------------------------------------------------------------------------------------
// The model: random reads with random cancellation against a Vec of the bytes.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Op {
    Line(bool),
    Until(&'static [u8], bool),
    Exact(usize),
    AtMost(usize),
    Peek(usize),
    Discard(&'static [u8]),
    FillMore,
    FillAtLeast(usize),
    LinesWith(bool),
    ToEnd,
}

#[derive(Clone, Debug)]
struct Case {
    content: Vec<u8>,
    steps: Vec<Step>,
    /// How the stream ends: `None` cleanly, else the transport's error.
    end: Option<ErrorKind>,
    max_frame: usize,
    small: bool,
    ops: Vec<Op>,
    cancel_pct: u64,
    seed: u64,
}

/// What the model says a frame read gives.
#[derive(Clone, Debug)]
enum Want {
    /// The frame, and how many bytes it consumes.
    Frame(Vec<u8>, usize),
    End,
    Partial(Vec<u8>),
    Limit,
    Stream,
    /// The bytes show the limit and the stream failed: either outcome (undocumented order).
    LimitOrStream,
    /// A trailing possible start of a multi-byte separator at the end (undocumented).
    PartialOrLimit(Vec<u8>),
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn want_at_end(rest: &[u8], end: Option<ErrorKind>) -> Option<Want> {
    if rest.is_empty() {
        return Some(if end.is_none() {
            Want::End
        } else {
            Want::Stream
        });
    }
    None
}

fn model_line(c: &[u8], pos: usize, m: usize, with_ending: bool, end: Option<ErrorKind>) -> Want {
    let rest = &c[pos..];
    if let Some(i) = rest.iter().position(|&b| b == b'\n') {
        let body = if i > 0 && rest[i - 1] == b'\r' {
            i - 1
        } else {
            i
        };
        if body > m {
            return Want::Limit;
        }
        let frame = if with_ending {
            &rest[..=i]
        } else {
            &rest[..body]
        };
        return Want::Frame(frame.to_vec(), i + 1);
    }
    if let Some(w) = want_at_end(rest, end) {
        return w;
    }
    let counted = rest.len() - usize::from(rest.last() == Some(&b'\r'));
    match end {
        None if counted <= m => Want::Partial(rest.to_vec()),
        None => Want::Limit,
        Some(_) if rest.len() > m => Want::LimitOrStream,
        Some(_) => Want::Stream,
    }
}

fn model_until(
    c: &[u8],
    pos: usize,
    m: usize,
    sep: &[u8],
    with_sep: bool,
    end: Option<ErrorKind>,
) -> Want {
    let rest = &c[pos..];
    if let Some(i) = find(rest, sep) {
        if i > m {
            return Want::Limit;
        }
        let frame = if with_sep {
            &rest[..i + sep.len()]
        } else {
            &rest[..i]
        };
        return Want::Frame(frame.to_vec(), i + sep.len());
    }
    if let Some(w) = want_at_end(rest, end) {
        return w;
    }
    match end {
        None if rest.len() <= m => Want::Partial(rest.to_vec()),
        None if rest.len() > m.saturating_add(sep.len() - 1) => Want::Limit,
        None => Want::PartialOrLimit(rest.to_vec()),
        Some(_) if rest.len() > m => Want::LimitOrStream,
        Some(_) => Want::Stream,
    }
}

fn model_exact(c: &[u8], pos: usize, m: usize, n: usize, end: Option<ErrorKind>) -> Want {
    let rest = &c[pos..];
    if n > m {
        return Want::Limit;
    }
    if rest.len() >= n {
        return Want::Frame(rest[..n].to_vec(), n);
    }
    if let Some(w) = want_at_end(rest, end) {
        return w;
    }
    if end.is_none() {
        Want::Partial(rest.to_vec())
    } else {
        Want::Stream
    }
}

fn model_to_end(c: &[u8], pos: usize, m: usize, end: Option<ErrorKind>) -> Want {
    let rest = &c[pos..];
    match end {
        None if rest.len() <= m => Want::Frame(rest.to_vec(), rest.len()),
        None => Want::Limit,
        Some(_) if rest.len() > m => Want::LimitOrStream,
        Some(_) => Want::Stream,
    }
}

/// Checks what the kit gave against the model; the new position.
fn settle(want: Want, got: Got, case: &Case, pos: usize, s: &Stream, ctx: &str) -> usize {
    match (want, got) {
        (Want::Frame(f, k), Got::Frame(g)) => {
            assert_eq!(g, f, "{ctx}");
            pos + k
        }
        (Want::End, Got::End) => pos,
        (Want::Partial(rest) | Want::PartialOrLimit(rest), Got::Partial(g)) => {
            assert_eq!(g, rest, "{ctx}");
            case.content.len()
        }
        (
            Want::Limit | Want::LimitOrStream | Want::PartialOrLimit(_),
            Got::Limit { limit, buffered },
        ) => {
            assert_eq!(limit, case.max_frame, "{ctx}");
            assert_eq!(
                buffered,
                s.pipe.len(),
                "{ctx}: `buffered` is the pipe's len"
            );
            pos
        }
        (Want::Stream | Want::LimitOrStream, Got::Stream(kind)) => {
            assert_eq!(Some(kind), case.end, "{ctx}");
            pos
        }
        (want, got) => panic!("{ctx}: the model wants {want:?}, the kit gave {got:?}"),
    }
}

fn check_sync(s: &Stream, c: &[u8], pos: usize, ctx: &str) {
    assert_eq!(
        pos + s.pipe.len(),
        s.script.delivered,
        "{ctx}: bytes lost or duplicated"
    );
    assert_eq!(
        s.buffered(),
        &c[pos..s.script.delivered],
        "{ctx}: the buffered bytes differ"
    );
}

fn run_case(case: &Case) {
    let (_pool, options) = if case.small {
        small_chunks(case.max_frame)
    } else {
        (Pool::global().clone(), limit(case.max_frame))
    };
    let mut s = Stream::with(options, case.steps.clone());
    let c = &case.content[..];
    let m = case.max_frame;
    let end = case.end;
    let pct = case.cancel_pct;
    let mut rng = SplitMix(case.seed);
    let mut task = Task::new();
    let mut pos = 0usize;
    for (i, &op) in case.ops.iter().enumerate() {
        let ctx = format!(
            "seed {} op {i} {op:?} at {pos} (m={m}, end={end:?}, content={:?})",
            case.seed,
            String::from_utf8_lossy(c)
        );
        check_sync(&s, c, pos, &ctx);
        let cancels = s.cancels;
        let mut dropped_reads = 0;
        // A dropped read consumed nothing.
        macro_rules! nothing_consumed {
            () => {{
                dropped_reads += 1;
                assert_eq!(s.consumed(), pos, "{ctx}: a cancelled read consumed bytes");
                check_sync(&s, c, pos, &ctx);
            }};
        }
        match op {
            Op::Line(we) => {
                let r = drive!(task, rng, pct, read_line(&mut s, we), nothing_consumed!());
                pos = settle(model_line(c, pos, m, we, end), got(r), case, pos, &s, &ctx);
            }
            Op::Until(sep, ws) => {
                let r = drive!(
                    task,
                    rng,
                    pct,
                    read_until(&mut s, sep, ws),
                    nothing_consumed!()
                );
                pos = settle(
                    model_until(c, pos, m, sep, ws, end),
                    got(r),
                    case,
                    pos,
                    &s,
                    &ctx,
                );
            }
            Op::Exact(n) => {
                let r = drive!(task, rng, pct, read_exact(&mut s, n), nothing_consumed!());
                pos = settle(model_exact(c, pos, m, n, end), got(r), case, pos, &s, &ctx);
            }
            Op::ToEnd => {
                let r = drive!(task, rng, pct, read_to_end(&mut s), nothing_consumed!());
                pos = settle(
                    model_to_end(c, pos, m, end),
                    got_bytes(r),
                    case,
                    pos,
                    &s,
                    &ctx,
                );
            }
            Op::AtMost(n) | Op::Peek(n) => {
                let is_peek = matches!(op, Op::Peek(_));
                let r = if is_peek {
                    drive!(task, rng, pct, peek(&mut s, n), nothing_consumed!())
                } else {
                    drive!(task, rng, pct, read_at_most(&mut s, n), nothing_consumed!())
                };
                let rest = &c[pos..];
                match got(r) {
                    Got::Invalid => assert!(!is_peek && n == 0, "{ctx}"),
                    Got::Frame(f) if n == 0 => assert!(is_peek && f.is_empty(), "{ctx}"),
                    Got::Frame(f) => {
                        assert!(!f.is_empty() && f.len() <= n, "{ctx}: {} bytes", f.len());
                        assert_eq!(&f[..], &rest[..f.len()], "{ctx}");
                        if is_peek {
                            assert_eq!(
                                f.len(),
                                n.min(s.pipe.len()),
                                "{ctx}: up to n of what is buffered"
                            );
                        } else {
                            assert!(
                                f.len() == n || s.pipe.is_empty(),
                                "{ctx}: all buffered up to n"
                            );
                            pos += f.len();
                        }
                    }
                    Got::End => assert!(rest.is_empty() && end.is_none(), "{ctx}"),
                    Got::Stream(kind) => assert!(rest.is_empty() && end == Some(kind), "{ctx}"),
                    other => panic!("{ctx}: {other:?}"),
                }
            }
            Op::Discard(sep) => {
                let target = find(&c[pos..], sep).map(|i| pos + i + sep.len());
                let mut start = pos;
                let r = drive!(task, rng, pct, discard_until(&mut s, sep), {
                    dropped_reads += 1;
                    let now = s.consumed();
                    assert!(
                        now >= start && now <= target.unwrap_or(c.len()),
                        "{ctx}: dropped to {now}"
                    );
                    check_sync(&s, c, now, &ctx);
                    start = now;
                });
                match (r, target) {
                    (Ok(total), Some(t)) => {
                        assert_eq!(total, t - start, "{ctx}");
                        pos = t;
                    }
                    (Ok(total), None) => {
                        assert!(end.is_none(), "{ctx}: Ok after a failed stream");
                        assert_eq!(total, c.len() - start, "{ctx}");
                        pos = c.len();
                    }
                    (Err(e), None) => {
                        assert_eq!(Some(e.kind()), end, "{ctx}");
                        pos = s.consumed();
                    }
                    (Err(e), Some(_)) => panic!("{ctx}: {e:?} with the separator in the stream"),
                }
            }
            Op::FillMore => {
                let mut len0 = s.pipe.len();
                let r = drive!(task, rng, pct, fill_more(&mut s), {
                    nothing_consumed!();
                    len0 = s.pipe.len();
                });
                let all_in = s.script.delivered == c.len();
                match r {
                    Ok(0) => assert!(all_in && end.is_none(), "{ctx}: Ok(0) before the end"),
                    Ok(k) => assert_eq!(s.pipe.len(), len0 + k, "{ctx}: how many arrived"),
                    Err(e) => assert!(all_in && end == Some(e.kind()), "{ctx}: {e:?}"),
                }
            }
            Op::FillAtLeast(n) => {
                let r = drive!(
                    task,
                    rng,
                    pct,
                    fill_at_least(&mut s, n),
                    nothing_consumed!()
                );
                let available = c.len() - pos;
                match r {
                    Ok(true) => assert!(n <= m && s.pipe.len() >= n, "{ctx}"),
                    Ok(false) => assert!(n <= m && available < n && end.is_none(), "{ctx}"),
                    Err(e) => match got_err(&e) {
                        Got::Limit { limit, .. } => assert!(n > m && limit == m, "{ctx}"),
                        Got::Stream(kind) => {
                            assert!(n <= m && available < n && end == Some(kind), "{ctx}")
                        }
                        other => panic!("{ctx}: {other:?}"),
                    },
                }
            }
            Op::LinesWith(we) => {
                let mut lines: Vec<Vec<u8>> = Vec::new();
                let mut checked = 0;
                let r = drive!(
                    task,
                    rng,
                    pct,
                    read_lines_with(&mut s, we, |l| lines.push(l.to_vec())),
                    {
                        dropped_reads += 1;
                        // Lines handed over are consumed in the same poll.
                        while checked < lines.len() {
                            let want = model_line(c, pos, m, we, end);
                            let Want::Frame(f, k) = want else {
                                panic!("{ctx}: handed a line, model {want:?}")
                            };
                            assert_eq!(lines[checked], f, "{ctx}");
                            pos += k;
                            checked += 1;
                        }
                        check_sync(&s, c, pos, &ctx);
                    }
                );
                let base = checked;
                for line in &lines[checked..] {
                    let want = model_line(c, pos, m, we, end);
                    let Want::Frame(f, k) = want else {
                        panic!("{ctx}: handed a line, model {want:?}")
                    };
                    assert_eq!(line, &f, "{ctx}");
                    pos += k;
                }
                match r {
                    Ok(0) => {
                        assert_eq!(lines.len(), base, "{ctx}");
                        assert!(
                            matches!(model_line(c, pos, m, we, end), Want::End),
                            "{ctx}: Ok(0)"
                        );
                    }
                    Ok(n) => assert_eq!(n, lines.len() - base, "{ctx}"),
                    Err(e) => {
                        assert_eq!(lines.len(), base, "{ctx}: lines with an error");
                        pos = settle(
                            model_line(c, pos, m, we, end),
                            got_err(&e),
                            case,
                            pos,
                            &s,
                            &ctx,
                        );
                    }
                }
            }
        }
        assert_eq!(
            s.cancels,
            cancels + dropped_reads,
            "{ctx}: cancel_wait once per dropped wait"
        );
        check_sync(&s, c, pos, &ctx);
    }
}

/// Steps for `content`: pieces of 1..=max_piece bytes, `Pending`/`WouldBlock`/`Interrupted`
/// between them, then the end.
fn steps_for(
    content: &[u8],
    max_piece: usize,
    rng: &mut SplitMix,
    end: Option<ErrorKind>,
) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut at = 0;
    while at < content.len() {
        match rng.below(10) {
            0..=3 => steps.push(Step::Pending),
            4 => steps.push(Step::WouldBlock),
            5 => steps.push(Step::Interrupted),
            _ => {}
        }
        let n = rng.range(1, max_piece).min(content.len() - at);
        steps.push(Step::Data(content[at..at + n].to_vec()));
        at += n;
    }
    if rng.below(3) == 0 {
        steps.push(Step::Pending);
    }
    steps.push(match end {
        None => Step::End,
        Some(kind) => Step::Fail(kind),
    });
    steps
}

fn random_op(rng: &mut SplitMix) -> Op {
    let seps: [&'static [u8]; 2] = [b";", b"--"];
    let n = rng.range(0, 12);
    match rng.below(12) {
        0 | 1 => Op::Line(rng.below(2) == 0),
        2 => Op::Until(rng.pick(&seps), rng.below(2) == 0),
        3 => Op::Exact(n),
        4 => Op::AtMost(n),
        5 => Op::Peek(n),
        6 => Op::Discard(rng.pick(&[&b"\n"[..], b"--"])),
        7 => Op::FillMore,
        8 => Op::FillAtLeast(n),
        9 => Op::LinesWith(rng.below(2) == 0),
        10 => Op::ToEnd,
        _ => Op::Line(false),
    }
}

fn random_content(rng: &mut SplitMix, len: usize) -> Vec<u8> {
    (0..len)
        .map(|_| match rng.below(20) {
            0..=9 => b'a' + rng.below(3) as u8,
            10..=12 => b'\n',
            13 | 14 => b'\r',
            15 | 16 => b';',
            _ => b'-',
        })
        .collect()
}

#[test]
fn random_scripts_with_cancellation_match_the_model() {
    for seed in 0..400u64 {
        let mut rng = SplitMix(seed.wrapping_mul(7919));
        let len = rng.range(0, 160);
        let content = random_content(&mut rng, len);
        let end = if rng.below(4) == 0 {
            Some(rng.pick(&[RESET, ErrorKind::TimedOut]))
        } else {
            None
        };
        let max_piece = rng.pick(&[1, 1, 1, 2, 3, 8, 100]);
        let steps = steps_for(&content, max_piece, &mut rng, end);
        let ops_len = rng.range(1, 40);
        let ops = (0..ops_len).map(|_| random_op(&mut rng)).collect();
        let case = Case {
            content,
            steps,
            end,
            max_frame: rng.pick(&[0, 1, 2, 3, 4, 8, 16, 64, UNLIMITED]),
            small: rng.below(2) == 0,
            ops,
            cancel_pct: rng.pick(&[0, 10, 30, 60]),
            seed,
        };
        run_case(&case);
    }
}

#[test]
fn random_large_frames_match_the_model() {
    for seed in 0..40u64 {
        let mut rng = SplitMix(seed.wrapping_mul(104_729) ^ 0x5EED);
        let len = rng.range(0, 6000);
        let mut content = random_content(&mut rng, len);
        // Mostly letters: long frames.
        for b in content.iter_mut() {
            if rng.below(50) != 0 {
                *b = b'a' + rng.below(26) as u8;
            }
        }
        let end = if rng.below(4) == 0 { Some(RESET) } else { None };
        let max_piece = rng.pick(&[1, 7, 100, 700, 5000]);
        let steps = steps_for(&content, max_piece, &mut rng, end);
        let ops = (0..rng.range(1, 25))
            .map(|_| match random_op(&mut rng) {
                Op::Exact(_) => Op::Exact(rng.range(0, 3000)),
                Op::AtMost(_) => Op::AtMost(rng.range(0, 3000)),
                Op::Peek(_) => Op::Peek(rng.range(0, 3000)),
                Op::FillAtLeast(_) => Op::FillAtLeast(rng.range(0, 3000)),
                op => op,
            })
            .collect();
        let case = Case {
            content,
            steps,
            end,
            max_frame: rng.pick(&[100, 1000, 2500, UNLIMITED]),
            small: rng.below(2) == 0,
            ops,
            cancel_pct: rng.pick(&[0, 5, 30]),
            seed,
        };
        run_case(&case);
    }
}

#[test]
fn large_frames_across_many_reads() {
    let (_pool, options) = small_chunks(UNLIMITED);
    let mut rng = SplitMix(7);
    let body: Vec<u8> = (0..300_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let mut content = body.clone();
    content.extend_from_slice(
        b"
",
    );
    content.extend_from_slice(&body);
    content.extend_from_slice(&body[..1000]);
    let steps = steps_for(&content, 5000, &mut rng, None);
    let mut s = Stream::with(options, steps);
    assert!(run(fill_at_least(&mut s, 200)).unwrap());
    assert_eq!(run(peek(&mut s, 100)).unwrap().unwrap(), &body[..100]);
    assert_eq!(run(read_line(&mut s, false)).unwrap().unwrap(), &body[..]);
    assert_eq!(
        run(read_exact(&mut s, 300_000)).unwrap().unwrap(),
        &body[..]
    );
    assert_eq!(run(read_to_end(&mut s)).unwrap(), &body[..1000]);
}

#[test]
fn poll_read_from_reads_past_the_pipe_from_a_chunk_rounded_to_a_pool_class() {
    let content: Vec<u8> = (0..20_000u32).map(|i| (i % 253) as u8).collect();
    // chunk_size 5000 rounds up to the 8 KiB class of the default pool.
    for (out_len, direct) in [(8192, true), (8191, false), (16_384, true)] {
        let mut script = Script::new([Step::Data(content.clone()), Step::End]);
        let mut pipe = Pipe::with_options(PipeOptions::new().chunk_size(5000));
        let mut task = Task::new();
        let mut out = vec![0u8; out_len];
        let Poll::Ready(Ok(n)) = task
            .poll_fn(|cx| poll_read_from(&mut pipe, cx, &mut out, |cx, b| script.poll_read(cx, b)))
        else {
            panic!()
        };
        assert_eq!(&out[..n], &content[..n]);
        if direct {
            assert_eq!(
                (n, pipe.len()),
                (out_len, 0),
                "out of {out_len}: straight from the transport"
            );
        } else {
            assert!(!pipe.is_empty(), "out of {out_len}: through the pipe");
        }
    }
}

#[test]
fn frames_kept_by_the_caller_stay_intact() {
    // Owned frames are `Bytes`, often slices of a pooled chunk ("sealed: never written again");
    // keeping them while the stream reads on (and reuses chunks) must not change them.
    for seed in 0..60u64 {
        let mut rng = SplitMix(seed ^ 0xF00D);
        let lines: Vec<Vec<u8>> = (0..rng.range(1, 200))
            .map(|i| {
                let len = rng.pick(&[0, 1, 5, 62, 63, 64, 100, 4095, 4096]);
                (0..len).map(|j| b'a' + ((i + j) % 26) as u8).collect()
            })
            .collect();
        let mut content = Vec::new();
        for line in &lines {
            content.extend_from_slice(line);
            content.push(b'\n');
        }
        let max_piece = rng.pick(&[1, 3, 64, 65, 1000, 100_000]);
        let steps = steps_for(&content, max_piece, &mut rng, None);
        let (_pool, options) = if seed % 2 == 0 {
            small_chunks(UNLIMITED)
        } else {
            (Pool::global().clone(), PipeOptions::new())
        };
        let mut s = Stream::with(options, steps);
        let mut kept: Vec<(Bytes, Vec<u8>)> = Vec::new();
        for line in &lines {
            match rng.below(4) {
                0 => {
                    let frame = run(read_line(&mut s, false)).unwrap().unwrap();
                    kept.push((frame, line.clone()));
                }
                1 => {
                    let frame = run(read_until(&mut s, b"\n", true)).unwrap().unwrap();
                    let mut want = line.clone();
                    want.push(b'\n');
                    kept.push((frame, want));
                }
                2 => {
                    let n = line.len() + 1;
                    let looked = run(peek(&mut s, n)).unwrap().unwrap();
                    let want: Vec<u8> = content[s.consumed()..s.consumed() + looked.len()].to_vec();
                    kept.push((looked, want));
                    let frame = run(read_exact(&mut s, n)).unwrap().unwrap();
                    let mut want = line.clone();
                    want.push(b'\n');
                    kept.push((frame, want));
                }
                _ => {
                    let mut want = line.clone();
                    want.push(b'\n');
                    let mut at = 0;
                    while at < want.len() {
                        let frame = run(read_at_most(&mut s, want.len() - at)).unwrap().unwrap();
                        kept.push((frame.clone(), want[at..at + frame.len()].to_vec()));
                        at += frame.len();
                    }
                }
            }
        }
        assert_eq!(run(read_line(&mut s, false)).unwrap(), None);
        for (i, (frame, want)) in kept.iter().enumerate() {
            assert_eq!(
                &frame[..],
                &want[..],
                "seed {seed}: frame {i} changed after it was returned"
            );
        }
    }
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        any::<bool>().prop_map(Op::Line),
        (
            prop::sample::select(vec![&b";"[..], &b"--"[..]]),
            any::<bool>()
        )
            .prop_map(|(s, w)| Op::Until(s, w)),
        (0usize..12).prop_map(Op::Exact),
        (0usize..12).prop_map(Op::AtMost),
        (0usize..12).prop_map(Op::Peek),
        prop::sample::select(vec![&b"\n"[..], &b"--"[..]]).prop_map(Op::Discard),
        Just(Op::FillMore),
        (0usize..12).prop_map(Op::FillAtLeast),
        any::<bool>().prop_map(Op::LinesWith),
        Just(Op::ToEnd),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random kit reads on a random one-byte/short-read script against a Vec of the bytes.
    #[test]
    fn model_property(
        content in prop::collection::vec(prop::sample::select(b"aab\n\r;-".to_vec()), 0..100),
        max_piece in 1usize..4,
        fail in any::<bool>(),
        max_frame in prop::sample::select(vec![0usize, 1, 2, 4, 8, UNLIMITED]),
        ops in prop::collection::vec(op_strategy(), 1..30),
        small in any::<bool>(),
        cancel in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let mut rng = SplitMix(seed);
        let end = if fail { Some(RESET) } else { None };
        let steps = steps_for(&content, max_piece, &mut rng, end);
        let case = Case { content, steps, end, max_frame, small, ops, cancel_pct: if cancel { 30 } else { 0 }, seed };
        run_case(&case);
    }
}

// ---------------------------------------------------------------------------------------------
// Writes.
// ---------------------------------------------------------------------------------------------

#[test]
fn poll_write_vectored_all_short_writes_and_empty_slices() {
    let mut sink = Sink::new([W::Take(1), W::Take(2), W::Take(3), W::Take(1), W::Take(100)]);
    let mut slices = [
        IoSlice::new(b""),
        IoSlice::new(b"GET "),
        IoSlice::new(b""),
        IoSlice::new(b"key"),
        IoSlice::new(b"\r\n"),
        IoSlice::new(b""),
    ];
    let mut bufs = &mut slices[..];
    let mut task = Task::new();
    let r =
        task.poll_fn(|cx| poll_write_vectored_all(cx, &mut bufs, |cx, b| sink.poll_write(cx, b)));
    assert!(matches!(r, Poll::Ready(Ok(()))), "{r:?}");
    assert_eq!(sink.out, b"GET key\r\n");
    assert!(rest_of(bufs).is_empty());
    assert!(
        bufs.is_empty(),
        "bufs advanced past everything, trailing empty slices too"
    );
}

#[test]
fn poll_write_vectored_all_first_slice_only_transport_with_empty_slices() {
    // A transport that writes a prefix: the first slice only (as `WriteFn`'s own example).
    let mut sink = Sink::new(std::iter::repeat_n(W::First, 20));
    let mut slices = [
        IoSlice::new(b"ab"),
        IoSlice::new(b""),
        IoSlice::new(b"c"),
        IoSlice::new(b""),
        IoSlice::new(b"de"),
    ];
    let mut bufs = &mut slices[..];
    let mut task = Task::new();
    let r =
        task.poll_fn(|cx| poll_write_vectored_all(cx, &mut bufs, |cx, b| sink.poll_write(cx, b)));
    assert!(
        matches!(r, Poll::Ready(Ok(()))),
        "an empty slice in the middle: {r:?}"
    );
    assert_eq!(sink.out, b"abcde");
}

#[test]
fn empty_writes_complete() {
    let mut s = Stream::writer([W::Zero, W::Zero]);
    run(write_all(&mut s, b"")).unwrap();
    let mut none: [IoSlice<'_>; 0] = [];
    let mut bufs = &mut none[..];
    run(write_vectored_all(&mut s, &mut bufs)).unwrap();
    let mut empties = [IoSlice::new(b""), IoSlice::new(b"")];
    let mut bufs = &mut empties[..];
    run(write_vectored_all(&mut s, &mut bufs)).unwrap();
    assert!(s.sink.out.is_empty());
}

#[test]
fn write_vectored_all_resumes_after_cancellation() {
    let mut s = Stream::writer([W::Take(3), W::Pending, W::Take(4), W::Pending]);
    let mut slices = [
        IoSlice::new(b"SET "),
        IoSlice::new(b"key "),
        IoSlice::new(b"value\r\n"),
    ];
    let mut bufs = &mut slices[..];
    let mut task = Task::new();
    {
        let mut fut = pin!(write_vectored_all(&mut s, &mut bufs));
        assert!(task.poll(fut.as_mut()).is_pending());
    }
    assert_eq!(s.sink.out, b"SET");
    assert_eq!(
        rest_of(bufs),
        b" key value\r\n",
        "after a cancellation it holds exactly what is left"
    );
    {
        let mut fut = pin!(write_vectored_all(&mut s, &mut bufs));
        assert!(task.poll(fut.as_mut()).is_pending());
    }
    assert_eq!(s.sink.out, b"SET key");
    assert_eq!(rest_of(bufs), b" value\r\n");
    task.block_on(write_vectored_all(&mut s, &mut bufs))
        .unwrap();
    assert_eq!(s.sink.out, b"SET key value\r\n", "every byte once");
    assert!(rest_of(bufs).is_empty());
}

#[test]
fn write_vectored_all_error_leaves_the_rest_in_bufs() {
    let mut s = Stream::writer([W::Take(2), W::Fail(ErrorKind::BrokenPipe)]);
    let mut slices = [IoSlice::new(b"abc"), IoSlice::new(b"def")];
    let mut bufs = &mut slices[..];
    let e = run(write_vectored_all(&mut s, &mut bufs)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BrokenPipe);
    assert_eq!(s.sink.out, b"ab");
    assert_eq!(rest_of(bufs), b"cdef");
    run(write_vectored_all(&mut s, &mut bufs)).unwrap();
    assert_eq!(s.sink.out, b"abcdef");
}

#[test]
fn write_side_retries_interrupted_wakes_on_would_block_and_reports_write_zero() {
    let mut task = Task::new();
    // Interrupted: retried within the poll.
    let mut sink = Sink::new([W::Interrupted, W::Take(1), W::Interrupted]);
    let mut slices = [IoSlice::new(b"xy")];
    let mut bufs = &mut slices[..];
    let r =
        task.poll_fn(|cx| poll_write_vectored_all(cx, &mut bufs, |cx, b| sink.poll_write(cx, b)));
    assert!(matches!(r, Poll::Ready(Ok(()))), "{r:?}");
    assert_eq!(sink.out, b"xy");
    // WouldBlock: not ready, and the task is woken.
    let mut sink = Sink::new([W::Take(1), W::WouldBlock]);
    let mut slices = [IoSlice::new(b"xy")];
    let mut bufs = &mut slices[..];
    let wakes = task.wakes();
    let r =
        task.poll_fn(|cx| poll_write_vectored_all(cx, &mut bufs, |cx, b| sink.poll_write(cx, b)));
    assert!(r.is_pending());
    assert!(task.wakes() > wakes);
    assert_eq!(rest_of(bufs), b"y");
    let r =
        task.poll_fn(|cx| poll_write_vectored_all(cx, &mut bufs, |cx, b| sink.poll_write(cx, b)));
    assert!(matches!(r, Poll::Ready(Ok(()))));
    assert_eq!(sink.out, b"xy");
    // A write of 0 bytes: WriteZero, what was written stays off `bufs`.
    let mut sink = Sink::new([W::Take(1), W::Zero]);
    let mut slices = [IoSlice::new(b"xy")];
    let mut bufs = &mut slices[..];
    let r =
        task.poll_fn(|cx| poll_write_vectored_all(cx, &mut bufs, |cx, b| sink.poll_write(cx, b)));
    assert!(
        matches!(&r, Poll::Ready(Err(e)) if e.kind() == ErrorKind::WriteZero),
        "{r:?}"
    );
    assert_eq!(rest_of(bufs), b"y");
}

#[test]
fn write_all_short_writes_pending_and_errors() {
    let data: Vec<u8> = (0..100u8).collect();
    let mut s = Stream::writer([
        W::Take(1),
        W::Pending,
        W::Take(7),
        W::WouldBlock,
        W::Interrupted,
        W::Take(50),
    ]);
    let mut task = Task::new();
    task.block_on(write_all(&mut s, &data)).unwrap();
    assert_eq!(s.sink.out, data);
    assert_eq!(task.pendings, 2);

    let mut s = Stream::writer([W::Take(5), W::Fail(ErrorKind::BrokenPipe)]);
    assert_eq!(
        run(write_all(&mut s, &data)).unwrap_err().kind(),
        ErrorKind::BrokenPipe
    );
    assert_eq!(s.sink.out, &data[..5]);

    let mut s = Stream::writer([W::Zero]);
    assert_eq!(
        run(write_all(&mut s, &data)).unwrap_err().kind(),
        ErrorKind::WriteZero
    );

    // "Not cancel safe: a prefix may have been written": only a prefix, never more.
    let mut s = Stream::writer([W::Take(9), W::Pending]);
    {
        let mut fut = pin!(write_all(&mut s, &data));
        assert!(task.poll(fut.as_mut()).is_pending());
    }
    assert_eq!(s.sink.out, &data[..9]);
}

#[test]
fn vec_is_a_write_transport() {
    let mut v: Vec<u8> = b"x".to_vec();
    run(write_all(&mut v, b"PING\r\n")).unwrap();
    let mut slices = [IoSlice::new(b"a"), IoSlice::new(b""), IoSlice::new(b"bc")];
    let mut bufs = &mut slices[..];
    run(write_vectored_all(&mut v, &mut bufs)).unwrap();
    assert_eq!(v, b"xPING\r\nabc");
    let mut task = Task::new();
    assert!(matches!(
        task.poll_fn(|cx| v.poll_flush_transport(cx)),
        Poll::Ready(Ok(()))
    ));
    assert!(matches!(
        task.poll_fn(|cx| v.poll_close_transport(cx)),
        Poll::Ready(Ok(()))
    ));
}

#[test]
fn poll_write_all_default_method() {
    let mut s = Stream::writer([W::Take(2), W::Pending]);
    let mut slices = [IoSlice::new(b"abc"), IoSlice::new(b"de")];
    let mut bufs = &mut slices[..];
    let mut task = Task::new();
    assert!(
        task.poll_fn(|cx| s.poll_write_all(cx, &mut bufs))
            .is_pending()
    );
    assert_eq!(rest_of(bufs), b"cde");
    assert!(matches!(
        task.poll_fn(|cx| s.poll_write_all(cx, &mut bufs)),
        Poll::Ready(Ok(()))
    ));
    assert_eq!(s.sink.out, b"abcde");
}

#[test]
fn random_vectored_writes_with_cancellation_write_every_byte_once() {
    for seed in 0..300u64 {
        let mut rng = SplitMix(seed ^ 0xABCD);
        let pieces: Vec<Vec<u8>> = (0..rng.range(0, 12))
            .map(|_| {
                let len = if rng.below(4) == 0 {
                    0
                } else {
                    rng.range(1, 20)
                };
                (0..len).map(|_| rng.below(256) as u8).collect()
            })
            .collect();
        let all: Vec<u8> = pieces.concat();
        let steps: Vec<W> = (0..rng.range(0, 30))
            .map(|_| match rng.below(10) {
                0..=3 => W::Take(rng.range(1, 9)),
                4 => W::First,
                5 | 6 => W::Pending,
                7 => W::WouldBlock,
                8 => W::Interrupted,
                _ => W::Fail(ErrorKind::BrokenPipe),
            })
            .collect();
        let mut s = Stream::writer(steps);
        let mut slices: Vec<IoSlice<'_>> = pieces.iter().map(|p| IoSlice::new(p)).collect();
        let mut bufs = &mut slices[..];
        let mut task = Task::new();
        let mut attempts = 0;
        loop {
            attempts += 1;
            assert!(attempts < 1000, "seed {seed}: no progress");
            let r = drive!(task, rng, 40, write_vectored_all(&mut s, &mut bufs), {
                let written = all.len() - rest_of(bufs).len();
                assert_eq!(
                    s.sink.out,
                    &all[..written],
                    "seed {seed}: after a cancellation"
                );
            });
            let written = all.len() - rest_of(bufs).len();
            assert_eq!(
                s.sink.out,
                &all[..written],
                "seed {seed}: every byte once, in order"
            );
            match r {
                Ok(()) => break,
                Err(e) => assert!(
                    matches!(e.kind(), ErrorKind::BrokenPipe | ErrorKind::WriteZero),
                    "seed {seed}: {e:?}"
                ),
            }
        }
        assert_eq!(s.sink.out, all, "seed {seed}");
        assert!(rest_of(bufs).is_empty());
    }
}
