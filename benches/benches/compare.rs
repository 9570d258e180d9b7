//! The comparison run behind `cargo xtask bench`: every workload of DESIGN.md's "Benchmarks"
//! with this project, its peers and the limit in the same process. Memory rows come from the
//! `memory` bench (run first by xtask, with a counting allocator this binary does not pay for),
//! and the RESP server rows (redis-benchmark, callgrind) from the `resp` bench, run before this
//! one; both are merged from the `.tsv` files they leave in `--out`.
//!
//! Output: the table on stdout, `bench.json` and `bench.svg` in `--out` (default
//! `target/xtask`).

use std::hint::black_box;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use chunkedbuffer_benches::peers::{self, PipeForm, parse_len, pipe, visit_each};
use chunkedbuffer_benches::report::{Kind, Report};
use chunkedbuffer_benches::source::Pieces;
use chunkedbuffer_benches::{Args, Impl, bulk_frames, lines, measure, mib_per_s, progress};
use futures_util::StreamExt;
use pipe_core::{Pool, UNLIMITED};
use tokio::io::{AsyncBufReadExt, AsyncReadExt};
use tokio_util::codec::{AnyDelimiterCodec, FramedRead};

const PIECE: usize = 16 * 1024;

fn main() {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut report = Report::default();
    let rounds = if args.quick { 3 } else { 9 };
    let total = if args.quick { 4 << 20 } else { 32 << 20 };

    for len in [16, 64, 256, 4096] {
        if args.wants(&format!("lines/{len}")) {
            progress(&format!("lines/{len}"));
            line_workload(&rt, &mut report, len, total, rounds);
        }
    }
    if args.wants("stream/64") {
        progress("stream/64");
        stream_workload(&rt, &mut report, total, rounds);
    }
    if args.wants("exact/64KiB") {
        progress("exact/64KiB");
        exact_workload(&rt, &mut report, total, rounds);
    }
    for what in ["framed/lines64", "framed/ld64", "framed/ld4096"] {
        if args.wants(what) {
            progress(what);
            framed_workload(&rt, &mut report, what, total, rounds);
        }
    }
    if args.wants("framedwrite") {
        framed_write_workloads(
            &mut report,
            if args.quick { 16 << 20 } else { 128 << 20 },
            rounds,
        );
    }
    if args.wants("echo") {
        progress("echo/ld64 x64");
        echo_workload(&mut report, if args.quick { 50 } else { 400 }, rounds);
    }
    if args.wants("frames/resp") {
        progress("frames/resp");
        resp_workload(&rt, &mut report, total, rounds);
    }
    if args.wants("frame/8MiB") {
        progress("frame/8MiB");
        long_frame_workload(&rt, &mut report, rounds);
    }
    if args.wants("pool") {
        progress("pool");
        pool_workload(&mut report, args.quick);
    }
    if args.wants("loopback") {
        let loopback_total = if args.quick { 8 << 20 } else { 64 << 20 };
        loopback_workloads(&mut report, loopback_total, rounds);
    }
    if args.wants("inproc") {
        progress("inproc/16KiB");
        inproc_workload(
            &mut report,
            if args.quick { 16 << 20 } else { 128 << 20 },
            rounds,
        );
    }
    if args.wants("redis") {
        progress("redis/GET");
        redis_workload(&mut report, args.quick, rounds);
    }

    for (file, what) in [("memory.tsv", "memory"), ("resp.tsv", "RESP server")] {
        let path = args.out.join(file);
        match std::fs::read_to_string(&path) {
            Ok(text) => merge_rows(&mut report, &text),
            Err(_) => eprintln!(
                "bench: no {} (run `cargo xtask bench` for the {what} rows)",
                path.display()
            ),
        }
    }
    report.group();
    report.compute_ratios();
    print!("{}", report.table());
    print!("{}", targets(&report));
    std::fs::create_dir_all(&args.out).expect("the output directory");
    std::fs::write(args.out.join("bench.json"), report.json()).expect("bench.json");
    std::fs::write(args.out.join("bench.svg"), report.svg()).expect("bench.svg");
    eprintln!(
        "bench: wrote {} and {}",
        args.out.join("bench.json").display(),
        args.out.join("bench.svg").display()
    );
}

/// Lines of `len` bytes fed in 16 KiB writes.
fn line_workload(
    rt: &tokio::runtime::Runtime,
    report: &mut Report,
    len: usize,
    total: usize,
    rounds: usize,
) {
    let data = lines(len, total);
    let d = &data[..];
    let src = || Pieces::new(d, PIECE);
    let mut impls: Vec<Impl> = vec![
        ("memchr + copy", Box::new(|| peers::limit(d, PIECE))),
        (
            "pipe read_lines_with (zero-alloc, batch)",
            Box::new(|| peers::pipe_lines(d, PIECE, PipeForm::Batch)),
        ),
        (
            "pipe read_line_ref (zero-alloc)",
            Box::new(|| peers::pipe_lines(d, PIECE, PipeForm::Lent)),
        ),
        (
            "pipe read_line (Bytes)",
            Box::new(|| peers::pipe_lines(d, PIECE, PipeForm::Owned)),
        ),
        (
            "std BufReader::read_until",
            Box::new(|| peers::std_read_until(src(), PIECE)),
        ),
        (
            "tokio BufReader::read_until",
            Box::new(|| rt.block_on(peers::tokio_read_until(src(), PIECE))),
        ),
        (
            "futures BufReader::read_until",
            Box::new(|| rt.block_on(peers::futures_read_until(src(), PIECE))),
        ),
        (
            "FramedRead<LinesCodec>",
            Box::new(|| rt.block_on(peers::lines_codec(src(), PIECE))),
        ),
        (
            "FramedRead<AnyDelimiterCodec>",
            Box::new(|| rt.block_on(peers::any_delimiter(src(), PIECE))),
        ),
    ];
    let times = measure(rounds, &mut impls);
    let workload = format!("lines/{len}");
    for ((name, _), t) in impls.iter().zip(times) {
        report.throughput(&workload, name, kind_of(name), mib_per_s(d.len(), t));
    }
}

