//! The lending reads of an adapter's stream (`read_line_ref`, `read_until_ref`,
//! `read_exact_ref`: the frame lent from the stream's pipe until the stream is used again),
//! through its public API only, written once for every runtime: the same outcomes as the owned
//! `read_line`, `read_until` and `read_exact` of the same stream and as the synchronous
//! `Pipe::read_*_ref` (frames with and without their ending, the maximum frame size, the end,
//! a transport error), cancel safety (futures dropped at any `Pending`), frames longer than a
//! chunk, and lending reads mixed with owned and batch reads. Every test uses its own pool and
//! checks that all its chunks come back. Each adapter's `tests/contract.rs` invokes
//! [`lending_tests!`](crate::lending_tests) once per runtime; the runtime-free parts are here:
//! the reads ([`Op`]), what they gave ([`Outcome`]), a reference [`Model`] of the documented
//! outcomes, and the table of cases ([`CASES`]).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker, ready};

use bytes::Bytes;
use pipe_core::{Pipe, Pool, ReadError, read_error_of};

use crate::cases::options;
use crate::contract_cases::expand;
use crate::faults::{Faulty, Script};

/// One read (or a change of the maximum frame size) applied to a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `read_line(with_ending)` / `read_line_ref(with_ending)`.
    Line(bool),
    /// `read_until(sep, with_sep)` / `read_until_ref(sep, with_sep)`.
    Until(&'static [u8], bool),
    /// `read_exact(n)` / `read_exact_ref(n)`.
    Exact(usize),
    /// `pipe_mut().set_max_frame(n)`: no read.
    Max(usize),
}

/// What a read gave, in a form the lending, owned and synchronous reads share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `Ok(Some(frame))`.
    Frame(Vec<u8>),
    /// `Ok(None)`: the clean end.
    End,
    /// `UnexpectedEof` carrying [`ReadError::Partial`] with these leftover bytes.
    Partial(Vec<u8>),
    /// `InvalidData` carrying [`ReadError::LimitExceeded`] with this limit.
    Limit(usize),
    /// Another error of this kind (the transport's, carried or as is).
    Failed(io::ErrorKind),
    /// Anything else (printed).
    Unexpected(String),
    /// The outcome of [`Op::Max`].
    Set,
}

/// The [`Outcome`] of an error.
fn of_error(e: &io::Error) -> Outcome {
    match (e.kind(), read_error_of(e)) {
        (io::ErrorKind::UnexpectedEof, Some(ReadError::Partial(rest))) => {
            Outcome::Partial(rest.to_vec())
        }
        (io::ErrorKind::InvalidData, Some(ReadError::LimitExceeded { limit, .. })) => {
            Outcome::Limit(*limit)
        }
        (kind, None | Some(ReadError::Stream(_))) => Outcome::Failed(kind),
        _ => Outcome::Unexpected(format!("{e:?}")),
    }
}

/// A read's result that makes an [`Outcome`]: a lending or an owned read's.
pub trait IntoOutcome {
    /// The outcome.
    fn into_outcome(self) -> Outcome;
}

impl IntoOutcome for io::Result<Option<&[u8]>> {
    fn into_outcome(self) -> Outcome {
        match self {
            Ok(Some(frame)) => Outcome::Frame(frame.to_vec()),
            Ok(None) => Outcome::End,
            Err(e) => of_error(&e),
        }
    }
}

impl IntoOutcome for io::Result<Option<Bytes>> {
    fn into_outcome(self) -> Outcome {
        match self {
            Ok(Some(frame)) => Outcome::Frame(frame.to_vec()),
            Ok(None) => Outcome::End,
            Err(e) => of_error(&e),
        }
    }
}

/// The [`Outcome`] of a read's result.
pub fn outcome(result: impl IntoOutcome) -> Outcome {
    result.into_outcome()
}

/// The [`Outcome`] of a synchronous `Pipe` read.
fn sync_outcome(result: Result<&[u8], ReadError>) -> Outcome {
    match result {
        Ok(frame) => Outcome::Frame(frame.to_vec()),
        Err(ReadError::End) => Outcome::End,
        Err(ReadError::Partial(rest)) => Outcome::Partial(rest.to_vec()),
        Err(ReadError::LimitExceeded { limit, .. }) => Outcome::Limit(limit),
        Err(ReadError::Stream(e)) => Outcome::Failed(e.kind()),
        Err(e) => Outcome::Unexpected(format!("{e:?}")),
    }
}

/// Polls `future` at most `polls` times with a waker that does nothing; its output if it was
/// ready by then, else `None` (and the future is dropped: a cancellation).
pub fn poll_up_to<F: Future>(future: F, polls: usize) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..polls {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return Some(out);
        }
    }
    None
}

/// What the documentation says each read gives on `data` delivered in any pieces, then the
/// clean end or (with `reset`) a `ConnectionReset`: a frame when the bytes hold one (within the
/// maximum frame size, ending or separator not counted), consumed; `Limit` with nothing
/// consumed when the frame (or the bytes left without an ending) is over it, and at once for an
/// exact count over it; at a clean end `End`, or `Partial` with the leftover (consumed); after
/// a reset, `Failed(ConnectionReset)` for every read the bytes left cannot serve, nothing
/// consumed.
#[derive(Clone, Debug)]
pub struct Model {
    data: Vec<u8>,
    pos: usize,
    max_frame: usize,
    reset: bool,
}

impl Model {
    /// The model of a stream delivering `data`, then the end or a reset, maximum frame
    /// `max_frame`.
    pub fn new(data: Vec<u8>, reset: bool, max_frame: usize) -> Self {
        Model {
            data,
            pos: 0,
            max_frame,
            reset,
        }
    }

    /// The bytes not consumed yet.
    pub fn rest(&self) -> &[u8] {
        &self.data[self.pos..]
    }

    /// The outcome when the bytes left hold no complete frame.
    fn short(&mut self, unended: usize) -> Outcome {
        let rest = self.data.len() - self.pos;
        if unended > self.max_frame {
            Outcome::Limit(self.max_frame)
        } else if self.reset {
            Outcome::Failed(io::ErrorKind::ConnectionReset)
        } else if rest == 0 {
            Outcome::End
        } else {
            let leftover = self.data[self.pos..].to_vec();
            self.pos = self.data.len();
            Outcome::Partial(leftover)
        }
    }

    /// Takes a frame of `len` bytes (of which the last `ending` are its ending), keeping the
    /// ending if `keep`.
    fn take(&mut self, len: usize, ending: usize, keep: bool) -> Outcome {
        let end = self.pos + len - if keep { 0 } else { ending };
        let frame = self.data[self.pos..end].to_vec();
        self.pos += len;
        Outcome::Frame(frame)
    }

