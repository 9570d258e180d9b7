//! The synchronous `pipe_core::Pipe` and its `std::io` trait impls, tested from their
//! documentation alone (README, CHANGELOG, the doc comments and public signatures).
//!
//! Every public read and write of `Pipe` with each outcome its docs name (`NeedMore`, `End`,
//! `Partial`, `LimitExceeded`, `Stream`, `InvalidArgument`), limits one under, at and one over
//! `max_frame` with `\n` and `\r\n` endings, input one byte at a time and across many small
//! chunks and appended `Bytes` segments; `impl Read`, `BufRead` and `Write` for `Pipe`, their
//! provided methods included ("consume nothing unless they complete"); and a model-based
//! property test against a `VecDeque<u8>`. After every error the next call must work, and the
//! concatenation of everything read must equal everything written.

use std::collections::VecDeque;
use std::io::{self, BufRead, IoSlice, IoSliceMut, Read, Write};

use pipe_core::{
    Bytes, DEFAULT_MAX_FRAME, Discarded, FindError, Pipe, PipeOptions, PipeState, Pool, PoolConfig,
    ReadError, UNLIMITED, WriteError, read_error_of,
};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A pool of tiny chunks (64 to 256 bytes), so that data spans many chunks.
fn tiny_pool() -> Pool {
    Pool::new(
        PoolConfig::new()
            .min_chunk(64)
            .max_chunk(256)
            .thread_cache_bytes(0),
    )
    .expect("tiny pool")
}

/// A pipe on the tiny pool, writing 64-byte chunks, with the given maximum frame.
fn tiny(max_frame: usize) -> Pipe {
    Pipe::with_options(
        PipeOptions::new()
            .pool(tiny_pool())
            .max_frame(max_frame)
            .chunk_size(64)
            .max_chunk(64),
    )
}

/// A default pipe with the given maximum frame.
fn with_max(max_frame: usize) -> Pipe {
    Pipe::with_options(PipeOptions::new().max_frame(max_frame))
}

/// Appends `data` as segments of `piece` bytes each (each a segment of its own).
fn append_pieces(pipe: &mut Pipe, data: &[u8], piece: usize) {
    for part in data.chunks(piece.max(1)) {
        pipe.append_bytes(Bytes::copy_from_slice(part)).unwrap();
    }
}

/// The buffered bytes, through `chunks()`.
fn buffered(pipe: &Pipe) -> Vec<u8> {
    pipe.chunks().flatten().copied().collect()
}

fn broken() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "peer reset")
}

fn is_limit(r: &Result<impl std::fmt::Debug, ReadError>, lim: usize, buf: usize) -> bool {
    matches!(r, Err(ReadError::LimitExceeded { limit, buffered }) if *limit == lim && *buffered == buf)
}

fn err_kind<T: std::fmt::Debug>(r: io::Result<T>) -> io::ErrorKind {
    r.expect_err("expected an error").kind()
}

// ---------------------------------------------------------------------------------------------
// README and crate docs
// ---------------------------------------------------------------------------------------------

#[test]
fn readme_api_at_a_glance() {
    let mut pipe = Pipe::new();
    let buf = pipe.get_buffer(0).unwrap();
    buf[..9].copy_from_slice(b"$3\r\nabc\r\n");
    pipe.buffer_written(9).unwrap();
    assert_eq!(pipe.read_line(false).unwrap(), "$3");
    assert_eq!(pipe.read_exact(3).unwrap(), "abc");
    assert_eq!(pipe.peek(2).unwrap(), "\r\n");
    assert_eq!(pipe.find(b"\r\n", ..).unwrap(), Some(0));
    assert_eq!(pipe.skip(2), 2);
    assert!(matches!(pipe.read_line(true), Err(ReadError::NeedMore)));
    pipe.write_all(b"a\nb\n").unwrap();
    let mut n = 0;
    while let Ok(line) = pipe.read_line_ref(false) {
        assert_eq!(line.len(), 1);
        n += 1;
    }
    assert_eq!(n, 2);
    pipe.eof().unwrap();
    assert!(matches!(pipe.read_line(true), Err(ReadError::End)));
    assert!(pipe.is_empty());
}

#[test]
fn defaults_and_options() {
    let pipe = Pipe::new();
    assert_eq!(pipe.max_frame(), DEFAULT_MAX_FRAME);
    assert_eq!(DEFAULT_MAX_FRAME, 64 * 1024);
    assert!(matches!(pipe.state(), PipeState::Open));
    assert!(!pipe.is_closed());
    assert_eq!(pipe.len(), 0);
    assert!(pipe.is_empty());
    assert_eq!(
        Pipe::with_options(PipeOptions::new().max_frame(UNLIMITED)).max_frame(),
        UNLIMITED
    );
    assert_eq!(
        Pipe::with_options(PipeOptions::new().chunk_size(4096)).adaptive_chunk_size(),
        4096
    );
    let pool = tiny_pool();
    let mut p = Pipe::with_options(PipeOptions::new().pool(pool.clone()));
    p.write_all(b"x").unwrap();
    assert_eq!(pool.stats().outstanding_chunks, 1);
    assert_eq!(p.read_exact(1).unwrap(), "x");
    drop(p);
    assert_eq!(
        pool.stats().outstanding_chunks,
        0,
        "chunks go back once consumed"
    );
}

#[test]
fn pipe_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Pipe>();
    let mut p = Pipe::new();
    p.set_on_new_data(|_| {});
    let handle = std::thread::spawn(move || {
        p.write_all(b"z\n").unwrap();
        p.read_line(false).unwrap()
    });
    assert_eq!(handle.join().unwrap(), "z");
}

// ---------------------------------------------------------------------------------------------
// read_line / read_line_ref
// ---------------------------------------------------------------------------------------------

#[test]
fn read_line_endings_empty_line_partial_end() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"one\r\ntwo\n\nthr").unwrap();
    pipe.eof().unwrap();
    assert_eq!(pipe.read_line(false).unwrap(), "one");
    assert_eq!(pipe.read_line(true).unwrap(), "two\n");
    assert_eq!(pipe.read_line(false).unwrap(), "");
    assert!(matches!(pipe.read_line(true), Err(ReadError::Partial(r)) if r == "thr"));
    assert!(matches!(pipe.read_line(true), Err(ReadError::End)));
    assert!(
        matches!(pipe.read_line(false), Err(ReadError::End)),
        "End every time"
    );
    assert!(matches!(pipe.read_line_ref(false), Err(ReadError::End)));
}

#[test]
fn read_line_keeps_lone_cr_and_crlf_with_ending() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"a\rb\nc\r\n\r\n").unwrap();
    assert_eq!(pipe.read_line(false).unwrap(), "a\rb");
    assert_eq!(pipe.read_line(true).unwrap(), "c\r\n");
    assert_eq!(pipe.read_line_ref(false).unwrap(), b"");
    assert!(pipe.is_empty());
}

#[test]
fn read_line_ref_same_frames_as_owned_across_segments() {
    let data = b"first line\r\nsecond\n\nthird one, longer than a piece\r\n";
    for piece in [1, 2, 3, 7, 64] {
        let mut a = Pipe::new();
        let mut b = tiny(64);
        append_pieces(&mut a, data, piece);
        b.write_all(data).unwrap();
        for with_ending in [false, true, false, true] {
            let owned = a.read_line(with_ending).unwrap();
            let lent = b.read_line_ref(with_ending).unwrap().to_vec();
            assert_eq!(owned, lent, "piece {piece}");
        }
        assert!(a.is_empty() && b.is_empty());
    }
}

/// Feeds `line` one byte at a time with a read attempt after each byte; returns the outcomes.
fn byte_at_a_time(max: usize, line: &[u8], lent: bool) -> (Vec<String>, Pipe) {
    let mut pipe = with_max(max);
    let mut seen = Vec::new();
    for &b in line {
        pipe.write_all(&[b]).unwrap();
        let r = if lent {
            pipe.read_line_ref(false).map(|l| l.to_vec())
        } else {
            pipe.read_line(false).map(|l| l.to_vec())
        };
        seen.push(match r {
            Ok(l) => format!("ok:{}", String::from_utf8_lossy(&l)),
            Err(ReadError::NeedMore) => "more".into(),
            Err(ReadError::LimitExceeded { limit, buffered }) => {
                format!("limit:{limit}:{buffered}")
            }
            Err(e) => format!("other:{e:?}"),
        });
    }
    (seen, pipe)
}

#[test]
fn read_line_limit_lf_one_under_at_over() {
    const MAX: usize = 8;
    for lent in [false, true] {
        for len in [MAX - 1, MAX, MAX + 1] {
            let mut line = vec![b'x'; len];
            line.push(b'\n');
            let (seen, pipe) = byte_at_a_time(MAX, &line, lent);
            if len <= MAX {
                assert!(seen[..len].iter().all(|s| s == "more"), "{seen:?}");
                assert_eq!(seen[len], format!("ok:{}", "x".repeat(len)));
                assert!(pipe.is_empty());
            } else {
                // `max_frame + 1` bytes without a `\n` show it: the 9th byte.
                assert!(seen[..MAX].iter().all(|s| s == "more"), "{seen:?}");
                assert_eq!(seen[MAX], format!("limit:{MAX}:{}", MAX + 1));
                assert_eq!(seen[MAX + 1], format!("limit:{MAX}:{}", MAX + 2));
                // nothing consumed
                assert_eq!(buffered(&pipe), line);
            }
        }
    }
}

#[test]
fn read_line_limit_crlf_one_under_at_over() {
    const MAX: usize = 8;
    for lent in [false, true] {
        for len in [MAX - 1, MAX, MAX + 1] {
            let mut line = vec![b'y'; len];
            line.extend_from_slice(b"\r\n");
            let (seen, mut pipe) = byte_at_a_time(MAX, &line, lent);
            if len <= MAX {
                assert!(
                    seen[..=len].iter().all(|s| s == "more"),
                    "len {len}: {seen:?}"
                );
                assert_eq!(
                    seen[len + 1],
                    format!("ok:{}", "y".repeat(len)),
                    "len {len}"
                );
                assert!(pipe.is_empty());
            } else {
                assert!(seen[..MAX].iter().all(|s| s == "more"), "{seen:?}");
                assert_eq!(seen[MAX], format!("limit:{MAX}:{}", MAX + 1), "{seen:?}");
                assert_eq!(buffered(&pipe), line);
                assert!(pipe.read_line(false).is_err());
            }
        }
    }
}

#[test]
fn read_line_limit_cr_after_max_then_other_byte() {
    // "`max_frame + 2` when the byte after the first `max_frame` is a `\r`".
    let (seen, pipe) = byte_at_a_time(4, b"abcd\rx", false);
    assert_eq!(seen, ["more", "more", "more", "more", "more", "limit:4:6"]);
    assert_eq!(pipe.len(), 6);
}

#[test]
fn read_line_doc_example_at_limit() {
    let mut pipe = with_max(4);
    pipe.write_all(b"abcd\r").unwrap();
    assert!(matches!(pipe.read_line(false), Err(ReadError::NeedMore)));
    pipe.write_all(b"\nabcde").unwrap();
    assert_eq!(pipe.read_line(false).unwrap(), "abcd");
    let over = pipe.read_line(false);
    assert!(is_limit(&over, 4, 5));
}

#[test]
fn read_line_crlf_at_limit_across_segments() {
    // The CRLF line of exactly max_frame bytes, its `\r` and `\n` in separate segments.
    for piece in [1, 2, 3, 4, 5] {
        let mut pipe = with_max(4);
        append_pieces(&mut pipe, b"abcd\r\nefgh\r\n", piece);
        assert_eq!(pipe.read_line(false).unwrap(), "abcd", "piece {piece}");
        assert_eq!(
            pipe.read_line_ref(true).unwrap(),
            b"efgh\r\n",
            "piece {piece}"
        );
    }
    let mut pipe = tiny(64);
    let mut data = vec![b'q'; 63];
    data.extend_from_slice(b"\r\n"); // `\r` ends the first 64-byte chunk
    data.extend_from_slice(&[b'w'; 64]);
    data.extend_from_slice(b"\r\n");
    pipe.write_all(&data).unwrap();
    assert!(pipe.chunks().count() >= 2);
    assert_eq!(pipe.read_line(false).unwrap().len(), 63);
    assert_eq!(pipe.read_line(false).unwrap(), vec![b'w'; 64]);
}

#[test]
fn read_line_limit_after_eof() {
    // "After the end, a last line without `\n` is `Partial` if it is within the limit,
    // `LimitExceeded` if it is not."
    for len in [3usize, 4, 5] {
        let mut pipe = with_max(4);
        pipe.write_all(&vec![b'z'; len]).unwrap();
        pipe.eof().unwrap();
        let r = pipe.read_line(false);
        if len <= 4 {
            assert!(
                matches!(&r, Err(ReadError::Partial(rest)) if rest.len() == len),
                "{r:?}"
            );
            assert!(matches!(pipe.read_line(false), Err(ReadError::End)));
        } else {
            assert!(is_limit(&r, 4, 5), "{r:?}");
            assert_eq!(pipe.len(), 5);
            // The way on: discard_until finds no separator; skip drops it.
            assert_eq!(pipe.skip(usize::MAX), 5);
            assert!(matches!(pipe.read_line(false), Err(ReadError::End)));
        }
    }
}

#[test]
fn limit_exceeded_recovery_discard_skip_raise() {
    let mut pipe = with_max(4);
    pipe.write_all(b"far too long\nok\n").unwrap();
    let r = pipe.read_line(true);
    assert!(matches!(r, Err(ReadError::LimitExceeded { limit: 4, .. })));
    assert_eq!(pipe.len(), 16, "nothing consumed");
    // Repeated: same answer, still nothing consumed.
    assert!(pipe.read_line_ref(true).is_err());
    assert_eq!(pipe.len(), 16);
    assert_eq!(pipe.discard_until(b"\n").unwrap(), Discarded::Found(13));
    assert_eq!(pipe.read_line(true).unwrap(), "ok\n");

    let mut pipe = with_max(4);
    pipe.write_all(b"longer\nx\n").unwrap();
    assert!(pipe.read_line(false).is_err());
    pipe.set_max_frame(6);
    assert_eq!(pipe.max_frame(), 6);
    assert_eq!(pipe.read_line(false).unwrap(), "longer");
    assert_eq!(pipe.read_line(false).unwrap(), "x");

    let mut pipe = with_max(2);
    pipe.write_all(b"abc\nd\n").unwrap();
    assert!(pipe.read_line(false).is_err());
    assert_eq!(pipe.skip(4), 4);
    assert_eq!(pipe.read_line(false).unwrap(), "d");
}