/// Framed reads from an in-memory reader delivering 16 KiB per read: this library's
/// `FramedRead` against tokio-util's with the same framing (64 B lines; length-delimited
/// frames of 64 B and 4 KiB behind a 4-byte big-endian length).
/// Length-prefixed 64 KiB messages read with the runtime's `AsyncReadExt::read_exact` (the
/// header, then the body into a reused `Vec`), on the streams put where a `BufReader` was and on
/// the `BufReader`s themselves (capacity 16 KiB, the transport's read size), in memory: a body
/// read with nothing buffered skips both buffers.
fn exact_workload(rt: &tokio::runtime::Runtime, report: &mut Report, total: usize, rounds: usize) {
    let data = peers::length_delimited_frames(64 << 10, total);
    let d = &data[..];
    let src = || Pieces::new(d, PIECE);
    let mut impls: Vec<Impl> = vec![
        (
            "ChunkedStream as AsyncRead, read_exact (tokio)",
            Box::new(|| {
                rt.block_on(peers::tokio_read_exact_frames(
                    pipe_tokio::ChunkedStream::new(src()),
                ))
            }),
        ),
        (
            "ChunkedStream as AsyncRead, read_exact (async-std)",
            Box::new(|| {
                async_std::task::block_on(peers::futures_read_exact_frames(
                    pipe_async_std::ChunkedStream::new(src()),
                ))
            }),
        ),
        (
            "tokio BufReader, read_exact",
            Box::new(|| {
                rt.block_on(peers::tokio_read_exact_frames(
                    tokio::io::BufReader::with_capacity(PIECE, src()),
                ))
            }),
        ),
        (
            "futures BufReader, read_exact",
            Box::new(|| {
                async_std::task::block_on(peers::futures_read_exact_frames(
                    futures_util::io::BufReader::with_capacity(PIECE, src()),
                ))
            }),
        ),
    ];
    let times = measure(rounds, &mut impls);
    for ((name, _), t) in impls.iter().zip(times) {
        report.throughput("exact/64KiB", name, kind_of(name), mib_per_s(d.len(), t));
    }
}

fn framed_workload(
    rt: &tokio::runtime::Runtime,
    report: &mut Report,
    what: &str,
    total: usize,
    rounds: usize,
) {
    let data = match what {
        "framed/lines64" => lines(64, total),
        "framed/ld64" => peers::length_delimited_frames(64, total),
        _ => peers::length_delimited_frames(4096, total),
    };
    let d = &data[..];
    let src = || Pieces::new(d, PIECE);
    let mut impls: Vec<Impl> = if what == "framed/lines64" {
        vec![
            (
                "ChunkedStream FramedRead<LinesCodec>",
                Box::new(|| rt.block_on(peers::framed_lines_ours(src()))),
            ),
            (
                "FramedRead<LinesCodec>",
                Box::new(|| rt.block_on(peers::lines_codec(src(), PIECE))),
            ),
            (
                "FramedRead<AnyDelimiterCodec>",
                Box::new(|| rt.block_on(peers::any_delimiter(src(), PIECE))),
            ),
        ]
    } else {
        vec![
            (
                "ChunkedStream FramedRead<LengthDelimitedCodec>",
                Box::new(|| rt.block_on(peers::framed_length_delimited_ours(src()))),
            ),
            (
                "FramedRead<LengthDelimitedCodec>",
                Box::new(|| rt.block_on(peers::length_delimited_peer(src(), PIECE))),
            ),
        ]
    };
    let times = measure(rounds, &mut impls);
    for ((name, _), t) in impls.iter().zip(times) {
        report.throughput(what, name, kind_of(name), mib_per_s(d.len(), t));
    }
}

