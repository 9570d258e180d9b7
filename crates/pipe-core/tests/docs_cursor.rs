//! `pipe_core::Cursor`, tested from its documentation alone (the `///` docs of `cursor.rs`,
//! `Pipe::cursor`, `ReadError`, and the README's Framing section).
//!
//! Every read is tried with its data laid out in the pipe in every way the public API allows:
//! one write, one write per byte, one `append_bytes` segment per byte (with empty segments
//! between), two and three segments split at every position, and 64-byte pooled chunks with
//! the chunk boundary at every offset of the data.

// The tests drop cursors by name where the docs say "a cursor dropped without `commit`
// consumes nothing": the point is the end of the borrow, not a destructor.
#![allow(clippy::drop_non_drop)]

use std::fmt::Debug;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use bytes::Buf;
use pipe_core::{Bytes, Cursor, Pipe, PipeOptions, Pool, PoolConfig, ReadError, UNLIMITED};
use proptest::prelude::*;

// ------------------------------------------------------------------------------------------
// Pipes in every layout
// ------------------------------------------------------------------------------------------

/// A pool of 64-byte chunks only (the smallest class a pool allows).
fn small_pool() -> Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        Pool::new(
            PoolConfig::new()
                .min_chunk(64)
                .max_chunk(64)
                .idle_bytes_per_class(64 * 1024),
        )
        .expect("a pool of 64-byte chunks")
    })
    .clone()
}

fn opts(max_frame: usize) -> PipeOptions {
    PipeOptions::new().max_frame(max_frame)
}

fn small_opts(max_frame: usize) -> PipeOptions {
    PipeOptions::new()
        .pool(small_pool())
        .chunk_size(64)
        .max_chunk(64)
        .max_frame(max_frame)
}

/// The pipe's unread bytes.
fn contents(pipe: &Pipe) -> Vec<u8> {
    pipe.chunks().flat_map(|c| c.iter().copied()).collect()
}

fn seg(bytes: &[u8]) -> Bytes {
    Bytes::copy_from_slice(bytes)
}

/// Calls `f` with a fresh pipe holding `data` (maximum frame `max_frame`), once per layout.
fn each_layout(data: &[u8], max_frame: usize, mut f: impl FnMut(&str, &mut Pipe)) {
    let n = data.len();
    let mut run = |name: String, mut pipe: Pipe| {
        assert_eq!(contents(&pipe), data, "layout {name} holds the data");
        f(&name, &mut pipe);
    };

    let mut p = Pipe::with_options(opts(max_frame));
    p.write_all(data).unwrap();
    run("one write".into(), p);

    let mut p = Pipe::with_options(opts(max_frame));
    for b in data {
        p.write_all(&[*b]).unwrap();
    }
    run("a write per byte".into(), p);

    let mut p = Pipe::with_options(opts(max_frame));
    for b in data {
        p.append_bytes(seg(&[*b])).unwrap();
    }
    run("a segment per byte".into(), p);

    let mut p = Pipe::with_options(opts(max_frame));
    p.append_bytes(Bytes::new()).unwrap();
    for b in data {
        p.append_bytes(seg(&[*b])).unwrap();
        p.append_bytes(Bytes::new()).unwrap();
    }
    run("a segment per byte, empty ones between".into(), p);

    for i in 0..=n {
        let mut p = Pipe::with_options(opts(max_frame));
        p.write_all(&data[..i]).unwrap();
        p.append_bytes(seg(&data[i..])).unwrap();
        run(format!("write {i} + segment"), p);
    }
    for i in 0..=n {
        for j in i..=n {
            let mut p = Pipe::with_options(opts(max_frame));
            p.append_bytes(seg(&data[..i])).unwrap();
            p.write_all(&data[i..j]).unwrap();
            p.append_bytes(seg(&data[j..])).unwrap();
            run(format!("segment {i} + write {} + segment", j - i), p);
        }
    }
    // 64-byte chunks, the data starting `off` bytes into the first: a chunk boundary at every
    // offset of the data.
    for off in 0..64 {
        let mut p = Pipe::with_options(small_opts(max_frame));
        p.write_all(&vec![b'#'; off]).unwrap();
        for piece in data.chunks(7) {
            p.write_all(piece).unwrap();
        }
        if off + n > 64 {
            assert!(
                p.chunks().count() >= 2,
                "64-byte chunks: a boundary inside the data"
            );
        }
        assert_eq!(p.skip(off), off);
        run(format!("64-byte chunks at offset {off}"), p);
    }
}

// ------------------------------------------------------------------------------------------
// Outcomes, comparable
// ------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum E {
    NeedMore,
    End,
    Partial(Vec<u8>),
    Stream,
    Limit { limit: usize, buffered: usize },
    Invalid,
    Malformed,
    Other(String),
}

fn e(err: ReadError) -> E {
    match err {
        ReadError::NeedMore => E::NeedMore,
        ReadError::End => E::End,
        ReadError::Partial(b) => E::Partial(b.to_vec()),
        ReadError::Stream(_) => E::Stream,
        ReadError::LimitExceeded { limit, buffered } => E::Limit { limit, buffered },
        ReadError::InvalidArgument(_) => E::Invalid,
        ReadError::Malformed(_) => E::Malformed,
        other => E::Other(format!("{other:?}")),
    }
}

fn err<T: Debug>(r: Result<T, ReadError>) -> E {
    e(r.expect_err("an error"))
}

// ------------------------------------------------------------------------------------------
// Basics: position, remaining, commit, drop
// ------------------------------------------------------------------------------------------

#[test]
fn new_cursor_is_at_the_first_byte_of_what_is_buffered() {
    let mut pipe = Pipe::new();
    {
        let c = pipe.cursor();
        assert_eq!(c.position(), 0);
        assert_eq!(c.remaining(), 0);
        assert_eq!(Buf::remaining(&c), 0);
        assert!(c.chunk().is_empty());
    }
    pipe.write_all(b"hello").unwrap();
    let mut c = pipe.cursor();
    assert_eq!(c.position(), 0);
    assert_eq!(c.remaining(), 5);
    assert_eq!(c.u8().unwrap(), b'h');
    c.commit();
    let c = pipe.cursor();
    assert_eq!(
        c.position(),
        0,
        "the next cursor starts at the first unread byte"
    );
    assert_eq!(c.remaining(), 4);
}

#[test]
fn every_read_on_an_empty_pipe_needs_more_and_moves_nothing() {
    let mut pipe = Pipe::new();
    let mut c = pipe.cursor();
    assert_eq!(err(c.u8()), E::NeedMore);
    assert_eq!(err(c.i8()), E::NeedMore);
    assert_eq!(err(c.u16_be()), E::NeedMore);
    assert_eq!(err(c.i64_le()), E::NeedMore);
    assert_eq!(err(c.u24_be()), E::NeedMore);
    assert_eq!(err(c.u24_le()), E::NeedMore);
    assert_eq!(err(c.uint_be(1)), E::NeedMore);
    assert_eq!(err(c.uint_le(8)), E::NeedMore);
    assert_eq!(err(c.skip(1)), E::NeedMore);
    assert_eq!(err(c.bytes(1)), E::NeedMore);
    assert_eq!(err(c.until(b"\n")), E::NeedMore);
    assert_eq!(err(c.until_any(b"\n")), E::NeedMore);
    assert_eq!(err(c.is_next(b"x")), E::NeedMore);
    assert_eq!(err(c.skip_if(b"x")), E::NeedMore);
    assert_eq!(err(c.skip_any(b" ")), E::NeedMore);
    assert_eq!(err(c.decimal()), E::NeedMore);
    assert_eq!(err(c.signed_decimal()), E::NeedMore);
    assert_eq!(err(c.hex()), E::NeedMore);
    // Reads of nothing succeed.
    c.skip(0).unwrap();
    assert_eq!(c.bytes(0).unwrap(), "");
    assert!(c.is_next(b"").unwrap());
    assert!(c.skip_if(b"").unwrap());
    assert_eq!(c.position(), 0);
    c.commit();
    assert!(pipe.is_empty());
}

#[test]
fn commit_consumes_exactly_what_was_read_in_every_layout() {
    let data = b"0123456789abcdefghij";
    for k in 0..=data.len() {
        each_layout(data, UNLIMITED, |lay, pipe| {
            let mut c = pipe.cursor();
            c.skip(k).unwrap();
            assert_eq!(c.position(), k);
            assert_eq!(c.remaining(), data.len() - k);
            c.commit();
            assert_eq!(contents(pipe), &data[k..], "{lay}, commit after {k}");
            assert_eq!(pipe.len(), data.len() - k);
            // The next cursor starts there.
            let mut c = pipe.cursor();
            assert_eq!(c.position(), 0);
            assert_eq!(c.bytes(data.len() - k).unwrap(), &data[k..]);
            assert_eq!(err(c.u8()), E::NeedMore);
        });
    }
}

