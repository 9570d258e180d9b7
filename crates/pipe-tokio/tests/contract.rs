//! The documented contracts of pipe-tokio, through the public API only, on tokio: the checks of
//! `pipe_testkit::contract_cases` (vectored writes resumed after cancellation, the `lines()`
//! stream's errors and limits, `fill_more` past the frame limit, the in-process pipe's
//! `fill_more`, parser pattern and backpressure, `shutdown`), and of
//! `pipe_testkit::lending_cases` (the lending reads), shared with pipe-async-std. Every
//! test uses its own pool and checks that all its chunks come back.

use pipe_tokio::{ChunkedStream, pipe_with};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::spawn;
use tokio::task::{JoinHandle, yield_now};
use tokio::time::timeout;

/// The task's output (a panic if it panicked).
async fn join<T>(task: JoinHandle<T>) -> T {
    task.await.unwrap()
}

pipe_testkit::contract_tests!(
    test: (#[tokio::test]),
    threaded: (#[tokio::test(flavor = "multi_thread", worker_threads = 2)])
);

pipe_testkit::lending_tests!(test: (#[tokio::test]));