    /// What `op` gives, per the documentation.
    pub fn read(&mut self, op: Op) -> Outcome {
        let rest = &self.data[self.pos..];
        match op {
            Op::Line(keep) => match rest.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    let ending = if i > 0 && rest[i - 1] == b'\r' { 2 } else { 1 };
                    if i + 1 - ending > self.max_frame {
                        Outcome::Limit(self.max_frame)
                    } else {
                        self.take(i + 1, ending, keep)
                    }
                }
                None => self.short(rest.len()),
            },
            Op::Until(sep, keep) => match rest.windows(sep.len()).position(|w| w == sep) {
                Some(i) if i > self.max_frame => Outcome::Limit(self.max_frame),
                Some(i) => self.take(i + sep.len(), sep.len(), keep),
                None => self.short(rest.len()),
            },
            Op::Exact(n) if n > self.max_frame => Outcome::Limit(self.max_frame),
            Op::Exact(n) if n <= rest.len() => self.take(n, 0, true),
            Op::Exact(_) => self.short(0),
            Op::Max(n) => {
                self.max_frame = n;
                Outcome::Set
            }
        }
    }
}

/// The reads of a [`CASES`] entry: space-separated; `L` a line without its ending, `L+` with
/// it; `U<sep>` a frame ending in `sep` without it, `U+<sep>` with it; `X<n>` exactly `n`
/// bytes; `M<n>` the maximum frame size set to `n`.
pub fn ops(spec: &'static str) -> Vec<Op> {
    let op = |s: &'static str| match (&s[..1], &s[1..]) {
        ("L", "") => Op::Line(false),
        ("L", "+") => Op::Line(true),
        ("U", sep) => match sep.strip_prefix('+') {
            Some(sep) => Op::Until(sep.as_bytes(), true),
            None => Op::Until(sep.as_bytes(), false),
        },
        ("X", n) => Op::Exact(n.parse().unwrap()),
        ("M", n) => Op::Max(n.parse().unwrap()),
        _ => panic!("not an op: {s:?}"),
    };
    spec.split(' ').map(op).collect()
}

/// The outcomes of a [`CASES`] entry: `|`-separated; a frame (`{N}` is N `x`s, as in
/// [`expand`]); `!E` the end; `!P<rest>` a partial frame; `!L<limit>` a frame over the limit;
/// `!R` the transport's reset; `~` the outcome of `M<n>`.
pub fn outcomes(spec: &str) -> Vec<Outcome> {
    let item = |s: &str| match (s, s.strip_prefix("!P"), s.strip_prefix("!L")) {
        ("!E", ..) => Outcome::End,
        ("!R", ..) => Outcome::Failed(io::ErrorKind::ConnectionReset),
        ("~", ..) => Outcome::Set,
        (_, Some(rest), _) => Outcome::Partial(expand(rest)),
        (_, _, Some(limit)) => Outcome::Limit(limit.parse().unwrap()),
        _ => Outcome::Frame(expand(s)),
    };
    spec.split('|').map(item).collect()
}

/// (input (`{N}` is N `x`s), then a reset, the maximum frame size, the reads ([`ops`]), their
/// outcomes ([`outcomes`])): what the documentation says, read by read.
pub const CASES: &[(&str, bool, usize, &str, &str)] = &[
    // Lines, without and with their ending, `\n` and `\r\n`, empty ones.
    (
        "ab\ncd\r\n\r\nef\n",
        false,
        8,
        "L L L L L L",
        "ab|cd||ef|!E|!E",
    ),
    (
        "ab\ncd\r\n\r\nef\n",
        false,
        8,
        "L+ L+ L+ L+ L+ L+",
        "ab\n|cd\r\n|\r\n|ef\n|!E|!E",
    ),
    // At the maximum frame size (ending not counted), `\n` and `\r\n`.
    (
        "12345678\n12345678\r\nz",
        false,
        8,
        "L+ L L L",
        "12345678\n|12345678|!Pz|!E",
    ),
    (
        "12345678\r\n12345678\n",
        false,
        8,
        "L+ L+ L",
        "12345678\r\n|12345678\n|!E",
    ),
    // Lines around 64 bytes, where the search stops looking itself and hands over to
    // `memchr`, one under, at and one over the limit, after short and after long lines.
    (
        "a\n{64}\n{65}\nb\n",
        false,
        64,
        "L L L L M65 L L L",
        "a|{64}|!L64|!L64|~|{65}|b|!E",
    ),
    (
        "{150}\n{3}\n{64}\r\n{65}\n",
        false,
        200,
        "L L L+ M64 L L+",
        "{150}|{3}|{64}\r\n|~|!L64|!L64",
    ),
    (
        "{100}\n{64}\r\n{63}\n{65}\r\n",
        false,
        100,
        "L M64 L L L",
        "{100}|~|{64}|{63}|!L64",
    ),
    ("{70};{5};", false, 70, "U; U+; U;", "{70}|{5};|!E"),
    // One over: `InvalidData`, again, nothing consumed (an exact read, a raised limit).
    (
        "123456789\nz\n",
        false,
        8,
        "L L+ X8 L+ L L",
        "!L8|!L8|12345678|9\n|z|!E",
    ),
    (
        "123456789\r\nz\r\n",
        false,
        8,
        "L+ L M9 L+ L",
        "!L8|!L8|~|123456789\r\n|z",
    ),
    // A lowered limit, then raised again: the whole line.
    (
        "12345678\nz\n",
        false,
        8,
        "M4 L+ L M8 L+ L",
        "~|!L4|!L4|~|12345678\n|z",
    ),
    // The end: a last line without its ending, a `\r` left, nothing at all.
    ("abc", false, 8, "L L L+", "!Pabc|!E|!E"),
    ("abc\r", false, 8, "L+ L", "!Pabc\r|!E"),
    ("", false, 8, "L L+ U-- U+-- X1 X8", "!E|!E|!E|!E|!E|!E"),
    // Bytes over the limit left at the end; a raised limit then gives them as the leftover.
    (
        "a\n{20}",
        false,
        8,
        "L L L M20 L L",
        "a|!L8|!L8|~|!P{20}|!E",
    ),
    // Frames ending in a separator: multi-byte, empty frames, at and over the limit.
    (
        "a--b----c--",
        false,
        8,
        "U-- U+-- U-- U+-- U--",
        "a|b--||c--|!E",
    ),
    ("12345678--x--", false, 8, "U+-- U-- U--", "12345678--|x|!E"),
    (
        "123456789--x--",
        false,
        8,
        "U-- U+-- X8 U+-- U--",
        "!L8|!L8|12345678|9--|x",
    ),
    (
        "123456789--x--",
        false,
        8,
        "U-- M9 U-- U-- U--",
        "!L8|~|123456789|x|!E",
    ),
    ("a--b-", false, 8, "U-- U-- U--", "a|!Pb-|!E"),
    ("xaaabyab", false, 8, "U+ab U+ab U+ab", "xaaab|yab|!E"),
    (
        "one\r\ntwo\r\n",
        false,
        8,
        "U\r\n U+\r\n L",
        "one|two\r\n|!E",
    ),
    ("k\0v\0\0", false, 8, "U\0 U+\0 U\0 U\0", "k|v\0||!E"),
    // Exact counts: over the limit at once, at it, fewer left at the end.
    (
        "abcdefghij",
        false,
        8,
        "X9 X8 X3 X1",
        "!L8|abcdefgh|!Pij|!E",
    ),
    ("abcdefgh", false, 8, "X0 X8 X1", "|abcdefgh|!E"),
    ("ab", false, 8, "X3 X1", "!Pab|!E"),
    // A transport error: what the bytes before it serve, then the error every time.
    (
        "a\nbc",
        true,
        8,
        "L L L X1 L X2 X1 X1 L U-- X1",
        "a|!R|!R|b|!R|!R|c|!R|!R|!R|!R",
    ),
    ("a--b--c", true, 8, "U-- U+-- U-- X1 U--", "a|b--|!R|c|!R"),
    ("abcdefgh", true, 8, "X3 X3 X3 X2 X1", "abc|def|!R|gh|!R"),
    ("12345678\r\n", true, 8, "L L L+", "12345678|!R|!R"),
    ("a\n{20}", true, 8, "L L L", "a|!L8|!L8"),
];