/// `FramedWrite` over loopback TCP, 4-byte big-endian length-delimited, with 64 B messages and
/// with 64 KiB `Bytes` payloads: this library's against tokio-util's, the same `feed` loop. A
/// receiver thread drains the socket; each sender is timed from its accepted connection until
/// every byte has been received. Senders are interleaved round by round, median reported.
fn framed_write_workloads(report: &mut Report, total: usize, rounds: usize) {
    use chunkedbuffer_benches::framing;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    for (workload, len) in [("framedwrite/64", 64usize), ("framedwrite/64KiB", 64 << 10)] {
        progress(workload);
        let msgs = framing::payloads(len, total / (len + 4));
        let wire: u64 = msgs.iter().map(|m| 4 + m.len() as u64).sum();
        let on_tokio = |socket: std::net::TcpStream| {
            socket.set_nonblocking(true).expect("non-blocking");
            tokio::net::TcpStream::from_std(socket).expect("a tokio socket")
        };
        let senders: [(&str, &dyn Fn(std::net::TcpStream) -> u64); 2] = [
            ("ChunkedStream FramedWrite<LengthDelimitedCodec>", &|s| {
                rt.block_on(async { framing::send_ours(on_tokio(s), &msgs).await })
            }),
            ("FramedWrite<LengthDelimitedCodec>", &|s| {
                rt.block_on(async { framing::send_peer(on_tokio(s), &msgs).await })
            }),
        ];
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("loopback");
        let addr = listener.local_addr().expect("an address");
        let mut times = vec![Vec::new(); senders.len()];
        for round in 0..=rounds {
            for ((_, send), t) in senders.iter().zip(times.iter_mut()) {
                let receiver = std::thread::spawn(move || {
                    let mut s = std::net::TcpStream::connect(addr).expect("connect");
                    let mut buf = vec![0u8; 256 << 10];
                    let mut got = 0u64;
                    loop {
                        match s.read(&mut buf).expect("receive") {
                            0 => return got,
                            n => got += n as u64,
                        }
                    }
                });
                let (socket, _) = listener.accept().expect("accept");
                let start = Instant::now();
                let sent = send(socket);
                let got = receiver.join().expect("receiver");
                let elapsed = start.elapsed();
                assert_eq!((sent, got), (wire, wire));
                if round > 0 {
                    t.push(elapsed);
                }
            }
        }
        for ((name, _), mut t) in senders.iter().zip(times) {
            t.sort();
            let median = t[t.len() / 2];
            report.throughput(
                workload,
                name,
                kind_of(name),
                mib_per_s(wire as usize, median),
            );
        }
    }
}

/// A length-delimited echo server over loopback with 64 connections at once (64 B frames, 16
/// in flight per connection): this library's `Framed` against tokio-util's, the same loop (feed
/// each frame back, flush when nothing more is buffered). The clients run on a thread of their
/// own; each server is timed from its first accept until every client has its echoes back.
fn echo_workload(report: &mut Report, batches: usize, rounds: usize) {
    use chunkedbuffer_benches::framing;
    let (conns, depth, len) = (64, 16, 64);
    let servers: [(&str, bool); 2] = [
        ("ChunkedStream Framed<LengthDelimitedCodec>", true),
        ("Framed<LengthDelimitedCodec>", false),
    ];
    let mut times = vec![Vec::new(); servers.len()];
    for round in 0..=rounds {
        for ((_, ours), t) in servers.iter().zip(times.iter_mut()) {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            let listener = rt
                .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
                .expect("loopback");
            let addr = listener.local_addr().expect("an address");
            let clients =
                std::thread::spawn(move || framing::echo_clients(addr, conns, batches, depth, len));
            let ours = *ours;
            let start = Instant::now();
            rt.block_on(async move {
                let mut tasks = Vec::with_capacity(conns);
                for _ in 0..conns {
                    let (socket, _) = listener.accept().await.expect("accept");
                    socket.set_nodelay(true).expect("nodelay");
                    tasks.push(tokio::spawn(async move {
                        if ours {
                            framing::echo_ours(socket).await
                        } else {
                            framing::echo_peer(socket).await
                        }
                    }));
                }
                for task in tasks {
                    task.await.expect("a connection");
                }
            });
            let echoed = clients.join().expect("the clients");
            let elapsed = start.elapsed();
            assert_eq!(echoed, (conns * batches * depth) as u64);
            if round > 0 {
                t.push(elapsed);
            }
        }
    }
    let frames = (conns * batches * depth) as f64;
    for ((name, _), mut t) in servers.iter().zip(times) {
        t.sort();
        let median = t[t.len() / 2];
        report.push(
            "echo/ld64 x64",
            name,
            kind_of(name),
            frames / median.as_secs_f64() / 1e3,
            "kframes/s",
            true,
        );
    }
}

fn kind_of(name: &str) -> Kind {
    let ours = [
        "pipe ",
        "ChunkedStream",
        "async pipe",
        "RESP example",
        "RESP server on ChunkedStream",
    ];
    if ours.iter().any(|prefix| name.starts_with(prefix)) {
        Kind::Ours
    } else if name.starts_with("memchr") {
        Kind::Limit
    } else {
        Kind::Peer
    }
}

