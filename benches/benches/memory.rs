//! Memory rows for `cargo xtask bench`, measured with a counting global allocator (which is why
//! they run in their own binary: the counting would slow the throughput rows).
//!
//! - `allocs/lines64`: heap allocations per MiB of 64-byte lines fed in 16 KiB writes, in steady
//!   state (the difference between runs over 8 MiB and 4 MiB, so set-up costs cancel).
//! - `idle/*`: connections on loopback, each parked in a line read with nothing buffered: buffer
//!   bytes, heap bytes and RSS per connection, this stream against tokio's `BufReader`.
//!
//! Writes `memory.tsv` in `--out` for the `compare` bench to merge into its table.

use std::alloc::System;
use std::time::Duration;

use chunkedbuffer_benches::peers::{self, PipeForm};
use chunkedbuffer_benches::source::Pieces;
use chunkedbuffer_benches::{Args, lines, progress};
use pipe_core::{PipeOptions, Pool, PoolConfig};
use pipe_tokio::ChunkedStream;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use tokio::io::AsyncBufReadExt;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const PIECE: usize = 16 * 1024;

struct Row {
    workload: &'static str,
    name: &'static str,
    kind: &'static str,
    value: f64,
    unit: &'static str,
}

fn allocations() -> u64 {
    let s = INSTRUMENTED_SYSTEM.stats();
    (s.allocations + s.reallocations) as u64
}

fn live_heap() -> i64 {
    let s = INSTRUMENTED_SYSTEM.stats();
    s.bytes_allocated as i64 - s.bytes_deallocated as i64 + s.bytes_reallocated as i64
}

fn rss() -> i64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: i64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn main() {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut rows = Vec::new();
    progress("allocs/lines64");
    allocation_rows(&rt, &mut rows);
    progress("allocs/framed");
    framed_rows(&rt, &mut rows);
    let conns = if args.quick { 500 } else { 4000 };
    progress(&format!("idle connections ({conns})"));
    idle_rows(&rt, &mut rows, conns);

    let mut tsv = String::new();
    for r in &rows {
        tsv.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\tfalse\n",
            r.workload, r.name, r.kind, r.value, r.unit
        ));
        eprintln!(
            "  {:<16} {:<36} {:>10.3} {}",
            r.workload, r.name, r.value, r.unit
        );
    }
    std::fs::create_dir_all(&args.out).expect("the output directory");
    std::fs::write(args.out.join("memory.tsv"), tsv).expect("memory.tsv");
}

/// Allocations per input byte in steady state: `f` over `small` once to warm pools and
/// caches, then over `small` and over `large`, differenced so that set-up costs cancel.
fn steady_allocations(small: &[u8], large: &[u8], f: &mut dyn FnMut(&[u8])) -> f64 {
    f(small);
    let a = allocations();
    f(small);
    let b = allocations();
    f(large);
    let c = allocations();
    ((c - b) as f64 - (b - a) as f64).max(0.0) / (large.len() - small.len()) as f64
}

/// Allocations per MiB in steady state: runs over 8 MiB and 4 MiB, differenced.
fn allocation_rows(rt: &tokio::runtime::Runtime, rows: &mut Vec<Row>) {
    let small = lines(64, 4 << 20);
    let large = lines(64, 8 << 20);
    let per_mib =
        |f: &mut dyn FnMut(&[u8])| steady_allocations(&small, &large, f) * (1 << 20) as f64;
    let measured: Vec<(&'static str, &'static str, f64)> = vec![
        (
            "pipe read_line_ref (zero-alloc)",
            "ours",
            per_mib(&mut |d| {
                peers::pipe_lines(d, PIECE, PipeForm::Lent);
            }),
        ),
        (
            "pipe read_lines_with (zero-alloc, batch)",
            "ours",
            per_mib(&mut |d| {
                peers::pipe_lines(d, PIECE, PipeForm::Batch);
            }),
        ),
        (
            "pipe read_line (Bytes)",
            "ours",
            per_mib(&mut |d| {
                peers::pipe_lines(d, PIECE, PipeForm::Owned);
            }),
        ),
        (
            "std BufReader::read_until",
            "peer",
            per_mib(&mut |d| {
                peers::std_read_until(Pieces::new(d, PIECE), PIECE);
            }),
        ),
        (
            "tokio BufReader::read_until",
            "peer",
            per_mib(&mut |d| {
                rt.block_on(peers::tokio_read_until(Pieces::new(d, PIECE), PIECE));
            }),
        ),
        (
            "FramedRead<LinesCodec>",
            "peer",
            per_mib(&mut |d| {
                rt.block_on(peers::lines_codec(Pieces::new(d, PIECE), PIECE));
            }),
        ),
        (
            "FramedRead<AnyDelimiterCodec>",
            "peer",
            per_mib(&mut |d| {
                rt.block_on(peers::any_delimiter(Pieces::new(d, PIECE), PIECE));
            }),
        ),
    ];
    for (name, kind, value) in measured {
        rows.push(Row {
            workload: "allocs/lines64",
            name,
            kind,
            value,
            unit: "allocs/MiB",
        });
    }
}

