//! Driving the RESP example server (`examples/resp_server.rs`) from outside, for the `resp`
//! bench: the server as a child process (plain, or under callgrind), `redis-benchmark` against
//! it, and what `/proc` and callgrind say about the server.

use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the benches crate lives in the workspace")
        .to_path_buf()
}

/// Builds the example server in release mode and returns its path: under `$CARGO_TARGET_DIR`
/// when set (a relative one is taken from the workspace root, where cargo is run), else under
/// the workspace's `target`; failing that, next to the running bench binary.
pub fn build_server() -> io::Result<PathBuf> {
    let root = workspace_root();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&root)
        .args([
            "build",
            "-q",
            "--release",
            "-p",
            "chunkedbuffer-benches",
            "--example",
            "resp_server",
        ])
        .status()?;
    if !status.success() {
        return Err(io::Error::other(format!(
            "`cargo build --release --example resp_server` failed ({status})"
        )));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(|dir| root.join(dir))
        .unwrap_or_else(|| root.join("target"));
    let mut candidates = vec![target.join("release/examples/resp_server")];
    if let Ok(exe) = std::env::current_exe() {
        // target/release/deps/resp-<hash> -> target/release/examples/resp_server
        if let Some(release) = exe.parent().and_then(Path::parent) {
            candidates.push(release.join("examples/resp_server"));
        }
    }
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("built, but not found at {}", candidates[0].display()),
            )
        })
}

/// `redis-benchmark`: `$REDIS_BENCHMARK`, else on the `PATH` or in the usual places, else next
/// to the `redis-server` the test kit finds (which installs it when it can; Debian's
/// redis-server package brings redis-benchmark along). The error says why there is none.
pub fn find_redis_benchmark() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("REDIS_BENCHMARK") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "$REDIS_BENCHMARK ({}) is not a file",
                path.display()
            ))
        };
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/bin", "/usr/local/bin"].map(PathBuf::from));
    if let Some(found) = dirs
        .iter()
        .map(|d| d.join("redis-benchmark"))
        .find(|p| p.is_file())
    {
        return Ok(found);
    }
    let server = pipe_testkit::redis::binary()
        .map_err(|e| format!("redis-benchmark is not on the PATH and {e}"))?;
    let next_to = server.with_file_name("redis-benchmark");
    if next_to.is_file() {
        Ok(next_to)
    } else {
        Err(format!(
            "redis-benchmark is neither on the PATH nor next to {}",
            server.display()
        ))
    }
}

/// Whether `valgrind` runs.
pub fn valgrind_available() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A running example server on a loopback port it chose itself. Killed on drop.
#[derive(Debug)]
pub struct Server {
    child: Child,
    _stdout: BufReader<ChildStdout>,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl Server {
    /// Starts `binary READER 127.0.0.1:0`, wrapped in `wrapper` (e.g. valgrind and its
    /// options) if not empty, and waits for its "listening on ADDR" line.
    pub fn start(binary: &Path, reader: &str, wrapper: &[String]) -> io::Result<Server> {
        let mut cmd = match wrapper.split_first() {
            Some((program, options)) => {
                let mut cmd = Command::new(program);
                cmd.args(options).arg(binary);
                cmd
            }
            None => Command::new(binary),
        };
        let mut child = cmd
            .args([reader, "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()?;
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut line = String::new();
        stdout.read_line(&mut line)?;
        let port = line
            .trim_end()
            .rsplit(' ')
            .next()
            .and_then(|addr| addr.parse::<std::net::SocketAddr>().ok())
            .map(|addr| addr.port());
        let Some(port) = port else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::other(format!(
                "the server did not say where it listens (it said {line:?})"
            )));
        };
        Ok(Server {
            child,
            _stdout: stdout,
            port,
        })
    }

    /// The server's process id (valgrind's, which is the same process, under valgrind).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Nanoseconds the server's threads have spent on a CPU (the first field of each
    /// `/proc/PID/task/*/schedstat`).
    pub fn cpu_ns(&self) -> u64 {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{}/task", self.pid())) else {
            return 0;
        };
        tasks
            .flatten()
            .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
            .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .sum()
    }

    /// A `/proc/PID/status` field in kB (`VmRSS`, `VmHWM`).
    pub fn status_kb(&self, field: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status_field(&status, field)
    }