/// 64-byte lines from an in-memory reader delivering 16 KiB per read, through the async
/// streams of both adapters and the async peers.
fn stream_workload(rt: &tokio::runtime::Runtime, report: &mut Report, total: usize, rounds: usize) {
    let data = lines(64, total);
    let d = &data[..];
    let src = || Pieces::new(d, PIECE);
    let mut impls: Vec<Impl> = vec![
        ("memchr + copy", Box::new(|| peers::limit(d, PIECE))),
        (
            "memchr + Bytes::split_to (floor of an owned line)",
            Box::new(|| peers::owned_floor(d, PIECE)),
        ),
        (
            "ChunkedStream::read_lines_with (tokio)",
            Box::new(|| rt.block_on(peers::tokio_stream_batch(src()))),
        ),
        (
            "ChunkedStream::read_lines_with (async-std)",
            Box::new(|| async_std::task::block_on(peers::async_std_stream_batch(src()))),
        ),
        (
            "ChunkedStream::read_line (tokio)",
            Box::new(|| rt.block_on(peers::tokio_stream_lines(src()))),
        ),
        (
            "ChunkedStream::read_line_ref (tokio)",
            Box::new(|| rt.block_on(peers::tokio_stream_lines_ref(src()))),
        ),
        (
            "ChunkedStream::read_line_ref (async-std)",
            Box::new(|| async_std::task::block_on(peers::async_std_stream_lines_ref(src()))),
        ),
        (
            "ChunkedStream as AsyncBufRead, read_until (tokio)",
            Box::new(|| rt.block_on(peers::buf_read_until(pipe_tokio::ChunkedStream::new(src())))),
        ),
        (
            "ChunkedStream as AsyncBufRead, read_until (async-std)",
            Box::new(|| {
                async_std::task::block_on(peers::futures_buf_read_until(
                    pipe_async_std::ChunkedStream::new(src()),
                ))
            }),
        ),
        (
            "ChunkedStream pipe_mut().read_line_ref + fill_more (tokio)",
            Box::new(|| rt.block_on(peers::tokio_stream_sync_parse(src()))),
        ),
        (
            "ChunkedStream::read_line (async-std)",
            Box::new(|| async_std::task::block_on(peers::async_std_stream_lines(src()))),
        ),
        (
            "tokio BufReader::read_until",
            Box::new(|| rt.block_on(peers::tokio_read_until(src(), PIECE))),
        ),
        (
            "futures BufReader::read_until",
            Box::new(|| async_std::task::block_on(peers::futures_read_until(src(), PIECE))),
        ),
        (
            "async-std BufReader::read_until",
            Box::new(|| async_std::task::block_on(peers::async_std_read_until(src(), PIECE))),
        ),
        (
            "FramedRead<LinesCodec>",
            Box::new(|| rt.block_on(peers::lines_codec(src(), PIECE))),
        ),
        (
            "FramedRead<AnyDelimiterCodec>",
            Box::new(|| rt.block_on(peers::any_delimiter(src(), PIECE))),
        ),
    ];
    let times = measure(rounds, &mut impls);
    for ((name, _), t) in impls.iter().zip(times) {
        report.throughput("stream/64", name, kind_of(name), mib_per_s(d.len(), t));
    }
}

/// `$N\r\n<N bytes>\r\n` frames, the header with a line read and the body with an exact read.
fn resp_workload(rt: &tokio::runtime::Runtime, report: &mut Report, total: usize, rounds: usize) {
    let (data, _) = bulk_frames(total);
    let d = &data[..];
    let mut scratch = vec![0u8; PIECE];
    let mut ours_ref = || peers::pipe_frames(d, PIECE, PipeForm::Lent);
    let mut ours_owned = || peers::pipe_frames(d, PIECE, PipeForm::Owned);
    let mut std_bufreader = || peers::std_frames(Pieces::new(d, PIECE), PIECE);
    let mut tokio_bufreader = || {
        rt.block_on(async {
            let mut r = tokio::io::BufReader::with_capacity(PIECE, Pieces::new(d, PIECE));
            let (mut h, mut b) = (Vec::new(), Vec::new());
            let mut n = 0u64;
            while r.read_until(b'\n', &mut h).await.expect("in memory") > 0 {
                b.resize(parse_len(&h) + 2, 0);
                r.read_exact(&mut b).await.expect("whole frames");
                black_box(&b);
                h.clear();
                n += 1;
            }
            n
        })
    };
    let mut limit = || {
        let mut n = 0u64;
        for piece in d.chunks(PIECE) {
            let buf = &mut scratch[..piece.len()];
            buf.copy_from_slice(piece);
            n += visit_each(buf);
        }
        n
    };
    let mut impls: Vec<Impl> = vec![
        ("memchr + copy", Box::new(&mut limit)),
        (
            "pipe read_line_ref + read_exact_ref",
            Box::new(&mut ours_ref),
        ),
        (
            "pipe read_line + read_exact (Bytes)",
            Box::new(&mut ours_owned),
        ),
        (
            "std BufReader read_until + read_exact",
            Box::new(&mut std_bufreader),
        ),
        (
            "tokio BufReader read_until + read_exact",
            Box::new(&mut tokio_bufreader),
        ),
    ];
    let times = measure(rounds, &mut impls);
    for ((name, _), t) in impls.iter().zip(times) {
        report.throughput("frames/resp", name, kind_of(name), mib_per_s(d.len(), t));
    }
}

/// One 8 MiB frame arriving in 1 KiB pieces with a read attempt after each piece, against the
/// same frame in one piece: the search must stay linear.
fn long_frame_workload(rt: &tokio::runtime::Runtime, report: &mut Report, rounds: usize) {
    let mut data = vec![b'x'; 8 << 20];
    data.extend_from_slice(b"\r\n");
    let d = &data[..];
    let mut scratch = vec![0u8; 1024];
    let mut pieces = || {
        let mut p = pipe(UNLIMITED);
        let mut n = 0u64;
        for piece in d.chunks(1024) {
            p.write_all(piece).expect("open");
            if let Ok(f) = p.read_until(b"\r\n", false) {
                n += f.len() as u64;
            }
        }
        n
    };
    let mut one_piece = || {
        let mut p = pipe(UNLIMITED);
        p.write_all(d).expect("open");
        p.read_until(b"\r\n", false).expect("whole").len() as u64
    };
    let mut tokio_bufreader = || {
        rt.block_on(async {
            let mut r = tokio::io::BufReader::with_capacity(1024, Pieces::new(d, 1024));
            let mut v = Vec::new();
            r.read_until(b'\n', &mut v).await.expect("in memory");
            v.len() as u64 - 2
        })
    };
    let mut any_delimiter = || {
        rt.block_on(async {
            let codec = AnyDelimiterCodec::new(b"\n".to_vec(), b"\n".to_vec());
            let mut f = FramedRead::with_capacity(Pieces::new(d, 1024), codec, 1024);
            f.next().await.expect("a frame").expect("in memory").len() as u64 - 1
        })
    };
    let mut limit = || {
        let mut n = 0u64;
        for piece in d.chunks(1024) {
            scratch[..piece.len()].copy_from_slice(piece);
            n += visit_each(&scratch[..piece.len()]);
        }
        n
    };
    let mut impls: Vec<Impl> = vec![
        ("memchr + copy", Box::new(&mut limit)),
        ("pipe read_until, 1 KiB pieces", Box::new(&mut pieces)),
        ("pipe read_until, one 8 MiB write", Box::new(&mut one_piece)),
        (
            "tokio BufReader::read_until, 1 KiB pieces",
            Box::new(&mut tokio_bufreader),
        ),
        (
            "FramedRead<AnyDelimiterCodec>, 1 KiB pieces",
            Box::new(&mut any_delimiter),
        ),
    ];
    let times = measure(rounds, &mut impls);
    for ((name, _), t) in impls.iter().zip(times) {
        report.throughput("frame/8MiB", name, kind_of(name), mib_per_s(d.len(), t));
    }
}

