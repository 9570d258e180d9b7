//! The comparison run behind `cargo xtask bench`: every workload of DESIGN.md's "Benchmarks"
//! with this project, its peers and the limit in the same process. Memory rows come from the
//! `memory` bench (run first by xtask, with a counting allocator this binary does not pay for).
//!
//! Output: the table on stdout, `bench.json` and `bench.svg` in `--out` (default
//! `target/xtask`).

use std::hint::black_box;
use std::io::{BufRead, Read, Write};
use std::time::{Duration, Instant};

use chunkedbuffer_benches::report::{Kind, Report};
use chunkedbuffer_benches::source::Pieces;
use chunkedbuffer_benches::{Args, bulk_frames, lines, measure, mib_per_s, progress};
use futures_util::StreamExt;
use pipe_core::{Pipe, PipeOptions, Pool, UNLIMITED};
use pipe_tokio::ChunkedStream;
use tokio::io::{AsyncBufReadExt, AsyncReadExt};
use tokio_util::codec::{AnyDelimiterCodec, FramedRead, LinesCodec};

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
        progress(&format!("lines/{len}"));
        line_workload(&rt, &mut report, len, total, rounds);
    }
    progress("stream/64");
    stream_workload(&rt, &mut report, total, rounds);
    progress("frames/resp");
    resp_workload(&rt, &mut report, total, rounds);
    progress("frame/8MiB");
    long_frame_workload(&rt, &mut report, rounds);
    progress("pool");
    pool_workload(&mut report, args.quick);
    let loopback_total = if args.quick { 8 << 20 } else { 64 << 20 };
    progress("loopback/64");
    loopback_workload(&mut report, loopback_total, rounds);
    progress("loopback/64 (async-std)");
    loopback_async_std_workload(&mut report, loopback_total, rounds);

    let memory = args.out.join("memory.tsv");
    match std::fs::read_to_string(&memory) {
        Ok(text) => merge_memory_rows(&mut report, &text),
        Err(_) => eprintln!(
            "bench: no {} (run `cargo xtask bench` for the memory rows)",
            memory.display()
        ),
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

fn pipe(max_frame: usize) -> Pipe {
    Pipe::with_options(PipeOptions {
        max_frame,
        ..PipeOptions::default()
    })
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
    let mut scratch = vec![0u8; PIECE];
    let mut ours_ref = || {
        let mut p = pipe(1 << 16);
        let mut n = 0u64;
        for piece in d.chunks(PIECE) {
            p.write_all(piece).expect("open");
            while let Ok(line) = p.read_line_ref(true) {
                black_box(line);
                n += 1;
            }
        }
        n
    };
    let mut ours_batch = || {
        let mut p = pipe(1 << 16);
        let mut n = 0u64;
        for piece in d.chunks(PIECE) {
            p.write_all(piece).expect("open");
            while let Ok(k) = p.read_lines_with(true, |line| {
                black_box(line);
            }) {
                n += k as u64;
            }
        }
        n
    };
    let mut ours_owned = || {
        let mut p = pipe(1 << 16);
        let mut n = 0u64;
        for piece in d.chunks(PIECE) {
            p.write_all(piece).expect("open");
            while let Ok(line) = p.read_line(true) {
                black_box(line);
                n += 1;
            }
        }
        n
    };
    let mut std_bufreader = || {
        let mut r = std::io::BufReader::with_capacity(PIECE, Pieces::new(d, PIECE));
        let mut v = Vec::new();
        let mut n = 0u64;
        while r.read_until(b'\n', &mut v).expect("in memory") > 0 {
            black_box(&v);
            v.clear();
            n += 1;
        }
        n
    };
    let mut tokio_bufreader = || {
        rt.block_on(async {
            let mut r = tokio::io::BufReader::with_capacity(PIECE, Pieces::new(d, PIECE));
            let mut v = Vec::new();
            let mut n = 0u64;
            while r.read_until(b'\n', &mut v).await.expect("in memory") > 0 {
                black_box(&v);
                v.clear();
                n += 1;
            }
            n
        })
    };
    let mut futures_bufreader = || {
        rt.block_on(async {
            use futures_util::AsyncBufReadExt as _;
            let mut r = futures_util::io::BufReader::with_capacity(PIECE, Pieces::new(d, PIECE));
            let mut v = Vec::new();
            let mut n = 0u64;
            while r.read_until(b'\n', &mut v).await.expect("in memory") > 0 {
                black_box(&v);
                v.clear();
                n += 1;
            }
            n
        })
    };
    let mut lines_codec = || {
        rt.block_on(async {
            let mut f = FramedRead::with_capacity(Pieces::new(d, PIECE), LinesCodec::new(), PIECE);
            let mut n = 0u64;
            while let Some(line) = f.next().await {
                black_box(line.expect("utf-8"));
                n += 1;
            }
            n
        })
    };
    let mut any_delimiter = || {
        rt.block_on(async {
            let codec = AnyDelimiterCodec::new(b"\n".to_vec(), b"\n".to_vec());
            let mut f = FramedRead::with_capacity(Pieces::new(d, PIECE), codec, PIECE);
            let mut n = 0u64;
            while let Some(line) = f.next().await {
                black_box(line.expect("in memory"));
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
    let mut impls: Vec<(&str, &mut dyn FnMut() -> u64)> = vec![
        ("memchr + copy", &mut limit),
        ("pipe read_lines_with (zero-alloc, batch)", &mut ours_batch),
        ("pipe read_line_ref (zero-alloc)", &mut ours_ref),
        ("pipe read_line (Bytes)", &mut ours_owned),
        ("std BufReader::read_until", &mut std_bufreader),
        ("tokio BufReader::read_until", &mut tokio_bufreader),
        ("futures BufReader::read_until", &mut futures_bufreader),
        ("FramedRead<LinesCodec>", &mut lines_codec),
        ("FramedRead<AnyDelimiterCodec>", &mut any_delimiter),
    ];
    let times = measure(rounds, &mut impls);
    let workload = format!("lines/{len}");
    for ((name, _), t) in impls.iter().zip(times) {
        report.throughput(&workload, name, kind_of(name), mib_per_s(d.len(), t));
    }
}

/// The limit's search: every `\n` found, one `memchr` pass over the bytes. Each position is
/// handed to `black_box`, as a parser must visit each delimiter (a bare `count()` would let
/// memchr count matches without finding them one by one).
fn visit_each(buf: &[u8]) -> u64 {
    let mut n = 0;
    for i in memchr::memchr_iter(b'\n', buf) {
        black_box(i);
        n += 1;
    }
    n
}

fn kind_of(name: &str) -> Kind {
    if name.starts_with("pipe") || name.starts_with("ChunkedStream") {
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
    let mut scratch = vec![0u8; PIECE];
    let mut tokio_stream = || {
        rt.block_on(async {
            let mut s = ChunkedStream::new(Pieces::new(d, PIECE));
            let mut n = 0u64;
            while let Some(line) = s.read_line(true).await.expect("in memory") {
                black_box(line);
                n += 1;
            }
            n
        })
    };
    let mut async_std_stream = || {
        async_std::task::block_on(async {
            let mut s = pipe_async_std::ChunkedStream::new(Pieces::new(d, PIECE));
            let mut n = 0u64;
            while let Some(line) = s.read_line(true).await.expect("in memory") {
                black_box(line);
                n += 1;
            }
            n
        })
    };
    let mut tokio_batch = || {
        rt.block_on(async {
            let mut s = ChunkedStream::new(Pieces::new(d, PIECE));
            let mut n = 0u64;
            loop {
                let k = s
                    .read_lines_with(true, |l| {
                        black_box(l);
                    })
                    .await
                    .expect("in memory");
                if k == 0 {
                    break n;
                }
                n += k as u64;
            }
        })
    };
    let mut async_std_batch = || {
        async_std::task::block_on(async {
            let mut s = pipe_async_std::ChunkedStream::new(Pieces::new(d, PIECE));
            let mut n = 0u64;
            loop {
                let k = s
                    .read_lines_with(true, |l| {
                        black_box(l);
                    })
                    .await
                    .expect("in memory");
                if k == 0 {
                    break n;
                }
                n += k as u64;
            }
        })
    };
    let mut tokio_bufreader = || {
        rt.block_on(async {
            let mut r = tokio::io::BufReader::with_capacity(PIECE, Pieces::new(d, PIECE));
            let mut v = Vec::new();
            let mut n = 0u64;
            while r.read_until(b'\n', &mut v).await.expect("in memory") > 0 {
                black_box(&v);
                v.clear();
                n += 1;
            }
            n
        })
    };
    let mut futures_bufreader = || {
        async_std::task::block_on(async {
            use futures_util::AsyncBufReadExt as _;
            let mut r = futures_util::io::BufReader::with_capacity(PIECE, Pieces::new(d, PIECE));
            let mut v = Vec::new();
            let mut n = 0u64;
            while r.read_until(b'\n', &mut v).await.expect("in memory") > 0 {
                black_box(&v);
                v.clear();
                n += 1;
            }
            n
        })
    };
    let mut async_std_bufreader = || {
        async_std::task::block_on(async {
            use async_std::io::prelude::BufReadExt as _;
            let mut r = async_std::io::BufReader::with_capacity(PIECE, Pieces::new(d, PIECE));
            let mut v = Vec::new();
            let mut n = 0u64;
            while r.read_until(b'\n', &mut v).await.expect("in memory") > 0 {
                black_box(&v);
                v.clear();
                n += 1;
            }
            n
        })
    };
    let mut lines_codec = || {
        rt.block_on(async {
            let mut f = FramedRead::with_capacity(Pieces::new(d, PIECE), LinesCodec::new(), PIECE);
            let mut n = 0u64;
            while let Some(line) = f.next().await {
                black_box(line.expect("utf-8"));
                n += 1;
            }
            n
        })
    };
    let mut any_delimiter = || {
        rt.block_on(async {
            let codec = AnyDelimiterCodec::new(b"\n".to_vec(), b"\n".to_vec());
            let mut f = FramedRead::with_capacity(Pieces::new(d, PIECE), codec, PIECE);
            let mut n = 0u64;
            while let Some(line) = f.next().await {
                black_box(line.expect("in memory"));
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
    let mut impls: Vec<(&str, &mut dyn FnMut() -> u64)> = vec![
        ("memchr + copy", &mut limit),
        ("ChunkedStream::read_lines_with (tokio)", &mut tokio_batch),
        (
            "ChunkedStream::read_lines_with (async-std)",
            &mut async_std_batch,
        ),
        ("ChunkedStream::read_line (tokio)", &mut tokio_stream),
        (
            "ChunkedStream::read_line (async-std)",
            &mut async_std_stream,
        ),
        ("tokio BufReader::read_until", &mut tokio_bufreader),
        ("futures BufReader::read_until", &mut futures_bufreader),
        ("async-std BufReader::read_until", &mut async_std_bufreader),
        ("FramedRead<LinesCodec>", &mut lines_codec),
        ("FramedRead<AnyDelimiterCodec>", &mut any_delimiter),
    ];
    let times = measure(rounds, &mut impls);
    for ((name, _), t) in impls.iter().zip(times) {
        report.throughput("stream/64", name, kind_of(name), mib_per_s(d.len(), t));
    }
}

fn parse_len(header: &[u8]) -> usize {
    std::str::from_utf8(&header[1..])
        .expect("ascii")
        .trim_end()
        .parse()
        .expect("a length")
}

/// `$N\r\n<N bytes>\r\n` frames, the header with a line read and the body with an exact read.
fn resp_workload(rt: &tokio::runtime::Runtime, report: &mut Report, total: usize, rounds: usize) {
    let (data, _) = bulk_frames(total);
    let d = &data[..];
    let mut scratch = vec![0u8; PIECE];
    let mut ours_ref = || {
        let mut p = pipe(1 << 16);
        let mut n = 0u64;
        let mut body: Option<usize> = None;
        for piece in d.chunks(PIECE) {
            p.write_all(piece).expect("open");
            loop {
                match body {
                    None => match p.read_line_ref(false) {
                        Ok(h) => body = Some(parse_len(h)),
                        Err(_) => break,
                    },
                    Some(len) => match p.read_exact_ref(len + 2) {
                        Ok(b) => {
                            black_box(b);
                            body = None;
                            n += 1;
                        }
                        Err(_) => break,
                    },
                }
            }
        }
        n
    };
    let mut ours_owned = || {
        let mut p = pipe(1 << 16);
        let mut n = 0u64;
        let mut body: Option<usize> = None;
        for piece in d.chunks(PIECE) {
            p.write_all(piece).expect("open");
            loop {
                match body {
                    None => match p.read_line(false) {
                        Ok(h) => body = Some(parse_len(&h)),
                        Err(_) => break,
                    },
                    Some(len) => match p.read_exact(len + 2) {
                        Ok(b) => {
                            black_box(b);
                            body = None;
                            n += 1;
                        }
                        Err(_) => break,
                    },
                }
            }
        }
        n
    };
    let mut std_bufreader = || {
        let mut r = std::io::BufReader::with_capacity(PIECE, Pieces::new(d, PIECE));
        let (mut h, mut b) = (Vec::new(), Vec::new());
        let mut n = 0u64;
        while r.read_until(b'\n', &mut h).expect("in memory") > 0 {
            b.resize(parse_len(&h) + 2, 0);
            r.read_exact(&mut b).expect("whole frames");
            black_box(&b);
            h.clear();
            n += 1;
        }
        n
    };
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
    let mut impls: Vec<(&str, &mut dyn FnMut() -> u64)> = vec![
        ("memchr + copy", &mut limit),
        ("pipe read_line_ref + read_exact_ref", &mut ours_ref),
        ("pipe read_line + read_exact (Bytes)", &mut ours_owned),
        ("std BufReader read_until + read_exact", &mut std_bufreader),
        (
            "tokio BufReader read_until + read_exact",
            &mut tokio_bufreader,
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
    let mut impls: Vec<(&str, &mut dyn FnMut() -> u64)> = vec![
        ("memchr + copy", &mut limit),
        ("pipe read_until, 1 KiB pieces", &mut pieces),
        ("pipe read_until, one 8 MiB write", &mut one_piece),
        (
            "tokio BufReader::read_until, 1 KiB pieces",
            &mut tokio_bufreader,
        ),
        (
            "FramedRead<AnyDelimiterCodec>, 1 KiB pieces",
            &mut any_delimiter,
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

/// 64-byte lines over a loopback TCP connection: a sender thread writes 16 KiB pieces, the
/// receiver reads lines on a current-thread tokio runtime.
fn loopback_workload(report: &mut Report, total: usize, rounds: usize) {
    let data = lines(64, total);
    let expected = (data.len() / 64) as u64;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("loopback");
    let addr = listener.local_addr().expect("an address");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    // One connection per measurement; the sender runs on its own thread.
    let connect = |data: &[u8]| {
        let data = data.to_vec();
        let sender = std::thread::spawn(move || {
            let mut s = std::net::TcpStream::connect(addr).expect("connect");
            for piece in data.chunks(PIECE) {
                s.write_all(piece).expect("send");
            }
        });
        let (socket, _) = listener.accept().expect("accept");
        socket.set_nonblocking(true).expect("non-blocking");
        (socket, sender)
    };
    let run = |which: usize| -> u64 {
        let (socket, sender) = connect(&data);
        let n = rt.block_on(async {
            let socket = tokio::net::TcpStream::from_std(socket).expect("tokio socket");
            let mut n = 0u64;
            match which {
                0 => {
                    let mut s = ChunkedStream::new(socket);
                    while let Some(line) = s.read_line(true).await.expect("read") {
                        black_box(line);
                        n += 1;
                    }
                }
                1 => {
                    let mut r = tokio::io::BufReader::new(socket);
                    let mut v = Vec::new();
                    while r.read_until(b'\n', &mut v).await.expect("read") > 0 {
                        black_box(&v);
                        v.clear();
                        n += 1;
                    }
                }
                2 => {
                    let mut f = FramedRead::new(socket, LinesCodec::new());
                    while let Some(line) = f.next().await {
                        black_box(line.expect("read"));
                        n += 1;
                    }
                }
                4 => {
                    let mut s = ChunkedStream::new(socket);
                    loop {
                        let k = s
                            .read_lines_with(true, |l| {
                                black_box(l);
                            })
                            .await
                            .expect("read");
                        if k == 0 {
                            break;
                        }
                        n += k as u64;
                    }
                }
                _ => {
                    let codec = AnyDelimiterCodec::new(b"\n".to_vec(), b"\n".to_vec());
                    let mut f = FramedRead::new(socket, codec);
                    while let Some(line) = f.next().await {
                        black_box(line.expect("read"));
                        n += 1;
                    }
                }
            }
            n
        });
        sender.join().expect("sender");
        assert_eq!(n, expected);
        n
    };
    let names = [
        "ChunkedStream::read_line (Bytes)",
        "tokio BufReader::read_until",
        "FramedRead<LinesCodec>",
        "FramedRead<AnyDelimiterCodec>",
        "ChunkedStream::read_lines_with (zero-alloc)",
    ];
    // The four readers share the listener, so the rounds are interleaved here rather than by
    // `measure` (same method: one warm-up round, then the median).
    let mut times = vec![Vec::new(); names.len()];
    for round in 0..=rounds {
        for (i, t) in times.iter_mut().enumerate() {
            let start = Instant::now();
            run(i);
            if round > 0 {
                t.push(start.elapsed());
            }
        }
    }
    for (name, mut t) in names.iter().zip(times) {
        t.sort();
        report.throughput(
            "loopback/64",
            name,
            kind_of(name),
            mib_per_s(data.len(), t[t.len() / 2]),
        );
    }
}

/// 64-byte lines over loopback TCP read on async-std: a sender thread writes 16 KiB pieces.
fn loopback_async_std_workload(report: &mut Report, total: usize, rounds: usize) {
    let data = lines(64, total);
    let expected = (data.len() / 64) as u64;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("loopback");
    let addr = listener.local_addr().expect("an address");
    let run = |which: usize| -> u64 {
        let payload = data.clone();
        let sender = std::thread::spawn(move || {
            let mut s = std::net::TcpStream::connect(addr).expect("connect");
            for piece in payload.chunks(PIECE) {
                s.write_all(piece).expect("send");
            }
        });
        let (socket, _) = listener.accept().expect("accept");
        let socket = async_std::net::TcpStream::from(socket);
        let n = async_std::task::block_on(async {
            let mut n = 0u64;
            match which {
                0 => {
                    let mut s = pipe_async_std::ChunkedStream::new(socket);
                    while let Some(line) = s.read_line(true).await.expect("read") {
                        black_box(line);
                        n += 1;
                    }
                }
                3 => {
                    let mut s = pipe_async_std::ChunkedStream::new(socket);
                    loop {
                        let k = s
                            .read_lines_with(true, |l| {
                                black_box(l);
                            })
                            .await
                            .expect("read");
                        if k == 0 {
                            break;
                        }
                        n += k as u64;
                    }
                }
                1 => {
                    use async_std::io::prelude::BufReadExt as _;
                    let mut r = async_std::io::BufReader::new(socket);
                    let mut v = Vec::new();
                    while r.read_until(b'\n', &mut v).await.expect("read") > 0 {
                        black_box(&v);
                        v.clear();
                        n += 1;
                    }
                }
                _ => {
                    use futures_util::AsyncBufReadExt as _;
                    let mut r = futures_util::io::BufReader::new(socket);
                    let mut v = Vec::new();
                    while r.read_until(b'\n', &mut v).await.expect("read") > 0 {
                        black_box(&v);
                        v.clear();
                        n += 1;
                    }
                }
            }
            n
        });
        sender.join().expect("sender");
        assert_eq!(n, expected);
        n
    };
    let names = [
        "ChunkedStream::read_line (async-std)",
        "async-std BufReader::read_until",
        "futures BufReader::read_until",
        "ChunkedStream::read_lines_with (zero-alloc)",
    ];
    let mut times = vec![Vec::new(); names.len()];
    for round in 0..=rounds {
        for (i, t) in times.iter_mut().enumerate() {
            let start = Instant::now();
            run(i);
            if round > 0 {
                t.push(start.elapsed());
            }
        }
    }
    for (name, mut t) in names.iter().zip(times) {
        t.sort();
        report.throughput(
            "loopback/64 (async-std)",
            name,
            kind_of(name),
            mib_per_s(data.len(), t[t.len() / 2]),
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
            "pooled bytes per idle connection",
            value("idle/buffer", "ChunkedStream::read_line"),
            0.0,
            false,
        ),
    ];
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
        out.push_str(&format!("  {what:<58} {shown:>8}  {verdict}\n"));
    }
    out
}

fn merge_memory_rows(report: &mut Report, text: &str) {
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
            "B/conn" => "B/conn",
            _ => "",
        };
        if let Ok(v) = value.parse() {
            report.push(workload, name, kind, v, unit, higher == "true");
        }
    }
}
