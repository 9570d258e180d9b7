//! Sockets: connecting, accepting, peer addresses and read/write halves.

use std::io;
use std::net::SocketAddr;
#[cfg(unix)]
use std::path::Path;

use pipe_core::PipeOptions;
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs, tcp};
#[cfg(unix)]
use tokio::net::{UnixListener, UnixStream, unix};

use crate::ChunkedStream;

impl ChunkedStream<TcpStream> {
    /// Connects over TCP (the original's `create_connection`) with
    /// [`PipeOptions::default`]. Sets `TCP_NODELAY`, as protocol clients want (a request is
    /// sent at once, not held back by Nagle's algorithm); undo it with
    /// `get_ref().set_nodelay(false)`, or connect the socket yourself and wrap it with
    /// [`ChunkedStream::with_options`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use pipe_tokio::{ChunkedStream, PipeOptions};
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let addr = listener.local_addr()?;
    /// let mut client = ChunkedStream::connect(addr).await?;
    /// let (mut server, peer) = ChunkedStream::accept(&listener, PipeOptions::default()).await?;
    /// assert_eq!(server.peer_addr()?, peer);
    /// client.write_all(b"hello\n").await?;
    /// assert_eq!(server.read_line(false).await?.unwrap(), "hello");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<Self> {
        let socket = TcpStream::connect(addr).await?;
        socket.set_nodelay(true)?;
        Ok(Self::new(socket))
    }

    /// Accepts the next connection from `listener`, wrapped with `options` (the socket is left
    /// as the listener made it: `TCP_NODELAY` is not set). See
    /// [`connect`](ChunkedStream::connect) for an example.
    pub async fn accept(
        listener: &TcpListener,
        options: PipeOptions,
    ) -> io::Result<(Self, SocketAddr)> {
        let (socket, addr) = listener.accept().await?;
        Ok((Self::with_options(socket, options), addr))
    }

    /// The address of the peer. See [`connect`](ChunkedStream::connect) for an example.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.get_ref().peer_addr()
    }

    /// Read and write halves that two tasks can own; the read half keeps the buffered bytes.
    pub fn into_split(
        self,
    ) -> (
        ChunkedStream<tcp::OwnedReadHalf>,
        ChunkedStream<tcp::OwnedWriteHalf>,
    ) {
        let (io, pipe) = self.into_inner();
        let (r, w) = io.into_split();
        (ChunkedStream::from_parts(r, pipe), ChunkedStream::new(w))
    }
}

/// Unix sockets (on Unix only).
#[cfg(unix)]
impl ChunkedStream<UnixStream> {
    /// Connects to a Unix socket (the original's `create_unix_connection`).
    pub async fn connect_unix(path: impl AsRef<Path>) -> io::Result<Self> {
        Ok(ChunkedStream::new(UnixStream::connect(path).await?))
    }

    /// Accepts the next connection from `listener`, wrapped with `options`.
    pub async fn accept_unix(
        listener: &UnixListener,
        options: PipeOptions,
    ) -> io::Result<(Self, unix::SocketAddr)> {
        let (socket, addr) = listener.accept().await?;
        Ok((ChunkedStream::with_options(socket, options), addr))
    }

    /// The address of the peer.
    pub fn peer_addr(&self) -> io::Result<unix::SocketAddr> {
        self.get_ref().peer_addr()
    }

    /// Read and write halves that two tasks can own; the read half keeps the buffered bytes.
    pub fn into_split(
        self,
    ) -> (
        ChunkedStream<unix::OwnedReadHalf>,
        ChunkedStream<unix::OwnedWriteHalf>,
    ) {
        let (io, pipe) = self.into_inner();
        let (r, w) = io.into_split();
        (ChunkedStream::from_parts(r, pipe), ChunkedStream::new(w))
    }
}
