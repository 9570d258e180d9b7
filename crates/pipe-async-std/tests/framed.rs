//! The framed types on async-std and on smol over loopback TCP: `pipe_testkit::framed_cases`,
//! shared with tokio.

use std::future::Future;

use futures_util::AsyncWriteExt;
use pipe_async_std::{ChunkedStream, Framed, FramedRead, FramedWrite, PipeOptions, Pool};

mod on_async_std {
    use super::*;
    use async_std::net::TcpStream;

    fn block_on<F: Future>(f: F) -> F::Output {
        async_std::task::block_on(f)
    }

    fn spawn<T: Send + 'static>(
        f: impl Future<Output = T> + Send + 'static,
    ) -> impl Future<Output = T> {
        async_std::task::spawn(f)
    }

    /// The test kit's loopback pair, taken over by the runtime.
    async fn sockets() -> (TcpStream, TcpStream) {
        let (peer, ours) = pipe_testkit::cases::tcp_pair(false);
        let take = TcpStream::from;
        (take(peer), take(ours))
    }

    async fn close_raw(peer: TcpStream) {
        peer.shutdown(std::net::Shutdown::Write).unwrap();
    }

    pipe_testkit::framed_tests!(block_on);
}

mod on_smol {
    use super::*;
    use smol::net::TcpStream;

    fn block_on<F: Future>(f: F) -> F::Output {
        smol::block_on(f)
    }

    fn spawn<T: Send + 'static>(
        f: impl Future<Output = T> + Send + 'static,
    ) -> impl Future<Output = T> {
        smol::spawn(f)
    }

    /// The test kit's loopback pair, taken over by the runtime.
    async fn sockets() -> (TcpStream, TcpStream) {
        let (peer, ours) = pipe_testkit::cases::tcp_pair(false);
        let take = |s| TcpStream::try_from(s).expect("a smol socket");
        (take(peer), take(ours))
    }

    async fn close_raw(mut peer: TcpStream) {
        peer.close().await.unwrap(); // smol::net::TcpStream half-closes here
    }

    pipe_testkit::framed_tests!(block_on);
}
