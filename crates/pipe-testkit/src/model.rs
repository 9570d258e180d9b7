//! The reference model of a `Pipe`: a `VecDeque<u8>` with the pipe's documented semantics
//! written as plainly as possible, and [`run`], which applies a sequence of [`Op`]s to a real
//! pipe and to the model and reports the first difference.

use std::collections::VecDeque;
use std::io;

use bytes::Bytes;
use pipe_core::{Discarded, FindError, Pipe, PipeOptions, Pool, ReadError, UNLIMITED, WriteError};

/// One step of a scenario.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[allow(missing_docs)]
pub enum Op {
    WriteAll(Vec<u8>),
    /// `get_buffer(hint)`, fill with the data (cut to the space given), commit `len - short`.
    Lend {
        hint: usize,
        data: Vec<u8>,
        short: usize,
    },
    /// `get_buffer(hint)`, fill it, drain what was committed before with `read_at_most`, then
    /// commit: a loan must survive reads.
    LendAcrossRead {
        hint: usize,
        data: Vec<u8>,
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
    /// `reserve_frame(n)`: a hint, so nothing the reader sees changes.
    ReserveFrame(usize),
    DiscardUntil(Vec<u8>),
    SetMaxFrame(usize),
    Eof,
    EofWithError,
    DropKept,
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
        if needle.is_empty() || end < from {
            return None;
        }
        let hay: Vec<u8> = self.data.iter().copied().collect();
        hay[from..end]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
    }

    fn read_until(&mut self, sep: &[u8], keep: bool, line: bool) -> Got {
        if sep.is_empty() {
            return Got::Invalid;
        }
        match self.frame_end(sep, line) {
            Ok(Some(p)) => {
                let mut frame = self.take(p + sep.len());
                if !keep {
                    frame.truncate(p);
                    if line && frame.last() == Some(&b'\r') {
                        frame.pop();
                    }
                }
                Got::Frame(frame)
            }
            // After a clean end the leftover is the last frame: over the limit (the bytes that
            // may have begun the separator not counted) it is the limit, not `Partial`.
            Ok(None) if self.state == State::Closed && self.last_over(sep, line) => Got::Limit,
            Ok(None) => self.short(),
            Err(()) => Got::Limit,
        }
    }

    /// Whether the buffered bytes, less a last piece that may have begun `sep` (a proper prefix
    /// of it; a line's `\r`), are longer than `max_frame`.
    fn last_over(&self, sep: &[u8], line: bool) -> bool {
        let data: Vec<u8> = self.data.iter().copied().collect();
        let begun = if line && sep == b"\n" {
            usize::from(data.last() == Some(&b'\r'))
        } else {
            (1..sep.len())
                .rev()
                .find(|&k| data.ends_with(&sep[..k]))
                .unwrap_or(0)
        };
        data.len() - begun > self.max_frame
    }

    /// Where the next frame's separator starts, stated plainly: the first match of `sep`,
    /// accepted if the frame before it (without a line's `\r`) is at most `max_frame` long.
    /// `Ok(None)`: no separator yet and a frame within the limit may still end. `Err`: the
    /// limit is passed.
    fn frame_end(&self, sep: &[u8], line: bool) -> Result<Option<usize>, ()> {
        let data: Vec<u8> = self.data.iter().copied().collect();
        let crlf = line && sep == b"\n";
        let body = |p: usize| {
            if crlf && p > 0 && data[p - 1] == b'\r' {
                p - 1
            } else {
                p
            }
        };
        match self.position(sep, 0, data.len()) {
            Some(p) if body(p) <= self.max_frame => Ok(Some(p)),
            Some(_) => Err(()),
            // A frame of `max_frame` bytes could still end: its separator would start at
            // offset `max_frame` (or `max_frame + 1` after a line's `\r`).
            None if data.len() <= self.max_frame => Ok(None),
            None if crlf && data.len() == self.max_frame + 1 && data[self.max_frame] == b'\r' => {
                Ok(None)
            }
            None if sep.len() > 1 && data.len() < self.max_frame.saturating_add(sep.len()) => {
                Ok(None)
            }
            None => Err(()),
        }
    }