#[test]
fn set_max_frame_keeps_search_progress_and_applies_lower() {
    let mut pipe = with_max(100);
    pipe.write_all(b"0123456789").unwrap();
    assert!(matches!(pipe.read_line(false), Err(ReadError::NeedMore)));
    pipe.set_max_frame(5);
    assert!(is_limit(&pipe.read_line(false), 5, 10));
    pipe.set_max_frame(10);
    assert!(matches!(pipe.read_line(false), Err(ReadError::NeedMore)));
    pipe.write_all(b"\n").unwrap();
    assert_eq!(pipe.read_line(false).unwrap(), "0123456789");
}

#[test]
fn unlimited_max_frame_never_triggers() {
    let mut pipe = with_max(UNLIMITED);
    let big = vec![b'a'; 300_000];
    pipe.write_all(&big).unwrap();
    assert!(matches!(pipe.read_line(false), Err(ReadError::NeedMore)));
    pipe.write_all(b"\n").unwrap();
    assert_eq!(pipe.read_line(false).unwrap().len(), 300_000);
    pipe.write_all(&big).unwrap();
    assert_eq!(pipe.read_exact(300_000).unwrap().len(), 300_000);
}

// ---------------------------------------------------------------------------------------------
// read_lines_with
// ---------------------------------------------------------------------------------------------

#[test]
fn read_lines_with_batches_and_outcomes() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"GET a\r\nGET b\r\nGET c\r\npart").unwrap();
    let mut keys = Vec::new();
    let n = pipe
        .read_lines_with(false, |l| keys.push(l[4..].to_vec()))
        .unwrap();
    assert_eq!(n, 3);
    assert_eq!(keys, [b"a", b"b", b"c"]);
    assert!(
        pipe.read_lines_with(false, |_| ())
            .unwrap_err()
            .is_need_more()
    );
    assert_eq!(pipe.len(), 4);
    pipe.write_all(b"\n").unwrap();
    let mut got = Vec::new();
    assert_eq!(
        pipe.read_lines_with(true, |l| got.push(l.to_vec()))
            .unwrap(),
        1
    );
    assert_eq!(got, [b"part\n".to_vec()]);
    pipe.write_all(b"tail").unwrap();
    pipe.eof().unwrap();
    let r = pipe.read_lines_with(true, |_| panic!("no complete line"));
    assert!(matches!(r, Err(ReadError::Partial(rest)) if rest == "tail"));
    assert!(pipe.read_lines_with(true, |_| ()).unwrap_err().is_end());
}

#[test]
fn read_lines_with_limit_stops_batch() {
    let mut pipe = with_max(4);
    pipe.write_all(b"ab\ncd\r\nwaytoolong\nef\n").unwrap();
    let mut got = Vec::new();
    assert_eq!(
        pipe.read_lines_with(false, |l| got.push(l.to_vec()))
            .unwrap(),
        2
    );
    assert_eq!(got, [b"ab".to_vec(), b"cd".to_vec()]);
    let r = pipe.read_lines_with(false, |_| panic!("over the limit"));
    assert!(matches!(r, Err(ReadError::LimitExceeded { limit: 4, .. })));
    assert_eq!(buffered(&pipe), b"waytoolong\nef\n");
    assert_eq!(pipe.discard_until(b"\n").unwrap(), Discarded::Found(11));
    got.clear();
    assert_eq!(
        pipe.read_lines_with(false, |l| got.push(l.to_vec()))
            .unwrap(),
        1
    );
    assert_eq!(got, [b"ef".to_vec()]);
}

#[test]
fn read_lines_with_across_segments_and_stream_error() {
    let data = b"alpha\nbeta\r\n\ngamma\n";
    for piece in [1, 2, 5] {
        let mut pipe = Pipe::new();
        append_pieces(&mut pipe, data, piece);
        let mut got = Vec::new();
        let mut total = 0;
        while let Ok(n) = pipe.read_lines_with(false, |l| got.push(l.to_vec())) {
            total += n;
        }
        assert_eq!(total, 4, "piece {piece}");
        assert_eq!(got, [&b"alpha"[..], b"beta", b"", b"gamma"]);
    }
    let mut pipe = Pipe::new();
    pipe.write_all(b"x\npartial").unwrap();
    pipe.eof_with_error(broken()).unwrap();
    assert_eq!(pipe.read_lines_with(false, |_| ()).unwrap(), 1);
    let r = pipe.read_lines_with(false, |_| ());
    assert!(
        matches!(r, Err(ReadError::Stream(ref e)) if e.kind() == io::ErrorKind::ConnectionReset)
    );
    assert_eq!(pipe.len(), 7, "a stream error consumes nothing");
}

// ---------------------------------------------------------------------------------------------
// read_until / read_until_ref
// ---------------------------------------------------------------------------------------------

#[test]
fn read_until_doc_and_multi_byte_sep() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"a--b--").unwrap();
    assert_eq!(pipe.read_until(b"--", true).unwrap(), "a--");
    assert_eq!(pipe.read_until(b"--", false).unwrap(), "b");
    pipe.write_all(b"-x--").unwrap();
    // "-x--": the first "--" starts at 2.
    assert_eq!(pipe.read_until_ref(b"--", false).unwrap(), b"-x");
    pipe.write_all(b"\r\n\r\nbody").unwrap();
    assert_eq!(pipe.read_until(b"\r\n\r\n", false).unwrap(), "");
    assert!(matches!(
        pipe.read_until(b";", false),
        Err(ReadError::NeedMore)
    ));
    pipe.eof().unwrap();
    assert!(matches!(pipe.read_until(b";", true), Err(ReadError::Partial(r)) if r == "body"));
    assert!(matches!(pipe.read_until(b";", true), Err(ReadError::End)));
}

#[test]
fn read_until_empty_separator_is_invalid_argument_and_changes_nothing() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"abc;").unwrap();
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
    assert_eq!(pipe.len(), 4);
    assert_eq!(pipe.read_until(b";", false).unwrap(), "abc");
    // Also on a closed pipe: the bad call is still InvalidArgument, not End.
    pipe.eof().unwrap();
    assert!(matches!(
        pipe.read_until(b"", true),
        Err(ReadError::InvalidArgument(_))
    ));
}

#[test]
fn read_until_limit_counts_frame_not_separator() {
    for (sep, seplen) in [(&b";"[..], 1usize), (b"--", 2), (b"<END>", 5)] {
        for len in [3usize, 4, 5] {
            let mut pipe = with_max(4);
            let mut data = vec![b'k'; len];
            data.extend_from_slice(sep);
            pipe.write_all(&data).unwrap();
            let r = pipe.read_until(sep, false);
            if len <= 4 {
                assert_eq!(r.unwrap().len(), len, "sep {sep:?} len {len}");
                assert!(pipe.is_empty());
            } else {
                assert!(
                    matches!(r, Err(ReadError::LimitExceeded { limit: 4, buffered }) if buffered == len + seplen),
                    "sep {sep:?} len {len}: {r:?}"
                );
                assert_eq!(pipe.len(), len + seplen);
                assert_eq!(
                    pipe.discard_until(sep).unwrap(),
                    Discarded::Found(len + seplen)
                );
            }
        }
    }
}

#[test]
fn read_until_byte_at_a_time_limit_multi_byte_sep() {
    // With a frame of max_frame bytes then "--" one byte at a time: never LimitExceeded.
    let mut pipe = with_max(4);
    for (i, &b) in b"abcd--".iter().enumerate() {
        pipe.write_all(&[b]).unwrap();
        let r = pipe.read_until(b"--", false);
        if i < 5 {
            assert!(matches!(r, Err(ReadError::NeedMore)), "byte {i}: {r:?}");
        } else {
            assert_eq!(r.unwrap(), "abcd");
        }
    }
    // One over: eventually LimitExceeded, never a frame, nothing consumed.
    let mut pipe = with_max(4);
    let mut limited = false;
    for &b in b"abcde--" {
        pipe.write_all(&[b]).unwrap();
        match pipe.read_until(b"--", false) {
            Err(ReadError::NeedMore) => assert!(!limited, "limit then need more"),
            Err(ReadError::LimitExceeded { limit: 4, .. }) => limited = true,
            other => panic!("{other:?}"),
        }
    }
    assert!(limited);
    assert_eq!(pipe.len(), 7);
}

#[test]
fn read_until_separator_straddles_segments() {
    let data = b"key1\r\n\r\nkey2\r\n\r\nrest";
    for piece in 1..=6 {
        let mut pipe = Pipe::new();
        append_pieces(&mut pipe, data, piece);
        assert_eq!(
            pipe.read_until(b"\r\n\r\n", false).unwrap(),
            "key1",
            "piece {piece}"
        );
        assert_eq!(
            pipe.read_until_ref(b"\r\n\r\n", true).unwrap(),
            b"key2\r\n\r\n"
        );
        assert!(matches!(
            pipe.read_until(b"\r\n\r\n", true),
            Err(ReadError::NeedMore)
        ));
        assert_eq!(pipe.len(), 4);
    }
}

#[test]
fn read_until_after_different_separator_search() {
    // "Any write, read or different delimiter invalidates the memo correctly."
    let mut pipe = Pipe::new();
    pipe.write_all(b"aa;bb,cc").unwrap();
    assert!(matches!(
        pipe.read_until(b"!", false),
        Err(ReadError::NeedMore)
    ));
    assert_eq!(pipe.read_until(b",", false).unwrap(), "aa;bb");
    assert!(matches!(
        pipe.read_until(b";", false),
        Err(ReadError::NeedMore)
    ));
    pipe.write_all(b";").unwrap();
    assert_eq!(pipe.read_until(b";", false).unwrap(), "cc");
}

// ---------------------------------------------------------------------------------------------
// read_exact / read_exact_ref
// ---------------------------------------------------------------------------------------------

#[test]
fn read_exact_zero_is_always_an_empty_frame() {
    let mut pipe = Pipe::new();
    assert_eq!(pipe.read_exact(0).unwrap(), "");
    assert_eq!(pipe.read_exact_ref(0).unwrap(), b"");
    pipe.eof().unwrap();
    assert_eq!(
        pipe.read_exact(0).unwrap(),
        "",
        "n == 0 always gives an empty frame at once"
    );
    let mut pipe = Pipe::new();
    pipe.eof_with_error(broken()).unwrap();
    assert_eq!(pipe.read_exact(0).unwrap(), "");
    assert_eq!(pipe.read_exact_ref(0).unwrap(), b"");
}

#[test]
fn read_exact_outcomes() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"$5\r\nhello\r\n").unwrap();
    assert_eq!(pipe.read_line(false).unwrap(), "$5");
    assert_eq!(pipe.read_exact(5).unwrap(), "hello");
    assert!(matches!(pipe.read_exact(3), Err(ReadError::NeedMore)));
    assert!(matches!(pipe.read_exact_ref(3), Err(ReadError::NeedMore)));
    assert_eq!(pipe.len(), 2);
    pipe.eof().unwrap();
    assert!(matches!(pipe.read_exact(3), Err(ReadError::Partial(r)) if r == "\r\n"));
    assert!(matches!(pipe.read_exact(3), Err(ReadError::End)));
    assert!(matches!(pipe.read_exact_ref(1), Err(ReadError::End)));
}

#[test]
fn read_exact_limit_one_under_at_over() {
    for lent in [false, true] {
        let mut pipe = with_max(8);
        pipe.write_all(&[1u8; 20]).unwrap();
        let under = if lent {
            pipe.read_exact_ref(7).map(|b| b.len())
        } else {
            pipe.read_exact(7).map(|b| b.len())
        };
        assert_eq!(under.unwrap(), 7);
        let at = if lent {
            pipe.read_exact_ref(8).map(|b| b.len())
        } else {
            pipe.read_exact(8).map(|b| b.len())
        };
        assert_eq!(at.unwrap(), 8);
        // LimitExceeded at once, even though 5 are buffered (or enough would be).
        pipe.write_all(&[2u8; 10]).unwrap();
        let over = if lent {
            pipe.read_exact_ref(9).map(|b| b.len())
        } else {
            pipe.read_exact(9).map(|b| b.len())
        };
        assert!(
            matches!(over, Err(ReadError::LimitExceeded { limit: 8, .. })),
            "{over:?}"
        );
        assert_eq!(pipe.len(), 15, "nothing consumed");
        assert_eq!(pipe.read_exact(5).unwrap(), [1u8; 5][..]);
    }
    let mut pipe = with_max(8);
    assert!(
        matches!(
            pipe.read_exact(9),
            Err(ReadError::LimitExceeded { limit: 8, .. })
        ),
        "at once, with nothing buffered"
    );
}

#[test]
fn read_exact_across_segments_and_byte_at_a_time() {
    let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    for piece in [1, 3, 64, 999] {
        let mut pipe = tiny(UNLIMITED);
        append_pieces(&mut pipe, &data, piece);
        assert_eq!(pipe.read_exact(400).unwrap(), data[..400]);
        assert_eq!(pipe.read_exact_ref(600).unwrap(), &data[400..]);
    }
    let mut pipe = tiny(1000);
    for (i, &b) in data.iter().enumerate() {
        pipe.write_all(&[b]).unwrap();
        let r = pipe.read_exact(1000);
        if i + 1 < 1000 {
            assert!(matches!(r, Err(ReadError::NeedMore)));
            assert_eq!(pipe.len(), i + 1);
        } else {
            assert_eq!(r.unwrap(), data);
        }
    }
}

#[test]
fn reserve_frame_doc_example() {
    let mut pipe = Pipe::new();
    pipe.write_all(&[7u8; 100]).unwrap();
    assert!(matches!(pipe.read_exact(20_000), Err(ReadError::NeedMore)));
    pipe.reserve_frame(20_000);
    pipe.write_all(&[7u8; 19_900]).unwrap();
    assert_eq!(pipe.chunks().count(), 1);
    assert_eq!(pipe.read_exact(20_000).unwrap().len(), 20_000);
    // A hint only: a reservation that lapses changes no bytes.
    let mut pipe = Pipe::new();
    pipe.write_all(b"abc").unwrap();
    pipe.reserve_frame(50_000);
    assert_eq!(pipe.read_exact(1).unwrap(), "a");
    pipe.write_all(b"def").unwrap();
    assert_eq!(buffered(&pipe), b"bcdef");
}

// ---------------------------------------------------------------------------------------------
// read_at_most, peek, skip
// ---------------------------------------------------------------------------------------------

