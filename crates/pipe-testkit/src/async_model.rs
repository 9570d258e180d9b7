//! The reference model of the in-process pipe's state, and [`run`], which applies a sequence of
//! [`AsyncOp`]s to a real `pipe()` and to the model and reports the first difference. The
//! property test in `pipe-core` and the `async_pipe` fuzz target both drive it.
//!
//! The model, written plainly:
//!
//! - a flush waits iff the writer is paused (it reached `pause` and has not since seen the
//!   pipe at `resume` or under) and the pipe is not under the reader's grant;
//! - the grant is the size the pipe may grow to for what a waiting read may still need: a
//!   line, its maximum frame and a `\r\n`; an exact read, its maximum frame and one byte; a
//!   read of whatever is there, one frame and its ending (`max_frame + 2`); it lasts while
//!   that read waits, so here, where every read is polled once and dropped, it is withdrawn
//!   with the read (the hand-polled tests of `pipe-core`'s `tests/async_pipe.rs` keep reads
//!   waiting while the writer goes on);
//! - a line's ending (`\n` or `\r\n`) does not count towards the maximum frame;
//! - bytes come out in order, and once the reader is gone every write fails;
//! - every chunk is back in the pool when the reader is gone, and at the end.

use std::collections::VecDeque;
use std::io;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use pipe_core::WriteError;
use pipe_core::adapter;

/// One step: a write (copied, or filled in place), a flush or a read polled once (then
/// dropped), a completion, the reader going.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[allow(missing_docs)]
pub enum AsyncOp {
    Write(Vec<u8>),
    Fill { hint: usize, data: Vec<u8> },
    Flush,
    ReadLine,
    ReadExact(usize),
    ReadAtMost(usize),
    Complete,
    DropReader,
}

struct Model {
    bytes: VecDeque<u8>,
    pause: usize,
    resume: usize,
    max_frame: usize,
    paused: bool,
    grant: usize,
    completed: bool,
    reader_gone: bool,
}

impl Model {
    fn flush_waits(&mut self) -> bool {
        let len = self.bytes.len();
        if len >= self.pause {
            self.paused = true;
        } else if len <= self.resume {
            self.paused = false;
        }
        self.paused && len >= self.grant
    }

    /// A read that cannot be served now: it waits unless the writer completed, granting the
    /// writer room up to `grant` bytes.
    fn waits(&mut self, grant: usize) -> bool {
        if self.completed {
            return false;
        }
        self.grant = grant;
        true
    }

    /// Where the next line ends (its `\n`), `Ok(None)` if it may still end within the limit,
    /// `Err` if it is over the limit: the ending (`\n` or `\r\n`) not counted.
    fn line_end(&self) -> Result<Option<usize>, ()> {
        let b = &self.bytes;
        match b.iter().position(|&c| c == b'\n') {
            Some(i) => {
                let body = if i > 0 && b[i - 1] == b'\r' { i - 1 } else { i };
                if body <= self.max_frame {
                    Ok(Some(i))
                } else {
                    Err(())
                }
            }
            None if b.len() <= self.max_frame => Ok(None),
            None if b.len() == self.max_frame + 1 && b[self.max_frame] == b'\r' => Ok(None),
            None => Err(()),
        }
    }

    fn take(&mut self, n: usize) -> Vec<u8> {
        self.bytes.drain(..n).collect()
    }
}

fn poll_once<F: std::future::Future>(f: F) -> Poll<F::Output> {
    pin!(f).poll(&mut Context::from_waker(Waker::noop()))
}

