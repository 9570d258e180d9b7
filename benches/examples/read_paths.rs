//! One read path over a fixed input, for instruction counts under callgrind (stable on a noisy
//! machine, unlike times): `valgrind --tool=callgrind target/release/examples/read_paths FORM`.
//!
//! FORM: `lines-lent` (`read_line_ref`), `lines-lent-256` (the same with 256 B lines), `lines-owned` (`read_line`), `owned-floor` (the floor of an owned line: `memchr` + `Bytes::split_to`), `frames-lent` (RESP bulk
//! frames with `read_line_ref` + `read_exact_ref`), `frames-owned` (`read_line` +
//! `read_exact`), `frames-std` (those through std's `BufReader`), `fill-empty` and `fill-read` (a fill that finds nothing, one that brings a
//! request), `pool-cycle` (a chunk acquired and dropped), `stream-requests` (a stream whose transport alternates "not ready" and a request),
//! `stream-lines`, `stream-lines-ref`, `stream-lines-bufread` and `stream-lines-bufreader` (64 B
//! lines through a tokio stream's owned `read_line`, its lending `read_line_ref`,
//! `AsyncBufReadExt::read_until` on the stream, and tokio's `BufReader::read_until`), `frame8m` (one 8 MiB frame written
//! at once and read with `read_until`, 20 times), `frame8m-pieces` (the same in 1 KiB pieces), `frame8m-bufreader` (that input through tokio's
//! `BufReader::read_until`). 64-byte lines and RESP frames of
//! 4 MiB in all, fed in 16 KiB writes. The README's "Fast paths" figures come from it.

use chunkedbuffer_benches::peers::{PipeForm, pipe_frames, pipe_lines};
use chunkedbuffer_benches::{bulk_frames, lines};

