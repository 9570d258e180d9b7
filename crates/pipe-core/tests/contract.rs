//! Promises of the synchronous pipe that paths off the beaten track once broke: the std traits'
//! provided methods, a `\r\n` line at the limit, a search repeated after every byte, a peek
//! that changed where writes go, and `Sync`.

mod common;

use std::io::{self, BufRead, Read};

use common::{feed, finish, pipe, pipe_with_chunks};
use pipe_core::{Pipe, PipeOptions, ReadError};

fn assert_sync<T: Sync + Send>() {}

#[test]
fn pipe_is_send_and_sync() {
    assert_sync::<Pipe>();
    // A `&Pipe` held across an `.await` keeps a spawned future `Send`.
    let mut pipe = Pipe::new();
    pipe.set_on_new_data(|_| ());
    let shared = &pipe;
    std::thread::scope(|s| {
        s.spawn(|| assert_eq!(shared.len(), 0));
    });
}

// ----- std::io provided methods consume nothing unless they complete ------------------------

/// A pipe holding `data`, open, and a copy of its pool.
fn open_with(data: &[u8]) -> (Pipe, pipe_core::Pool) {
    let (mut p, pool) = pipe_with_chunks(64, 1 << 20);
    feed(&mut p, data, 7); // several chunks
    (p, pool)
}

#[test]
fn read_exact_consumes_nothing_unless_it_fills_the_buffer() {
    let (mut p, pool) = open_with(b"ab");
    let mut buf = [0u8; 4];
    let err = Read::read_exact(&mut p, &mut buf).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    assert_eq!(p.len(), 2, "the two buffered bytes are still there");
    p.write_all(b"cd").unwrap();
    Read::read_exact(&mut p, &mut buf).unwrap();
    assert_eq!(&buf, b"abcd");
    // At the end with too few: UnexpectedEof, still nothing consumed.
    p.write_all(b"e").unwrap();
    p.eof().unwrap();
    let err = Read::read_exact(&mut p, &mut buf).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    assert_eq!(p.len(), 1);
    let mut one = [0u8; 1];
    Read::read_exact(&mut p, &mut one).unwrap();
    assert_eq!(&one, b"e");
    finish(p, &pool);
}

#[test]
fn read_exact_across_many_chunks() {
    let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    let (mut p, pool) = open_with(&data);
    let mut buf = vec![0u8; 999];
    Read::read_exact(&mut p, &mut buf).unwrap();
    assert_eq!(buf, data[..999]);
    assert_eq!(p.len(), 1);
    finish(p, &pool);
}

#[test]
fn a_failed_pipe_reports_its_error_and_keeps_the_bytes() {
    let (mut p, pool) = open_with(b"abc");
    p.eof_with_error(io::Error::new(io::ErrorKind::ConnectionReset, "gone"))
        .unwrap();
    let mut buf = [0u8; 4];
    let err = Read::read_exact(&mut p, &mut buf).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    let mut all = Vec::new();
    assert_eq!(
        p.read_to_end(&mut all).unwrap_err().kind(),
        io::ErrorKind::ConnectionReset
    );
    assert!(all.is_empty());
    assert_eq!(p.len(), 3);
    finish(p, &pool);
}

