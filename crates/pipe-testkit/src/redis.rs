//! A real `redis-server` for tests, examples and benchmarks: found on the machine (or installed
//! with apt-get when it is missing and apt-get is there), started on a free loopback port and a
//! Unix socket with persistence off, and stopped when dropped.
//!
//! Decision: `cargo test --workspace` must work on a fresh machine, so the tests that talk to a
//! real server install it themselves (under `flock`, so parallel test binaries do not race on
//! dpkg's lock) rather than skip; `.ci/run` installs it up front as well. If it cannot be found
//! or installed, [`RedisServer::start`] returns an error that says so, and the test fails.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` child process listening on `127.0.0.1:port` and on a Unix socket, with
/// persistence off. Killed (and its directory removed) on drop.
#[derive(Debug)]
pub struct RedisServer {
    child: Child,
    addr: SocketAddr,
    dir: PathBuf,
}

/// The binary: `$REDIS_SERVER`, else `redis-server` on the `PATH` or in the usual places.
fn find_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("REDIS_SERVER") {
        return Some(PathBuf::from(path));
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/bin", "/usr/sbin", "/usr/local/bin"].map(PathBuf::from));
    dirs.into_iter()
        .map(|d| d.join("redis-server"))
        .find(|p| p.is_file())
}

/// Installs the Debian package `redis-server` (one installer at a time, machine-wide).
fn install() -> io::Result<()> {
    let run = |script: &str| {
        Command::new("flock")
            .args(["/tmp/chunkedbuffer-apt.lock", "sh", "-c", script])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
    };
    let script = "command -v redis-server >/dev/null || apt-get install -y -q redis-server \
                  || (apt-get update -q && apt-get install -y -q redis-server)";
    match run(script) {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(io::Error::other(format!(
            "redis-server is not installed and `apt-get install redis-server` failed ({status})"
        ))),
        Err(e) => Err(io::Error::new(
            e.kind(),
            format!(
                "redis-server is not installed and `flock ... apt-get install` could not be run: {e}"
            ),
        )),
    }
}

/// The path of `redis-server`, installing it if needed.
pub fn binary() -> io::Result<PathBuf> {
    if let Some(path) = find_binary() {
        return Ok(path);
    }
    install()?;
    find_binary().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            "redis-server was installed but is not on the PATH or in /usr/bin",
        )
    })
}

impl RedisServer {
    /// Starts a server with persistence off; `extra` are more `--name value` settings. A port
    /// taken between choosing and binding it is retried with another.
    pub fn start(extra: &[&str]) -> io::Result<RedisServer> {
        let binary = binary()?;
        let mut tries = 0;
        loop {
            match Self::start_once(&binary, extra) {
                Err(e) if e.kind() == io::ErrorKind::AddrInUse && tries < 3 => tries += 1,
                done => return done,
            }
        }
    }

    fn start_once(binary: &Path, extra: &[&str]) -> io::Result<RedisServer> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let dir =
            std::env::temp_dir().join(format!("chunkedbuffer-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let socket = dir.join("redis.sock");
        let mut command = Command::new(binary);
        command
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .args(["--protected-mode", "no", "--loglevel", "warning"])
            .arg("--dir")
            .arg(&dir)
            .arg("--unixsocket")
            .arg(&socket)
            .args(["--unixsocketperm", "700"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = command
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("starting {}: {e}", binary.display())))?;
        let mut server = RedisServer {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            dir,
        };
        server.wait_ready()?;
        Ok(server)
    }

    /// Waits until the server answers `PING` on both its TCP port and its Unix socket.
    fn wait_ready(&mut self) -> io::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait()? {
                // Most likely the port was taken meanwhile: the caller retries.
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("redis-server exited at start ({status})"),
                ));
            }
            let tcp = TcpStream::connect(self.addr).and_then(ping);
            let unix = std::os::unix::net::UnixStream::connect(self.unix_path()).and_then(ping);
            match (tcp, unix) {
                (Ok(()), Ok(())) => return Ok(()),
                (Err(e), _) | (_, Err(e)) if Instant::now() > deadline => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("redis-server did not come up on {}: {e}", self.addr),
                    ));
                }
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    /// The TCP address (`127.0.0.1` and a free port).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The Unix socket's path.
    pub fn unix_path(&self) -> PathBuf {
        self.dir.join("redis.sock")
    }
}

/// Sends `PING` and expects `+PONG`.
fn ping<S: Read + Write>(mut s: S) -> io::Result<()> {
    s.write_all(b"PING\r\n")?;
    let mut reply = [0u8; 7];
    s.read_exact(&mut reply)?;
    if &reply == b"+PONG\r\n" {
        Ok(())
    } else {
        Err(io::Error::other("unexpected reply to PING"))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
