//! The test kit's RESP client on pipe-async-std, under async-std, against a real redis-server,
//! over TCP and Unix sockets: the checks of `pipe_testkit::redis_cases`, shared with pipe-tokio.

use async_std::net::TcpStream;
use async_std::os::unix::net::UnixStream;
use pipe_async_std::ChunkedStream;

pipe_testkit::redis_tests!(async_std::test);