#[test]
fn read_at_most_outcomes() {
    let mut pipe = with_max(4);
    assert!(matches!(
        pipe.read_at_most(0),
        Err(ReadError::InvalidArgument(_))
    ));
    assert!(matches!(pipe.read_at_most(10), Err(ReadError::NeedMore)));
    pipe.write_all(b"0123456789").unwrap();
    assert!(matches!(
        pipe.read_at_most(0),
        Err(ReadError::InvalidArgument(_))
    ));
    assert_eq!(pipe.len(), 10, "InvalidArgument changes nothing");
    assert_eq!(pipe.read_at_most(3).unwrap(), "012");
    // Not limited by max_frame (4).
    assert_eq!(pipe.read_at_most(100).unwrap(), "3456789");
    assert!(matches!(pipe.read_at_most(1), Err(ReadError::NeedMore)));
    pipe.write_all(b"z").unwrap();
    pipe.eof().unwrap();
    assert_eq!(pipe.read_at_most(usize::MAX).unwrap(), "z");
    assert!(matches!(pipe.read_at_most(5), Err(ReadError::End)));
    let mut pipe = Pipe::new();
    pipe.write_all(b"q").unwrap();
    pipe.eof_with_error(broken()).unwrap();
    assert_eq!(pipe.read_at_most(5).unwrap(), "q");
    assert!(
        matches!(pipe.read_at_most(5), Err(ReadError::Stream(e)) if e.kind() == io::ErrorKind::ConnectionReset)
    );
}

#[test]
fn read_at_most_across_segments_returns_at_least_one_byte() {
    let mut pipe = Pipe::new();
    append_pieces(&mut pipe, b"abcdefgh", 3);
    let mut out = Vec::new();
    while let Ok(b) = pipe.read_at_most(5) {
        assert!(!b.is_empty() && b.len() <= 5);
        out.extend_from_slice(&b);
    }
    assert_eq!(out, b"abcdefgh");
}

#[test]
fn peek_outcomes_consume_nothing() {
    let mut pipe = with_max(2);
    assert_eq!(pipe.peek(0).unwrap(), "");
    assert_eq!(pipe.peek_ref(0).unwrap(), b"");
    assert!(matches!(pipe.peek(1), Err(ReadError::NeedMore)));
    assert!(matches!(pipe.peek_ref(1), Err(ReadError::NeedMore)));
    pipe.write_all(b"+OK\r\n").unwrap();
    assert_eq!(pipe.peek(1).unwrap(), "+");
    assert_eq!(pipe.peek(100).unwrap(), "+OK\r\n", "up to n, not limited");
    assert_eq!(pipe.peek_ref(4).unwrap(), b"+OK\r");
    assert_eq!(pipe.len(), 5);
    assert_eq!(pipe.read_line(true).map(|b| b.len()).ok(), None, "limit 2");
    pipe.set_max_frame(10);
    assert_eq!(pipe.read_line(true).unwrap(), "+OK\r\n");
    pipe.eof().unwrap();
    assert!(matches!(pipe.peek(1), Err(ReadError::End)));
    assert!(matches!(pipe.peek_ref(1), Err(ReadError::End)));
    assert_eq!(pipe.peek(0).unwrap(), "");
}

#[test]
fn peek_across_segments_and_after_failed_close() {
    let mut pipe = Pipe::new();
    append_pieces(&mut pipe, b"abcdef", 1);
    assert_eq!(pipe.peek(4).unwrap(), "abcd");
    assert_eq!(pipe.peek_ref(6).unwrap(), b"abcdef");
    assert_eq!(pipe.len(), 6);
    pipe.eof_with_error(broken()).unwrap();
    assert_eq!(pipe.peek(2).unwrap(), "ab");
    pipe.skip(6);
    assert!(matches!(pipe.peek(1), Err(ReadError::Stream(_))));
    assert!(matches!(pipe.peek_ref(1), Err(ReadError::Stream(_))));
}

#[test]
fn peek_does_not_change_the_write_side() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"ab").unwrap();
    let p = pipe.peek(2).unwrap();
    pipe.write_all(b"cd").unwrap();
    assert_eq!(
        pipe.chunks().count(),
        1,
        "peek must not seal the writer's chunk"
    );
    assert_eq!(p, "ab");
    let _ = pipe.peek_ref(3).unwrap();
    pipe.write_all(b"ef").unwrap();
    assert_eq!(pipe.chunks().count(), 1);
    assert_eq!(pipe.read_exact(6).unwrap(), "abcdef");
    assert_eq!(p, "ab", "a peeked frame is unaffected by later writes");
}

#[test]
fn skip_drops_up_to_n() {
    let mut pipe = Pipe::new();
    assert_eq!(pipe.skip(5), 0);
    append_pieces(&mut pipe, b"0123456789", 3);
    assert_eq!(pipe.skip(0), 0);
    assert_eq!(pipe.skip(4), 4);
    assert_eq!(pipe.peek(1).unwrap(), "4");
    assert_eq!(pipe.skip(usize::MAX), 6);
    assert!(pipe.is_empty());
    pipe.eof().unwrap();
    assert_eq!(pipe.skip(1), 0);
}

// ---------------------------------------------------------------------------------------------
// discard_until, find, find_byte
// ---------------------------------------------------------------------------------------------

#[test]
fn discard_until_found_and_not_yet() {
    let mut pipe = with_max(2);
    pipe.write_all(b"0123456789-").unwrap();
    // No "--" yet: all but the last byte (a possible start) go.
    assert_eq!(pipe.discard_until(b"--").unwrap(), Discarded::NotYet(10));
    assert_eq!(buffered(&pipe), b"-");
    pipe.write_all(b"-rest").unwrap();
    assert_eq!(pipe.discard_until(b"--").unwrap(), Discarded::Found(2));
    assert_eq!(buffered(&pipe), b"rest");
    assert_eq!(pipe.discard_until(b"\n").unwrap(), Discarded::NotYet(4));
    assert!(pipe.is_empty());
    assert_eq!(pipe.discard_until(b"\n").unwrap(), Discarded::NotYet(0));
    pipe.write_all(b"a\nb").unwrap();
    assert_eq!(pipe.discard_until(b"\n").unwrap(), Discarded::Found(2));
    assert_eq!(pipe.read_exact(1).unwrap(), "b");
}

#[test]
fn discard_until_across_segments_and_at_end() {
    let mut pipe = Pipe::new();
    append_pieces(&mut pipe, b"xxxx\r\n\r\nyy", 1);
    assert_eq!(
        pipe.discard_until(b"\r\n\r\n").unwrap(),
        Discarded::Found(8)
    );
    assert_eq!(buffered(&pipe), b"yy");
    pipe.eof().unwrap();
    // After the end with no separator, whatever it says, nothing is duplicated and it ends.
    let r = pipe.discard_until(b"\n");
    assert!(
        matches!(
            r,
            Ok(Discarded::NotYet(2)) | Err(ReadError::End) | Err(ReadError::Partial(_))
        ),
        "{r:?}"
    );
}

#[test]
fn find_byte_and_find_ranges() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"key=value").unwrap();
    assert_eq!(pipe.find_byte(b'=', ..).unwrap(), Some(3));
    assert_eq!(pipe.find_byte(b'=', 4..).unwrap(), None);
    assert_eq!(pipe.find_byte(b'=', 3..4).unwrap(), Some(3));
    assert_eq!(pipe.find_byte(b'=', ..3).unwrap(), None);
    assert_eq!(pipe.find_byte(b'e', 2..=7).unwrap(), None);
    assert_eq!(pipe.find_byte(b'e', 2..=8).unwrap(), Some(8));
    assert_eq!(
        pipe.find_byte(b'v', 9..).unwrap(),
        None,
        "an empty range at len is valid"
    );
    assert_eq!(pipe.find(b"val", ..).unwrap(), Some(4));
    // "The first match of needle lying wholly in range."
    assert_eq!(pipe.find(b"val", ..6).unwrap(), None);
    assert_eq!(pipe.find(b"val", ..7).unwrap(), Some(4));
    assert_eq!(pipe.find(b"", ..), Err(FindError::EmptyNeedle));
    #[allow(clippy::reversed_empty_ranges)]
    let reversed = pipe.find_byte(b'k', 5..2);
    assert!(matches!(reversed, Err(FindError::InvalidRange { .. })));
    assert!(matches!(
        pipe.find_byte(b'k', 0..10),
        Err(FindError::InvalidRange {
            start: 0,
            end: 10,
            len: 9
        })
    ));
    assert!(matches!(
        pipe.find(b"k", 10..),
        Err(FindError::InvalidRange { .. })
    ));
    assert_eq!(pipe.len(), 9, "find consumes nothing");
    assert_eq!(pipe.read_until(b"=", false).unwrap(), "key");
    assert_eq!(
        pipe.find_byte(b'u', ..).unwrap(),
        Some(3),
        "offsets from the read cursor"
    );
}

#[test]
fn find_across_segments_and_after_reads() {
    let data = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    for piece in 1..=5 {
        let mut pipe = Pipe::new();
        append_pieces(&mut pipe, data, piece);
        assert_eq!(
            pipe.find(b"\r\n\r\n", ..).unwrap(),
            Some(23),
            "piece {piece}"
        );
        assert_eq!(pipe.find(b"\r\n", 0..15).unwrap(), None);
        assert_eq!(pipe.find(b"\r\n", 0..16).unwrap(), Some(14));
        assert_eq!(pipe.find_byte(b'H', 1..).unwrap(), Some(6));
        pipe.skip(16);
        assert_eq!(pipe.find(b"\r\n\r\n", ..).unwrap(), Some(7));
    }
}

#[test]
fn find_incremental_is_linear_byte_at_a_time() {
    let mut pipe = Pipe::new();
    let n = 20_000usize;
    let before = pipe.scanned_bytes();
    for _ in 0..n {
        pipe.write_all(b"a").unwrap();
        assert_eq!(pipe.find(b"\r\n\r\n", ..).unwrap(), None);
    }
    pipe.write_all(b"\r\n\r\n").unwrap();
    assert_eq!(pipe.find(b"\r\n\r\n", ..).unwrap(), Some(n));
    let scanned = pipe.scanned_bytes() - before;
    assert!(
        scanned <= 3 * n as u64,
        "scanned {scanned} for {n} bytes: quadratic?"
    );
}

#[test]
fn read_until_incremental_is_linear_byte_at_a_time() {
    let mut pipe = with_max(UNLIMITED);
    let n = 20_000usize;
    for _ in 0..n {
        pipe.write_all(b"x").unwrap();
        assert!(matches!(
            pipe.read_line_ref(false),
            Err(ReadError::NeedMore)
        ));
    }
    pipe.write_all(b"\r\n").unwrap();
    assert_eq!(pipe.read_line(false).unwrap().len(), n);
    assert!(
        pipe.scanned_bytes() <= 2 * n as u64 + 16,
        "scanned {}",
        pipe.scanned_bytes()
    );
}

// ---------------------------------------------------------------------------------------------
// chunks, io_slices, append_bytes
// ---------------------------------------------------------------------------------------------

#[test]
fn chunks_and_io_slices_view_everything_in_order() {
    let mut pipe = tiny(UNLIMITED);
    let data: Vec<u8> = (0..500u32).map(|i| (i % 251) as u8).collect();
    // Writes of 50 bytes fill 64-byte chunks (a single write above the pool's largest chunk
    // would get memory of its own).
    for part in data.chunks(50) {
        pipe.write_all(part).unwrap();
    }
    assert!(pipe.chunks().count() >= 7, "64-byte chunks");
    assert_eq!(buffered(&pipe), data);
    let mut views = [IoSlice::new(&[]); 64];
    let n = pipe.io_slices(&mut views);
    assert_eq!(n, pipe.chunks().count());
    let flat: Vec<u8> = views[..n].iter().flat_map(|s| s.iter().copied()).collect();
    assert_eq!(flat, data);
    // Fewer slots than chunks: fills them all, oldest first.
    let mut two = [IoSlice::new(&[]); 2];
    assert_eq!(pipe.io_slices(&mut two), 2);
    let first: Vec<u8> = two.iter().flat_map(|s| s.iter().copied()).collect();
    assert_eq!(first, data[..first.len()]);
    let mut none: [IoSlice; 0] = [];
    assert_eq!(pipe.io_slices(&mut none), 0);
    // Forward with a vectored write, then skip.
    let mut sink = Vec::new();
    let n = pipe.io_slices(&mut views);
    let written = sink.write_vectored(&views[..n]).unwrap();
    assert_eq!(pipe.skip(written), written);
    assert_eq!(sink, data[..written]);
    assert_eq!(buffered(&pipe), data[written..]);
}

#[test]
fn append_bytes_segments_and_reads() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"$5\r\n").unwrap();
    pipe.append_bytes(Bytes::from_static(b"hello")).unwrap();
    pipe.write_all(b"\r\n").unwrap();
    assert_eq!(pipe.chunks().count(), 3);
    assert_eq!(pipe.len(), 11);
    assert_eq!(pipe.read_line(false).unwrap(), "$5");
    assert_eq!(pipe.read_exact(5).unwrap(), "hello");
    assert_eq!(pipe.read_exact(2).unwrap(), "\r\n");
    // An empty Bytes appends nothing.
    pipe.append_bytes(Bytes::new()).unwrap();
    assert_eq!(pipe.len(), 0);
    assert!(matches!(pipe.read_at_most(1), Err(ReadError::NeedMore)));
    // Ends any loan made by get_buffer.
    pipe.get_buffer(8).unwrap();
    pipe.append_bytes(Bytes::from_static(b"zz")).unwrap();
    assert_eq!(pipe.buffer_written(1), Err(WriteError::NothingLent));
    assert_eq!(buffered(&pipe), b"zz");
    pipe.eof().unwrap();
    assert_eq!(
        pipe.append_bytes(Bytes::from_static(b"x")),
        Err(WriteError::Closed)
    );
    assert_eq!(pipe.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Write side: get_buffer, buffer_written, write_all, eof, eof_with_error, on_new_data
// ---------------------------------------------------------------------------------------------

#[test]
fn get_buffer_and_buffer_written_errors_change_nothing() {
    let mut pipe = Pipe::new();
    assert_eq!(pipe.buffer_written(0), Err(WriteError::NothingLent));
    assert_eq!(pipe.buffer_written(1), Err(WriteError::NothingLent));
    let space = pipe.get_buffer(4).unwrap();
    assert!(space.len() >= 4);
    let lent = space.len();
    space[..3].copy_from_slice(b"abc");
    assert_eq!(
        pipe.buffer_written(lent + 1),
        Err(WriteError::Overcommit {
            committed: lent + 1,
            lent
        })
    );
    assert_eq!(pipe.len(), 0, "nothing changes on overcommit");
    // The loan still stands after the failed commit.
    pipe.buffer_written(3).unwrap();
    assert_eq!(pipe.len(), 3);
    assert_eq!(pipe.buffer_written(1), Err(WriteError::NothingLent));
    // n == 0 commits nothing and ends the loan.
    pipe.get_buffer(1).unwrap();
    pipe.buffer_written(0).unwrap();
    assert_eq!(pipe.buffer_written(0), Err(WriteError::NothingLent));
    assert_eq!(pipe.read_exact(3).unwrap(), "abc");
    let max = pipe.pool().max_chunk();
    assert!(pipe.get_buffer(max).unwrap().len() >= max);
    pipe.buffer_written(0).unwrap();
    assert!(matches!(
        pipe.get_buffer(max + 1),
        Err(WriteError::SizeHintTooLarge { .. })
    ));
    assert!(matches!(
        pipe.get_buffer(usize::MAX),
        Err(WriteError::SizeHintTooLarge { .. })
    ));
    assert_eq!(
        pipe.buffer_written(0),
        Err(WriteError::NothingLent),
        "a refused hint lends nothing"
    );
    assert!(!pipe.get_buffer(0).unwrap().is_empty());
}

#[test]
fn write_all_ends_a_loan() {
    let mut pipe = Pipe::new();
    pipe.get_buffer(16).unwrap()[..2].copy_from_slice(b"zz");
    pipe.write_all(b"ab").unwrap();
    assert_eq!(pipe.buffer_written(2), Err(WriteError::NothingLent));
    assert_eq!(buffered(&pipe), b"ab");
    assert_eq!(pipe.read_exact(2).unwrap(), "ab");
}

#[test]
fn loan_is_not_readable_until_committed() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"ab").unwrap();
    pipe.get_buffer(4).unwrap()[..2].copy_from_slice(b"\n\n");
    assert_eq!(pipe.len(), 2);
    assert!(matches!(pipe.read_line(false), Err(ReadError::NeedMore)));
    assert_eq!(pipe.read_at_most(10).unwrap(), "ab");
    pipe.buffer_written(1).unwrap();
    assert_eq!(pipe.read_line(true).unwrap(), "\n");
}

