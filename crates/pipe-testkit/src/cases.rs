//! What the behaviour macros ([`stream_tests!`](crate::stream_tests),
//! [`fault_tests!`](crate::fault_tests), [`contract_tests!`](crate::contract_tests)) share:
//! runtime-free helpers (a pool of a test's own, its options, the checks of an error), and the
//! hidden macros that make a test function on any runtime and bound a wait.
//!
//! # The glue each adapter's test file defines
//!
//! The macros expand in the adapter's test crate, where each adapter's `ChunkedStream`,
//! `PipeReader` and `PipeWriter` have the same inherent methods: a body written once calls the
//! right ones. What differs between runtimes is named by the module that invokes a macro (each
//! macro lists what it uses), always with these meanings:
//!
//! - `ChunkedStream`: the adapter's stream; `pipe_with`: the adapter's in-process pipe.
//! - `TcpListener`, `TcpStream`, `UnixStream`: the runtime's sockets (their `bind`, `connect`,
//!   `accept`, `pair`, `set_nodelay`, `peek`, `local_addr` and `try_from` a std socket are
//!   alike everywhere).
//! - `AsyncReadExt`, `AsyncWriteExt`, `AsyncBufReadExt`: the runtime's I/O extension traits
//!   (`read`, `read_exact`, `read_to_end`, `read_to_string`, `read_until`, `write_all`).
//! - `spawn(future)`: starts a task at once; `join(task).await`: its output (its panic if it
//!   panicked).
//! - `timeout(duration, future).await`: `Ok(output)`, or `Err(_)` if the duration passed first
//!   (the future is polled first).
//! - `yield_now().await`: lets the runtime run other tasks and its I/O.
//!
//! A test function is made from a runner: `(#[attribute])` for a test attribute of the runtime
//! (`(#[tokio::test])`), or `(block_on)` for a path to a function that runs a future to its end
//! (`(smol::block_on)`), in a plain `#[test]`.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use pipe_core::{AsyncPipeOptions, PipeOptions, Pool, PoolConfig, ReadError, read_error_of};
use socket2::SockRef;

/// The crates the macros name, reached through `$crate` whatever the test crate depends on.
#[doc(hidden)]
pub mod reexport {
    pub use futures_util;
    pub use pipe_core;
}