/// Applies `ops` to a pipe with these thresholds and maximum frame, and to the model; `Err`
/// describes the first difference. Thresholds that `pipe_with` refuses are made valid.
pub fn run(ops: Vec<AsyncOp>, pause: usize, resume: usize, max_frame: usize) -> Result<(), String> {
    let resume = resume.min(usize::MAX - 1);
    let pause = pause.max(resume + 1);
    let (w, r, pool) = crate::async_pipe(pause, resume, max_frame);
    let (mut w, mut r) = (Some(w), Some(r));
    let mut m = Model {
        bytes: VecDeque::new(),
        pause,
        resume,
        max_frame,
        paused: false,
        grant: 0,
        completed: false,
        reader_gone: false,
    };
    for op in ops {
        match op {
            AsyncOp::Write(data) | AsyncOp::Fill { data, .. } if w.is_none() => drop(data),
            AsyncOp::Write(data) => {
                let got = w.as_mut().unwrap().write_now(&data);
                if m.reader_gone {
                    check_eq!(got, Err(WriteError::ReaderGone));
                } else {
                    check_eq!(got, Ok(()));
                    m.bytes.extend(&data);
                }
            }
            AsyncOp::Fill { hint, data } => {
                let w = w.as_mut().unwrap();
                let filled = w.get_buffer(hint).map(|mut buf| {
                    let n = data.len().min(buf.len());
                    buf[..n].copy_from_slice(&data[..n]);
                    (buf.len(), n)
                });
                match filled {
                    Err(WriteError::ReaderGone) => check!(m.reader_gone),
                    Err(WriteError::SizeHintTooLarge { .. }) => {
                        check!(!m.reader_gone && hint > pool.max_chunk());
                    }
                    Err(e) => return Err(format!("get_buffer({hint}): {e}")),
                    Ok((lent, n)) => {
                        check!(!m.reader_gone);
                        check!(lent >= hint.max(1));
                        check_eq!(w.buffer_written(n), Ok(()));
                        m.bytes.extend(&data[..n]);
                    }
                }
            }
            AsyncOp::Flush => {
                let Some(w) = w.as_mut() else { continue };
                match poll_once(w.flush()) {
                    Poll::Ready(Err(e)) => {
                        check!(m.reader_gone);
                        check_eq!(e.kind(), io::ErrorKind::BrokenPipe);
                    }
                    Poll::Ready(Ok(())) => check!(!m.reader_gone && !m.flush_waits()),
                    Poll::Pending => check!(!m.reader_gone && m.flush_waits()),
                }
            }
            AsyncOp::ReadLine => {
                let Some(r) = r.as_mut() else { continue };
                let got = poll_once(adapter::read_line(r, true));
                let line_grant = m.max_frame.saturating_add(2);
                match (m.line_end(), got) {
                    (Ok(Some(i)), Poll::Ready(Ok(Some(line)))) => {
                        check_eq!(&line[..], &m.take(i + 1)[..]);
                    }
                    (Err(()), Poll::Ready(Err(e))) => {
                        check_eq!(e.kind(), io::ErrorKind::InvalidData);
                    }
                    (Ok(None), Poll::Pending) => check!(m.waits(line_grant)),
                    (Ok(None), Poll::Ready(Ok(None))) => {
                        check!(m.completed && m.bytes.is_empty());
                    }
                    (Ok(None), Poll::Ready(Err(e))) if e.kind() == io::ErrorKind::UnexpectedEof => {
                        check!(m.completed && !m.bytes.is_empty());
                        m.bytes.clear();
                    }
                    (end, got) => {
                        return Err(format!(
                            "read_line: line end {end:?}, {} buffered, got {got:?}",
                            m.bytes.len()
                        ));
                    }
                }
            }
            AsyncOp::ReadExact(n) | AsyncOp::ReadAtMost(n) if n > m.max_frame => {}
            AsyncOp::ReadExact(n) => {
                let Some(r) = r.as_mut() else { continue };
                match poll_once(adapter::read_exact(r, n)) {
                    Poll::Ready(Ok(Some(got))) => {
                        check!(m.bytes.len() >= n);
                        check_eq!(&got[..], &m.take(n)[..]);
                    }
                    Poll::Pending => {
                        check!(m.bytes.len() < n && m.waits(m.max_frame.saturating_add(1)));
                    }
                    Poll::Ready(Ok(None)) => check!(m.completed && m.bytes.is_empty()),
                    Poll::Ready(Err(e)) => {
                        check_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
                        check!(m.completed && m.bytes.len() < n);
                        m.bytes.clear();
                    }
                }
            }
            AsyncOp::ReadAtMost(0) => {
                let Some(r) = r.as_mut() else { continue };
                match poll_once(adapter::read_at_most(r, 0)) {
                    Poll::Ready(Err(e)) => check_eq!(e.kind(), io::ErrorKind::InvalidInput),
                    other => return Err(format!("read_at_most(0) gave {other:?}")),
                }
            }
            AsyncOp::ReadAtMost(n) => {
                let Some(r) = r.as_mut() else { continue };
                match poll_once(adapter::read_at_most(r, n)) {
                    Poll::Ready(Ok(Some(got))) => {
                        let k = n.min(m.bytes.len());
                        check!(k > 0);
                        check_eq!(&got[..], &m.take(k)[..]);
                    }
                    Poll::Pending => {
                        let grant = m.max_frame.saturating_add(2).max(m.bytes.len() + 1);
                        check!(m.bytes.is_empty() && m.waits(grant));
                    }
                    Poll::Ready(Ok(None)) => check!(m.completed && m.bytes.is_empty()),
                    Poll::Ready(Err(e)) => return Err(e.to_string()),
                }
            }
            AsyncOp::Complete => {
                if let Some(w) = w.take() {
                    w.complete();
                    m.completed = true;
                }
            }
            AsyncOp::DropReader => {
                if let Some(r) = r.take() {
                    r.complete();
                    m.reader_gone = true;
                    m.bytes.clear();
                    check_eq!(pool.stats().outstanding_chunks, 0);
                }
            }
        }
        // A read was polled once and dropped (if this was one): its wait, and grant, are over.
        m.grant = 0;
        if let Some(r) = r.as_ref() {
            check_eq!(r.buffered(), m.bytes.len());
        }
    }
    drop((w, r));
    check_eq!(pool.stats().outstanding_chunks, 0);
    Ok(())
}
