//! A property test of `adapter::poll_read_from`, the `AsyncRead` of the streams: random
//! sequences of reads into buffers under, at and over the chunk size (large ones, with nothing
//! buffered, go straight from the transport into the buffer) mixed with the pipe's own
//! `read_exact`, over a transport that delivers random pieces with `Pending`, `Interrupted` and
//! `WouldBlock` between them and then ends or fails. The model is the transport's bytes and a
//! cursor: every byte comes out once, in order, whichever read takes it; after the end or the
//! error every read reports it, the pipe's own reads too; the pool ends balanced.

mod common;

use std::collections::VecDeque;
use std::io;
use std::task::{Context, Poll, Waker};

use pipe_core::{ReadError, UNLIMITED, adapter};
use proptest::prelude::*;

/// A transport: `data` in pieces of the given sizes, a hiccup before some of them, then the
/// end or a `ConnectionReset` (every time).
struct Transport {
    data: Vec<u8>,
    pos: usize,
    pieces: VecDeque<(usize, u8)>,
    fail: bool,
}

impl Transport {
    fn read(&mut self, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if let Some((len, hiccup)) = self.pieces.front_mut() {
            match std::mem::take(hiccup) {
                1 => return Poll::Pending,
                2 => return Poll::Ready(Err(io::ErrorKind::Interrupted.into())),
                3 => return Poll::Ready(Err(io::ErrorKind::WouldBlock.into())),
                _ => {}
            }
            let n = (*len).min(buf.len()).min(self.data.len() - self.pos);
            buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            *len -= n;
            if *len == 0 || self.pos == self.data.len() {
                self.pieces.pop_front();
            }
            if n > 0 {
                return Poll::Ready(Ok(n));
            }
        }
        if self.pos < self.data.len() {
            // Pieces ran out early: the rest in one.
            let n = buf.len().min(self.data.len() - self.pos);
            buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            return Poll::Ready(Ok(n));
        }
        if self.fail {
            return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
        }
        Poll::Ready(Ok(0))
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// `poll_read_from` into a buffer of this many bytes, polled until ready.
    AsyncRead(usize),
    /// The pipe's `read_exact(n)` on what is buffered.
    ReadExact(usize),
}

/// The end as the reads saw it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum End {
    Clean,
    Reset,
}

fn op(chunk: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => prop_oneof![
            Just(1usize),
            Just(chunk - 1),
            Just(chunk),
            Just(chunk + 1),
            Just(3 * chunk + 5),
            1..300usize,
        ]
        .prop_map(Op::AsyncRead),
        2 => (0..200usize).prop_map(Op::ReadExact),
    ]
}

fn case() -> impl Strategy<Value = (usize, Vec<(usize, u8)>, bool, Vec<Op>)> {
    prop::sample::select(vec![64usize, 256, 4096]).prop_flat_map(|chunk| {
        (
            Just(chunk),
            prop::collection::vec((1..3 * chunk, 0..6u8), 0..40),
            any::<bool>(),
            prop::collection::vec(op(chunk), 0..40),
        )
    })
}

/// One `poll_read_from` into `out`, polled until ready (the transport's `Pending` is brief).
fn async_read(pipe: &mut pipe_core::Pipe, t: &mut Transport, out: &mut [u8]) -> io::Result<usize> {
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1000 {
        if let Poll::Ready(r) = adapter::poll_read_from(pipe, &mut cx, out, |_, b| t.read(b)) {
            return r;
        }
    }
    panic!("no outcome after 1000 polls");
}

/// Checks a read's `got` bytes against the model and moves its cursor.
fn took(data: &[u8], pos: &mut usize, got: &[u8], what: &str) {
    assert!(
        *pos + got.len() <= data.len(),
        "{what}: more bytes than sent"
    );
    assert!(
        got == &data[*pos..*pos + got.len()],
        "{what}: bytes out of order at {pos}"
    );
    *pos += got.len();
}

