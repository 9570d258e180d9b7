//! A model test: random sequences of writes (random sizes and split points), every kind of read,
//! peeks, searches, limits and closes, run against the `VecDeque<u8>` model of `pipe-testkit`.
//! Frames read as `Bytes` are kept and checked again at the end, so a chunk written after it
//! was shared would show. Every case ends with the pool balanced.

mod common;

use pipe_core::UNLIMITED;
use pipe_testkit::model::Op;
use proptest::prelude::*;

/// Bytes drawn from a small alphabet so that separators turn up often.
fn data() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(b"ab\r\n-|".to_vec()), 0..200)
}

fn sep() -> impl Strategy<Value = Vec<u8>> {
    prop::sample::select(vec![
        b"\n".to_vec(),
        b"\r\n".to_vec(),
        b"--".to_vec(),
        b"-|-".to_vec(),
        b"a\r\n".to_vec(),
    ])
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => data().prop_map(Op::WriteAll),
        4 => (prop_oneof![Just(0usize), 1..300usize, Just(5000)], data(), 0..3usize)
            .prop_map(|(hint, data, short)| Op::Lend { hint, data, short }),
        2 => (prop_oneof![Just(0usize), 1..300usize], data())
            .prop_map(|(hint, data)| Op::LendAcrossRead { hint, data }),
        3 => any::<bool>().prop_map(Op::ReadLine),
        2 => any::<bool>().prop_map(Op::ReadLineRef),
        2 => any::<bool>().prop_map(Op::ReadLinesWith),
        3 => (sep(), any::<bool>()).prop_map(|(s, k)| Op::ReadUntil(s, k)),
        2 => (sep(), any::<bool>()).prop_map(|(s, k)| Op::ReadUntilRef(s, k)),
        2 => (0..120usize).prop_map(Op::ReadExact),
        1 => (0..120usize).prop_map(Op::ReadExactRef),
        2 => (0..120usize).prop_map(Op::ReadAtMost),
        2 => (0..120usize).prop_map(Op::Peek),
        1 => (prop::sample::select(b"ab\r\n-|z".to_vec()), 0..300usize, 0..300usize)
            .prop_map(|(b, s, e)| Op::FindByte(b, s, e)),
        1 => (sep(), 0..300usize, 0..300usize).prop_map(|(n, s, e)| Op::Find(n, s, e)),
        1 => (0..100usize).prop_map(Op::Skip),
        1 => prop_oneof![0..300usize, Just(5000)].prop_map(Op::ReserveFrame),
        1 => sep().prop_map(Op::DiscardUntil),
        1 => prop_oneof![Just(UNLIMITED), 0..100usize].prop_map(Op::SetMaxFrame),
        1 => Just(Op::Eof),
        1 => Just(Op::EofWithError),
        1 => Just(Op::DropKept),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1024,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_pipe_behaves_like_a_byte_queue(ops in prop::collection::vec(op(), 1..120)) {
        let pool = common::tiny_pool();
        pipe_testkit::model::run(ops, &pool).map_err(TestCaseError::fail)?;
    }

    /// The same with a pool whose largest chunk is 128 bytes, so that writes, reserved frames
    /// and unfinished delimited frames past it go to memory of their own that grows in place
    /// (and frames are then shared from it).
    #[test]
    fn the_pipe_behaves_like_a_byte_queue_past_the_largest_chunk(
        ops in prop::collection::vec(op(), 1..120)
    ) {
        let pool = pipe_core::Pool::new(
            pipe_core::PoolConfig::new().min_chunk(64).max_chunk(128),
        )
        .expect("a valid pool");
        pipe_testkit::model::run(ops, &pool).map_err(TestCaseError::fail)?;
    }
}
