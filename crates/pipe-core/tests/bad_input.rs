//! Bad input: every misuse gets a typed error (or a documented empty result) and leaves the pipe
//! exactly as it was. No call panics.

mod common;

use std::io::{self, BufRead, Read, Write};

use common::{contents, finish, pipe, pipe_with_chunks};
use pipe_core::{FindError, Pipe, PipeState, ReadError, WriteError};

/// What a caller can observe of a pipe.
fn snapshot(p: &Pipe) -> (Vec<u8>, usize, bool, u64) {
    let pool = p.pool().stats();
    (contents(p), p.len(), p.is_closed(), pool.outstanding_chunks)
}

fn with_data() -> (Pipe, pipe_core::Pool) {
    let (mut p, pool) = pipe_with_chunks(64, 1000);
    p.write_all(&[b'x'; 100]).unwrap();
    p.write_all(b"\nrest").unwrap();
    (p, pool)
}

#[test]
fn committing_more_than_was_handed_out() {
    let (mut p, pool) = with_data();
    let lent = p.get_buffer(10).unwrap().len();
    let before = snapshot(&p);
    assert_eq!(
        p.buffer_written(lent + 1),
        Err(WriteError::Overcommit {
            committed: lent + 1,
            lent
        })
    );
    assert_eq!(
        p.buffer_written(usize::MAX),
        Err(WriteError::Overcommit {
            committed: usize::MAX,
            lent
        })
    );
    assert_eq!(snapshot(&p), before);
    // The loan still stands: a correct commit goes through.
    p.buffer_written(1).unwrap();
    assert_eq!(p.len(), before.1 + 1);
    finish(p, &pool);
}

#[test]
fn committing_with_nothing_handed_out() {
    let (mut p, pool) = with_data();
    let before = snapshot(&p);
    assert_eq!(p.buffer_written(1), Err(WriteError::NothingLent));
    assert_eq!(p.buffer_written(0), Err(WriteError::NothingLent));
    p.get_buffer(4).unwrap();
    p.buffer_written(0).unwrap();
    assert_eq!(
        p.buffer_written(0),
        Err(WriteError::NothingLent),
        "one commit per loan"
    );
    p.get_buffer(4).unwrap();
    p.write_all(b"").unwrap(); // a write ends the loan
    assert_eq!(p.buffer_written(1), Err(WriteError::NothingLent));
    assert_eq!(snapshot(&p), before);
    finish(p, &pool);
}

#[test]
fn writing_after_eof() {
    for failed in [false, true] {
        let (mut p, pool) = with_data();
        p.get_buffer(8).unwrap(); // a loan dropped by the close
        if failed {
            p.eof_with_error(io::Error::other("gone")).unwrap();
        } else {
            p.eof().unwrap();
        }
        let before = snapshot(&p);
        assert_eq!(p.get_buffer(1).unwrap_err(), WriteError::Closed);
        assert_eq!(p.get_buffer(0).unwrap_err(), WriteError::Closed);
        assert_eq!(p.buffer_written(1), Err(WriteError::Closed));
        assert_eq!(p.write_all(b"more"), Err(WriteError::Closed));
        assert_eq!(
            Write::write(&mut p, b"more").unwrap_err().kind(),
            io::ErrorKind::BrokenPipe
        );
        assert_eq!(p.eof(), Err(WriteError::Closed));
        assert_eq!(
            p.eof_with_error(io::Error::other("x")),
            Err(WriteError::Closed)
        );
        assert_eq!(snapshot(&p), before);
        // The first close stands.
        assert_eq!(matches!(p.state(), PipeState::Failed(_)), failed);
        finish(p, &pool);
    }
}

#[test]
fn empty_separators() {
    let (mut p, pool) = with_data();
    let before = snapshot(&p);
    assert!(matches!(
        p.read_until(b"", true),
        Err(ReadError::InvalidArgument(_))
    ));
    assert!(matches!(
        p.read_until_ref(b"", false),
        Err(ReadError::InvalidArgument(_))
    ));
    assert!(matches!(
        p.discard_until(b""),
        Err(ReadError::InvalidArgument(_))
    ));
    assert_eq!(p.find(b"", ..), Err(FindError::EmptyNeedle));
    assert_eq!(snapshot(&p), before);
    assert_eq!(
        ReadError::InvalidArgument("the separator is empty").to_string(),
        "invalid argument: the separator is empty"
    );
    finish(p, &pool);
}