#[test]
fn eof_closes_once_and_drops_uncommitted_loan() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"kept").unwrap();
    pipe.get_buffer(8).unwrap()[..3].copy_from_slice(b"xyz");
    pipe.eof().unwrap();
    assert!(matches!(pipe.state(), PipeState::Closed));
    assert!(pipe.is_closed());
    assert_eq!(pipe.len(), 4);
    assert_eq!(pipe.eof(), Err(WriteError::Closed));
    assert_eq!(pipe.eof_with_error(broken()), Err(WriteError::Closed));
    assert!(
        matches!(pipe.state(), PipeState::Closed),
        "the first close stands"
    );
    assert_eq!(pipe.write_all(b"no"), Err(WriteError::Closed));
    assert!(matches!(pipe.get_buffer(1), Err(WriteError::Closed)));
    assert_eq!(pipe.buffer_written(0), Err(WriteError::Closed));
    assert_eq!(pipe.len(), 4);
    assert!(matches!(pipe.read_line(false), Err(ReadError::Partial(r)) if r == "kept"));
    assert!(matches!(pipe.read_line(false), Err(ReadError::End)));
}

#[test]
fn eof_with_error_serves_buffered_then_same_error_every_time() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"line\npart").unwrap();
    pipe.eof_with_error(broken()).unwrap();
    assert!(pipe.is_closed());
    let PipeState::Failed(state_err) = pipe.state().clone() else {
        panic!("state")
    };
    assert_eq!(state_err.kind(), io::ErrorKind::ConnectionReset);
    assert_eq!(pipe.eof(), Err(WriteError::Closed));
    assert_eq!(
        pipe.eof_with_error(io::Error::other("second")),
        Err(WriteError::Closed)
    );
    assert_eq!(pipe.read_line(false).unwrap(), "line");
    // "part" cannot make a line: the stream error, not Partial, nothing consumed.
    let e1 = match pipe.read_line(false) {
        Err(ReadError::Stream(e)) => e,
        other => panic!("{other:?}"),
    };
    assert_eq!(pipe.len(), 4);
    let e2 = match pipe.read_until_ref(b";", true) {
        Err(ReadError::Stream(e)) => e,
        other => panic!("{other:?}"),
    };
    let e3 = match pipe.read_exact(5) {
        Err(ReadError::Stream(e)) => e,
        other => panic!("{other:?}"),
    };
    assert!(e1.same_as(&e2) && e2.same_as(&e3) && e1.same_as(&state_err));
    assert_eq!(e1.get_ref().to_string(), "peer reset");
    assert_eq!(e1.to_io_error().kind(), io::ErrorKind::ConnectionReset);
    // Reads the buffered bytes can serve still succeed.
    assert_eq!(pipe.peek(4).unwrap(), "part");
    assert_eq!(pipe.read_exact(2).unwrap(), "pa");
    assert_eq!(pipe.read_at_most(9).unwrap(), "rt");
    assert!(matches!(pipe.read_at_most(1), Err(ReadError::Stream(e)) if e.same_as(&e1)));
    assert!(matches!(pipe.read_line(true), Err(ReadError::Stream(e)) if e.same_as(&e1)));
    assert_eq!(pipe.write_all(b"x"), Err(WriteError::Closed));
}

#[test]
fn stream_error_and_limit_on_the_same_line() {
    // A buffered line over the limit after a failed close: nothing consumed either way.
    let mut pipe = with_max(3);
    pipe.write_all(b"toolong").unwrap();
    pipe.eof_with_error(broken()).unwrap();
    let r = pipe.read_line(false);
    assert!(
        matches!(
            r,
            Err(ReadError::Stream(_)) | Err(ReadError::LimitExceeded { .. })
        ),
        "{r:?}"
    );
    assert_eq!(pipe.len(), 7);
    assert_eq!(pipe.read_at_most(100).unwrap(), "toolong");
}

#[test]
fn on_new_data_runs_after_commits_and_at_close() {
    use std::sync::{Arc, Mutex};
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut pipe = Pipe::new();
    let s = seen.clone();
    pipe.set_on_new_data(move |p| s.lock().unwrap().push((p.len(), p.is_closed())));
    pipe.write_all(b"abc").unwrap();
    pipe.get_buffer(2).unwrap()[..2].copy_from_slice(b"de");
    pipe.buffer_written(2).unwrap();
    pipe.append_bytes(Bytes::from_static(b"f")).unwrap();
    pipe.eof().unwrap();
    let calls = seen.lock().unwrap().clone();
    assert_eq!(calls.first(), Some(&(3, false)));
    assert!(calls.contains(&(5, false)));
    assert_eq!(calls.last(), Some(&(6, true)));
    let mut pipe = Pipe::new();
    let s = seen.clone();
    pipe.set_on_new_data(move |_| s.lock().unwrap().push((usize::MAX, true)));
    pipe.clear_on_new_data();
    let before = seen.lock().unwrap().len();
    pipe.write_all(b"x").unwrap();
    assert_eq!(seen.lock().unwrap().len(), before);
}

// ---------------------------------------------------------------------------------------------
// Error conversions
// ---------------------------------------------------------------------------------------------

#[test]
fn read_error_into_io_error_kinds() {
    use io::ErrorKind::*;
    let cases: Vec<(ReadError, io::ErrorKind)> = vec![
        (ReadError::NeedMore, WouldBlock),
        (ReadError::End, UnexpectedEof),
        (
            ReadError::Partial(Bytes::from_static(b"left")),
            UnexpectedEof,
        ),
        (
            ReadError::Stream(pipe_core::StreamError::new(broken())),
            ConnectionReset,
        ),
        (
            ReadError::LimitExceeded {
                limit: 1,
                buffered: 2,
            },
            InvalidData,
        ),
        (ReadError::Malformed("digits"), InvalidData),
        (ReadError::InvalidArgument("empty"), InvalidInput),
    ];
    for (e, kind) in cases {
        let text = e.to_string();
        assert!(!text.is_empty());
        assert!(!text.ends_with('.'), "{text}");
        let io: io::Error = e.clone().into();
        assert_eq!(io.kind(), kind, "{e:?}");
        if let ReadError::Partial(_) = e {
            assert!(matches!(read_error_of(&io), Some(ReadError::Partial(r)) if r == "left"));
        }
        if let ReadError::LimitExceeded { .. } = e {
            assert!(matches!(
                read_error_of(&io),
                Some(ReadError::LimitExceeded {
                    limit: 1,
                    buffered: 2
                })
            ));
        }
    }
    assert!(ReadError::NeedMore.is_need_more() && !ReadError::End.is_need_more());
    assert!(ReadError::End.is_end() && !ReadError::NeedMore.is_end());
}

#[test]
fn write_error_into_io_error_kinds() {
    use io::ErrorKind::*;
    let cases = [
        (WriteError::Closed, BrokenPipe),
        (WriteError::ReaderGone, BrokenPipe),
        (WriteError::NothingLent, InvalidInput),
        (
            WriteError::Overcommit {
                committed: 2,
                lent: 1,
            },
            InvalidInput,
        ),
        (
            WriteError::SizeHintTooLarge { hint: 2, max: 1 },
            InvalidInput,
        ),
    ];
    for (e, kind) in cases {
        assert!(!e.to_string().ends_with('.'));
        assert_eq!(io::Error::from(e).kind(), kind);
    }
}

// ---------------------------------------------------------------------------------------------
// std::io::Read
// ---------------------------------------------------------------------------------------------

#[test]
fn std_read_would_block_then_data_then_clean_end() {
    let mut pipe = Pipe::new();
    let mut buf = [0u8; 4];
    assert_eq!(err_kind(pipe.read(&mut buf)), io::ErrorKind::WouldBlock);
    append_pieces(&mut pipe, b"abcdef", 2);
    let mut out = Vec::new();
    loop {
        match pipe.read(&mut buf) {
            Ok(n) => {
                assert!(n > 0 && n <= 4);
                out.extend_from_slice(&buf[..n]);
            }
            Err(e) => {
                assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
                break;
            }
        }
    }
    assert_eq!(out, b"abcdef");
    pipe.write_all(b"g").unwrap();
    pipe.eof().unwrap();
    assert_eq!(pipe.read(&mut buf).unwrap(), 1);
    assert_eq!(pipe.read(&mut buf).unwrap(), 0);
    assert_eq!(pipe.read(&mut buf).unwrap(), 0, "Ok(0) every time");
}

#[test]
fn std_read_after_failed_close() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"ab").unwrap();
    pipe.eof_with_error(broken()).unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(pipe.read(&mut buf).unwrap(), 2);
    for _ in 0..2 {
        let e = pipe.read(&mut buf).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
        let inner = std::error::Error::source(&e).or(e.get_ref().map(|x| x as _));
        assert!(inner.is_some(), "the stream error as the source");
    }
}

#[test]
fn std_read_exact_consumes_nothing_unless_complete() {
    let mut pipe = Pipe::new();
    let data = b"0123456789";
    let mut got = [0u8; 10];
    for (i, &b) in data.iter().enumerate() {
        pipe.write_all(&[b]).unwrap();
        let r = Read::read_exact(&mut pipe, &mut got);
        if i < 9 {
            assert_eq!(err_kind(r), io::ErrorKind::WouldBlock, "byte {i}");
            assert_eq!(pipe.len(), i + 1, "nothing consumed");
        } else {
            r.unwrap();
        }
    }
    assert_eq!(&got, data);
    assert!(pipe.is_empty());
    let mut empty: [u8; 0] = [];
    Read::read_exact(&mut pipe, &mut empty).unwrap();
}

#[test]
fn std_read_exact_at_clean_end_keeps_bytes() {
    let mut pipe = Pipe::new();
    append_pieces(&mut pipe, b"abc", 1);
    pipe.eof().unwrap();
    let mut buf = [0u8; 5];
    assert_eq!(
        err_kind(Read::read_exact(&mut pipe, &mut buf)),
        io::ErrorKind::UnexpectedEof
    );
    assert_eq!(pipe.len(), 3, "every byte still buffered");
    assert_eq!(
        err_kind(Read::read_exact(&mut pipe, &mut buf)),
        io::ErrorKind::UnexpectedEof
    );
    let mut three = [0u8; 3];
    Read::read_exact(&mut pipe, &mut three).unwrap();
    assert_eq!(&three, b"abc");
    assert_eq!(
        err_kind(Read::read_exact(&mut pipe, &mut three)),
        io::ErrorKind::UnexpectedEof
    );
}

#[test]
fn std_read_exact_after_failed_close() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"abcd").unwrap();
    pipe.eof_with_error(broken()).unwrap();
    let mut six = [0u8; 6];
    assert_eq!(
        err_kind(Read::read_exact(&mut pipe, &mut six)),
        io::ErrorKind::ConnectionReset
    );
    assert_eq!(pipe.len(), 4);
    let mut two = [0u8; 2];
    Read::read_exact(&mut pipe, &mut two).unwrap();
    assert_eq!(&two, b"ab");
    Read::read_exact(&mut pipe, &mut two).unwrap();
    assert_eq!(
        err_kind(Read::read_exact(&mut pipe, &mut two)),
        io::ErrorKind::ConnectionReset
    );
}

#[test]
fn std_read_exact_ignores_or_respects_max_frame_without_loss() {
    // The std trait's read_exact is not documented to apply max_frame: either it completes or
    // it fails with nothing consumed.
    let mut pipe = with_max(4);
    pipe.write_all(b"0123456789").unwrap();
    let mut buf = [0u8; 8];
    match Read::read_exact(&mut pipe, &mut buf) {
        Ok(()) => assert_eq!(pipe.len(), 2),
        Err(_) => assert_eq!(pipe.len(), 10),
    }
}

#[test]
fn std_read_to_end_and_to_string() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"hello ").unwrap();
    let mut out = b"pre:".to_vec();
    assert_eq!(
        err_kind(pipe.read_to_end(&mut out)),
        io::ErrorKind::WouldBlock
    );
    assert_eq!(out, b"pre:", "nothing appended");
    assert_eq!(pipe.len(), 6, "nothing consumed");
    let mut s = String::from("pre:");
    assert_eq!(
        err_kind(pipe.read_to_string(&mut s)),
        io::ErrorKind::WouldBlock
    );
    assert_eq!(s, "pre:");
    assert_eq!(pipe.len(), 6);
    append_pieces(&mut pipe, b"world", 2);
    pipe.eof().unwrap();
    assert_eq!(pipe.read_to_string(&mut s).unwrap(), 11);
    assert_eq!(s, "pre:hello world");
    assert_eq!(pipe.read_to_end(&mut out).unwrap(), 0);
    assert_eq!(out, b"pre:");
}

#[test]
fn std_read_to_string_invalid_utf8_consumes_nothing() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"ok \xff\xfe").unwrap();
    pipe.eof().unwrap();
    let mut s = String::from("x");
    assert_eq!(
        err_kind(pipe.read_to_string(&mut s)),
        io::ErrorKind::InvalidData
    );
    assert_eq!(s, "x");
    assert_eq!(pipe.len(), 5);
    let mut v = Vec::new();
    assert_eq!(pipe.read_to_end(&mut v).unwrap(), 5);
    assert_eq!(v, b"ok \xff\xfe");
}

