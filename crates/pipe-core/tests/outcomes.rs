//! The six read outcomes, each pinned, and the original library's own test cases.

mod common;

use std::io;

use common::{contents, finish, pipe, pipe_with_chunks};
use pipe_core::{Discarded, PipeState, ReadError};

#[test]
fn ready_returns_the_frame() {
    let (mut p, pool) = pipe();
    p.write_all(b"hello\n").unwrap();
    assert_eq!(p.read_line(true).unwrap(), "hello\n");
    assert!(p.is_empty());
    finish(p, &pool);
}

#[test]
fn need_more_consumes_nothing() {
    let (mut p, pool) = pipe();
    p.write_all(b"partial line").unwrap();
    for _ in 0..3 {
        assert!(matches!(p.read_line(true), Err(ReadError::NeedMore)));
        assert!(matches!(
            p.read_until(b"\r\n", true),
            Err(ReadError::NeedMore)
        ));
        assert!(matches!(p.read_exact(100), Err(ReadError::NeedMore)));
    }
    assert_eq!(contents(&p), b"partial line");
    finish(p, &pool);
}

#[test]
fn end_after_a_clean_close_with_nothing_left() {
    let (mut p, pool) = pipe();
    p.eof().unwrap();
    for _ in 0..2 {
        assert!(p.read_line(true).unwrap_err().is_end());
        assert!(p.read_exact(1).unwrap_err().is_end());
        assert!(p.read_at_most(10).unwrap_err().is_end());
        assert!(p.peek(1).unwrap_err().is_end());
        assert!(p.read_until(b"--", false).unwrap_err().is_end());
    }
    finish(p, &pool);
}

#[test]
fn an_empty_frame_is_not_the_end() {
    let (mut p, pool) = pipe();
    p.write_all(b"\n\r\n--").unwrap();
    p.eof().unwrap();
    assert_eq!(p.read_line(false).unwrap(), "");
    assert_eq!(p.read_line(false).unwrap(), "");
    assert_eq!(p.read_until(b"--", false).unwrap(), "");
    assert_eq!(p.read_exact(0).unwrap(), "");
    assert!(p.read_line(false).unwrap_err().is_end());
    finish(p, &pool);
}

#[test]
fn partial_hands_over_the_leftover_then_end() {
    let (mut p, pool) = pipe();
    p.write_all(b"line\nleft").unwrap();
    p.eof().unwrap();
    assert_eq!(p.read_line(true).unwrap(), "line\n");
    match p.read_line(true) {
        Err(ReadError::Partial(rest)) => assert_eq!(rest, "left"),
        other => panic!("expected partial, got {other:?}"),
    }
    assert!(p.is_empty());
    assert!(p.read_line(true).unwrap_err().is_end());
    finish(p, &pool);
}

#[test]
fn exact_reads_at_eof_give_leftovers_then_the_end() {
    let (mut p, pool) = pipe();
    p.write_all(b"abcdefg").unwrap();
    p.eof().unwrap();
    assert_eq!(p.read_exact(3).unwrap(), "abc");
    match p.read_exact(10) {
        Err(ReadError::Partial(rest)) => assert_eq!(rest, "defg"),
        other => panic!("expected partial, got {other:?}"),
    }
    assert!(p.read_exact(1).unwrap_err().is_end());
    assert!(p.read_exact(1).unwrap_err().is_end());
    finish(p, &pool);
}

#[test]
fn a_stream_error_comes_after_the_data_and_then_every_time() {
    let (mut p, pool) = pipe();
    p.write_all(b"whole\nhalf").unwrap();
    p.eof_with_error(io::Error::new(
        io::ErrorKind::ConnectionReset,
        "reset by peer",
    ))
    .unwrap();
    assert_eq!(p.read_line(true).unwrap(), "whole\n");
    let first = match p.read_line(true) {
        Err(ReadError::Stream(e)) => e,
        other => panic!("expected a stream error, got {other:?}"),
    };
    assert_eq!(first.kind(), io::ErrorKind::ConnectionReset);
    assert_eq!(first.to_string(), "reset by peer");
    // The leftover is not lost: a read it can serve still gets it.
    assert_eq!(p.len(), 4);
    assert_eq!(p.read_at_most(100).unwrap(), "half");
    for _ in 0..3 {
        for err in [
            p.read_line(true).unwrap_err(),
            p.read_exact(1).unwrap_err(),
            p.read_at_most(1).unwrap_err(),
            p.peek(1).unwrap_err(),
        ] {
            match err {
                ReadError::Stream(e) => assert!(e.same_as(&first)),
                other => panic!("expected the same stream error, got {other:?}"),
            }
        }
    }
    assert!(matches!(p.state(), PipeState::Failed(e) if e.same_as(&first)));
    finish(p, &pool);
}