/// `ops` applied with the synchronous `Pipe::read_*_ref` to a pipe on `pool` holding `data`,
/// closed cleanly or (with `reset`) with a `ConnectionReset`.
pub fn run_sync(
    data: &[u8],
    reset: bool,
    max_frame: usize,
    ops: &[Op],
    pool: &Pool,
) -> Vec<Outcome> {
    let mut pipe = Pipe::with_options(options(pool, max_frame));
    pipe.write_all(data).unwrap();
    let closed = match reset {
        true => pipe.eof_with_error(io::ErrorKind::ConnectionReset.into()),
        false => pipe.eof(),
    };
    closed.unwrap();
    let read = |op| match op {
        Op::Line(keep) => sync_outcome(pipe.read_line_ref(keep)),
        Op::Until(sep, keep) => sync_outcome(pipe.read_until_ref(sep, keep)),
        Op::Exact(n) => sync_outcome(pipe.read_exact_ref(n)),
        Op::Max(n) => {
            pipe.set_max_frame(n);
            Outcome::Set
        }
    };
    ops.iter().copied().map(read).collect()
}

/// One of the test kit's transports, so that a test can pick one at run time: a
/// [`Script`](crate::faults::Script) or a [`Faulty`](crate::faults::Faulty) (tokio and
/// futures-io `AsyncRead`, as they are).
#[derive(Debug)]
pub enum Transport {
    /// A fixed number of bytes a read, `Pending` before each piece.
    Script(Script),
    /// Short reads, `Pending`, `Interrupted`, `WouldBlock`, maybe a reset.
    Faulty(Faulty),
}

impl Transport {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        match self {
            Transport::Script(t) => t.poll_read(cx, buf),
            Transport::Faulty(t) => t.poll_read(cx, buf),
        }
    }
}

crate::faults::read_traits!(Transport);

/// Delivers everything it holds in its first read, then the end, counting the reads it was
/// asked for: a read served from what is buffered must not ask.
#[derive(Debug)]
pub struct Counted {
    data: Vec<u8>,
    /// How many times the stream polled this transport.
    pub polls: usize,
}

impl Counted {
    /// A transport holding `data`.
    pub fn new(data: &[u8]) -> Self {
        Counted {
            data: data.to_vec(),
            polls: 0,
        }
    }