    /// Stops the server with SIGTERM (so that callgrind, if it runs under it, writes its
    /// profile) and waits for it, killing it after `grace`.
    pub fn terminate(mut self, grace: Duration) -> io::Result<()> {
        Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()?;
        let deadline = Instant::now() + grace;
        while self.child.try_wait()?.is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return Err(io::Error::other("the server ignored SIGTERM; killed"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn status_field(status: &str, field: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// One `redis-benchmark` run.
#[derive(Clone, Debug)]
pub struct Load<'a> {
    /// The tests (`-t`), e.g. `set,get`.
    pub tests: &'a str,
    /// Connections (`-c`).
    pub clients: usize,
    /// Commands in flight per connection (`-P`).
    pub pipeline: usize,
    /// Value size (`-d`).
    pub data: usize,
    /// Requests per test (`-n`).
    pub requests: usize,
}

/// How long one `redis-benchmark` run may take before it is killed (a server that stops
/// answering would otherwise stall the bench for good).
pub const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `redis-benchmark -q --csv` against `127.0.0.1:port` and returns each test's
/// requests per second, by the test's name up to any parenthesis (`LRANGE_100`), leaving out
/// the LPUSH that fills the list before LRANGE. Killed after [`RUN_TIMEOUT`].
pub fn redis_benchmark(tool: &Path, port: u16, load: &Load) -> io::Result<Vec<(String, f64)>> {
    let n = |x: usize| x.to_string();
    let what = format!(
        "redis-benchmark -t {} -c {} -P {} -d {} -n {}",
        load.tests, load.clients, load.pipeline, load.data, load.requests
    );
    let mut child = Command::new(tool)
        .args(["-h", "127.0.0.1", "-p", &n(port as usize), "-q", "--csv"])
        .args(["-t", load.tests, "-c", &n(load.clients)])
        .args(["-P", &n(load.pipeline), "-d", &n(load.data)])
        .args(["-n", &n(load.requests)])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    // Its output is a few lines: the pipes hold them until it exits.
    let deadline = Instant::now() + RUN_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "{what}: no result after {} s (the server stopped answering?); killed",
                    RUN_TIMEOUT.as_secs()
                ),
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let (mut stdout, mut stderr) = (String::new(), String::new());
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut stdout)?;
    }
    if let Some(mut err) = child.stderr.take() {
        err.read_to_string(&mut stderr)?;
    }
    let parsed = parse_csv(&stdout);
    if !status.success() || parsed.is_empty() {
        return Err(io::Error::other(format!(
            "{what}: {status} {} {}",
            stdout.trim(),
            stderr.trim()
        )));
    }
    Ok(parsed)
}

/// The `"test","rps",...` lines of `redis-benchmark --csv`.
pub fn parse_csv(text: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split(',').map(|f| f.trim().trim_matches('"'));
            let name = fields.next()?;
            let rps: f64 = fields.next()?.parse().ok()?;
            if name.starts_with("LPUSH (needed") {
                return None;
            }
            let name = name.split(" (").next().unwrap_or(name);
            Some((name.to_string(), rps))
        })
        .collect()
}

/// The instructions a callgrind profile counted: its `summary:` (or `totals:`) line.
pub fn callgrind_total(profile: &str) -> Option<u64> {
    let line = profile
        .lines()
        .find(|l| l.starts_with("summary:"))
        .or_else(|| profile.lines().find(|l| l.starts_with("totals:")))?;
    line.split_once(':')?
        .1
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The median of `samples` (which it sorts); `None` when empty.
pub fn median(samples: &mut [f64]) -> Option<f64> {
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_redis_benchmark_csv() {
        let csv = "\"test\",\"rps\",\"avg_latency_ms\"\n\
                   \"PING_INLINE\",\"400000.00\",\"1.073\"\n\
                   \"LPUSH (needed to benchmark LRANGE)\",\"666666.69\",\"0.467\"\n\
                   \"LRANGE_100 (first 100 elements)\",\"95238.09\",\"4.819\"\n";
        assert_eq!(
            parse_csv(csv),
            vec![
                ("PING_INLINE".to_string(), 400000.0),
                ("LRANGE_100".to_string(), 95238.09)
            ]
        );
    }

    #[test]
    fn reads_proc_and_callgrind_figures() {
        let status = "Name:\tresp_server\nVmHWM:\t    9036 kB\nVmRSS:\t    3552 kB\n";
        assert_eq!(status_field(status, "VmHWM"), Some(9036));
        assert_eq!(status_field(status, "VmRSS"), Some(3552));
        assert_eq!(status_field(status, "VmSwap"), None);
        let profile = "events: Ir\nfl=(1)\nfn=(1)\n0 5\nsummary: 18660102\ntotals: 18660102\n";
        assert_eq!(callgrind_total(profile), Some(18660102));
        assert_eq!(callgrind_total("totals: 7 1\n"), Some(7));
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut []), None);
    }
}
