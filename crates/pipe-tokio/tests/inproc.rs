//! The in-process pipe (`pipe_tokio::pipe`, `pipe_with`) tested as a user who has only its
//! documentation, on tokio's current-thread and multi-thread runtimes: errors (once and again,
//! nothing lost before them), cancellation at `Pending` (every byte once, in order), each limit
//! one under, at and one over, `max_spin` at its default, zero, 10 ms and huge, the reader or
//! the writer going, and the pool balanced at the end: the checks of
//! `pipe_testkit::inproc_cases`, shared with pipe-async-std. Timeouts only guard against hangs.

use std::io;

use pipe_tokio::{PipeReader, PipeWriter, pipe, pipe_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt, copy};
use tokio::spawn;
use tokio::task::{JoinHandle, yield_now};
use tokio::time::timeout;

/// The task's output (a panic if it panicked).
async fn join<T>(task: JoinHandle<T>) -> T {
    task.await.unwrap()
}

/// Aborts the task and waits until its future is dropped: `None`, or its output if it had
/// finished first.
async fn cancel<T>(task: JoinHandle<T>) -> Option<T> {
    task.abort();
    match task.await {
        Ok(output) => Some(output),
        Err(e) => {
            assert!(e.is_cancelled(), "{e}");
            None
        }
    }
}

/// tokio's `AsyncWrite` close.
async fn close(w: &mut PipeWriter) -> io::Result<()> {
    AsyncWriteExt::shutdown(w).await
}

pipe_testkit::inproc_tests!(runtime_free);

pipe_testkit::inproc_tests!(
    test: (#[tokio::test]),
    threaded: (#[tokio::test(flavor = "multi_thread", worker_threads = 2)]),
    one_thread: (#[tokio::test])
);

/// `AsyncReadExt::read_buf` into a `BytesMut`'s spare capacity (memory the reader may not assume
/// initialised) on the in-process reader, mixed with `read_exact` into a slice, while a writer
/// task is held back by `pause`: every byte once, in order, then the end every time; or the
/// writer's error after the bytes, every time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_buf_into_uninitialised_memory() {
    use pipe_testkit::contract_cases::{payload, same_bytes};
    for fail in [false, true] {
        let pool = pipe_testkit::cases::pool();
        let options = pipe_core::AsyncPipeOptions::new()
            .pipe(pipe_testkit::cases::options(&pool, 64))
            .pause(4096)
            .resume(1024);
        let (mut w, mut r) = pipe_with(options).unwrap();
        let data = payload(300_000, 11);
        let sent = data.clone();
        let writer = spawn(async move {
            for piece in sent.chunks(7000) {
                w.write_all(piece).await.unwrap();
            }
            if fail {
                w.complete_with_error(io::Error::new(io::ErrorKind::ConnectionReset, "gone"));
            } else {
                w.complete();
            }
        });
        let (mut got, mut turn) = (Vec::new(), 0);
        let end = loop {
            turn += 1;
            if turn % 3 == 0 && data.len() - got.len() >= 5 {
                let mut five = [0u8; 5];
                AsyncReadExt::read_exact(&mut r, &mut five).await.unwrap();
                got.extend_from_slice(&five);
                continue;
            }
            let mut buf = bytes::BytesMut::with_capacity(if turn % 3 == 1 { 70_000 } else { 10 });
            match timeout(std::time::Duration::from_secs(30), r.read_buf(&mut buf)).await {
                Ok(Ok(0)) => break Ok(0),
                Ok(Ok(_)) => got.extend_from_slice(&buf),
                Ok(Err(e)) => break Err(e.kind()),
                Err(_) => panic!("read_buf: no outcome within 30 s"),
            }
        };
        same_bytes(&got, &data, &format!("fail {fail}"));
        let mut buf = bytes::BytesMut::with_capacity(100);
        let again = r.read_buf(&mut buf).await.map_err(|e| e.kind());
        if fail {
            let kind = io::ErrorKind::ConnectionReset;
            assert_eq!((end, again), (Err(kind), Err(kind)));
        } else {
            assert_eq!((end, again), (Ok(0), Ok(0)));
        }
        join(writer).await;
        drop(r);
        pipe_testkit::cases::assert_balanced(&pool, "in-process read_buf");
    }
}