#[test]
fn limit_exceeded_consumes_nothing_and_discarding_goes_on() {
    let (mut p, pool) = pipe_with_chunks(64, 8);
    p.write_all(b"0123456789").unwrap();
    for _ in 0..2 {
        match p.read_line(true) {
            Err(ReadError::LimitExceeded { limit, buffered }) => {
                assert_eq!((limit, buffered), (8, 10));
            }
            other => panic!("expected the limit, got {other:?}"),
        }
    }
    assert_eq!(contents(&p), b"0123456789");
    assert_eq!(p.discard_until(b"\n").unwrap(), Discarded::NotYet(10));
    p.write_all(b"abc\nnext\n").unwrap();
    assert_eq!(p.discard_until(b"\n").unwrap(), Discarded::Found(4));
    assert_eq!(p.read_line(true).unwrap(), "next\n");
    finish(p, &pool);
}

#[test]
fn the_limit_counts_the_frame_without_its_separator() {
    let (mut p, pool) = pipe_with_chunks(64, 4);
    p.write_all(b"abcd\r\n").unwrap();
    assert_eq!(p.read_until(b"\r\n", false).unwrap(), "abcd");
    p.write_all(b"abcd\r").unwrap();
    assert!(p.read_until(b"\r\n", false).unwrap_err().is_need_more());
    p.write_all(b"x").unwrap();
    assert!(matches!(
        p.read_until(b"\r\n", false),
        Err(ReadError::LimitExceeded { limit: 4, .. })
    ));
    assert!(matches!(
        p.read_exact(5),
        Err(ReadError::LimitExceeded { limit: 4, .. })
    ));
    assert_eq!(p.read_exact(4).unwrap(), "abcd");
    p.set_max_frame(pipe_core::UNLIMITED);
    p.write_all(b"\r\n").unwrap();
    assert_eq!(p.read_until(b"\r\n", true).unwrap(), "\rx\r\n");
    finish(p, &pool);
}

#[test]
fn raising_the_limit_lets_the_frame_through() {
    let (mut p, pool) = pipe_with_chunks(64, 4);
    p.write_all(b"0123456789\n").unwrap();
    assert!(matches!(
        p.read_line(false),
        Err(ReadError::LimitExceeded { .. })
    ));
    p.set_max_frame(10);
    assert_eq!(p.read_line(false).unwrap(), "0123456789");
    finish(p, &pool);
}

// ----- the original library's own test cases -----------------------------------------------------

#[test]
fn closed_state() {
    let (mut p, pool) = pipe();
    assert!(!p.is_closed());
    assert!(matches!(p.state(), PipeState::Open));
    p.write_all(b"x").unwrap();
    p.eof().unwrap();
    assert!(p.is_closed());
    assert!(matches!(p.state(), PipeState::Closed));
    finish(p, &pool);
}

#[test]
fn len_follows_writes_and_reads() {
    let (mut p, pool) = pipe();
    assert_eq!(p.len(), 0);
    p.write_all(b"test").unwrap();
    assert_eq!(p.len(), 4);
    p.write_all(b"\r\nmore").unwrap();
    assert_eq!(p.len(), 10);
    p.read_line(true).unwrap();
    assert_eq!(p.len(), 4);
    p.read_exact(4).unwrap();
    assert_eq!(p.len(), 0);
    finish(p, &pool);
}

#[test]
fn the_readme_example() {
    let (mut p, pool) = pipe();
    let buf = p.get_buffer(4).unwrap();
    buf[..4].copy_from_slice(b"test");
    p.buffer_written(4).unwrap();
    assert!(p.read_line(true).unwrap_err().is_need_more());
    let buf = p.get_buffer(2).unwrap();
    buf[..2].copy_from_slice(b"\r\n");
    p.buffer_written(2).unwrap();
    assert_eq!(p.read_line(true).unwrap(), "test\r\n");
    finish(p, &pool);
}