#[test]
fn zero_length_reads() {
    let (mut p, pool) = with_data();
    let before = snapshot(&p);
    assert_eq!(p.read_exact(0).unwrap(), "");
    assert_eq!(p.read_exact_ref(0).unwrap(), b"");
    assert_eq!(p.peek(0).unwrap(), "");
    assert!(matches!(
        p.read_at_most(0),
        Err(ReadError::InvalidArgument(_))
    ));
    assert_eq!(p.skip(0), 0);
    assert_eq!(snapshot(&p), before);
    // Zero-length reads are empty frames even at the end.
    p.eof().unwrap();
    p.skip(usize::MAX);
    assert_eq!(p.read_exact(0).unwrap(), "");
    assert_eq!(p.peek(0).unwrap(), "");
    finish(p, &pool);
}

#[test]
fn find_ranges_out_of_bounds_or_reversed() {
    let (mut p, pool) = with_data();
    let len = p.len();
    let before = snapshot(&p);
    #[allow(clippy::reversed_empty_ranges)]
    let cases: Vec<(Result<Option<usize>, FindError>, usize, usize)> = vec![
        (p.find_byte(b'x', 0..len + 1), 0, len + 1),
        (p.find_byte(b'x', len + 1..), len + 1, len),
        (p.find_byte(b'x', 5..2), 5, 2),
        (p.find(b"x", 0..=len), 0, len + 1),
        (p.find(b"x", ..=usize::MAX), 0, usize::MAX),
        (
            p.find(
                b"x",
                (
                    std::ops::Bound::Excluded(usize::MAX),
                    std::ops::Bound::Unbounded,
                ),
            ),
            usize::MAX,
            len,
        ),
    ];
    for (got, start, end) in cases {
        assert_eq!(got, Err(FindError::InvalidRange { start, end, len }));
    }
    assert_eq!(
        p.find_byte(b'x', len..len),
        Ok(None),
        "an empty range is fine"
    );
    assert_eq!(p.find(b"rest", ..), Ok(Some(101)));
    assert_eq!(snapshot(&p), before);
    assert_eq!(
        FindError::InvalidRange {
            start: 5,
            end: 2,
            len: 9
        }
        .to_string(),
        "range 5..2 is not within the 9 buffered bytes"
    );
    finish(p, &pool);
}

#[test]
fn reads_after_a_stream_error_repeat_it() {
    let (mut p, pool) = pipe();
    p.write_all(b"abc").unwrap();
    p.eof_with_error(io::Error::new(io::ErrorKind::TimedOut, "slow"))
        .unwrap();
    let before = snapshot(&p);
    let mut first = None;
    for _ in 0..3 {
        for err in [
            p.read_line(true).unwrap_err(),
            p.read_until(b"--", true).unwrap_err(),
            p.read_exact(4).unwrap_err(),
            p.read_line_ref(false).unwrap_err(),
        ] {
            let ReadError::Stream(e) = err else {
                panic!("expected a stream error, got {err:?}")
            };
            let first = first.get_or_insert_with(|| e.clone());
            assert!(e.same_as(first));
            assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        }
    }
    assert_eq!(snapshot(&p), before);
    let io_err = Read::read(&mut p, &mut [0; 2]).map(|n| n == 2);
    assert!(io_err.unwrap(), "data is still readable through io::Read");
    assert_eq!(
        Read::read(&mut p, &mut [0; 2]).unwrap(),
        1,
        "the last byte too"
    );
    assert_eq!(
        Read::read(&mut p, &mut [0; 2]).unwrap_err().kind(),
        io::ErrorKind::TimedOut
    );
    finish(p, &pool);
}

#[test]
fn huge_size_hints() {
    let (mut p, pool) = with_data();
    let max = pool.max_chunk();
    let before = snapshot(&p);
    for hint in [max + 1, usize::MAX / 2, usize::MAX] {
        assert_eq!(
            p.get_buffer(hint).unwrap_err(),
            WriteError::SizeHintTooLarge { hint, max }
        );
    }
    assert_eq!(snapshot(&p), before);
    assert!(
        p.get_buffer(max).unwrap().len() >= max,
        "the largest class is fine"
    );
    finish(p, &pool);
}

