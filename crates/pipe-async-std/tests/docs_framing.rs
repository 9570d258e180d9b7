//! pipe-async-std's `FramedRead`, `FramedWrite` and `Framed` (with `pipe_async_std::codec`),
//! tested from their documentation alone on async-std and on smol (each with its own sockets):
//! the checks of `pipe_testkit::docs_framing_cases` (frames whole and once over a scripted
//! transport and a loopback peer writing a byte at a time; `next`, `send` and `flush` dropped at
//! `Pending`; errors yielded once; the high-water mark; `close`, `into_parts`, `split_with`),
//! shared with pipe-tokio.

use std::future::Future;

use pipe_async_std::{ChunkedStream, Framed, FramedRead, FramedWrite};

mod on_async_std {
    use super::*;

    /// The runtime's TCP stream.
    type Tcp = async_std::net::TcpStream;

    /// A loopback pair with `TCP_NODELAY` on both ends.
    async fn tcp_pair() -> (ChunkedStream<Tcp>, ChunkedStream<Tcp>) {
        let listener = async_std::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap();
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
        async_std::task::spawn(f)
    }

    pipe_testkit::docs_framing_tests!(test: (#[async_std::test]));
}

mod on_smol {
    use super::*;

    /// The runtime's TCP stream.
    type Tcp = smol::net::TcpStream;

    /// A loopback pair with `TCP_NODELAY` on both ends.
    async fn tcp_pair() -> (ChunkedStream<Tcp>, ChunkedStream<Tcp>) {
        let listener = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
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
        smol::spawn(f)
    }

    pipe_testkit::docs_framing_tests!(test: (smol::block_on));
}
