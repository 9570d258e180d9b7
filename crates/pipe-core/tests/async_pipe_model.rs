//! A model test of the in-process pipe's state: random writes (copied or filled in place),
//! flushes, reads (each future polled once, then dropped), completions and the reader going,
//! against a model of the unread bytes and the backpressure rule written plainly:
//!
//! - a flush waits iff the writer is paused (it reached `pause` and has not since seen the
//!   pipe at `resume` or under) and the pipe is not under the reader's grant;
//! - the grant is what a waiting read may still need: its maximum frame plus one byte;
//!   it ends at the reader's next poll;
//! - bytes come out in order, and once the reader is gone every write fails.
//!
//! Every case ends with the pool balanced.

use std::collections::VecDeque;
use std::io;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use pipe_core::WriteError;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Write(Vec<u8>),
    Fill { hint: usize, data: Vec<u8> },
    Flush,
    ReadLine,
    ReadExact(usize),
    ReadAtMost(usize),
    Complete,
    DropReader,
}

fn data() -> impl Strategy<Value = Vec<u8>> {
    (0..300usize, any::<u64>(), 1..60usize).prop_map(|(len, seed, every)| {
        (0..len)
            .map(|i| {
                if (i as u64 + seed) % every as u64 == 0 {
                    b'\n'
                } else {
                    b'a'
                }
            })
            .collect()
    })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => data().prop_map(Op::Write),
        3 => (0..400usize, data()).prop_map(|(hint, data)| Op::Fill { hint, data }),
        4 => Just(Op::Flush),
        4 => Just(Op::ReadLine),
        2 => (1..400usize).prop_map(Op::ReadExact),
        2 => (1..400usize).prop_map(Op::ReadAtMost),
        1 => Just(Op::Complete),
        1 => Just(Op::DropReader),
    ]
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

    /// A read that cannot be served now: it waits unless the writer completed.
    fn waits(&mut self) -> bool {
        if self.completed {
            return false;
        }
        self.grant = (self.max_frame + 1).max(self.bytes.len() + 1);
        true
    }

    fn take(&mut self, n: usize) -> Vec<u8> {
        self.bytes.drain(..n).collect()
    }
}

fn poll_once<F: std::future::Future>(f: F) -> Poll<F::Output> {
    pin!(f).poll(&mut Context::from_waker(Waker::noop()))
}

