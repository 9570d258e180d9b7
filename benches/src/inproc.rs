//! Bytes between two tasks in one process: the async pipe against `tokio::io::duplex` and
//! `piper::pipe`, each with a 64 KiB window, on a two-worker tokio runtime. The writer sends
//! `total` bytes in `piece`-byte writes; the reader takes what is there. Every run returns the
//! byte count it received, which the harness checks.

use std::hint::black_box;

use pipe_core::AsyncPipeOptions;
use pipe_tokio::pipe_with;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Runs one transfer (`transfer()` on `rt`) from a thread made for it: the reader, which
/// `block_on` runs, starts on a thread the scheduler knows nothing of. A spinning reader
/// leaves its thread looking busy to the kernel's scheduler for tens of milliseconds, and on
/// the bench's two cores whatever ran next on that thread ran slower: `duplex` right after
/// the pipe's rows ran at 1,250-1,550 MiB/s in builds whose reader spins and 1,850-2,570 in
/// the build before, whatever the order of the rows; with each reader on a thread of its own,
/// at 2,476 and 2,408 (medians of five alternations).
pub fn on_own_thread<T: Send, F: std::future::Future<Output = T>>(
    rt: &tokio::runtime::Runtime,
    transfer: impl FnOnce() -> F + Send,
) -> T {
    std::thread::scope(|s| {
        s.spawn(|| rt.block_on(transfer()))
            .join()
            .expect("the transfer")
    })
}

/// The window all three get: the async pipe's pause threshold, duplex's and piper's capacity.
pub const WINDOW: usize = 64 * 1024;

fn async_pipe() -> (pipe_tokio::PipeWriter, pipe_tokio::PipeReader) {
    pipe_with(AsyncPipeOptions::new().pause(WINDOW).resume(WINDOW / 2)).expect("valid thresholds")
}

/// The async pipe's own API: the writer fills pooled space in place and flushes; the reader
/// takes `Bytes` (slices of the chunks, no copy) with `read_at_most`.
pub async fn pipe_native(data: &'static [u8], piece: usize) -> u64 {
    let (mut w, mut r) = async_pipe();
    let writer = tokio::spawn(async move {
        for part in data.chunks(piece) {
            {
                let mut buf = w.get_buffer(part.len()).expect("space");
                buf[..part.len()].copy_from_slice(part);
                buf.commit(part.len()).expect("commit");
            }
            w.flush().await.expect("flush");
        }
    });
    let mut n = 0;
    while let Some(bytes) = r.read_at_most(WINDOW).await.expect("read") {
        n += black_box(bytes).len() as u64;
    }
    writer.await.expect("writer");
    n
}

/// The async pipe through tokio's `AsyncWrite`/`AsyncRead`, as a drop-in for `duplex`.
pub async fn pipe_io(data: &'static [u8], piece: usize) -> u64 {
    let (mut w, mut r) = async_pipe();
    let writer = tokio::spawn(async move {
        for part in data.chunks(piece) {
            AsyncWriteExt::write_all(&mut w, part).await.expect("write");
        }
        AsyncWriteExt::shutdown(&mut w).await.expect("shutdown");
    });
    let n = read_all_tokio(&mut r).await;
    writer.await.expect("writer");
    n
}

/// `tokio::io::duplex(WINDOW)`: one direction used.
pub async fn duplex(data: &'static [u8], piece: usize) -> u64 {
    let (mut w, mut r) = tokio::io::duplex(WINDOW);
    let writer = tokio::spawn(async move {
        for part in data.chunks(piece) {
            w.write_all(part).await.expect("write");
        }
        w.shutdown().await.expect("shutdown");
    });
    let n = read_all_tokio(&mut r).await;
    writer.await.expect("writer");
    n
}

/// `piper::pipe(WINDOW)` through futures-io, on the same runtime.
pub async fn piper(data: &'static [u8], piece: usize) -> u64 {
    use futures_util::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (mut r, mut w) = piper::pipe(WINDOW);
    let writer = tokio::spawn(async move {
        for part in data.chunks(piece) {
            w.write_all(part).await.expect("write");
        }
        w.close().await.expect("close");
    });
    let mut buf = vec![0u8; WINDOW];
    let mut n = 0;
    loop {
        let k = r.read(&mut buf).await.expect("read");
        if k == 0 {
            break;
        }
        n += black_box(&buf[..k]).len() as u64;
    }
    writer.await.expect("writer");
    n
}

async fn read_all_tokio<R: tokio::io::AsyncRead + Unpin>(r: &mut R) -> u64 {
    let mut buf = vec![0u8; WINDOW];
    let mut n = 0;
    loop {
        let k = r.read(&mut buf).await.expect("read");
        if k == 0 {
            break;
        }
        n += black_box(&buf[..k]).len() as u64;
    }
    n
}
