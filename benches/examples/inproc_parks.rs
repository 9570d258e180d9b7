//! How often each side of an in-process pipe waits, for the `inproc/16KiB` rows: the same
//! transfers as `chunkedbuffer_benches::inproc` (64 MiB in 16 KiB writes, a two-worker tokio
//! runtime), with every read and write future wrapped to count the polls that return `Pending`.
//! Each such poll is a task that parks and is woken again by the other side, on the other
//! thread: a cross-thread wake. Run with the benches' 64 KiB window and with a 256 KiB one:
//! `cargo run --release -p chunkedbuffer-benches --example inproc_parks` prints, per window and
//! form, the reader's and the writer's waits per MiB and the throughput (median of 5 runs).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::task::Context;
use std::time::Instant;

use chunkedbuffer_benches::inproc::WINDOW;
use chunkedbuffer_benches::lines;
use pipe_core::AsyncPipeOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Runs `fut`, adding one to `waits` for each poll that returns `Pending`.
async fn counted<F: Future>(fut: F, waits: &AtomicU64) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(|cx: &mut Context<'_>| {
        let poll = Pin::new(&mut fut).poll(cx);
        if poll.is_pending() {
            waits.fetch_add(1, Relaxed);
        }
        poll
    })
    .await
}

#[derive(Default)]
struct Waits {
    reader: AtomicU64,
    writer: AtomicU64,
}

const PIECE: usize = 16 * 1024;

async fn pipe_native(data: &'static [u8], window: usize, waits: Arc<Waits>) -> u64 {
    let (mut w, mut r) =
        pipe_tokio::pipe_with(AsyncPipeOptions::new().pause(window).resume(window / 2))
            .expect("valid thresholds");
    let ww = waits.clone();
    let writer = tokio::spawn(async move {
        for part in data.chunks(PIECE) {
            {
                let mut buf = w.get_buffer(part.len()).expect("space");
                buf[..part.len()].copy_from_slice(part);
                buf.commit(part.len()).expect("commit");
            }
            counted(w.flush(), &ww.writer).await.expect("flush");
        }
    });
    let mut n = 0;
    while let Some(bytes) = counted(r.read_at_most(window), &waits.reader)
        .await
        .expect("read")
    {
        n += std::hint::black_box(bytes).len() as u64;
    }
    writer.await.expect("writer");
    n
}

async fn through_tokio_io<W, R>(
    mut w: W,
    mut r: R,
    data: &'static [u8],
    window: usize,
    waits: Arc<Waits>,
) -> u64
where
    W: tokio::io::AsyncWrite + Unpin + Send + 'static,
    R: tokio::io::AsyncRead + Unpin,
{
    let ww = waits.clone();
    let writer = tokio::spawn(async move {
        for part in data.chunks(PIECE) {
            counted(w.write_all(part), &ww.writer).await.expect("write");
        }
        w.shutdown().await.expect("shutdown");
    });
    let mut buf = vec![0u8; window];
    let mut n = 0;
    loop {
        let k = counted(r.read(&mut buf), &waits.reader)
            .await
            .expect("read");
        if k == 0 {
            break;
        }
        n += std::hint::black_box(&buf[..k]).len() as u64;
    }
    writer.await.expect("writer");
    n
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let data: &'static [u8] = Vec::leak(lines(64, 64 << 20));
    let mib = data.len() as f64 / f64::from(1 << 20);
    println!("window, form: reader waits and writer waits per MiB, MiB/s (median of 5 runs)");
    for window in [WINDOW, 4 * WINDOW] {
        for form in [
            "get_buffer+flush / read_at_most",
            "AsyncWrite / AsyncRead",
            "duplex",
        ] {
            let mut runs = Vec::new();
            for _ in 0..5 {
                let waits = Arc::new(Waits::default());
                let start = Instant::now();
                let w2 = waits.clone();
                let n = rt.block_on(async move {
                    let options = AsyncPipeOptions::new().pause(window).resume(window / 2);
                    match form {
                        "duplex" => {
                            let (w, r) = tokio::io::duplex(window);
                            through_tokio_io(w, r, data, window, w2).await
                        }
                        "AsyncWrite / AsyncRead" => {
                            let (w, r) = pipe_tokio::pipe_with(options).expect("thresholds");
                            through_tokio_io(w, r, data, window, w2).await
                        }
                        _ => pipe_native(data, window, w2).await,
                    }
                });
                let secs = start.elapsed().as_secs_f64();
                assert_eq!(n, data.len() as u64, "every byte arrives");
                runs.push((
                    waits.reader.load(Relaxed) as f64 / mib,
                    waits.writer.load(Relaxed) as f64 / mib,
                    mib / secs,
                ));
            }
            runs.sort_by(|a, b| a.2.total_cmp(&b.2));
            let (r, w, t) = runs[runs.len() / 2];
            let name = if form == "duplex" {
                "tokio::io::duplex".to_string()
            } else {
                format!("async pipe {form}")
            };
            println!("{:4} KiB  {name:42} {r:6.1} {w:6.1}  {t:6.0}", window >> 10);
        }
    }
}
