//! The RESP client example (written for pipe-tokio) against a real redis-server, compiled here
//! against pipe-async-std and run under async-std, over TCP and Unix sockets: the same client
//! source and the same checks as pipe-tokio's `tests/redis.rs`.

use std::time::Duration;

use futures_util::io::{AsyncRead, AsyncWrite};
pub use pipe_async_std::{ChunkedStream, ReadError, read_error_of};
use pipe_model::redis::RedisServer;

/// The socket types the shared client runs on.
pub trait Transport: AsyncRead + AsyncWrite + Unpin {}
impl<T: AsyncRead + AsyncWrite + Unpin> Transport for T {}

#[allow(dead_code)]
#[path = "../../pipe-tokio/examples/redis/resp.rs"]
mod resp;

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

#[async_std::test]
async fn set_get_sizes() {
    let server = server();
    cases::set_get_sizes(&mut tcp(&server).await).await.unwrap();
    cases::set_get_sizes(&mut unix(&server).await)
        .await
        .unwrap();
}

#[async_std::test]
async fn binary_values() {
    let server = server();
    cases::binary_values(&mut tcp(&server).await).await.unwrap();
    cases::binary_values(&mut unix(&server).await)
        .await
        .unwrap();
}

#[async_std::test]
async fn lrange_100k() {
    let server = server();
    cases::lrange_100k(&mut tcp(&server).await).await.unwrap();
    cases::lrange_100k(&mut unix(&server).await).await.unwrap();
}

#[async_std::test]
async fn error_replies() {
    let server = server();
    cases::errors(&mut tcp(&server).await).await.unwrap();
    cases::errors(&mut unix(&server).await).await.unwrap();
}

#[async_std::test]
async fn server_closes_mid_reply() {
    let server = server();
    let pause = || async_std::task::sleep(Duration::from_millis(300));
    let (mut victim, mut killer) = (tcp(&server).await, tcp(&server).await);
    cases::closed_mid_reply(&mut victim, &mut killer, pause())
        .await
        .unwrap();
    let (mut victim, mut killer) = (unix(&server).await, unix(&server).await);
    cases::closed_mid_reply(&mut victim, &mut killer, pause())
        .await
        .unwrap();
}
