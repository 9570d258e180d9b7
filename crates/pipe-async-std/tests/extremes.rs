//! pipe-async-std's `ChunkedStream`, in-process pipe and framed types at the extremes of their
//! numeric arguments, written from the documentation alone, on async-std and on smol: the
//! checks of `pipe_testkit::extremes_cases` (sizes of 0, 1 and `usize::MAX`, maximum frames of
//! 0 and near `usize::MAX`, chunk sizes and backpressure thresholds out of range, `max_spin` and
//! high-water marks at both ends), shared with pipe-tokio.

use std::future::Future;
use std::io;

use pipe_async_std as adapter;

/// Awaits `fut`, failing the test if it does not finish within the kit's guard (async-std's
/// timer, which runs under smol too).
async fn guarded<F: Future>(what: &str, fut: F) -> F::Output {
    async_std::future::timeout(pipe_testkit::extremes_cases::GUARD, fut)
        .await
        .unwrap_or_else(|_| panic!("{what} hung"))
}

/// futures' `AsyncReadExt::read`.
async fn read_some<S: futures_util::io::AsyncRead + Unpin>(
    stream: &mut adapter::ChunkedStream<S>,
    buf: &mut [u8],
) -> io::Result<usize> {
    futures_util::io::AsyncReadExt::read(stream, buf).await
}

mod on_async_std {
    use super::*;

    /// A loopback pair of TCP streams.
    async fn tcp_pair() -> (async_std::net::TcpStream, async_std::net::TcpStream) {
        let listener = async_std::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap();
        let client = async_std::net::TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (client, server)
    }

    /// Runs `f` as a task of its own; the future gives its output.
    fn spawn<T: Send + 'static>(
        f: impl Future<Output = T> + Send + 'static,
    ) -> impl Future<Output = T> {
        async_std::task::spawn(f)
    }

    pipe_testkit::extremes_tests!(test: (#[async_std::test]));
}

mod on_smol {
    use super::*;

    /// A loopback pair of TCP streams.
    async fn tcp_pair() -> (smol::net::TcpStream, smol::net::TcpStream) {
        let listener = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = smol::net::TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (client, server)
    }

    /// Runs `f` as a task of its own; the future gives its output.
    fn spawn<T: Send + 'static>(
        f: impl Future<Output = T> + Send + 'static,
    ) -> impl Future<Output = T> {
        smol::spawn(f)
    }

    pipe_testkit::extremes_tests!(test: (smol::block_on));
}
