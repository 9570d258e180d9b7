//! The test kit's RESP client on pipe-async-std, under async-std, against a real redis-server,
//! over TCP and Unix sockets: the checks of `pipe_testkit::redis_cases`, shared with pipe-tokio.

use async_std::net::TcpStream;
use async_std::os::unix::net::UnixStream;
use pipe_async_std::ChunkedStream;
use pipe_testkit::redis::RedisServer;
use pipe_testkit::resp::Client;

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

pipe_testkit::redis_tests!(async_std::test);