#[test]
fn std_read_to_end_after_failed_close_keeps_bytes() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"data").unwrap();
    pipe.eof_with_error(broken()).unwrap();
    let mut v = Vec::new();
    assert_eq!(
        err_kind(pipe.read_to_end(&mut v)),
        io::ErrorKind::ConnectionReset
    );
    assert!(v.is_empty(), "nothing appended");
    assert_eq!(pipe.len(), 4, "every byte still buffered");
    let mut s = String::new();
    assert_eq!(
        err_kind(pipe.read_to_string(&mut s)),
        io::ErrorKind::ConnectionReset
    );
    assert_eq!(pipe.len(), 4);
    assert_eq!(pipe.read_at_most(10).unwrap(), "data");
}

#[test]
fn std_read_to_end_is_not_limited_by_max_frame() {
    let mut pipe = with_max(4);
    pipe.write_all(&[b'a'; 100]).unwrap();
    pipe.eof().unwrap();
    let mut v = Vec::new();
    assert_eq!(pipe.read_to_end(&mut v).unwrap(), 100);
}

#[test]
fn std_read_vectored() {
    let mut pipe = Pipe::new();
    let mut a = [0u8; 3];
    let mut b = [0u8; 10];
    {
        let mut bufs = [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)];
        assert_eq!(
            err_kind(pipe.read_vectored(&mut bufs)),
            io::ErrorKind::WouldBlock
        );
    }
    pipe.write_all(b"abcdefgh").unwrap();
    let mut got = Vec::new();
    while !pipe.is_empty() {
        let mut bufs = [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)];
        let n = pipe.read_vectored(&mut bufs).unwrap();
        assert!(n > 0);
        let mut all = a.to_vec();
        all.extend_from_slice(&b);
        got.extend_from_slice(&all[..n]);
    }
    assert_eq!(got, b"abcdefgh");
    pipe.eof().unwrap();
    let mut bufs = [IoSliceMut::new(&mut a)];
    assert_eq!(pipe.read_vectored(&mut bufs).unwrap(), 0);
}

#[test]
fn std_bytes_iterator() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"ab").unwrap();
    let mut it = Read::by_ref(&mut pipe).bytes();
    assert_eq!(it.next().unwrap().unwrap(), b'a');
    assert_eq!(it.next().unwrap().unwrap(), b'b');
    assert_eq!(
        it.next().unwrap().unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
    pipe.write_all(b"c").unwrap();
    pipe.eof().unwrap();
    let rest: Vec<u8> = Read::by_ref(&mut pipe)
        .bytes()
        .map(|b| b.unwrap())
        .collect();
    assert_eq!(rest, b"c");
    let mut pipe = Pipe::new();
    pipe.write_all(b"z").unwrap();
    pipe.eof_with_error(broken()).unwrap();
    let all: Vec<io::Result<u8>> = Read::by_ref(&mut pipe).bytes().take(3).collect();
    assert_eq!(*all[0].as_ref().unwrap(), b'z');
    assert_eq!(
        all[1].as_ref().unwrap_err().kind(),
        io::ErrorKind::ConnectionReset
    );
}

#[test]
fn std_take_chain_by_ref() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"0123456789").unwrap();
    pipe.eof().unwrap();
    let mut v = Vec::new();
    assert_eq!(
        Read::by_ref(&mut pipe).take(4).read_to_end(&mut v).unwrap(),
        4
    );
    assert_eq!(v, b"0123");
    assert_eq!(pipe.len(), 6);
    let mut s = String::new();
    Read::by_ref(&mut pipe)
        .chain(&b"+tail"[..])
        .read_to_string(&mut s)
        .unwrap();
    assert_eq!(s, "456789+tail");
    assert!(pipe.is_empty());

    // by_ref forwards the overridden read_exact: still nothing consumed on failure.
    let mut pipe = Pipe::new();
    pipe.write_all(b"abc").unwrap();
    let mut buf = [0u8; 5];
    assert_eq!(
        err_kind(Read::read_exact(&mut Read::by_ref(&mut pipe), &mut buf)),
        io::ErrorKind::WouldBlock
    );
    assert_eq!(pipe.len(), 3);
    let mut v = Vec::new();
    assert_eq!(
        err_kind(Read::read_to_end(&mut Read::by_ref(&mut pipe), &mut v)),
        io::ErrorKind::WouldBlock
    );
    assert_eq!(pipe.len(), 3);
    let mut line = String::new();
    assert_eq!(
        err_kind(BufRead::read_line(&mut Read::by_ref(&mut pipe), &mut line)),
        io::ErrorKind::WouldBlock
    );
    assert_eq!(pipe.len(), 3);
    // take on an open pipe: bytes read before WouldBlock are handed over in `v` (std's rule).
    let mut v = Vec::new();
    let r = Read::by_ref(&mut pipe).take(10).read_to_end(&mut v);
    let mut total = v.clone();
    if let Err(e) = r {
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
    }
    pipe.eof().unwrap();
    pipe.read_to_end(&mut total).unwrap();
    assert_eq!(total, b"abc", "nothing lost or duplicated through take");
}

// ---------------------------------------------------------------------------------------------
// std::io::BufRead
// ---------------------------------------------------------------------------------------------

#[test]
fn bufread_fill_buf_and_consume() {
    let mut pipe = Pipe::new();
    assert_eq!(
        err_kind(pipe.fill_buf().map(|b| b.len())),
        io::ErrorKind::WouldBlock
    );
    append_pieces(&mut pipe, b"abcdef", 4);
    let first = pipe.fill_buf().unwrap().to_vec();
    assert!(!first.is_empty() && b"abcdef".starts_with(&first));
    pipe.consume(1);
    assert_eq!(pipe.len(), 5);
    let mut out = b"a".to_vec();
    loop {
        let n = match pipe.fill_buf() {
            Ok(b) => {
                out.extend_from_slice(b);
                b.len()
            }
            Err(e) => {
                assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
                break;
            }
        };
        pipe.consume(n);
    }
    assert_eq!(out, b"abcdef");
    pipe.write_all(b"xy").unwrap();
    pipe.consume(100);
    assert!(pipe.is_empty(), "consume beyond len drops all");
    pipe.eof().unwrap();
    assert_eq!(pipe.fill_buf().unwrap(), b"");
    pipe.consume(1);
}

#[test]
fn bufread_fill_buf_after_failed_close() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"k").unwrap();
    pipe.eof_with_error(broken()).unwrap();
    assert_eq!(pipe.fill_buf().unwrap(), b"k");
    pipe.consume(1);
    assert_eq!(
        err_kind(pipe.fill_buf().map(|b| b.len())),
        io::ErrorKind::ConnectionReset
    );
    assert_eq!(
        err_kind(pipe.fill_buf().map(|b| b.len())),
        io::ErrorKind::ConnectionReset
    );
}

#[test]
fn bufread_read_until_outcomes() {
    let mut pipe = Pipe::new();
    let mut v = b">".to_vec();
    append_pieces(&mut pipe, b"ab;cd", 1);
    assert_eq!(BufRead::read_until(&mut pipe, b';', &mut v).unwrap(), 3);
    assert_eq!(v, b">ab;");
    assert_eq!(
        err_kind(BufRead::read_until(&mut pipe, b';', &mut v)),
        io::ErrorKind::WouldBlock
    );
    assert_eq!(v, b">ab;", "nothing appended");
    assert_eq!(pipe.len(), 2, "nothing consumed");
    pipe.eof().unwrap();
    assert_eq!(
        BufRead::read_until(&mut pipe, b';', &mut v).unwrap(),
        2,
        "the rest"
    );
    assert_eq!(v, b">ab;cd");
    assert_eq!(BufRead::read_until(&mut pipe, b';', &mut v).unwrap(), 0);
}

#[test]
fn bufread_read_until_after_failed_close() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"x;yz").unwrap();
    pipe.eof_with_error(broken()).unwrap();
    let mut v = Vec::new();
    assert_eq!(BufRead::read_until(&mut pipe, b';', &mut v).unwrap(), 2);
    assert_eq!(
        err_kind(BufRead::read_until(&mut pipe, b';', &mut v)),
        io::ErrorKind::ConnectionReset
    );
    assert_eq!(v, b"x;");
    assert_eq!(pipe.len(), 2, "nothing consumed");
    assert_eq!(
        err_kind(BufRead::read_until(&mut pipe, b';', &mut v)),
        io::ErrorKind::ConnectionReset
    );
}

#[test]
fn bufread_read_line_outcomes() {
    let mut pipe = Pipe::new();
    let mut s = String::new();
    assert_eq!(
        err_kind(BufRead::read_line(&mut pipe, &mut s)),
        io::ErrorKind::WouldBlock
    );
    pipe.write_all(b"one\r\ntw").unwrap();
    assert_eq!(BufRead::read_line(&mut pipe, &mut s).unwrap(), 5);
    assert_eq!(s, "one\r\n", "std keeps the ending");
    assert_eq!(
        err_kind(BufRead::read_line(&mut pipe, &mut s)),
        io::ErrorKind::WouldBlock
    );
    assert_eq!(s, "one\r\n");
    assert_eq!(pipe.len(), 2);
    pipe.write_all(b"o\n\xffbad\nthree").unwrap();
    assert_eq!(BufRead::read_line(&mut pipe, &mut s).unwrap(), 4);
    assert_eq!(s, "one\r\ntwo\n");
    // Not UTF-8: InvalidData, nothing consumed, buffer untouched.
    assert_eq!(
        err_kind(BufRead::read_line(&mut pipe, &mut s)),
        io::ErrorKind::InvalidData
    );
    assert_eq!(s, "one\r\ntwo\n");
    assert_eq!(pipe.len(), 10);
    let mut v = Vec::new();
    assert_eq!(BufRead::read_until(&mut pipe, b'\n', &mut v).unwrap(), 5);
    pipe.eof().unwrap();
    s.clear();
    assert_eq!(BufRead::read_line(&mut pipe, &mut s).unwrap(), 5);
    assert_eq!(s, "three");
    assert_eq!(BufRead::read_line(&mut pipe, &mut s).unwrap(), 0);
}

#[test]
fn bufread_read_line_multibyte_utf8_across_segments() {
    let text = "héllo wörld ✓\nnext 🚀 line\n";
    for piece in 1..=4 {
        let mut pipe = Pipe::new();
        append_pieces(&mut pipe, text.as_bytes(), piece);
        let mut s = String::new();
        BufRead::read_line(&mut pipe, &mut s).unwrap();
        BufRead::read_line(&mut pipe, &mut s).unwrap();
        assert_eq!(s, text, "piece {piece}");
    }
}

#[test]
fn bufread_read_line_after_failed_close() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"a\nb").unwrap();
    pipe.eof_with_error(broken()).unwrap();
    let mut s = String::new();
    assert_eq!(BufRead::read_line(&mut pipe, &mut s).unwrap(), 2);
    assert_eq!(
        err_kind(BufRead::read_line(&mut pipe, &mut s)),
        io::ErrorKind::ConnectionReset
    );
    assert_eq!(s, "a\n");
    assert_eq!(pipe.len(), 1);
}

#[test]
fn bufread_lines_and_split() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"a\r\nb\n\nc").unwrap();
    {
        let mut lines = Read::by_ref(&mut pipe).lines();
        assert_eq!(lines.next().unwrap().unwrap(), "a");
        assert_eq!(lines.next().unwrap().unwrap(), "b");
        assert_eq!(lines.next().unwrap().unwrap(), "");
        assert_eq!(
            lines.next().unwrap().unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        assert_eq!(
            lines.next().unwrap().unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
    }
    assert_eq!(pipe.len(), 1, "the partial line is still buffered");
    pipe.write_all(b"d\r\ne;f").unwrap();
    {
        let mut lines = Read::by_ref(&mut pipe).lines();
        assert_eq!(lines.next().unwrap().unwrap(), "cd");
    }
    {
        let mut parts = Read::by_ref(&mut pipe).split(b';');
        assert_eq!(parts.next().unwrap().unwrap(), b"e");
        assert_eq!(
            parts.next().unwrap().unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
    }
    pipe.eof().unwrap();
    let rest: Vec<Vec<u8>> = Read::by_ref(&mut pipe)
        .split(b';')
        .map(|p| p.unwrap())
        .collect();
    assert_eq!(rest, [b"f".to_vec()]);
    assert!(Read::by_ref(&mut pipe).lines().next().is_none());
}

#[test]
fn bufread_lines_after_failed_close_and_invalid_utf8() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"ok\n\xff\npart").unwrap();
    pipe.eof_with_error(broken()).unwrap();
    let mut lines = Read::by_ref(&mut pipe).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ok");
    assert_eq!(
        lines.next().unwrap().unwrap_err().kind(),
        io::ErrorKind::InvalidData
    );
    assert_eq!(pipe.len(), 6, "the bad line is kept");
    assert_eq!(pipe.skip_until(b'\n').unwrap(), 2);
    let mut lines = Read::by_ref(&mut pipe).lines();
    assert_eq!(
        lines.next().unwrap().unwrap_err().kind(),
        io::ErrorKind::ConnectionReset
    );
    assert_eq!(pipe.len(), 4);
}

#[test]
fn bufread_skip_until() {
    let mut pipe = Pipe::new();
    append_pieces(&mut pipe, b"junk\nkeep", 2);
    assert_eq!(pipe.skip_until(b'\n').unwrap(), 5);
    assert_eq!(err_kind(pipe.skip_until(b'\n')), io::ErrorKind::WouldBlock);
    assert_eq!(pipe.len(), 4, "nothing dropped");
    pipe.eof().unwrap();
    // After a clean close, std's skip_until reads to the end.
    assert_eq!(pipe.skip_until(b'\n').unwrap(), 4);
    assert_eq!(pipe.skip_until(b'\n').unwrap(), 0);
}

#[test]
fn bufread_skip_until_after_failed_close() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"abc").unwrap();
    pipe.eof_with_error(broken()).unwrap();
    assert_eq!(
        err_kind(pipe.skip_until(b'\n')),
        io::ErrorKind::ConnectionReset
    );
    assert_eq!(pipe.len(), 3, "nothing dropped");
}

#[test]
fn bufread_read_line_over_max_frame_loses_nothing() {
    // io.rs does not say whether max_frame applies to the std traits: whatever happens, a line
    // is delivered whole or not at all, and nothing is lost.
    for (len, ending) in [
        (7usize, &b"\n"[..]),
        (8, b"\n"),
        (9, b"\n"),
        (8, b"\r\n"),
        (9, b"\r\n"),
        (100, b"\n"),
    ] {
        let mut pipe = with_max(8);
        let mut data = vec![b'm'; len];
        data.extend_from_slice(ending);
        data.extend_from_slice(b"next\n");
        pipe.write_all(&data).unwrap();
        let mut s = String::new();
        match BufRead::read_line(&mut pipe, &mut s) {
            Ok(n) => {
                assert_eq!(n, len + ending.len());
                assert_eq!(s.as_bytes(), &data[..n]);
            }
            Err(e) => {
                assert_eq!(e.kind(), io::ErrorKind::InvalidData, "len {len}");
                assert!(s.is_empty());
                assert_eq!(pipe.len(), data.len(), "nothing consumed");
                pipe.set_max_frame(UNLIMITED);
                BufRead::read_line(&mut pipe, &mut s).unwrap();
            }
        }
        s.clear();
        BufRead::read_line(&mut pipe, &mut s).unwrap();
        assert_eq!(s, "next\n");
    }
}

