//! The framed types on tokio over loopback TCP: `pipe_testkit::framed_cases`, shared with
//! async-std and smol.

use std::future::Future;

use pipe_tokio::{ChunkedStream, Framed, FramedRead, FramedWrite, PipeOptions, Pool};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(f)
}

fn spawn<T: Send + 'static>(
    f: impl Future<Output = T> + Send + 'static,
) -> impl Future<Output = T> {
    let task = tokio::spawn(f);
    async move { task.await.expect("the task does not panic") }
}

/// The test kit's loopback pair, taken over by tokio.
async fn sockets() -> (TcpStream, TcpStream) {
    let (peer, ours) = pipe_testkit::cases::tcp_pair(false);
    let take = |s| TcpStream::from_std(s).expect("a tokio socket");
    (take(peer), take(ours))
}

async fn close_raw(mut peer: TcpStream) {
    peer.shutdown().await.unwrap();
}

pipe_testkit::framed_tests!(block_on);
