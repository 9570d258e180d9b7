//! A model test: random sequences of writes (random sizes and split points), every kind of read,
//! peeks, searches, limits and closes, run against a `VecDeque<u8>` model. Frames read as
//! `Bytes` are kept and checked again at the end, so a chunk written after it was shared would
//! show. Every case ends with the pool balanced.

mod common;

use std::collections::VecDeque;
use std::io;

use bytes::Bytes;
use pipe_core::{Discarded, FindError, Pipe, PipeOptions, ReadError, UNLIMITED, WriteError};
use proptest::prelude::*;

/// Bytes drawn from a small alphabet so that separators turn up often.
fn data() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(b"ab\r\n-|".to_vec()), 0..200)
}

fn sep() -> impl Strategy<Value = Vec<u8>> {
    prop::sample::select(vec![
        b"\n".to_vec(),
        b"\r\n".to_vec(),
        b"--".to_vec(),
        b"-|-".to_vec(),
        b"a\r\n".to_vec(),
    ])
}

#[derive(Clone, Debug)]
enum Op {
    WriteAll(Vec<u8>),
    /// `get_buffer(hint)`, fill with the data (cut to the space given), commit `len - short`.
    Lend {
        hint: usize,
        data: Vec<u8>,
        short: usize,
    },
    ReadLine(bool),
    ReadLineRef(bool),
    ReadLinesWith(bool),
    ReadUntil(Vec<u8>, bool),
    ReadUntilRef(Vec<u8>, bool),
    ReadExact(usize),
    ReadExactRef(usize),
    ReadAtMost(usize),
    Peek(usize),
    FindByte(u8, usize, usize),
    Find(Vec<u8>, usize, usize),
    Skip(usize),
    DiscardUntil(Vec<u8>),
    SetMaxFrame(usize),
    Eof,
    EofWithError,
    DropKept,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => data().prop_map(Op::WriteAll),
        4 => (prop_oneof![Just(0usize), 1..300usize, Just(5000)], data(), 0..3usize)
            .prop_map(|(hint, data, short)| Op::Lend { hint, data, short }),
        3 => any::<bool>().prop_map(Op::ReadLine),
        2 => any::<bool>().prop_map(Op::ReadLineRef),
        2 => any::<bool>().prop_map(Op::ReadLinesWith),
        3 => (sep(), any::<bool>()).prop_map(|(s, k)| Op::ReadUntil(s, k)),
        2 => (sep(), any::<bool>()).prop_map(|(s, k)| Op::ReadUntilRef(s, k)),
        2 => (0..120usize).prop_map(Op::ReadExact),
        1 => (0..120usize).prop_map(Op::ReadExactRef),
        2 => (0..120usize).prop_map(Op::ReadAtMost),
        2 => (0..120usize).prop_map(Op::Peek),
        1 => (prop::sample::select(b"ab\r\n-|z".to_vec()), 0..300usize, 0..300usize)
            .prop_map(|(b, s, e)| Op::FindByte(b, s, e)),
        1 => (sep(), 0..300usize, 0..300usize).prop_map(|(n, s, e)| Op::Find(n, s, e)),
        1 => (0..100usize).prop_map(Op::Skip),
        1 => sep().prop_map(Op::DiscardUntil),
        1 => prop_oneof![Just(UNLIMITED), 0..100usize].prop_map(Op::SetMaxFrame),
        1 => Just(Op::Eof),
        1 => Just(Op::EofWithError),
        1 => Just(Op::DropKept),
    ]
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum State {
    Open,
    Closed,
    Failed,
}

/// What the pipe should do, written as plainly as possible.
struct Model {
    data: VecDeque<u8>,
    state: State,
    max_frame: usize,
}

/// The outcome of a read in a form both sides can produce and compare.
#[derive(Debug, PartialEq)]
enum Got {
    Frame(Vec<u8>),
    NeedMore,
    End,
    Partial(Vec<u8>),
    Stream,
    Limit,
    Invalid,
}

fn got(r: Result<&[u8], ReadError>) -> Got {
    match r {
        Ok(f) => Got::Frame(f.to_vec()),
        Err(ReadError::NeedMore) => Got::NeedMore,
        Err(ReadError::End) => Got::End,
        Err(ReadError::Partial(b)) => Got::Partial(b.to_vec()),
        Err(ReadError::Stream(_)) => Got::Stream,
        Err(ReadError::LimitExceeded { .. }) => Got::Limit,
        Err(ReadError::InvalidArgument(_)) => Got::Invalid,
        Err(other) => panic!("unexpected {other:?}"),
    }
}

impl Model {
    fn take(&mut self, n: usize) -> Vec<u8> {
        self.data.drain(..n).collect()
    }

