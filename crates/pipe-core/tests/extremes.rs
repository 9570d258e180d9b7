//! The synchronous `Pipe`, its `Cursor`, the codecs and the in-process pipe at the extremes of
//! their numeric arguments, written from the documentation alone: 0, 1, `usize::MAX`,
//! `usize::MAX - 1`, `isize::MAX`, `u64::MAX`, `Duration::ZERO`/`Duration::MAX`, on pipes that
//! hold nothing, one byte or bytes across chunks, open, closed or failed.
//!
//! The README's rule: "Bad input gets a clear error and loses nothing. No public call panics
//! on input." Every call here must return (a value, an error, or `Pending` where the docs say
//! it waits), and after each error a normal read must give back every byte.
//!
//! Calls that could try to allocate an absurd amount run in a child process (this test binary
//! again, one ignored test selected) under a virtual memory limit, so that an abort fails one
//! test, not the suite.

use std::io;
use std::ops::Bound;
use std::process::Command;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use pipe_core::codec::{
    AnyDelimiterCodec, AnyDelimiterCodecError, Decoder, Encoder, LengthDelimitedCodec,
    LengthDelimitedCodecError, LinesCodec, LinesCodecError,
};
use pipe_core::{
    AsyncPipeOptions, Bytes, DEFAULT_MAX_FRAME, Discarded, FindError, Pipe, PipeOptions, Pool,
    PoolConfig, ReadError, UNLIMITED, WriteError,
};

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// Virtual memory limit of a child process, in KiB (4 GiB).
const CHILD_VMEM_KIB: u64 = 4 * 1024 * 1024;

/// The environment variable that tells a child test it is the child.
const CHILD_ENV: &str = "PIPE_CORE_EXTREMES_CHILD";