#[test]
fn a_cursor_dropped_without_commit_consumes_nothing() {
    each_layout(b"abcdef", UNLIMITED, |lay, pipe| {
        let mut c = pipe.cursor();
        assert_eq!(c.bytes(4).unwrap(), "abcd");
        assert_eq!(c.u16_be().unwrap(), u16::from_be_bytes(*b"ef"));
        drop(c);
        assert_eq!(contents(pipe), b"abcdef", "{lay}");
        let mut c = pipe.cursor();
        assert_eq!(c.bytes(6).unwrap(), "abcdef", "{lay}");
    });
}

#[test]
fn commit_after_a_failed_read_consumes_what_was_read_before_it() {
    each_layout(b"\x07\x00\x05he", UNLIMITED, |lay, pipe| {
        let mut c = pipe.cursor();
        assert_eq!(c.u8().unwrap(), 7);
        assert_eq!(c.u16_be().unwrap(), 5);
        assert_eq!(err(c.bytes(5)), E::NeedMore);
        assert_eq!(c.position(), 3, "{lay}: a NeedMore does not move");
        assert_eq!(c.remaining(), 2);
        c.commit();
        assert_eq!(contents(pipe), b"he", "{lay}");
    });
}

#[test]
fn the_type_doc_frame_example_in_every_layout_and_every_arrival() {
    fn frame(pipe: &mut Pipe) -> Result<(u8, Bytes), ReadError> {
        let mut cursor = pipe.cursor();
        let kind = cursor.u8()?;
        let len = cursor.u16_be()? as usize;
        let body = cursor.bytes(len)?;
        cursor.commit();
        Ok((kind, body))
    }
    let stream = b"\x07\x00\x05hello\x01\x00\x00\x02\x00\x03abc";
    each_layout(stream, UNLIMITED, |lay, pipe| {
        assert_eq!(frame(pipe).unwrap(), (7, Bytes::from("hello")), "{lay}");
        assert_eq!(frame(pipe).unwrap(), (1, Bytes::new()), "{lay}");
        assert_eq!(frame(pipe).unwrap(), (2, Bytes::from("abc")), "{lay}");
        assert!(pipe.is_empty());
        assert!(frame(pipe).unwrap_err().is_need_more());
    });
    // Arriving a byte at a time: NeedMore and nothing consumed until a frame is whole.
    let mut pipe = Pipe::new();
    let mut frames = Vec::new();
    for (i, b) in stream.iter().enumerate() {
        pipe.write_all(&[*b]).unwrap();
        loop {
            let before = pipe.len();
            match frame(&mut pipe) {
                Ok(f) => frames.push(f),
                Err(ReadError::NeedMore) => {
                    assert_eq!(
                        pipe.len(),
                        before,
                        "NeedMore at byte {i} consumed something"
                    );
                    break;
                }
                Err(other) => panic!("{other:?}"),
            }
        }
    }
    assert_eq!(
        frames,
        [
            (7, Bytes::from("hello")),
            (1, Bytes::new()),
            (2, Bytes::from("abc"))
        ]
    );
    assert!(pipe.is_empty());
}

// ------------------------------------------------------------------------------------------
// Fixed-size integers
// ------------------------------------------------------------------------------------------

