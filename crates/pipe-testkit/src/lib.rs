//! The test kit of the workspace (not published): what the tests, the fuzz targets and the
//! benchmarks share.
//!
//! - [`model`]: the reference model of a `Pipe` and [`model::run`], which applies a sequence of
//!   operations to a real pipe and to the model and reports the first difference (the proptest
//!   model test and the differential fuzz target drive it).
//! - [`async_model`]: the same for the in-process async pipe.
//! - [`faults`]: a misbehaving transport (short reads and writes, `WouldBlock`, errors) and test
//!   data.
//! - [`redis`]: finds or installs a real `redis-server` and starts it on a free port.
//! - [`resp`]: a RESP client on either adapter (generic over `pipe_core::adapter`'s traits), and
//!   [`redis_cases`] with [`redis_tests!`]: the checks against a real server, written once and
//!   run on every runtime.
//! - [`async_pipe_options`], [`async_pipe`]: in-process pipes on a pool of their own.
//! - The adapters' integration tests, written once and run on every runtime (tokio, async-std,
//!   smol): [`stream_cases`] with [`stream_tests!`] (loopback sockets), [`fault_cases`] with
//!   [`fault_tests!`] (the misbehaving transports), [`contract_cases`] with
//!   [`contract_tests!`] (the documented contracts), [`lending_cases`] with [`lending_tests!`]
//!   (the lending reads: their documented outcomes and cancel safety), [`inproc_cases`] with
//!   [`inproc_tests!`] (the in-process pipe as its documentation describes it: errors,
//!   cancellation, limits, backpressure, `max_spin`, either half going), [`docs_io_cases`] with
//!   [`docs_io_tests!`] (the stream as an `AsyncRead`, `AsyncBufRead` and writer, as its
//!   documentation describes it), [`extremes_cases`] with [`extremes_tests!`] (every size,
//!   limit and threshold at its extremes: 0, 1, `usize::MAX`). Each adapter's test file
//!   defines a few runtime-specific names (the glue [`cases`] lists) and invokes the macro;
//!   [`cases`] holds what they share.

// The checks the models report differences with; defined before the modules that use them.
/// `Err` with the expression and the values when they differ.
macro_rules! check_eq {
    ($a:expr, $b:expr $(, $msg:expr)?) => {{
        let (a, b) = (&$a, &$b);
        if a != b {
            #[allow(unused_mut, unused_assignments)]
            let mut note: &str = "";
            $(note = $msg;)?
            return Err(format!(
                "{} != {}: {:?} != {:?} {note}",
                stringify!($a),
                stringify!($b),
                a,
                b
            ));
        }
    }};
}

/// `Err` with the condition when it does not hold.
macro_rules! check {
    ($c:expr) => {
        if !$c {
            return Err(format!("failed: {}", stringify!($c)));
        }
    };
}

pub mod async_model;
pub mod cases;
pub mod contract_cases;
pub mod docs_framing_cases;
pub mod docs_io_cases;
pub mod extremes_cases;
pub mod fault_cases;
pub mod faults;
pub mod framed_cases;
pub mod inproc_cases;
pub mod lending_cases;
pub mod model;
pub mod redis;
pub mod redis_cases;
pub mod resp;
pub mod stream_cases;

use pipe_core::{PipeOptions, Pool};

/// Options for an in-process pipe on a pool of its own (so a test can check that every chunk
/// came back), with the given backpressure thresholds and maximum frame size.
pub fn async_pipe_options(
    pause: usize,
    resume: usize,
    max_frame: usize,
) -> (pipe_core::AsyncPipeOptions, Pool) {
    let pool = Pool::new(pipe_core::PoolConfig::default()).expect("the default pool config");
    let options = pipe_core::AsyncPipeOptions::new()
        .pipe(PipeOptions::new().pool(pool.clone()).max_frame(max_frame))
        .pause(pause)
        .resume(resume);
    (options, pool)
}

/// An in-process pipe made with [`async_pipe_options`], and its pool.
pub fn async_pipe(
    pause: usize,
    resume: usize,
    max_frame: usize,
) -> (
    pipe_core::async_pipe::PipeWriter,
    pipe_core::async_pipe::PipeReader,
    Pool,
) {
    let (options, pool) = async_pipe_options(pause, resume, max_frame);
    let (w, r) = pipe_core::async_pipe::pipe_with(options).expect("pause above resume");
    (w, r, pool)
}
