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
    /// as the listener made it: `TCP_NODELAY` is not set).
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// use pipe_async_std::{ChunkedStream, PipeOptions};
    /// let listener = async_std::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let client = ChunkedStream::connect(listener.local_addr()?).await?;
    /// let options = PipeOptions::new().max_frame(1024);
    /// let (server, addr) = ChunkedStream::accept(&listener, options).await?;
    /// assert_eq!(addr, client.get_ref().local_addr()?); // the client's address
    /// assert_eq!(server.pipe().max_frame(), 1024);
    /// assert!(!server.get_ref().nodelay()?); // `TCP_NODELAY` not set
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn accept(
        listener: &TcpListener,
        options: PipeOptions,
    ) -> io::Result<(Self, SocketAddr)> {
        let (socket, addr) = listener.accept().await?;
        Ok((Self::with_options(socket, options), addr))
    }

    /// The address of the peer.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// let listener = async_std::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let client = pipe_async_std::ChunkedStream::connect(listener.local_addr()?).await?;
    /// assert_eq!(client.peer_addr()?, listener.local_addr()?);
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.get_ref().peer_addr()
    }

    /// Read and write halves that two tasks can own (async-std sockets are shared handles);
    /// the read half keeps the buffered bytes.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// use pipe_async_std::{ChunkedStream, PipeOptions};
    /// let listener = async_std::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let mut client = ChunkedStream::connect(listener.local_addr()?).await?;
    /// let (mut server, _) = ChunkedStream::accept(&listener, PipeOptions::default()).await?;
    /// server.write_all(b"one\ntwo\n").await?;
    /// assert_eq!(client.read_line(false).await?.unwrap(), "one");
    /// let (mut reader, mut writer) = client.into_split();
    /// let task = async_std::task::spawn(async move { writer.write_all(b"three\n").await });
    /// assert_eq!(reader.read_line(false).await?.unwrap(), "two"); // goes on where it was
    /// task.await?;
    /// assert_eq!(server.read_line(false).await?.unwrap(), "three");
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
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
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// use pipe_async_std::{ChunkedStream, PipeOptions};
    /// let name = format!("pipe-async-std-connect-unix-{}.sock", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = async_std::os::unix::net::UnixListener::bind(&path).await?;
    /// let mut client = ChunkedStream::connect_unix(&path).await?;
    /// let (mut server, _) = ChunkedStream::accept_unix(&listener, PipeOptions::default()).await?;
    /// client.write_all(b"hello\n").await?;
    /// assert_eq!(server.read_line(false).await?.unwrap(), "hello");
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn connect_unix(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref().to_path_buf();
        Ok(ChunkedStream::new(UnixStream::connect(path).await?))
    }

    /// Accepts the next connection from `listener`, wrapped with `options`.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// use pipe_async_std::{ChunkedStream, PipeOptions};
    /// let name = format!("pipe-async-std-accept-unix-{}.sock", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = async_std::os::unix::net::UnixListener::bind(&path).await?;
    /// let _client = ChunkedStream::connect_unix(&path).await?;
    /// let options = PipeOptions::new().max_frame(1024);
    /// let (server, addr) = ChunkedStream::accept_unix(&listener, options).await?;
    /// assert!(addr.is_unnamed()); // the client did not bind a path
    /// assert_eq!(server.pipe().max_frame(), 1024);
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn accept_unix(
        listener: &UnixListener,
        options: PipeOptions,
    ) -> io::Result<(Self, async_std::os::unix::net::SocketAddr)> {
        let (socket, addr) = listener.accept().await?;
        Ok((ChunkedStream::with_options(socket, options), addr))
    }

    /// The address of the peer.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// let name = format!("pipe-async-std-peer-addr-unix-{}.sock", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// # let _ = std::fs::remove_file(&path);
    /// let _listener = async_std::os::unix::net::UnixListener::bind(&path).await?;
    /// let client = pipe_async_std::ChunkedStream::connect_unix(&path).await?;
    /// assert_eq!(client.peer_addr()?.as_pathname(), Some(path.as_path()));
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn peer_addr(&self) -> io::Result<async_std::os::unix::net::SocketAddr> {
        self.get_ref().peer_addr()
    }

    /// Read and write halves that two tasks can own; the read half keeps the buffered bytes.
    ///
    /// ```
    /// # async_std::task::block_on(async {
    /// use pipe_async_std::ChunkedStream;
    /// let (a, b) = async_std::os::unix::net::UnixStream::pair()?;
    /// let (mut client, mut server) = (ChunkedStream::new(a), ChunkedStream::new(b));
    /// server.write_all(b"one\ntwo\n").await?;
    /// assert_eq!(client.read_line(false).await?.unwrap(), "one");
    /// let (mut reader, mut writer) = client.into_split();
    /// let task = async_std::task::spawn(async move { writer.write_all(b"three\n").await });
    /// assert_eq!(reader.read_line(false).await?.unwrap(), "two"); // goes on where it was
    /// task.await?;
    /// assert_eq!(server.read_line(false).await?.unwrap(), "three");
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn into_split(self) -> (ChunkedStream<UnixStream>, ChunkedStream<UnixStream>) {
        let (io, pipe) = self.into_inner();
        let writer = io.clone();
        (
            ChunkedStream::from_parts(io, pipe),
            ChunkedStream::new(writer),
        )
    }
}
