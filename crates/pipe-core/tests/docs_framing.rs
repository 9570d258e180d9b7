//! The framing layer's runtime-free half, tested from its documentation alone: the
//! `pipe_core::codec` traits and codecs (`LinesCodec`, `AnyDelimiterCodec`,
//! `LengthDelimitedCodec` with every builder option, `BytesCodec`) and `Pipe::cursor()`.
//!
//! Each documented behaviour is checked plainly, at its limits (one under, at, one over), after
//! an error (the next call), with input arriving one byte at a time or across segments, and with
//! arbitrary bytes (never a panic).

// The tests drop cursors without committing, as the docs do (`drop(cursor); // not committed`).
#![allow(clippy::drop_non_drop)]

use std::io;

use pipe_core::codec::{
    AnyDelimiterCodec, AnyDelimiterCodecError, BytesCodec, Decoder, Encoder, LengthDelimitedCodec,
    LengthDelimitedCodecError, LinesCodec, LinesCodecError,
};
use pipe_core::{Bytes, Pipe, PipeOptions, ReadError};

// ---------------------------------------------------------------------------------------------
// Helpers.

/// A small deterministic generator (xorshift), so the random loops are reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn bytes(&mut self, n: usize, alphabet: &[u8]) -> Vec<u8> {
        (0..n)
            .map(|_| alphabet[self.below(alphabet.len())])
            .collect()
    }
}

/// A pipe holding `data`, one segment per byte (each byte appended as a segment of its own:
/// "The next write starts a fresh chunk").
fn pipe_of_segments(data: &[u8]) -> Pipe {
    let mut pipe = Pipe::new();
    for b in data {
        pipe.append_bytes(Bytes::copy_from_slice(&[*b])).unwrap();
    }
    pipe
}

/// Every frame `codec` decodes when `input` is written one byte at a time, with a decode
/// attempt after every byte, then the end and `decode_eof` until `None`.
fn decode_bytewise<D: Decoder>(codec: &mut D, input: &[u8]) -> Vec<Result<D::Item, String>>
where
    D::Error: std::fmt::Debug,
{
    let mut pipe = Pipe::new();
    let mut out = Vec::new();
    for b in input {
        pipe.write_all(&[*b]).unwrap();
        loop {
            match codec.decode(&mut pipe) {
                Ok(Some(f)) => out.push(Ok(f)),
                Ok(None) => break,
                Err(e) => {
                    out.push(Err(format!("{e:?}")));
                    break;
                }
            }
        }
    }
    pipe.eof().unwrap();
    for _ in 0..4 {
        match codec.decode_eof(&mut pipe) {
            Ok(Some(f)) => out.push(Ok(f)),
            Ok(None) => break,
            Err(e) => {
                out.push(Err(format!("{e:?}")));
                break;
            }
        }
    }
    out
}

fn ok_frames(v: &[Result<Bytes, String>]) -> Vec<&[u8]> {
    v.iter()
        .map(|r| r.as_ref().expect("only frames expected").as_ref())
        .collect()
}

/// What a decoder gives on a pipe closed with an error once its buffered frames are out: the
/// docs do not say whether the decoder reports the stream error or leaves it to the framed
/// reader (`Ok(None)`); either is accepted, never a frame.
fn expect_io_or_none<T: std::fmt::Debug>(r: Result<Option<T>, io::Error>) {
    match r {
        Ok(None) => {}
        Err(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
        other => panic!("{other:?}"),
    }
}

fn reset() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "peer reset")
}

// ---------------------------------------------------------------------------------------------
// The Decoder trait's default `decode_eof`.

/// The docs' example decoder: a 1-byte length, then the body.
struct Short;