// ---------------------------------------------------------------------------------------------
// std::io::Write
// ---------------------------------------------------------------------------------------------

#[test]
fn write_trait_write_fmt_vectored_flush() {
    let mut pipe = Pipe::new();
    assert_eq!(Write::write(&mut pipe, b"abc").unwrap(), 3);
    assert_eq!(Write::write(&mut pipe, b"").unwrap(), 0);
    Write::write_all(&mut pipe, b"def").unwrap();
    writeln!(pipe, "-{}-{:>3}", 42, "x").unwrap();
    let n = pipe
        .write_vectored(&[IoSlice::new(b"gh"), IoSlice::new(b"ij")])
        .unwrap();
    assert!((2..=4).contains(&n));
    if n < 4 {
        Write::write_all(&mut pipe, &b"ghij"[n..]).unwrap();
    }
    pipe.flush().unwrap();
    assert_eq!(pipe.read_line(false).unwrap(), "abcdef-42-  x");
    assert_eq!(pipe.read_exact(4).unwrap(), "ghij");
    // A large write goes through whole.
    let big: Vec<u8> = (0..300_000u32).map(|i| i as u8).collect();
    Write::write_all(&mut pipe, &big).unwrap();
    assert_eq!(pipe.len(), big.len());
    let mut back = Vec::new();
    pipe.eof().unwrap();
    pipe.read_to_end(&mut back).unwrap();
    assert_eq!(back, big);
}

#[test]
fn write_trait_after_close_is_broken_pipe() {
    for failed in [false, true] {
        let mut pipe = Pipe::new();
        pipe.write_all(b"a").unwrap();
        if failed {
            pipe.eof_with_error(broken()).unwrap();
        } else {
            pipe.eof().unwrap();
        }
        assert_eq!(
            err_kind(Write::write(&mut pipe, b"x")),
            io::ErrorKind::BrokenPipe
        );
        assert_eq!(
            err_kind(Write::write_all(&mut pipe, b"x")),
            io::ErrorKind::BrokenPipe
        );
        assert_eq!(err_kind(write!(pipe, "{}", 1)), io::ErrorKind::BrokenPipe);
        assert_eq!(
            err_kind(pipe.write_vectored(&[IoSlice::new(b"x")])),
            io::ErrorKind::BrokenPipe
        );
        assert_eq!(pipe.len(), 1, "nothing written after close");
    }
}

