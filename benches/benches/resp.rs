//! The RESP example server (`examples/resp_server.rs`) under `redis-benchmark`, one row per
//! reader it can run on (this library's `ChunkedStream`, tokio's `BufReader`, tokio-util's
//! `Framed`; the command logic is the same code in all three), for `cargo xtask bench`:
//!
//! - `resp/<TEST> -c<C> -P<P> -d<D>`: requests per second as redis-benchmark reports them, for
//!   PING (inline and multi-bulk), SET, GET, LPUSH and LRANGE_100, with `-c 50 -P 1`,
//!   `-c 50 -P 16` and `-c 1000 -P 1`, values of 64 B and 16 KiB (PING, which sends no value,
//!   only with 64). Each test is a run of its own, each reader a server process of its own per
//!   configuration and round, the readers interleaved (each round starting with the next one);
//!   the median of three rounds. LRANGE_100 with 16 KiB values builds 1.6 MB replies: those
//!   rows mostly measure the kernel's handling of gigabytes of reply buffers, and are noisy.
//! - `resp-cpu/...`: the server's CPU time per request over the same runs (the first field of
//!   `/proc/PID/task/*/schedstat`, before and after, divided by `-n`). redis-benchmark fills
//!   the list with as many LPUSHes before LRANGE_100, so that run is charged the LPUSH run's
//!   cost per request less.
//! - `resp-rss/1000 conns -d<D>`: the server's peak RSS (`VmHWM`) after the PING, SET and GET
//!   runs with 1000 connections, less its RSS when it started listening, per connection
//!   (before LPUSH, whose growing list would count as connection memory).
//! - `instr/<TESTS> -c10 -P<P> -d<D>`: instructions per request, the server under callgrind:
//!   a run of 20,000 requests per test less a run of 2,000 (start-up and connection set-up
//!   cancel), divided by the 18,000 in between. The profiles of the larger runs are left in
//!   `--out`/callgrind for `callgrind_annotate`. Not in `--quick`.
//!
//! `--quick`: one round of 2,000 requests per test, `-d 64` only, no callgrind. `--only
//! PREFIX`: the rows whose workload starts with PREFIX (`--only instr` for the callgrind rows
//! alone). Without redis-benchmark there are no rows, and stderr says why; a run that fails or
//! takes over two minutes is reported on stderr and leaves its samples out. A full run takes
//! about five minutes (one of them under callgrind), `--quick` about twenty seconds.
//!
//! Writes `resp.tsv` in `--out` (the format of `memory.tsv`) for the `compare` bench to merge.

use std::io;
use std::path::Path;
use std::time::Duration;

use chunkedbuffer_benches::resp_load::{self, Load, Server};
use chunkedbuffer_benches::{Args, progress};

/// The servers: the reader on the example's command line, the row name, the row kind.
const SERVERS: [(&str, &str, &str); 3] = [
    ("ours", "RESP server on ChunkedStream", "ours"),
    ("bufreader", "RESP server on tokio BufReader", "peer"),
    ("framed", "RESP server on tokio-util Framed", "peer"),
];

/// redis-benchmark's tests, one run each: `-t` and the row name. LPUSH must come before
/// LRANGE_100 (its cost is taken out of LRANGE's CPU figure), and the RSS figure is read
/// before LPUSH.
const TESTS: [(&str, &str); 6] = [
    ("ping_inline", "PING_INLINE"),
    ("ping_mbulk", "PING_MBULK"),
    ("set", "SET"),
    ("get", "GET"),
    ("lpush", "LPUSH"),
    ("lrange_100", "LRANGE_100"),
];

/// Connections, pipeline depth and value size of one set of runs.
#[derive(Clone, Copy, Debug)]
struct Config {
    clients: usize,
    pipeline: usize,
    data: usize,
}

impl Config {
    fn label(&self) -> String {
        format!("-c{} -P{} -d{}", self.clients, self.pipeline, self.data)
    }

    fn tests(&self) -> impl Iterator<Item = (&'static str, &'static str)> {
        let data = self.data;
        TESTS
            .into_iter()
            .filter(move |(t, _)| data <= 1024 || !t.starts_with("ping"))
    }

    fn measures_rss(&self) -> bool {
        self.clients >= 1000
    }

    fn rss_workload(&self) -> String {
        format!("resp-rss/{} conns -d{}", self.clients, self.data)
    }

    /// The workloads of its rows.
    fn workloads(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (_, name) in self.tests() {
            out.push(format!("resp/{name} {}", self.label()));
            out.push(format!("resp-cpu/{name} {}", self.label()));
        }
        if self.measures_rss() {
            out.push(self.rss_workload());
        }
        out
    }

    /// `-n` for `test`: about a third of a second per run in full mode.
    fn requests(&self, quick: bool, test: &str) -> usize {
        if quick {
            return 2_000;
        }
        let mut n = if self.pipeline > 1 { 200_000 } else { 30_000 };
        if self.data > 1024 {
            n /= 8;
        }
        if test == "lrange_100" {
            // Each reply holds 100 values: 1.6 MB of them at 16 KiB.
            n = if self.data > 1024 {
                (self.clients * self.pipeline).max(500)
            } else {
                n / 5
            };
        }
        n
    }
}

