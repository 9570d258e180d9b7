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