/// `read` and (if given) the `Buf` method `buf` of each value after a byte `0xA5`, followed
/// by `0x5A`, in every layout; then every truncation needs more and consumes nothing.
fn check_int<T: Copy + PartialEq + Debug>(
    what: &str,
    values: &[T],
    enc: impl Fn(T) -> Vec<u8>,
    read: impl Fn(&mut Cursor<'_>) -> Result<T, ReadError>,
    buf: Option<&dyn Fn(&mut Cursor<'_>) -> T>,
) {
    for &v in values {
        let bytes = enc(v);
        let mut data = vec![0xA5];
        data.extend(&bytes);
        data.push(0x5A);
        each_layout(&data, UNLIMITED, |lay, pipe| {
            let mut c = pipe.cursor();
            assert_eq!(c.u8().unwrap(), 0xA5);
            assert_eq!(read(&mut c).unwrap(), v, "{what} of {v:?} in {lay}");
            assert_eq!(c.position(), 1 + bytes.len(), "{what} in {lay}");
            assert_eq!(c.remaining(), 1);
            c.commit();
            assert_eq!(contents(pipe), [0x5A], "{what} in {lay}");
        });
        if let Some(buf) = buf {
            each_layout(&data, UNLIMITED, |lay, pipe| {
                let mut c = pipe.cursor();
                assert_eq!(c.get_u8(), 0xA5);
                assert_eq!(buf(&mut c), v, "Buf {what} of {v:?} in {lay}");
                assert_eq!(c.position(), 1 + bytes.len(), "Buf {what} in {lay}");
                assert_eq!(Buf::remaining(&c), 1);
                c.commit();
                assert_eq!(contents(pipe), [0x5A], "Buf {what} in {lay}");
            });
        }
        for k in 0..bytes.len() {
            let mut short = vec![0xA5];
            short.extend(&bytes[..k]);
            each_layout(&short, UNLIMITED, |lay, pipe| {
                let mut c = pipe.cursor();
                c.u8().unwrap();
                assert_eq!(
                    err(read(&mut c)),
                    E::NeedMore,
                    "{what} of {k} bytes in {lay}"
                );
                assert_eq!(
                    c.position(),
                    1,
                    "{what}: NeedMore moved the position ({lay})"
                );
                assert_eq!(c.remaining(), k);
                drop(c);
                assert_eq!(pipe.len(), 1 + k, "{what}: NeedMore consumed ({lay})");
            });
        }
    }
}

#[test]
fn u8_and_i8_at_their_extremes() {
    check_int(
        "u8",
        &[0u8, 1, 0x7f, 0x80, u8::MAX],
        |v| vec![v],
        |c| c.u8(),
        Some(&|c| c.get_u8()),
    );
    check_int(
        "i8",
        &[0i8, 1, -1, i8::MIN, i8::MAX],
        |v| v.to_be_bytes().to_vec(),
        |c| c.i8(),
        Some(&|c| c.get_i8()),
    );
}

#[test]
fn u16_and_i16_both_byte_orders_at_their_extremes() {
    let u = [0u16, 1, 0x0102, 0x8000, u16::MAX];
    let i = [0i16, 1, -1, 0x0102, i16::MIN, i16::MAX];
    check_int(
        "u16_be",
        &u,
        |v| v.to_be_bytes().to_vec(),
        |c| c.u16_be(),
        Some(&|c| c.get_u16()),
    );
    check_int(
        "u16_le",
        &u,
        |v| v.to_le_bytes().to_vec(),
        |c| c.u16_le(),
        Some(&|c| c.get_u16_le()),
    );
    check_int(
        "i16_be",
        &i,
        |v| v.to_be_bytes().to_vec(),
        |c| c.i16_be(),
        Some(&|c| c.get_i16()),
    );
    check_int(
        "i16_le",
        &i,
        |v| v.to_le_bytes().to_vec(),
        |c| c.i16_le(),
        Some(&|c| c.get_i16_le()),
    );
}

#[test]
fn u32_and_i32_both_byte_orders_at_their_extremes() {
    let u = [0u32, 1, 0x0102_0304, 0x8000_0000, u32::MAX];
    let i = [0i32, 1, -1, 0x0102_0304, i32::MIN, i32::MAX];
    check_int(
        "u32_be",
        &u,
        |v| v.to_be_bytes().to_vec(),
        |c| c.u32_be(),
        Some(&|c| c.get_u32()),
    );
    check_int(
        "u32_le",
        &u,
        |v| v.to_le_bytes().to_vec(),
        |c| c.u32_le(),
        Some(&|c| c.get_u32_le()),
    );
    check_int(
        "i32_be",
        &i,
        |v| v.to_be_bytes().to_vec(),
        |c| c.i32_be(),
        Some(&|c| c.get_i32()),
    );
    check_int(
        "i32_le",
        &i,
        |v| v.to_le_bytes().to_vec(),
        |c| c.i32_le(),
        Some(&|c| c.get_i32_le()),
    );
}

#[test]
fn u64_and_i64_both_byte_orders_at_their_extremes() {
    let u = [0u64, 1, 0x0102_0304_0506_0708, 1 << 63, u64::MAX];
    let i = [0i64, 1, -1, 0x0102_0304_0506_0708, i64::MIN, i64::MAX];
    check_int(
        "u64_be",
        &u,
        |v| v.to_be_bytes().to_vec(),
        |c| c.u64_be(),
        Some(&|c| c.get_u64()),
    );
    check_int(
        "u64_le",
        &u,
        |v| v.to_le_bytes().to_vec(),
        |c| c.u64_le(),
        Some(&|c| c.get_u64_le()),
    );
    check_int(
        "i64_be",
        &i,
        |v| v.to_be_bytes().to_vec(),
        |c| c.i64_be(),
        Some(&|c| c.get_i64()),
    );
    check_int(
        "i64_le",
        &i,
        |v| v.to_le_bytes().to_vec(),
        |c| c.i64_le(),
        Some(&|c| c.get_i64_le()),
    );
}

#[test]
fn u24_both_byte_orders_at_their_extremes() {
    let u = [0u32, 1, 0x01_0203, 0x80_0000, 0xff_ffff];
    check_int(
        "u24_be",
        &u,
        |v| v.to_be_bytes()[1..].to_vec(),
        |c| c.u24_be(),
        None,
    );
    check_int(
        "u24_le",
        &u,
        |v| v.to_le_bytes()[..3].to_vec(),
        |c| c.u24_le(),
        None,
    );
    // The doc examples.
    let mut pipe = Pipe::new();
    pipe.write_all(&[0x01, 0x00, 0x00]).unwrap();
    assert_eq!(pipe.cursor().u24_be().unwrap(), 65536);
    assert_eq!(pipe.cursor().u24_le().unwrap(), 1);
}

#[test]
fn uint_of_every_size_both_byte_orders_at_their_extremes() {
    for n in 1..=8usize {
        let max = if n == 8 {
            u64::MAX
        } else {
            (1u64 << (8 * n)) - 1
        };
        let values = [
            0u64,
            1,
            max,
            1u64 << (8 * n - 1),
            0x0102_0304_0506_0708 & max,
        ];
        check_int(
            &format!("uint_be({n})"),
            &values,
            |v| v.to_be_bytes()[8 - n..].to_vec(),
            |c| c.uint_be(n),
            Some(&|c: &mut Cursor<'_>| c.get_uint(n)),
        );
        check_int(
            &format!("uint_le({n})"),
            &values,
            |v| v.to_le_bytes()[..n].to_vec(),
            |c| c.uint_le(n),
            Some(&|c: &mut Cursor<'_>| c.get_uint_le(n)),
        );
    }
}

#[test]
fn uint_of_other_sizes_is_invalid_argument_whatever_is_buffered() {
    for buffered in [0usize, 3, 8, 20] {
        let mut pipe = Pipe::new();
        pipe.write_all(&vec![0xee; buffered]).unwrap();
        let mut c = pipe.cursor();
        for n in [0usize, 9, 16, usize::MAX] {
            assert_eq!(
                err(c.uint_be(n)),
                E::Invalid,
                "uint_be({n}) with {buffered} buffered"
            );
            assert_eq!(
                err(c.uint_le(n)),
                E::Invalid,
                "uint_le({n}) with {buffered} buffered"
            );
            assert_eq!(c.position(), 0);
        }
        c.commit();
        assert_eq!(pipe.len(), buffered);
    }
}

// ------------------------------------------------------------------------------------------
// skip, bytes
// ------------------------------------------------------------------------------------------

#[test]
fn skip_moves_past_n_bytes_or_needs_more() {
    let data = b"abcdefghij";
    each_layout(data, UNLIMITED, |lay, pipe| {
        let mut c = pipe.cursor();
        c.skip(0).unwrap();
        c.skip(3).unwrap();
        assert_eq!(c.u8().unwrap(), b'd', "{lay}");
        assert_eq!(err(c.skip(7)), E::NeedMore);
        assert_eq!(err(c.skip(usize::MAX)), E::NeedMore);
        assert_eq!(c.position(), 4, "{lay}");
        c.skip(6).unwrap();
        assert_eq!(c.remaining(), 0);
        assert_eq!(err(c.skip(1)), E::NeedMore);
        c.commit();
        assert!(pipe.is_empty());
    });
}

#[test]
fn bytes_returns_the_next_n_and_needs_more_past_the_end() {
    let data = b"\x03abcdefghij";
    each_layout(data, UNLIMITED, |lay, pipe| {
        let mut c = pipe.cursor();
        let n = c.u8().unwrap() as usize;
        assert_eq!(c.bytes(n).unwrap(), "abc", "{lay}");
        assert_eq!(c.bytes(0).unwrap(), "");
        assert_eq!(err(c.bytes(8)), E::NeedMore);
        assert_eq!(err(c.bytes(usize::MAX)), E::NeedMore);
        assert_eq!(c.position(), 4, "{lay}");
        assert_eq!(c.bytes(7).unwrap(), "defghij", "{lay}");
        drop(c);
        assert_eq!(
            pipe.len(),
            data.len(),
            "bytes stay in the pipe until commit"
        );
    });
}

#[test]
fn bytes_within_one_chunk_is_a_slice_of_it() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"xxhello world").unwrap();
    let base = pipe.chunks().next().unwrap().as_ptr() as usize;
    let mut c = pipe.cursor();
    c.skip(2).unwrap();
    let b = c.bytes(5).unwrap();
    assert_eq!(b, "hello");
    assert_eq!(
        b.as_ptr() as usize,
        base + 2,
        "no copy when the bytes lie in one chunk"
    );
    // An appended segment too.
    let mut pipe = Pipe::new();
    let payload = Bytes::from(b"payload!".to_vec());
    let at = payload.as_ptr() as usize;
    pipe.write_all(b"$").unwrap();
    pipe.append_bytes(payload).unwrap();
    let mut c = pipe.cursor();
    c.skip(1).unwrap();
    let b = c.bytes(7).unwrap();
    assert_eq!(b, "payload");
    assert_eq!(b.as_ptr() as usize, at);
}

#[test]
fn bytes_taken_stay_valid_after_commit_and_more_writes() {
    let data: Vec<u8> = (0..=255u8).cycle().take(300).collect();
    each_layout(&data[..40], UNLIMITED, |lay, pipe| {
        let mut c = pipe.cursor();
        let a = c.bytes(10).unwrap();
        let b = c.bytes(30).unwrap();
        c.commit();
        assert!(pipe.is_empty());
        // Overwrite whatever memory the pipe reuses.
        for _ in 0..20 {
            pipe.write_all(&[0xEE; 50]).unwrap();
            let n = pipe.len();
            pipe.skip(n);
        }
        assert_eq!(a, &data[..10], "{lay}");
        assert_eq!(b, &data[10..40], "{lay}");
    });
}

#[test]
fn bytes_is_not_bounded_by_max_frame() {
    // `bytes` documents only `NeedMore`; `PipeOptions::max_frame` bounds "line, delimited frame
    // or exact read" and `Pipe::read_exact` answers `LimitExceeded` above it. The cursor's
    // `bytes` and `skip` follow their own docs: the buffered bytes, whatever the limit.
    let mut pipe = Pipe::with_options(opts(4));
    pipe.write_all(b"abcdef").unwrap();
    let mut c = pipe.cursor();
    assert_eq!(err(c.bytes(8)), E::NeedMore);
    assert_eq!(
        err(c.bytes(1 << 40)),
        E::NeedMore,
        "waits for a terabyte, within a 4-byte limit"
    );
    assert_eq!(c.position(), 0);
    assert_eq!(c.bytes(5).unwrap(), "abcde");
    c.skip(1).unwrap();
    c.commit();
    assert!(pipe.is_empty());
}

// ------------------------------------------------------------------------------------------
// until, until_any
// ------------------------------------------------------------------------------------------

#[test]
fn until_reads_delimited_fields_in_every_layout() {
    let data = b"Host: example.org\r\na--b---c\r\n";
    each_layout(data, UNLIMITED, |lay, pipe| {
        let mut c = pipe.cursor();
        assert_eq!(c.until(b": ").unwrap(), "Host", "{lay}");
        assert_eq!(c.until(b"\r\n").unwrap(), "example.org", "{lay}");
        assert_eq!(c.until(b"--").unwrap(), "a", "{lay}");
        assert_eq!(c.until(b"--").unwrap(), "b", "{lay}");
        assert_eq!(c.until(b"-").unwrap(), "", "{lay}");
        assert_eq!(c.until(b"\r\n").unwrap(), "c", "{lay}");
        assert_eq!(c.remaining(), 0);
        c.commit();
        assert!(pipe.is_empty());
    });
    // A separator whose prefix repeats: the first occurrence, across segments.
    each_layout(b"aaab|aab", UNLIMITED, |lay, pipe| {
        let mut c = pipe.cursor();
        assert_eq!(c.until(b"aab").unwrap(), "a", "{lay}");
        assert_eq!(c.until(b"aab").unwrap(), "|", "{lay}");
    });
}

#[test]
fn until_needs_more_without_a_whole_separator_and_moves_nothing() {
    for (data, sep) in [
        (&b"abc"[..], &b"\n"[..]),
        (b"abc\r", b"\r\n"),
        (b"abc-", b"--"),
        (b"abc\r\n\r", b"\r\n\r\n"),
        (b"", b"x"),
    ] {
        each_layout(data, UNLIMITED, |lay, pipe| {
            let mut c = pipe.cursor();
            c.skip(0).unwrap();
            assert_eq!(
                err(c.until(sep)),
                E::NeedMore,
                "{data:?} until {sep:?} in {lay}"
            );
            assert_eq!(c.position(), 0);
            c.commit();
            assert_eq!(pipe.len(), data.len());
        });
    }
}

#[test]
fn until_and_until_any_with_nothing_to_look_for_are_invalid_arguments() {
    for data in [&b""[..], b"abc\n"] {
        let mut pipe = Pipe::new();
        pipe.write_all(data).unwrap();
        let mut c = pipe.cursor();
        assert_eq!(err(c.until(b"")), E::Invalid);
        assert_eq!(err(c.until_any(b"")), E::Invalid);
        assert_eq!(c.position(), 0);
        c.commit();
        assert_eq!(pipe.len(), data.len());
    }
}

#[test]
fn until_is_bounded_by_max_frame_counting_the_field_only() {
    // Within the limit: a field of exactly max_frame bytes.
    each_layout(b"abcd\r\n", 4, |lay, pipe| {
        let mut c = pipe.cursor();
        assert_eq!(c.until(b"\r\n").unwrap(), "abcd", "{lay}");
    });
    // Over it, with and without the separator buffered: LimitExceeded, nothing consumed, and
    // `buffered` is the pipe's len.
    for data in [&b"abcde\r\n"[..], b"abcdef", b"abcde\r", b"abcdefghij"] {
        each_layout(data, 4, |lay, pipe| {
            let mut c = pipe.cursor();
            assert_eq!(
                err(c.until(b"\r\n")),
                E::Limit {
                    limit: 4,
                    buffered: data.len()
                },
                "{data:?} in {lay}"
            );
            assert_eq!(c.position(), 0);
            drop(c);
            assert_eq!(pipe.len(), data.len());
        });
    }
    // The limit counts the field, from the position, not the bytes before it.
    each_layout(b"123456abcd\n", 4, |lay, pipe| {
        let mut c = pipe.cursor();
        c.skip(6).unwrap();
        assert_eq!(c.until(b"\n").unwrap(), "abcd", "{lay}");
    });
    each_layout(b"123456abcde\n", 4, |lay, pipe| {
        let mut c = pipe.cursor();
        c.skip(6).unwrap();
        assert!(
            matches!(err(c.until(b"\n")), E::Limit { limit: 4, .. }),
            "{lay}"
        );
        assert_eq!(c.position(), 6);
        drop(c);
        assert_eq!(pipe.len(), 12);
    });
    // A maximum frame of 0: only empty fields.
    let mut pipe = Pipe::with_options(opts(0));
    pipe.write_all(b"\na\n").unwrap();
    let mut c = pipe.cursor();
    assert_eq!(c.until(b"\n").unwrap(), "");
    assert!(matches!(err(c.until(b"\n")), E::Limit { limit: 0, .. }));
    assert_eq!(c.position(), 1);
    // Raise the limit and read again.
    drop(c);
    pipe.set_max_frame(UNLIMITED);
    let mut c = pipe.cursor();
    assert_eq!(c.until(b"\n").unwrap(), "");
    assert_eq!(c.until(b"\n").unwrap(), "a");
}

#[test]
fn limit_exceeded_from_a_cursor_reports_the_pipes_len() {
    // ReadError::LimitExceeded::buffered: "Bytes buffered when the limit was hit: all of them,
    // the long frame's and any after it (the pipe's [`len`] at that moment)."
    let mut pipe = Pipe::with_options(opts(4));
    pipe.write_all(b"123456abcde\n").unwrap();
    let mut c = pipe.cursor();
    c.skip(6).unwrap();
    let got = err(c.until(b"\n"));
    let any = err(c.until_any(b"\n"));
    drop(c);
    assert_eq!(
        got,
        E::Limit {
            limit: 4,
            buffered: pipe.len()
        },
        "until"
    );
    assert_eq!(
        any,
        E::Limit {
            limit: 4,
            buffered: pipe.len()
        },
        "until_any"
    );
}

#[test]
fn until_over_the_limit_before_max_frame_plus_separator_bytes() {
    // The docs do not say how soon the limit shows: `read_line` answers "as soon as the
    // buffered bytes show it", `until` is only "Bounded by the pipe's maximum frame size".
    // "abcde" cannot begin a 4-byte field ending in "\r\n"; either answer leaves the bytes.
    each_layout(b"abcde", 4, |lay, pipe| {
        let mut c = pipe.cursor();
        let got = err(c.until(b"\r\n"));
        assert!(
            matches!(
                got,
                E::NeedMore
                    | E::Limit {
                        limit: 4,
                        buffered: 5
                    }
            ),
            "{lay}: {got:?}"
        );
        assert_eq!(c.position(), 0);
        drop(c);
        assert_eq!(pipe.len(), 5);
    });
}

#[test]
fn until_at_the_limit_waits_for_a_separator_that_may_still_come() {
    // max_frame 4: after "abcd", a "\n" would make a legal 4-byte field. Answering
    // LimitExceeded here would reject a frame that the same bytes, arriving in one piece,
    // would give.
    let mut pipe = Pipe::with_options(opts(4));
    pipe.write_all(b"abcd").unwrap();
    let first = pipe.cursor().until(b"\n").map_err(e);
    pipe.write_all(b"\n").unwrap();
    let then = pipe.cursor().until(b"\n").map_err(e);
    assert_eq!(then, Ok(Bytes::from("abcd")));
    assert_eq!(
        first,
        Err(E::NeedMore),
        "the answer must not depend on how the bytes arrived"
    );
    // A two-byte separator, its first byte buffered after max_frame bytes.
    let mut pipe = Pipe::with_options(opts(4));
    pipe.write_all(b"abcd\r").unwrap();
    assert_eq!(pipe.cursor().until(b"\r\n").map_err(e), Err(E::NeedMore));
    pipe.write_all(b"\n").unwrap();
    assert_eq!(pipe.cursor().until(b"\r\n").unwrap(), "abcd");
}

#[test]
fn until_with_the_default_limit() {
    let mut pipe = Pipe::new();
    pipe.write_all(&vec![b'x'; 65_536]).unwrap();
    pipe.write_all(b"\n").unwrap();
    assert_eq!(pipe.cursor().until(b"\n").unwrap().len(), 65_536);
    let mut pipe = Pipe::new();
    pipe.write_all(&vec![b'x'; 65_537]).unwrap();
    assert_eq!(
        err(pipe.cursor().until(b"\n")),
        E::Limit {
            limit: 65_536,
            buffered: 65_537
        }
    );
    assert_eq!(pipe.len(), 65_537);
}

#[test]
fn until_any_reads_fields_ending_in_any_byte_of_a_set() {
    each_layout(b"key=value;k2;=", UNLIMITED, |lay, pipe| {
        let mut c = pipe.cursor();
        assert_eq!(
            c.until_any(b";=").unwrap(),
            (Bytes::from("key"), b'='),
            "{lay}"
        );
        assert_eq!(
            c.until_any(b";=").unwrap(),
            (Bytes::from("value"), b';'),
            "{lay}"
        );
        assert_eq!(
            c.until_any(b"=;").unwrap(),
            (Bytes::from("k2"), b';'),
            "{lay}"
        );
        assert_eq!(c.until_any(b"=;").unwrap(), (Bytes::new(), b'='), "{lay}");
        assert_eq!(err(c.until_any(b";=")), E::NeedMore);
        assert_eq!(c.position(), 14);
        c.commit();
        assert!(pipe.is_empty());
    });
    each_layout(b"abc def", UNLIMITED, |lay, pipe| {
        let mut c = pipe.cursor();
        assert_eq!(err(c.until_any(b";\n")), E::NeedMore, "{lay}");
        assert_eq!(c.position(), 0);
        drop(c);
        assert_eq!(pipe.len(), 7);
    });
}

#[test]
fn until_any_is_bounded_by_max_frame() {
    each_layout(b"abcd;", 4, |lay, pipe| {
        assert_eq!(
            pipe.cursor().until_any(b";,").unwrap(),
            (Bytes::from("abcd"), b';'),
            "{lay}"
        );
    });
    for data in [&b"abcde;"[..], b"abcde"] {
        each_layout(data, 4, |lay, pipe| {
            let mut c = pipe.cursor();
            assert_eq!(
                err(c.until_any(b";,")),
                E::Limit {
                    limit: 4,
                    buffered: data.len()
                },
                "{data:?} {lay}"
            );
            assert_eq!(c.position(), 0);
            drop(c);
            assert_eq!(pipe.len(), data.len());
        });
    }
    let mut pipe = Pipe::with_options(opts(4));
    pipe.write_all(b"abcd").unwrap();
    assert_eq!(
        err(pipe.cursor().until_any(b";")),
        E::NeedMore,
        "a ';' may still come"
    );
}

// ------------------------------------------------------------------------------------------
// is_next, skip_if, skip_any
// ------------------------------------------------------------------------------------------

#[test]
fn is_next_answers_without_moving() {
    each_layout(b"GET /index", UNLIMITED, |lay, pipe| {
        let mut c = pipe.cursor();
        assert!(c.is_next(b"GET ").unwrap(), "{lay}");
        assert!(!c.is_next(b"POST").unwrap(), "{lay}");
        assert!(!c.is_next(b"GET /indey").unwrap(), "{lay}");
        assert!(c.is_next(b"GET /index").unwrap(), "{lay}");
        assert!(c.is_next(b"").unwrap());
        // Fewer buffered than expected: NeedMore if those match, false if not.
        assert_eq!(err(c.is_next(b"GET /index.html")), E::NeedMore, "{lay}");
        assert!(!c.is_next(b"GET /indeX.html").unwrap(), "{lay}");
        assert!(!c.is_next(b"XGET /index.html").unwrap(), "{lay}");
        assert_eq!(c.position(), 0);
        c.skip(4).unwrap();
        assert!(
            c.is_next(b"/in").unwrap(),
            "relative to the position ({lay})"
        );
        assert!(!c.is_next(b"GET").unwrap());
        assert_eq!(c.position(), 4);
        drop(c);
        assert_eq!(pipe.len(), 10);
    });
}

#[test]
fn skip_if_moves_past_what_it_matches_only() {
    each_layout(b"\r\nrest\r", UNLIMITED, |lay, pipe| {
        let mut c = pipe.cursor();
        assert!(c.skip_if(b"\r\n").unwrap(), "{lay}");
        assert_eq!(c.position(), 2);
        assert!(!c.skip_if(b"\r\n").unwrap());
        assert_eq!(c.position(), 2);
        assert!(c.skip_if(b"").unwrap());
        assert_eq!(c.position(), 2, "empty expected: no move");
        assert!(c.skip_if(b"rest").unwrap());
        assert_eq!(err(c.skip_if(b"\r\n")), E::NeedMore, "{lay}");
        assert_eq!(c.position(), 6);
        assert!(!c.skip_if(b"\n\n").unwrap(), "{lay}");
        assert_eq!(c.position(), 6);
        c.commit();
        assert_eq!(contents(pipe), b"\r");
    });
}

#[test]
fn skip_any_skips_a_run_that_ends_before_the_buffered_bytes() {
    each_layout(b"  \t value \t", UNLIMITED, |lay, pipe| {
        let mut c = pipe.cursor();
        assert_eq!(c.skip_any(b" \t").unwrap(), 4, "{lay}");
        assert_eq!(c.u8().unwrap(), b'v');
        assert_eq!(c.skip_any(b" \t").unwrap(), 0);
        assert_eq!(c.skip_any(b"").unwrap(), 0);
        c.skip(4).unwrap();
        assert_eq!(
            err(c.skip_any(b" \t")),
            E::NeedMore,
            "{lay}: the run reaches the end"
        );
        assert_eq!(c.position(), 9);
        assert_eq!(c.skip_any(b"").unwrap(), 0, "an empty set matches nothing");
        c.commit();
        assert_eq!(contents(pipe), b" \t");
    });
    let mut pipe = Pipe::new();
    let mut c = pipe.cursor();
    assert_eq!(err(c.skip_any(b" ")), E::NeedMore);
}

#[test]
fn skip_any_with_an_empty_set_is_ok_zero_even_at_the_end() {
    // "An empty set matches nothing: `Ok(0)`." No byte can ever match an empty set, so more
    // data cannot change the answer (NeedMore is "the only outcome that more data can change").
    let mut pipe = Pipe::new();
    assert_eq!(
        pipe.cursor().skip_any(b"").map_err(e),
        Ok(0),
        "on an empty pipe"
    );
    pipe.write_all(b"ab").unwrap();
    let mut c = pipe.cursor();
    c.skip(2).unwrap();
    assert_eq!(
        c.skip_any(b"").map_err(e),
        Ok(0),
        "at the end of what is buffered"
    );
}

// ------------------------------------------------------------------------------------------
// decimal, signed_decimal, hex
// ------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
enum Num {
    Ok(i128, usize),
    NeedMore,
    Malformed,
}

fn check_numbers(
    what: &str,
    read: impl Fn(&mut Cursor<'_>) -> Result<i128, ReadError>,
    cases: &[(&str, Num)],
) {
    let mut wrong = Vec::new();
    for (input, want) in cases {
        for prefix in ["", "$"] {
            let data = format!("{prefix}{input}");
            let data = data.as_bytes();
            each_layout(data, UNLIMITED, |lay, pipe| {
                let mut c = pipe.cursor();
                c.skip(prefix.len()).unwrap();
                let got = read(&mut c);
                let at = c.position();
                match (*want, got) {
                    (Num::Ok(v, len), Ok(got)) => {
                        assert_eq!(got, v, "{what} of {input:?} in {lay}");
                        assert_eq!(at, prefix.len() + len, "{what} of {input:?} in {lay}");
                        c.commit();
                        assert_eq!(contents(pipe), &data[prefix.len() + len..]);
                    }
                    (Num::NeedMore, Err(ReadError::NeedMore))
                    | (Num::Malformed, Err(ReadError::Malformed(_))) => {
                        assert_eq!(
                            at,
                            prefix.len(),
                            "{what} of {input:?}: an error moved ({lay})"
                        );
                        drop(c);
                        assert_eq!(
                            pipe.len(),
                            data.len(),
                            "{what} of {input:?} consumed ({lay})"
                        );
                    }
                    (want, got) => wrong.push(format!(
                        "{what} of {input:?} in {lay}: want {want:?}, got {got:?}"
                    )),
                }
            });
        }
    }
    wrong.dedup_by(|a, b| a.split(" in ").next() == b.split(" in ").next());
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn decimal_reads_unsigned_numbers_up_to_u64_max() {
    use Num::*;
    let max = u64::MAX as i128;
    check_numbers(
        "decimal",
        |c| c.decimal().map(i128::from),
        &[
            ("0\r", Ok(0, 1)),
            ("7 ", Ok(7, 1)),
            ("1024\r\n", Ok(1024, 4)),
            ("12x", Ok(12, 2)),
            ("000\r", Ok(0, 3)),
            ("007;", Ok(7, 3)),
            ("18446744073709551615\r", Ok(max, 20)),
            ("18446744073709551614\r", Ok(max - 1, 20)),
            (
                "000000000000000000000000018446744073709551615\r",
                Ok(max, 45),
            ),
            ("18446744073709551615", NeedMore),
            ("1844674407370955161", NeedMore),
            ("12", NeedMore),
            ("0", NeedMore),
            ("", NeedMore),
            ("18446744073709551616", Malformed),
            ("18446744073709551616\r", Malformed),
            ("184467440737095516150", Malformed),
            ("99999999999999999999", Malformed),
            ("100000000000000000000", Malformed),
            ("\r\n", Malformed),
            ("-1\r", Malformed),
            ("+1\r", Malformed),
            (" 12\r", Malformed),
            ("x", Malformed),
        ],
    );
}

#[test]
fn signed_decimal_reads_i64_with_an_optional_minus() {
    use Num::*;
    let (min, max) = (i64::MIN as i128, i64::MAX as i128);
    check_numbers(
        "signed_decimal",
        |c| c.signed_decimal().map(i128::from),
        &[
            ("-1\r\n", Ok(-1, 2)),
            ("0\r", Ok(0, 1)),
            ("-0\r", Ok(0, 2)),
            ("42:", Ok(42, 2)),
            ("5-", Ok(5, 1)),
            ("-007\r", Ok(-7, 4)),
            ("9223372036854775807\r", Ok(max, 19)),
            ("-9223372036854775808\r", Ok(min, 20)),
            ("-9223372036854775807\r", Ok(min + 1, 20)),
            (
                "-0000000000000000000000009223372036854775808\r",
                Ok(min, 44),
            ),
            ("9223372036854775807", NeedMore),
            ("-9223372036854775808", NeedMore),
            ("922337203685477580", NeedMore),
            ("-", NeedMore),
            ("-12", NeedMore),
            ("", NeedMore),
            ("92233720368547758080", Malformed),
            ("9223372036854775808\r", Malformed),
            ("-92233720368547758090", Malformed),
            ("-9223372036854775809\r", Malformed),
            ("18446744073709551615\r", Malformed),
            ("-x", Malformed),
            ("-\r", Malformed),
            ("--1\r", Malformed),
            ("+1\r", Malformed),
            ("\r", Malformed),
        ],
    );
}

#[test]
fn signed_decimal_past_i64_is_malformed_at_once_as_decimal_reads_it() {
    // signed_decimal: "as [`decimal`] reads it; `Malformed` outside `i64`"; decimal: "`Malformed`
    // ... past `u64::MAX` (at once, even if the digits run to the end: no more digits can make
    // it fit)". No more digits can bring 9223372036854775808 back inside i64 either.
    use Num::*;
    check_numbers(
        "signed_decimal",
        |c| c.signed_decimal().map(i128::from),
        &[
            ("9223372036854775808", Malformed),
            ("-9223372036854775809", Malformed),
            ("18446744073709551615", Malformed),
        ],
    );
}

#[test]
fn hex_reads_either_case_up_to_u64_max() {
    use Num::*;
    let max = u64::MAX as i128;
    check_numbers(
        "hex",
        |c| c.hex().map(i128::from),
        &[
            ("1aF\r\n", Ok(0x1af, 3)),
            ("aBcDeF\r", Ok(0xabcdef, 6)),
            ("0\r", Ok(0, 1)),
            ("0x1f", Ok(0, 1)),
            ("ffg", Ok(0xff, 2)),
            ("ffffffffffffffff\r", Ok(max, 16)),
            ("FFFFFFFFFFFFFFFF;", Ok(max, 16)),
            ("0000000000000000000000ff;", Ok(0xff, 24)),
            ("00000000000000000ffffffffffffffff\r", Ok(max, 33)),
            ("ffffffffffffffff", NeedMore),
            ("fffffffffffffff", NeedMore),
            ("", NeedMore),
            ("10000000000000000", Malformed),
            ("10000000000000000\r", Malformed),
            ("fffffffffffffffff", Malformed),
            ("g", Malformed),
            ("-1\r", Malformed),
            ("\r\n", Malformed),
        ],
    );
}

// ------------------------------------------------------------------------------------------
// Pipes that ended
// ------------------------------------------------------------------------------------------

/// What each read says on a closed pipe holding `data` once it needs more than is buffered,
/// with position and pipe unchanged; reads the buffered bytes can serve still succeed.
fn ended_outcomes(close: impl Fn(&mut Pipe)) -> Vec<(&'static str, E)> {
    let mut out = Vec::new();
    let mut one = |what: &'static str, data: &[u8], read: &dyn Fn(&mut Cursor<'_>) -> E| {
        let mut pipe = Pipe::new();
        pipe.write_all(data).unwrap();
        close(&mut pipe);
        let mut c = pipe.cursor();
        let got = read(&mut c);
        assert_eq!(c.position(), 0, "{what} moved on a closed pipe");
        drop(c);
        assert_eq!(pipe.len(), data.len(), "{what} consumed on a closed pipe");
        out.push((what, got));
    };
    one("u8 on nothing", b"", &|c| err(c.u8()));
    one("u32_be on 3 bytes", b"abc", &|c| err(c.u32_be()));
    one("bytes(4) on 3 bytes", b"abc", &|c| err(c.bytes(4)));
    one("skip(4) on 3 bytes", b"abc", &|c| err(c.skip(4)));
    one(
        "until without a separator",
        b"abc",
        &|c| err(c.until(b"\n")),
    );
    one("until_any without a separator", b"abc", &|c| {
        err(c.until_any(b"\n"))
    });
    one("is_next past the end", b"ab", &|c| err(c.is_next(b"abc")));
    one("skip_any to the end", b"   ", &|c| err(c.skip_any(b" ")));
    one("decimal to the end", b"123", &|c| err(c.decimal()));
    one("hex to the end", b"1f", &|c| err(c.hex()));
    one("signed_decimal to the end", b"-5", &|c| {
        err(c.signed_decimal())
    });
    out
}

#[test]
fn reads_on_a_pipe_that_ended_cleanly_serve_what_is_buffered_first() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"\x00\x2a12\r").unwrap();
    pipe.eof().unwrap();
    let mut c = pipe.cursor();
    assert_eq!(c.u16_be().unwrap(), 42);
    assert_eq!(c.decimal().unwrap(), 12);
    assert!(c.skip_if(b"\r").unwrap());
    c.commit();
    assert!(pipe.is_empty());
    assert!(matches!(pipe.read_exact(1), Err(ReadError::End)));
}

#[test]
fn reads_past_the_end_of_a_pipe_that_ended_cleanly() {
    // "Every read returns `Err(ReadError::NeedMore)` when the bytes it needs are not all
    // buffered" (Cursor), while `ReadError::NeedMore` is documented as "Not enough data yet and
    // the write side is open". Checked: the Cursor sentence, and nothing consumed.
    for (what, got) in ended_outcomes(|p| p.eof().unwrap()) {
        assert_eq!(got, E::NeedMore, "{what} after eof");
    }
}

#[test]
fn reads_past_the_end_of_a_pipe_that_ended_with_an_error() {
    for (what, got) in ended_outcomes(|p| p.eof_with_error(std::io::Error::other("reset")).unwrap())
    {
        assert_eq!(got, E::NeedMore, "{what} after eof_with_error");
    }
    // The buffered bytes stay readable through a cursor.
    let mut pipe = Pipe::new();
    pipe.write_all(b"par").unwrap();
    pipe.eof_with_error(std::io::Error::other("reset")).unwrap();
    let mut c = pipe.cursor();
    assert_eq!(c.bytes(2).unwrap(), "pa");
    c.commit();
    assert_eq!(pipe.len(), 1);
    assert!(matches!(pipe.read_exact(2), Err(ReadError::Stream(_))));
}

// ------------------------------------------------------------------------------------------
// bytes::Buf
// ------------------------------------------------------------------------------------------

#[test]
fn buf_walk_chunk_by_chunk_gives_every_byte_in_every_layout() {
    let data: Vec<u8> = (0..30u8).collect();
    each_layout(&data, UNLIMITED, |lay, pipe| {
        let mut c = pipe.cursor();
        let mut seen = Vec::new();
        while Buf::remaining(&c) > 0 {
            assert_eq!(Buf::remaining(&c), c.remaining());
            let chunk = c.chunk();
            assert!(
                !chunk.is_empty(),
                "{lay}: chunk() empty with {} remaining",
                c.remaining()
            );
            assert_eq!(chunk, &data[seen.len()..seen.len() + chunk.len()], "{lay}");
            let n = chunk.len();
            seen.extend_from_slice(chunk);
            c.advance(n);
            assert_eq!(c.position(), seen.len());
        }
        assert!(c.chunk().is_empty());
        assert_eq!(seen, data, "{lay}");
        drop(c);
        assert_eq!(
            pipe.len(),
            data.len(),
            "{lay}: Buf consumes nothing until commit"
        );
    });
}

#[test]
fn buf_chunk_is_the_rest_of_the_segment_holding_the_position() {
    let mut pipe = Pipe::new();
    pipe.append_bytes(seg(b"abc")).unwrap();
    pipe.append_bytes(Bytes::new()).unwrap();
    pipe.append_bytes(seg(b"defg")).unwrap();
    let mut c = pipe.cursor();
    assert_eq!(c.chunk(), b"abc");
    c.skip(1).unwrap();
    assert_eq!(c.chunk(), b"bc");
    c.advance(2);
    assert_eq!(c.chunk(), b"defg", "not empty at a segment boundary");
    assert_eq!(c.u8().unwrap(), b'd');
    assert_eq!(c.chunk(), b"efg");
}

#[test]
fn buf_and_cursor_reads_interleave_and_commit_together() {
    each_layout(
        b"\x00\x00\x00\x09\x01\x02hello\x05world!",
        UNLIMITED,
        |lay, pipe| {
            let mut c = pipe.cursor();
            assert_eq!(c.get_u32(), 9, "{lay}");
            assert_eq!(c.u8().unwrap(), 1, "{lay}");
            assert_eq!(c.position(), 5);
            c.advance(1);
            assert_eq!(c.copy_to_bytes(5), "hello", "{lay}");
            let n = c.get_u8() as usize;
            assert_eq!(c.bytes(n).unwrap(), "world", "{lay}");
            assert_eq!(c.position(), 17);
            let mut dst = [0u8; 1];
            c.copy_to_slice(&mut dst);
            assert_eq!(&dst, b"!");
            assert_eq!(Buf::remaining(&c), 0);
            c.commit();
            assert!(pipe.is_empty(), "{lay}");
        },
    );
    // The doc example.
    let mut pipe = Pipe::new();
    pipe.write_all(&[0, 0, 0, 9, 1]).unwrap();
    let mut cursor = pipe.cursor();
    assert!(cursor.remaining() >= 4);
    assert_eq!(cursor.get_u32(), 9);
    cursor.commit();
    assert_eq!(pipe.len(), 1);
}

#[test]
fn buf_methods_panic_past_the_end_and_the_pipe_keeps_its_bytes() {
    type Shortfall = (&'static str, usize, fn(&mut Cursor<'_>));
    let cases: [Shortfall; 7] = [
        ("advance(remaining + 1)", 5, |c| c.advance(6)),
        ("advance(usize::MAX)", 5, |c| c.advance(usize::MAX)),
        ("get_u8 on nothing", 0, |c| {
            let _ = c.get_u8();
        }),
        ("get_u32 on 3 bytes", 3, |c| {
            let _ = c.get_u32();
        }),
        ("get_u64_le on 7 bytes", 7, |c| {
            let _ = c.get_u64_le();
        }),
        ("get_i16 after reading all but 1", 3, |c| {
            c.skip(2).unwrap();
            let _ = c.get_i16();
        }),
        ("copy_to_bytes(remaining + 1)", 4, |c| {
            drop(c.copy_to_bytes(5))
        }),
    ];
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for (what, len, f) in cases {
        let data: Vec<u8> = (1..=len as u8).collect();
        each_layout(&data, UNLIMITED, |lay, pipe| {
            let r = catch_unwind(AssertUnwindSafe(|| {
                let mut c = pipe.cursor();
                f(&mut c);
                c.commit();
            }));
            assert!(r.is_err(), "{what} did not panic ({lay})");
            assert_eq!(contents(pipe), data, "{what}: the pipe changed ({lay})");
            let mut c = pipe.cursor();
            assert_eq!(
                c.bytes(len).unwrap(),
                data,
                "{what}: the pipe is usable after ({lay})"
            );
        });
    }
    std::panic::set_hook(prev);
}