    fn poll_read(&mut self, _: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.polls += 1;
        let n = self.data.len().min(buf.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data.drain(..n);
        Poll::Ready(Ok(n))
    }
}

crate::faults::read_traits!(Counted);

/// `count` reads chosen from `choices` with `seed`.
pub fn random_ops(choices: &[Op], count: usize, seed: u64) -> Vec<Op> {
    let mut rng = crate::contract_cases::Rng(seed | 1);
    (0..count)
        .map(|_| choices[rng.below(choices.len() as u64) as usize])
        .collect()
}

/// The reads the random tests choose from, lines and separators as in
/// [`faults::lines`](crate::faults::lines) (`\r` and `-` in them).
pub const MIXED: &[Op] = &[
    Op::Line(true),
    Op::Line(false),
    Op::Until(b"\r-", true),
    Op::Until(b"\r-", false),
    Op::Until(b"-", false),
    Op::Until(b"\n", true),
    Op::Exact(1),
    Op::Exact(7),
    Op::Exact(40),
];

/// `len` bytes, none of them `\n` or `\r`, from `seed`.
pub fn line_body(len: usize, seed: u64) -> Vec<u8> {
    let byte = |b: u8| if b == b'\n' || b == b'\r' { b'.' } else { b };
    crate::contract_cases::payload(len, seed)
        .into_iter()
        .map(byte)
        .collect()
}

/// The test functions, one per behaviour: `lending_tests!(test: runner)`, with the runner as
/// [`cases`](crate::cases) describes it. The including module names `ChunkedStream`, `timeout`
/// and `yield_now` (see [`cases`](crate::cases)).
#[macro_export]
macro_rules! lending_tests {
    (test: $test:tt) => {
        $crate::__test_fn! { $test
            /// Every [`CASES`](crate::lending_cases::CASES) entry, on transports giving one
            /// byte, two bytes or everything a read and on misbehaving ones: the lending reads
            /// give what the documentation says, and the same as the owned reads of a second
            /// stream over the same bytes and the synchronous `Pipe::read_*_ref`. An empty
            /// separator is `InvalidInput`, nothing consumed.
            fn lending_reads_give_the_documented_outcomes() {
                use $crate::lending_cases::{CASES, ops, outcomes, run_sync};
                let pool = $crate::cases::pool();
                for &(input, reset, max, ops_spec, want_spec) in CASES {
                    let (bytes, ops, want) = (
                        $crate::contract_cases::expand(input),
                        ops(ops_spec),
                        outcomes(want_spec),
                    );
                    assert_eq!(ops.len(), want.len(), "{input:?}: the case itself");
                    let mut model = $crate::lending_cases::Model::new(bytes.clone(), reset, max);
                    let modelled: Vec<_> = ops.iter().map(|&op| model.read(op)).collect();
                    assert_eq!(modelled, want, "{input:?} {ops_spec:?}: the model");
                    let sync = run_sync(&bytes, reset, max, &ops, &pool);
                    assert_eq!(sync, want, "{input:?} {ops_spec:?}: Pipe::read_*_ref");
                    let options = || $crate::cases::options(&pool, max);
                    for step in [1, 2, usize::MAX] {
                        let how = format!("{input:?} {ops_spec:?}, {step} byte(s) a read");
                        let script = || $crate::faults::Script::new(bytes.clone(), step, reset);
                        let mut s = ChunkedStream::with_options(script(), options());
                        let lent = $crate::__run_ops!(lend, s, &ops);
                        let mut s2 = ChunkedStream::with_options(script(), options());
                        let owned = $crate::__run_ops!(own, s2, &ops);
                        assert_eq!(lent, want, "{how}: lending");
                        assert_eq!(owned, want, "{how}: owned");
                        drop((s, s2));
                        $crate::cases::assert_balanced(&pool, &how);
                    }
                    for seed in 1..8 {
                        let how = format!("{input:?} {ops_spec:?}, faulty, seed {seed}");
                        let fail_at = reset.then_some(bytes.len());
                        let faulty = || $crate::faults::Faulty::new(bytes.clone(), fail_at, seed);
                        let mut s = ChunkedStream::with_options(faulty(), options());
                        let lent = $crate::__run_ops!(lend, s, &ops);
                        let mut s2 = ChunkedStream::with_options(faulty(), options());
                        let owned = $crate::__run_ops!(own, s2, &ops);
                        assert_eq!(lent, want, "{how}: lending");
                        assert_eq!(owned, want, "{how}: owned");
                        drop((s, s2));
                        $crate::cases::assert_balanced(&pool, &how);
                    }
                }
                // Over the limit with the lending reads, one byte a read: the owned `read_exact`
                // afterwards still sees every byte.
                for step in [1, usize::MAX] {
                    let script =
                        $crate::faults::Script::new(b"123456789--\n".to_vec(), step, false);
                    let mut s =
                        ChunkedStream::with_options(script, $crate::cases::options(&pool, 8));
                    let err = s.read_line_ref(true).await.unwrap_err();
                    assert_eq!($crate::cases::limit_of(&err), Some(8), "{err:?}");
                    let err = s.read_until_ref(b"--", true).await.unwrap_err();
                    assert_eq!($crate::cases::limit_of(&err), Some(8), "{err:?}");
                    let err = s.read_exact_ref(9).await.unwrap_err();
                    assert_eq!($crate::cases::limit_of(&err), Some(8), "{err:?}");
                    assert_eq!(s.read_exact(8).await.unwrap().unwrap(), "12345678");
                    assert_eq!(s.read_exact(4).await.unwrap().unwrap(), "9--\n");
                    assert_eq!(s.read_exact(1).await.unwrap(), None);
                    drop(s);
                    $crate::cases::assert_balanced(&pool, "the owned read_exact after a limit");
                }
                // An empty separator: `InvalidInput`, as the owned read, nothing consumed.
                let mut s =
                    ChunkedStream::with_options(&b"a-\n"[..], $crate::cases::options(&pool, 8));
                let err = s.read_until_ref(b"", true).await.unwrap_err();
                assert_eq!(err.kind(), ::std::io::ErrorKind::InvalidInput, "{err:?}");
                let err = s.read_until(b"", true).await.unwrap_err();
                assert_eq!(err.kind(), ::std::io::ErrorKind::InvalidInput, "{err:?}");
                assert_eq!(
                    s.read_until_ref(b"-", true).await.unwrap(),
                    Some(&b"a-"[..])
                );
                assert_eq!(s.read_line_ref(true).await.unwrap(), Some(&b"\n"[..]));
                assert_eq!(s.read_exact_ref(1).await.unwrap(), None);
                drop(s);
                $crate::cases::assert_balanced(&pool, "an empty separator");
                // `n == 0` is an empty frame at once, mid-stream and at the end alike, owned
                // and lent, and consumes nothing.
                let mut s =
                    ChunkedStream::with_options(&b"ab"[..], $crate::cases::options(&pool, 8));
                assert_eq!(s.read_exact_ref(0).await.unwrap(), Some(&b""[..]));
                assert_eq!(s.read_exact(0).await.unwrap().unwrap(), "");
                assert_eq!(s.read_exact_ref(2).await.unwrap(), Some(&b"ab"[..]));
                assert_eq!(s.read_exact_ref(1).await.unwrap(), None);
                assert_eq!(s.read_exact_ref(0).await.unwrap(), Some(&b""[..]));
                assert_eq!(s.read_exact(0).await.unwrap().unwrap(), "");
                assert_eq!(s.read_exact(1).await.unwrap(), None);
                drop(s);
                $crate::cases::assert_balanced(&pool, "zero-byte exact reads");
                // A frame already buffered is returned without asking the transport, lent or
                // owned; only a read that needs more asks again.
                let counted = $crate::lending_cases::Counted::new(b"a\nbb\nccc\n--1234");
                let mut s = ChunkedStream::with_options(counted, $crate::cases::options(&pool, 64));
                assert_eq!(s.read_line_ref(false).await.unwrap(), Some(&b"a"[..]));
                let asked = s.get_ref().polls;
                assert_eq!(asked, 1, "one read brought everything");
                assert_eq!(s.read_line(false).await.unwrap().unwrap(), "bb");
                assert_eq!(s.read_until_ref(b"\n", true).await.unwrap(), Some(&b"ccc\n"[..]));
                assert_eq!(s.read_until(b"--", false).await.unwrap().unwrap(), "");
                assert_eq!(s.read_exact_ref(2).await.unwrap(), Some(&b"12"[..]));
                assert_eq!(s.read_exact(1).await.unwrap().unwrap(), "3");
                assert_eq!(s.get_ref().polls, asked, "buffered frames asked the transport");
                let err = s.read_exact_ref(2).await.unwrap_err();
                assert!($crate::cases::is_partial(&err, "4"), "{err:?}");
                assert!(s.get_ref().polls > asked, "a read that needs more asks");
                drop((s, err)); // the error holds the leftover, a slice of the chunk
                $crate::cases::assert_balanced(&pool, "buffered frames");
            }
        }

        $crate::__test_fn! { $test
            /// Random lending reads of lines, frames ending in one- and two-byte separators and
            /// exact counts, until the end: one byte a read, everything at once, or a
            /// misbehaving transport; each frame as the model says and as the owned read on a
            /// second stream gives; then the end, again.
            fn lending_reads_match_owned_reads_on_random_frames() {
                use $crate::lending_cases::{MIXED, Model, Op, Outcome, random_ops};
                for seed in 1..13u64 {
                    let pool = $crate::cases::pool();
                    let data = $crate::faults::lines(seed, 60);
                    let ops = random_ops(MIXED, 2000, seed);
                    let options = || $crate::cases::options(&pool, 1 << 16);
                    let step = [1, usize::MAX, 3][seed as usize % 3];
                    let how = match seed % 2 {
                        0 => format!("seed {seed}, {step} byte(s) a read"),
                        _ => format!("seed {seed}, lending one byte a read, owned all at once"),
                    };
                    let (mut s, mut s2) = match seed % 2 {
                        0 => (
                            ChunkedStream::with_options(
                                $crate::faults::Script::new(data.clone(), step, false),
                                options(),
                            ),
                            ChunkedStream::with_options(
                                $crate::faults::Script::new(data.clone(), step, false),
                                options(),
                            ),
                        ),
                        _ => (
                            ChunkedStream::with_options(
                                $crate::faults::Script::new(data.clone(), 1, false),
                                options(),
                            ),
                            ChunkedStream::with_options(
                                $crate::faults::Script::new(data.clone(), usize::MAX, false),
                                options(),
                            ),
                        ),
                    };
                    let mut model = Model::new(data.clone(), false, 1 << 16);
                    let mut reads = 0;
                    for &op in &ops {
                        let want = model.read(op);
                        let lent = $crate::__await_read!(lend, s, op);
                        let owned = $crate::__await_read!(own, s2, op);
                        assert_eq!(lent, want, "{how}: lending {op:?} after {reads} reads");
                        assert_eq!(owned, want, "{how}: owned {op:?} after {reads} reads");
                        reads += 1;
                        if matches!(want, Outcome::End | Outcome::Partial(_)) {
                            break;
                        }
                    }
                    assert_eq!(model.rest(), b"", "{how}: 2000 reads did not reach the end");
                    for op in [Op::Line(true), Op::Until(b"\r-", false), Op::Exact(1)] {
                        let again = $crate::__await_read!(lend, s, op);
                        assert_eq!(again, Outcome::End, "{how}: {op:?} after the end");
                    }
                    drop((s, s2));
                    $crate::cases::assert_balanced(&pool, &how);
                }
                // The same over the misbehaving transport (short reads, `Pending`,
                // `Interrupted`, `WouldBlock`), with 4 KiB chunks: frames across chunks.
                for seed in 1..13u64 {
                    let pool = $crate::cases::pool();
                    let data = $crate::faults::lines(seed, 150);
                    let ops = random_ops(MIXED, 5000, seed + 100);
                    let mut s = $crate::__faulty_stream!(data.clone(), None, seed, &pool);
                    let mut s2 = $crate::__faulty_stream!(data.clone(), None, seed + 1, &pool);
                    let mut model = Model::new(data.clone(), false, 1 << 16);
                    for &op in &ops {
                        let want = model.read(op);
                        let lent = $crate::__await_read!(lend, s, op);
                        let owned = $crate::__await_read!(own, s2, op);
                        assert_eq!(lent, want, "faulty, seed {seed}: lending {op:?}");
                        assert_eq!(owned, want, "faulty, seed {seed}: owned {op:?}");
                        if matches!(want, Outcome::End | Outcome::Partial(_)) {
                            break;
                        }
                    }
                    assert_eq!(model.rest(), b"", "faulty, seed {seed}: not at the end");
                    drop((s, s2));
                    $crate::cases::assert_balanced(&pool, &format!("faulty, seed {seed}"));
                }
            }
        }

        $crate::__test_fn! { $test
            /// A reset at a random point of a misbehaving transport: every frame the bytes
            /// before it hold comes out (also after the first error, by reads they can serve),
            /// and every other lending read fails with the same error, again and again.
            fn lending_reads_after_a_transport_error() {
                use $crate::lending_cases::{MIXED, Model, Op, Outcome, random_ops};
                for seed in 1..40u64 {
                    let pool = $crate::cases::pool();
                    let data = $crate::faults::lines(seed, 60);
                    let fail_at = (seed as usize * 131) % data.len();
                    let mut s = $crate::__faulty_stream!(data.clone(), Some(fail_at), seed, &pool);
                    let mut model = Model::new(data[..fail_at].to_vec(), true, 1 << 16);
                    let (mut failed, mut after) = (None, 0);
                    for &op in &random_ops(MIXED, 3000, seed) {
                        let want = model.read(op);
                        let got = $crate::__read!(lend, s, op, |f| {
                            let r = $crate::__within!("a lending read", f);
                            if let Err(e) = &r {
                                let first = failed.get_or_insert_with(|| e.to_string());
                                assert_eq!(e.to_string(), *first, "seed {seed}: the same error");
                            }
                            $crate::lending_cases::outcome(r)
                        });
                        assert_eq!(got, want, "seed {seed}, fail at {fail_at}: {op:?}");
                        after += usize::from(failed.is_some());
                        if after > 30 {
                            break;
                        }
                    }
                    assert!(failed.is_some(), "seed {seed}: no error in 3000 reads");
                    // What is left stays buffered, and every read that needs more fails the same
                    // way, again and again.
                    assert_eq!(s.buffered(), model.rest().len(), "seed {seed}");
                    let more = model.rest().len() + 1;
                    for op in [
                        Op::Until(b"#", true),
                        Op::Exact(more),
                        Op::Until(b"#", false),
                    ] {
                        for _ in 0..2 {
                            let err = $crate::__read!(lend, s, op, |f| {
                                $crate::__within!("a lending read", f).err()
                            });
                            assert_eq!(err.map(|e| e.to_string()), failed, "seed {seed}: {op:?}");
                            assert_eq!(
                                model.read(op),
                                Outcome::Failed(::std::io::ErrorKind::ConnectionReset)
                            );
                        }
                    }
                    assert_eq!(
                        s.buffered(),
                        model.rest().len(),
                        "seed {seed}: nothing consumed"
                    );
                    drop(s);
                    $crate::cases::assert_balanced(&pool, &format!("seed {seed}"));
                }
            }
        }

        $crate::__test_fn! { $test
            /// Lending and owned reads polled by hand on a transport that is `Pending` before
            /// every piece (one to three bytes), each dropped after one to three polls while not
            /// ready and started over, or followed by another kind of read: every byte comes out
            /// once and in order (each frame as the model says), then the end.
            fn lending_reads_dropped_at_any_pending_lose_nothing() {
                use $crate::lending_cases::{MIXED, Model, Outcome, random_ops};
                for seed in 1..25u64 {
                    let pool = $crate::cases::pool();
                    let data = $crate::faults::lines(seed, 40);
                    let step = 1 + seed as usize % 3;
                    let script = $crate::faults::Script::new(data.clone(), step, false);
                    let mut s = ChunkedStream::with_options(
                        script,
                        $crate::cases::options(&pool, 1 << 16),
                    );
                    let mut model = Model::new(data.clone(), false, 1 << 16);
                    let mut rng = $crate::contract_cases::Rng(seed);
                    let (mut dropped, mut switched, mut lent_frames) = (0u32, 0u32, 0u32);
                    for &first in &random_ops(MIXED, 4000, seed + 7) {
                        let (mut op, mut lending) = (first, rng.below(3) != 0);
                        let got = loop {
                            let polls = 1 + rng.below(3) as usize;
                            let ready = match lending {
                                true => $crate::__poll_read!(lend, s, op, polls),
                                false => $crate::__poll_read!(own, s, op, polls),
                            };
                            match ready {
                                Some(outcome) => break outcome,
                                None => dropped += 1,
                            }
                            assert!(dropped < 1_000_000, "seed {seed}: no progress");
                            // Sometimes another read, lending or owned, after the dropped one.
                            if rng.below(4) == 0 {
                                op = MIXED[rng.below(MIXED.len() as u64) as usize];
                                lending = rng.below(3) != 0;
                                switched += 1;
                            }
                        };
                        let want = model.read(op);
                        assert_eq!(
                            got, want,
                            "seed {seed}, {step} byte(s) a read: {op:?} (lending: {lending})"
                        );
                        match got {
                            Outcome::Frame(_) => lent_frames += u32::from(lending),
                            _ => break,
                        }
                    }
                    assert_eq!(model.rest(), b"", "seed {seed}: not at the end");
                    assert!(
                        dropped > 100 && switched > 10 && lent_frames > 10,
                        "seed {seed}: {dropped} dropped, {switched} switched, {lent_frames} lent"
                    );
                    drop(s);
                    // With endings kept, the frames are the bytes themselves.
                    let mut s = ChunkedStream::with_options(
                        $crate::faults::Script::new(data.clone(), step, false),
                        $crate::cases::options(&pool, 1 << 16),
                    );
                    let (mut got_bytes, mut attempts) = (Vec::new(), 0u32);
                    let keep = [
                        $crate::lending_cases::Op::Line(true),
                        $crate::lending_cases::Op::Until(b"\r-", true),
                        $crate::lending_cases::Op::Exact(5),
                    ];
                    for turn in 0usize.. {
                        let op = keep[turn % 3];
                        let got = loop {
                            attempts += 1;
                            assert!(attempts < 1_000_000, "seed {seed}: no progress");
                            let ready = $crate::__poll_read!(lend, s, op, 1);
                            if let Some(outcome) = ready {
                                break outcome;
                            }
                        };
                        match got {
                            Outcome::Frame(f) => got_bytes.extend_from_slice(&f),
                            Outcome::Partial(rest) => got_bytes.extend_from_slice(&rest),
                            Outcome::End => break,
                            other => panic!("seed {seed}: {other:?}"),
                        }
                    }
                    assert_eq!(got_bytes, data, "seed {seed}: every byte once, in order");
                    drop(s);
                    $crate::cases::assert_balanced(&pool, &format!("seed {seed}"));
                }
            }
        }

        $crate::__test_fn! { $test
            /// Lending reads cancelled by the runtime's timeout (0 to 2 µs) on a transport that
            /// is `Pending` before every byte or misbehaves, mixed with owned reads and retried:
            /// each frame as the model says, then the end.
            fn lending_reads_cancelled_by_a_timeout_lose_nothing() {
                use $crate::lending_cases::{MIXED, Model, Outcome, random_ops};
                for seed in 1..13u64 {
                    let pool = $crate::cases::pool();
                    let data = $crate::faults::lines(seed, 30);
                    let mut model = Model::new(data.clone(), false, 1 << 16);
                    let mut rng = $crate::contract_cases::Rng(seed);
                    let script = $crate::faults::Script::new(data.clone(), 1, false);
                    let mut s = ChunkedStream::with_options(
                        script,
                        $crate::cases::options(&pool, 1 << 16),
                    );
                    let mut s2 = $crate::__faulty_stream!(data.clone(), None, seed, &pool);
                    for &op in &random_ops(MIXED, 4000, seed + 3) {
                        let want = model.read(op);
                        let lending = rng.below(4) != 0;
                        let mut attempts = 0u32;
                        let got = loop {
                            attempts += 1;
                            assert!(attempts < 1_000_000, "seed {seed}: no progress");
                            let d = ::std::time::Duration::from_micros(rng.below(3));
                            let ready = match lending {
                                true => $crate::__timed_read!(lend, s, op, d),
                                false => $crate::__timed_read!(own, s, op, d),
                            };
                            if let Some(outcome) = ready {
                                break outcome;
                            }
                        };
                        assert_eq!(got, want, "seed {seed}, one byte a read: {op:?}");
                        let got2 = loop {
                            let d = ::std::time::Duration::from_micros(rng.below(3));
                            let ready = $crate::__timed_read!(lend, s2, op, d);
                            if let Some(outcome) = ready {
                                break outcome;
                            }
                            yield_now().await;
                        };
                        assert_eq!(got2, want, "seed {seed}, faulty: {op:?}");
                        if !matches!(want, Outcome::Frame(_)) {
                            break;
                        }
                    }
                    assert_eq!(model.rest(), b"", "seed {seed}: not at the end");
                    drop((s, s2));
                    $crate::cases::assert_balanced(&pool, &format!("seed {seed}"));
                }
            }
        }

        $crate::__test_fn! { $test
            /// Lines and frames longer than a chunk (4 KiB chunks, and the default sizes):
            /// 100 KiB lines with a raised maximum frame, lines around the chunk size, lines of
            /// exactly the maximum frame with `\n` and `\r\n` and one over it, a 300 KiB line
            /// over the limit; by line, by separator and by exact counts (up to the maximum),
            /// on one byte a read (lines), everything at once, 997 bytes a read (also with each
            /// read dropped after one to three polls while not ready) and a misbehaving
            /// transport: whole and equal to the model's; a frame over the limit read whole
            /// after raising it (nothing consumed).
            fn lending_reads_of_frames_longer_than_a_chunk() {
                use $crate::faults::{Faulty, Script};
                use $crate::lending_cases::{Model, Op, Outcome, Transport, line_body};
                let (max, big) = (128 << 10, 1 << 20);
                let lens = [
                    100 << 10,
                    0,
                    1,
                    4095,
                    4096,
                    4097,
                    100 << 10,
                    8191,
                    300 << 10,
                    3,
                    max,
                    max,
                    max + 1,
                    max + 1,
                    5,
                ];
                let mut data = Vec::new();
                for (i, len) in lens.into_iter().enumerate() {
                    data.extend(line_body(len, i as u64 + 1));
                    data.extend_from_slice(if i % 2 == 0 { b"\n" } else { b"\r\n" });
                }
                let reads: [&[Op]; 3] = [
                    &[Op::Line(false), Op::Line(true)],
                    &[Op::Until(b"\n", false), Op::Until(b"\r\n", true)],
                    &[
                        Op::Exact(1),
                        Op::Exact(4095),
                        Op::Exact(4097),
                        Op::Exact(100 << 10),
                        Op::Exact(max),
                    ],
                ];
                for (pass, ops) in reads.iter().enumerate() {
                    for transport in 0..6 {
                        if transport == 0 && pass != 0 {
                            continue; // one byte a read: lines only (the slow one)
                        }
                        let pool = $crate::cases::pool();
                        let small = $crate::cases::options(&pool, max)
                            .chunk_size(4096)
                            .max_chunk(4096);
                        let options = if transport == 2 {
                            $crate::cases::options(&pool, max)
                        } else {
                            small
                        };
                        let how = format!("pass {pass}, transport {transport}");
                        let io = match transport {
                            0 => Transport::Script(Script::new(data.clone(), 1, false)),
                            1 | 2 => {
                                Transport::Script(Script::new(data.clone(), usize::MAX, false))
                            }
                            3 | 4 => Transport::Script(Script::new(data.clone(), 997, false)),
                            _ => {
                                Transport::Faulty(Faulty::new(data.clone(), None, pass as u64 + 1))
                            }
                        };
                        let mut s = ChunkedStream::with_options(io, options);
                        if transport == 1 {
                            assert!(
                                $crate::__within!("fill_at_least", s.fill_at_least(5000)).unwrap()
                            );
                            let chunks = s.pipe().chunks().count();
                            assert!(chunks >= 2, "{how}: {chunks} chunk(s) hold 5000 bytes");
                        }
                        let (cancel, mut rng, mut dropped) =
                            (transport == 4, $crate::contract_cases::Rng(9), 0u32);
                        let mut model = Model::new(data.clone(), false, max);
                        let (mut frames, mut limits) = (0, 0);
                        for turn in 0usize.. {
                            let op = ops[turn % ops.len()];
                            let want = model.read(op);
                            let got = $crate::__lend_maybe_cancelled!(s, op, cancel, rng, dropped);
                            match (&got, &want) {
                                (Outcome::Frame(g), Outcome::Frame(w)) => {
                                    $crate::contract_cases::same_bytes(
                                        g,
                                        w,
                                        &format!("{how}: {op:?}"),
                                    );
                                    frames += 1;
                                }
                                _ => assert_eq!(got, want, "{how}: {op:?} after {frames} frames"),
                            }
                            match want {
                                Outcome::Limit(_) => {
                                    // Nothing consumed: with the limit raised, the whole frame.
                                    limits += 1;
                                    s.pipe_mut().set_max_frame(big);
                                    model.read(Op::Max(big));
                                    let want = model.read(op);
                                    let got = $crate::__lend_maybe_cancelled!(
                                        s, op, cancel, rng, dropped
                                    );
                                    assert!(
                                        matches!(&want, Outcome::Frame(w) if w.len() > max),
                                        "{how}: {op:?}"
                                    );
                                    assert!(
                                        got == want,
                                        "{how}: {op:?}: the frame over the limit, after raising it"
                                    );
                                    s.pipe_mut().set_max_frame(max);
                                    model.read(Op::Max(max));
                                }
                                Outcome::Frame(_) => {}
                                _ => break,
                            }
                        }
                        assert_eq!(model.rest(), b"", "{how}: not at the end");
                        assert!(frames >= 8, "{how}: {frames} frames");
                        assert!((pass == 2) == (limits == 0), "{how}: {limits} limits");
                        assert!(cancel == (dropped > 100), "{how}: {dropped} dropped");
                        drop(s);
                        $crate::cases::assert_balanced(&pool, &how);
                    }
                }
            }
        }

        $crate::__test_fn! { $test
            /// Separators (`\r\n`, and a five-byte one) at every offset around the first and
            /// second 4 KiB chunk boundaries, everything buffered first (some separators then
            /// straddle two chunks) or arriving three bytes a read: the lending reads give the
            /// model's frames, with and without the separator, as the owned reads do.
            fn lending_reads_of_separators_across_chunk_boundaries() {
                use $crate::lending_cases::{Model, Op, Outcome, line_body};
                let pool = $crate::cases::pool();
                let options = || {
                    $crate::cases::options(&pool, 1 << 16)
                        .chunk_size(4096)
                        .max_chunk(4096)
                };
                let mut straddled = 0;
                for sep in [&b"\r\n"[..], &b"<SEP>"[..]] {
                    let ops = [
                        Op::Until(sep, false),
                        Op::Until(sep, true),
                        Op::Line(false),
                        Op::Line(true),
                    ];
                    let ops = if sep == b"\r\n" { &ops[..] } else { &ops[..2] };
                    for k in (4086..4100).chain(8185..8197) {
                        let mut data = line_body(k, k as u64);
                        for (i, len) in [10, 5000, 0, 4090].into_iter().enumerate() {
                            data.extend_from_slice(sep);
                            data.extend(line_body(len, i as u64));
                        }
                        data.extend_from_slice(sep);
                        for (prefill, step) in [(true, usize::MAX), (false, 3)] {
                            let how = format!("{sep:?} after {k} bytes, {step} byte(s) a read");
                            let script = || $crate::faults::Script::new(data.clone(), step, false);
                            let (mut s, mut s2) = (
                                ChunkedStream::with_options(script(), options()),
                                ChunkedStream::with_options(script(), options()),
                            );
                            if prefill {
                                assert!(
                                    $crate::__within!(
                                        "fill_at_least",
                                        s.fill_at_least(data.len())
                                    )
                                    .unwrap()
                                );
                                let mut at = 0;
                                for chunk in s.pipe().chunks() {
                                    at += chunk.len();
                                    straddled += usize::from(at > k && at < k + sep.len());
                                }
                            }
                            let mut model = Model::new(data.clone(), false, 1 << 16);
                            for turn in 0.. {
                                let op = ops[turn % ops.len()];
                                let want = model.read(op);
                                let lent = $crate::__await_read!(lend, s, op);
                                let owned = $crate::__await_read!(own, s2, op);
                                assert!(lent == want, "{how}: lending {op:?}, turn {turn}");
                                assert!(owned == want, "{how}: owned {op:?}, turn {turn}");
                                if want == Outcome::End {
                                    break;
                                }
                            }
                            drop((s, s2));
                            $crate::cases::assert_balanced(&pool, &how);
                        }
                    }
                }
                assert!(
                    straddled >= 2,
                    "{straddled} separators straddled two chunks"
                );
            }
        }

        $crate::__test_fn! { $test
            /// Lending reads mixed with owned reads and `read_lines_with` on one stream, one
            /// byte a read (and on a misbehaving transport): every line and frame as the model
            /// says, in order, then the end for each kind of read.
            fn lending_owned_and_batch_reads_interleave() {
                use $crate::lending_cases::{MIXED, Model, Op, Outcome};
                for seed in 1..17u64 {
                    let pool = $crate::cases::pool();
                    let data = $crate::faults::lines(seed, 80);
                    let mut model = Model::new(data.clone(), false, 1 << 16);
                    let mut rng = $crate::contract_cases::Rng(seed);
                    let transport = match seed % 2 {
                        0 => $crate::lending_cases::Transport::Script(
                            $crate::faults::Script::new(data.clone(), 1, false),
                        ),
                        _ => $crate::lending_cases::Transport::Faulty(
                            $crate::faults::Faulty::new(data.clone(), None, seed),
                        ),
                    };
                    let options = $crate::cases::options(&pool, 1 << 16)
                        .chunk_size(4096)
                        .max_chunk(4096);
                    let mut s = ChunkedStream::with_options(transport, options);
                    let (mut kinds, mut done) = ([0u32; 3], false);
                    for _ in 0..4000 {
                        let op = MIXED[rng.below(MIXED.len() as u64) as usize];
                        let kind = rng.below(3) as usize;
                        kinds[kind] += 1;
                        let outcomes: Vec<(Op, Outcome)> = match kind {
                            0 => vec![(op, $crate::__await_read!(lend, s, op))],
                            1 => vec![(op, $crate::__await_read!(own, s, op))],
                            _ => {
                                let keep = rng.below(2) == 0;
                                let mut lines = Vec::new();
                                let n = $crate::__within!(
                                    "read_lines_with",
                                    s.read_lines_with(keep, |l| lines.push(l.to_vec()))
                                )
                                .unwrap();
                                assert_eq!(n, lines.len(), "seed {seed}: read_lines_with's count");
                                if n == 0 {
                                    vec![(Op::Line(keep), Outcome::End)]
                                } else {
                                    lines
                                        .into_iter()
                                        .map(|l| (Op::Line(keep), Outcome::Frame(l)))
                                        .collect()
                                }
                            }
                        };
                        for (op, got) in outcomes {
                            let want = model.read(op);
                            assert_eq!(got, want, "seed {seed}: {op:?} (kind {kind})");
                            done = !matches!(want, Outcome::Frame(_));
                        }
                        if done {
                            break;
                        }
                    }
                    assert!(
                        done && model.rest().is_empty(),
                        "seed {seed}: not at the end"
                    );
                    assert!(kinds.iter().all(|&k| k > 5), "seed {seed}: {kinds:?}");
                    let lent = $crate::__await_read!(lend, s, Op::Line(true));
                    let owned = $crate::__await_read!(own, s, Op::Exact(1));
                    let batch = s.read_lines_with(true, |_| ()).await.unwrap();
                    assert_eq!(
                        (lent, owned, batch),
                        (Outcome::End, Outcome::End, 0),
                        "seed {seed}"
                    );
                    drop(s);
                    $crate::cases::assert_balanced(&pool, &format!("seed {seed}"));
                }
            }
        }
    };
}

/// The read `$op` (an [`Op`](crate::lending_cases::Op), not `Max`) on the stream `$s`, in its
/// lending (`lend`) or owned (`own`) form: `$fut` names the read's future in `$then`.
#[doc(hidden)]
#[macro_export]
macro_rules! __read {
    (lend, $s:ident, $op:expr, |$fut:ident| $then:expr) => {
        match $op {
            $crate::lending_cases::Op::Line(keep) => {
                let $fut = $s.read_line_ref(keep);
                $then
            }
            $crate::lending_cases::Op::Until(sep, keep) => {
                let $fut = $s.read_until_ref(sep, keep);
                $then
            }
            $crate::lending_cases::Op::Exact(n) => {
                let $fut = $s.read_exact_ref(n);
                $then
            }
            $crate::lending_cases::Op::Max(_) => unreachable!("not a read"),
        }
    };
    (own, $s:ident, $op:expr, |$fut:ident| $then:expr) => {
        match $op {
            $crate::lending_cases::Op::Line(keep) => {
                let $fut = $s.read_line(keep);
                $then
            }
            $crate::lending_cases::Op::Until(sep, keep) => {
                let $fut = $s.read_until(sep, keep);
                $then
            }
            $crate::lending_cases::Op::Exact(n) => {
                let $fut = $s.read_exact(n);
                $then
            }
            $crate::lending_cases::Op::Max(_) => unreachable!("not a read"),
        }
    };
}

/// The [`Outcome`](crate::lending_cases::Outcome) of the read `$op` on the stream `$s` in the
/// `lend` or `own` form, awaited (a hang is a failure).
#[doc(hidden)]
#[macro_export]
macro_rules! __await_read {
    ($form:ident, $s:ident, $op:expr) => {
        $crate::__read!($form, $s, $op, |f| $crate::lending_cases::outcome(
            $crate::__within!("a read", f)
        ))
    };
}

/// The [`Outcome`](crate::lending_cases::Outcome) of the read `$op` on the stream `$s` in the
/// `lend` or `own` form if it is ready within `$polls` polls, else `None` (it was dropped).
#[doc(hidden)]
#[macro_export]
macro_rules! __poll_read {
    ($form:ident, $s:ident, $op:expr, $polls:expr) => {
        $crate::__read!($form, $s, $op, |f| {
            $crate::lending_cases::poll_up_to(f, $polls).map($crate::lending_cases::outcome)
        })
    };
}

/// The [`Outcome`](crate::lending_cases::Outcome) of the read `$op` on the stream `$s` in the
/// `lend` or `own` form if it is ready within `$d` (the including module's `timeout`), else
/// `None` (it was dropped).
#[doc(hidden)]
#[macro_export]
macro_rules! __timed_read {
    ($form:ident, $s:ident, $op:expr, $d:expr) => {
        $crate::__read!($form, $s, $op, |f| {
            timeout($d, f)
                .await
                .ok()
                .map($crate::lending_cases::outcome)
        })
    };
}

/// The outcome of the lending read `$op` on the stream `$s`: awaited, or (if `$cancel`) polled
/// by hand one to three times (from the [`Rng`](crate::contract_cases::Rng) `$rng`) and dropped
/// while not ready, counting the drops in `$dropped`, until it is ready.
#[doc(hidden)]
#[macro_export]
macro_rules! __lend_maybe_cancelled {
    ($s:ident, $op:expr, $cancel:expr, $rng:ident, $dropped:ident) => {{
        let op = $op;
        if $cancel {
            loop {
                let polls = 1 + $rng.below(3) as usize;
                let ready = $crate::__poll_read!(lend, $s, op, polls);
                match ready {
                    Some(outcome) => break outcome,
                    None => $dropped += 1,
                }
                assert!($dropped < 100_000_000, "no progress");
            }
        } else {
            $crate::__await_read!(lend, $s, op)
        }
    }};
}

/// The outcomes of the reads `$ops` on the stream `$s` in the `lend` or `own` form, each
/// awaited (a hang is a failure), `Max` setting the maximum frame size.
#[doc(hidden)]
#[macro_export]
macro_rules! __run_ops {
    ($form:ident, $s:ident, $ops:expr) => {{
        let mut got = ::std::vec::Vec::new();
        for &op in $ops {
            got.push(match op {
                $crate::lending_cases::Op::Max(n) => {
                    $s.pipe_mut().set_max_frame(n);
                    $crate::lending_cases::Outcome::Set
                }
                op => $crate::__await_read!($form, $s, op),
            });
        }
        got
    }};
}
