//! pipe-tokio's `ChunkedStream`, in-process pipe and framed types at the extremes of their
//! numeric arguments, written from the documentation alone, on tokio's current-thread and
//! multi-thread runtimes: the checks of `pipe_testkit::extremes_cases` (sizes of 0, 1 and
//! `usize::MAX`, maximum frames of 0 and near `usize::MAX`, chunk sizes and backpressure
//! thresholds out of range, `max_spin` and high-water marks at both ends), shared with
//! pipe-async-std.

use std::future::Future;
use std::io;

use pipe_tokio as adapter;

/// Awaits `fut`, failing the test if it does not finish within the kit's guard.
async fn guarded<F: Future>(what: &str, fut: F) -> F::Output {
    tokio::time::timeout(pipe_testkit::extremes_cases::GUARD, fut)
        .await
        .unwrap_or_else(|_| panic!("{what} hung"))
}

/// tokio's `AsyncReadExt::read`.
async fn read_some<S: tokio::io::AsyncRead + Unpin>(
    stream: &mut adapter::ChunkedStream<S>,
    buf: &mut [u8],
) -> io::Result<usize> {
    tokio::io::AsyncReadExt::read(stream, buf).await
}

/// A loopback pair of TCP streams.
async fn tcp_pair() -> (tokio::net::TcpStream, tokio::net::TcpStream) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

/// Runs `f` as a task of its own; the future gives its output.
fn spawn<T: Send + 'static>(
    f: impl Future<Output = T> + Send + 'static,
) -> impl Future<Output = T> {
    let handle = tokio::spawn(f);
    async move { handle.await.unwrap() }
}

mod current_thread {
    use super::*;

    pipe_testkit::extremes_tests!(test: (#[tokio::test(flavor = "current_thread")]));
}

mod multi_thread {
    use super::*;

    pipe_testkit::extremes_tests!(test: (#[tokio::test(flavor = "multi_thread", worker_threads = 2)]));
}