/// Heap allocations per decoded frame in steady state (the difference between runs over 8 MiB
/// and 4 MiB, as above), this library's `FramedRead` against tokio-util's with the same codec;
/// and how many times each payload byte of a 64 KiB message is copied on its way to the
/// transport through each `FramedWrite` (measured: a transport that checks where the bytes it
/// is handed lie).
fn framed_rows(rt: &tokio::runtime::Runtime, rows: &mut Vec<Row>) {
    use chunkedbuffer_benches::framing;
    let per_frame = |make: &dyn Fn(usize) -> Vec<u8>, frame: usize, f: &mut dyn FnMut(&[u8])| {
        steady_allocations(&make(4 << 20), &make(8 << 20), f) * frame as f64
    };
    let ld = |total| peers::length_delimited_frames(64, total);
    let text = |total| lines(64, total);
    let measured: Vec<(&'static str, &'static str, &'static str, f64)> = vec![
        (
            "allocs/framed ld64",
            "ChunkedStream FramedRead<LengthDelimitedCodec>",
            "ours",
            per_frame(&ld, 68, &mut |d| {
                rt.block_on(peers::framed_length_delimited_ours(Pieces::new(d, PIECE)));
            }),
        ),
        (
            "allocs/framed ld64",
            "FramedRead<LengthDelimitedCodec>",
            "peer",
            per_frame(&ld, 68, &mut |d| {
                rt.block_on(peers::length_delimited_peer(Pieces::new(d, PIECE), PIECE));
            }),
        ),
        (
            "allocs/framed lines64",
            "ChunkedStream FramedRead<LinesCodec>",
            "ours",
            per_frame(&text, 64, &mut |d| {
                rt.block_on(peers::framed_lines_ours(Pieces::new(d, PIECE)));
            }),
        ),
        (
            "allocs/framed lines64",
            "FramedRead<LinesCodec>",
            "peer",
            per_frame(&text, 64, &mut |d| {
                rt.block_on(peers::lines_codec(Pieces::new(d, PIECE), PIECE));
            }),
        ),
    ];
    for (workload, name, kind, value) in measured {
        rows.push(Row {
            workload,
            name,
            kind,
            value,
            unit: "allocs/frame",
        });
    }
    let msgs = framing::payloads(64 << 10, 64);
    let (ours, peer) = framing::payload_copies(rt, &msgs);
    for (name, kind, value) in [
        (
            "ChunkedStream FramedWrite<LengthDelimitedCodec>",
            "ours",
            ours,
        ),
        ("FramedWrite<LengthDelimitedCodec>", "peer", peer),
    ] {
        rows.push(Row {
            workload: "copies/framedwrite 64KiB",
            name,
            kind,
            value,
            unit: "copies/byte",
        });
    }
}

/// `conns` loopback connections, each with a task parked in a line read.
fn idle_rows(rt: &tokio::runtime::Runtime, rows: &mut Vec<Row>, conns: usize) {
    for ours in [true, false] {
        let pool = Pool::new(PoolConfig::default()).expect("default config");
        let (buffer, heap, resident) = rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("loopback");
            let addr = listener.local_addr().expect("an address");
            let (heap0, rss0) = (live_heap(), rss());
            let mut clients = Vec::with_capacity(conns);
            let mut readers = Vec::with_capacity(conns);
            let mut buffers = 0usize;
            for _ in 0..conns {
                let (client, accepted) =
                    tokio::join!(tokio::net::TcpStream::connect(addr), listener.accept());
                clients.push(client.expect("connect"));
                let socket = accepted.expect("accept").0;
                if ours {
                    let options = PipeOptions::new().pool(pool.clone());
                    let mut s = ChunkedStream::with_options(socket, options);
                    readers.push(tokio::spawn(async move {
                        let _ = s.read_line(true).await;
                    }));
                } else {
                    // `BufReader::new` allocates 8 KiB; say so explicitly to count it.
                    let mut r = tokio::io::BufReader::with_capacity(8192, socket);
                    buffers += 8192;
                    readers.push(tokio::spawn(async move {
                        let mut v = Vec::new();
                        let _ = r.read_until(b'\n', &mut v).await;
                    }));
                }
            }
            // Let every reader run until it parks.
            tokio::time::sleep(Duration::from_millis(300)).await;
            if ours {
                buffers = pool.stats().outstanding_bytes as usize;
            }
            let measured = (buffers, live_heap() - heap0, rss() - rss0);
            drop(clients);
            for r in readers {
                let _ = r.await;
            }
            measured
        });
        let (name, kind) = if ours {
            ("ChunkedStream::read_line", "ours")
        } else {
            ("tokio BufReader::read_until", "peer")
        };
        let per = |x: i64| x as f64 / conns as f64;
        for (workload, value) in [
            ("idle/buffer", per(buffer as i64)),
            ("idle/heap", per(heap)),
            ("idle/rss", per(resident)),
        ] {
            rows.push(Row {
                workload,
                name,
                kind,
                value,
                unit: "B/conn",
            });
        }
    }
}
