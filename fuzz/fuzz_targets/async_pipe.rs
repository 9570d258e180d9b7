//! The in-process async pipe against its model (pipe-testkit's `async_model`): arbitrary writes,
//! fills, flushes, reads polled once and dropped, completions and the reader going, with small
//! arbitrary thresholds and maximum frames so that backpressure and grants come into play.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pipe_testkit::async_model::{AsyncOp, run};

fuzz_target!(|input: (u16, u16, u16, Vec<AsyncOp>)| {
    let (pause, resume, max_frame, ops) = input;
    let (pause, resume, max_frame) = (
        pause as usize % 2048,
        resume as usize % 1024,
        max_frame as usize % 2048,
    );
    if let Err(difference) = run(ops, pause, resume, max_frame) {
        panic!("the async pipe and its model differ: {difference}");
    }
});
