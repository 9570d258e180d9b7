//! pipe-async-std's `ChunkedStream` as a futures-io `AsyncRead`, `AsyncBufRead` and writer,
//! tested from its documentation alone, on async-std and on smol (each with its own sockets):
//! the checks of `pipe_testkit::docs_io_cases` (buffered bytes first; reads of at least a chunk
//! straight from the transport; the end and errors reported to every later read; idle reads
//! holding no chunk; vectored, partial and cancelled writes; futures' `copy_buf`), shared with
//! pipe-tokio.

use std::future::Future;
use std::io;
use std::time::{Duration, Instant};

use futures_util::io::{AsyncRead, AsyncReadExt};
use pipe_async_std::ChunkedStream;

/// Futures are dropped after one poll by `now_or_never` alone.
const ZERO_TIMEOUT: bool = false;

/// One `AsyncRead` read of at most `size` bytes (futures-io has no reads into uninitialised
/// memory: `uninit` is never asked for).
async fn read_once<S: AsyncRead + Unpin>(
    s: &mut ChunkedStream<S>,
    size: usize,
    uninit: bool,
) -> io::Result<Vec<u8>> {
    assert!(!uninit, "no reads into uninitialised memory on futures-io");
    let mut buf = vec![0u8; size];
    let n = AsyncReadExt::read(s, &mut buf).await?;
    buf.truncate(n);
    Ok(buf)
}

/// `f`'s output, or `Err` if `d` passed first (`f` is polled first). The timer is async-io's,
/// which runs under either runtime.
async fn timeout<T>(d: Duration, f: impl Future<Output = T>) -> Result<T, Instant> {
    smol::future::or(async { Ok(f.await) }, async {
        Err(smol::Timer::after(d).await)
    })
    .await
}

mod on_async_std {
    use super::*;
    use async_std::net::TcpStream;
    use futures_util::io::{AsyncBufRead, AsyncBufReadExt, copy_buf};
    use smol::future::yield_now;

    pipe_testkit::docs_io_tests!(test: (#[async_std::test]));
}

mod on_smol {
    use super::*;
    use futures_util::io::{AsyncBufRead, AsyncBufReadExt, copy_buf};
    use smol::future::yield_now;
    use smol::net::TcpStream;

    pipe_testkit::docs_io_tests!(test: (smol::block_on));
}
