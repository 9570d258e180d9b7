//! async-std sockets: connecting, accepting, peer addresses and read/write halves.

use std::io;
use std::net::SocketAddr;
#[cfg(unix)]
use std::path::Path;

use async_std::net::{TcpListener, TcpStream, ToSocketAddrs};
#[cfg(unix)]
use async_std::os::unix::net::{UnixListener, UnixStream};
use pipe_core::PipeOptions;

use crate::ChunkedStream;

impl ChunkedStream<TcpStream> {
    /// Connects over TCP (the original's `create_connection`) with
    /// [`PipeOptions::default`]. Sets `TCP_NODELAY`, as protocol clients want (a request is
    /// sent at once, not held back by Nagle's algorithm); undo it with
    /// `get_ref().set_nodelay(false)`, or connect the socket yourself and wrap it with
    /// [`ChunkedStream::with_options`].
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// use pipe_async_std::{ChunkedStream, PipeOptions};
    /// let listener = async_std::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let addr = listener.local_addr()?;
    /// let mut client = ChunkedStream::connect(addr).await?;
    /// let (mut server, peer) = ChunkedStream::accept(&listener, PipeOptions::default()).await?;
    /// assert_eq!(server.peer_addr()?, peer);
    /// client.write_all(b"hello\n").await?;
    /// assert_eq!(server.read_line(false).await?.unwrap(), "hello");
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
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

    /// Read and write halves that two tasks can own (async-std sockets are shared handles);
    /// the read half keeps the buffered bytes.
    pub fn into_split(self) -> (ChunkedStream<TcpStream>, ChunkedStream<TcpStream>) {
        let (io, pipe) = self.into_inner();
        let writer = io.clone();
        (
            ChunkedStream::from_parts(io, pipe),
            ChunkedStream::new(writer),
        )
    }
}

/// Unix sockets (on Unix only).
#[cfg(unix)]
impl ChunkedStream<UnixStream> {
    /// Connects to a Unix socket.
    pub async fn connect_unix(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref().to_path_buf();
        Ok(ChunkedStream::new(UnixStream::connect(path).await?))
    }

    /// Accepts the next connection from `listener`, wrapped with `options`.
    pub async fn accept_unix(
        listener: &UnixListener,
        options: PipeOptions,
    ) -> io::Result<(Self, async_std::os::unix::net::SocketAddr)> {
        let (socket, addr) = listener.accept().await?;
        Ok((ChunkedStream::with_options(socket, options), addr))
    }

    /// The address of the peer.
    pub fn peer_addr(&self) -> io::Result<async_std::os::unix::net::SocketAddr> {
        self.get_ref().peer_addr()
    }

    /// Read and write halves that two tasks can own; the read half keeps the buffered bytes.
    pub fn into_split(self) -> (ChunkedStream<UnixStream>, ChunkedStream<UnixStream>) {
        let (io, pipe) = self.into_inner();
        let writer = io.clone();
        (
            ChunkedStream::from_parts(io, pipe),
            ChunkedStream::new(writer),
        )
    }
}