    fn short(&mut self) -> Got {
        match self.state {
            State::Open => Got::NeedMore,
            State::Failed => Got::Stream,
            State::Closed if self.data.is_empty() => Got::End,
            State::Closed => Got::Partial(self.take(self.data.len())),
        }
    }

    fn position(&self, needle: &[u8], from: usize, end: usize) -> Option<usize> {
        let hay: Vec<u8> = self.data.iter().copied().collect();
        hay[from..end]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
    }

    fn read_until(&mut self, sep: &[u8], keep: bool, line: bool) -> Got {
        let len = self.data.len();
        let window = self.max_frame.saturating_add(sep.len());
        match self.position(sep, 0, len.min(window)) {
            Some(p) => {
                let mut frame = self.take(p + sep.len());
                if !keep {
                    frame.truncate(p);
                    if line && frame.last() == Some(&b'\r') {
                        frame.pop();
                    }
                }
                Got::Frame(frame)
            }
            None if len >= window => Got::Limit,
            None => self.short(),
        }
    }

    /// Whether a frame ending in `sep` is there to read (within the limit).
    fn has_frame(&self, sep: &[u8]) -> bool {
        let window = self.max_frame.saturating_add(sep.len());
        self.position(sep, 0, self.data.len().min(window)).is_some()
    }

    fn read_exact(&mut self, n: usize) -> Got {
        if n == 0 {
            Got::Frame(Vec::new())
        } else if n > self.max_frame {
            Got::Limit
        } else if n <= self.data.len() {
            Got::Frame(self.take(n))
        } else {
            self.short()
        }
    }

    fn at_most(&mut self, n: usize, consume: bool) -> Got {
        if self.data.is_empty() {
            return self.short();
        }
        let n = n.min(self.data.len());
        if consume {
            Got::Frame(self.take(n))
        } else {
            Got::Frame(self.data.iter().take(n).copied().collect())
        }
    }
}