// ------------------------------------------------------------------------------------------
// The model: random reads on random layouts against the same reads on a `&[u8]`
// ------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    U8,
    I8,
    Int { size: usize, signed: bool, le: bool },
    Uint { n: usize, le: bool },
    U24 { le: bool },
    Skip(usize),
    Bytes(usize),
    Until(Vec<u8>),
    UntilAny(Vec<u8>),
    IsNext(Vec<u8>),
    SkipIf(Vec<u8>),
    SkipAny(Vec<u8>),
    Decimal,
    Signed,
    Hex,
    BufChunk,
    BufAdvance(usize),
    BufGet { size: usize, signed: bool, le: bool },
    BufCopy(usize),
}

#[derive(Debug, Clone, PartialEq)]
enum V {
    U(u64),
    I(i64),
    B(Vec<u8>),
    BB(Vec<u8>, u8),
    Bool(bool),
    N(usize),
    Unit,
}

type Out = Result<V, E>;

fn sext(v: u64, size: usize) -> i64 {
    let sh = 64 - 8 * size as u32;
    ((v << sh) as i64) >> sh
}

fn be(b: &[u8]) -> u64 {
    b.iter().fold(0u64, |a, &x| (a << 8) | x as u64)
}

fn le(b: &[u8]) -> u64 {
    b.iter().rev().fold(0u64, |a, &x| (a << 8) | x as u64)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

struct Model {
    data: Vec<u8>,
    pos: usize,
    max_frame: usize,
}

impl Model {
    fn fixed(&mut self, k: usize) -> Result<&[u8], E> {
        if self.data.len() - self.pos < k {
            return Err(E::NeedMore);
        }
        self.pos += k;
        Ok(&self.data[self.pos - k..self.pos])
    }

    fn int(&mut self, size: usize, signed: bool, little: bool) -> Out {
        let b = self.fixed(size)?;
        let v = if little { le(b) } else { be(b) };
        Ok(if signed { V::I(sext(v, size)) } else { V::U(v) })
    }

    fn number(&mut self, radix: u32, signed: bool) -> Out {
        let rest = &self.data[self.pos..];
        let mut i = 0;
        let mut neg = false;
        if signed && rest.first() == Some(&b'-') {
            neg = true;
            i = 1;
        }
        let limit: u128 = if !signed {
            u64::MAX as u128
        } else if neg {
            1 << 63
        } else {
            (1 << 63) - 1
        };
        let start = i;
        let mut v: u128 = 0;
        while let Some(d) = rest.get(i).and_then(|&b| (b as char).to_digit(radix)) {
            v = v * radix as u128 + d as u128;
            if v > limit {
                return Err(E::Malformed);
            }
            i += 1;
        }
        if i == rest.len() {
            return Err(E::NeedMore);
        }
        if i == start {
            return Err(E::Malformed);
        }
        self.pos += i;
        Ok(if !signed {
            V::U(v as u64)
        } else if neg {
            V::I((-(v as i128)) as i64)
        } else {
            V::I(v as i64)
        })
    }

    fn apply(&mut self, op: &Op) -> Out {
        let rest = self.data[self.pos..].to_vec();
        let buffered = self.data.len();
        let limit = E::Limit {
            limit: self.max_frame,
            buffered,
        };
        match op {
            Op::U8 => self.int(1, false, false),
            Op::I8 => self.int(1, true, false),
            Op::Int { size, signed, le } => self.int(*size, *signed, *le),
            Op::Uint { n, le } => {
                if !(1..=8).contains(n) {
                    return Err(E::Invalid);
                }
                self.int(*n, false, *le)
            }
            Op::U24 { le } => self.int(3, false, *le),
            Op::Skip(n) => self.fixed(*n).map(|_| V::Unit),
            Op::Bytes(n) => self.fixed(*n).map(|b| V::B(b.to_vec())),
            Op::Until(sep) => {
                if sep.is_empty() {
                    return Err(E::Invalid);
                }
                match find(&rest, sep) {
                    Some(k) if k <= self.max_frame => {
                        self.pos += k + sep.len();
                        Ok(V::B(rest[..k].to_vec()))
                    }
                    Some(_) => Err(limit),
                    None => {
                        // NeedMore while a separator may still start within the limit.
                        let may = (0..=self.max_frame.min(rest.len()))
                            .any(|s| sep.starts_with(&rest[s..(s + sep.len()).min(rest.len())]));
                        Err(if may { E::NeedMore } else { limit })
                    }
                }
            }
            Op::UntilAny(set) => {
                if set.is_empty() {
                    return Err(E::Invalid);
                }
                match rest.iter().position(|b| set.contains(b)) {
                    Some(k) if k <= self.max_frame => {
                        self.pos += k + 1;
                        Ok(V::BB(rest[..k].to_vec(), rest[k]))
                    }
                    Some(_) => Err(limit),
                    None if rest.len() > self.max_frame => Err(limit),
                    None => Err(E::NeedMore),
                }
            }
            Op::IsNext(exp) | Op::SkipIf(exp) => {
                let n = exp.len().min(rest.len());
                if rest[..n] != exp[..n] {
                    return Ok(V::Bool(false));
                }
                if n < exp.len() {
                    return Err(E::NeedMore);
                }
                if matches!(op, Op::SkipIf(_)) {
                    self.pos += n;
                }
                Ok(V::Bool(true))
            }
            Op::SkipAny(set) => {
                if set.is_empty() {
                    return Ok(V::N(0));
                }
                let n = rest.iter().take_while(|b| set.contains(b)).count();
                if n == rest.len() {
                    return Err(E::NeedMore);
                }
                self.pos += n;
                Ok(V::N(n))
            }
            Op::Decimal => self.number(10, false),
            Op::Signed => self.number(10, true),
            Op::Hex => self.number(16, false),
            Op::BufChunk => Ok(V::Unit),
            Op::BufAdvance(n) => {
                if *n <= rest.len() {
                    self.pos += n;
                }
                Ok(V::Unit)
            }
            Op::BufGet { size, signed, le } => {
                if *size > rest.len() {
                    return Ok(V::Unit);
                }
                self.int(*size, *signed, *le)
            }
            Op::BufCopy(n) => {
                if *n > rest.len() {
                    return Ok(V::Unit);
                }
                self.fixed(*n).map(|b| V::B(b.to_vec()))
            }
        }
    }
}

/// Where the model (which says `LimitExceeded` as soon as a field is known to be too long) and
/// `until`'s documented rule differ: `until` says `LimitExceeded` once `max_frame + sep.len()`
/// bytes are buffered without a separator, `NeedMore` before. The position stays either way.
fn tolerated(op: &Op, rest: &[u8], max_frame: usize, got: &Out, want: &Out) -> bool {
    match (op, got, want) {
        (Op::Until(sep), Err(E::NeedMore), Err(E::Limit { .. })) => {
            find(rest, sep).is_none() && rest.len() < max_frame.saturating_add(sep.len())
        }
        _ => false,
    }
}

fn real(c: &mut Cursor<'_>, op: &Op) -> Out {
    let u = |v: u64| V::U(v);
    let i = |v: i64| V::I(v);
    let r = match op {
        Op::U8 => c.u8().map(|v| u(v.into())),
        Op::I8 => c.i8().map(|v| i(v.into())),
        Op::Int { size, signed, le } => match (size, signed, le) {
            (2, false, false) => c.u16_be().map(|v| u(v.into())),
            (2, false, true) => c.u16_le().map(|v| u(v.into())),
            (4, false, false) => c.u32_be().map(|v| u(v.into())),
            (4, false, true) => c.u32_le().map(|v| u(v.into())),
            (8, false, false) => c.u64_be().map(u),
            (8, false, true) => c.u64_le().map(u),
            (2, true, false) => c.i16_be().map(|v| i(v.into())),
            (2, true, true) => c.i16_le().map(|v| i(v.into())),
            (4, true, false) => c.i32_be().map(|v| i(v.into())),
            (4, true, true) => c.i32_le().map(|v| i(v.into())),
            (8, true, false) => c.i64_be().map(i),
            (8, true, true) => c.i64_le().map(i),
            _ => unreachable!(),
        },
        Op::Uint { n, le: false } => c.uint_be(*n).map(u),
        Op::Uint { n, le: true } => c.uint_le(*n).map(u),
        Op::U24 { le: false } => c.u24_be().map(|v| u(v.into())),
        Op::U24 { le: true } => c.u24_le().map(|v| u(v.into())),
        Op::Skip(n) => c.skip(*n).map(|_| V::Unit),
        Op::Bytes(n) => c.bytes(*n).map(|b| V::B(b.to_vec())),
        Op::Until(sep) => c.until(sep).map(|b| V::B(b.to_vec())),
        Op::UntilAny(set) => c.until_any(set).map(|(b, x)| V::BB(b.to_vec(), x)),
        Op::IsNext(exp) => c.is_next(exp).map(V::Bool),
        Op::SkipIf(exp) => c.skip_if(exp).map(V::Bool),
        Op::SkipAny(set) => c.skip_any(set).map(V::N),
        Op::Decimal => c.decimal().map(u),
        Op::Signed => c.signed_decimal().map(i),
        Op::Hex => c.hex().map(u),
        Op::BufChunk => Ok(V::B(c.chunk().to_vec())),
        Op::BufAdvance(n) => {
            if *n <= Buf::remaining(c) {
                c.advance(*n);
            }
            Ok(V::Unit)
        }
        Op::BufGet { size, signed, le } => {
            if *size > Buf::remaining(c) {
                return Ok(V::Unit);
            }
            Ok(match (size, signed, le) {
                (1, false, _) => u(c.get_u8().into()),
                (1, true, _) => i(c.get_i8().into()),
                (2, false, false) => u(c.get_u16().into()),
                (2, false, true) => u(c.get_u16_le().into()),
                (4, false, false) => u(c.get_u32().into()),
                (4, false, true) => u(c.get_u32_le().into()),
                (8, false, false) => u(c.get_u64()),
                (8, false, true) => u(c.get_u64_le()),
                (2, true, false) => i(c.get_i16().into()),
                (2, true, true) => i(c.get_i16_le().into()),
                (4, true, false) => i(c.get_i32().into()),
                (4, true, true) => i(c.get_i32_le().into()),
                (8, true, false) => i(c.get_i64()),
                (8, true, true) => i(c.get_i64_le()),
                _ => unreachable!(),
            })
        }
        Op::BufCopy(n) => {
            if *n > Buf::remaining(c) {
                return Ok(V::Unit);
            }
            Ok(V::B(c.copy_to_bytes(*n).to_vec()))
        }
    };
    r.map_err(e)
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let seps = prop::sample::select(vec![
        b"\r\n".to_vec(),
        b"\n".to_vec(),
        b":".to_vec(),
        b"--".to_vec(),
        b"aab".to_vec(),
        b"\r\n\r\n".to_vec(),
        b"".to_vec(),
        b"9".to_vec(),
    ]);
    let sets = prop::sample::select(vec![
        b"".to_vec(),
        b";=".to_vec(),
        b" \t".to_vec(),
        b"\r\n".to_vec(),
        b"0123456789".to_vec(),
        b"-".to_vec(),
    ]);
    let nexts = prop::sample::select(vec![
        b"".to_vec(),
        b"\r\n".to_vec(),
        b"-".to_vec(),
        b"1".to_vec(),
        b"GET ".to_vec(),
        b"aab".to_vec(),
        b"18446744073709551615".to_vec(),
    ]);
    let sizes = prop::sample::select(vec![2usize, 4, 8]);
    let fixed = prop_oneof![
        Just(Op::U8),
        Just(Op::I8),
        (sizes, any::<bool>(), any::<bool>()).prop_map(|(size, signed, le)| Op::Int {
            size,
            signed,
            le
        }),
        (0usize..=9, any::<bool>()).prop_map(|(n, le)| Op::Uint { n, le }),
        any::<bool>().prop_map(|le| Op::U24 { le }),
        (0usize..12).prop_map(Op::Skip),
        (0usize..12).prop_map(Op::Bytes),
    ];
    let search = prop_oneof![
        seps.prop_map(Op::Until),
        sets.clone().prop_map(Op::UntilAny),
        nexts.clone().prop_map(Op::IsNext),
        nexts.prop_map(Op::SkipIf),
        sets.prop_map(Op::SkipAny),
    ];
    let numbers = prop_oneof![Just(Op::Decimal), Just(Op::Signed), Just(Op::Hex)];
    let buf = prop_oneof![
        Just(Op::BufChunk),
        (0usize..10).prop_map(Op::BufAdvance),
        (
            prop::sample::select(vec![1usize, 2, 4, 8]),
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(|(size, signed, le)| Op::BufGet { size, signed, le }),
        (0usize..10).prop_map(Op::BufCopy),
    ];
    prop_oneof![3 => fixed, 3 => search, 3 => numbers, 2 => buf]
}

fn data_strategy() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        "[0-9]{0,22}".prop_map(String::into_bytes),
        "-?[0-9]{1,20}".prop_map(String::into_bytes),
        "[0-9a-fA-F]{0,18}".prop_map(String::into_bytes),
        prop::sample::select(vec![
            b"18446744073709551615".to_vec(),
            b"18446744073709551616".to_vec(),
            b"9223372036854775807".to_vec(),
            b"-9223372036854775808".to_vec(),
            b"-9223372036854775809".to_vec(),
            b"ffffffffffffffff".to_vec(),
            b"0000000000000000000000001".to_vec(),
            b"\r\n".to_vec(),
            b"\r".to_vec(),
            b"-".to_vec(),
            b"--".to_vec(),
            b":".to_vec(),
            b";".to_vec(),
            b"=".to_vec(),
            b"  \t".to_vec(),
            b"aab".to_vec(),
            b"GET ".to_vec(),
        ]),
        prop::collection::vec(any::<u8>(), 0..6),
    ];
    prop::collection::vec(token, 0..10).prop_map(|t| t.concat())
}