fn configs(quick: bool) -> Vec<Config> {
    let data: &[usize] = if quick { &[64] } else { &[64, 16 << 10] };
    let mut out = Vec::new();
    for &data in data {
        for (clients, pipeline) in [(50, 1), (50, 16), (1000, 1)] {
            out.push(Config {
                clients,
                pipeline,
                data,
            });
        }
    }
    out
}

/// The callgrind cases: `-t`, the name in the row, `-P` and `-d`.
const INSTR_CASES: [(&str, &str, usize, usize); 4] = [
    ("set,get", "SET+GET", 1, 64),
    ("set,get", "SET+GET", 16, 64),
    ("set", "SET", 1, 16 << 10),
    ("set", "SET", 16, 16 << 10),
];
const INSTR_CLIENTS: usize = 10;
const INSTR_REQUESTS: (usize, usize) = (2_000, 20_000);

fn instr_workload((_, name, pipeline, data): (&str, &str, usize, usize)) -> String {
    format!("instr/{name} -c{INSTR_CLIENTS} -P{pipeline} -d{data}")
}

/// Samples by workload and server, in the order first seen.
#[derive(Default)]
struct Samples {
    rows: Vec<Series>,
}

struct Series {
    workload: String,
    server: usize,
    unit: &'static str,
    higher_is_better: bool,
    values: Vec<f64>,
}

impl Samples {
    fn add(&mut self, workload: String, server: usize, unit: &'static str, higher: bool, v: f64) {
        match self
            .rows
            .iter_mut()
            .find(|s| s.workload == workload && s.server == server)
        {
            Some(series) => series.values.push(v),
            None => self.rows.push(Series {
                workload,
                server,
                unit,
                higher_is_better: higher,
                values: vec![v],
            }),
        }
    }
}

fn main() {
    let args = Args::parse();
    let mut samples = Samples::default();
    let configs: Vec<Config> = configs(args.quick)
        .into_iter()
        .filter(|c| c.workloads().iter().any(|w| args.wants(w)))
        .collect();
    let instr_cases: Vec<_> = INSTR_CASES
        .into_iter()
        .filter(|&case| args.wants(&instr_workload(case)))
        .collect();
    if !configs.is_empty() || !instr_cases.is_empty() {
        measure(&args, &configs, &instr_cases, &mut samples);
    }

    // The network rows first, then CPU, RSS and instructions, each in the order measured.
    let rank = |w: &str| {
        ["resp/", "resp-cpu/", "resp-rss/", "instr/"]
            .iter()
            .position(|p| w.starts_with(p))
    };
    let mut seen: Vec<String> = Vec::new();
    for s in &samples.rows {
        if !seen.contains(&s.workload) {
            seen.push(s.workload.clone());
        }
    }
    samples.rows.sort_by_key(|s| {
        let first = seen.iter().position(|w| *w == s.workload);
        (rank(&s.workload), first, s.server)
    });
    let mut tsv = String::new();
    for series in &mut samples.rows {
        if !args.wants(&series.workload) {
            continue;
        }
        let Some(value) = resp_load::median(&mut series.values) else {
            continue;
        };
        let (_, name, kind) = SERVERS[series.server];
        tsv.push_str(&format!(
            "{}\t{name}\t{kind}\t{value}\t{}\t{}\n",
            series.workload, series.unit, series.higher_is_better
        ));
        eprintln!(
            "  {:<34} {:<32} {:>12.3} {}",
            series.workload, name, value, series.unit
        );
    }
    std::fs::create_dir_all(&args.out).expect("the output directory");
    std::fs::write(args.out.join("resp.tsv"), tsv).expect("resp.tsv");
}

fn measure(
    args: &Args,
    configs: &[Config],
    instr_cases: &[(&str, &str, usize, usize)],
    samples: &mut Samples,
) {
    let tool = match resp_load::find_redis_benchmark() {
        Ok(tool) => tool,
        Err(why) => {
            eprintln!("bench: no resp rows: {why}");
            return;
        }
    };
    progress("resp: building the example server (cargo build --release --example resp_server)");
    let binary = match resp_load::build_server() {
        Ok(binary) => binary,
        Err(e) => {
            eprintln!("bench: no resp rows: the example server: {e}");
            return;
        }
    };
    network(args, &tool, &binary, configs, samples);
    if instr_cases.is_empty() {
        return;
    }
    if args.quick {
        eprintln!("bench: instr/*: the callgrind runs are skipped in --quick");
    } else if !resp_load::valgrind_available() {
        eprintln!("bench: instr/*: skipped, valgrind does not run here");
    } else {
        instructions(args, &tool, &binary, instr_cases, samples);
    }
}