/// Pool acquire+release against `vec![0u8; n]`, on one thread and on two at once.
fn pool_workload(report: &mut Report, quick: bool) {
    let iters: u64 = if quick { 200_000 } else { 2_000_000 };
    let pool = Pool::global();
    for size in [4096usize, 16 << 10, 64 << 10] {
        for threads in [1usize, 2] {
            let run = |work: &(dyn Fn() + Sync)| {
                let mut best = Duration::MAX;
                for _ in 0..3 {
                    let start = Instant::now();
                    std::thread::scope(|s| {
                        for _ in 0..threads {
                            s.spawn(|| {
                                for _ in 0..iters {
                                    work();
                                }
                            });
                        }
                    });
                    best = best.min(start.elapsed());
                }
                (iters * threads as u64) as f64 / best.as_secs_f64() / 1e6
            };
            let ours = run(&|| {
                let mut c = pool.acquire(black_box(size)).expect("pooled size");
                black_box(&mut c[..]);
            });
            let peer = run(&|| {
                let mut v = vec![0u8; black_box(size)];
                black_box(&mut v[..]);
            });
            let workload = format!("pool/{}KiB/{threads}t", size >> 10);
            report.push(
                &workload,
                "Vec vec![0; n]",
                Kind::Peer,
                peer,
                "Mops/s",
                true,
            );
            report.push(
                &workload,
                "pool acquire+release",
                Kind::Ours,
                ours,
                "Mops/s",
                true,
            );
        }
    }
}

/// A reader of one loopback connection, returning the lines it saw.
type Reader<'a> = (&'a str, &'a dyn Fn(std::net::TcpStream) -> u64);

/// 64-byte lines over a loopback TCP connection: for each reader a sender thread connects and
/// writes 16 KiB pieces; the readers are interleaved round by round (one warm-up round, then the
/// median), each timed from its accepted connection to the end of the stream.
fn loopback(report: &mut Report, workload: &str, total: usize, rounds: usize, readers: &[Reader]) {
    let data = lines(64, total);
    let expected = (data.len() / 64) as u64;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("loopback");
    let addr = listener.local_addr().expect("an address");
    let mut times = vec![Vec::new(); readers.len()];
    for round in 0..=rounds {
        for ((_, read), t) in readers.iter().zip(times.iter_mut()) {
            let payload = data.clone();
            let sender = std::thread::spawn(move || {
                let mut s = std::net::TcpStream::connect(addr).expect("connect");
                for piece in payload.chunks(PIECE) {
                    s.write_all(piece).expect("send");
                }
            });
            let (socket, _) = listener.accept().expect("accept");
            let start = Instant::now();
            let n = read(socket);
            let elapsed = start.elapsed();
            sender.join().expect("sender");
            assert_eq!(n, expected);
            if round > 0 {
                t.push(elapsed);
            }
        }
    }
    for ((name, _), mut t) in readers.iter().zip(times) {
        t.sort();
        let median = t[t.len() / 2];
        report.throughput(workload, name, kind_of(name), mib_per_s(data.len(), median));
    }
}

