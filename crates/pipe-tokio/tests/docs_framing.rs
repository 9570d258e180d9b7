//! pipe-tokio's `FramedRead`, `FramedWrite` and `Framed` (with `pipe_tokio::codec`), tested from
//! their documentation alone on tokio's current-thread and multi-thread runtimes: the checks of
//! `pipe_testkit::docs_framing_cases` (frames whole and once over a scripted transport and a
//! loopback peer writing a byte at a time; `next`, `send` and `flush` dropped at `Pending`;
//! errors yielded once; the high-water mark; `close`, `into_parts`, `split_with`), shared with
//! pipe-async-std.

use std::future::Future;

use pipe_tokio::{ChunkedStream, Framed, FramedRead, FramedWrite};

/// The runtime's TCP stream.
type Tcp = tokio::net::TcpStream;

/// A loopback pair with `TCP_NODELAY` on both ends.
async fn tcp_pair() -> (ChunkedStream<Tcp>, ChunkedStream<Tcp>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = Tcp::connect(listener.local_addr().unwrap()).await.unwrap();
    let (server, _) = listener.accept().await.unwrap();
    client.set_nodelay(true).unwrap();
    server.set_nodelay(true).unwrap();
    (ChunkedStream::new(client), ChunkedStream::new(server))
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

    pipe_testkit::docs_framing_tests!(test: (#[tokio::test(flavor = "current_thread")]));
}

mod multi_thread {
    use super::*;

    pipe_testkit::docs_framing_tests!(
        test: (#[tokio::test(flavor = "multi_thread", worker_threads = 2)])
    );
}