/// The next item of `stream`: awaited, or, with `drop_pending`, polled once and dropped while
/// not ready and polled again (a cancellation at every `Pending`).
pub async fn next_item<S: futures_util::Stream + Unpin>(
    stream: &mut S,
    drop_pending: bool,
) -> Option<S::Item> {
    use futures_util::{FutureExt, StreamExt};
    if !drop_pending {
        return stream.next().await;
    }
    loop {
        if let Some(item) = stream.next().now_or_never() {
            return item;
        }
        // Let the runtime run (the transport woke the task when it said "not ready").
        let mut yielded = false;
        std::future::poll_fn(|cx| {
            if yielded {
                std::task::Poll::Ready(())
            } else {
                yielded = true;
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        })
        .await;
    }
}

/// A pool of the test's own, so that it can check that every chunk came back.
pub fn pool() -> Pool {
    Pool::new(PoolConfig::default()).expect("the default pool config")
}

/// Options with `pool` and the maximum frame `max_frame`.
pub fn options(pool: &Pool, max_frame: usize) -> PipeOptions {
    PipeOptions::new().pool(pool.clone()).max_frame(max_frame)
}

/// In-process pipe options: [`options`], pause at 64 KiB, resume at 32 KiB.
pub fn inproc_options(pool: &Pool, max_frame: usize) -> AsyncPipeOptions {
    AsyncPipeOptions::new()
        .pipe(options(pool, max_frame))
        .pause(64 << 10)
        .resume(32 << 10)
}

/// Panics, naming `what`, unless every chunk of `pool` came back.
pub fn assert_balanced(pool: &Pool, what: &str) {
    let stats = pool.stats();
    assert!(stats.outstanding_chunks == 0, "{what}: {stats:?}");
}

/// Whether `e` is a clean end in the middle of a frame, leaving exactly `rest`.
pub fn is_partial(e: &io::Error, rest: &str) -> bool {
    let partial = matches!(read_error_of(e), Some(ReadError::Partial(r)) if r == rest);
    partial && e.kind() == io::ErrorKind::UnexpectedEof
}

/// The leftover of a clean end in the middle of a frame, if `e` is that error.
pub fn partial_of(e: &io::Error) -> Option<&[u8]> {
    match read_error_of(e) {
        Some(ReadError::Partial(rest)) => Some(rest),
        _ => None,
    }
}

/// Whether `e` is a frame over the maximum frame size.
pub fn is_limit(e: &io::Error) -> bool {
    limit_of(e).is_some()
}

/// The maximum frame size `e` reports a frame over, if it is that error.
pub fn limit_of(e: &io::Error) -> Option<usize> {
    match (e.kind(), read_error_of(e)) {
        (io::ErrorKind::InvalidData, Some(ReadError::LimitExceeded { limit, .. })) => Some(*limit),
        _ => None,
    }
}

/// A loopback connection to `addr`, made blocking (at once: the kernel completes it before any
/// accept), then non-blocking for a runtime to take over (`TcpStream::try_from`, which every
/// runtime has). With `reset`, a zero linger: closing it resets the connection (RST, not FIN).
pub fn connect(addr: SocketAddr, reset: bool) -> TcpStream {
    let socket = TcpStream::connect(addr).expect("a loopback connection");
    if reset {
        let linger = SockRef::from(&socket).set_linger(Some(Duration::ZERO));
        linger.expect("SO_LINGER");
    }
    socket.set_nonblocking(true).expect("O_NONBLOCK");
    socket
}

/// A connected loopback pair, (peer, ours), `TCP_NODELAY` on and non-blocking, for a runtime to
/// take over (`TcpStream::try_from`). With `small`, small socket buffers (32 KiB): the peer
/// receives and ours sends little at a time, so that our writes wait often.
pub fn tcp_pair(small: bool) -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback listener");
    let ours = connect(listener.local_addr().expect("its address"), false);
    let (peer, _) = listener.accept().expect("the connection");
    if small {
        let buffers = SockRef::from(&peer).set_recv_buffer_size(32 << 10);
        buffers
            .and(SockRef::from(&ours).set_send_buffer_size(32 << 10))
            .expect("buffer sizes");
    }
    peer.set_nonblocking(true).expect("O_NONBLOCK");
    peer.set_nodelay(true)
        .and(ours.set_nodelay(true))
        .expect("TCP_NODELAY");
    (peer, ours)
}

/// A fresh path for a Unix socket in the temporary directory, unique to the process and `name`;
/// its directory exists and the socket file does not.
pub fn unix_socket_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pipe-testkit-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let path = dir.join("unix.sock");
    let _ = std::fs::remove_file(&path);
    path
}

/// A test function named `$name` with `$body`, made by the runner (see the
/// [module documentation](crate::cases)): `(#[attribute])` or `(block_on path)`.
#[doc(hidden)]
#[macro_export]
macro_rules! __test_fn {
    ((#[$attr:meta]) $(#[$meta:meta])* fn $name:ident() $body:block) => {
        $(#[$meta])*
        #[$attr]
        async fn $name() $body
    };
    (($run:path) $(#[$meta:meta])* fn $name:ident() $body:block) => {
        $(#[$meta])*
        #[test]
        fn $name() {
            $run(async $body)
        }
    };
}

/// `$future`'s output, or a panic naming `$what` if it takes more than 30 s: a hang becomes a
/// failure. Uses the including module's `timeout`.
#[doc(hidden)]
#[macro_export]
macro_rules! __within {
    ($what:expr, $future:expr) => {
        timeout(::std::time::Duration::from_secs(30), $future)
            .await
            .unwrap_or_else(|_| panic!("{}: no outcome within 30 s (hang)", $what))
    };
}

/// Sleeps for `$duration` with the including module's `timeout` (of a future that never ends).
#[doc(hidden)]
#[macro_export]
macro_rules! __sleep {
    ($duration:expr) => {{
        let never = ::std::future::pending::<()>();
        let _ = timeout($duration, never).await;
    }};
}
