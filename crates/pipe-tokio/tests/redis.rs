//! The test kit's RESP client on pipe-tokio against a real redis-server (started by the test on
//! a free loopback port and a Unix socket, persistence off), over TCP and Unix sockets: the
//! checks of `pipe_testkit::redis_cases`, shared with pipe-async-std.

use pipe_tokio::ChunkedStream;
use tokio::net::{TcpStream, UnixStream};

pipe_testkit::redis_tests!(tokio::test);
