//! The RESP client example against a real redis-server (started by the test on a free loopback
//! port and a Unix socket, persistence off), over TCP and Unix sockets.

use pipe_model::redis::RedisServer;
pub use pipe_tokio::{ChunkedStream, ReadError, read_error_of};
use tokio::io::{AsyncRead, AsyncWrite};

/// The socket types the shared client runs on.
pub trait Transport: AsyncRead + AsyncWrite + Unpin {}
impl<T: AsyncRead + AsyncWrite + Unpin> Transport for T {}

#[allow(dead_code)]
#[path = "../examples/redis/resp.rs"]
mod resp;

#[macro_use]
#[path = "redis/cases.rs"]
mod cases;

use resp::Client;

fn server() -> RedisServer {
    RedisServer::start(&[]).unwrap_or_else(|e| panic!("{e}"))
}

async fn tcp(server: &RedisServer) -> Client<tokio::net::TcpStream> {
    Client::new(ChunkedStream::connect(server.addr()).await.unwrap())
}

async fn unix(server: &RedisServer) -> Client<tokio::net::UnixStream> {
    Client::new(
        ChunkedStream::connect_unix(server.unix_path())
            .await
            .unwrap(),
    )
}

redis_tests!(tokio::test, tokio::time::sleep);