fn main() {
    let form = std::env::args().nth(1).unwrap_or_default();
    let total = 4 << 20;
    let n = match form.as_str() {
        "lines-lent" => pipe_lines(&lines(64, total), 16 * 1024, PipeForm::Lent),
        "lines-lent-256" => pipe_lines(&lines(256, total), 16 * 1024, PipeForm::Lent),
        "lines-owned" => pipe_lines(&lines(64, total), 16 * 1024, PipeForm::Owned),
        "owned-floor" => chunkedbuffer_benches::peers::owned_floor(&lines(64, total), 16 * 1024),
        "frames-lent" => pipe_frames(&bulk_frames(total).0, 16 * 1024, PipeForm::Lent),
        "frames-owned" => pipe_frames(&bulk_frames(total).0, 16 * 1024, PipeForm::Owned),
        "frames-std" => chunkedbuffer_benches::peers::std_frames(
            chunkedbuffer_benches::source::Pieces::new(&bulk_frames(total).0, 16 * 1024),
            16 * 1024,
        ),
        // A fill that finds nothing, 100,000 times: a chunk lent and given back.
        "fill-empty" => {
            let mut pipe = chunkedbuffer_benches::peers::pipe(1 << 16);
            for _ in 0..100_000 {
                std::hint::black_box(pipe.get_buffer(0).expect("open").len());
                pipe.buffer_written(0).expect("lent");
            }
            100_000
        }
        // A chunk taken from the global pool and given back, 100,000 times (what a server with
        // one request in flight pays per request to hold no chunk while idle).
        "pool-cycle" => {
            let pool = chunk_pool::Pool::global();
            for _ in 0..100_000 {
                std::hint::black_box(pool.acquire(16 * 1024).expect("pooled").len());
            }
            100_000
        }
        // A fill that brings 100 bytes, read at once, 100,000 times (a request a poll).
        "fill-read" => {
            let mut pipe = chunkedbuffer_benches::peers::pipe(1 << 16);
            for _ in 0..100_000 {
                pipe.get_buffer(0).expect("open")[..100].fill(b'x');
                pipe.buffer_written(100).expect("lent");
                std::hint::black_box(pipe.read_exact_ref(100).expect("there").len());
            }
            100_000
        }
        // A stream whose transport alternates "nothing yet" and a 100-byte request, 100,000
        // requests: `fill_more` and a lent read each (a server with one request in flight).
        "stream-requests" => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("a runtime");
            rt.block_on(async {
                let mut s = pipe_tokio::ChunkedStream::new(Alternating {
                    left: 100_000,
                    ready: false,
                });
                let mut n = 0;
                while s.fill_more().await.expect("in memory") > 0 {
                    std::hint::black_box(s.pipe_mut().read_exact_ref(100).expect("whole").len());
                    n += 1;
                }
                n
            })
        }
        // 64-byte lines through a tokio stream's owned `read_line().await`.
        "stream-lines" => tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(chunkedbuffer_benches::peers::tokio_stream_lines(
                chunkedbuffer_benches::source::Pieces::new(&lines(64, total), 16 * 1024),
            )),
        "stream-lines-ref" => tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(chunkedbuffer_benches::peers::tokio_stream_lines_ref(
                chunkedbuffer_benches::source::Pieces::new(&lines(64, total), 16 * 1024),
            )),
        "stream-lines-bufread" => tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(chunkedbuffer_benches::peers::buf_read_until(
                pipe_tokio::ChunkedStream::new(chunkedbuffer_benches::source::Pieces::new(
                    &lines(64, total),
                    16 * 1024,
                )),
            )),
        "stream-lines-bufreader" => tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(chunkedbuffer_benches::peers::tokio_read_until(
                chunkedbuffer_benches::source::Pieces::new(&lines(64, total), 16 * 1024),
                16 * 1024,
            )),
        // Length-prefixed 64 KiB messages through `AsyncReadExt::read_exact` on a tokio stream
        // and on tokio's `BufReader` (the `exact/64KiB` rows).
        "exact-stream" => tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(chunkedbuffer_benches::peers::tokio_read_exact_frames(
                pipe_tokio::ChunkedStream::new(chunkedbuffer_benches::source::Pieces::new(
                    &chunkedbuffer_benches::peers::length_delimited_frames(64 << 10, total),
                    16 * 1024,
                )),
            )),
        "exact-bufreader" => tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(chunkedbuffer_benches::peers::tokio_read_exact_frames(
                tokio::io::BufReader::with_capacity(
                    16 * 1024,
                    chunkedbuffer_benches::source::Pieces::new(
                        &chunkedbuffer_benches::peers::length_delimited_frames(64 << 10, total),
                        16 * 1024,
                    ),
                ),
            )),
        // `AsyncReadExt::read_buf` into a fresh 64 KiB `BytesMut` each time (uninitialised
        // memory) on a tokio stream, 64 B lines as the input.
        "readbuf-stream" => {
            let input = lines(64, total);
            on_tokio(async {
                use tokio::io::AsyncReadExt;
                let mut s = stream_of(&input);
                let mut n = 0;
                loop {
                    let mut buf = bytes::BytesMut::with_capacity(64 << 10);
                    match s.read_buf(&mut buf).await.expect("in memory") {
                        0 => break n,
                        k => n += k as u64,
                    }
                    std::hint::black_box(&buf);
                }
            })
        }
        // A stream's bytes forwarded to a sink with `tokio::io::copy` (8 KiB reads through its
        // own buffer) and with `tokio::io::copy_buf` (the stream's chunks handed to the writer).
        "copy-stream" | "copybuf-stream" => {
            let input = lines(64, total);
            on_tokio(async {
                let mut s = stream_of(&input);
                let mut sink = tokio::io::sink();
                if form == "copy-stream" {
                    tokio::io::copy(&mut s, &mut sink).await.expect("in memory")
                } else {
                    tokio::io::copy_buf(&mut s, &mut sink)
                        .await
                        .expect("in memory")
                }
            })
        }
        // One 8 MiB frame written at once and read with `read_until`, 20 times; or written in
        // 1 KiB pieces with a `read_until` attempt after each, 5 times (the `frame/8MiB` rows).
        "frame8m" | "frame8m-pieces" => {
            let mut data = vec![b'x'; 8 << 20];
            data.extend_from_slice(b"\r\n");
            let (piece, rounds) = if form == "frame8m" {
                (data.len(), 20)
            } else {
                (1024, 5)
            };
            let mut n = 0;
            for _ in 0..rounds {
                let mut p = chunkedbuffer_benches::peers::pipe(pipe_core::UNLIMITED);
                for part in data.chunks(piece) {
                    p.write_all(part).expect("open");
                    if let Ok(frame) = p.read_until(b"\r\n", false) {
                        n += std::hint::black_box(frame).len() as u64;
                    }
                }
            }
            n
        }
        // The `frame8m-pieces` input through tokio's `BufReader::read_until` with a 1 KiB
        // buffer, 5 times (the peer row of `frame/8MiB`).
        "frame8m-bufreader" => {
            use tokio::io::AsyncBufReadExt;
            let mut data = vec![b'x'; 8 << 20];
            data.extend_from_slice(b"\r\n");
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("a runtime");
            let mut n = 0;
            for _ in 0..5 {
                n += rt.block_on(async {
                    let source = chunkedbuffer_benches::source::Pieces::new(&data, 1024);
                    let mut r = tokio::io::BufReader::with_capacity(1024, source);
                    let mut v = Vec::new();
                    r.read_until(b'\n', &mut v).await.expect("in memory");
                    std::hint::black_box(v).len() as u64
                });
            }
            n
        }
        // The inputs alone, to subtract.
        "lines-none" => std::hint::black_box(lines(64, total)).len() as u64,
        "frames-none" => std::hint::black_box(bulk_frames(total).0).len() as u64,
        other => {
            eprintln!("read_paths: unknown form {other:?}");
            std::process::exit(2);
        }
    };
    println!("{form}: {n} frames");
}

/// A transport that is not ready on every other poll (and wakes its task), then has 100 bytes.
struct Alternating {
    left: u64,
    ready: bool,
}

impl tokio::io::AsyncRead for Alternating {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.left == 0 {
            return std::task::Poll::Ready(Ok(()));
        }
        let ready = self.ready;
        self.ready = !ready;
        if !ready {
            cx.waker().wake_by_ref();
            return std::task::Poll::Pending;
        }
        self.left -= 1;
        buf.put_slice(&[b'x'; 100]);
        std::task::Poll::Ready(Ok(()))
    }
}

/// Runs `f` to completion on a current-thread tokio runtime.
fn on_tokio<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
        .block_on(f)
}

/// A tokio stream over `input` in 16 KiB transport reads.
fn stream_of(input: &[u8]) -> pipe_tokio::ChunkedStream<chunkedbuffer_benches::source::Pieces<'_>> {
    pipe_tokio::ChunkedStream::new(chunkedbuffer_benches::source::Pieces::new(input, 16 * 1024))
}