#[test]
fn write_trait_into_a_tiny_pool_spans_chunks() {
    let mut pipe = tiny(UNLIMITED);
    for i in 0..100 {
        writeln!(pipe, "line number {i:03}").unwrap();
    }
    assert!(pipe.chunks().count() > 10);
    for i in 0..100 {
        assert_eq!(
            pipe.read_line(false).unwrap(),
            format!("line number {i:03}")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Nothing lost or duplicated: byte at a time, many chunks, mixed readers
// ---------------------------------------------------------------------------------------------

/// A small deterministic generator (no timing, no external randomness).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn std_read_line_byte_at_a_time_loses_nothing() {
    let text = b"alpha\r\nbeta\n\ngamma delta\nlast";
    let mut pipe = Pipe::new();
    let mut got = String::new();
    for &b in text {
        pipe.write_all(&[b]).unwrap();
        let before = got.len();
        match BufRead::read_line(&mut pipe, &mut got) {
            Ok(n) => assert_eq!(got.len(), before + n),
            Err(e) => {
                assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
                assert_eq!(got.len(), before);
            }
        }
    }
    pipe.eof().unwrap();
    while BufRead::read_line(&mut pipe, &mut got).unwrap() > 0 {}
    assert_eq!(got.as_bytes(), text);
}

#[test]
fn std_read_exact_byte_at_a_time_in_frames_loses_nothing() {
    let data: Vec<u8> = (0..777u32).map(|i| (i * 7) as u8).collect();
    let mut pipe = tiny(UNLIMITED);
    let mut out = Vec::new();
    let mut frame = [0u8; 13];
    for &b in &data {
        pipe.write_all(&[b]).unwrap();
        if Read::read_exact(&mut pipe, &mut frame).is_ok() {
            out.extend_from_slice(&frame);
        }
    }
    pipe.eof().unwrap();
    assert_eq!(
        err_kind(Read::read_exact(&mut pipe, &mut frame)),
        io::ErrorKind::UnexpectedEof
    );
    pipe.read_to_end(&mut out).unwrap();
    assert_eq!(out, data);
}

#[test]
fn mixed_readers_over_random_pieces_lose_nothing() {
    for seed in 1..=20u64 {
        let mut rng = Lcg(seed);
        // Lines of random length (some over the limit), random endings.
        let mut data = Vec::new();
        for _ in 0..60 {
            let len = rng.below(14) as usize;
            for _ in 0..len {
                data.push(b'a' + rng.below(3) as u8);
            }
            data.extend_from_slice(if rng.below(2) == 0 { b"\n" } else { b"\r\n" });
        }
        let mut pipe = if seed % 2 == 0 {
            tiny(10)
        } else {
            with_max(10)
        };
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < data.len() || !pipe.is_empty() {
            if pos < data.len() && rng.below(3) > 0 {
                let n = (1 + rng.below(9) as usize).min(data.len() - pos);
                if rng.below(2) == 0 {
                    pipe.write_all(&data[pos..pos + n]).unwrap();
                } else {
                    pipe.append_bytes(Bytes::copy_from_slice(&data[pos..pos + n]))
                        .unwrap();
                }
                pos += n;
                if pos == data.len() {
                    pipe.eof().unwrap();
                }
                continue;
            }
            let before = pipe.len();
            // Inherent reads: a frame, or a Partial's leftover (handed over, consumed).
            fn own(r: Result<Bytes, ReadError>) -> Option<Vec<u8>> {
                match r {
                    Ok(b) | Err(ReadError::Partial(b)) => Some(b.to_vec()),
                    Err(_) => None,
                }
            }
            fn lent(r: Result<&[u8], ReadError>) -> Option<Vec<u8>> {
                match r {
                    Ok(b) => Some(b.to_vec()),
                    Err(ReadError::Partial(b)) => Some(b.to_vec()),
                    Err(_) => None,
                }
            }
            let taken: Option<Vec<u8>> = match rng.below(9) {
                0 => own(pipe.read_line(true)),
                1 => lent(pipe.read_line_ref(true)),
                2 => own(pipe.read_until(b"\r\n", true)),
                3 => own(pipe.read_exact(1 + rng.below(5) as usize)),
                4 => own(pipe.read_at_most(1 + rng.below(20) as usize)),
                5 => {
                    let mut v = Vec::new();
                    BufRead::read_until(&mut pipe, b'\n', &mut v)
                        .ok()
                        .map(|_| v)
                }
                6 => {
                    let mut buf = vec![0u8; 1 + rng.below(6) as usize];
                    Read::read_exact(&mut pipe, &mut buf).ok().map(|_| buf)
                }
                7 => {
                    let mut v = Vec::new();
                    match pipe.read_lines_with(true, |l| v.extend_from_slice(l)) {
                        Ok(_) => Some(v),
                        Err(ReadError::Partial(rest)) => Some(rest.to_vec()),
                        Err(_) => None,
                    }
                }
                _ => {
                    let mut s = String::new();
                    BufRead::read_line(&mut pipe, &mut s)
                        .ok()
                        .map(|_| s.into_bytes())
                }
            };
            match taken {
                Some(bytes) => {
                    assert_eq!(pipe.len() + bytes.len(), before, "seed {seed}");
                    out.extend_from_slice(&bytes);
                }
                None => {
                    // A failed read consumes nothing.
                    if pipe.len() != before {
                        panic!(
                            "seed {seed}: a failed read consumed {} bytes",
                            before - pipe.len()
                        );
                    }
                    // Over the limit: move on by one byte.
                    if (pipe.is_closed() || pipe.len() > 12)
                        && let Ok(b) = pipe.read_at_most(1)
                    {
                        out.extend_from_slice(&b);
                    }
                }
            }
        }
        assert_eq!(out, data, "seed {seed}");
    }
}

// ---------------------------------------------------------------------------------------------
// Model-based property test
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    Write(Vec<u8>),
    Append(Vec<u8>),
    Commit(Vec<u8>, usize),
    ReadLine(bool, bool),
    ReadUntil(bool),
    ReadExact(usize, bool),
    ReadAtMost(usize),
    Peek(usize),
    Skip(usize),
    StdRead(usize),
    StdReadExact(usize),
    StdReadUntil,
    StdReadLine,
    DiscardUntil,
    FindByte,
    Eof,
    EofErr,
}

fn op() -> impl Strategy<Value = Op> {
    let bytes = prop::collection::vec(
        prop::sample::select(vec![b'a', b'b', b'\r', b'\n', b';', 0xff]),
        0..12,
    );
    prop_oneof![
        3 => bytes.clone().prop_map(Op::Write),
        1 => bytes.clone().prop_map(Op::Append),
        1 => (bytes, 0usize..4).prop_map(|(b, extra)| Op::Commit(b, extra)),
        2 => (any::<bool>(), any::<bool>()).prop_map(|(e, l)| Op::ReadLine(e, l)),
        1 => any::<bool>().prop_map(Op::ReadUntil),
        1 => (0usize..10, any::<bool>()).prop_map(|(n, l)| Op::ReadExact(n, l)),
        1 => (0usize..10).prop_map(Op::ReadAtMost),
        1 => (0usize..10).prop_map(Op::Peek),
        1 => (0usize..10).prop_map(Op::Skip),
        1 => (1usize..10).prop_map(Op::StdRead),
        1 => (0usize..10).prop_map(Op::StdReadExact),
        1 => Just(Op::StdReadUntil),
        1 => Just(Op::StdReadLine),
        1 => Just(Op::DiscardUntil),
        1 => Just(Op::FindByte),
        1 => Just(Op::Eof),
        1 => Just(Op::EofErr),
    ]
}

#[derive(PartialEq, Clone, Copy, Debug)]
enum Close {
    Open,
    Clean,
    Failed,
}

/// The expected outcome of a frame read in the model.
#[derive(Debug, PartialEq)]
enum Want {
    Frame(usize, usize), // consume, hand out
    NeedMore,
    End,
    Partial,
    Stream,
    Limit,
}

const MAX: usize = 6;

/// Model of a `\n` line read.
fn want_line(m: &VecDeque<u8>, close: Close, with_ending: bool) -> Vec<Want> {
    if let Some(p) = m.iter().position(|&b| b == b'\n') {
        let cr = p > 0 && m[p - 1] == b'\r';
        let content = if cr { p - 1 } else { p };
        if content > MAX {
            return vec![Want::Limit];
        }
        let out = if with_ending { p + 1 } else { content };
        return vec![Want::Frame(p + 1, out)];
    }
    let n = m.len();
    let shows_over = n > MAX + 1 || (n == MAX + 1 && m[MAX] != b'\r');
    if shows_over {
        return vec![Want::Limit];
    }
    match close {
        Close::Open => vec![Want::NeedMore],
        Close::Failed => vec![Want::Stream],
        Close::Clean if n == 0 => vec![Want::End],
        // "Partial if it is within the limit": `MAX` bytes and a `\r` may be read either way.
        Close::Clean if n == MAX + 1 => vec![Want::Partial, Want::Limit],
        Close::Clean => vec![Want::Partial],
    }
}

/// Model of a one-byte separator frame read (`;`).
fn want_until(m: &VecDeque<u8>, close: Close, with_sep: bool) -> Vec<Want> {
    if let Some(p) = m.iter().position(|&b| b == b';') {
        if p > MAX {
            return vec![Want::Limit];
        }
        return vec![Want::Frame(p + 1, if with_sep { p + 1 } else { p })];
    }
    let n = m.len();
    if n > MAX {
        return vec![Want::Limit];
    }
    match close {
        Close::Open => vec![Want::NeedMore],
        Close::Failed => vec![Want::Stream],
        Close::Clean if n == 0 => vec![Want::End],
        Close::Clean => vec![Want::Partial],
    }
}

fn got(r: &Result<Vec<u8>, ReadError>) -> String {
    match r {
        Ok(b) => format!("frame({})", b.len()),
        Err(e) => format!("{e:?}"),
    }
}

/// Checks a frame read against the wanted outcomes and updates the model.
fn check_frame(
    r: Result<Vec<u8>, ReadError>,
    wants: &[Want],
    m: &mut VecDeque<u8>,
    out: &mut Vec<u8>,
    pipe: &Pipe,
) -> Result<(), TestCaseError> {
    let before: Vec<u8> = m.iter().copied().collect();
    let ok = wants.iter().any(|w| match (w, &r) {
        (Want::Frame(_, h), Ok(b)) => b.len() == *h,
        (Want::NeedMore, Err(ReadError::NeedMore)) => true,
        (Want::End, Err(ReadError::End)) => true,
        (Want::Partial, Err(ReadError::Partial(_))) => true,
        (Want::Stream, Err(ReadError::Stream(_))) => true,
        (Want::Limit, Err(ReadError::LimitExceeded { limit, .. })) => *limit == MAX,
        _ => false,
    });
    prop_assert!(ok, "wanted {:?}, got {} over {:?}", wants, got(&r), before);
    match &r {
        Ok(b) => {
            let Want::Frame(consume, _) =
                wants.iter().find(|w| matches!(w, Want::Frame(..))).unwrap()
            else {
                unreachable!()
            };
            prop_assert_eq!(&b[..], &before[..b.len()]);
            m.drain(..*consume);
            out.extend_from_slice(&before[..*consume]);
        }
        Err(ReadError::Partial(rest)) => {
            prop_assert_eq!(&rest[..], &before[..]);
            m.clear();
            out.extend_from_slice(&before);
        }
        _ => {}
    }
    prop_assert_eq!(pipe.len(), m.len());
    Ok(())
}

fn run_model(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut pipe = if ops.len().is_multiple_of(2) {
        tiny(MAX)
    } else {
        with_max(MAX)
    };
    let mut m: VecDeque<u8> = VecDeque::new();
    let mut close = Close::Open;
    let mut written = Vec::new();
    let mut out = Vec::new();
    for op in ops {
        match op {
            Op::Write(b) | Op::Append(b) | Op::Commit(b, _) if close != Close::Open => {
                prop_assert_eq!(pipe.write_all(&b), Err(WriteError::Closed));
                prop_assert_eq!(pipe.append_bytes(Bytes::from(b)), Err(WriteError::Closed));
            }
            Op::Write(b) => {
                pipe.write_all(&b).unwrap();
                m.extend(&b);
                written.extend(&b);
            }
            Op::Append(b) => {
                pipe.append_bytes(Bytes::from(b.clone())).unwrap();
                m.extend(&b);
                written.extend(&b);
            }
            Op::Commit(b, extra) => {
                let space = pipe.get_buffer(b.len()).unwrap();
                prop_assert!(space.len() >= b.len().max(1));
                let room = space.len();
                space[..b.len()].copy_from_slice(&b);
                // An overcommit first: refused, nothing changes.
                let refused = matches!(
                    pipe.buffer_written(room + 1 + extra),
                    Err(WriteError::Overcommit { .. })
                );
                prop_assert!(refused);
                prop_assert_eq!(pipe.len(), m.len());
                pipe.buffer_written(b.len()).unwrap();
                m.extend(&b);
                written.extend(&b);
            }
            Op::ReadLine(e, lent) => {
                let wants = want_line(&m, close, e);
                let r = if lent {
                    pipe.read_line_ref(e).map(|b| b.to_vec())
                } else {
                    pipe.read_line(e).map(|b| b.to_vec())
                };
                check_frame(r, &wants, &mut m, &mut out, &pipe)?;
            }
            Op::ReadUntil(s) => {
                let wants = want_until(&m, close, s);
                let r = pipe.read_until(b";", s).map(|b| b.to_vec());
                check_frame(r, &wants, &mut m, &mut out, &pipe)?;
            }
            Op::ReadExact(n, lent) => {
                let wants = if n == 0 {
                    vec![Want::Frame(0, 0)]
                } else if n > MAX {
                    vec![Want::Limit]
                } else if m.len() >= n {
                    vec![Want::Frame(n, n)]
                } else {
                    match close {
                        Close::Open => vec![Want::NeedMore],
                        Close::Failed => vec![Want::Stream],
                        Close::Clean if m.is_empty() => vec![Want::End],
                        Close::Clean => vec![Want::Partial],
                    }
                };
                let r = if lent {
                    pipe.read_exact_ref(n).map(|b| b.to_vec())
                } else {
                    pipe.read_exact(n).map(|b| b.to_vec())
                };
                check_frame(r, &wants, &mut m, &mut out, &pipe)?;
            }
            Op::ReadAtMost(n) => {
                let r = pipe.read_at_most(n).map(|b| b.to_vec());
                if n == 0 {
                    prop_assert!(matches!(r, Err(ReadError::InvalidArgument(_))));
                } else if !m.is_empty() {
                    let k = n.min(m.len());
                    let want: Vec<u8> = m.drain(..k).collect();
                    prop_assert_eq!(r.unwrap(), want.clone());
                    out.extend(want);
                } else {
                    let ok = match close {
                        Close::Open => matches!(r, Err(ReadError::NeedMore)),
                        Close::Clean => matches!(r, Err(ReadError::End)),
                        Close::Failed => matches!(r, Err(ReadError::Stream(_))),
                    };
                    prop_assert!(ok, "{:?}", r);
                }
            }
            Op::Peek(n) => {
                let r = pipe.peek(n).map(|b| b.to_vec());
                if n == 0 || !m.is_empty() {
                    let want: Vec<u8> = m.iter().take(n).copied().collect();
                    prop_assert_eq!(r.unwrap(), want);
                } else {
                    let ok = match close {
                        Close::Open => matches!(r, Err(ReadError::NeedMore)),
                        Close::Clean => matches!(r, Err(ReadError::End)),
                        Close::Failed => matches!(r, Err(ReadError::Stream(_))),
                    };
                    prop_assert!(ok, "{:?}", r);
                }
            }
            Op::Skip(n) => {
                let k = n.min(m.len());
                prop_assert_eq!(pipe.skip(n), k);
                out.extend(m.drain(..k));
            }
            Op::StdRead(n) => {
                let mut buf = vec![0u8; n];
                let r = pipe.read(&mut buf);
                if !m.is_empty() {
                    let k = r.unwrap();
                    prop_assert!(k >= 1 && k <= n.min(m.len()));
                    let want: Vec<u8> = m.drain(..k).collect();
                    prop_assert_eq!(&buf[..k], &want[..]);
                    out.extend(want);
                } else {
                    match close {
                        Close::Open => prop_assert_eq!(err_kind(r), io::ErrorKind::WouldBlock),
                        Close::Clean => prop_assert_eq!(r.unwrap(), 0),
                        Close::Failed => {
                            prop_assert_eq!(err_kind(r), io::ErrorKind::ConnectionReset)
                        }
                    }
                }
            }
            Op::StdReadExact(n) => {
                let mut buf = vec![0u8; n];
                let r = Read::read_exact(&mut pipe, &mut buf);
                if m.len() >= n {
                    r.unwrap();
                    let want: Vec<u8> = m.drain(..n).collect();
                    prop_assert_eq!(&buf, &want);
                    out.extend(want);
                } else {
                    let kind = match close {
                        Close::Open => io::ErrorKind::WouldBlock,
                        Close::Clean => io::ErrorKind::UnexpectedEof,
                        Close::Failed => io::ErrorKind::ConnectionReset,
                    };
                    prop_assert_eq!(err_kind(r), kind);
                }
            }
            Op::StdReadUntil => {
                let mut v = Vec::new();
                let r = BufRead::read_until(&mut pipe, b'\n', &mut v);
                let take = match m.iter().position(|&b| b == b'\n') {
                    Some(p) => Ok(p + 1),
                    None => match close {
                        Close::Open => Err(io::ErrorKind::WouldBlock),
                        Close::Clean => Ok(m.len()),
                        Close::Failed => Err(io::ErrorKind::ConnectionReset),
                    },
                };
                match take {
                    Ok(k) => {
                        prop_assert_eq!(r.unwrap(), k);
                        let want: Vec<u8> = m.drain(..k).collect();
                        prop_assert_eq!(&v, &want);
                        out.extend(want);
                    }
                    Err(kind) => {
                        prop_assert_eq!(err_kind(r), kind);
                        prop_assert!(v.is_empty());
                    }
                }
            }
            Op::StdReadLine => {
                let mut s = String::new();
                let r = BufRead::read_line(&mut pipe, &mut s);
                let take = match m.iter().position(|&b| b == b'\n') {
                    Some(p) => Ok(p + 1),
                    None => match close {
                        Close::Open => Err(io::ErrorKind::WouldBlock),
                        Close::Clean => Ok(m.len()),
                        Close::Failed => Err(io::ErrorKind::ConnectionReset),
                    },
                };
                match take {
                    Ok(k) => {
                        let line: Vec<u8> = m.iter().take(k).copied().collect();
                        if std::str::from_utf8(&line).is_ok() {
                            prop_assert_eq!(r.unwrap(), k);
                            prop_assert_eq!(s.as_bytes(), &line[..]);
                            m.drain(..k);
                            out.extend(line);
                        } else {
                            prop_assert_eq!(err_kind(r), io::ErrorKind::InvalidData);
                            prop_assert!(s.is_empty());
                        }
                    }
                    Err(kind) => {
                        prop_assert_eq!(err_kind(r), kind);
                        prop_assert!(s.is_empty());
                    }
                }
            }
            Op::DiscardUntil => {
                let r = pipe.discard_until(b";");
                if close != Close::Open && !m.iter().any(|&b| b == b';') {
                    // Not documented for a closed pipe: it may drop the rest and say `NotYet`,
                    // or say the end (or the stream error) with nothing left.
                    match r {
                        Ok(Discarded::NotYet(n)) => prop_assert_eq!(n, m.len()),
                        Err(ReadError::End) | Err(ReadError::Stream(_)) => {
                            prop_assert!(m.is_empty())
                        }
                        other => prop_assert!(false, "{:?}", other),
                    }
                    out.extend(m.drain(..));
                    prop_assert_eq!(pipe.len(), 0);
                    continue;
                }
                let r = r.unwrap();
                match m.iter().position(|&b| b == b';') {
                    Some(p) => {
                        prop_assert_eq!(r, Discarded::Found(p + 1));
                        out.extend(m.drain(..=p));
                    }
                    None => {
                        prop_assert_eq!(r, Discarded::NotYet(m.len()));
                        out.extend(m.drain(..));
                    }
                }
            }
            Op::FindByte => {
                let want = m.iter().position(|&b| b == b'\r');
                prop_assert_eq!(pipe.find_byte(b'\r', ..).unwrap(), want);
                prop_assert_eq!(
                    pipe.find(b"\r\n", ..).unwrap(),
                    m.iter()
                        .zip(m.iter().skip(1))
                        .position(|(a, b)| (*a, *b) == (b'\r', b'\n'))
                );
            }
            Op::Eof => {
                let r = pipe.eof();
                if close == Close::Open {
                    r.unwrap();
                    close = Close::Clean;
                } else {
                    prop_assert_eq!(r, Err(WriteError::Closed));
                }
            }
            Op::EofErr => {
                let r = pipe.eof_with_error(broken());
                if close == Close::Open {
                    r.unwrap();
                    close = Close::Failed;
                } else {
                    prop_assert_eq!(r, Err(WriteError::Closed));
                }
            }
        }
        prop_assert_eq!(pipe.len(), m.len());
        prop_assert_eq!(buffered(&pipe), m.iter().copied().collect::<Vec<u8>>());
    }
    out.extend(m.drain(..));
    prop_assert_eq!(out, written);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random interleavings of writes and reads against a `VecDeque<u8>` model.
    #[test]
    fn model_random_interleavings(ops in prop::collection::vec(op(), 0..60)) {
        run_model(ops)?;
    }
}

// ---------------------------------------------------------------------------------------------
// More edges: separators that are not lines, max_frame 0 and near usize::MAX, loans
// ---------------------------------------------------------------------------------------------

#[test]
fn read_until_newline_is_not_a_line_read() {
    // "Other separators count only themselves": `read_until(b"\n")` keeps a `\r` and counts it.
    let mut pipe = with_max(5);
    pipe.write_all(b"abcd\r\nabcde\r\n").unwrap();
    assert_eq!(pipe.read_until(b"\n", false).unwrap(), "abcd\r");
    let r = pipe.read_until(b"\n", false);
    assert!(
        matches!(r, Err(ReadError::LimitExceeded { limit: 5, .. })),
        "{r:?}"
    );
    assert_eq!(
        pipe.read_line(false).unwrap(),
        "abcde",
        "a line does not count its \\r\\n"
    );
}

#[test]
fn read_lines_with_crlf_at_limit_byte_at_a_time() {
    let data = b"abcd\r\nefgh\nijk\r\n";
    let mut pipe = with_max(4);
    let mut got = Vec::new();
    for &b in data {
        pipe.write_all(&[b]).unwrap();
        match pipe.read_lines_with(false, |l| got.push(l.to_vec())) {
            Ok(n) => assert_eq!(n, 1),
            Err(e) => assert!(e.is_need_more(), "{e:?}"),
        }
    }
    assert_eq!(got, [b"abcd".to_vec(), b"efgh".to_vec(), b"ijk".to_vec()]);
}

#[test]
fn max_frame_zero() {
    let mut pipe = with_max(0);
    pipe.write_all(b"\n\r\n").unwrap();
    assert_eq!(pipe.read_line(false).unwrap(), "");
    assert_eq!(pipe.read_line(true).unwrap(), "\r\n");
    pipe.write_all(b"\r").unwrap();
    assert!(
        matches!(pipe.read_line(false), Err(ReadError::NeedMore)),
        "a \\r may start the ending"
    );
    pipe.write_all(b"\n;a").unwrap();
    assert_eq!(pipe.read_line(true).unwrap(), "\r\n");
    assert_eq!(pipe.read_until(b";", false).unwrap(), "");
    assert!(is_limit(&pipe.read_line(false), 0, 1));
    assert_eq!(pipe.read_exact(0).unwrap(), "");
    assert!(matches!(
        pipe.read_exact(1),
        Err(ReadError::LimitExceeded { limit: 0, .. })
    ));
    assert_eq!(
        pipe.read_at_most(1).unwrap(),
        "a",
        "read_at_most is not limited"
    );
}

#[test]
fn max_frame_near_usize_max_does_not_overflow() {
    for max in [usize::MAX - 2, usize::MAX - 1, usize::MAX] {
        let mut pipe = with_max(max);
        pipe.write_all(b"line\r\nx;y--z").unwrap();
        assert_eq!(pipe.read_line(false).unwrap(), "line");
        assert_eq!(pipe.read_until(b";", false).unwrap(), "x");
        assert_eq!(pipe.read_until_ref(b"--", false).unwrap(), b"y");
        assert!(matches!(
            pipe.read_line_ref(false),
            Err(ReadError::NeedMore)
        ));
        assert!(matches!(
            pipe.read_lines_with(false, |_| ()),
            Err(ReadError::NeedMore)
        ));
        assert!(matches!(pipe.read_exact(2), Err(ReadError::NeedMore)));
        assert!(matches!(
            pipe.read_until(b"\r\n\r\n", true),
            Err(ReadError::NeedMore)
        ));
        pipe.eof().unwrap();
        assert!(matches!(pipe.read_line(false), Err(ReadError::Partial(r)) if r == "z"));
    }
    let mut pipe = with_max(UNLIMITED);
    pipe.reserve_frame(usize::MAX);
    pipe.write_all(b"abc").unwrap();
    assert!(matches!(
        pipe.read_exact(usize::MAX),
        Err(ReadError::NeedMore)
    ));
    pipe.write_all(b"def").unwrap();
    assert_eq!(pipe.read_at_most(10).unwrap(), "abcdef");
}

#[test]
fn chunks_and_views_exclude_an_uncommitted_loan() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"ab").unwrap();
    pipe.get_buffer(10).unwrap()[..2].copy_from_slice(b"zz");
    assert_eq!(buffered(&pipe), b"ab");
    let mut views = [IoSlice::new(&[]); 4];
    let n = pipe.io_slices(&mut views);
    assert_eq!(views[..n].iter().map(|v| v.len()).sum::<usize>(), 2);
    assert_eq!(pipe.find_byte(b'z', ..).unwrap(), None);
    pipe.buffer_written(2).unwrap();
    assert_eq!(buffered(&pipe), b"abzz");
}

#[test]
fn read_to_string_utf8_across_segments_and_invalid_rest_at_end() {
    let text = "ünïcödé ✓ 🚀";
    let mut pipe = Pipe::new();
    append_pieces(&mut pipe, text.as_bytes(), 1);
    pipe.eof().unwrap();
    let mut s = String::new();
    assert_eq!(pipe.read_to_string(&mut s).unwrap(), text.len());
    assert_eq!(s, text);

    let mut pipe = Pipe::new();
    pipe.write_all(b"ok\n\xc3").unwrap();
    pipe.eof().unwrap();
    let mut s = String::new();
    assert_eq!(BufRead::read_line(&mut pipe, &mut s).unwrap(), 3);
    assert_eq!(
        err_kind(BufRead::read_line(&mut pipe, &mut s)),
        io::ErrorKind::InvalidData
    );
    assert_eq!(s, "ok\n");
    assert_eq!(pipe.len(), 1, "the bad rest stays buffered");
}