/// Runs the ignored test `name` of this binary in a child process under [`CHILD_VMEM_KIB`];
/// returns whether it passed, and its output.
fn run_child(name: &str) -> (bool, String) {
    let exe = std::env::current_exe().expect("the test binary");
    let script = format!("ulimit -v {CHILD_VMEM_KIB} && exec \"$0\" \"$@\"");
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(exe)
        .args([
            name,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("spawn the child");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        stdout.contains("running 1 test"),
        "the child ran no test: {stdout}\n{stderr}"
    );
    (out.status.success(), format!("{stdout}\n{stderr}"))
}

/// Whether this process is a child started by [`run_child`].
fn is_child() -> bool {
    std::env::var_os(CHILD_ENV).is_some()
}

/// A test whose body runs in a child process: `$name` asserts that the child passed,
/// `$body_name` (ignored) is the child.
macro_rules! in_child {
    ($(#[$attr:meta])* $name:ident, $body_name:ident, $body:block) => {
        #[test]
        $(#[$attr])*
        fn $name() {
            let (ok, out) = run_child(stringify!($body_name));
            assert!(ok, "{} did not answer in the child:\n{out}", stringify!($name));
        }

        #[test]
        #[ignore = "a child process of another test"]
        fn $body_name() {
            if is_child() $body
        }
    };
}

/// A pool of small classes, so that a few hundred bytes lie in several chunks.
fn small_pool() -> Pool {
    Pool::new(PoolConfig::new().min_chunk(64).max_chunk(4096)).unwrap()
}

/// The bytes of "some bytes": 200 of them, across 64-byte chunks.
fn some_bytes() -> Vec<u8> {
    (0..200u32).map(|i| b'a' + (i % 26) as u8).collect()
}

/// How the write side of a test pipe ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    Open,
    Closed,
    Failed,
}

/// A pipe holding `content` (written in 50-byte pieces into 64-byte chunks), then ended as
/// `end`, with the maximum frame `max_frame`.
fn pipe_with(content: &[u8], end: End, max_frame: usize) -> Pipe {
    let options = PipeOptions::new()
        .pool(small_pool())
        .chunk_size(64)
        .max_chunk(64)
        .max_frame(max_frame);
    let mut pipe = Pipe::with_options(options);
    for piece in content.chunks(50) {
        pipe.write_all(piece).unwrap();
    }
    match end {
        End::Open => {}
        End::Closed => pipe.eof().unwrap(),
        End::Failed => pipe
            .eof_with_error(io::Error::new(io::ErrorKind::ConnectionReset, "reset"))
            .unwrap(),
    }
    pipe
}

/// Every combination of content (nothing, one byte, bytes across chunks) and end.
fn states() -> Vec<(Vec<u8>, End)> {
    let mut out = Vec::new();
    for content in [Vec::new(), b"x".to_vec(), some_bytes()] {
        for end in [End::Open, End::Closed, End::Failed] {
            out.push((content.clone(), end));
        }
    }
    out
}

/// The pipe still holds exactly `content`, readable in order ("loses nothing").
fn assert_intact(pipe: &mut Pipe, content: &[u8]) {
    assert_eq!(pipe.len(), content.len(), "bytes buffered");
    if !content.is_empty() {
        // Reads are bounded by the maximum frame: lift it for the check, then put it back.
        let max = pipe.max_frame();
        pipe.set_max_frame(UNLIMITED);
        assert_eq!(pipe.peek(content.len()).unwrap(), content);
        assert_eq!(pipe.read_exact(content.len()).unwrap(), content);
        pipe.set_max_frame(max);
    }
}

/// The outcome a read that the buffered bytes cannot serve gives in each end state.
fn assert_short(outcome: &Result<Bytes, ReadError>, content: &[u8], end: End) {
    match (end, outcome) {
        (End::Open, Err(ReadError::NeedMore)) => {}
        (End::Closed, Err(ReadError::End)) if content.is_empty() => {}
        (End::Closed, Err(ReadError::Partial(rest))) if !content.is_empty() => {
            assert_eq!(rest, content)
        }
        (End::Failed, Err(ReadError::Stream(e))) => {
            assert_eq!(e.kind(), io::ErrorKind::ConnectionReset)
        }
        _ => panic!("{end:?} with {} bytes: {outcome:?}", content.len()),
    }
}

/// The sizes every size-taking call is tried with.
const HUGE: [usize; 4] = [
    usize::MAX,
    usize::MAX - 1,
    isize::MAX as usize,
    isize::MAX as usize + 1,
];

// ---------------------------------------------------------------------------------------------
// Pipe: reads
// ---------------------------------------------------------------------------------------------

#[test]
fn read_exact_huge_is_limit_exceeded_at_once_in_every_state() {
    for (content, end) in states() {
        for n in HUGE.into_iter().chain([DEFAULT_MAX_FRAME + 1]) {
            let mut pipe = pipe_with(&content, end, DEFAULT_MAX_FRAME);
            match pipe.read_exact(n) {
                Err(ReadError::LimitExceeded { limit, .. }) => assert_eq!(limit, DEFAULT_MAX_FRAME),
                other => panic!("read_exact({n}) {end:?} {}: {other:?}", content.len()),
            }
            match pipe.read_exact_ref(n) {
                Err(ReadError::LimitExceeded { limit, .. }) => assert_eq!(limit, DEFAULT_MAX_FRAME),
                other => panic!("read_exact_ref({n}) {end:?}: {other:?}"),
            }
            assert_intact(&mut pipe, &content);
        }
    }
}

#[test]
fn read_exact_zero_is_an_empty_frame_in_every_state() {
    for (content, end) in states() {
        let mut pipe = pipe_with(&content, end, DEFAULT_MAX_FRAME);
        assert_eq!(pipe.read_exact(0).unwrap(), "");
        assert_eq!(pipe.read_exact_ref(0).unwrap(), b"");
        assert_intact(&mut pipe, &content);
    }
}

in_child!(
    read_exact_huge_unlimited_is_short_and_loses_nothing,
    read_exact_huge_unlimited_child,
    {
        for (content, end) in states() {
            for n in HUGE {
                let mut pipe = pipe_with(&content, end, UNLIMITED);
                let outcome = pipe.read_exact(n);
                assert_short(&outcome, &content, end);
                if end == End::Closed {
                    // The leftover was handed over; then the end.
                    assert!(matches!(pipe.read_exact(n), Err(ReadError::End)));
                    continue;
                }
                assert_intact(&mut pipe, &content);
            }
        }
    }
);

in_child!(
    read_exact_huge_unlimited_then_writes_go_on,
    read_exact_huge_unlimited_then_writes_child,
    {
        // `read_exact` reserves room for the frame it waits for; a huge one must cost memory
        // only as bytes come ("grows with the bytes that arrive").
        for n in HUGE {
            let mut pipe = pipe_with(b"abc", End::Open, UNLIMITED);
            assert!(matches!(pipe.read_exact(n), Err(ReadError::NeedMore)));
            assert!(matches!(pipe.read_exact_ref(n), Err(ReadError::NeedMore)));
            pipe.write_all(b"def").unwrap();
            let buf = pipe.get_buffer(0).unwrap();
            buf[..3].copy_from_slice(b"ghi");
            pipe.buffer_written(3).unwrap();
            pipe.write_all(&[b'j'; 10_000]).unwrap();
            assert_eq!(pipe.len(), 10_009);
            assert_eq!(pipe.read_exact(9).unwrap(), "abcdefghi");
            assert_eq!(pipe.read_exact(10_000).unwrap().len(), 10_000);
        }
    }
);

#[test]
fn read_at_most_zero_is_invalid_argument_and_changes_nothing() {
    for (content, end) in states() {
        let mut pipe = pipe_with(&content, end, DEFAULT_MAX_FRAME);
        assert!(matches!(
            pipe.read_at_most(0),
            Err(ReadError::InvalidArgument(_))
        ));
        assert_intact(&mut pipe, &content);
    }
}

#[test]
fn read_at_most_huge_takes_what_is_buffered() {
    for (content, end) in states() {
        for n in HUGE {
            let mut pipe = pipe_with(&content, end, DEFAULT_MAX_FRAME);
            let outcome = pipe.read_at_most(n);
            if content.is_empty() {
                match (end, &outcome) {
                    (End::Open, Err(ReadError::NeedMore)) => {}
                    (End::Closed, Err(ReadError::End)) => {}
                    (End::Failed, Err(ReadError::Stream(_))) => {}
                    _ => panic!("read_at_most({n}) {end:?} on nothing: {outcome:?}"),
                }
            } else {
                // Between 1 and n bytes, all buffered up to n: at least the first chunk.
                let got = outcome.unwrap();
                assert!(!got.is_empty());
                assert_eq!(&got[..], &content[..got.len()]);
                let rest = &content[got.len()..];
                assert_intact(&mut pipe, rest);
            }
        }
    }
}

#[test]
fn peek_extremes_consume_nothing() {
    for (content, end) in states() {
        let mut pipe = pipe_with(&content, end, DEFAULT_MAX_FRAME);
        assert_eq!(pipe.peek(0).unwrap(), "");
        assert_eq!(pipe.peek_ref(0).unwrap(), b"");
        for n in HUGE {
            let outcome = pipe.peek(n);
            if content.is_empty() {
                assert!(outcome.is_err(), "peek({n}) on nothing: {outcome:?}");
                assert!(!matches!(outcome, Err(ReadError::InvalidArgument(_))));
            } else {
                assert_eq!(outcome.unwrap(), &content[..]);
                assert_eq!(pipe.peek_ref(n).unwrap(), &content[..]);
            }
        }
        assert_intact(&mut pipe, &content);
    }
}

#[test]
fn peek_huge_on_unlimited_pipe() {
    for (content, end) in states() {
        let mut pipe = pipe_with(&content, end, UNLIMITED);
        for n in HUGE {
            if let Ok(bytes) = pipe.peek(n) {
                assert_eq!(bytes, &content[..]);
            }
        }
        assert_intact(&mut pipe, &content);
    }
}

#[test]
fn skip_extremes_drop_at_most_what_is_buffered() {
    for (content, end) in states() {
        let mut pipe = pipe_with(&content, end, DEFAULT_MAX_FRAME);
        assert_eq!(pipe.skip(0), 0);
        assert_intact(&mut pipe, &content);
        for n in HUGE {
            let mut pipe = pipe_with(&content, end, DEFAULT_MAX_FRAME);
            assert_eq!(pipe.skip(n), content.len());
            assert!(pipe.is_empty());
            // Still usable: the write side as it was.
            if end == End::Open {
                pipe.write_all(b"ok\n").unwrap();
                assert_eq!(pipe.read_line(false).unwrap(), "ok");
            }
        }
    }
}

#[test]
fn skip_huge_after_a_partial_skip() {
    let mut pipe = pipe_with(&some_bytes(), End::Open, DEFAULT_MAX_FRAME);
    assert_eq!(pipe.skip(7), 7);
    assert_eq!(pipe.skip(usize::MAX), 193);
    pipe.write_all(b"z").unwrap();
    assert_eq!(pipe.read_exact(1).unwrap(), "z");
}

#[test]
fn read_until_empty_separator_is_invalid_argument_in_every_state() {
    for (content, end) in states() {
        let mut pipe = pipe_with(&content, end, DEFAULT_MAX_FRAME);
        assert!(matches!(
            pipe.read_until(b"", true),
            Err(ReadError::InvalidArgument(_))
        ));
        assert!(matches!(
            pipe.read_until_ref(b"", false),
            Err(ReadError::InvalidArgument(_))
        ));
        assert!(matches!(
            pipe.discard_until(b""),
            Err(ReadError::InvalidArgument(_))
        ));
        assert_intact(&mut pipe, &content);
    }
}

#[test]
fn read_until_separator_longer_than_everything() {
    // A separator longer than what is buffered, and longer than the maximum frame.
    let long_sep = vec![b'#'; DEFAULT_MAX_FRAME + 10];
    for (content, end) in states() {
        for max in [0, 1, DEFAULT_MAX_FRAME, usize::MAX - 1, UNLIMITED] {
            let mut pipe = pipe_with(&content, end, max);
            let outcome = pipe.read_until(&long_sep, true);
            match (&outcome, end) {
                (Err(ReadError::LimitExceeded { limit, .. }), _) => assert_eq!(*limit, max),
                _ => assert_short(&outcome, &content, end),
            }
            if !matches!(outcome, Err(ReadError::Partial(_))) {
                assert_intact(&mut pipe, &content);
            }
        }
    }
}

#[test]
fn read_until_finds_a_long_separator_across_chunks() {
    let sep = vec![b'#'; 300];
    for max in [0, 1, 300, usize::MAX - 2, usize::MAX - 1, UNLIMITED] {
        let mut pipe = pipe_with(b"", End::Open, max);
        pipe.write_all(&sep).unwrap();
        pipe.write_all(b"after").unwrap();
        assert_eq!(pipe.read_until(&sep, false).unwrap(), "", "max_frame {max}");
        assert_intact(&mut pipe, b"after");
    }
}

/// `read_line` and `read_until` near `usize::MAX` for a maximum frame that is not
/// [`UNLIMITED`]: the search window is the limit plus the ending.
#[test]
fn frame_reads_with_max_frame_near_usize_max() {
    for max in [usize::MAX - 2, usize::MAX - 1, UNLIMITED] {
        let mut pipe = pipe_with(b"", End::Open, max);
        pipe.write_all(b"abc").unwrap();
        assert!(
            matches!(pipe.read_line(false), Err(ReadError::NeedMore)),
            "max {max}"
        );
        assert!(matches!(pipe.read_line_ref(true), Err(ReadError::NeedMore)));
        assert!(matches!(
            pipe.read_until(b"--", true),
            Err(ReadError::NeedMore)
        ));
        assert!(
            pipe.read_lines_with(false, |_| ())
                .unwrap_err()
                .is_need_more()
        );
        assert_eq!(
            pipe.discard_until(b"\r\n\r\n").unwrap(),
            Discarded::NotYet(0)
        );
        pipe.write_all(b"\r\nx--").unwrap();
        assert_eq!(pipe.read_line(false).unwrap(), "abc", "max {max}");
        assert_eq!(pipe.read_until(b"--", false).unwrap(), "x");
        pipe.eof().unwrap();
        assert!(matches!(pipe.read_line(false), Err(ReadError::End)));
    }
}

#[test]
fn max_frame_zero_allows_only_empty_frames() {
    let mut pipe = pipe_with(b"", End::Open, 0);
    pipe.write_all(b"\n\r\nab\n").unwrap();
    assert_eq!(pipe.read_line(false).unwrap(), "");
    assert_eq!(pipe.read_line(true).unwrap(), "\r\n");
    assert!(matches!(
        pipe.read_line(false),
        Err(ReadError::LimitExceeded { limit: 0, .. })
    ));
    assert!(matches!(
        pipe.read_exact(1),
        Err(ReadError::LimitExceeded { limit: 0, .. })
    ));
    assert_eq!(pipe.read_exact(0).unwrap(), "");
    assert_eq!(pipe.len(), 3, "nothing consumed by the errors");
    pipe.set_max_frame(2);
    assert_eq!(pipe.read_line(false).unwrap(), "ab");
}

#[test]
fn set_max_frame_extremes_then_back() {
    for (content, end) in states() {
        let mut pipe = pipe_with(&content, end, DEFAULT_MAX_FRAME);
        for max in [0, 1, usize::MAX - 1, UNLIMITED] {
            pipe.set_max_frame(max);
            assert_eq!(pipe.max_frame(), max);
            let _ = pipe.read_line(false);
            let _ = pipe.find(b"zz", ..);
        }
        pipe.set_max_frame(DEFAULT_MAX_FRAME);
        // A read after the limit changes: `read_line` may have handed over a partial line
        // (closed) or found nothing (the content has no `\n`).
        if end != End::Closed {
            assert_intact(&mut pipe, &content);
        }
    }
}

#[test]
fn read_line_partial_over_the_limit_after_the_end() {
    // "After the end, a last line without `\n` is `Partial` if it is within the limit,
    // `LimitExceeded` if it is not."
    let mut pipe = pipe_with(&some_bytes(), End::Closed, 10);
    assert!(matches!(
        pipe.read_line(false),
        Err(ReadError::LimitExceeded { limit: 10, .. })
    ));
    assert_intact(&mut pipe, &some_bytes());
}

#[test]
fn discard_until_long_separator_keeps_a_possible_start() {
    let sep = vec![b'#'; 1000];
    let mut pipe = pipe_with(&some_bytes(), End::Open, 0);
    // No separator: all but the last `sep.len() - 1` bytes go, that is none of 200.
    assert_eq!(pipe.discard_until(&sep).unwrap(), Discarded::NotYet(0));
    assert_eq!(pipe.len(), 200);
    pipe.write_all(&sep).unwrap();
    pipe.write_all(b"ok").unwrap();
    assert_eq!(pipe.discard_until(&sep).unwrap(), Discarded::Found(1200));
    assert_intact(&mut pipe, b"ok");
}

// ---------------------------------------------------------------------------------------------
// Pipe: searches
// ---------------------------------------------------------------------------------------------

/// Ranges at the edges of `usize`, as `RangeBounds` of every shape.
fn extreme_ranges(len: usize) -> Vec<(Bound<usize>, Bound<usize>)> {
    use Bound::*;
    vec![
        (Included(0), Included(usize::MAX)),
        (Included(0), Excluded(usize::MAX)),
        (Excluded(usize::MAX), Unbounded),
        (Excluded(usize::MAX - 1), Unbounded),
        (Included(usize::MAX), Unbounded),
        (Unbounded, Included(usize::MAX)),
        (Unbounded, Included(usize::MAX - 1)),
        (Excluded(len), Included(len)),
        (Included(len), Included(len)),
        (Excluded(0), Excluded(0)),
        (Included(len + 1), Unbounded),
        (Unbounded, Excluded(len + 1)),
        (Included(5), Excluded(3)),
        (Excluded(usize::MAX), Included(usize::MAX)),
        (Included(usize::MAX), Excluded(0)),
    ]
}

#[test]
fn find_with_extreme_ranges_answers() {
    for (content, end) in states() {
        let mut pipe = pipe_with(&content, end, DEFAULT_MAX_FRAME);
        for range in extreme_ranges(content.len()) {
            match pipe.find(b"ab", range) {
                Ok(None) | Err(FindError::InvalidRange { .. }) => {}
                Ok(Some(at)) => assert_eq!(&content[at..at + 2], b"ab"),
                Err(e) => panic!("find(ab, {range:?}): {e:?}"),
            }
            match pipe.find_byte(b'a', range) {
                Ok(None) | Err(FindError::InvalidRange { .. }) => {}
                Ok(Some(at)) => assert_eq!(content[at], b'a'),
                Err(e) => panic!("find_byte(a, {range:?}): {e:?}"),
            }
        }
        assert_intact(&mut pipe, &content);
    }
}

#[test]
fn find_ranges_past_the_end_are_invalid() {
    let content = some_bytes();
    let mut pipe = pipe_with(&content, End::Open, DEFAULT_MAX_FRAME);
    assert!(matches!(
        pipe.find(b"a", 0..usize::MAX),
        Err(FindError::InvalidRange { .. })
    ));
    assert!(matches!(
        pipe.find(b"a", usize::MAX..),
        Err(FindError::InvalidRange { .. })
    ));
    assert!(matches!(
        pipe.find_byte(b'a', ..usize::MAX),
        Err(FindError::InvalidRange { .. })
    ));
    assert!(matches!(
        pipe.find_byte(b'a', 201..),
        Err(FindError::InvalidRange { .. })
    ));
    assert_eq!(pipe.find_byte(b'a', 200..), Ok(None));
    assert_eq!(pipe.find(b"a", 200..200), Ok(None));
    assert_intact(&mut pipe, &content);
}

#[test]
fn find_inclusive_end_at_usize_max_answers() {
    let content = some_bytes();
    let mut pipe = pipe_with(&content, End::Open, DEFAULT_MAX_FRAME);
    let found = pipe.find(b"a", ..=usize::MAX);
    assert!(
        matches!(found, Err(FindError::InvalidRange { .. })),
        "{found:?}"
    );
    let found = pipe.find_byte(b'a', 0..=usize::MAX);
    assert!(
        matches!(found, Err(FindError::InvalidRange { .. })),
        "{found:?}"
    );
    assert_intact(&mut pipe, &content);
}

#[test]
fn find_excluded_start_at_usize_max_answers() {
    let content = some_bytes();
    let mut pipe = pipe_with(&content, End::Open, DEFAULT_MAX_FRAME);
    let range = (Bound::Excluded(usize::MAX), Bound::Unbounded);
    let found = pipe.find(b"a", range);
    assert!(
        matches!(found, Err(FindError::InvalidRange { .. })),
        "{found:?}"
    );
    let found = pipe.find_byte(b'a', range);
    assert!(
        matches!(found, Err(FindError::InvalidRange { .. })),
        "{found:?}"
    );
    assert_intact(&mut pipe, &content);
}

#[test]
fn find_empty_needle_and_needle_longer_than_range() {
    for (content, end) in states() {
        let mut pipe = pipe_with(&content, end, DEFAULT_MAX_FRAME);
        assert_eq!(pipe.find(b"", ..), Err(FindError::EmptyNeedle));
        let long = vec![b'a'; 10_000];
        assert_eq!(pipe.find(&long, ..), Ok(None));
        assert_eq!(pipe.find(b"ab", 0..1.min(content.len())), Ok(None));
        assert_intact(&mut pipe, &content);
    }
}

// ---------------------------------------------------------------------------------------------
// Pipe: the write side
// ---------------------------------------------------------------------------------------------

#[test]
fn get_buffer_huge_is_size_hint_too_large_and_changes_nothing() {
    for (content, end) in states() {
        let mut pipe = pipe_with(&content, end, DEFAULT_MAX_FRAME);
        for hint in HUGE.into_iter().chain([4097]) {
            match pipe.get_buffer(hint) {
                Err(WriteError::SizeHintTooLarge { hint: h, max }) => {
                    assert_eq!(end, End::Open);
                    assert_eq!(h, hint);
                    assert_eq!(max, 4096, "the pool's largest chunk");
                }
                Err(WriteError::Closed) => assert_ne!(end, End::Open),
                Err(e) => panic!("get_buffer({hint}): {e:?}"),
                Ok(buf) => panic!("get_buffer({hint}) lent {} bytes", buf.len()),
            }
            if end == End::Open {
                assert_eq!(pipe.buffer_written(1), Err(WriteError::NothingLent));
            }
        }
        if end == End::Open {
            // The largest hint accepted is served.
            assert!(pipe.get_buffer(4096).unwrap().len() >= 4096);
            pipe.buffer_written(0).unwrap();
        }
        assert_intact(&mut pipe, &content);
    }
}

#[test]
fn buffer_written_over_the_loan_is_overcommit_and_the_loan_stays() {
    for n in HUGE.into_iter().chain([4097]) {
        let mut pipe = pipe_with(b"12", End::Open, DEFAULT_MAX_FRAME);
        let buf = pipe.get_buffer(10).unwrap();
        let lent = buf.len();
        buf[..3].copy_from_slice(b"abc");
        if n <= lent {
            continue;
        }
        assert_eq!(
            pipe.buffer_written(n),
            Err(WriteError::Overcommit { committed: n, lent })
        );
        assert_eq!(pipe.len(), 2, "nothing committed");
        // "nothing changes": the loan is still there.
        pipe.buffer_written(3).unwrap();
        assert_intact(&mut pipe, b"12abc");
    }
}

#[test]
fn buffer_written_without_a_loan_or_after_close() {
    for (content, end) in states() {
        let mut pipe = pipe_with(&content, end, DEFAULT_MAX_FRAME);
        for n in [0, 1, usize::MAX] {
            let result = pipe.buffer_written(n);
            match end {
                End::Open => assert_eq!(result, Err(WriteError::NothingLent)),
                _ => assert_eq!(result, Err(WriteError::Closed)),
            }
        }
        assert_intact(&mut pipe, &content);
    }
}

#[test]
fn buffer_written_zero_ends_the_loan() {
    let mut pipe = pipe_with(b"x", End::Open, DEFAULT_MAX_FRAME);
    pipe.get_buffer(usize::from(u8::MAX)).unwrap();
    pipe.buffer_written(0).unwrap();
    assert_eq!(pipe.buffer_written(0), Err(WriteError::NothingLent));
    assert_intact(&mut pipe, b"x");
}

in_child!(
    reserve_frame_extremes_cost_nothing_up_front,
    reserve_frame_extremes_child,
    {
        for content in [Vec::new(), b"x".to_vec(), some_bytes()] {
            for n in HUGE.into_iter().chain([0, 1, 4096, 4097, 1 << 40]) {
                let mut pipe = pipe_with(&content, End::Open, UNLIMITED);
                pipe.reserve_frame(n);
                pipe.write_all(b"more").unwrap();
                let buf = pipe.get_buffer(0).unwrap();
                assert!(!buf.is_empty());
                buf[0] = b'!';
                pipe.buffer_written(1).unwrap();
                let mut expected = content.clone();
                expected.extend_from_slice(b"more!");
                assert_intact(&mut pipe, &expected);
            }
        }
    }
);

in_child!(
    reserve_frame_huge_then_many_writes,
    reserve_frame_huge_then_many_writes_child,
    {
        // A peer claims a huge frame; its bytes come slowly: memory only as they come.
        let mut pipe = pipe_with(b"", End::Open, UNLIMITED);
        pipe.write_all(&[1; 100]).unwrap();
        pipe.reserve_frame(usize::MAX);
        for _ in 0..100 {
            pipe.write_all(&[2; 1000]).unwrap();
        }
        assert_eq!(pipe.len(), 100_100);
        assert_eq!(pipe.read_exact(100).unwrap(), &[1; 100][..]);
        assert_eq!(pipe.read_exact(100_000).unwrap().len(), 100_000);
    }
);

#[test]
fn reserve_frame_on_closed_pipes_is_harmless() {
    for (content, end) in states() {
        let mut pipe = pipe_with(&content, end, DEFAULT_MAX_FRAME);
        pipe.reserve_frame(usize::MAX);
        pipe.reserve_frame(0);
        assert_intact(&mut pipe, &content);
    }
}

// ---------------------------------------------------------------------------------------------
// PipeOptions and pool configurations at their extremes
// ---------------------------------------------------------------------------------------------

in_child!(
    pipe_options_chunk_sizes_are_clamped,
    pipe_options_chunk_sizes_child,
    {
        let pool = small_pool();
        for chunk in [
            0,
            1,
            63,
            100,
            4097,
            usize::MAX,
            usize::MAX - 1,
            isize::MAX as usize,
        ] {
            for max in [0, 1, 64, 4096, usize::MAX] {
                let options = PipeOptions::new()
                    .pool(pool.clone())
                    .chunk_size(chunk)
                    .max_chunk(max);
                let mut pipe = Pipe::with_options(options);
                let size = pipe.adaptive_chunk_size();
                assert!(
                    (64..=4096).contains(&size),
                    "chunk {chunk} max {max}: {size}"
                );
                let buf = pipe.get_buffer(0).unwrap();
                assert!(!buf.is_empty());
                buf[0] = b'a';
                pipe.buffer_written(1).unwrap();
                pipe.write_all(&[b'b'; 10_000]).unwrap();
                assert_eq!(pipe.read_exact(1).unwrap(), "a");
                assert_eq!(pipe.read_exact(10_000).unwrap().len(), 10_000);
            }
        }
    }
);

in_child!(
    pipe_options_on_the_global_pool_extremes,
    pipe_options_global_child,
    {
        for chunk in [0, usize::MAX] {
            for max in [0, usize::MAX] {
                let options = PipeOptions::new()
                    .chunk_size(chunk)
                    .max_chunk(max)
                    .max_frame(0);
                let mut pipe = Pipe::with_options(options);
                let size = pipe.adaptive_chunk_size();
                assert!(size >= Pool::global().min_chunk() && size <= Pool::global().max_chunk());
                pipe.write_all(b"\nx").unwrap();
                assert_eq!(pipe.read_line(false).unwrap(), "");
                assert_eq!(pipe.read_exact(0).unwrap(), "");
                assert!(matches!(
                    pipe.read_exact(1),
                    Err(ReadError::LimitExceeded { .. })
                ));
            }
        }
    }
);

#[test]
fn pipe_on_a_one_class_pool() {
    let pool = Pool::new(PoolConfig::new().min_chunk(64).max_chunk(64)).unwrap();
    let mut pipe = Pipe::with_options(PipeOptions::new().pool(pool).chunk_size(usize::MAX));
    assert_eq!(pipe.adaptive_chunk_size(), 64);
    assert!(matches!(
        pipe.get_buffer(65),
        Err(WriteError::SizeHintTooLarge { max: 64, .. })
    ));
    let data = some_bytes();
    pipe.write_all(&data).unwrap();
    assert_eq!(pipe.read_until(b"z", true).unwrap(), &data[..26]);
    assert_intact(&mut pipe, &data[26..]);
}

// ---------------------------------------------------------------------------------------------
// std::io on a pipe
// ---------------------------------------------------------------------------------------------

#[test]
fn io_consume_huge_drops_everything() {
    use std::io::BufRead;
    for (content, end) in states() {
        let mut pipe = pipe_with(&content, end, DEFAULT_MAX_FRAME);
        pipe.consume(usize::MAX);
        assert!(pipe.is_empty());
        let mut pipe = pipe_with(&content, end, DEFAULT_MAX_FRAME);
        pipe_core::adapter::consume(&mut pipe, usize::MAX);
        assert!(pipe.is_empty());
        let mut pipe = pipe_with(&content, end, DEFAULT_MAX_FRAME);
        pipe_core::adapter::consume(&mut pipe, 0);
        assert_intact(&mut pipe, &content);
    }
}

#[test]
fn io_read_into_empty_buffer() {
    use std::io::Read;
    for (content, end) in states() {
        let mut pipe = pipe_with(&content, end, DEFAULT_MAX_FRAME);
        let mut empty = [0u8; 0];
        let _ = pipe.read(&mut empty);
        let _ = Read::read_exact(&mut pipe, &mut empty);
        assert_intact(&mut pipe, &content);
    }
}

// ---------------------------------------------------------------------------------------------
// Cursor
// ---------------------------------------------------------------------------------------------

#[test]
fn cursor_uint_sizes_out_of_range_are_invalid_argument() {
    let content: Vec<u8> = (1..=20).collect();
    let mut pipe = pipe_with(&content, End::Open, DEFAULT_MAX_FRAME);
    for n in [0, 9, 16, usize::MAX, usize::MAX - 1, isize::MAX as usize] {
        let mut cursor = pipe.cursor();
        assert!(
            matches!(cursor.uint_be(n), Err(ReadError::InvalidArgument(_))),
            "uint_be({n})"
        );
        assert!(
            matches!(cursor.uint_le(n), Err(ReadError::InvalidArgument(_))),
            "uint_le({n})"
        );
        assert_eq!(cursor.position(), 0);
        cursor.commit();
    }
    let mut cursor = pipe.cursor();
    assert_eq!(cursor.uint_be(8).unwrap(), 0x0102_0304_0506_0708);
    assert_eq!(cursor.uint_le(1).unwrap(), 9);
    assert_intact(&mut pipe, &content);
}

#[test]
fn cursor_uint_sizes_out_of_range_on_short_pipes_answer() {
    for (content, end) in states() {
        let mut pipe = pipe_with(&content, end, DEFAULT_MAX_FRAME);
        for n in [0, 9, usize::MAX] {
            let mut cursor = pipe.cursor();
            let be = cursor.uint_be(n);
            assert!(
                matches!(be, Err(ReadError::InvalidArgument(_) | ReadError::NeedMore)),
                "uint_be({n}) on {} bytes: {be:?}",
                content.len()
            );
            let le = cursor.uint_le(n);
            assert!(matches!(
                le,
                Err(ReadError::InvalidArgument(_) | ReadError::NeedMore)
            ));
            assert_eq!(cursor.position(), 0);
        }
        assert_intact(&mut pipe, &content);
    }
}

#[test]
fn cursor_skip_and_bytes_huge_are_need_more_from_any_position() {
    for (content, end) in states() {
        let mut pipe = pipe_with(&content, end, DEFAULT_MAX_FRAME);
        for start in [0, 1, content.len()] {
            if start > content.len() {
                continue;
            }
            for n in HUGE {
                let mut cursor = pipe.cursor();
                cursor.skip(start).unwrap();
                assert!(
                    cursor.skip(n).unwrap_err().is_need_more(),
                    "skip({n}) at {start}"
                );
                assert_eq!(cursor.position(), start);
                assert!(
                    cursor.bytes(n).unwrap_err().is_need_more(),
                    "bytes({n}) at {start}"
                );
                assert_eq!(cursor.position(), start);
                assert_eq!(cursor.remaining(), content.len() - start);
                assert_eq!(cursor.bytes(0).unwrap(), "");
                cursor.skip(0).unwrap();
                assert_eq!(cursor.position(), start);
            }
        }
        assert_intact(&mut pipe, &content);
    }
}

#[test]
fn cursor_empty_separators_and_sets_answer() {
    for (content, end) in states() {
        let mut pipe = pipe_with(&content, end, DEFAULT_MAX_FRAME);
        let mut cursor = pipe.cursor();
        assert!(matches!(
            cursor.until(b""),
            Err(ReadError::InvalidArgument(_))
        ));
        assert!(cursor.until_any(b"").is_err(), "an empty set ends no field");
        assert!(matches!(cursor.is_next(b""), Ok(true)));
        assert!(matches!(cursor.skip_if(b""), Ok(true)));
        let _ = cursor.skip_any(b"");
        assert_eq!(cursor.position(), 0);
        assert_intact(&mut pipe, &content);
    }
}

#[test]
fn cursor_until_with_extreme_limits() {
    for max in [0, 1, usize::MAX - 1, UNLIMITED] {
        let mut pipe = pipe_with(b"", End::Open, max);
        pipe.write_all(b"key").unwrap();
        let mut cursor = pipe.cursor();
        let outcome = cursor.until(b": ");
        assert!(
            matches!(
                outcome,
                Err(ReadError::NeedMore | ReadError::LimitExceeded { .. })
            ),
            "max {max}: {outcome:?}"
        );
        let outcome = cursor.until_any(b":=");
        assert!(matches!(
            outcome,
            Err(ReadError::NeedMore | ReadError::LimitExceeded { .. })
        ));
        assert_eq!(cursor.position(), 0);
        pipe.write_all(b": v\r\n").unwrap();
        pipe.set_max_frame(max.max(8));
        let mut cursor = pipe.cursor();
        assert_eq!(cursor.until(b": ").unwrap(), "key");
        assert_eq!(cursor.until(b"\r\n").unwrap(), "v");
        cursor.commit();
        assert!(pipe.is_empty());
    }
}

/// `decimal`, `signed_decimal` and `hex` of `text` on a fresh pipe.
fn numbers(
    text: &[u8],
) -> (
    Result<u64, ReadError>,
    Result<i64, ReadError>,
    Result<u64, ReadError>,
) {
    let mut pipe = pipe_with(text, End::Open, DEFAULT_MAX_FRAME);
    let d = pipe.cursor().decimal();
    let s = pipe.cursor().signed_decimal();
    let h = pipe.cursor().hex();
    assert_intact(&mut pipe, text);
    (d, s, h)
}

#[test]
fn cursor_numbers_at_the_edges_of_u64_and_i64() {
    let (d, _, _) = numbers(b"18446744073709551615\r");
    assert_eq!(d.unwrap(), u64::MAX);
    let (d, _, _) = numbers(b"18446744073709551616\r");
    assert!(matches!(d, Err(ReadError::Malformed(_))), "{d:?}");
    let (d, _, _) = numbers(b"99999999999999999999999999999999999999\r");
    assert!(matches!(d, Err(ReadError::Malformed(_))), "{d:?}");
    let (_, s, _) = numbers(b"-9223372036854775808\r");
    assert_eq!(s.unwrap(), i64::MIN);
    let (_, s, _) = numbers(b"9223372036854775807\r");
    assert_eq!(s.unwrap(), i64::MAX);
    let (_, s, _) = numbers(b"-9223372036854775809\r");
    assert!(matches!(s, Err(ReadError::Malformed(_))), "{s:?}");
    let (_, s, _) = numbers(b"9223372036854775808\r");
    assert!(matches!(s, Err(ReadError::Malformed(_))), "{s:?}");
    let (_, s, _) = numbers(b"-\r");
    assert!(matches!(s, Err(ReadError::Malformed(_))), "{s:?}");
    let (_, s, _) = numbers(b"-");
    assert!(s.unwrap_err().is_need_more());
    let (_, _, h) = numbers(b"ffffFFFFffffFFFF\r");
    assert_eq!(h.unwrap(), u64::MAX);
    let (_, _, h) = numbers(b"10000000000000000\r");
    assert!(matches!(h, Err(ReadError::Malformed(_))), "{h:?}");
    let (d, s, h) = numbers(b"\r");
    assert!(matches!(d, Err(ReadError::Malformed(_))));
    assert!(matches!(s, Err(ReadError::Malformed(_))));
    assert!(matches!(h, Err(ReadError::Malformed(_))));
}

#[test]
fn cursor_numbers_with_many_leading_zeros() {
    let mut text = vec![b'0'; 300];
    text.extend_from_slice(b"42\r");
    let (d, s, h) = numbers(&text);
    assert_eq!(d.unwrap(), 42, "a value within u64, however many digits");
    assert_eq!(s.unwrap(), 42);
    assert_eq!(h.unwrap(), 0x42);
    let mut text = b"-".to_vec();
    text.extend_from_slice(&[b'0'; 300]);
    text.extend_from_slice(b"1\r");
    let (_, s, _) = numbers(&text);
    assert_eq!(s.unwrap(), -1);
}

#[test]
fn cursor_numbers_running_to_the_end_need_more() {
    for text in [&b"123"[..], b"18446744073709551615"] {
        let (d, _, _) = numbers(text);
        assert!(d.unwrap_err().is_need_more(), "{text:?}");
    }
    for text in [&b"ffff"[..], b"FFFFFFFFFFFFFFFF"] {
        let (_, _, h) = numbers(text);
        assert!(h.unwrap_err().is_need_more(), "{text:?}");
    }
    let (_, s, _) = numbers(b"-9223372036854775808");
    assert!(s.unwrap_err().is_need_more());
}

// ---------------------------------------------------------------------------------------------
// Codecs
// ---------------------------------------------------------------------------------------------

#[test]
fn lines_codec_limits_zero_and_near_usize_max() {
    for max in [0, 1, usize::MAX - 2, usize::MAX - 1, usize::MAX] {
        let mut codec = LinesCodec::new_with_max_length(max);
        assert_eq!(codec.max_length(), max);
        let mut pipe = Pipe::new();
        pipe.write_all(b"\nab\r\ncd").unwrap();
        assert_eq!(codec.decode(&mut pipe).unwrap().unwrap(), "", "max {max}");
        match codec.decode(&mut pipe) {
            Ok(Some(line)) => {
                assert!(max >= 2);
                assert_eq!(line, "ab");
            }
            Err(LinesCodecError::MaxLineLengthExceeded) => assert!(max < 2),
            other => panic!("max {max}: {other:?}"),
        }
        if max < 2 {
            // The long line is dropped through its `\n`, then "cd" (also too long) through
            // its own; an empty line after them comes out.
            pipe.write_all(b"\n\n").unwrap();
            let mut got = Vec::new();
            for _ in 0..6 {
                if let Ok(Some(line)) = codec.decode(&mut pipe) {
                    got.push(line);
                }
            }
            assert_eq!(got, [""], "max {max}");
            continue;
        }
        assert_eq!(codec.decode(&mut pipe).unwrap(), None);
        pipe.write_all(b"\n").unwrap();
        match codec.decode(&mut pipe) {
            Ok(Some(line)) => assert_eq!(line, "cd"),
            Err(LinesCodecError::MaxLineLengthExceeded) => assert!(max < 2),
            other => panic!("max {max}: {other:?}"),
        }
        let mut out = Pipe::new();
        let encoded = codec.encode("xy", &mut out);
        assert_eq!(encoded.is_ok(), max >= 2);
        if max >= 2 {
            assert_eq!(out.read_exact(3).unwrap(), "xy\n");
        } else {
            assert!(out.is_empty(), "a refused line writes nothing");
        }
    }
}

#[test]
fn any_delimiter_codec_extremes() {
    for max in [0, 1, usize::MAX - 1, usize::MAX] {
        // An empty set of delimiters ends no chunk; an empty sequence writes nothing after.
        let mut codec = AnyDelimiterCodec::new_with_max_length(Vec::new(), Vec::new(), max);
        assert_eq!(codec.max_length(), max);
        let mut pipe = Pipe::new();
        pipe.write_all(b"abc").unwrap();
        match codec.decode(&mut pipe) {
            Ok(None) => {}
            Err(AnyDelimiterCodecError::MaxChunkLengthExceeded) => assert!(max < 3),
            // A clear error for a codec that can find no delimiter.
            Err(AnyDelimiterCodecError::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::InvalidInput),
            Ok(Some(chunk)) => panic!("max {max}: a chunk without a delimiter: {chunk:?}"),
        }
        assert_eq!(pipe.len(), 3);
        let mut out = Pipe::new();
        match codec.encode(b"xy", &mut out) {
            Ok(()) => assert_eq!(out.read_exact(2).unwrap(), "xy"),
            Err(AnyDelimiterCodecError::MaxChunkLengthExceeded) => {
                assert!(max < 2);
                assert!(out.is_empty());
            }
            Err(e) => panic!("{e:?}"),
        }

        let mut codec = AnyDelimiterCodec::new_with_max_length(b",;".to_vec(), b";".to_vec(), max);
        let mut pipe = Pipe::new();
        pipe.write_all(b",ab;c").unwrap();
        assert_eq!(codec.decode(&mut pipe).unwrap().unwrap(), "", "max {max}");
        match codec.decode(&mut pipe) {
            Ok(Some(chunk)) => assert_eq!(chunk, "ab"),
            Err(AnyDelimiterCodecError::MaxChunkLengthExceeded) => assert!(max < 2),
            other => panic!("max {max}: {other:?}"),
        }
        pipe.eof().unwrap();
        match codec.decode_eof(&mut pipe) {
            Ok(Some(chunk)) => assert_eq!(chunk, "c"),
            Err(AnyDelimiterCodecError::MaxChunkLengthExceeded) => assert_eq!(max, 0),
            other => panic!("max {max}: {other:?}"),
        }
    }
}

#[test]
fn length_delimited_field_length_is_clamped() {
    for n in [0, 1, 8, 9, usize::MAX] {
        let mut codec = LengthDelimitedCodec::builder()
            .length_field_length(n)
            .new_codec();
        let mut pipe = Pipe::new();
        codec.encode(Bytes::from_static(b"hi"), &mut pipe).unwrap();
        let header = pipe.len() - 2;
        assert_eq!(header, n.clamp(1, 8), "length_field_length({n})");
        assert_eq!(codec.decode(&mut pipe).unwrap().unwrap(), "hi");
    }
}

#[test]
fn length_delimited_offset_and_skip_extremes_answer() {
    for offset in [0, 1, usize::MAX - 8, usize::MAX - 1, usize::MAX] {
        for skip in [None, Some(0), Some(usize::MAX)] {
            let mut builder = LengthDelimitedCodec::builder();
            builder
                .length_field_offset(offset)
                .max_frame_length(usize::MAX);
            if let Some(skip) = skip {
                builder.num_skip(skip);
            }
            let mut codec = builder.new_codec();
            let mut pipe = Pipe::new();
            pipe.write_all(&[0, 0, 0, 2, b'h', b'i']).unwrap();
            let decoded = codec.decode(&mut pipe);
            match (&decoded, offset, skip) {
                (Ok(Some(frame)), 0, None) => assert_eq!(frame, "hi"),
                (Ok(Some(frame)), 0, Some(0)) => assert_eq!(frame, "\0\0\0\x02hi"),
                (Ok(None), _, _) => assert_eq!(pipe.len(), 6, "nothing consumed"),
                (Err(LengthDelimitedCodecError::BadLength { .. }), _, Some(usize::MAX)) => {}
                _ => panic!("offset {offset} skip {skip:?}: {decoded:?}"),
            }
            if !matches!(decoded, Ok(Some(_))) {
                assert_eq!(pipe.len(), 6);
                assert_eq!(pipe.read_exact(6).unwrap(), "\0\0\0\x02hi");
            }
        }
    }
}

#[test]
fn length_delimited_adjustment_extremes_answer() {
    let fields: [u64; 5] = [0, 1, 2, u32::MAX as u64, 0x7fff_ffff];
    for adjustment in [
        isize::MIN,
        isize::MIN + 1,
        -4,
        0,
        4,
        isize::MAX - 1,
        isize::MAX,
    ] {
        for max in [0, 8 << 20, usize::MAX - 1, usize::MAX] {
            for field in fields {
                let mut codec = LengthDelimitedCodec::builder()
                    .length_adjustment(adjustment)
                    .max_frame_length(max)
                    .new_codec();
                let mut pipe = Pipe::new();
                pipe.write_all(&(field as u32).to_be_bytes()).unwrap();
                pipe.write_all(b"hi").unwrap();
                match codec.decode(&mut pipe) {
                    Ok(Some(frame)) => assert!(frame.len() <= 2),
                    Ok(None) => assert_eq!(pipe.len(), 6),
                    Err(
                        LengthDelimitedCodecError::FrameTooBig { .. }
                        | LengthDelimitedCodecError::BadLength { .. },
                    ) => assert_eq!(pipe.len(), 6, "nothing consumed"),
                    Err(e) => panic!("adj {adjustment} max {max} field {field}: {e:?}"),
                }
            }
        }
    }
}

#[test]
fn length_delimited_encode_extremes_answer() {
    for adjustment in [isize::MIN, -3, 0, 3, isize::MAX] {
        for len_len in [1, 2, 8] {
            for max in [0, 1, usize::MAX] {
                let mut codec = LengthDelimitedCodec::builder()
                    .length_field_length(len_len)
                    .length_adjustment(adjustment)
                    .max_frame_length(max)
                    .new_codec();
                let mut pipe = Pipe::new();
                let payload = Bytes::from(vec![7u8; 300]);
                match codec.encode(payload, &mut pipe) {
                    Ok(()) => assert!(pipe.len() >= 300),
                    Err(
                        LengthDelimitedCodecError::PayloadTooLong { .. }
                        | LengthDelimitedCodecError::FrameTooBig { .. },
                    ) => assert!(pipe.is_empty(), "nothing is written on error"),
                    Err(e) => panic!("adj {adjustment} len {len_len} max {max}: {e:?}"),
                }
            }
        }
    }
}

#[test]
fn length_delimited_max_frame_zero() {
    let mut codec = LengthDelimitedCodec::builder()
        .max_frame_length(0)
        .new_codec();
    assert_eq!(codec.max_frame_length(), 0);
    let mut pipe = Pipe::new();
    pipe.write_all(&[0, 0, 0, 0, 0, 0, 0, 1, b'x']).unwrap();
    assert_eq!(codec.decode(&mut pipe).unwrap().unwrap(), "");
    assert!(matches!(
        codec.decode(&mut pipe),
        Err(LengthDelimitedCodecError::FrameTooBig { .. })
    ));
    assert_eq!(pipe.len(), 5);
}

#[test]
fn length_delimited_field_near_u64_max_with_limits_below_usize_max() {
    // The known overflow is for `max_frame_length(usize::MAX)`; the limits just below it
    // take the same path.
    for max in [usize::MAX - 1, isize::MAX as usize, 1 << 62] {
        for adjustment in [0, 8, isize::MAX] {
            let mut codec = LengthDelimitedCodec::builder()
                .length_field_length(8)
                .length_adjustment(adjustment)
                .max_frame_length(max)
                .new_codec();
            let mut pipe = Pipe::new();
            pipe.write_all(&(u64::MAX - 4).to_be_bytes()).unwrap();
            pipe.write_all(b"body").unwrap();
            let decoded = codec.decode(&mut pipe);
            assert!(
                matches!(
                    decoded,
                    Ok(None)
                        | Err(LengthDelimitedCodecError::FrameTooBig { .. }
                            | LengthDelimitedCodecError::BadLength { .. })
                ),
                "max {max} adj {adjustment}: {decoded:?}"
            );
            assert_eq!(pipe.len(), 12);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The in-process pipe (runtime-free, polled by hand)
// ---------------------------------------------------------------------------------------------

/// Polls `fut` once with a waker that does nothing.
fn poll_once<F: std::future::Future>(fut: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn pipe_with_pause_and_resume_extremes() {
    use pipe_core::async_pipe::pipe_with as inproc;
    let cases: [(usize, usize, bool); 9] = [
        (0, 0, false),
        (1, 0, true),
        (0, usize::MAX, false),
        (usize::MAX, usize::MAX, false),
        (usize::MAX, usize::MAX - 1, true),
        (usize::MAX, 0, true),
        (1, 1, false),
        (1, usize::MAX, false),
        (usize::MAX - 1, usize::MAX, false),
    ];
    for (pause, resume, ok) in cases {
        let result = inproc(AsyncPipeOptions::new().pause(pause).resume(resume));
        match result {
            Ok((mut writer, mut reader)) => {
                assert!(ok, "pause {pause} resume {resume} accepted");
                writer.write_now(b"hello\n").unwrap();
                let mut read = std::pin::pin!(pipe_core::adapter::read_line(&mut reader, false));
                match poll_once(read.as_mut()) {
                    Poll::Ready(Ok(Some(line))) => assert_eq!(line, "hello"),
                    other => panic!("pause {pause}: {other:?}"),
                }
            }
            Err(e) => {
                assert!(!ok, "pause {pause} resume {resume} refused: {e}");
                assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
            }
        }
    }
}

#[test]
fn inproc_writer_get_buffer_and_commit_extremes() {
    let options = AsyncPipeOptions::new().pool(small_pool());
    let (mut writer, mut reader) = pipe_core::async_pipe::pipe_with(options).unwrap();
    writer.write_now(b"ab").unwrap();
    for hint in HUGE.into_iter().chain([4097]) {
        match writer.get_buffer(hint) {
            Err(WriteError::SizeHintTooLarge { hint: h, max }) => {
                assert_eq!(h, hint);
                assert_eq!(max, 4096);
            }
            Err(e) => panic!("{e:?}"),
            Ok(buf) => panic!("lent {}", buf.len()),
        }
    }
    assert_eq!(
        writer.buffer_written(usize::MAX),
        Err(WriteError::NothingLent)
    );
    {
        let mut buf = writer.get_buffer(4).unwrap();
        let lent = buf.len();
        buf[..2].copy_from_slice(b"cd");
        drop(buf);
        assert_eq!(
            writer.buffer_written(usize::MAX),
            Err(WriteError::Overcommit {
                committed: usize::MAX,
                lent
            })
        );
        writer.buffer_written(2).unwrap();
    }
    {
        let mut buf = writer.get_buffer(0).unwrap();
        let lent = buf.len();
        buf[0] = b'e';
        // `commit` takes the buffer (and its lock): an overcommit through it.
        let result = buf.commit(usize::MAX);
        assert_eq!(
            result,
            Err(WriteError::Overcommit {
                committed: usize::MAX,
                lent
            })
        );
        writer.buffer_written(1).unwrap();
    }
    assert_eq!(writer.unread(), 5);
    assert_eq!(reader.with_pipe(|p| p.read_exact(5).unwrap()), "abcde");
}

#[test]
fn inproc_read_exact_and_fill_at_least_huge_are_limit_errors_at_once() {
    let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
    writer.write_now(b"abc").unwrap();
    for n in HUGE {
        {
            let mut read = std::pin::pin!(pipe_core::adapter::read_exact(&mut reader, n));
            match poll_once(read.as_mut()) {
                Poll::Ready(Err(e)) => assert_eq!(e.kind(), io::ErrorKind::InvalidData),
                other => panic!("read_exact({n}): {other:?}"),
            }
        }
        let mut fill = std::pin::pin!(pipe_core::adapter::fill_at_least(&mut reader, n));
        match poll_once(fill.as_mut()) {
            Poll::Ready(Err(e)) => assert_eq!(e.kind(), io::ErrorKind::InvalidData),
            other => panic!("fill_at_least({n}): {other:?}"),
        }
    }
    {
        let mut read = std::pin::pin!(pipe_core::adapter::read_at_most(&mut reader, 0));
        let polled = poll_once(read.as_mut());
        assert!(matches!(polled, Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::InvalidInput));
    }
    assert_eq!(reader.buffered(), 3);
    assert_eq!(reader.with_pipe(|p| p.read_exact(3).unwrap()), "abc");
}

in_child!(
    inproc_unlimited_frame_huge_reads_wait_then_end,
    inproc_unlimited_frame_huge_reads_child,
    {
        for n in HUGE {
            let options = AsyncPipeOptions::new()
                .max_frame(UNLIMITED)
                .max_spin(Duration::ZERO);
            let (mut writer, mut reader) = pipe_core::async_pipe::pipe_with(options).unwrap();
            writer.write_now(b"abc").unwrap();
            {
                let mut fill = std::pin::pin!(pipe_core::adapter::fill_at_least(&mut reader, n));
                assert!(poll_once(fill.as_mut()).is_pending(), "fill_at_least({n})");
            }
            {
                let mut read = std::pin::pin!(pipe_core::adapter::read_exact(&mut reader, n));
                assert!(poll_once(read.as_mut()).is_pending(), "read_exact({n})");
            }
            {
                let mut peek = std::pin::pin!(pipe_core::adapter::peek(&mut reader, n));
                match poll_once(peek.as_mut()) {
                    Poll::Ready(Ok(Some(bytes))) => assert_eq!(bytes, "abc"),
                    other => panic!("peek({n}): {other:?}"),
                }
            }
            writer.write_now(b"def").unwrap();
            writer.complete();
            {
                let mut fill = std::pin::pin!(pipe_core::adapter::fill_at_least(&mut reader, n));
                assert!(matches!(poll_once(fill.as_mut()), Poll::Ready(Ok(false))));
            }
            let mut read = std::pin::pin!(pipe_core::adapter::read_exact(&mut reader, n));
            match poll_once(read.as_mut()) {
                Poll::Ready(Err(e)) => {
                    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
                    let inner = pipe_core::read_error_of(&e);
                    assert!(matches!(inner, Some(ReadError::Partial(rest)) if rest == "abcdef"));
                }
                other => panic!("read_exact({n}) at the end: {other:?}"),
            }
        }
    }
);

in_child!(
    inproc_paused_writer_and_unlimited_frame_fill_more,
    inproc_paused_writer_unlimited_child,
    {
        // The reader's grant is "at most one frame (`max_frame + 2` bytes)": with no limit,
        // a fill_more while the writer is paused must answer, not overflow.
        for max in [UNLIMITED, usize::MAX - 1, usize::MAX - 2] {
            let options = AsyncPipeOptions::new()
                .max_frame(max)
                .pause(4)
                .resume(2)
                .max_spin(Duration::ZERO);
            let (mut writer, mut reader) = pipe_core::async_pipe::pipe_with(options).unwrap();
            writer.write_now(b"abcdef").unwrap();
            {
                let mut flush = std::pin::pin!(writer.flush());
                assert!(poll_once(flush.as_mut()).is_pending(), "paused at 6 >= 4");
            }
            {
                let mut more = std::pin::pin!(pipe_core::adapter::fill_more(&mut reader));
                let polled = poll_once(more.as_mut());
                assert!(
                    matches!(
                        polled,
                        Poll::Pending | Poll::Ready(Ok(_)) | Poll::Ready(Err(_))
                    ),
                    "max {max}"
                );
            }
            {
                let mut line = std::pin::pin!(pipe_core::adapter::read_line(&mut reader, false));
                assert!(
                    poll_once(line.as_mut()).is_pending(),
                    "max {max}: no line yet"
                );
                writer.write_now(b"\n").unwrap();
                match poll_once(line.as_mut()) {
                    Poll::Ready(Ok(Some(l))) => assert_eq!(l, "abcdef"),
                    other => panic!("max {max}: {other:?}"),
                }
            }
        }
    }
);

#[test]
fn inproc_max_spin_duration_max_answers() {
    for spin in [
        Duration::MAX,
        Duration::from_secs(u64::MAX),
        Duration::ZERO,
        Duration::from_nanos(1),
    ] {
        let options = AsyncPipeOptions::new().max_spin(spin);
        let (mut writer, mut reader) = pipe_core::async_pipe::pipe_with(options).unwrap();
        // Several short waits in a row: the reader may stay scheduled for up to `max_spin`.
        for round in 0..5 {
            let mut line = std::pin::pin!(pipe_core::adapter::read_line(&mut reader, false));
            assert!(
                poll_once(line.as_mut()).is_pending(),
                "{spin:?} round {round}"
            );
            assert!(
                poll_once(line.as_mut()).is_pending(),
                "{spin:?} round {round}"
            );
            writer.write_now(b"x\n").unwrap();
            match poll_once(line.as_mut()) {
                Poll::Ready(Ok(Some(l))) => assert_eq!(l, "x"),
                other => panic!("{spin:?} round {round}: {other:?}"),
            }
        }
        writer.complete();
        let mut line = std::pin::pin!(pipe_core::adapter::read_line(&mut reader, false));
        assert!(matches!(poll_once(line.as_mut()), Poll::Ready(Ok(None))));
    }
}

#[test]
fn inproc_set_max_frame_extremes() {
    let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
    writer.write_now(b"abc\n").unwrap();
    reader.set_max_frame(0);
    {
        let mut line = std::pin::pin!(pipe_core::adapter::read_line(&mut reader, false));
        assert!(
            matches!(poll_once(line.as_mut()), Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::InvalidData)
        );
    }
    reader.set_max_frame(usize::MAX - 1);
    let mut line = std::pin::pin!(pipe_core::adapter::read_line(&mut reader, false));
    assert!(matches!(poll_once(line.as_mut()), Poll::Ready(Ok(Some(l))) if l == "abc"));
}

#[test]
/// The overflow a session found before this suite (now answered): kept as a regression check.
fn length_delimited_field_near_u64_max_with_unlimited_max_frame() {
    for field in [
        u64::MAX,
        u64::MAX - 1,
        u64::MAX - 4,
        (usize::MAX - 3) as u64,
    ] {
        let mut codec = LengthDelimitedCodec::builder()
            .length_field_length(8)
            .max_frame_length(usize::MAX)
            .new_codec();
        let mut pipe = Pipe::new();
        pipe.write_all(&field.to_be_bytes()).unwrap();
        pipe.write_all(b"body").unwrap();
        let decoded = codec.decode(&mut pipe);
        assert!(
            matches!(
                decoded,
                Ok(None)
                    | Err(LengthDelimitedCodecError::FrameTooBig { .. }
                        | LengthDelimitedCodecError::BadLength { .. })
            ),
            "field {field}: {decoded:?}"
        );
        assert_eq!(pipe.len(), 12);
    }
}
