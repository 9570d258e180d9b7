//! pipe-async-std on smol's runtime and sockets (`smol::net`, which speak futures-io): the
//! behaviours of `pipe_testkit::stream_cases`, shared with `tests/net.rs` (async-std) and
//! pipe-tokio. Below, the smol glue the shared tests use; the adapter's socket API (`connect`,
//! `accept`, `peer_addr`, `into_split`) is for async-std's sockets, so [`smol_sockets`] and
//! [`SmolStream`] give the same for smol's.

use std::convert::identity as join; // a smol task is a future of its output
use std::future::Future;
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use pipe_async_std::ChunkedStream;
use smol::net::unix::{UnixListener, UnixStream};
use smol::net::{TcpListener, TcpStream};
use smol::spawn;

/// `f`'s output, or `Err` if `d` passed first (`f` is polled first).
async fn timeout<T>(d: Duration, f: impl Future<Output = T>) -> Result<T, Instant> {
    smol::future::or(async { Ok(f.await) }, async {
        Err(smol::Timer::after(d).await)
    })
    .await
}

fn unix_listener(path: &Path) -> UnixListener {
    UnixListener::bind(path).unwrap()
}

/// `ChunkedStream::connect` (with `TCP_NODELAY`), `accept`, `connect_unix` and `accept_unix`
/// on smol's sockets.
mod smol_sockets {
    use std::io;
    use std::net::SocketAddr;
    use std::path::Path;

    use pipe_async_std::{ChunkedStream, PipeOptions};
    use smol::net::unix::{SocketAddr as UnixAddr, UnixListener, UnixStream};
    use smol::net::{TcpListener, TcpStream};

    pub async fn connect(addr: SocketAddr) -> io::Result<ChunkedStream<TcpStream>> {
        let socket = TcpStream::connect(addr).await?;
        socket
            .set_nodelay(true)
            .map(|()| ChunkedStream::new(socket))
    }

    pub async fn connect_unix(path: &Path) -> io::Result<ChunkedStream<UnixStream>> {
        UnixStream::connect(path).await.map(ChunkedStream::new)
    }

    type Accepted<S, A> = io::Result<(ChunkedStream<S>, A)>;

    pub async fn accept(l: &TcpListener, o: PipeOptions) -> Accepted<TcpStream, SocketAddr> {
        let (socket, addr) = l.accept().await?;
        Ok((ChunkedStream::with_options(socket, o), addr))
    }

    pub async fn accept_unix(l: &UnixListener, o: PipeOptions) -> Accepted<UnixStream, UnixAddr> {
        let (socket, addr) = l.accept().await?;
        Ok((ChunkedStream::with_options(socket, o), addr))
    }
}

/// `peer_addr` and `into_split` (which is `split`) on a stream of a smol socket.
trait SmolStream: Sized {
    type Socket;
    type Addr;

    fn peer_addr(&self) -> io::Result<Self::Addr>;

    #[allow(clippy::type_complexity)]
    fn into_split(
        self,
    ) -> (
        ChunkedStream<ReadHalf<Self::Socket>>,
        ChunkedStream<WriteHalf<Self::Socket>>,
    );
}

macro_rules! smol_stream {
    ($($socket:ty => $addr:ty),*) => {$(
        impl SmolStream for ChunkedStream<$socket> {
            type Socket = $socket;
            type Addr = $addr;

            fn peer_addr(&self) -> io::Result<$addr> {
                self.get_ref().peer_addr()
            }

            fn into_split(self) -> (ChunkedStream<ReadHalf<$socket>>, ChunkedStream<WriteHalf<$socket>>) {
                self.split()
            }
        }
    )*};
}

smol_stream!(TcpStream => std::net::SocketAddr, UnixStream => smol::net::unix::SocketAddr);

pipe_testkit::stream_tests!(
    sockets: smol_sockets,
    halves: split,
    test: (smol::block_on),
    threaded: (smol::block_on)
);