#[test]
fn oversized_skips_and_consumes_drop_what_there_is() {
    let (mut p, pool) = with_data();
    let len = p.len();
    assert_eq!(p.skip(usize::MAX), len);
    assert_eq!(p.skip(10), 0);
    p.write_all(b"ab").unwrap();
    BufRead::consume(&mut p, usize::MAX);
    assert!(p.is_empty());
    finish(p, &pool);
}

#[test]
fn a_new_loan_replaces_an_unused_one() {
    let (mut p, pool) = pipe_with_chunks(64, 1000);
    p.get_buffer(10).unwrap();
    let big = p.get_buffer(1000).unwrap();
    big[..3].copy_from_slice(b"abc");
    p.buffer_written(3).unwrap();
    assert_eq!(contents(&p), b"abc");
    assert_eq!(
        pool.stats().outstanding_chunks,
        1,
        "the unused chunk went back"
    );
    finish(p, &pool);
}

#[test]
fn error_messages_are_lowercase_without_trailing_punctuation() {
    let texts = [
        ReadError::NeedMore.to_string(),
        ReadError::End.to_string(),
        ReadError::Partial(bytes::Bytes::from_static(b"ab")).to_string(),
        ReadError::LimitExceeded {
            limit: 1,
            buffered: 2,
        }
        .to_string(),
        WriteError::Closed.to_string(),
        WriteError::NothingLent.to_string(),
        WriteError::Overcommit {
            committed: 2,
            lent: 1,
        }
        .to_string(),
        WriteError::SizeHintTooLarge { hint: 2, max: 1 }.to_string(),
        FindError::EmptyNeedle.to_string(),
    ];
    for t in texts {
        let first = t.chars().next().unwrap();
        assert!(first.is_lowercase() || first.is_ascii_digit(), "{t}");
        assert!(!t.ends_with(['.', '!']), "{t}");
    }
}

/// Ranges whose resolved bounds do not fit a `usize` (`Excluded(usize::MAX)..`,
/// `..=usize::MAX`): `InvalidRange` naming `usize::MAX` for them, the pipe unchanged.
#[test]
fn ranges_past_usize() {
    use std::ops::Bound::{Excluded, Unbounded};
    let (mut p, pool) = with_data();
    let before = snapshot(&p);
    assert!(matches!(
        p.find_byte(b'\n', ..=usize::MAX),
        Err(FindError::InvalidRange {
            start: 0,
            end: usize::MAX,
            len: 105
        })
    ));
    assert!(matches!(
        p.find(b"re", (Excluded(usize::MAX), Unbounded)),
        Err(FindError::InvalidRange {
            start: usize::MAX,
            end: 105,
            len: 105
        })
    ));
    assert_eq!(snapshot(&p), before);
    finish(p, &pool);
}

/// `AsyncPipeOptions`: `pause(usize::MAX)` (backpressure off) is accepted with the default
/// `resume`, refused with `resume(usize::MAX)` (not above it).
#[test]
fn pause_at_usize_max() {
    let off = pipe_core::AsyncPipeOptions::new().pause(usize::MAX);
    assert!(pipe_core::async_pipe::pipe_with(off).is_ok());
    let both = pipe_core::AsyncPipeOptions::new()
        .pause(usize::MAX)
        .resume(usize::MAX);
    let e = pipe_core::async_pipe::pipe_with(both).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
}

/// `LimitExceeded`'s docs: `buffered` is all the pipe holds, the long frame's bytes and any
/// after it; `read_exact` over the limit says it first, even on an ended pipe holding less.
#[test]
fn limit_exceeded_reports_everything_buffered_and_comes_first() {
    let mut p = Pipe::with_options(pipe_core::PipeOptions::new().max_frame(4));
    p.write_all(b"toolongline\nok\n").unwrap();
    assert!(matches!(
        p.read_line(false),
        Err(ReadError::LimitExceeded {
            limit: 4,
            buffered: 15
        })
    ));
    let mut p = Pipe::with_options(pipe_core::PipeOptions::new().max_frame(4));
    p.write_all(b"ab").unwrap();
    p.eof().unwrap();
    assert!(matches!(
        p.read_exact(5),
        Err(ReadError::LimitExceeded {
            limit: 4,
            buffered: 2
        })
    ));
    assert_eq!(p.read_exact(2).unwrap(), "ab");
}
