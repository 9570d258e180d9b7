//! The RESP client example (written for pipe-tokio) against a real redis-server, compiled here
//! against pipe-async-std and run under async-std, over TCP and Unix sockets: the same client
//! source and the same checks as pipe-tokio's `tests/redis.rs`.

use futures_util::io::{AsyncRead, AsyncWrite};
pub use pipe_async_std::{ChunkedStream, ReadError, read_error_of};
use pipe_model::redis::RedisServer;

/// The socket types the shared client runs on.
pub trait Transport: AsyncRead + AsyncWrite + Unpin {}
impl<T: AsyncRead + AsyncWrite + Unpin> Transport for T {}

#[allow(dead_code)]
#[path = "../../pipe-tokio/examples/redis/resp.rs"]
mod resp;

#[macro_use]
#[path = "../../pipe-tokio/tests/redis/cases.rs"]
mod cases;

use resp::Client;

fn server() -> RedisServer {
    RedisServer::start(&[]).unwrap_or_else(|e| panic!("{e}"))
}

async fn tcp(server: &RedisServer) -> Client<async_std::net::TcpStream> {
    Client::new(ChunkedStream::connect(server.addr()).await.unwrap())
}

async fn unix(server: &RedisServer) -> Client<async_std::os::unix::net::UnixStream> {
    Client::new(
        ChunkedStream::connect_unix(server.unix_path())
            .await
            .unwrap(),
    )
}

redis_tests!(async_std::test, async_std::task::sleep);
