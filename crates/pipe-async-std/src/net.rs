//! async-std sockets: connecting, accepting, peer addresses and read/write halves.

use std::io;
use std::path::Path;

use async_std::net::{TcpListener, TcpStream, ToSocketAddrs};
use async_std::os::unix::net::{UnixListener, UnixStream};
use futures_io::{AsyncRead, AsyncWrite};
use futures_util::io::{AsyncReadExt, ReadHalf, WriteHalf};
use pipe_core::PipeOptions;

use crate::ChunkedStream;

impl ChunkedStream<TcpStream> {
    pipe_core::tcp_methods!(TcpStream, TcpListener, ToSocketAddrs);

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

impl<S: AsyncRead + AsyncWrite> ChunkedStream<S> {
    /// Read and write halves of any transport (through futures' `split`); the read half keeps
    /// the buffered bytes.
    pub fn split(self) -> (ChunkedStream<ReadHalf<S>>, ChunkedStream<WriteHalf<S>>) {
        let (io, pipe) = self.into_inner();
        let (r, w) = io.split();
        (ChunkedStream::from_parts(r, pipe), ChunkedStream::new(w))
    }
}