#[test]
fn read_until_and_read_line_wait_whole_or_take_nothing() {
    let (mut p, pool) = open_with(b"key=val");
    let mut out = Vec::new();
    let err = BufRead::read_until(&mut p, b';', &mut out).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    assert!(out.is_empty());
    let mut line = String::new();
    let err = BufRead::read_line(&mut p, &mut line).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    assert!(line.is_empty());
    assert_eq!(
        BufRead::skip_until(&mut p, b'!').unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
    assert_eq!(p.len(), 7);

    p.write_all(b";rest\n\xff\xfe\n").unwrap();
    assert_eq!(BufRead::read_until(&mut p, b';', &mut out).unwrap(), 8);
    assert_eq!(out, b"key=val;");
    assert_eq!(BufRead::read_line(&mut p, &mut line).unwrap(), 5);
    assert_eq!(line, "rest\n");
    // Not UTF-8: InvalidData, the line still there.
    let err = BufRead::read_line(&mut p, &mut line).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert_eq!(p.len(), 3);
    assert_eq!(BufRead::skip_until(&mut p, b'\n').unwrap(), 3);
    p.write_all(b"tail").unwrap();
    p.eof().unwrap();
    // After a clean close, what is left is the last line.
    line.clear();
    assert_eq!(BufRead::read_line(&mut p, &mut line).unwrap(), 4);
    assert_eq!(line, "tail");
    assert_eq!(BufRead::read_line(&mut p, &mut line).unwrap(), 0);
    finish(p, &pool);
}

#[test]
fn lines_and_split_stop_at_would_block_without_losing_a_byte() {
    let (mut p, pool) = open_with(b"one\ntwo\nthr");
    let got: Vec<io::Result<String>> = (&mut p).lines().take(3).collect();
    assert_eq!(got[0].as_ref().unwrap(), "one");
    assert_eq!(got[1].as_ref().unwrap(), "two");
    assert_eq!(
        got[2].as_ref().unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
    assert_eq!(p.len(), 3, "the partial line is kept");
    p.write_all(b"ee,x").unwrap();
    let part: Vec<u8> = (&mut p).split(b',').next().unwrap().unwrap();
    assert_eq!(part, b"three");
    p.eof().unwrap();
    let mut rest = String::new();
    p.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "x");
    finish(p, &pool);
}

#[test]
fn read_to_end_and_to_string_wait_for_the_end() {
    let (mut p, pool) = open_with(b"abc");
    let mut v = Vec::new();
    assert_eq!(
        p.read_to_end(&mut v).unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
    let mut s = String::new();
    assert_eq!(
        p.read_to_string(&mut s).unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
    assert!(v.is_empty() && s.is_empty());
    p.write_all(b"\xff").unwrap();
    p.eof().unwrap();
    assert_eq!(
        p.read_to_string(&mut s).unwrap_err().kind(),
        io::ErrorKind::InvalidData
    );
    assert_eq!(p.len(), 4, "not UTF-8: nothing consumed");
    assert_eq!(p.read_to_end(&mut v).unwrap(), 4);
    assert_eq!(v, b"abc\xff");
    finish(p, &pool);
}

// ----- a line's ending is not counted, `\n` or `\r\n` -----------------------------------------

/// Reads one line of `body` ending in `ending` from a pipe with the given limit, with the data
/// in chunks of `chunk` bytes, through the owned, lent and batch forms.
fn line_outcomes(limit: usize, body: usize, ending: &[u8], chunk: usize) -> [bool; 3] {
    let mut data = vec![b'x'; body];
    data.extend_from_slice(ending);
    data.extend_from_slice(b"next\n");
    let mut ok = [false; 3];
    for (form, slot) in ok.iter_mut().enumerate() {
        let (mut p, pool) = pipe_with_chunks(64, limit);
        feed(&mut p, &data, chunk);
        let got = match form {
            0 => p.read_line(false).map(|l| l.len()),
            1 => p.read_line_ref(false).map(|l| l.len()),
            _ => {
                let mut first = None;
                p.read_lines_with(false, |l| {
                    first.get_or_insert(l.len());
                })
                .map(|_| first.unwrap())
            }
        };
        *slot = match got {
            Ok(len) => {
                assert_eq!(len, body);
                if form < 2 {
                    assert_eq!(p.read_line(false).unwrap(), "next");
                } // the batch form took "next" too
                true
            }
            Err(ReadError::LimitExceeded { limit: l, .. }) => {
                assert_eq!(l, limit);
                assert_eq!(p.len(), data.len(), "nothing consumed");
                false
            }
            Err(e) => panic!("unexpected {e:?}"),
        };
        finish(p, &pool);
    }
    ok
}

#[test]
fn a_line_at_the_limit_is_accepted_with_either_ending() {
    let limit = 16;
    for chunk in [1, 3, 64, 1000] {
        for ending in [&b"\n"[..], b"\r\n"] {
            assert_eq!(line_outcomes(limit, limit - 1, ending, chunk), [true; 3]);
            assert_eq!(
                line_outcomes(limit, limit, ending, chunk),
                [true; 3],
                "{ending:?}"
            );
            assert_eq!(line_outcomes(limit, limit + 1, ending, chunk), [false; 3]);
        }
    }
}

#[test]
fn a_crlf_line_at_the_limit_waits_for_its_newline() {
    let (mut p, pool) = pipe_with_chunks(64, 4);
    p.write_all(b"abcd\r").unwrap();
    assert!(p.read_line(true).unwrap_err().is_need_more());
    p.write_all(b"\n").unwrap();
    assert_eq!(p.read_line(true).unwrap(), "abcd\r\n");
    // A `\r` at the limit not followed by `\n` is a line over the limit.
    p.write_all(b"abcd\rx").unwrap();
    assert!(matches!(
        p.read_line(true),
        Err(ReadError::LimitExceeded { limit: 4, .. })
    ));
    // And a delimiter other than a line's counts only itself.
    let (mut q, qpool) = pipe_with_chunks(64, 4);
    q.write_all(b"abcd\r\n").unwrap();
    assert!(matches!(
        q.read_until(b"\n", true),
        Err(ReadError::LimitExceeded { .. })
    ));
    assert_eq!(q.read_until(b"\r\n", false).unwrap(), "abcd");
    finish(p, &pool);
    finish(q, &qpool);
}

// ----- searches repeated after each fill are linear -------------------------------------------

#[test]
fn find_repeated_after_each_byte_scans_each_byte_about_once() {
    let mut head = b"GET /index.html HTTP/1.1\r\n".to_vec();
    while head.len() < 6000 {
        head.extend_from_slice(b"X-Header: some value here\r\n");
    }
    head.extend_from_slice(b"\r\n");
    let (mut p, pool) = pipe();
    let mut found = None;
    for (i, &b) in head.iter().enumerate() {
        p.write_all(&[b]).unwrap();
        if let Some(at) = p.find(b"\r\n\r\n", ..).unwrap() {
            found = Some((i, at));
            break;
        }
    }
    assert_eq!(found, Some((head.len() - 1, head.len() - 4)));
    let scanned = p.scanned_bytes();
    // Each byte examined about once (plus the needle's length at each candidate): linear, where
    // rescanning from the start costs about n^2 / 2 = 18 million.
    assert!(scanned < 3 * head.len() as u64, "scanned {scanned}");
    // A frame search in between keeps its own progress and does not reset this one.
    let (mut q, qpool) = pipe();
    for &b in &head {
        q.write_all(&[b]).unwrap();
        assert!(q.read_until(b"\0", true).unwrap_err().is_need_more());
        if q.find(b"\r\n\r\n", ..).unwrap().is_some() {
            break;
        }
    }
    assert!(
        q.scanned_bytes() < 4 * head.len() as u64,
        "scanned {}",
        q.scanned_bytes()
    );
    finish(q, &qpool);
    finish(p, &pool);
}

#[test]
fn find_resumes_only_when_it_is_sound() {
    let (mut p, pool) = pipe();
    p.write_all(b"aaaa").unwrap();
    assert_eq!(p.find(b"ab", ..).unwrap(), None);
    p.write_all(b"b").unwrap();
    assert_eq!(
        p.find(b"ab", ..).unwrap(),
        Some(3),
        "a match across the old end"
    );
    assert_eq!(p.find(b"ab", ..4).unwrap(), None, "a narrower range");
    assert_eq!(p.find(b"ab", ..).unwrap(), Some(3), "again");
    assert_eq!(p.find(b"aa", 1..).unwrap(), Some(1), "another needle");
    assert_eq!(p.find(b"ab", 1..).unwrap(), Some(3));
    p.skip(2);
    assert_eq!(
        p.find(b"ab", ..).unwrap(),
        Some(1),
        "offsets follow the cursor"
    );
    assert_eq!(p.find(b"aa", ..).unwrap(), Some(0));
    assert_eq!(p.find(b"ab", ..).unwrap(), Some(1));
    finish(p, &pool);
}

// ----- looking does not change the write side ---------------------------------------------------

/// Writes 1,000 length-prefixed frames one at a time, one frame ahead of the reader (so the
/// pipe never drains and the writer keeps filling its chunk), each read (lent, so reading
/// itself seals nothing) after `look` inspects its header; returns the chunks the pool handed
/// out.
fn acquisitions(look: impl Fn(&mut Pipe) -> usize) -> u64 {
    let (mut p, pool) = pipe_with_chunks(4096, 1 << 16);
    let frame = |i: u16| {
        let mut f = 30u16.to_be_bytes().to_vec();
        f.extend_from_slice(&[i as u8; 30]);
        f
    };
    p.write_all(&frame(0)).unwrap();
    for i in 0..1000u16 {
        p.write_all(&frame(i + 1)).unwrap();
        let len = look(&mut p);
        assert_eq!(len, 30);
        p.skip(2);
        assert_eq!(p.read_exact_ref(len).unwrap(), &frame(i)[2..]);
    }
    let acquired = pool.stats().acquired;
    finish(p, &pool);
    acquired
}

#[test]
fn peeking_does_not_send_writes_to_a_fresh_chunk() {
    let header = |b: &[u8]| u16::from_be_bytes([b[0], b[1]]) as usize;
    let plain =
        acquisitions(|p| header(&p.chunks().flatten().copied().take(2).collect::<Vec<_>>()));
    let peek = acquisitions(|p| header(&p.peek(2).unwrap()));
    let peek_ref = acquisitions(|p| header(p.peek_ref(2).unwrap()));
    assert!(plain < 20, "{plain} chunks for 32 KiB of frames");
    assert_eq!(peek, plain, "peek took extra chunks");
    assert_eq!(peek_ref, plain, "peek_ref took extra chunks");
}

#[test]
fn peek_ref_lends_across_chunks_and_consumes_nothing() {
    let (mut p, pool) = pipe_with_chunks(64, 1 << 16);
    let data: Vec<u8> = (0..200u8).collect();
    feed(&mut p, &data, 50);
    assert_eq!(p.peek_ref(150).unwrap(), &data[..150]);
    assert_eq!(p.peek_ref(1000).unwrap(), &data[..]);
    assert_eq!(p.peek_ref(0).unwrap(), b"");
    assert_eq!(p.len(), 200);
    assert_eq!(p.read_exact(200).unwrap(), data);
    assert!(p.peek_ref(1).unwrap_err().is_need_more());
    p.eof().unwrap();
    assert!(p.peek_ref(1).unwrap_err().is_end());
    finish(p, &pool);
}

#[test]
fn options_still_build_a_pipe() {
    // `PipeOptions` is used by every test here; keep the limit in force.
    let p = Pipe::with_options(PipeOptions::new().max_frame(7));
    assert_eq!(p.max_frame(), 7);
}
