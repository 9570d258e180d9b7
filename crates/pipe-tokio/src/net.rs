//! Sockets: connecting, accepting, peer addresses and read/write halves.

use std::io;
use std::path::Path;

use pipe_core::PipeOptions;
use tokio::io::{AsyncRead, AsyncWrite, ReadHalf, WriteHalf};
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs, UnixListener, UnixStream, tcp, unix};

use crate::ChunkedStream;

impl ChunkedStream<TcpStream> {
    pipe_core::tcp_methods!(TcpStream, TcpListener, ToSocketAddrs);

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

impl<S: AsyncRead + AsyncWrite> ChunkedStream<S> {
    /// Read and write halves of any transport (through `tokio::io::split`); the read half keeps
    /// the buffered bytes.
    pub fn split(self) -> (ChunkedStream<ReadHalf<S>>, ChunkedStream<WriteHalf<S>>) {
        let (io, pipe) = self.into_inner();
        let (r, w) = tokio::io::split(io);
        (ChunkedStream::from_parts(r, pipe), ChunkedStream::new(w))
    }
}
