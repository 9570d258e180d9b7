//! Model checking of the in-process pipe's wake protocol with loom: a writer and a reader on two
//! loom threads, every interleaving of their lock acquisitions explored (up to a preemption
//! bound). Each scenario ends with both sides done (loom reports a deadlock if both park for
//! good), every byte delivered once and in order, and the pool balanced.
//!
//! Run (a target directory of its own keeps the normal build's cache):
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test -p pipe-core --test loom --release`.
//! `LOOM_MAX_PREEMPTIONS` overrides the bound (default here: 3, about a second in all).
#![cfg(loom)]

use std::future::{Future, poll_fn};
use std::io;
use std::task::Poll;

use loom::future::block_on;
use loom::thread;
use pipe_core::adapter;
use pipe_core::async_pipe::{PipeReader, PipeWriter};
use pipe_core::{AsyncPipeOptions, PipeOptions, Pool, ReadError};

/// Pause at 8 unread bytes, resume at 4, frames of at most `max_frame`: small enough that
/// every scenario crosses the thresholds several times.
fn halves(max_frame: usize) -> (PipeWriter, PipeReader, Pool) {
    let pool = Pool::new(pipe_core::PoolConfig::default()).unwrap();
    let options = AsyncPipeOptions::new()
        .pipe(PipeOptions::new().pool(pool.clone()).max_frame(max_frame))
        .pause(8)
        .resume(4);
    let (w, r) = pipe_core::async_pipe::pipe_with(options).unwrap();
    (w, r, pool)
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(3);
    }
    builder.check(f);
}

fn balanced(pool: &Pool) {
    let stats = pool.stats();
    assert_eq!(stats.outstanding_chunks, 0, "{stats:?}");
}

/// A frame read waiting for a line longer than the pause threshold, then a line over the limit
/// discarded while the writer is paused (issue 14's deadlock), then the end.
#[test]
fn frame_reads_and_discard_with_a_paused_writer() {
    model(|| {
        let (mut w, mut r, pool) = halves(12);
        let writer = thread::spawn(move || {
            block_on(async {
                w.write_all(b"0123456789\nxxxxxxxxxxxxxxxxxxxx\nok\n")
                    .await
                    .unwrap();
            })
        });
        block_on(async {
            assert_eq!(
                adapter::read_line(&mut r, false).await.unwrap().unwrap(),
                "0123456789"
            );
            let err = adapter::read_line(&mut r, false).await.unwrap_err();
            assert!(matches!(
                pipe_core::read_error_of(&err),
                Some(ReadError::LimitExceeded { .. })
            ));
            assert_eq!(adapter::discard_until(&mut r, b"\n").await.unwrap(), 21);
            assert_eq!(
                adapter::read_line(&mut r, false).await.unwrap().unwrap(),
                "ok"
            );
            assert_eq!(adapter::read_line(&mut r, false).await.unwrap(), None);
        });
        writer.join().unwrap();
        drop(r);
        balanced(&pool);
    });
}

/// A parser on `with_pipe` driven by `fill_more`, and an exact read, against a writer that
/// fills buffers in place and flushes.
#[test]
fn fill_more_and_exact_reads_see_every_byte_once() {
    model(|| {
        let (mut w, mut r, pool) = halves(16);
        let writer = thread::spawn(move || {
            block_on(async {
                for part in [&b"ab\nc"[..], b"de\nfghij", b"\nKLMNOP"] {
                    {
                        let mut buf = w.get_buffer(part.len()).unwrap();
                        buf[..part.len()].copy_from_slice(part);
                        buf.commit(part.len()).unwrap();
                    }
                    w.flush().await.unwrap();
                }
            })
        });
        block_on(async {
            // A read polled once and dropped while pending leaves its waker and grant behind:
            // harmless. (If it completed, its line counts.)
            let mut lines = Vec::new();
            {
                let read = std::pin::pin!(adapter::read_line(&mut r, false));
                let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
                if let Poll::Ready(line) = read.poll(&mut cx) {
                    lines.push(line.unwrap().unwrap());
                }
            }
            while lines.len() < 3 {
                let line = r.with_pipe(|p| p.read_line(false));
                match line {
                    Ok(line) => lines.push(line),
                    Err(e) if e.is_need_more() => {
                        assert!(adapter::fill_more(&mut r).await.unwrap() > 0)
                    }
                    Err(e) => panic!("{e}"),
                }
            }
            assert_eq!(lines, ["ab", "cde", "fghij"]);
            assert_eq!(
                adapter::read_exact(&mut r, 6).await.unwrap().unwrap(),
                "KLMNOP"
            );
            assert_eq!(adapter::fill_more(&mut r).await.unwrap(), 0);
        });
        writer.join().unwrap();
        drop(r);
        balanced(&pool);
    });
}

/// `AsyncRead`'s poll (bytes as they come) against a writer's `write_all`, then the writer's
/// error after the bytes.
#[test]
fn async_read_then_the_writers_error() {
    model(|| {
        let (mut w, mut r, pool) = halves(16);
        let writer = thread::spawn(move || {
            block_on(async {
                w.write_all(b"0123456789abcdef").await.unwrap();
                w.complete_with_error(io::Error::new(io::ErrorKind::ConnectionReset, "x"));
            })
        });
        block_on(async {
            let mut got = Vec::new();
            let mut buf = [0u8; 5];
            let err = loop {
                match poll_fn(|cx| r.poll_read_into(cx, &mut buf)).await {
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) => break e,
                }
            };
            assert_eq!(got, b"0123456789abcdef");
            assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
        });
        writer.join().unwrap();
        drop(r);
        balanced(&pool);
    });
}

/// The reader goes while the writer waits on backpressure: the writer fails with `BrokenPipe`
/// instead of waiting forever.
#[test]
fn the_reader_going_releases_a_waiting_writer() {
    model(|| {
        let (mut w, mut r, pool) = halves(16);
        let writer = thread::spawn(move || {
            block_on(async {
                let err = w.write_all(&[b'z'; 40]).await.unwrap_err();
                assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
            })
        });
        block_on(async {
            assert_eq!(adapter::peek(&mut r, 2).await.unwrap().unwrap().len(), 2);
            assert_eq!(
                adapter::read_at_most(&mut r, 3).await.unwrap().unwrap()[0],
                b'z'
            );
        });
        drop(r);
        writer.join().unwrap();
        balanced(&pool);
    });
}