fn run(ops: Vec<Op>, pause: usize, resume: usize, max_frame: usize) -> Result<(), TestCaseError> {
    let (w, r, pool) = pipe_model::async_pipe(pause, resume, max_frame);
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
            Op::Write(data) | Op::Fill { data, .. } if w.is_none() => drop(data),
            Op::Write(data) => {
                let got = w.as_mut().unwrap().write_now(&data);
                if m.reader_gone {
                    prop_assert_eq!(got, Err(WriteError::ReaderGone));
                } else {
                    prop_assert_eq!(got, Ok(()));
                    m.bytes.extend(&data);
                }
            }
            Op::Fill { hint, data } => {
                let w = w.as_mut().unwrap();
                let filled = w.get_buffer(hint).map(|mut buf| {
                    let n = data.len().min(buf.len());
                    buf[..n].copy_from_slice(&data[..n]);
                    (buf.len(), n)
                });
                match filled {
                    Err(e) => prop_assert!(m.reader_gone && e == WriteError::ReaderGone),
                    Ok((lent, n)) => {
                        prop_assert!(!m.reader_gone);
                        prop_assert!(lent >= hint.max(1));
                        w.buffer_written(n).unwrap();
                        m.bytes.extend(&data[..n]);
                    }
                }
            }
            Op::Flush => {
                let Some(w) = w.as_mut() else { continue };
                match poll_once(w.flush()) {
                    Poll::Ready(Err(e)) => {
                        prop_assert!(m.reader_gone);
                        prop_assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
                    }
                    Poll::Ready(Ok(())) => prop_assert!(!m.reader_gone && !m.flush_waits()),
                    Poll::Pending => prop_assert!(!m.reader_gone && m.flush_waits()),
                }
            }
            Op::ReadLine => {
                let Some(r) = r.as_mut() else { continue };
                m.grant = 0;
                let got = poll_once(r.read_line(true));
                let newline = m.bytes.iter().position(|&b| b == b'\n');
                match (newline, got) {
                    (Some(i), Poll::Ready(Ok(Some(line)))) if i <= m.max_frame => {
                        prop_assert_eq!(&line[..], &m.take(i + 1)[..]);
                    }
                    (_, Poll::Ready(Err(e))) if e.kind() == io::ErrorKind::InvalidData => {
                        let frame = newline.unwrap_or(m.bytes.len());
                        prop_assert!(frame > m.max_frame);
                    }
                    (None, Poll::Pending) => {
                        prop_assert!(m.bytes.len() <= m.max_frame && m.waits());
                    }
                    (None, Poll::Ready(Ok(None))) => {
                        prop_assert!(m.completed && m.bytes.is_empty());
                    }
                    (None, Poll::Ready(Err(e))) if e.kind() == io::ErrorKind::UnexpectedEof => {
                        prop_assert!(m.completed && !m.bytes.is_empty());
                        m.bytes.clear();
                    }
                    (newline, got) => {
                        return Err(TestCaseError::fail(format!(
                            "read_line: newline at {newline:?}, {} buffered, got {got:?}",
                            m.bytes.len()
                        )));
                    }
                }
            }
            Op::ReadExact(n) | Op::ReadAtMost(n) if n > m.max_frame => {}
            Op::ReadExact(n) => {
                let Some(r) = r.as_mut() else { continue };
                m.grant = 0;
                match poll_once(r.read_exact(n)) {
                    Poll::Ready(Ok(Some(got))) => {
                        prop_assert!(m.bytes.len() >= n);
                        prop_assert_eq!(&got[..], &m.take(n)[..]);
                    }
                    Poll::Pending => prop_assert!(m.bytes.len() < n && m.waits()),
                    Poll::Ready(Ok(None)) => prop_assert!(m.completed && m.bytes.is_empty()),
                    Poll::Ready(Err(e)) => {
                        prop_assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
                        prop_assert!(m.completed && m.bytes.len() < n);
                        m.bytes.clear();
                    }
                }
            }
            Op::ReadAtMost(n) => {
                let Some(r) = r.as_mut() else { continue };
                m.grant = 0;
                match poll_once(r.read_at_most(n)) {
                    Poll::Ready(Ok(Some(got))) => {
                        let k = n.min(m.bytes.len());
                        prop_assert!(k > 0);
                        prop_assert_eq!(&got[..], &m.take(k)[..]);
                    }
                    Poll::Pending => prop_assert!(m.bytes.is_empty() && m.waits()),
                    Poll::Ready(Ok(None)) => prop_assert!(m.completed && m.bytes.is_empty()),
                    Poll::Ready(Err(e)) => return Err(TestCaseError::fail(e.to_string())),
                }
            }
            Op::Complete => {
                if let Some(w) = w.take() {
                    w.complete();
                    m.completed = true;
                }
            }
            Op::DropReader => {
                if let Some(r) = r.take() {
                    r.complete();
                    m.reader_gone = true;
                    m.bytes.clear();
                    prop_assert_eq!(pool.stats().outstanding_chunks, 0);
                }
            }
        }
        if let Some(r) = r.as_ref() {
            prop_assert_eq!(r.buffered(), m.bytes.len());
        }
    }
    drop((w, r));
    prop_assert_eq!(pool.stats().outstanding_chunks, 0);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_async_pipe_follows_the_model(
        ops in prop::collection::vec(op(), 1..80),
        resume in 0..300usize,
        extra in 1..500usize,
        max_frame in prop_oneof![1..200usize, Just(1000usize)],
    ) {
        run(ops, resume + extra, resume, max_frame)?;
    }
}
