//! pipe-tokio on real loopback sockets (TCP and Unix), on tokio's runtime and sockets: the
//! behaviours of `pipe_testkit::stream_cases` (reads, writes, halves, end of stream, resets,
//! cancel safety, idle memory and bounded memory), shared with pipe-async-std. Below, the
//! tokio glue the shared tests use.

use std::path::Path;

use pipe_tokio::ChunkedStream;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio::spawn;
use tokio::task::JoinHandle;
use tokio::time::timeout;

async fn join<T>(task: JoinHandle<T>) -> T {
    task.await.unwrap()
}

fn unix_listener(path: &Path) -> UnixListener {
    UnixListener::bind(path).unwrap()
}

pipe_testkit::stream_tests!(
    sockets: ChunkedStream,
    halves: split,
    test: (#[tokio::test]),
    threaded: (#[tokio::test(flavor = "multi_thread", worker_threads = 2)])
);
