//! The benchmark harness behind `cargo xtask bench`: data generators, an in-memory source that
//! delivers fixed-size pieces to every peer alike, the timing loop, and the report (table, JSON,
//! SVG).
//!
//! Methodology: every implementation of a workload runs in the same process, interleaved round
//! by round (so a noisy moment hits all of them), after one warm-up round; a row reports the
//! median of the rounds. Ratios between rows are what to read: absolute times move with the
//! machine.

pub mod framing;
pub mod inproc;
pub mod peers;
pub mod redis;
pub mod report;
pub mod resp_load;
pub mod resp_server;
pub mod source;

use std::time::{Duration, Instant};

/// Lines of exactly `len` bytes (`\n` included) filling about `total` bytes.
pub fn lines(len: usize, total: usize) -> Vec<u8> {
    let count = (total / len).max(1);
    let mut out = Vec::with_capacity(count * len);
    for i in 0..count {
        let start = out.len();
        out.extend((0..len - 1).map(|j| b'a' + ((i + j) % 26) as u8));
        out.push(b'\n');
        debug_assert_eq!(out.len() - start, len);
    }
    out
}

/// RESP-like bulk frames `$N\r\n<N bytes>\r\n` with N cycling through 16..=256; returns the
/// stream and the number of frames.
pub fn bulk_frames(total: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(total + 64);
    let mut count = 0;
    while out.len() < total {
        let n = 16 + (count * 37) % 241;
        out.extend_from_slice(format!("${n}\r\n").as_bytes());
        out.extend((0..n).map(|j| b'A' + (j % 26) as u8));
        out.extend_from_slice(b"\r\n");
        count += 1;
    }
    (out, count)
}

/// One implementation of a workload: its name and a run that returns a checksum.
pub type Impl<'a> = (&'a str, Box<dyn FnMut() -> u64 + 'a>);

/// Runs each implementation `rounds` times, round-robin after a warm-up round, and returns the
/// median duration of each. Each closure returns a checksum (frames seen) that must not change
/// between rounds: a wrong implementation fails the run instead of reporting a number.
pub fn measure(rounds: usize, impls: &mut [Impl<'_>]) -> Vec<Duration> {
    let expected: Vec<u64> = impls.iter_mut().map(|(_, f)| f()).collect();
    let mut times = vec![Vec::with_capacity(rounds); impls.len()];
    for _ in 0..rounds {
        for (i, (name, f)) in impls.iter_mut().enumerate() {
            let start = Instant::now();
            let check = std::hint::black_box(f());
            times[i].push(start.elapsed());
            assert_eq!(
                check, expected[i],
                "{name} changed its result between rounds"
            );
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort();
            t[t.len() / 2]
        })
        .collect()
}

/// MiB per second for `bytes` in `time`.
pub fn mib_per_s(bytes: usize, time: Duration) -> f64 {
    bytes as f64 / (1 << 20) as f64 / time.as_secs_f64()
}

/// Command-line options shared by the bench binaries: `--quick` and `--out DIR`; anything else
/// (such as the `--bench` cargo passes) is ignored.
#[derive(Clone, Debug)]
pub struct Args {
    /// Smaller inputs and fewer rounds, for smoke runs.
    pub quick: bool,
    /// Where results go (`target/xtask` by default).
    pub out: std::path::PathBuf,
    /// `--only PREFIX`: run only the workloads whose name starts with it (for investigating one
    /// row; the JSON then holds only those).
    pub only: Option<String>,
}

impl Args {
    /// Whether the workload `name` is to run (see `only`).
    pub fn wants(&self, name: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|prefix| name.starts_with(prefix.as_str()))
    }

    /// Parses the process arguments.
    pub fn parse() -> Args {
        let mut args = Args {
            quick: false,
            out: std::path::PathBuf::from("target/xtask"),
            only: None,
        };
        let mut it = std::env::args().skip(1);
        while let Some(a) = it.next() {
            match a.as_str() {
                "--quick" => args.quick = true,
                "--out" => {
                    if let Some(dir) = it.next() {
                        args.out = dir.into();
                    }
                }
                "--only" => args.only = it.next(),
                _ => {}
            }
        }
        args
    }
}

/// Prints a progress line on stderr.
pub fn progress(what: &str) {
    eprintln!("bench: {what}");
}

/// The workspace README's examples (pipe-core and pipe-tokio), compiled and run as doc tests
/// here, in a crate that is not published (a published crate cannot include a file outside it).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
