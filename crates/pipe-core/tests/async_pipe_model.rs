//! A model test of the in-process pipe's state (`pipe_testkit::async_model`, shared with the
//! `async_pipe` fuzz target): random writes (copied or filled in place), flushes, reads (each
//! future polled once, then dropped), completions and the reader going, against a model of the
//! unread bytes and the backpressure rule. Every case ends with the pool balanced.

use pipe_testkit::async_model::{AsyncOp, run};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

fn data() -> impl Strategy<Value = Vec<u8>> {
    (0..300usize, any::<u64>(), 1..60usize).prop_map(|(len, seed, every)| {
        (0..len)
            .map(|i| {
                if (i as u64 + seed).is_multiple_of(every as u64) {
                    b'\n'
                } else {
                    b'a'
                }
            })
            .collect()
    })
}

fn op() -> impl Strategy<Value = AsyncOp> {
    prop_oneof![
        5 => data().prop_map(AsyncOp::Write),
        3 => (0..400usize, data()).prop_map(|(hint, data)| AsyncOp::Fill { hint, data }),
        4 => Just(AsyncOp::Flush),
        4 => Just(AsyncOp::ReadLine),
        2 => (1..400usize).prop_map(AsyncOp::ReadExact),
        2 => (1..400usize).prop_map(AsyncOp::ReadAtMost),
        1 => Just(AsyncOp::Complete),
        1 => Just(AsyncOp::DropReader),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_async_pipe_follows_the_model(
        ops in prop::collection::vec(op(), 1..80),
        resume in 0..300usize,
        extra in 1..500usize,
        max_frame in prop_oneof![1..200usize, Just(1000usize)],
    ) {
        if let Err(difference) = run(ops, resume + extra, resume, max_frame) {
            return Err(TestCaseError::fail(difference));
        }
    }
}
