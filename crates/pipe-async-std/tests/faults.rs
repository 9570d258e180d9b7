//! pipe-async-std over the test kit's misbehaving transport (short reads and writes, `Pending`,
//! `Interrupted`, `WouldBlock`, resets at random points), on async-std and on smol: the checks
//! of `pipe_testkit::fault_cases`, shared with pipe-tokio.

mod on_async_std {
    use async_std::task::yield_now;
    use pipe_async_std::ChunkedStream;

    pipe_testkit::fault_tests!(test: (#[async_std::test]));
}

mod on_smol {
    use pipe_async_std::ChunkedStream;
    use smol::future::yield_now;

    pipe_testkit::fault_tests!(test: (smol::block_on));
}
