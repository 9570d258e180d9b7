//! pipe-tokio over the test kit's misbehaving transport (short reads and writes, `Pending`,
//! `Interrupted`, `WouldBlock`, resets at random points), on tokio: the checks of
//! `pipe_testkit::fault_cases`, shared with pipe-async-std.

use pipe_tokio::ChunkedStream;
use tokio::task::yield_now;

pipe_testkit::fault_tests!(test: (#[tokio::test]));
