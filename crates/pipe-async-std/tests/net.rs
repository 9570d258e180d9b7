//! pipe-async-std on real loopback sockets (TCP and Unix), on async-std's runtime and sockets:
//! the behaviours of `pipe_testkit::stream_cases` (reads, writes, halves, end of stream,
//! resets, cancel safety, idle memory and bounded memory), shared with pipe-tokio and with
//! `tests/smol.rs`. Below, the async-std glue the shared tests use.

use std::convert::identity as join; // an async-std task is a future of its output
use std::path::Path;

use async_std::future::timeout;
use async_std::net::{TcpListener, TcpStream};
use async_std::os::unix::net::{UnixListener, UnixStream};
use async_std::task::spawn;
use futures_util::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use pipe_async_std::ChunkedStream;

/// Bound synchronously (async-std's `bind` is async): std's listener, made async-std's.
fn unix_listener(path: &Path) -> UnixListener {
    std::os::unix::net::UnixListener::bind(path).unwrap().into()
}

// The client's halves in two tasks are `into_split`'s (clones of the socket): futures' `split`
// of an async-std `TcpStream` hangs when one task closes the write half while another waits
// to read (seen with futures-util's `split` alone, no pipe involved).
pipe_testkit::stream_tests!(
    sockets: ChunkedStream,
    halves: into_split,
    test: (#[async_std::test]),
    threaded: (#[async_std::test])
);
