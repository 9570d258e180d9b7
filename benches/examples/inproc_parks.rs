//! How often each side of an in-process pipe waits, for the `inproc/16KiB` rows: the same
//! transfers as `chunkedbuffer_benches::inproc` (64 MiB in 16 KiB writes, a two-worker tokio
//! runtime, each reader on a thread of its own), with every read and write future wrapped to
//! count the polls that return `Pending`, split in two: a **park** (the task is left for the
//! other side to wake, on the other thread: a cross-thread wake) and a **spin** (the task woke
//! itself before returning, to be polled again: the pipe's reader staying scheduled, see
//! `AsyncPipeOptions::max_spin`). Run with the benches' 64 KiB window and with a 256 KiB one,
//! the pipe with its default `max_spin` and with `max_spin(0)` (always park):
//! `cargo run --release -p chunkedbuffer-benches --example inproc_parks` prints, per window and
//! form, the reader's parks and spins and the writer's parks per MiB and the throughput
//! (median of 5 runs); then, for a writer that sends a 64 B line every millisecond, the
//! reader's parks and spins per line (what an idle pipe costs).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::task::{Context, Wake, Waker};
use std::time::{Duration, Instant};

use chunkedbuffer_benches::inproc::{WINDOW, on_own_thread};
use chunkedbuffer_benches::lines;
use pipe_core::AsyncPipeOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A waker that notes whether it was woken, then wakes the task's own.
struct Noting {
    woken: AtomicBool,
    inner: Waker,
}

impl Wake for Noting {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Relaxed);
        self.inner.wake_by_ref();
    }
}

/// What a future's `Pending` polls were.
#[derive(Default)]
struct Count {
    parks: AtomicU64,
    spins: AtomicU64,
}

/// Runs `fut`, counting each `Pending` poll in `count`: a spin if the future woke its task
/// during the poll, else a park.
async fn counted<F: Future>(fut: F, count: &Count) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(|cx: &mut Context<'_>| {
        let noting = Arc::new(Noting {
            woken: AtomicBool::new(false),
            inner: cx.waker().clone(),
        });
        let waker = Waker::from(noting.clone());
        let poll = Pin::new(&mut fut).poll(&mut Context::from_waker(&waker));
        if poll.is_pending() {
            if noting.woken.load(Relaxed) {
                count.spins.fetch_add(1, Relaxed);
            } else {
                count.parks.fetch_add(1, Relaxed);
            }
        }
        poll
    })
    .await
}

#[derive(Default)]
struct Waits {
    reader: Count,
    writer: Count,
}

const PIECE: usize = 16 * 1024;

async fn pipe_native(
    data: &'static [u8],
    options: AsyncPipeOptions,
    window: usize,
    waits: Arc<Waits>,
) -> u64 {
    let (mut w, mut r) = pipe_tokio::pipe_with(options).expect("valid thresholds");
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

/// A writer that sends `lines` 64 B lines a millisecond apart, and a reader that reads them:
/// the reader's parks and spins per line.
async fn sparse(lines: usize) -> (f64, f64) {
    let (mut w, mut r) = pipe_tokio::pipe();
    let writer = tokio::spawn(async move {
        let line = [b'x'; 63];
        for _ in 0..lines {
            tokio::time::sleep(Duration::from_millis(1)).await;
            w.write_now(&line).expect("open");
            w.write_now(b"\n").expect("open");
        }
    });
    let count = Count::default();
    for _ in 0..lines {
        let line = counted(r.read_line(false), &count).await.expect("read");
        assert_eq!(line.expect("a line").len(), 63);
    }
    writer.await.expect("writer");
    let per = |n: &AtomicU64| n.load(Relaxed) as f64 / lines as f64;
    (per(&count.parks), per(&count.spins))
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let data: &'static [u8] = Vec::leak(lines(64, 64 << 20));
    let mib = data.len() as f64 / f64::from(1 << 20);
    println!(
        "window, form: reader parks and spins, writer parks per MiB, MiB/s (median of 5 runs)"
    );
    for window in [WINDOW, 4 * WINDOW] {
        for form in [
            "get_buffer+flush / read_at_most",
            "get_buffer+flush / read_at_most, max_spin 0",
            "AsyncWrite / AsyncRead",
            "duplex",
        ] {
            let mut runs = Vec::new();
            for _ in 0..5 {
                let waits = Arc::new(Waits::default());
                let start = Instant::now();
                let w2 = waits.clone();
                let n = on_own_thread(&rt, move || async move {
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
                        "get_buffer+flush / read_at_most" => {
                            pipe_native(data, options, window, w2).await
                        }
                        _ => {
                            let options = options.max_spin(Duration::ZERO);
                            pipe_native(data, options, window, w2).await
                        }
                    }
                });
                let secs = start.elapsed().as_secs_f64();
                assert_eq!(n, data.len() as u64, "every byte arrives");
                let per_mib = |n: &AtomicU64| n.load(Relaxed) as f64 / mib;
                runs.push((
                    per_mib(&waits.reader.parks),
                    per_mib(&waits.reader.spins),
                    per_mib(&waits.writer.parks),
                    mib / secs,
                ));
            }
            runs.sort_by(|a, b| a.3.total_cmp(&b.3));
            let (rp, rs, wp, t) = runs[runs.len() / 2];
            let name = if form == "duplex" {
                "tokio::io::duplex".to_string()
            } else {
                format!("async pipe {form}")
            };
            println!(
                "{:4} KiB  {name:54} {rp:6.1} {rs:7.1} {wp:6.1}  {t:6.0}",
                window >> 10
            );
        }
    }
    let (parks, spins) = on_own_thread(&rt, || sparse(500));
    println!(
        "a 64 B line every ms, 500 lines: reader parks {parks:.3} and spins {spins:.3} a line"
    );
}