#[test]
fn peek_consumes_nothing() {
    let (mut p, pool) = pipe_with_chunks(64, 1 << 20);
    let data: Vec<u8> = (0..200u8).collect();
    p.write_all(&data).unwrap();
    assert_eq!(p.peek(1).unwrap(), &data[..1]);
    assert_eq!(p.peek(150).unwrap(), &data[..150]);
    assert_eq!(p.peek(1000).unwrap(), &data[..]);
    assert_eq!(p.len(), 200);
    assert_eq!(p.read_exact(200).unwrap(), &data[..]);
    assert!(p.peek(1).unwrap_err().is_need_more());
    finish(p, &pool);
}

#[test]
fn error_eof_is_repeated() {
    let (mut p, pool) = pipe();
    p.eof_with_error(io::Error::other("boom")).unwrap();
    let errs: Vec<_> = (0..3)
        .map(|_| match p.read_at_most(5) {
            Err(ReadError::Stream(e)) => e,
            other => panic!("expected a stream error, got {other:?}"),
        })
        .collect();
    assert!(
        errs.iter()
            .all(|e| e.same_as(&errs[0]) && e.to_string() == "boom")
    );
    finish(p, &pool);
}

#[test]
fn read_until_with_a_multibyte_separator_and_not_found() {
    let (mut p, pool) = pipe_with_chunks(64, 1 << 20);
    p.write_all(b"part1<sep>part2<se").unwrap();
    assert_eq!(p.read_until(b"<sep>", true).unwrap(), "part1<sep>");
    assert!(p.read_until(b"<sep>", true).unwrap_err().is_need_more());
    p.write_all(b"p>").unwrap();
    assert_eq!(p.read_until(b"<sep>", false).unwrap(), "part2");
    p.write_all(b"no separator here").unwrap();
    p.eof().unwrap();
    match p.read_until(b"<sep>", true) {
        Err(ReadError::Partial(rest)) => assert_eq!(rest, "no separator here"),
        other => panic!("expected partial, got {other:?}"),
    }
    finish(p, &pool);
}

#[test]
fn find_and_find_byte_look_across_chunks() {
    let (mut p, pool) = pipe_with_chunks(64, 1 << 20);
    let mut data = vec![b'.'; 130];
    data[63..65].copy_from_slice(b"\r\n"); // straddles the first chunk boundary
    data[100] = b'!';
    p.write_all(&data).unwrap();
    assert_eq!(p.find(b"\r\n", ..).unwrap(), Some(63));
    assert_eq!(p.find(b"\r\n", 64..).unwrap(), None);
    assert_eq!(
        p.find(b"\r\n", ..64).unwrap(),
        None,
        "the match must fit the range"
    );
    assert_eq!(p.find(b"\r\n", ..65).unwrap(), Some(63));
    assert_eq!(p.find_byte(b'!', ..).unwrap(), Some(100));
    assert_eq!(p.find_byte(b'!', 101..130).unwrap(), None);
    assert_eq!(p.find_byte(b'!', 100..=100).unwrap(), Some(100));
    assert_eq!(p.find_byte(b'?', ..).unwrap(), None);
    p.skip(64);
    assert_eq!(p.find_byte(b'\n', ..).unwrap(), Some(0));
    assert_eq!(p.find_byte(b'!', ..).unwrap(), Some(36));
    finish(p, &pool);
}

#[test]
fn the_hook_runs_after_commits_and_at_close() {
    use std::sync::{Arc, Mutex};
    let (mut p, pool) = pipe();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    p.set_on_new_data(move |pipe| s.lock().unwrap().push((pipe.len(), pipe.is_closed())));
    p.write_all(b"ab").unwrap();
    p.get_buffer(3).unwrap()[..3].copy_from_slice(b"cde");
    p.buffer_written(3).unwrap();
    p.get_buffer(0).unwrap();
    p.buffer_written(0).unwrap(); // nothing new: no call
    p.eof().unwrap();
    assert_eq!(*seen.lock().unwrap(), [(2, false), (5, false), (5, true)]);
    p.clear_on_new_data();
    finish(p, &pool);
}
