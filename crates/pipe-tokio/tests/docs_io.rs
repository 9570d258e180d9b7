//! pipe-tokio's `ChunkedStream` as an `AsyncRead`, `AsyncBufRead` and writer, tested from its
//! documentation alone, on tokio's current-thread and multi-thread runtimes: the checks of
//! `pipe_testkit::docs_io_cases` (buffered bytes first; reads of at least a chunk straight from
//! the transport; the end and errors reported to every later read; idle reads holding no
//! chunk; vectored, partial and cancelled writes; `copy_buf`), shared with pipe-async-std, with
//! tokio's reads into uninitialised memory (`read_buf`) mixed in and tested on their own.

use std::io;

use bytes::BytesMut;
use pipe_tokio::ChunkedStream;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, copy_buf};
use tokio::net::TcpStream;
use tokio::task::yield_now;
use tokio::time::timeout;

/// Futures are also dropped after one poll by a zero `timeout` (tokio's polls the future
/// first).
const ZERO_TIMEOUT: bool = true;

/// One `AsyncRead` read of at most `size` bytes: into an initialised slice (`read`) or, with
/// `uninit`, into a fresh `BytesMut`'s spare (uninitialised) capacity (`read_buf`).
async fn read_once<S: AsyncRead + Unpin>(
    s: &mut ChunkedStream<S>,
    size: usize,
    uninit: bool,
) -> io::Result<Vec<u8>> {
    if uninit {
        let mut buf = BytesMut::with_capacity(size);
        assert_eq!(buf.capacity(), size, "the test's precondition");
        AsyncReadExt::read_buf(s, &mut buf).await?;
        Ok(buf.to_vec())
    } else {
        let mut buf = vec![0u8; size];
        let n = AsyncReadExt::read(s, &mut buf).await?;
        buf.truncate(n);
        Ok(buf)
    }
}

mod current_thread {
    use super::*;

    pipe_testkit::docs_io_tests!(
        test: (#[tokio::test(flavor = "current_thread")]),
        uninit: (#[tokio::test(flavor = "current_thread")])
    );
}

mod multi_thread {
    use super::*;

    pipe_testkit::docs_io_tests!(
        test: (#[tokio::test(flavor = "multi_thread", worker_threads = 2)]),
        uninit: (#[tokio::test(flavor = "multi_thread", worker_threads = 2)])
    );
}