#[derive(Debug, Clone)]
struct Layout {
    small_chunks: bool,
    pad: usize,
    /// Cut points (taken modulo the data's length + 1) and how each piece goes in.
    cuts: Vec<(usize, u8)>,
    max_frame: usize,
}

fn layout_strategy() -> impl Strategy<Value = Layout> {
    (
        any::<bool>(),
        0usize..70,
        prop::collection::vec((0usize..1000, 0u8..3), 0..12),
        prop_oneof![2 => Just(UNLIMITED), 1 => 0usize..30],
    )
        .prop_map(|(small_chunks, pad, cuts, max_frame)| Layout {
            small_chunks,
            pad,
            cuts,
            max_frame,
        })
}

fn build(data: &[u8], l: &Layout) -> Pipe {
    let mut pipe = Pipe::with_options(if l.small_chunks {
        small_opts(l.max_frame)
    } else {
        opts(l.max_frame)
    });
    pipe.write_all(&vec![b'#'; l.pad]).unwrap();
    let mut cuts: Vec<(usize, u8)> = l
        .cuts
        .iter()
        .map(|&(c, k)| (c % (data.len() + 1), k))
        .collect();
    cuts.sort();
    cuts.push((data.len(), 0));
    let mut at = 0;
    for (cut, kind) in cuts {
        let piece = &data[at..cut.max(at)];
        match kind {
            0 => {
                for p in piece.chunks(5) {
                    pipe.write_all(p).unwrap();
                }
            }
            1 => pipe.append_bytes(seg(piece)).unwrap(),
            _ => {
                pipe.append_bytes(Bytes::new()).unwrap();
                pipe.write_all(piece).unwrap();
            }
        }
        at = cut.max(at);
    }
    assert_eq!(pipe.skip(l.pad), l.pad);
    pipe
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn cursor_reads_match_a_slice_model(
        data in data_strategy(),
        layout in layout_strategy(),
        rounds in prop::collection::vec((prop::collection::vec(op_strategy(), 0..20), any::<bool>()), 1..4),
    ) {
        let mut pipe = build(&data, &layout);
        prop_assert_eq!(contents(&pipe), data.clone());
        let mut left = data.clone();
        for (ops, commit) in rounds {
            let mut m = Model { data: left.clone(), pos: 0, max_frame: layout.max_frame };
            let mut c = pipe.cursor();
            for op in &ops {
                let got = real(&mut c, op);
                if let Op::BufChunk = op {
                    let rest = &m.data[m.pos..];
                    let Ok(V::B(chunk)) = got else { unreachable!() };
                    prop_assert!(rest.starts_with(&chunk), "chunk {:?} not a prefix of {:?}", chunk, rest);
                    prop_assert_eq!(chunk.is_empty(), rest.is_empty(), "chunk {:?} with rest {:?}", chunk, rest);
                } else {
                    let rest = m.data[m.pos..].to_vec();
                    let want = m.apply(op);
                    if got == want || !tolerated(op, &rest, layout.max_frame, &got, &want) {
                        prop_assert_eq!(&got, &want, "{:?} on {:?} (max_frame {})", op, String::from_utf8_lossy(&rest), layout.max_frame);
                    }
                }
                prop_assert_eq!(c.position(), m.pos, "position after {:?}", op);
                prop_assert_eq!(c.remaining(), m.data.len() - m.pos);
                prop_assert_eq!(Buf::remaining(&c), m.data.len() - m.pos);
            }
            if commit {
                c.commit();
                left.drain(..m.pos);
            } else {
                drop(c);
            }
            prop_assert_eq!(contents(&pipe), left.clone());
            prop_assert_eq!(pipe.len(), left.len());
        }
    }
}