/// The loopback rows on tokio (a current-thread runtime) and on async-std.
fn loopback_workloads(report: &mut Report, total: usize, rounds: usize) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let on_tokio = |socket: std::net::TcpStream| {
        socket.set_nonblocking(true).expect("non-blocking");
        tokio::net::TcpStream::from_std(socket).expect("a tokio socket")
    };
    let tokio_readers: [Reader; 7] = [
        ("ChunkedStream::read_line (Bytes)", &|s| {
            rt.block_on(async { peers::tokio_stream_lines(on_tokio(s)).await })
        }),
        ("ChunkedStream as AsyncBufRead, read_until", &|s| {
            rt.block_on(async {
                peers::buf_read_until(pipe_tokio::ChunkedStream::new(on_tokio(s))).await
            })
        }),
        ("ChunkedStream::read_line_ref (lent)", &|s| {
            rt.block_on(async { peers::tokio_stream_lines_ref(on_tokio(s)).await })
        }),
        ("ChunkedStream::read_lines_with (zero-alloc)", &|s| {
            rt.block_on(async { peers::tokio_stream_batch(on_tokio(s)).await })
        }),
        ("tokio BufReader::read_until", &|s| {
            rt.block_on(async { peers::tokio_read_until(on_tokio(s), 8192).await })
        }),
        ("FramedRead<LinesCodec>", &|s| {
            rt.block_on(async { peers::lines_codec(on_tokio(s), 8192).await })
        }),
        ("FramedRead<AnyDelimiterCodec>", &|s| {
            rt.block_on(async { peers::any_delimiter(on_tokio(s), 8192).await })
        }),
    ];
    progress("loopback/64");
    loopback(report, "loopback/64", total, rounds, &tokio_readers);
    let on_async_std = async_std::net::TcpStream::from;
    let async_std_readers: [Reader; 6] = [
        ("ChunkedStream::read_line (async-std)", &|s| {
            async_std::task::block_on(peers::async_std_stream_lines(on_async_std(s)))
        }),
        (
            "ChunkedStream as AsyncBufRead, read_until (async-std)",
            &|s| {
                async_std::task::block_on(peers::futures_buf_read_until(
                    pipe_async_std::ChunkedStream::new(on_async_std(s)),
                ))
            },
        ),
        ("ChunkedStream::read_line_ref (async-std)", &|s| {
            async_std::task::block_on(peers::async_std_stream_lines_ref(on_async_std(s)))
        }),
        ("ChunkedStream::read_lines_with (zero-alloc)", &|s| {
            async_std::task::block_on(peers::async_std_stream_batch(on_async_std(s)))
        }),
        ("async-std BufReader::read_until", &|s| {
            async_std::task::block_on(peers::async_std_read_until(on_async_std(s), 8192))
        }),
        ("futures BufReader::read_until", &|s| {
            async_std::task::block_on(peers::futures_read_until(on_async_std(s), 8192))
        }),
    ];
    progress("loopback/64 (async-std)");
    loopback(
        report,
        "loopback/64 (async-std)",
        total,
        rounds,
        &async_std_readers,
    );
}

/// Bytes between two tasks in one process (the async pipe, `tokio::io::duplex`, `piper`), on a
/// two-worker runtime: `total` bytes in 16 KiB writes, each transfer's reader on a thread of
/// its own (`inproc::on_own_thread`).
fn inproc_workload(report: &mut Report, total: usize, rounds: usize) {
    use chunkedbuffer_benches::inproc;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let data: &'static [u8] = Vec::leak(lines(64, total));
    let mut impls: Vec<Impl> = vec![
        (
            "async pipe get_buffer+flush / read_at_most (Bytes)",
            Box::new(|| inproc::on_own_thread(&rt, || inproc::pipe_native(data, PIECE))),
        ),
        (
            "async pipe AsyncWrite / AsyncRead",
            Box::new(|| inproc::on_own_thread(&rt, || inproc::pipe_io(data, PIECE))),
        ),
        (
            "tokio::io::duplex(64 KiB)",
            Box::new(|| inproc::on_own_thread(&rt, || inproc::duplex(data, PIECE))),
        ),
        (
            "piper::pipe(64 KiB)",
            Box::new(|| inproc::on_own_thread(&rt, || inproc::piper(data, PIECE))),
        ),
    ];
    let times = measure(rounds, &mut impls);
    for ((name, _), time) in impls.iter().zip(times) {
        report.throughput(
            "inproc/16KiB",
            name,
            kind_of(name),
            mib_per_s(data.len(), time),
        );
    }
}

/// Pipelined GETs (100 per write, 64-byte values) against one real redis-server: the RESP
/// example client against the same client on tokio's `BufReader`. Skipped, and said so, when
/// no redis-server can be found or installed.
fn redis_workload(report: &mut Report, quick: bool, rounds: usize) {
    use chunkedbuffer_benches::redis;
    let server = match pipe_testkit::redis::RedisServer::start(&[]) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("bench: no redis rows: {e}");
            return;
        }
    };
    let addr = server.addr();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let stream = pipe_tokio::ChunkedStream::connect(addr)
            .await
            .expect("connect");
        let mut client = pipe_testkit::resp::Client::new(stream);
        client
            .command(&[b"SET", redis::KEY, &[b'v'; 64]])
            .await
            .expect("SET");
    });
    let (batches, depth) = (if quick { 200 } else { 2_000 }, 100);
    let mut impls: Vec<Impl> = vec![
        (
            "RESP example client (read_line + read_exact)",
            Box::new(|| rt.block_on(redis::ours(addr, batches, depth))),
        ),
        (
            "tokio BufReader client (read_until + read_exact)",
            Box::new(|| rt.block_on(redis::bufreader(addr, batches, depth))),
        ),
    ];
    let times = measure(rounds, &mut impls);
    for ((name, _), time) in impls.iter().zip(times) {
        let gets = (batches * depth) as f64 / time.as_secs_f64();
        report.push(
            "redis/GET x100",
            name,
            kind_of(name),
            gets / 1e3,
            "kGET/s",
            true,
        );
    }
}

