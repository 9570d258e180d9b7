//! The Pipe against its `VecDeque<u8>` model (pipe-testkit): arbitrary writes split arbitrarily,
//! every read form, searches with ranges, peeks, closes and limits. Every result must match the
//! model and the pool must end with nothing outstanding.
#![no_main]

use chunk_pool::{Pool, PoolConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|ops: Vec<pipe_testkit::model::Op>| {
    let pool =
        Pool::new(PoolConfig::new().min_chunk(64).max_chunk(64 * 1024)).expect("a valid config");
    if let Err(difference) = pipe_testkit::model::run(ops, &pool) {
        panic!("the pipe and its model differ: {difference}");
    }
});