/// The redis-benchmark runs, the readers interleaved round by round.
fn network(args: &Args, tool: &Path, binary: &Path, configs: &[Config], samples: &mut Samples) {
    let rounds = if args.quick { 1 } else { 3 };
    for round in 1..=rounds {
        for config in configs {
            progress(&format!("resp {} (round {round}/{rounds})", config.label()));
            // Each round starts with another reader: whoever runs first after a heavy
            // configuration (gigabytes of LRANGE replies freed) pays for the kernel's cleanup.
            for k in 0..SERVERS.len() {
                let server = (k + round - 1) % SERVERS.len();
                let reader = SERVERS[server].0;
                if let Err(e) = one_server(args.quick, tool, binary, config, server, samples) {
                    eprintln!("bench: resp {} on {reader}: {e}", config.label());
                }
            }
        }
    }
}

/// One server process through every test of `config`.
fn one_server(
    quick: bool,
    tool: &Path,
    binary: &Path,
    config: &Config,
    server: usize,
    samples: &mut Samples,
) -> io::Result<()> {
    let process = Server::start(binary, SERVERS[server].0, &[])?;
    let rss_at_start = process.status_kb("VmRSS");
    let mut lpush_ns = 0.0;
    for (test, name) in config.tests() {
        if test == "lpush"
            && config.measures_rss()
            && let Some((peak, start)) = process.status_kb("VmHWM").zip(rss_at_start)
        {
            let per_conn = peak.saturating_sub(start) as f64 / config.clients as f64;
            samples.add(config.rss_workload(), server, "KiB/conn", false, per_conn);
        }
        let load = Load {
            tests: test,
            clients: config.clients,
            pipeline: config.pipeline,
            data: config.data,
            requests: config.requests(quick, test),
        };
        let before = process.cpu_ns();
        let results = resp_load::redis_benchmark(tool, process.port, &load)?;
        let mut ns = process.cpu_ns().saturating_sub(before) as f64 / load.requests as f64;
        match test {
            "lpush" => lpush_ns = ns,
            // The run began with as many LPUSHes.
            "lrange_100" => ns = (ns - lpush_ns).max(0.0),
            _ => {}
        }
        let label = config.label();
        for (got, rps) in results {
            if got == name {
                samples.add(
                    format!("resp/{name} {label}"),
                    server,
                    "kreq/s",
                    true,
                    rps / 1e3,
                );
            }
        }
        samples.add(
            format!("resp-cpu/{name} {label}"),
            server,
            "us CPU/req",
            false,
            ns / 1e3,
        );
    }
    process.terminate(Duration::from_secs(10))
}

/// Instructions per request under callgrind: a large run less a small one, per server.
fn instructions(
    args: &Args,
    tool: &Path,
    binary: &Path,
    cases: &[(&str, &str, usize, usize)],
    samples: &mut Samples,
) {
    let dir = args.out.join("callgrind");
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("bench: instr/*: cannot create {}: {e}", dir.display());
        return;
    }
    for &case in cases {
        let (tests, _, pipeline, data) = case;
        let workload = instr_workload(case);
        progress(&format!("{workload} (callgrind)"));
        for (server, (reader, _, _)) in SERVERS.iter().enumerate() {
            let count = |requests: usize| -> io::Result<u64> {
                let stem = format!("{reader}-{}-n{requests}", tests.replace(',', "+"));
                let stem = format!("{stem}-P{pipeline}-d{data}");
                let profile = dir.join(format!("{stem}.callgrind"));
                let _ = std::fs::remove_file(&profile);
                let wrapper = [
                    "valgrind".to_string(),
                    "--tool=callgrind".to_string(),
                    format!("--callgrind-out-file={}", profile.display()),
                    format!("--log-file={}", dir.join(format!("{stem}.log")).display()),
                ];
                let process = Server::start(binary, reader, &wrapper)?;
                let load = Load {
                    tests,
                    clients: INSTR_CLIENTS,
                    pipeline,
                    data,
                    requests,
                };
                resp_load::redis_benchmark(tool, process.port, &load)?;
                process.terminate(Duration::from_secs(120))?;
                let text = std::fs::read_to_string(&profile).map_err(|e| {
                    io::Error::other(format!("no callgrind profile {}: {e}", profile.display()))
                })?;
                let total = resp_load::callgrind_total(&text).ok_or_else(|| {
                    io::Error::other(format!("no summary line in {}", profile.display()))
                })?;
                let _ = std::fs::remove_file(dir.join(format!("{stem}.log")));
                if requests == INSTR_REQUESTS.0 {
                    let _ = std::fs::remove_file(&profile);
                }
                Ok(total)
            };
            let (small, large) = INSTR_REQUESTS;
            match count(small).and_then(|a| Ok((a, count(large)?))) {
                Ok((a, b)) => {
                    let requests = ((large - small) * (tests.matches(',').count() + 1)) as f64;
                    let per = b.saturating_sub(a) as f64 / requests;
                    samples.add(workload.clone(), server, "instr/req", false, per);
                }
                Err(e) => eprintln!("bench: {workload} on {reader}: {e}"),
            }
        }
    }
}