/// The targets the project set itself (issue "cargo xtask bench"), each with what this run
/// measured and whether it is met. A miss is printed, not hidden.
fn targets(report: &Report) -> String {
    let value = |workload: &str, implementation: &str| {
        report
            .rows
            .iter()
            .find(|r| r.workload == workload && r.implementation == implementation)
            .map(|r| r.value)
    };
    let ratio = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| a / b);
    let zero_alloc = value("lines/64", "pipe read_lines_with (zero-alloc, batch)");
    let checks = [
        (
            "64 B lines, zero-alloc form vs tokio BufReader::read_until",
            ratio(zero_alloc, value("lines/64", "tokio BufReader::read_until")),
            1.3,
            true,
        ),
        (
            "64 B lines, zero-alloc form vs the limit",
            ratio(zero_alloc, value("lines/64", "memchr + copy")),
            0.7,
            true,
        ),
        (
            "64 B lines, owned Bytes form vs FramedRead<LinesCodec>",
            ratio(
                value("lines/64", "pipe read_line (Bytes)"),
                value("lines/64", "FramedRead<LinesCodec>"),
            ),
            2.0,
            true,
        ),
        (
            "8 MiB frame: one write vs 1 KiB pieces (slowdown)",
            ratio(
                value("frame/8MiB", "pipe read_until, one 8 MiB write"),
                value("frame/8MiB", "pipe read_until, 1 KiB pieces"),
            ),
            3.0,
            false,
        ),
        (
            "allocations per MiB, zero-alloc form",
            value("allocs/lines64", "pipe read_lines_with (zero-alloc, batch)"),
            0.0,
            false,
        ),
        (
            "allocations per MiB, owned form (per 16 KiB chunk: 64)",
            value("allocs/lines64", "pipe read_line (Bytes)"),
            64.0,
            false,
        ),
        (
            "framed 64 B lines vs tokio-util's best (LinesCodec/AnyDelim.)",
            ratio(
                value("framed/lines64", "ChunkedStream FramedRead<LinesCodec>"),
                value("framed/lines64", "FramedRead<LinesCodec>")
                    .zip(value("framed/lines64", "FramedRead<AnyDelimiterCodec>"))
                    .map(|(a, b)| a.max(b)),
            ),
            1.3,
            true,
        ),
        (
            "framed length-delimited 64 B vs tokio-util FramedRead",
            ratio(
                value(
                    "framed/ld64",
                    "ChunkedStream FramedRead<LengthDelimitedCodec>",
                ),
                value("framed/ld64", "FramedRead<LengthDelimitedCodec>"),
            ),
            1.2,
            true,
        ),
        (
            "framed length-delimited 4 KiB vs tokio-util FramedRead",
            ratio(
                value(
                    "framed/ld4096",
                    "ChunkedStream FramedRead<LengthDelimitedCodec>",
                ),
                value("framed/ld4096", "FramedRead<LengthDelimitedCodec>"),
            ),
            1.2,
            true,
        ),
        (
            "FramedWrite 64 B messages, loopback, vs tokio-util",
            ratio(
                value(
                    "framedwrite/64",
                    "ChunkedStream FramedWrite<LengthDelimitedCodec>",
                ),
                value("framedwrite/64", "FramedWrite<LengthDelimitedCodec>"),
            ),
            1.2,
            true,
        ),
        (
            "FramedWrite 64 KiB payloads, loopback, vs tokio-util",
            ratio(
                value(
                    "framedwrite/64KiB",
                    "ChunkedStream FramedWrite<LengthDelimitedCodec>",
                ),
                value("framedwrite/64KiB", "FramedWrite<LengthDelimitedCodec>"),
            ),
            1.2,
            true,
        ),
        (
            "FramedWrite 64 KiB payloads: copies of each byte",
            value(
                "copies/framedwrite 64KiB",
                "ChunkedStream FramedWrite<LengthDelimitedCodec>",
            ),
            0.0,
            false,
        ),
        (
            "length-delimited echo, 64 connections, vs tokio-util Framed",
            ratio(
                value(
                    "echo/ld64 x64",
                    "ChunkedStream Framed<LengthDelimitedCodec>",
                ),
                value("echo/ld64 x64", "Framed<LengthDelimitedCodec>"),
            ),
            1.1,
            true,
        ),
        (
            "allocations per decoded 64 B frame (1 per 16 KiB chunk)",
            value(
                "allocs/framed ld64",
                "ChunkedStream FramedRead<LengthDelimitedCodec>",
            ),
            0.01,
            false,
        ),
        (
            "pooled bytes per idle connection",
            value("idle/buffer", "ChunkedStream::read_line"),
            0.0,
            false,
        ),
        // The issue "fast by default": the forms people write first.
        (
            "64 B lines, one read_line_ref a line vs tokio BufReader",
            ratio(
                value("lines/64", "pipe read_line_ref (zero-alloc)"),
                value("lines/64", "tokio BufReader::read_until"),
            ),
            1.2,
            true,
        ),
        (
            "RESP frames, lending reads vs std BufReader",
            ratio(
                value("frames/resp", "pipe read_line_ref + read_exact_ref"),
                value("frames/resp", "std BufReader read_until + read_exact"),
            ),
            1.2,
            true,
        ),
        (
            "stream, owned read_line().await vs tokio BufReader",
            ratio(
                value("stream/64", "ChunkedStream::read_line (tokio)"),
                value("stream/64", "tokio BufReader::read_until"),
            ),
            1.0,
            true,
        ),
        (
            "stream, owned read_line().await vs its floor (Bytes a line)",
            ratio(
                value("stream/64", "ChunkedStream::read_line (tokio)"),
                value(
                    "stream/64",
                    "memchr + Bytes::split_to (floor of an owned line)",
                ),
            ),
            0.7,
            true,
        ),
        (
            "stream, owned read_line().await vs FramedRead<LinesCodec>",
            ratio(
                value("stream/64", "ChunkedStream::read_line (tokio)"),
                value("stream/64", "FramedRead<LinesCodec>"),
            ),
            1.5,
            true,
        ),
        (
            "stream, lent read_line_ref().await vs tokio BufReader",
            ratio(
                value("stream/64", "ChunkedStream::read_line_ref (tokio)"),
                value("stream/64", "tokio BufReader::read_until"),
            ),
            1.0,
            true,
        ),
        (
            "stream, AsyncBufReadExt::read_until on it vs on tokio BufReader",
            ratio(
                value(
                    "stream/64",
                    "ChunkedStream as AsyncBufRead, read_until (tokio)",
                ),
                value("stream/64", "tokio BufReader::read_until"),
            ),
            1.0,
            true,
        ),
        (
            "stream, 64 KiB read_exact through AsyncRead vs tokio BufReader",
            ratio(
                value(
                    "exact/64KiB",
                    "ChunkedStream as AsyncRead, read_exact (tokio)",
                ),
                value("exact/64KiB", "tokio BufReader, read_exact"),
            ),
            1.0,
            true,
        ),
        (
            "loopback, AsyncBufReadExt::read_until on it vs on tokio BufReader",
            ratio(
                value("loopback/64", "ChunkedStream as AsyncBufRead, read_until"),
                value("loopback/64", "tokio BufReader::read_until"),
            ),
            1.0,
            true,
        ),
        (
            "loopback, owned read_line().await vs tokio BufReader",
            ratio(
                value("loopback/64", "ChunkedStream::read_line (Bytes)"),
                value("loopback/64", "tokio BufReader::read_until"),
            ),
            1.0,
            true,
        ),
        (
            "loopback, lent read_line_ref().await vs tokio BufReader",
            ratio(
                value("loopback/64", "ChunkedStream::read_line_ref (lent)"),
                value("loopback/64", "tokio BufReader::read_until"),
            ),
            1.0,
            true,
        ),
        (
            "8 MiB frame, 1 KiB pieces, vs tokio BufReader",
            ratio(
                value("frame/8MiB", "pipe read_until, 1 KiB pieces"),
                value("frame/8MiB", "tokio BufReader::read_until, 1 KiB pieces"),
            ),
            1.0,
            true,
        ),
        (
            "8 MiB frame, one write, vs tokio BufReader",
            ratio(
                value("frame/8MiB", "pipe read_until, one 8 MiB write"),
                value("frame/8MiB", "tokio BufReader::read_until, 1 KiB pieces"),
            ),
            1.0,
            true,
        ),
        (
            "in-process, get_buffer+flush vs tokio::io::duplex",
            ratio(
                value(
                    "inproc/16KiB",
                    "async pipe get_buffer+flush / read_at_most (Bytes)",
                ),
                value("inproc/16KiB", "tokio::io::duplex(64 KiB)"),
            ),
            1.3,
            true,
        ),
    ];
    let mut checks: Vec<(String, Option<f64>, f64, bool)> = checks
        .into_iter()
        .map(|(what, measured, bound, at_least)| (what.to_string(), measured, bound, at_least))
        .collect();
    // The RESP example server (the `resp` bench): ours against the same server on tokio's
    // BufReader.
    let resp = |workload: &str| {
        (
            value(workload, "RESP server on ChunkedStream"),
            value(workload, "RESP server on tokio BufReader"),
        )
    };
    for case in [
        "SET+GET -c10 -P1 -d64",
        "SET+GET -c10 -P16 -d64",
        "SET -c10 -P1 -d16384",
        "SET -c10 -P16 -d16384",
    ] {
        let (ours, bufreader) = resp(&format!("instr/{case}"));
        checks.push((
            format!("RESP instr/req, ours / BufReader's, {case}"),
            ratio(ours, bufreader),
            1.0,
            false,
        ));
    }
    for case in ["SET -c50 -P16 -d64", "GET -c50 -P1 -d64"] {
        let (ours, bufreader) = resp(&format!("resp-cpu/{case}"));
        checks.push((
            format!("RESP CPU/req, ours / BufReader's, {case}"),
            ratio(ours, bufreader),
            0.9,
            false,
        ));
    }
    let (ours, bufreader) = resp("resp-rss/1000 conns -d64");
    checks.push((
        "RESP RSS/conn at 1000 conns -d64, BufReader's / ours".to_string(),
        ratio(bufreader, ours),
        3.0,
        true,
    ));
    let mut out = String::from("\ntargets\n");
    for (what, measured, bound, at_least) in checks {
        let (verdict, shown) = match measured {
            None => ("NOT MEASURED".to_string(), "-".to_string()),
            Some(m) => {
                let met = if at_least { m >= bound } else { m <= bound };
                let sign = if at_least { ">=" } else { "<=" };
                (
                    format!(
                        "{} (target {sign} {bound})",
                        if met { "met" } else { "MISSED" }
                    ),
                    format!("{m:.2}"),
                )
            }
        };
        out.push_str(&format!("  {what:<62} {shown:>8}  {verdict}\n"));
    }
    out
}

/// Rows another bench binary measured (`memory.tsv`, `resp.tsv`): workload, implementation,
/// kind, value, unit, whether higher is better; tab-separated, one a line.
fn merge_rows(report: &mut Report, text: &str) {
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let [workload, name, kind, value, unit, higher] = f[..] else {
            continue;
        };
        let kind = match kind {
            "ours" => Kind::Ours,
            "limit" => Kind::Limit,
            _ => Kind::Peer,
        };
        let unit: &'static str = match unit {
            "allocs/MiB" => "allocs/MiB",
            "allocs/frame" => "allocs/frame",
            "copies/byte" => "copies/byte",
            "B/conn" => "B/conn",
            "kreq/s" => "kreq/s",
            "us CPU/req" => "us CPU/req",
            "KiB/conn" => "KiB/conn",
            "instr/req" => "instr/req",
            _ => "",
        };
        if let Ok(v) = value.parse() {
            report.push(workload, name, kind, v, unit, higher == "true");
        }
    }
}