impl Decoder for Short {
    type Item = Bytes;
    type Error = io::Error;
    fn decode(&mut self, src: &mut Pipe) -> io::Result<Option<Bytes>> {
        let mut cursor = src.cursor();
        let read = cursor.u8().and_then(|n| cursor.bytes(n as usize));
        match read {
            Ok(body) => {
                cursor.commit();
                Ok(Some(body))
            }
            Err(ReadError::NeedMore) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// mod.rs: "At the end of the stream: the last frames. The default decodes, and when no frame
/// comes and bytes are left, fails with an `UnexpectedEof` error saying how many (they are not
/// consumed)."
#[test]
fn default_decode_eof_frames_then_none_then_unexpected_eof() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"\x02hi\x01y").unwrap();
    pipe.eof().unwrap();
    assert_eq!(Short.decode_eof(&mut pipe).unwrap().unwrap(), "hi");
    assert_eq!(Short.decode_eof(&mut pipe).unwrap().unwrap(), "y");
    assert!(Short.decode_eof(&mut pipe).unwrap().is_none());
    // Again after the end: still nothing, no panic.
    assert!(Short.decode_eof(&mut pipe).unwrap().is_none());

    let mut pipe = Pipe::new();
    pipe.write_all(b"\x05he").unwrap();
    pipe.eof().unwrap();
    for _ in 0..2 {
        let err = Short.decode_eof(&mut pipe).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(
            err.to_string().contains('3'),
            "the error says how many bytes are left: {err}"
        );
        assert_eq!(pipe.len(), 3, "the bytes left are not consumed");
    }
}

/// mod.rs: a decoder "either returns a frame (consuming it) or `Ok(None)` having consumed
/// nothing"; the docs' example at each length, one byte short and complete.
#[test]
fn cursor_decoder_consumes_nothing_until_complete() {
    for len in [0usize, 1, 7, 255] {
        let mut frame = vec![len as u8];
        frame.extend((0..len).map(|i| i as u8));
        let mut pipe = Pipe::new();
        pipe.write_all(&frame[..frame.len() - 1]).unwrap();
        if len > 0 {
            assert!(Short.decode(&mut pipe).unwrap().is_none());
            assert_eq!(pipe.len(), frame.len() - 1);
        }
        pipe.write_all(&frame[frame.len() - 1..]).unwrap();
        if len == 0 {
            // The 0-length frame was complete with its header alone.
            assert_eq!(Short.decode(&mut pipe).unwrap().unwrap(), "");
            pipe.write_all(&[0]).unwrap();
        }
        let got = Short.decode(&mut pipe).unwrap().unwrap();
        assert_eq!(got.as_ref(), &frame[1..]);
        assert!(pipe.is_empty());
    }
}

// ---------------------------------------------------------------------------------------------
// LinesCodec.

/// lines_codec.rs:12-13: lines as `Bytes`, the ending stripped; written with `\n`.
#[test]
fn lines_plain_both_endings_and_encode() {
    let mut codec = LinesCodec::new();
    let mut pipe = Pipe::new();
    pipe.write_all(b"a\r\nb\n\n\r\nc\rd\n").unwrap();
    let mut got = Vec::new();
    while let Some(line) = codec.decode(&mut pipe).unwrap() {
        got.push(line);
    }
    assert_eq!(got, ["a", "b", "", "", "c\rd"]);
    assert!(pipe.is_empty());

    let mut out = Pipe::new();
    codec.encode("hi", &mut out).unwrap();
    codec.encode(b"".as_slice(), &mut out).unwrap();
    codec.encode(String::from("x y"), &mut out).unwrap();
    assert_eq!(out.read_exact(out.len()).unwrap(), "hi\n\nx y\n");
}

/// lines_codec.rs:15 and README "A line's ending is not counted, `\n` or `\r\n`": one under, at
/// and one over the maximum, with either ending.
#[test]
fn lines_max_length_limits_with_either_ending() {
    for max in [0usize, 1, 4, 100] {
        for ending in [&b"\n"[..], b"\r\n"] {
            for len in [max.saturating_sub(1), max, max + 1] {
                let mut codec = LinesCodec::new_with_max_length(max);
                let mut pipe = Pipe::new();
                let line = vec![b'x'; len];
                pipe.write_all(&line).unwrap();
                pipe.write_all(ending).unwrap();
                pipe.write_all(b"\n").unwrap(); // an empty line after it
                let first = codec.decode(&mut pipe);
                if len <= max {
                    assert_eq!(
                        first.unwrap().unwrap().as_ref(),
                        &line[..],
                        "max {max}, len {len}, ending {ending:?}"
                    );
                } else {
                    assert!(
                        matches!(first, Err(LinesCodecError::MaxLineLengthExceeded)),
                        "max {max}, len {len}, ending {ending:?}: {first:?}"
                    );
                }
                // Either way, the next line comes next (the long one was dropped through its \n).
                assert_eq!(codec.decode(&mut pipe).unwrap().unwrap(), "");
                assert!(codec.decode(&mut pipe).unwrap().is_none());
                assert!(pipe.is_empty());
            }
        }
    }
}

/// lines_codec.rs:15-17: "gives one `MaxLineLengthExceeded`; it is then dropped through its `\n`
/// and decoding goes on": the long line arriving a byte at a time gives the error once, not at
/// every later call, and nothing of it comes out.
#[test]
fn lines_long_line_error_once_then_dropped_bytewise() {
    let mut codec = LinesCodec::new_with_max_length(3);
    let input = b"ab\nthis line is far too long\r\ncd\r\nxyz";
    let got = decode_bytewise(&mut codec, input);
    let errors = got.iter().filter(|r| r.is_err()).count();
    assert_eq!(errors, 1, "{got:?}");
    let frames: Vec<_> = got.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(frames, [&"ab", &"cd", &"xyz"]);
}

/// The long line whose `\n` has not arrived yet: error, then `None` (discarding), and then the
/// next line once the `\n` comes, nothing of the long line's tail in it.
#[test]
fn lines_after_error_discards_until_newline_across_writes() {
    let mut codec = LinesCodec::new_with_max_length(4);
    let mut pipe = Pipe::new();
    pipe.write_all(b"0123456789").unwrap();
    assert!(matches!(
        codec.decode(&mut pipe),
        Err(LinesCodecError::MaxLineLengthExceeded)
    ));
    assert!(codec.decode(&mut pipe).unwrap().is_none());
    pipe.write_all(b"more tail without end").unwrap();
    assert!(codec.decode(&mut pipe).unwrap().is_none());
    pipe.write_all(b"tail\nok\n").unwrap();
    assert_eq!(codec.decode(&mut pipe).unwrap().unwrap(), "ok");
    assert!(codec.decode(&mut pipe).unwrap().is_none());
}

/// lines_codec.rs:97: `LinesCodec::new()` is "bounded only by memory": a line far above the
/// pipe's own maximum frame (64 KiB by default) is still a line.
#[test]
fn lines_unbounded_codec_passes_pipe_max_frame() {
    let mut codec = LinesCodec::new();
    let mut pipe = Pipe::new();
    let long = vec![b'q'; 200 * 1024];
    pipe.write_all(&long).unwrap();
    assert!(codec.decode(&mut pipe).unwrap().is_none());
    pipe.write_all(b"\r\n").unwrap();
    assert_eq!(codec.decode(&mut pipe).unwrap().unwrap().len(), long.len());
    // And a codec limit above a small pipe limit is the one in force.
    let mut codec = LinesCodec::new_with_max_length(1000);
    let mut pipe = Pipe::with_options(PipeOptions::new().max_frame(10));
    pipe.write_all(&[b'z'; 1000]).unwrap();
    pipe.write_all(b"\n").unwrap();
    assert_eq!(codec.decode(&mut pipe).unwrap().unwrap().len(), 1000);
    assert_eq!(pipe.max_frame(), 10, "the pipe's limit is put back");
}

/// lines_codec.rs:17-18: at the end a last line without `\n` is a line; then `None`.
#[test]
fn lines_decode_eof_last_line_then_none() {
    let mut codec = LinesCodec::new_with_max_length(4);
    let mut pipe = Pipe::new();
    pipe.write_all(b"one\nthr").unwrap();
    pipe.eof().unwrap();
    assert_eq!(codec.decode_eof(&mut pipe).unwrap().unwrap(), "one");
    assert_eq!(codec.decode_eof(&mut pipe).unwrap().unwrap(), "thr");
    for _ in 0..3 {
        assert!(codec.decode_eof(&mut pipe).unwrap().is_none());
        assert!(codec.decode(&mut pipe).unwrap().is_none());
    }
    // A last line with `\r` before the end: the docs strip `\r` only before `\n`.
    let mut pipe = Pipe::new();
    pipe.write_all(b"ab").unwrap();
    pipe.eof().unwrap();
    assert_eq!(codec.decode_eof(&mut pipe).unwrap().unwrap(), "ab");
    // An empty closed pipe: no line at all.
    let mut pipe = Pipe::new();
    pipe.eof().unwrap();
    assert!(codec.decode_eof(&mut pipe).unwrap().is_none());
}

/// The last line at the end, one under, at and one over the maximum: no line longer than the
/// maximum ever comes out.
#[test]
fn lines_decode_eof_last_line_at_the_limit() {
    for len in [3usize, 4, 5] {
        let mut codec = LinesCodec::new_with_max_length(4);
        let mut pipe = Pipe::new();
        pipe.write_all(&vec![b'a'; len]).unwrap();
        pipe.eof().unwrap();
        let r = codec.decode_eof(&mut pipe);
        if len <= 4 {
            assert_eq!(r.unwrap().unwrap().len(), len);
        } else {
            assert!(
                matches!(r, Err(LinesCodecError::MaxLineLengthExceeded)),
                "len {len}: {r:?}"
            );
        }
        // Whatever came, the next call is the end, not a panic and not the error again forever.
        let mut rounds = 0;
        while let Err(_) | Ok(Some(_)) = codec.decode_eof(&mut pipe) {
            rounds += 1;
            assert!(rounds < 3, "len {len}: decode_eof repeats");
        }
    }
}

/// lines_codec.rs:186: "A line over the maximum length is refused, nothing written."
#[test]
fn lines_encode_limits_nothing_written_when_refused() {
    let mut codec = LinesCodec::new_with_max_length(4);
    let mut out = Pipe::new();
    codec.encode("abc", &mut out).unwrap();
    codec.encode("abcd", &mut out).unwrap();
    let before = out.len();
    assert!(codec.encode("abcde", &mut out).is_err());
    assert_eq!(out.len(), before, "nothing written");
    codec.encode("z", &mut out).unwrap(); // and it goes on
    assert_eq!(out.read_exact(out.len()).unwrap(), "abc\nabcd\nz\n");
}

/// lines_codec.rs:74: "The transport's error as it was; a codec error as `InvalidData`, the
/// codec error inside."
#[test]
fn lines_error_conversions() {
    let e: io::Error = LinesCodecError::MaxLineLengthExceeded.into();
    assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    let inner = e.get_ref().expect("the codec error inside");
    assert!(
        inner.downcast_ref::<LinesCodecError>().is_some(),
        "{inner:?}"
    );
    let e: io::Error = LinesCodecError::Io(reset()).into();
    assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
    assert!(
        matches!(LinesCodecError::from(reset()), LinesCodecError::Io(e) if e.kind() == io::ErrorKind::ConnectionReset)
    );
    assert!(
        !LinesCodecError::MaxLineLengthExceeded
            .to_string()
            .is_empty()
    );
}

/// README "After a stream error, reads the buffered bytes can serve still succeed; every other
/// read returns the same error": lines before the error, then `Io` every time, nothing lost.
#[test]
fn lines_after_stream_error() {
    let mut codec = LinesCodec::new();
    let mut pipe = Pipe::new();
    pipe.write_all(b"a\nb\npart").unwrap();
    pipe.eof_with_error(reset()).unwrap();
    assert_eq!(codec.decode(&mut pipe).unwrap().unwrap(), "a");
    assert_eq!(codec.decode(&mut pipe).unwrap().unwrap(), "b");
    for _ in 0..3 {
        match codec.decode(&mut pipe) {
            Err(LinesCodecError::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        pipe.len(),
        4,
        "the partial line is not consumed by the error"
    );
}

// ---------------------------------------------------------------------------------------------
// AnyDelimiterCodec.

/// any_delimiter_codec.rs:11-15: chunks end in any of the delimiters (not included); written
/// with the sequence after them; empty chunks are chunks.
#[test]
fn any_delimiter_plain_and_encode() {
    let mut codec = AnyDelimiterCodec::new(b",;".to_vec(), b"|\r\n".to_vec());
    let mut pipe = Pipe::new();
    pipe.write_all(b"a,b;;c,,").unwrap();
    let mut got = Vec::new();
    while let Some(c) = codec.decode(&mut pipe).unwrap() {
        got.push(c);
    }
    assert_eq!(got, ["a", "b", "", "c", ""]);
    assert!(pipe.is_empty());
    let mut out = Pipe::new();
    codec.encode("x", &mut out).unwrap();
    codec.encode(b"".as_slice(), &mut out).unwrap();
    assert_eq!(out.read_exact(out.len()).unwrap(), "x|\r\n|\r\n");
}

/// any_delimiter_codec.rs:12-14,37: one under, at, one over the maximum (delimiter not
/// counted); the long chunk gives one error, is dropped through its delimiter, decoding goes
/// on.
#[test]
fn any_delimiter_max_length_limits() {
    for max in [0usize, 1, 5] {
        for len in [max.saturating_sub(1), max, max + 1] {
            let mut codec =
                AnyDelimiterCodec::new_with_max_length(b",;".to_vec(), b",".to_vec(), max);
            let mut pipe = Pipe::new();
            let chunk = vec![b'k'; len];
            pipe.write_all(&chunk).unwrap();
            pipe.write_all(b";next,").unwrap();
            let r = codec.decode(&mut pipe);
            if len <= max {
                assert_eq!(
                    r.unwrap().unwrap().as_ref(),
                    &chunk[..],
                    "max {max} len {len}"
                );
            } else {
                assert!(
                    matches!(r, Err(AnyDelimiterCodecError::MaxChunkLengthExceeded)),
                    "max {max} len {len}: {r:?}"
                );
            }
            let next = codec.decode(&mut pipe);
            if max >= 4 {
                assert_eq!(next.unwrap().unwrap(), "next", "max {max} len {len}");
            } else {
                assert!(matches!(
                    next,
                    Err(AnyDelimiterCodecError::MaxChunkLengthExceeded)
                ));
            }
            assert!(codec.decode(&mut pipe).unwrap().is_none());
            assert!(pipe.is_empty());
        }
    }
}

/// The long chunk arriving a byte at a time: one error, nothing of it after.
#[test]
fn any_delimiter_long_chunk_bytewise() {
    let mut codec = AnyDelimiterCodec::new_with_max_length(b",;".to_vec(), b",".to_vec(), 3);
    let got = decode_bytewise(&mut codec, b"ab,abcdefgh;cd,xy");
    assert_eq!(got.iter().filter(|r| r.is_err()).count(), 1, "{got:?}");
    let frames: Vec<_> = got.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(frames, [&"ab", &"cd", &"xy"]);
}

/// any_delimiter_codec.rs:14-15 and :189: the last chunk at the end; encode refuses a long one
/// and writes nothing.
#[test]
fn any_delimiter_eof_and_encode_limit() {
    let mut codec = AnyDelimiterCodec::new_with_max_length(b",".to_vec(), b",".to_vec(), 3);
    let mut pipe = Pipe::new();
    pipe.write_all(b"a,bc").unwrap();
    pipe.eof().unwrap();
    assert_eq!(codec.decode_eof(&mut pipe).unwrap().unwrap(), "a");
    assert_eq!(codec.decode_eof(&mut pipe).unwrap().unwrap(), "bc");
    assert!(codec.decode_eof(&mut pipe).unwrap().is_none());
    assert!(codec.decode_eof(&mut pipe).unwrap().is_none());

    let mut out = Pipe::new();
    codec.encode("abc", &mut out).unwrap();
    assert!(codec.encode("abcd", &mut out).is_err());
    assert_eq!(out.read_exact(out.len()).unwrap(), "abc,");

    let e: io::Error = AnyDelimiterCodecError::MaxChunkLengthExceeded.into();
    assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    assert!(
        e.get_ref()
            .unwrap()
            .downcast_ref::<AnyDelimiterCodecError>()
            .is_some()
    );
    let e: io::Error = AnyDelimiterCodecError::from(reset()).into();
    assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
}

/// `AnyDelimiterCodec::new` is "of any length": past the pipe's own 64 KiB limit.
#[test]
fn any_delimiter_unbounded_passes_pipe_max_frame() {
    let mut codec = AnyDelimiterCodec::new(b";".to_vec(), b";".to_vec());
    let mut pipe = Pipe::new();
    pipe.write_all(&vec![b'w'; 100 * 1024]).unwrap();
    assert!(codec.decode(&mut pipe).unwrap().is_none());
    pipe.write_all(b";").unwrap();
    assert_eq!(codec.decode(&mut pipe).unwrap().unwrap().len(), 100 * 1024);
}

/// After a stream error: buffered chunks first, then `Io` each time.
#[test]
fn any_delimiter_after_stream_error() {
    let mut codec = AnyDelimiterCodec::new(b",".to_vec(), b",".to_vec());
    let mut pipe = Pipe::new();
    pipe.write_all(b"a,rest").unwrap();
    pipe.eof_with_error(reset()).unwrap();
    assert_eq!(codec.decode(&mut pipe).unwrap().unwrap(), "a");
    for _ in 0..2 {
        expect_io_or_none(codec.decode(&mut pipe).map_err(io::Error::from));
        assert_eq!(pipe.len(), 4, "nothing of the partial chunk consumed");
    }
}

/// `Pipe::eof_with_error`: "readers get the buffered data, then this error on every read that
/// the buffered data cannot serve"; `LinesCodec::decode_eof` does so (its partial last line is
/// not a line, the error comes every time). `AnyDelimiterCodec::decode_eof` should not hand the
/// partial last chunk out as if the stream had ended cleanly and then drop the error.
#[test]

fn any_delimiter_decode_eof_after_stream_error_reports_it() {
    let mut lines = LinesCodec::new();
    let mut pipe = Pipe::new();
    pipe.write_all(b"rest").unwrap();
    pipe.eof_with_error(reset()).unwrap();
    let e: io::Error = lines.decode_eof(&mut pipe).unwrap_err().into();
    assert_eq!(
        e.kind(),
        io::ErrorKind::ConnectionReset,
        "LinesCodec, for comparison"
    );

    let mut codec = AnyDelimiterCodec::new(b",".to_vec(), b",".to_vec());
    let mut pipe = Pipe::new();
    pipe.write_all(b"rest").unwrap();
    pipe.eof_with_error(reset()).unwrap();
    let r = codec.decode_eof(&mut pipe);
    assert!(
        matches!(&r, Err(AnyDelimiterCodecError::Io(e)) if e.kind() == io::ErrorKind::ConnectionReset),
        "{r:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// LengthDelimitedCodec.

/// length_delimited.rs:17-18: "by default a 4-byte big-endian length, then that many bytes, at
/// most 8 MiB"; encode writes the length then the payload; empty frames are frames.
#[test]
fn ldc_default_round_trip() {
    let mut codec = LengthDelimitedCodec::new();
    assert_eq!(codec.max_frame_length(), 8 << 20);
    let mut out = Pipe::new();
    codec
        .encode(Bytes::from_static(b"hello"), &mut out)
        .unwrap();
    codec.encode(Bytes::new(), &mut out).unwrap();
    assert_eq!(
        out.peek(out.len()).unwrap(),
        &b"\0\0\0\x05hello\0\0\0\0"[..]
    );
    assert_eq!(codec.decode(&mut out).unwrap().unwrap(), "hello");
    assert_eq!(codec.decode(&mut out).unwrap().unwrap(), "");
    assert!(codec.decode(&mut out).unwrap().is_none());
    assert_eq!(
        LengthDelimitedCodec::default().max_frame_length(),
        LengthDelimitedCodec::new().max_frame_length()
    );
}

/// Payloads around the 4 KiB line (copied below, appended whole from it) and above the pipe's
/// 64 KiB limit (the codec's 8 MiB is the one in force): every one round-trips.
#[test]
fn ldc_payload_sizes_round_trip() {
    let mut codec = LengthDelimitedCodec::new();
    let mut rng = Rng(7);
    for size in [4095usize, 4096, 4097, 65536, 200_000] {
        let payload = Bytes::from(rng.bytes(size, b"abcdefgh\r\n\0"));
        let mut out = Pipe::new();
        codec.encode(payload.clone(), &mut out).unwrap();
        assert_eq!(out.len(), 4 + size);
        assert_eq!(
            codec.decode(&mut out).unwrap().unwrap(),
            payload,
            "size {size}"
        );
        assert!(out.is_empty());
    }
}

/// length_delimited.rs:15-16: "the header either parses whole and the frame is taken in one
/// step, or nothing is consumed" — every prefix of a frame, written at once and byte by byte.
#[test]
fn ldc_partial_frames_consume_nothing() {
    let mut frame = vec![0, 0, 0, 6];
    frame.extend_from_slice(b"abcdef");
    for cut in 0..frame.len() {
        let mut codec = LengthDelimitedCodec::new();
        let mut pipe = pipe_of_segments(&frame[..cut]);
        assert!(codec.decode(&mut pipe).unwrap().is_none(), "cut {cut}");
        assert_eq!(pipe.len(), cut, "nothing consumed at cut {cut}");
        for b in &frame[cut..] {
            pipe.append_bytes(Bytes::copy_from_slice(&[*b])).unwrap();
        }
        assert_eq!(codec.decode(&mut pipe).unwrap().unwrap(), "abcdef");
    }
    let mut codec = LengthDelimitedCodec::new();
    let mut input = Vec::new();
    for i in 0..20u8 {
        input.extend_from_slice(&[0, 0, 0, i]);
        input.extend((0..i).map(|j| j ^ i));
    }
    let got = decode_bytewise(&mut codec, &input);
    let frames = ok_frames(&got);
    assert_eq!(frames.len(), 20);
    for (i, f) in frames.iter().enumerate() {
        let want: Vec<u8> = (0..i as u8).map(|j| j ^ i as u8).collect();
        assert_eq!(*f, &want[..]);
    }
}

/// length_delimited.rs:197 and :80: one under, at and one over `max_frame_length` (the
/// adjusted length), decoding and encoding; the error says the length and the maximum; nothing
/// consumed or written.
#[test]
fn ldc_max_frame_length_limits() {
    let max = 10usize;
    for len in [max - 1, max, max + 1] {
        let mut codec = LengthDelimitedCodec::builder()
            .max_frame_length(max)
            .new_codec();
        let mut pipe = Pipe::new();
        pipe.write_all(&(len as u32).to_be_bytes()).unwrap();
        // Only the header: a refusal must not wait for the body.
        let r = codec.decode(&mut pipe);
        if len <= max {
            assert!(r.unwrap().is_none());
            pipe.write_all(&vec![b'x'; len]).unwrap();
            assert_eq!(codec.decode(&mut pipe).unwrap().unwrap().len(), len);
        } else {
            match r {
                Err(LengthDelimitedCodecError::FrameTooBig { length, max: m }) => {
                    assert_eq!((length, m), (len as u64, max));
                }
                other => panic!("len {len}: {other:?}"),
            }
            assert_eq!(pipe.len(), 4, "nothing consumed");
            // The next call: framing is lost, nothing is consumed, no panic.
            assert!(codec.decode(&mut pipe).is_err());
            assert_eq!(pipe.len(), 4);
        }
        let mut out = Pipe::new();
        let r = codec.encode(Bytes::from(vec![b'y'; len]), &mut out);
        if len <= max {
            r.unwrap();
            assert_eq!(out.len(), 4 + len);
        } else {
            assert!(r.is_err(), "len {len}");
            assert_eq!(out.len(), 0, "nothing written");
        }
    }
}

/// length_delimited.rs:166: the field is 1 to 8 bytes; "others are clamped into that range".
/// Encoding writes an n-byte big-endian length; decoding reads it back; 0 acts as 1, 9 as 8.
#[test]
fn ldc_length_field_length_each_size_and_clamped() {
    for (asked, real) in [
        (0usize, 1usize),
        (1, 1),
        (2, 2),
        (3, 3),
        (4, 4),
        (5, 5),
        (7, 7),
        (8, 8),
        (9, 8),
        (100, 8),
    ] {
        let mut codec = LengthDelimitedCodec::builder()
            .length_field_length(asked)
            .new_codec();
        let mut out = Pipe::new();
        codec.encode(Bytes::from_static(b"abc"), &mut out).unwrap();
        let mut want = vec![0u8; real];
        want[real - 1] = 3;
        want.extend_from_slice(b"abc");
        assert_eq!(out.peek(out.len()).unwrap(), &want[..], "asked {asked}");
        assert_eq!(codec.decode(&mut out).unwrap().unwrap(), "abc");
    }
}

/// length_delimited.rs:178: little-endian fields of every size.
#[test]
fn ldc_little_endian_each_size() {
    for n in 1..=8usize {
        let mut codec = LengthDelimitedCodec::builder()
            .length_field_length(n)
            .little_endian()
            .new_codec();
        let mut out = Pipe::new();
        codec.encode(Bytes::from(vec![7u8; 200]), &mut out).unwrap();
        let mut want = vec![0u8; n];
        want[0] = 200;
        assert_eq!(out.peek(n).unwrap(), &want[..], "size {n}");
        assert_eq!(codec.decode(&mut out).unwrap().unwrap().len(), 200);
        // And big_endian() after little_endian() is big-endian again.
        let mut codec = LengthDelimitedCodec::builder()
            .length_field_length(n)
            .little_endian()
            .big_endian()
            .new_codec();
        let mut out = Pipe::new();
        codec.encode(Bytes::from(vec![7u8; 200]), &mut out).unwrap();
        assert_eq!(out.peek(n).unwrap()[n - 1], 200);
    }
}

/// length_delimited.rs:92: "The payload's length cannot be written in the length field":
/// a 1-byte field at 255 and 256, a 2-byte one at 65535 and 65536; nothing written.
#[test]
fn ldc_payload_too_long_for_field() {
    for (n, fits) in [(1usize, 255usize), (2, 65535)] {
        let mut codec = LengthDelimitedCodec::builder()
            .length_field_length(n)
            .new_codec();
        let mut out = Pipe::new();
        codec
            .encode(Bytes::from(vec![1u8; fits]), &mut out)
            .unwrap();
        assert_eq!(out.len(), n + fits);
        let mut out = Pipe::new();
        match codec.encode(Bytes::from(vec![1u8; fits + 1]), &mut out) {
            Err(LengthDelimitedCodecError::PayloadTooLong { length }) => {
                assert_eq!(length, fits + 1)
            }
            other => panic!("field {n}: {other:?}"),
        }
        assert_eq!(out.len(), 0, "nothing written");
    }
}

/// length_delimited.rs:160,191: an offset before the field; by default the offset and the
/// field are dropped from the frame; `num_skip` keeps part or all of the header.
#[test]
fn ldc_offset_and_num_skip() {
    // [type, flags][len u16 BE][body]
    let input = [0xAA, 0xBB, 0, 3, b'x', b'y', b'z'];
    let mut codec = LengthDelimitedCodec::builder()
        .length_field_offset(2)
        .length_field_length(2)
        .new_codec();
    let mut pipe = Pipe::new();
    pipe.write_all(&input).unwrap();
    assert_eq!(codec.decode(&mut pipe).unwrap().unwrap(), "xyz");
    for skip in [0usize, 1, 2, 4] {
        let mut codec = LengthDelimitedCodec::builder()
            .length_field_offset(2)
            .length_field_length(2)
            .num_skip(skip)
            .new_codec();
        let mut pipe = Pipe::new();
        pipe.write_all(&input).unwrap();
        pipe.write_all(&input).unwrap();
        for _ in 0..2 {
            assert_eq!(
                codec.decode(&mut pipe).unwrap().unwrap().as_ref(),
                &input[skip..],
                "skip {skip}"
            );
        }
        assert!(pipe.is_empty());
    }
    // The offset bytes alone, and one byte of the field: need more, nothing consumed.
    let mut codec = LengthDelimitedCodec::builder()
        .length_field_offset(2)
        .length_field_length(2)
        .new_codec();
    let mut pipe = Pipe::new();
    pipe.write_all(&input[..3]).unwrap();
    assert!(codec.decode(&mut pipe).unwrap().is_none());
    assert_eq!(pipe.len(), 3);
}

/// length_delimited.rs:184-185: the adjustment, e.g. `-4` for a 4-byte field that counts
/// itself, decoding and encoding ("the payload's length less the adjustment"); and a positive
/// one (a trailer the field does not count).
#[test]
fn ldc_length_adjustment_both_signs() {
    let mut codec = LengthDelimitedCodec::builder()
        .length_adjustment(-4)
        .new_codec();
    let mut out = Pipe::new();
    codec.encode(Bytes::from_static(b"abcd"), &mut out).unwrap();
    assert_eq!(out.peek(4).unwrap(), &[0u8, 0, 0, 8][..]);
    assert_eq!(codec.decode(&mut out).unwrap().unwrap(), "abcd");

    let mut codec = LengthDelimitedCodec::builder()
        .length_adjustment(2)
        .new_codec();
    let mut pipe = Pipe::new();
    pipe.write_all(&[0, 0, 0, 3, b'a', b'b', b'c', b'\r'])
        .unwrap();
    assert!(
        codec.decode(&mut pipe).unwrap().is_none(),
        "two bytes follow the three counted"
    );
    pipe.write_all(b"\n").unwrap();
    assert_eq!(codec.decode(&mut pipe).unwrap().unwrap(), "abc\r\n");
    let mut out = Pipe::new();
    codec
        .encode(Bytes::from_static(b"abc\r\n"), &mut out)
        .unwrap();
    assert_eq!(out.peek(4).unwrap(), &[0u8, 0, 0, 3][..]);
}

/// length_delimited.rs:197: the maximum applies to the adjusted length: with `-4`, a field of
/// max+4 is accepted, max+5 is `FrameTooBig` with `length` max+1.
#[test]
fn ldc_max_frame_length_is_after_adjustment() {
    let max = 16usize;
    let mut codec = LengthDelimitedCodec::builder()
        .length_adjustment(-4)
        .max_frame_length(max)
        .new_codec();
    let mut pipe = Pipe::new();
    pipe.write_all(&((max + 4) as u32).to_be_bytes()).unwrap();
    pipe.write_all(&vec![b'm'; max]).unwrap();
    assert_eq!(codec.decode(&mut pipe).unwrap().unwrap().len(), max);
    pipe.write_all(&((max + 5) as u32).to_be_bytes()).unwrap();
    match codec.decode(&mut pipe) {
        Err(LengthDelimitedCodecError::FrameTooBig { length, max: m }) => {
            assert_eq!((length, m), ((max + 1) as u64, max))
        }
        other => panic!("{other:?}"),
    }
}

/// length_delimited.rs:87: "The length field plus the adjustment is negative, or less than the
/// bytes to skip" is `BadLength` with the field's value; nothing consumed.
#[test]
fn ldc_bad_length() {
    // Negative: a self-counting field (-4) that says 3.
    let mut codec = LengthDelimitedCodec::builder()
        .length_adjustment(-4)
        .new_codec();
    let mut pipe = Pipe::new();
    pipe.write_all(&[0, 0, 0, 3, 9, 9, 9]).unwrap();
    match codec.decode(&mut pipe) {
        Err(LengthDelimitedCodecError::BadLength { field }) => assert_eq!(field, 3),
        other => panic!("{other:?}"),
    }
    assert_eq!(pipe.len(), 7);
    // Exactly zero after adjustment is an empty frame, not an error.
    let mut pipe = Pipe::new();
    pipe.write_all(&[0, 0, 0, 4]).unwrap();
    assert_eq!(codec.decode(&mut pipe).unwrap().unwrap(), "");

    // Less than the bytes to skip: skip 10 of a frame of 4 + 2 bytes.
    let mut codec = LengthDelimitedCodec::builder().num_skip(10).new_codec();
    let mut pipe = Pipe::new();
    pipe.write_all(&[0, 0, 0, 2, 1, 2]).unwrap();
    match codec.decode(&mut pipe) {
        Err(LengthDelimitedCodecError::BadLength { field }) => assert_eq!(field, 2),
        other => panic!("{other:?}"),
    }
    assert_eq!(pipe.len(), 6);
    // One past the boundary the other way: a frame of exactly the bytes to skip is empty.
    let mut codec = LengthDelimitedCodec::builder().num_skip(6).new_codec();
    let mut pipe = Pipe::new();
    pipe.write_all(&[0, 0, 0, 2, 1, 2]).unwrap();
    assert_eq!(codec.decode(&mut pipe).unwrap().unwrap(), "");
}

/// Extreme field values under a finite maximum: an error or a wait, never a panic or a frame
/// that is not there (the one exact case, a field of 2^63 with an adjustment of -2^63, is an
/// empty frame).
#[test]
fn ldc_extreme_lengths_under_a_max() {
    extreme_lengths(&[8 << 20, 1 << 40]);
}

/// The same under an unlimited maximum (`max_frame_length(usize::MAX)`): README "No call panics
/// on its input"; length_delimited.rs:80,87 say a too-long or negative length is an error.
#[test]

fn ldc_extreme_lengths_unlimited_max_do_not_panic() {
    extreme_lengths(&[usize::MAX]);
}

fn extreme_lengths(maxes: &[usize]) {
    for value in [
        u64::MAX,
        u64::MAX - 1,
        i64::MAX as u64,
        i64::MAX as u64 + 1,
        1 << 40,
    ] {
        for adj in [isize::MIN, -8, 0, 8, isize::MAX] {
            for &max in maxes {
                let mut codec = LengthDelimitedCodec::builder()
                    .length_field_length(8)
                    .length_adjustment(adj)
                    .max_frame_length(max)
                    .new_codec();
                let mut pipe = Pipe::new();
                pipe.write_all(&value.to_be_bytes()).unwrap();
                pipe.write_all(b"abc").unwrap();
                let exact = value as i128 + adj as i128 == 0;
                match codec.decode(&mut pipe) {
                    Ok(Some(f)) if exact => assert!(f.is_empty()),
                    Ok(None) | Err(_) if !exact => assert_eq!(pipe.len(), 11),
                    other => panic!("value {value} adj {adj} max {max}: {other:?}"),
                }
            }
        }
    }
}

/// length_delimited.rs:76-77: "After a decode error the stream's framing is lost: nothing is
/// consumed". A transport error is `Io` with its kind; the end inside a frame is the default
/// `decode_eof`'s `UnexpectedEof`, bytes kept.
#[test]
fn ldc_after_stream_error_and_end() {
    let mut codec = LengthDelimitedCodec::new();
    let mut pipe = Pipe::new();
    pipe.write_all(&[0, 0, 0, 1, b'a', 0, 0, 0, 5, b'h'])
        .unwrap();
    pipe.eof_with_error(reset()).unwrap();
    assert_eq!(codec.decode(&mut pipe).unwrap().unwrap(), "a");
    for _ in 0..2 {
        expect_io_or_none(codec.decode(&mut pipe).map_err(io::Error::from));
        assert_eq!(pipe.len(), 5, "nothing of the partial frame consumed");
    }
    assert!(
        codec.decode_eof(&mut pipe).is_err(),
        "bytes are left and none will come"
    );
    let mut pipe = Pipe::new();
    pipe.write_all(&[0, 0, 0, 1, b'a', 0, 0, 0, 5, b'h'])
        .unwrap();
    pipe.eof().unwrap();
    assert_eq!(codec.decode_eof(&mut pipe).unwrap().unwrap(), "a");
    let e: io::Error = codec.decode_eof(&mut pipe).unwrap_err().into();
    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    assert_eq!(pipe.len(), 5);
    // Only a partial header at the end: also UnexpectedEof.
    let mut pipe = Pipe::new();
    pipe.write_all(&[0, 0]).unwrap();
    pipe.eof().unwrap();
    let e: io::Error = codec.decode_eof(&mut pipe).unwrap_err().into();
    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    // Nothing at all at the end: the clean end.
    let mut pipe = Pipe::new();
    pipe.eof().unwrap();
    assert!(codec.decode_eof(&mut pipe).unwrap().is_none());
}

/// length_delimited.rs:130: codec errors as `InvalidData` with the error inside; `Io` as it was.
#[test]
fn ldc_error_conversions() {
    for e in [
        LengthDelimitedCodecError::FrameTooBig { length: 9, max: 8 },
        LengthDelimitedCodecError::BadLength { field: 1 },
        LengthDelimitedCodecError::PayloadTooLong { length: 300 },
    ] {
        assert!(!e.to_string().is_empty());
        let io_e: io::Error = e.into();
        assert_eq!(io_e.kind(), io::ErrorKind::InvalidData);
        assert!(
            io_e.get_ref()
                .unwrap()
                .downcast_ref::<LengthDelimitedCodecError>()
                .is_some()
        );
    }
    let io_e: io::Error = LengthDelimitedCodecError::from(reset()).into();
    assert_eq!(io_e.kind(), io::ErrorKind::ConnectionReset);
}

/// The builder's own example, and every option round-tripped through encode/decode with
/// random payloads arriving in random pieces.
#[test]
fn ldc_builder_doc_example_and_random_pieces() {
    let mut codec = LengthDelimitedCodec::builder()
        .length_field_offset(1)
        .length_field_length(2)
        .little_endian()
        .length_adjustment(-2)
        .num_skip(0)
        .new_codec();
    let mut pipe = Pipe::new();
    pipe.write_all(&[9, 5, 0, b'a', b'b', b'c']).unwrap();
    assert_eq!(
        codec.decode(&mut pipe).unwrap().unwrap(),
        &[9, 5, 0, b'a', b'b', b'c'][..]
    );

    let mut rng = Rng(99);
    for n in 1..=8usize {
        for little in [false, true] {
            let mut b = LengthDelimitedCodec::builder();
            b.length_field_length(n).max_frame_length(5000);
            if little {
                b.little_endian();
            }
            let mut codec = b.new_codec();
            let mut out = Pipe::new();
            let mut payloads = Vec::new();
            for _ in 0..20 {
                let size = if n == 1 {
                    rng.below(256)
                } else {
                    rng.below(5001)
                };
                let p = Bytes::from(rng.bytes(size, &[0, 1, 2, 255]));
                codec.encode(p.clone(), &mut out).unwrap();
                payloads.push(p);
            }
            let wire = out.read_exact(out.len()).unwrap();
            let mut pipe = Pipe::new();
            let mut got = Vec::new();
            let mut at = 0;
            while at < wire.len() {
                let piece = 1 + rng.below(700);
                let end = (at + piece).min(wire.len());
                pipe.write_all(&wire[at..end]).unwrap();
                at = end;
                while let Some(f) = codec.decode(&mut pipe).unwrap() {
                    got.push(f);
                }
            }
            assert_eq!(got, payloads, "field {n} little {little}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// BytesCodec.

/// bytes_codec.rs:11-13: frames of whatever is buffered, nothing lost; `None` when empty;
/// `Bytes` and `&[u8]` written as they are.
#[test]
fn bytes_codec_plain_and_large() {
    let mut pipe = Pipe::new();
    BytesCodec
        .encode(Bytes::from_static(b"raw "), &mut pipe)
        .unwrap();
    BytesCodec.encode(&b"bytes"[..], &mut pipe).unwrap();
    let mut got = Vec::new();
    while let Some(f) = BytesCodec.decode(&mut pipe).unwrap() {
        assert!(!f.is_empty(), "an empty frame is never returned");
        got.extend_from_slice(&f);
    }
    assert_eq!(got, b"raw bytes");
    assert!(BytesCodec.decode(&mut pipe).unwrap().is_none());

    let mut rng = Rng(3);
    let data = rng.bytes(300_000, b"0123456789");
    let mut pipe = Pipe::new();
    pipe.write_all(&data).unwrap();
    let mut got = Vec::new();
    let mut frames = 0;
    while let Some(f) = BytesCodec.decode(&mut pipe).unwrap() {
        assert!(!f.is_empty());
        got.extend_from_slice(&f);
        frames += 1;
        assert!(frames < 10_000);
    }
    assert_eq!(got, data);
    // At the end: None, again and again.
    pipe.eof().unwrap();
    for _ in 0..3 {
        assert!(BytesCodec.decode_eof(&mut pipe).unwrap().is_none());
    }
}

/// BytesCodec after a stream error: the buffered bytes, then the error, every time.
#[test]
fn bytes_codec_after_stream_error() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"abc").unwrap();
    pipe.eof_with_error(reset()).unwrap();
    assert_eq!(BytesCodec.decode(&mut pipe).unwrap().unwrap(), "abc");
    for _ in 0..2 {
        expect_io_or_none(BytesCodec.decode(&mut pipe));
    }
}

// ---------------------------------------------------------------------------------------------
// Bad input never panics.

/// Arbitrary bytes in arbitrary pieces into every codec: frames or clear errors, never a panic;
/// and what comes out keeps each codec's promises (no line over its maximum, no `\n` in a line,
/// no frame over the maximum, every byte of BytesCodec once).
#[test]
fn arbitrary_bytes_never_panic() {
    let mut rng = Rng(0x5eed);
    for round in 0..300 {
        let len = rng.below(400);
        let alphabet: &[u8] = if round % 2 == 0 {
            b"ab\r\n,;\0\x01\xff"
        } else {
            &[0, 1, 2, 3, 4, 0xff, b'\n', b'x']
        };
        let data = rng.bytes(len, alphabet);
        let max = rng.below(20);
        let mut pieces = Vec::new();
        let mut at = 0;
        while at < data.len() {
            let end = (at + 1 + rng.below(30)).min(data.len());
            pieces.push(&data[at..end]);
            at = end;
        }

        // LinesCodec: goes on after its errors.
        let mut codec = LinesCodec::new_with_max_length(max);
        let mut pipe = Pipe::new();
        for p in &pieces {
            pipe.write_all(p).unwrap();
            for _ in 0..1000 {
                match codec.decode(&mut pipe) {
                    Ok(Some(line)) => {
                        assert!(line.len() <= max);
                        assert!(!line.contains(&b'\n'));
                    }
                    Ok(None) => break,
                    Err(LinesCodecError::MaxLineLengthExceeded) => {}
                    Err(e) => panic!("{e:?}"),
                }
            }
        }
        pipe.eof().unwrap();
        for _ in 0..1000 {
            match codec.decode_eof(&mut pipe) {
                Ok(Some(line)) => assert!(line.len() <= max),
                Ok(None) => break,
                Err(_) => {}
            }
        }

        let mut codec = AnyDelimiterCodec::new_with_max_length(b",;".to_vec(), b",".to_vec(), max);
        let mut pipe = Pipe::new();
        for p in &pieces {
            pipe.write_all(p).unwrap();
            for _ in 0..1000 {
                match codec.decode(&mut pipe) {
                    Ok(Some(c)) => {
                        assert!(c.len() <= max);
                        assert!(!c.contains(&b',') && !c.contains(&b';'));
                    }
                    Ok(None) => break,
                    Err(AnyDelimiterCodecError::MaxChunkLengthExceeded) => {}
                    Err(e) => panic!("{e:?}"),
                }
            }
        }
        pipe.eof().unwrap();
        for _ in 0..1000 {
            match codec.decode_eof(&mut pipe) {
                Ok(Some(c)) => assert!(c.len() <= max),
                Ok(None) => break,
                Err(_) => {}
            }
        }

        // LengthDelimitedCodec with random options: stops at its first error (framing lost).
        let mut b = LengthDelimitedCodec::builder();
        b.length_field_offset(rng.below(3))
            .length_field_length(rng.below(10))
            .length_adjustment(rng.below(9) as isize - 4)
            .max_frame_length(rng.below(64));
        if rng.below(2) == 0 {
            b.little_endian();
        }
        if rng.below(3) == 0 {
            b.num_skip(rng.below(12));
        }
        let mut codec = b.new_codec();
        let max_frame = codec.max_frame_length();
        let mut pipe = Pipe::new();
        let mut failed = false;
        'pieces: for p in &pieces {
            pipe.write_all(p).unwrap();
            loop {
                match codec.decode(&mut pipe) {
                    Ok(Some(f)) => assert!(f.len() <= max_frame + 12),
                    Ok(None) => break,
                    Err(e) => {
                        let before = pipe.len();
                        // The next call: an error again (nothing consumed), never a panic.
                        assert!(codec.decode(&mut pipe).is_err(), "{e:?}");
                        assert_eq!(pipe.len(), before);
                        failed = true;
                        break 'pieces;
                    }
                }
            }
        }
        if !failed {
            pipe.eof().unwrap();
            let _ = codec.decode_eof(&mut pipe);
            let _ = codec.decode_eof(&mut pipe);
        }

        // BytesCodec: every byte once.
        let mut pipe = Pipe::new();
        let mut got = Vec::new();
        for p in &pieces {
            pipe.write_all(p).unwrap();
            while let Some(f) = BytesCodec.decode(&mut pipe).unwrap() {
                got.extend_from_slice(&f);
            }
        }
        assert_eq!(got, data);

        // Cursor reads over random bytes: results or errors, never a panic.
        let mut pipe = pipe_of_segments(&data[..data.len().min(40)]);
        let mut cursor = pipe.cursor();
        for _ in 0..30 {
            let _ = match rng.below(12) {
                0 => cursor.u8().map(|_| ()),
                1 => cursor.uint_be(rng.below(10)).map(|_| ()),
                2 => cursor.uint_le(rng.below(10)).map(|_| ()),
                3 => cursor.decimal().map(|_| ()),
                4 => cursor.signed_decimal().map(|_| ()),
                5 => cursor.hex().map(|_| ()),
                6 => cursor.until(b"\r\n").map(|_| ()),
                7 => cursor.until_any(b",;").map(|_| ()),
                8 => cursor.skip_any(b"ab").map(|_| ()),
                9 => cursor.bytes(rng.below(8)).map(|_| ()),
                10 => cursor.u24_le().map(|_| ()),
                _ => cursor.i64_be().map(|_| ()),
            };
            assert!(cursor.position() + cursor.remaining() == data.len().min(40));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Cursor.

/// cursor.rs:17-18 and each read's doc: every fixed-size read at exactly the bytes buffered
/// succeeds, one byte short is `NeedMore` and the position does not move; across segments too.
#[test]
fn cursor_fixed_reads_at_and_one_over_remaining() {
    let data: Vec<u8> = (1..=8).collect();
    type Read = fn(&mut pipe_core::Cursor<'_>) -> Result<u64, ReadError>;
    let reads: &[(usize, Read, u64)] = &[
        (1, |c| c.u8().map(u64::from), 0x01),
        (1, |c| c.i8().map(|v| v as u64), 0x01),
        (2, |c| c.u16_be().map(u64::from), 0x0102),
        (2, |c| c.u16_le().map(u64::from), 0x0201),
        (2, |c| c.i16_be().map(|v| v as u64), 0x0102),
        (2, |c| c.i16_le().map(|v| v as u64), 0x0201),
        (3, |c| c.u24_be().map(u64::from), 0x010203),
        (3, |c| c.u24_le().map(u64::from), 0x030201),
        (4, |c| c.u32_be().map(u64::from), 0x01020304),
        (4, |c| c.u32_le().map(u64::from), 0x04030201),
        (4, |c| c.i32_be().map(|v| v as u64), 0x01020304),
        (4, |c| c.i32_le().map(|v| v as u64), 0x04030201),
        (8, |c| c.u64_be(), 0x0102030405060708),
        (8, |c| c.u64_le(), 0x0807060504030201),
        (8, |c| c.i64_be().map(|v| v as u64), 0x0102030405060708),
        (8, |c| c.i64_le().map(|v| v as u64), 0x0807060504030201),
    ];
    for (i, (size, read, want)) in reads.iter().enumerate() {
        for segmented in [false, true] {
            let make = |n: usize| {
                if segmented {
                    pipe_of_segments(&data[..n])
                } else {
                    let mut p = Pipe::new();
                    p.write_all(&data[..n]).unwrap();
                    p
                }
            };
            // One under: NeedMore, position unchanged, nothing consumed.
            let mut pipe = make(size - 1);
            let mut cursor = pipe.cursor();
            assert!(read(&mut cursor).unwrap_err().is_need_more(), "read {i}");
            assert_eq!(cursor.position(), 0);
            assert_eq!(cursor.remaining(), size - 1);
            drop(cursor);
            assert_eq!(pipe.len(), size - 1);
            // At: the value, nothing left.
            let mut pipe = make(*size);
            let mut cursor = pipe.cursor();
            assert_eq!(
                read(&mut cursor).unwrap(),
                *want,
                "read {i} segmented {segmented}"
            );
            assert_eq!((cursor.position(), cursor.remaining()), (*size, 0));
            // And one more read: NeedMore, still at the end.
            assert!(read(&mut cursor).unwrap_err().is_need_more());
            assert_eq!(cursor.position(), *size);
            cursor.commit();
            assert!(pipe.is_empty());
        }
    }
    // Signedness.
    let mut pipe = Pipe::new();
    pipe.write_all(&[0xff, 0xff, 0xfe, 0x80, 0, 0, 0]).unwrap();
    let mut c = pipe.cursor();
    assert_eq!(c.i8().unwrap(), -1);
    assert_eq!(c.i16_be().unwrap(), -2);
    assert_eq!(c.i32_le().unwrap(), 128);
}

/// cursor.rs:257-258: `uint_be`/`uint_le` of 1 to 8 bytes; other sizes are `InvalidArgument`
/// (nothing moves); `NeedMore` if fewer are buffered.
#[test]
fn cursor_uint_sizes() {
    let data = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08];
    for n in 1..=8usize {
        let mut be = 0u64;
        let mut le = 0u64;
        for (i, b) in data[..n].iter().enumerate() {
            be = (be << 8) | *b as u64;
            le |= (*b as u64) << (8 * i);
        }
        let mut pipe = pipe_of_segments(&data[..n]);
        assert_eq!(pipe.cursor().uint_be(n).unwrap(), be, "n {n}");
        assert_eq!(pipe.cursor().uint_le(n).unwrap(), le, "n {n}");
        let mut short = pipe_of_segments(&data[..n - 1]);
        let mut c = short.cursor();
        assert!(c.uint_be(n).unwrap_err().is_need_more());
        assert!(c.uint_le(n).unwrap_err().is_need_more());
        assert_eq!(c.position(), 0);
    }
    let mut pipe = Pipe::new();
    pipe.write_all(&[0xff; 16]).unwrap();
    let mut c = pipe.cursor();
    assert_eq!(c.uint_be(8).unwrap(), u64::MAX);
    for n in [0usize, 9, usize::MAX] {
        assert!(
            matches!(c.uint_be(n), Err(ReadError::InvalidArgument(_))),
            "n {n}"
        );
        assert!(
            matches!(c.uint_le(n), Err(ReadError::InvalidArgument(_))),
            "n {n}"
        );
        assert_eq!(c.position(), 8);
    }
    // On an empty pipe a bad size is still InvalidArgument, not NeedMore.
    let mut empty = Pipe::new();
    assert!(matches!(
        empty.cursor().uint_be(0),
        Err(ReadError::InvalidArgument(_))
    ));
    assert!(matches!(
        empty.cursor().uint_le(9),
        Err(ReadError::InvalidArgument(_))
    ));
}

/// cursor.rs:342 and :358-361: `skip` and `bytes` at exactly the bytes remaining and one over;
/// `bytes(0)` is empty; the bytes stay in the pipe until commit; straddling segments is a copy
/// with the same content.
#[test]
fn cursor_skip_and_bytes_limits() {
    for segmented in [false, true] {
        let data = b"0123456789";
        let mut pipe = if segmented {
            pipe_of_segments(data)
        } else {
            let mut p = Pipe::new();
            p.write_all(data).unwrap();
            p
        };
        let mut c = pipe.cursor();
        assert!(c.skip(11).unwrap_err().is_need_more());
        assert_eq!(c.position(), 0);
        assert!(c.bytes(11).unwrap_err().is_need_more());
        assert_eq!(c.position(), 0);
        assert_eq!(c.bytes(0).unwrap(), "");
        c.skip(0).unwrap();
        c.skip(3).unwrap();
        assert_eq!(c.bytes(7).unwrap(), "3456789");
        assert_eq!((c.position(), c.remaining()), (10, 0));
        assert!(c.skip(1).unwrap_err().is_need_more());
        assert!(c.bytes(1).unwrap_err().is_need_more());
        assert_eq!(c.position(), 10);
        drop(c);
        assert_eq!(pipe.len(), 10, "nothing consumed without commit");
        let mut c = pipe.cursor();
        c.skip(10).unwrap();
        c.commit();
        assert!(pipe.is_empty());
    }
}

/// cursor.rs:126-127: commit consumes what was read; dropping consumes nothing; a fresh cursor
/// starts at the first unconsumed byte; a cursor that reads nothing and commits consumes nothing.
#[test]
fn cursor_commit_and_drop() {
    let mut pipe = Pipe::new();
    pipe.write_all(b"abcdef").unwrap();
    {
        let mut c = pipe.cursor();
        assert_eq!(c.bytes(4).unwrap(), "abcd");
        // A failing read after successful ones: the position stays after them.
        assert!(c.bytes(3).unwrap_err().is_need_more());
        assert_eq!(c.position(), 4);
    }
    assert_eq!(pipe.len(), 6);
    pipe.cursor().commit();
    assert_eq!(pipe.len(), 6);
    let mut c = pipe.cursor();
    c.skip(2).unwrap();
    c.commit();
    assert_eq!(pipe.len(), 4);
    let mut c = pipe.cursor();
    assert_eq!(c.u8().unwrap(), b'c');
    assert_eq!(c.remaining(), 3);
    c.commit();
    assert_eq!(pipe.read_exact(3).unwrap(), "def");
    // A frame taken with `bytes` outlives the cursor and the commit.
    pipe.write_all(b"xyz").unwrap();
    let mut c = pipe.cursor();
    let kept = c.bytes(3).unwrap();
    c.commit();
    pipe.write_all(b"new").unwrap();
    assert_eq!(kept, "xyz");
    assert_eq!(pipe.read_exact(3).unwrap(), "new");
}

/// cursor.rs:628-693: numbers: `NeedMore` while the digits run to the end of what is buffered,
/// `Malformed` without a digit or out of range (at the type's limit and one over), nothing
/// consumed.
#[test]
fn cursor_numbers_limits() {
    fn run<T: std::fmt::Debug>(
        input: &[u8],
        read: impl Fn(&mut pipe_core::Cursor<'_>) -> Result<T, ReadError>,
    ) -> Result<T, ReadError> {
        let mut pipe = pipe_of_segments(input);
        let mut c = pipe.cursor();
        let r = read(&mut c);
        if r.is_err() {
            assert_eq!(
                c.position(),
                0,
                "{input:?}: the position does not move on failure"
            );
        }
        r
    }
    assert_eq!(
        run(b"18446744073709551615\r", |c| c.decimal()).unwrap(),
        u64::MAX
    );
    assert!(matches!(
        run(b"18446744073709551616\r", |c| c.decimal()),
        Err(ReadError::Malformed(_))
    ));
    assert!(matches!(
        run(b"99999999999999999999999\r", |c| c.decimal()),
        Err(ReadError::Malformed(_))
    ));
    assert!(matches!(
        run(b"x1\r", |c| c.decimal()),
        Err(ReadError::Malformed(_))
    ));
    assert!(matches!(
        run(b"\r\n", |c| c.decimal()),
        Err(ReadError::Malformed(_))
    ));
    assert!(run(b"123", |c| c.decimal()).unwrap_err().is_need_more());
    assert!(run(b"", |c| c.decimal()).unwrap_err().is_need_more());
    assert_eq!(run(b"0\r", |c| c.decimal()).unwrap(), 0);
    assert_eq!(run(b"007x", |c| c.decimal()).unwrap(), 7);

    assert_eq!(
        run(b"-9223372036854775808\r", |c| c.signed_decimal()).unwrap(),
        i64::MIN
    );
    assert_eq!(
        run(b"9223372036854775807\r", |c| c.signed_decimal()).unwrap(),
        i64::MAX
    );
    assert!(matches!(
        run(b"-9223372036854775809\r", |c| c.signed_decimal()),
        Err(ReadError::Malformed(_))
    ));
    assert!(matches!(
        run(b"9223372036854775808\r", |c| c.signed_decimal()),
        Err(ReadError::Malformed(_))
    ));
    assert!(matches!(
        run(b"-x\r", |c| c.signed_decimal()),
        Err(ReadError::Malformed(_))
    ));
    assert!(
        run(b"-", |c| c.signed_decimal())
            .unwrap_err()
            .is_need_more()
    );
    assert!(
        run(b"-12", |c| c.signed_decimal())
            .unwrap_err()
            .is_need_more()
    );
    assert_eq!(run(b"-1\r\n", |c| c.signed_decimal()).unwrap(), -1);

    assert_eq!(run(b"ffffffffffffffff\r", |c| c.hex()).unwrap(), u64::MAX);
    assert_eq!(run(b"FfFf;", |c| c.hex()).unwrap(), 0xffff);
    assert!(matches!(
        run(b"10000000000000000\r", |c| c.hex()),
        Err(ReadError::Malformed(_))
    ));
    assert!(matches!(
        run(b"g\r", |c| c.hex()),
        Err(ReadError::Malformed(_))
    ));
    assert!(run(b"abc", |c| c.hex()).unwrap_err().is_need_more());

    // The byte after the digits stays.
    let mut pipe = Pipe::new();
    pipe.write_all(b"42\r\n").unwrap();
    let mut c = pipe.cursor();
    assert_eq!(c.decimal().unwrap(), 42);
    assert_eq!(c.position(), 2);
    assert!(c.skip_if(b"\r\n").unwrap());
}

/// cursor.rs:396-419 and README "delimited frames (separator not counted)": `until` is bounded
/// by the pipe's maximum frame; a field one under and at the maximum is found, one over is
/// `LimitExceeded`; `NeedMore` before; empty separator `InvalidArgument`.
#[test]
fn cursor_until_limits() {
    let max = 8usize;
    for len in [max - 1, max, max + 1] {
        for sep in [&b"\n"[..], b"\r\n", b"--"] {
            let mut pipe = Pipe::with_options(PipeOptions::new().max_frame(max));
            pipe.write_all(&vec![b'f'; len]).unwrap();
            pipe.write_all(sep).unwrap();
            let mut c = pipe.cursor();
            let r = c.until(sep);
            if len <= max {
                assert_eq!(r.unwrap().len(), len, "len {len} sep {sep:?}");
                assert_eq!(c.position(), len + sep.len());
            } else {
                assert!(
                    matches!(r, Err(ReadError::LimitExceeded { .. })),
                    "len {len} sep {sep:?}: {r:?}"
                );
                assert_eq!(c.position(), 0);
            }
        }
    }
    let mut pipe = Pipe::with_options(PipeOptions::new().max_frame(max));
    pipe.write_all(b"abc").unwrap();
    let mut c = pipe.cursor();
    assert!(c.until(b"\n").unwrap_err().is_need_more());
    assert!(matches!(c.until(b""), Err(ReadError::InvalidArgument(_))));
    assert_eq!(c.position(), 0);
}

/// cursor.rs:436-447 and :479-554: `until_any`, `is_next`, `skip_if`, `skip_any` with
/// `NeedMore` where the answer depends on bytes not yet here.
#[test]
fn cursor_field_reads() {
    let mut pipe = pipe_of_segments(b"key=value;  \trest");
    let mut c = pipe.cursor();
    assert_eq!(c.until_any(b";=").unwrap(), ("key".into(), b'='));
    assert!(c.is_next(b"val").unwrap());
    assert!(!c.is_next(b"vax").unwrap());
    assert_eq!(c.position(), 4);
    assert!(!c.skip_if(b"x").unwrap());
    assert!(c.skip_if(b"value").unwrap());
    assert!(c.skip_if(b";").unwrap());
    assert_eq!(c.skip_any(b" \t").unwrap(), 3);
    assert!(c.is_next(b"rest").unwrap());
    assert!(c.is_next(b"rest!").unwrap_err().is_need_more());
    assert!(
        !c.is_next(b"resx!").unwrap(),
        "a mismatch within the buffered bytes is an answer"
    );
    assert!(c.skip_if(b"rest!").unwrap_err().is_need_more());
    assert_eq!(c.position(), 13);
    assert!(c.until_any(b";").unwrap_err().is_need_more());
    c.skip(4).unwrap();
    assert!(
        c.skip_any(b" ").unwrap_err().is_need_more(),
        "the run may go on"
    );
    assert!(c.is_next(b"").unwrap());
}

/// cursor.rs:700-704: `bytes::Buf` over the bytes past the position; nothing consumed until
/// commit; `remaining` first avoids the documented panic.
#[test]
fn cursor_as_buf() {
    use bytes::Buf;
    let mut pipe = pipe_of_segments(&[0, 0, 0, 9, 1, 2, 3]);
    let mut c = pipe.cursor();
    assert_eq!(Buf::remaining(&c), 7);
    assert_eq!(c.get_u32(), 9);
    assert_eq!(Buf::remaining(&c), 3);
    assert!(!c.chunk().is_empty());
    c.advance(1);
    assert_eq!(c.position(), 5);
    let mut rest = [0u8; 2];
    c.copy_to_slice(&mut rest);
    assert_eq!(rest, [2, 3]);
    assert!(!c.has_remaining());
    assert!(c.u8().unwrap_err().is_need_more());
    drop(c);
    assert_eq!(pipe.len(), 7);
    let mut c = pipe.cursor();
    c.advance(4);
    c.commit();
    assert_eq!(pipe.len(), 3);
}