#[test]
fn std_lines_repeat_invalid_data_since_nothing_is_consumed() {
    // io.rs: `read_line` is `InvalidData` with nothing consumed, and `lines` uses it: the
    // iterator therefore yields the same error until the caller drops the bad bytes.
    let mut pipe = Pipe::new();
    pipe.write_all(b"\xff\nok\n").unwrap();
    pipe.eof().unwrap();
    let mut lines = Read::by_ref(&mut pipe).lines();
    for _ in 0..3 {
        assert_eq!(
            lines.next().unwrap().unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
    }
    assert_eq!(pipe.skip_until(b'\n').unwrap(), 2);
    let rest: Vec<String> = Read::by_ref(&mut pipe)
        .lines()
        .map(|l| l.unwrap())
        .collect();
    assert_eq!(rest, ["ok"]);
}

#[test]
fn discard_until_after_clean_close_ends() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"junk").unwrap();
    pipe.eof().unwrap();
    let first = pipe.discard_until(b"\n");
    assert!(
        matches!(first, Ok(Discarded::NotYet(4)) | Err(ReadError::End)),
        "{first:?}"
    );
    assert!(pipe.is_empty());
    assert!(matches!(pipe.discard_until(b"\n"), Err(ReadError::End)));
}

#[test]

fn discard_until_after_failed_close_reports_the_stream_error() {
    // README "After a stream error ... every other read returns the same error"; error.rs:31-33
    // "every other read returns the same error". After a clean close it says `End`.
    let mut pipe = Pipe::new();
    pipe.write_all(b"junk").unwrap();
    pipe.eof_with_error(broken()).unwrap();
    let _ = pipe.discard_until(b"\n");
    assert!(pipe.is_empty());
    let r = pipe.discard_until(b"\n");
    assert!(
        matches!(r, Err(ReadError::Stream(ref e)) if e.kind() == io::ErrorKind::ConnectionReset),
        "{r:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// A second model: searches and separators (no limit), against a naive search
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum SOp {
    Write(Vec<u8>),
    Append(Vec<u8>),
    Skip(usize),
    ReadUntil(usize, bool),
    Find(usize, usize, usize),
    FindByte(u8, usize, usize),
    Discard(usize),
}

const SEPS: [&[u8]; 5] = [b";", b"\r\n", b"ab", b"aba", b"abab"];

fn naive_find(hay: &[u8], needle: &[u8], start: usize, end: usize) -> Option<usize> {
    if end < start + needle.len() {
        return None;
    }
    (start..=end - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

fn sop() -> impl Strategy<Value = SOp> {
    let bytes = prop::collection::vec(
        prop::sample::select(vec![b'a', b'b', b'\r', b'\n', b';']),
        0..9,
    );
    prop_oneof![
        3 => bytes.clone().prop_map(SOp::Write),
        2 => bytes.prop_map(SOp::Append),
        1 => (0usize..6).prop_map(SOp::Skip),
        3 => (0..SEPS.len(), any::<bool>()).prop_map(|(s, w)| SOp::ReadUntil(s, w)),
        3 => (0..SEPS.len(), 0usize..40, 0usize..40).prop_map(|(s, a, b)| SOp::Find(s, a, b)),
        1 => (prop::sample::select(vec![b'a', b'b', b';']), 0usize..40, 0usize..40).prop_map(|(c, a, b)| SOp::FindByte(c, a, b)),
        1 => (0..SEPS.len()).prop_map(SOp::Discard),
    ]
}

fn run_search_model(ops: Vec<SOp>) -> Result<(), TestCaseError> {
    let mut pipe = if ops.len().is_multiple_of(2) {
        tiny(UNLIMITED)
    } else {
        with_max(UNLIMITED)
    };
    let mut m: Vec<u8> = Vec::new();
    for op in ops {
        match op {
            SOp::Write(b) => {
                pipe.write_all(&b).unwrap();
                m.extend(&b);
            }
            SOp::Append(b) => {
                pipe.append_bytes(Bytes::from(b.clone())).unwrap();
                m.extend(&b);
            }
            SOp::Skip(n) => {
                let k = n.min(m.len());
                prop_assert_eq!(pipe.skip(n), k);
                m.drain(..k);
            }
            SOp::ReadUntil(s, with) => {
                let sep = SEPS[s];
                let r = pipe.read_until(sep, with);
                match naive_find(&m, sep, 0, m.len()) {
                    Some(p) => {
                        let want = if with { &m[..p + sep.len()] } else { &m[..p] };
                        prop_assert_eq!(&r.unwrap()[..], want);
                        m.drain(..p + sep.len());
                    }
                    None => prop_assert!(matches!(r, Err(ReadError::NeedMore)), "{:?}", r),
                }
            }
            SOp::Find(s, a, b) => {
                let needle = SEPS[s];
                let (start, end) = (a.min(b), a.max(b));
                let r = pipe.find(needle, start..end);
                if end > m.len() {
                    let bad = matches!(r, Err(FindError::InvalidRange { .. }));
                    prop_assert!(bad, "{:?}", r);
                } else {
                    prop_assert_eq!(
                        r.unwrap(),
                        naive_find(&m, needle, start, end),
                        "{:?} in {:?}",
                        needle,
                        start..end
                    );
                }
            }
            SOp::FindByte(c, a, b) => {
                let (start, end) = (a.min(b), a.max(b));
                let r = pipe.find_byte(c, start..end);
                if end > m.len() {
                    let bad = matches!(r, Err(FindError::InvalidRange { .. }));
                    prop_assert!(bad, "{:?}", r);
                } else {
                    prop_assert_eq!(r.unwrap(), naive_find(&m, &[c], start, end));
                }
            }
            SOp::Discard(s) => {
                let sep = SEPS[s];
                let r = pipe.discard_until(sep).unwrap();
                match naive_find(&m, sep, 0, m.len()) {
                    Some(p) => {
                        prop_assert_eq!(r, Discarded::Found(p + sep.len()));
                        m.drain(..p + sep.len());
                    }
                    None => {
                        let keep = (sep.len() - 1).min(m.len());
                        let Discarded::NotYet(gone) = r else {
                            return Err(TestCaseError::fail(format!("{r:?}")));
                        };
                        // "all but the last sep.len() - 1 bytes (a possible start)": at most
                        // that many stay, and whatever stays is a real prefix of the separator.
                        prop_assert!(
                            gone + keep >= m.len() && gone <= m.len(),
                            "{:?} of {:?}",
                            r,
                            m
                        );
                        m.drain(..gone);
                        prop_assert!(m.len() <= keep);
                    }
                }
            }
        }
        prop_assert_eq!(pipe.len(), m.len());
        prop_assert_eq!(buffered(&pipe), m.clone());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    /// Separator reads, finds and discards interleaved with writes, against a naive search:
    /// the remembered search progress must never hide a match.
    #[test]
    fn model_searches_never_miss(ops in prop::collection::vec(sop(), 0..60)) {
        run_search_model(ops)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Zero-copy frames and pooled memory
// ---------------------------------------------------------------------------------------------

#[test]
fn owned_frames_are_not_overwritten_by_later_writes() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"first\nsec").unwrap();
    let a = pipe.read_line(false).unwrap();
    let p = pipe.peek(3).unwrap();
    let c = pipe.read_at_most(2).unwrap();
    // The writer goes on; the frames handed out must keep their bytes.
    pipe.write_all(b"XXXXXXXXXXXXXXXX\n").unwrap();
    let buf = pipe.get_buffer(0).unwrap();
    buf.fill(b'Y');
    let n = buf.len().min(100);
    pipe.buffer_written(n).unwrap();
    assert_eq!(a, "first");
    assert_eq!(p, "sec");
    assert_eq!(c, "se");
    assert_eq!(pipe.read_line(false).unwrap(), "cXXXXXXXXXXXXXXXX");
    assert_eq!(pipe.read_exact(n).unwrap(), vec![b'Y'; n]);
}

#[test]
fn consumed_chunks_go_back_to_the_pool() {
    let pool = tiny_pool();
    let mut pipe = Pipe::with_options(
        PipeOptions::new()
            .pool(pool.clone())
            .chunk_size(64)
            .max_chunk(64),
    );
    let mut text = Vec::new();
    for i in 0..200 {
        text.extend_from_slice(format!("line {i}\r\n").as_bytes());
    }
    for part in text.chunks(37) {
        pipe.write_all(part).unwrap();
    }
    assert!(pool.stats().outstanding_chunks > 10);
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let got = match i % 6 {
            0 => pipe.read_line(true).map(|b| b.to_vec()).ok(),
            1 => pipe.read_line_ref(true).map(|b| b.to_vec()).ok(),
            2 => pipe.read_until(b"\r\n", true).map(|b| b.to_vec()).ok(),
            3 => {
                let mut v = Vec::new();
                BufRead::read_until(&mut pipe, b'\n', &mut v)
                    .ok()
                    .map(|_| v)
            }
            4 => {
                let mut s = String::new();
                BufRead::read_line(&mut pipe, &mut s)
                    .ok()
                    .map(|_| s.into_bytes())
            }
            _ => pipe.read_at_most(7).map(|b| b.to_vec()).ok(),
        };
        match got {
            Some(b) => out.extend(b),
            None => break,
        }
        i += 1;
    }
    assert_eq!(out, text);
    // One more call lets go of memory lent by the last `*_ref` read.
    assert!(matches!(pipe.read_line_ref(true), Err(ReadError::NeedMore)));
    assert_eq!(
        pool.stats().outstanding_chunks,
        0,
        "an emptied pipe holds no chunk"
    );
    drop(pipe);
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

/// io.rs's module docs: the std traits know no frame limit; a line that is not UTF-8 stays
/// buffered after `InvalidData`, so std's `lines()` yields the error again, until
/// `skip_until(b'\n')` drops the line; the lines after it follow.
#[test]
fn std_traits_know_no_frame_limit_and_a_bad_line_is_skipped_by_hand() {
    use std::io::BufRead;
    let mut pipe = Pipe::with_options(PipeOptions::new().max_frame(8));
    pipe.write_all(b"0123456789\n\xff\xfe\nok\n").unwrap();
    pipe.eof().unwrap();
    let mut line = String::new();
    assert_eq!(BufRead::read_line(&mut pipe, &mut line).unwrap(), 11);
    assert_eq!(line, "0123456789\n");
    {
        let mut lines = (&mut pipe).lines();
        for _ in 0..3 {
            let e = lines.next().unwrap().unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        }
    }
    assert_eq!(pipe.len(), 6, "the bad line is still buffered");
    assert_eq!(pipe.skip_until(b'\n').unwrap(), 3);
    let rest: Vec<String> = (&mut pipe).lines().map(Result::unwrap).collect();
    assert_eq!(rest, ["ok"]);
}

/// `get_buffer`: "writable space of at least `max(size_hint, 1)` bytes", also when the pipe's
/// last segment is memory of its own (a frame larger than the largest chunk awaited with
/// `reserve_frame`, a long `read_exact`), for every hint up to the pool's largest chunk (1 MiB
/// by default): one under, at and one over the 256 KiB a loan of such memory zeroes at most.
#[test]
fn get_buffer_lends_at_least_the_hint_after_a_large_frame_is_awaited() {
    let max = Pipe::new().pool().max_chunk();
    for hint in [
        1,
        4096,
        (256 << 10) - 1,
        256 << 10,
        (256 << 10) + 1,
        512 << 10,
        max,
    ] {
        let mut pipe = Pipe::with_options(PipeOptions::new().max_frame(UNLIMITED));
        pipe.write_all(b"x").unwrap();
        pipe.reserve_frame(4 << 20);
        let buf = pipe.get_buffer(hint).unwrap();
        assert!(buf.len() >= hint, "hint {hint}: lent {}", buf.len());
        buf[..hint].fill(b'y');
        pipe.buffer_written(hint).unwrap();
        assert_eq!(pipe.len(), hint + 1);
        let all = pipe.read_exact(hint + 1).unwrap();
        assert_eq!(&all[..1], b"x");
        assert!(all[1..].iter().all(|&b| b == b'y'), "hint {hint}");
    }
    // A long exact read waiting for its bytes leaves such memory last too.
    let mut pipe = Pipe::with_options(PipeOptions::new().max_frame(UNLIMITED));
    pipe.write_all(&[b'a'; 10]).unwrap();
    assert!(pipe.read_exact(3 << 20).is_err(), "not there yet");
    let buf = pipe.get_buffer(max).unwrap();
    assert!(buf.len() >= max, "lent {}", buf.len());
}

/// `read_until`: "After the end, a last frame without `sep` is `Partial` if it is within the
/// limit, `LimitExceeded` if it is not (its last bytes not counted if they may have begun
/// `sep`)": one under, at and one over a limit of 4, with and without a begun separator, and
/// `discard_until` going on past it to the end.
#[test]
fn read_until_at_the_end_is_partial_within_the_limit_and_limit_exceeded_past_it() {
    let cases: [(&[u8], &[u8], bool); 9] = [
        (b"--", b"abc", true),
        (b"--", b"abcd", true),
        (b"--", b"abcde", false),
        (b"--", b"abcd-", true),
        (b"---", b"abcde-", false),
        (b"abab", b"abcdaba", true),
        (b"abab", b"abcdeab", false),
        (b"abab", b"abcaba", true),
        (b"\n", b"abcd", true),
    ];
    for (sep, rest, partial) in cases {
        let mut pipe = Pipe::with_options(PipeOptions::new().max_frame(4));
        pipe.write_all(rest).unwrap();
        let what = String::from_utf8_lossy(rest);
        let open = pipe.read_until(sep, false);
        assert!(matches!(open, Err(ReadError::NeedMore)), "{what}: {open:?}");
        pipe.eof().unwrap();
        match pipe.read_until(sep, false) {
            Err(ReadError::Partial(left)) if partial => assert_eq!(left, rest, "{what}"),
            Err(ReadError::LimitExceeded { limit: 4, buffered }) if !partial => {
                assert_eq!(buffered, rest.len(), "{what}");
                assert_eq!(pipe.len(), rest.len(), "nothing consumed: {what}");
                assert_eq!(
                    pipe.discard_until(sep).unwrap(),
                    Discarded::NotYet(rest.len())
                );
                assert!(matches!(pipe.read_until(sep, false), Err(ReadError::End)));
            }
            other => panic!("{what}: {other:?}"),
        }
    }
}