/// What a read that reports the end must have seen: every byte delivered.
fn at_end(data: &[u8], pos: usize, end: End, seen: &mut Option<End>, what: &str) {
    assert_eq!(
        pos,
        data.len(),
        "{what}: the end before every byte came out"
    );
    if let Some(before) = *seen {
        assert_eq!(before, end, "{what}: the end changed");
    }
    *seen = Some(end);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn every_byte_once_in_order_whichever_read_takes_it(
        (chunk, pieces, fail, ops) in case()
    ) {
        let total: usize = pieces.iter().map(|p| p.0).sum::<usize>() / 2;
        let data: Vec<u8> = (0..total).map(|i| (i * 7 % 251) as u8).collect();
        let mut t = Transport { data: data.clone(), pos: 0, pieces: pieces.into(), fail };
        let (mut pipe, pool) = common::pipe_with_chunks(chunk, UNLIMITED);
        let (mut pos, mut seen) = (0usize, None);
        let want_end = if fail { End::Reset } else { End::Clean };
        let mut out = vec![0u8; (3 * chunk + 5).max(300)];
        for (i, op) in ops.iter().enumerate() {
            let what = format!("op {i} {op:?}");
            match *op {
                Op::AsyncRead(len) => match async_read(&mut pipe, &mut t, &mut out[..len]) {
                    Ok(0) => at_end(&data, pos, End::Clean, &mut seen, &what),
                    Ok(n) => took(&data, &mut pos, &out[..n], &what),
                    Err(e) => {
                        assert_eq!(e.kind(), io::ErrorKind::ConnectionReset, "{what}");
                        at_end(&data, pos, End::Reset, &mut seen, &what);
                    }
                },
                Op::ReadExact(n) => match pipe.read_exact(n) {
                    Ok(frame) => took(&data, &mut pos, &frame, &what),
                    Err(ReadError::NeedMore) => {}
                    Err(ReadError::End) => at_end(&data, pos, End::Clean, &mut seen, &what),
                    Err(ReadError::Partial(rest)) => {
                        took(&data, &mut pos, &rest, &what);
                        at_end(&data, pos, End::Clean, &mut seen, &what);
                    }
                    // The buffered bytes stay for reads they can serve.
                    Err(ReadError::Stream(_)) => assert!(fail && t.pos == data.len(), "{what}"),
                    Err(e) => panic!("{what}: {e:?}"),
                },
            }
        }
        // Drain with large reads: the rest, then the end, the same twice.
        let mut ends = Vec::new();
        while ends.len() < 2 {
            match async_read(&mut pipe, &mut t, &mut out) {
                Ok(0) => ends.push(End::Clean),
                Ok(n) => {
                    assert!(ends.is_empty(), "bytes after the end");
                    took(&data, &mut pos, &out[..n], "drain");
                }
                Err(e) => {
                    assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
                    ends.push(End::Reset);
                }
            }
        }
        prop_assert_eq!(pos, data.len());
        prop_assert_eq!(&ends, &[want_end, want_end]);
        if let Some(end) = seen {
            prop_assert_eq!(end, want_end);
        }
        // The pipe's own reads see the same end.
        match pipe.read_exact(1) {
            Err(ReadError::End) => prop_assert_eq!(want_end, End::Clean),
            Err(ReadError::Stream(_)) => prop_assert_eq!(want_end, End::Reset),
            other => panic!("after the end: {other:?}"),
        }
        drop(pipe);
        prop_assert_eq!(pool.stats().outstanding_chunks, 0);
    }
}

/// A frame awaited with `reserve_frame` that then goes straight to the caller's memory: the hint
/// lapses (as it does once anything is consumed), so the next fill takes a chunk of the usual
/// size, not one sized for a frame that is gone.
#[test]
fn a_read_past_the_pipe_ends_a_reserve_frame_hint() {
    let (mut pipe, pool) = common::pipe_with_chunks(4096, UNLIMITED);
    assert!(matches!(pipe.read_exact(20_000), Err(ReadError::NeedMore)));
    pipe.reserve_frame(20_000);
    let mut t = Transport {
        data: vec![7; 30_000],
        pos: 0,
        pieces: VecDeque::from([(20_000, 0)]),
        fail: false,
    };
    let mut out = vec![0u8; 20_000];
    assert_eq!(async_read(&mut pipe, &mut t, &mut out).unwrap(), 20_000);
    assert_eq!(
        pool.stats().outstanding_chunks,
        0,
        "straight through, no chunk"
    );
    let mut small = [0u8; 10];
    assert_eq!(async_read(&mut pipe, &mut t, &mut small).unwrap(), 10);
    assert_eq!(
        pool.stats().outstanding_bytes,
        4096,
        "a chunk of the usual size"
    );
}