    /// Whether a frame ending in `sep` is there to read (within the limit).
    fn has_frame(&self, sep: &[u8]) -> bool {
        !sep.is_empty() && matches!(self.frame_end(sep, sep == b"\n"), Ok(Some(_)))
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

/// Applies `ops` to a pipe on `pool` (with 64-byte chunks) and to the model; `Err` names the
/// first difference. At the end, frames kept as `Bytes` must be unchanged and the pool balanced.
pub fn run(ops: Vec<Op>, pool: &Pool) -> Result<(), String> {
    let mut pipe = Pipe::with_options(
        PipeOptions::new()
            .pool(pool.clone())
            .max_frame(UNLIMITED)
            .chunk_size(64)
            .max_chunk(256),
    );
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
                    check_eq!(r, Ok(()));
                    model.data.extend(&d);
                } else {
                    check_eq!(r, Err(WriteError::Closed));
                }
            }
            Op::Lend { hint, data, short } => match pipe.get_buffer(hint) {
                Err(WriteError::SizeHintTooLarge { hint: h, max }) => {
                    check!(open);
                    check_eq!((h, max), (hint, pool.max_chunk()));
                    check!(hint > max);
                }
                Ok(buf) => {
                    check!(open);
                    check!(buf.len() >= hint.max(1));
                    let n = data.len().min(buf.len());
                    buf[..n].copy_from_slice(&data[..n]);
                    let commit = n.saturating_sub(short);
                    check_eq!(pipe.buffer_written(commit), Ok(()));
                    model.data.extend(&data[..commit]);
                }
                Err(e) => {
                    check!(!open);
                    check_eq!(e, WriteError::Closed);
                }
            },
            Op::LendAcrossRead { hint, data } => match pipe.get_buffer(hint) {
                Ok(buf) => {
                    check!(open);
                    let n = data.len().min(buf.len());
                    buf[..n].copy_from_slice(&data[..n]);
                    let want = model.at_most(usize::MAX, true);
                    check_eq!(
                        got(pipe
                            .read_at_most(usize::MAX)
                            .as_deref()
                            .map_err(Clone::clone)),
                        want
                    );
                    check_eq!(pipe.buffer_written(n), Ok(()));
                    model.data.extend(&data[..n]);
                }
                Err(WriteError::SizeHintTooLarge { .. }) => check!(hint > pool.max_chunk()),
                Err(e) => {
                    check!(!open);
                    check_eq!(e, WriteError::Closed);
                }
            },
            Op::ReadLine(k) => {
                let r = pipe.read_line(k);
                let want = model.read_until(b"\n", k, true);
                keep(&mut kept, &r, &want);
                check_eq!(got(r.as_deref().map_err(Clone::clone)), want);
            }
            Op::ReadLineRef(k) => {
                let want = model.read_until(b"\n", k, true);
                check_eq!(got(pipe.read_line_ref(k)), want);
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
                    check_eq!(got(r.map(|_| &[][..])), outcome);
                } else {
                    check_eq!(r.ok(), Some(want.len()));
                }
                check_eq!(lines, want);
            }
            Op::ReadUntil(s, k) => {
                let r = pipe.read_until(&s, k);
                let want = model.read_until(&s, k, false);
                keep(&mut kept, &r, &want);
                check_eq!(got(r.as_deref().map_err(Clone::clone)), want);
            }
            Op::ReadUntilRef(s, k) => {
                let want = model.read_until(&s, k, false);
                check_eq!(got(pipe.read_until_ref(&s, k)), want);
            }
            Op::ReadExact(n) => {
                let r = pipe.read_exact(n);
                let want = model.read_exact(n);
                keep(&mut kept, &r, &want);
                check_eq!(got(r.as_deref().map_err(Clone::clone)), want);
            }
            Op::ReadExactRef(n) => {
                let want = model.read_exact(n);
                check_eq!(got(pipe.read_exact_ref(n)), want);
            }
            Op::ReadAtMost(n) => {
                let r = pipe.read_at_most(n);
                let want = if n == 0 {
                    Got::Invalid
                } else {
                    model.at_most(n, true)
                };
                keep(&mut kept, &r, &want);
                check_eq!(got(r.as_deref().map_err(Clone::clone)), want);
            }
            Op::Peek(n) => {
                let r = pipe.peek(n);
                let want = if n == 0 {
                    Got::Frame(Vec::new())
                } else {
                    model.at_most(n, false)
                };
                keep(&mut kept, &r, &want);
                check_eq!(got(r.as_deref().map_err(Clone::clone)), want);
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
                check_eq!(pipe.find_byte(b, s..e), want);
            }
            Op::Find(n, s, e) => {
                let len = model.data.len();
                let want = if n.is_empty() {
                    Err(FindError::EmptyNeedle)
                } else if s <= e && e <= len {
                    Ok(model.position(&n, s, e))
                } else {
                    Err(FindError::InvalidRange {
                        start: s,
                        end: e,
                        len,
                    })
                };
                check_eq!(pipe.find(&n, s..e), want);
            }
            Op::ReserveFrame(n) => pipe.reserve_frame(n),
            Op::Skip(n) => {
                let n = n.min(model.data.len());
                model.take(n);
                check_eq!(pipe.skip(n), n);
            }
            Op::DiscardUntil(s) => {
                let len = model.data.len();
                let want = match model.position(&s, 0, len) {
                    _ if s.is_empty() => Err(Got::Invalid),
                    Some(p) => {
                        model.take(p + s.len());
                        Ok(Discarded::Found(p + s.len()))
                    }
                    // Closed (cleanly or not): no separator can come; the rest goes, then the
                    // end or the stream's error.
                    None if model.state == State::Closed && len == 0 => Err(Got::End),
                    None if model.state == State::Failed && len == 0 => Err(Got::Stream),
                    None if model.state != State::Open => {
                        model.take(len);
                        Ok(Discarded::NotYet(len))
                    }
                    None => {
                        let n = len.saturating_sub(s.len() - 1);
                        model.take(n);
                        Ok(Discarded::NotYet(n))
                    }
                };
                check_eq!(pipe.discard_until(&s).map_err(|e| got(Err(e))), want);
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
                    check_eq!(r, Ok(()));
                    model.state = if matches!(op, Op::Eof) {
                        State::Closed
                    } else {
                        State::Failed
                    };
                } else {
                    check_eq!(r, Err(WriteError::Closed));
                }
            }
            Op::DropKept => kept.clear(),
        }
        check_eq!(pipe.len(), model.data.len());
        check_eq!(pipe.is_closed(), model.state != State::Open);
        let buffered: Vec<u8> = pipe.chunks().flatten().copied().collect();
        check!(buffered.iter().eq(model.data.iter()));
    }
    for (frame, want) in &kept {
        check_eq!(
            &frame[..],
            &want[..],
            "a shared frame changed after it was read"
        );
    }
    drop(pipe);
    drop(kept);
    let s = pool.stats();
    check_eq!(s.outstanding_chunks, 0);
    check_eq!(s.outstanding_bytes, 0);
    Ok(())
}
