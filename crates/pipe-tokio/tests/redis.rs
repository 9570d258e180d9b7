//! The test kit's RESP client on pipe-tokio against a real redis-server (started by the test on
//! a free loopback port and a Unix socket, persistence off), over TCP and Unix sockets: the
//! checks of `pipe_testkit::redis_cases`, shared with pipe-async-std.

use pipe_testkit::redis::RedisServer;
use pipe_testkit::resp::Client;
use pipe_tokio::ChunkedStream;
use tokio::net::{TcpStream, UnixStream};

fn server() -> RedisServer {
    RedisServer::start(&[]).unwrap_or_else(|e| panic!("{e}"))
}

async fn tcp(server: &RedisServer) -> Client<ChunkedStream<TcpStream>> {
    Client::new(ChunkedStream::connect(server.addr()).await.unwrap())
}

async fn unix(server: &RedisServer) -> Client<ChunkedStream<UnixStream>> {
    Client::new(
        ChunkedStream::connect_unix(server.unix_path())
            .await
            .unwrap(),
    )
}

pipe_testkit::redis_tests!(tokio::test);