/// Holds on to a frame read as `Bytes` with what it should contain.
fn keep(kept: &mut Vec<(Bytes, Vec<u8>)>, frame: &Result<Bytes, ReadError>, want: &Got) {
    if let (Ok(b), Got::Frame(w)) = (frame, want) {
        kept.push((b.clone(), w.clone()));
    }
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let pool = common::tiny_pool();
    let mut pipe = Pipe::with_options(PipeOptions {
        pool: pool.clone(),
        max_frame: UNLIMITED,
        chunk_size: 64,
        max_chunk: 256,
    });
    let mut model = Model {
        data: VecDeque::new(),
        state: State::Open,
        max_frame: UNLIMITED,
    };
    let mut kept: Vec<(Bytes, Vec<u8>)> = Vec::new();
    for op in ops {
        let open = model.state == State::Open;
        match op {
            Op::WriteAll(d) => {
                let r = pipe.write_all(&d);
                if open {
                    prop_assert_eq!(r, Ok(()));
                    model.data.extend(&d);
                } else {
                    prop_assert_eq!(r, Err(WriteError::Closed));
                }
            }
            Op::Lend { hint, data, short } => match pipe.get_buffer(hint) {
                Ok(buf) => {
                    prop_assert!(open);
                    prop_assert!(buf.len() >= hint.max(1));
                    let n = data.len().min(buf.len());
                    buf[..n].copy_from_slice(&data[..n]);
                    let commit = n.saturating_sub(short);
                    prop_assert_eq!(pipe.buffer_written(commit), Ok(()));
                    model.data.extend(&data[..commit]);
                }
                Err(e) => {
                    prop_assert!(!open);
                    prop_assert_eq!(e, WriteError::Closed);
                }
            },
            Op::ReadLine(k) => {
                let r = pipe.read_line(k);
                let want = model.read_until(b"\n", k, true);
                keep(&mut kept, &r, &want);
                prop_assert_eq!(got(r.as_deref().map_err(Clone::clone)), want);
            }
            Op::ReadLineRef(k) => {
                let want = model.read_until(b"\n", k, true);
                prop_assert_eq!(got(pipe.read_line_ref(k)), want);
            }
            Op::ReadLinesWith(k) => {
                let mut lines = Vec::new();
                let r = pipe.read_lines_with(k, |l| lines.push(l.to_vec()));
                let mut want = Vec::new();
                while model.has_frame(b"\n") {
                    match model.read_until(b"\n", k, true) {
                        Got::Frame(f) => want.push(f),
                        other => unreachable!("a frame was there: {other:?}"),
                    }
                }
                if want.is_empty() {
                    let outcome = model.read_until(b"\n", k, true);
                    prop_assert_eq!(got(r.map(|_| &[][..])), outcome);
                } else {
                    prop_assert_eq!(r.ok(), Some(want.len()));
                }
                prop_assert_eq!(lines, want);
            }
            Op::ReadUntil(s, k) => {
                let r = pipe.read_until(&s, k);
                let want = model.read_until(&s, k, false);
                keep(&mut kept, &r, &want);
                prop_assert_eq!(got(r.as_deref().map_err(Clone::clone)), want);
            }
            Op::ReadUntilRef(s, k) => {
                let want = model.read_until(&s, k, false);
                prop_assert_eq!(got(pipe.read_until_ref(&s, k)), want);
            }
            Op::ReadExact(n) => {
                let r = pipe.read_exact(n);
                let want = model.read_exact(n);
                keep(&mut kept, &r, &want);
                prop_assert_eq!(got(r.as_deref().map_err(Clone::clone)), want);
            }
            Op::ReadExactRef(n) => {
                let want = model.read_exact(n);
                prop_assert_eq!(got(pipe.read_exact_ref(n)), want);
            }
            Op::ReadAtMost(n) => {
                let r = pipe.read_at_most(n);
                let want = if n == 0 {
                    Got::Invalid
                } else {
                    model.at_most(n, true)
                };
                keep(&mut kept, &r, &want);
                prop_assert_eq!(got(r.as_deref().map_err(Clone::clone)), want);
            }
            Op::Peek(n) => {
                let r = pipe.peek(n);
                let want = if n == 0 {
                    Got::Frame(Vec::new())
                } else {
                    model.at_most(n, false)
                };
                keep(&mut kept, &r, &want);
                prop_assert_eq!(got(r.as_deref().map_err(Clone::clone)), want);
            }
            Op::FindByte(b, s, e) => {
                let len = model.data.len();
                let want = if s <= e && e <= len {
                    Ok(model.position(&[b], s, e))
                } else {
                    Err(FindError::InvalidRange {
                        start: s,
                        end: e,
                        len,
                    })
                };
                prop_assert_eq!(pipe.find_byte(b, s..e), want);
            }
            Op::Find(n, s, e) => {
                let len = model.data.len();
                let want = if s <= e && e <= len {
                    Ok(model.position(&n, s, e))
                } else {
                    Err(FindError::InvalidRange {
                        start: s,
                        end: e,
                        len,
                    })
                };
                prop_assert_eq!(pipe.find(&n, s..e), want);
            }
            Op::Skip(n) => {
                let n = n.min(model.data.len());
                model.take(n);
                prop_assert_eq!(pipe.skip(n), n);
            }
            Op::DiscardUntil(s) => {
                let len = model.data.len();
                let want = match model.position(&s, 0, len) {
                    Some(p) => {
                        model.take(p + s.len());
                        Ok(Discarded::Found(p + s.len()))
                    }
                    None if model.state == State::Closed && len == 0 => Err(Got::End),
                    None if model.state == State::Closed => {
                        model.take(len);
                        Ok(Discarded::NotYet(len))
                    }
                    None => {
                        let n = len.saturating_sub(s.len() - 1);
                        model.take(n);
                        Ok(Discarded::NotYet(n))
                    }
                };
                prop_assert_eq!(pipe.discard_until(&s).map_err(|e| got(Err(e))), want);
            }
            Op::SetMaxFrame(m) => {
                pipe.set_max_frame(m);
                model.max_frame = m;
            }
            Op::Eof | Op::EofWithError => {
                let r = if matches!(op, Op::Eof) {
                    pipe.eof()
                } else {
                    pipe.eof_with_error(io::Error::other("injected"))
                };
                if open {
                    prop_assert_eq!(r, Ok(()));
                    model.state = if matches!(op, Op::Eof) {
                        State::Closed
                    } else {
                        State::Failed
                    };
                } else {
                    prop_assert_eq!(r, Err(WriteError::Closed));
                }
            }
            Op::DropKept => kept.clear(),
        }
        prop_assert_eq!(pipe.len(), model.data.len());
        prop_assert_eq!(pipe.is_closed(), model.state != State::Open);
        let buffered: Vec<u8> = pipe.chunks().flatten().copied().collect();
        prop_assert!(buffered.iter().eq(model.data.iter()));
    }
    for (frame, want) in &kept {
        prop_assert_eq!(
            &frame[..],
            &want[..],
            "a shared frame changed after it was read"
        );
    }
    drop(pipe);
    drop(kept);
    let s = pool.stats();
    prop_assert_eq!(s.outstanding_chunks, 0);
    prop_assert_eq!(s.outstanding_bytes, 0);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1024,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_pipe_behaves_like_a_byte_queue(ops in prop::collection::vec(op(), 1..120)) {
        run(ops)?;
    }
}
