//! Incremental search: a frame arriving in many pieces is scanned about once, counted in bytes
//! examined (`Pipe::scanned_bytes`), not timed.

mod common;

use common::{finish, pipe};

const MIB: usize = 1 << 20;

/// Writes a 1 MiB frame one byte at a time, trying a read after every byte, then the separator;
/// returns the bytes scanned.
fn one_byte_at_a_time(sep: &[u8]) -> u64 {
    let (mut p, pool) = pipe();
    for i in 0..MIB {
        let buf = p.get_buffer(1).unwrap();
        buf[0] = b'a' + (i % 26) as u8;
        p.buffer_written(1).unwrap();
        assert!(p.read_until(sep, true).unwrap_err().is_need_more());
    }
    for &b in sep {
        p.write_all(&[b]).unwrap();
        if p.len() < MIB + sep.len() {
            assert!(p.read_until(sep, true).unwrap_err().is_need_more());
        }
    }
    let frame = p.read_until(sep, false).unwrap();
    assert_eq!(frame.len(), MIB);
    let scanned = p.scanned_bytes();
    finish(p, &pool);
    scanned
}

#[test]
fn a_one_mib_line_written_bytewise_scans_at_most_two_mib() {
    let scanned = one_byte_at_a_time(b"\n");
    assert!(scanned <= 2 * MIB as u64, "scanned {scanned}");
    assert!(scanned >= MIB as u64, "every byte is looked at: {scanned}");
}

#[test]
fn the_same_with_multibyte_separators() {
    for sep in [&b"\r\n"[..], b"\r\n\r\n", b"--boundary--"] {
        let scanned = one_byte_at_a_time(sep);
        assert!(scanned <= 2 * MIB as u64, "{sep:?}: scanned {scanned}");
    }
}

#[test]
fn near_misses_of_a_separator_stay_linear() {
    // "\r" without "\n" everywhere: each candidate is checked once, not rescanned.
    let (mut p, pool) = pipe();
    for _ in 0..100_000 {
        p.write_all(b"\rx").unwrap();
        assert!(p.read_until(b"\r\n", true).unwrap_err().is_need_more());
    }
    p.write_all(b"\r\n").unwrap();
    assert_eq!(p.read_until(b"\r\n", true).unwrap().len(), 200_002);
    let scanned = p.scanned_bytes();
    assert!(scanned <= 2 * 200_002, "scanned {scanned}");
    finish(p, &pool);
}

#[test]
fn reads_and_other_separators_keep_the_memo_right() {
    let (mut p, pool) = pipe();
    p.write_all(b"abc;def").unwrap();
    assert!(p.read_line(true).unwrap_err().is_need_more()); // memo for "\n" at 7
    assert_eq!(p.read_until(b";", true).unwrap(), "abc;"); // a different separator
    p.write_all(b"\n").unwrap();
    assert_eq!(p.read_line(true).unwrap(), "def\n"); // memo shifted by the read
    p.write_all(b"x\ny").unwrap();
    assert!(p.read_until(b"y\n", true).unwrap_err().is_need_more());
    assert_eq!(p.read_line(true).unwrap(), "x\n");
    p.write_all(b"\n").unwrap();
    assert_eq!(p.read_until(b"y\n", true).unwrap(), "y\n");
    finish(p, &pool);
}

#[test]
fn limit_checks_scan_no_further_than_the_limit() {
    let (mut p, pool) = common::pipe_with_chunks(4096, 1000);
    p.write_all(&vec![b'z'; 100_000]).unwrap();
    for _ in 0..10 {
        assert!(matches!(
            p.read_line(true),
            Err(pipe_core::ReadError::LimitExceeded { limit: 1000, .. })
        ));
    }
    // A line of 1000 bytes may end in `\r\n`: its `\n` may sit at offset 1001.
    assert!(p.scanned_bytes() <= 1002, "scanned {}", p.scanned_bytes());
    finish(p, &pool);
}

/// The outcome of reading a frame of `len` bytes ending in `sep` under `limit`, when the frame
/// arrives in pieces of `piece` bytes with a read tried after each (a resumed search each time),
/// as `Ok(frame length)`, or `Err(())` when refused with `LimitExceeded`.
fn in_pieces(len: usize, sep: &[u8], line: bool, limit: usize, piece: usize) -> Result<usize, ()> {
    let (mut p, pool) = common::pipe_with_chunks(64, limit);
    let mut input = vec![b'x'; len];
    input.extend_from_slice(sep);
    let mut out = None;
    for part in input.chunks(piece) {
        p.write_all(part).unwrap();
        let read = if line {
            p.read_line(false)
        } else {
            p.read_until(sep, false)
        };
        match read {
            Ok(frame) => {
                assert!(frame.iter().all(|&b| b == b'x'));
                out = Some(Ok(frame.len()));
                break;
            }
            Err(pipe_core::ReadError::LimitExceeded { limit: l, .. }) => {
                assert_eq!(l, limit);
                out = Some(Err(()));
                break;
            }
            Err(e) => assert!(e.is_need_more(), "{e:?}"),
        }
    }
    finish(p, &pool);
    out.expect("an outcome once the whole frame is in")
}

#[test]
fn a_frame_in_pieces_meets_the_limit_as_one_written_at_once() {
    // Frames one under, at and one over the limit, each separator, pieces of 1, 7 and 64 bytes
    // (the resumed search in the last chunk and across chunks): accepted up to the limit,
    // refused past it, whatever the pieces.
    let limit = 300;
    for (sep, line) in [
        (&b"\n"[..], true),
        (b"\r\n", true),
        (b"\n", false),
        (b"\r\n", false),
        (b"--", false),
    ] {
        for len in [limit - 1, limit, limit + 1] {
            for piece in [1, 7, 64, len + sep.len()] {
                let got = in_pieces(len, sep, line, limit, piece);
                let want = if len <= limit { Ok(len) } else { Err(()) };
                assert_eq!(got, want, "sep {sep:?} line {line} len {len} piece {piece}");
            }
        }
    }
}
