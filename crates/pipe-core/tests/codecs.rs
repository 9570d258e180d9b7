//! The codecs from their documentation: round trips over the chunking matrix (1-byte pieces up
//! to one write), each bad input with its typed error and nothing lost or duplicated, and the
//! pool back to zero outstanding.

mod common;

use common::{feed, finish, pipe_with_chunks};
use pipe_core::codec::{
    AnyDelimiterCodec, AnyDelimiterCodecError, BytesCodec, Decoder, Encoder, LengthDelimitedCodec,
    LengthDelimitedCodecError, LinesCodec, LinesCodecError,
};
use pipe_core::{Bytes, Pipe, Pool};

/// What `decode_all` gives: every outcome, the pipe (closed) and its pool.
type Decoded<D> = (
    Vec<Result<<D as Decoder>::Item, <D as Decoder>::Error>>,
    Pipe,
    Pool,
);

/// Piece sizes the encoded stream is fed in.
const PIECES: [usize; 5] = [1, 2, 7, 64, 1 << 20];

/// Everything `codec` decodes from `data` fed in `piece`-byte writes, decoding after each
/// write, then `decode_eof` after the end; the pipe's chunks are 64 bytes, so frames straddle.
fn decode_all<D: Decoder>(codec: &mut D, data: &[u8], piece: usize) -> Decoded<D> {
    let (mut pipe, pool) = pipe_with_chunks(64, usize::MAX);
    let mut out = Vec::new();
    for part in data.chunks(piece.max(1)) {
        feed(&mut pipe, part, part.len());
        loop {
            match codec.decode(&mut pipe) {
                Ok(Some(frame)) => out.push(Ok(frame)),
                Ok(None) => break,
                Err(e) => out.push(Err(e)),
            }
            assert!(out.len() < 100_000, "the decoder does not stop");
        }
    }
    pipe.eof().unwrap();
    loop {
        match codec.decode_eof(&mut pipe) {
            Ok(Some(frame)) => out.push(Ok(frame)),
            Ok(None) => break,
            Err(e) => {
                out.push(Err(e));
                break;
            }
        }
    }
    (out, pipe, pool)
}

fn frames(n: usize) -> Vec<Bytes> {
    (0..n)
        .map(|i| {
            Bytes::from(
                (0..(i * 37) % 300)
                    .map(|j| (i + j) as u8)
                    .collect::<Vec<u8>>(),
            )
        })
        .collect()
}

#[test]
fn length_delimited_round_trips_over_the_chunking_matrix() {
    let payloads = frames(40);
    for piece in PIECES {
        let mut enc = Pipe::new();
        let mut codec = LengthDelimitedCodec::new();
        for p in &payloads {
            codec.encode(p.clone(), &mut enc).unwrap();
        }
        let wire: Vec<u8> = enc.chunks().flatten().copied().collect();
        let (got, pipe, pool) = decode_all(&mut LengthDelimitedCodec::new(), &wire, piece);
        let got: Vec<Bytes> = got.into_iter().map(Result::unwrap).collect();
        assert_eq!(got, payloads, "pieces of {piece}");
        drop(got);
        finish(pipe, &pool);
    }
}

#[test]
fn length_delimited_options_as_tokio_util_has_them() {
    // A 3-byte little-endian length counting the whole frame, after a 2-byte magic; the frame
    // keeps the magic.
    let mut codec = LengthDelimitedCodec::builder()
        .length_field_offset(2)
        .length_field_length(3)
        .little_endian()
        .length_adjustment(-5)
        .num_skip(0)
        .max_frame_length(100)
        .new_codec();
    let frame = [0xca, 0xfe, 8, 0, 0, b'a', b'b', b'c'];
    for piece in PIECES {
        let mut wire = frame.to_vec();
        wire.extend_from_slice(&frame);
        let (got, pipe, pool) = decode_all(&mut codec, &wire, piece);
        let got: Vec<Bytes> = got.into_iter().map(Result::unwrap).collect();
        assert_eq!(got, vec![Bytes::copy_from_slice(&frame); 2]);
        drop(got);
        finish(pipe, &pool);
    }
}

#[test]
fn length_delimited_bad_input_is_a_typed_error_and_consumes_nothing() {
    let max = 16;
    let codec = || {
        LengthDelimitedCodec::builder()
            .max_frame_length(max)
            .new_codec()
    };
    let (mut pipe, pool) = pipe_with_chunks(64, usize::MAX);
    // One under, at and one over the maximum.
    for len in [max - 1, max, max + 1] {
        pipe.write_all(&(len as u32).to_be_bytes()).unwrap();
        pipe.write_all(&vec![b'x'; len]).unwrap();
        let before = pipe.len();
        match codec().decode(&mut pipe) {
            Ok(Some(frame)) => assert!(len <= max && frame.len() == len),
            Err(LengthDelimitedCodecError::FrameTooBig { length, max: m }) => {
                assert_eq!((length, m), ((max + 1) as u64, max));
                assert_eq!(pipe.len(), before, "nothing consumed");
                pipe.skip(before);
            }
            other => panic!("length {len}: {other:?}"),
        }
    }
    // A negative adjusted length.
    let mut neg = LengthDelimitedCodec::builder()
        .length_adjustment(-8)
        .new_codec();
    pipe.write_all(&4u32.to_be_bytes()).unwrap();
    assert!(matches!(
        neg.decode(&mut pipe),
        Err(LengthDelimitedCodecError::BadLength { field: 4 })
    ));
    assert_eq!(pipe.len(), 4);
    pipe.skip(4);
    // A header cut by the end of the stream: an `UnexpectedEof` error, the bytes kept.
    pipe.write_all(&[0, 0]).unwrap();
    pipe.eof().unwrap();
    assert_eq!(codec().decode(&mut pipe).unwrap(), None);
    match codec().decode_eof(&mut pipe) {
        Err(LengthDelimitedCodecError::Io(e)) => {
            assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof)
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(pipe.len(), 2);
    finish(pipe, &pool);
}

/// An unlimited maximum (`usize::MAX`) at the edge of memory: a field one under, at and one
/// over what can be addressed after the header, an 8-byte field of `u64::MAX` with every
/// adjustment, and an offset at the top of `usize`: a typed error or a wait, never a panic,
/// nothing consumed.
#[test]
fn length_delimited_lengths_at_the_edge_of_memory_are_errors_not_panics() {
    let edge = (usize::MAX - 8) as u64; // the most a frame can hold after an 8-byte header
    for (field, adjustment) in [
        (edge - 1, 0),
        (edge, 0),
        (edge + 1, 0),
        (u64::MAX, 0),
        (u64::MAX, 8),
        (u64::MAX, isize::MAX),
        (u64::MAX, isize::MIN),
        (i64::MAX as u64 + 1, isize::MAX),
    ] {
        let mut codec = LengthDelimitedCodec::builder()
            .length_field_length(8)
            .length_adjustment(adjustment)
            .max_frame_length(usize::MAX)
            .new_codec();
        let mut pipe = Pipe::new();
        pipe.write_all(&field.to_be_bytes()).unwrap();
        pipe.write_all(b"abc").unwrap();
        let adjusted = i128::from(field) + adjustment as i128;
        match codec.decode(&mut pipe) {
            // Addressable: a frame that long waits for its bytes.
            Ok(None) => assert!(
                (0..=i128::from(edge)).contains(&adjusted),
                "{field} {adjustment}"
            ),
            Err(LengthDelimitedCodecError::FrameTooBig { length, max }) => {
                assert!(adjusted > i128::from(edge), "{field} {adjustment}");
                assert_eq!(max as u64, edge);
                assert_eq!(i128::from(length), adjusted.min(i128::from(u64::MAX)));
            }
            Err(LengthDelimitedCodecError::BadLength { field: f }) => {
                assert!(adjusted < 0 && f == field, "{field} {adjustment}")
            }
            other => panic!("field {field} adjustment {adjustment}: {other:?}"),
        }
        assert_eq!(pipe.len(), 11, "nothing consumed");
    }
    // The field past the end of any stream: a wait, never an overflow.
    for offset in [usize::MAX, usize::MAX - 4, usize::MAX - 3] {
        let mut codec = LengthDelimitedCodec::builder()
            .length_field_offset(offset)
            .max_frame_length(usize::MAX)
            .new_codec();
        let mut pipe = Pipe::new();
        pipe.write_all(&[0xff; 64]).unwrap();
        assert_eq!(codec.decode(&mut pipe).unwrap(), None);
        assert_eq!(pipe.len(), 64);
    }
}

/// `Decoder::decode_eof` (the default, as `LengthDelimitedCodec` and `BytesCodec` have it) and
/// `AnyDelimiterCodec`'s, on a stream that ended with an error: the frames buffered first, then
/// the transport's error with its kind, every time, the partial frame kept.
#[test]
fn decode_eof_after_a_transport_error_reports_it_every_time() {
    let reset = || std::io::Error::from(std::io::ErrorKind::ConnectionReset);
    let mut ld = LengthDelimitedCodec::new();
    let mut pipe = Pipe::new();
    pipe.write_all(&[0, 0, 0, 1, b'a', 0, 0, 0, 5, b'h'])
        .unwrap();
    pipe.eof_with_error(reset()).unwrap();
    assert_eq!(ld.decode_eof(&mut pipe).unwrap().unwrap(), "a");
    for _ in 0..2 {
        let e: std::io::Error = ld.decode_eof(&mut pipe).unwrap_err().into();
        assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset);
        assert_eq!(pipe.len(), 5);
    }
    // Nothing left: still the error (the pipe's own reads say it too), not a clean end.
    let mut pipe = Pipe::new();
    pipe.eof_with_error(reset()).unwrap();
    let e: std::io::Error = ld.decode_eof(&mut pipe).unwrap_err().into();
    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset);

    let mut any = AnyDelimiterCodec::new(b",;".to_vec(), b",".to_vec());
    let mut pipe = Pipe::new();
    pipe.write_all(b"a;rest").unwrap();
    pipe.eof_with_error(reset()).unwrap();
    assert_eq!(any.decode_eof(&mut pipe).unwrap().unwrap(), "a");
    for _ in 0..2 {
        match any.decode_eof(&mut pipe) {
            Err(AnyDelimiterCodecError::Io(e)) => {
                assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset)
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(pipe.len(), 4, "the partial chunk kept");
    }
    // A clean end still hands the last chunk over.
    let mut pipe = Pipe::new();
    pipe.write_all(b"rest").unwrap();
    pipe.eof().unwrap();
    assert_eq!(any.decode_eof(&mut pipe).unwrap().unwrap(), "rest");
    assert_eq!(any.decode_eof(&mut pipe).unwrap(), None);
}

#[test]
fn length_delimited_encoder_errors_write_nothing_and_big_payloads_are_not_copied() {
    let mut codec = LengthDelimitedCodec::builder()
        .length_field_length(1)
        .new_codec();
    let mut pipe = Pipe::new();
    let err = codec
        .encode(Bytes::from(vec![0u8; 256]), &mut pipe)
        .unwrap_err();
    assert!(matches!(
        err,
        LengthDelimitedCodecError::PayloadTooLong { length: 256 }
    ));
    assert!(pipe.is_empty(), "nothing written");
    // A 64 KiB payload goes in as a segment of its own: the same memory, not a copy.
    let payload = Bytes::from(vec![7u8; 64 * 1024]);
    LengthDelimitedCodec::new()
        .encode(payload.clone(), &mut pipe)
        .unwrap();
    let parts: Vec<&[u8]> = pipe.chunks().collect();
    assert_eq!(parts.len(), 2);
    assert_eq!(
        parts[1].as_ptr(),
        payload.as_ptr(),
        "the payload was copied"
    );
}

#[test]
fn lines_codec_drops_a_line_over_the_limit_and_goes_on() {
    let limit = 8;
    let wire = b"under\nexactly8\nexactl8\r\nnine_byte\nway too long for it\nok\nlast";
    for piece in PIECES {
        let (got, pipe, pool) =
            decode_all(&mut LinesCodec::new_with_max_length(limit), wire, piece);
        let got: Vec<Result<Bytes, String>> = got
            .into_iter()
            .map(|r| {
                r.map_err(|e| match e {
                    LinesCodecError::MaxLineLengthExceeded => "long".to_string(),
                    LinesCodecError::Io(e) => e.to_string(),
                })
            })
            .collect();
        let want: Vec<Result<Bytes, String>> = vec![
            Ok("under".into()),
            Ok("exactly8".into()),
            Ok("exactl8".into()),
            Err("long".into()),
            Err("long".into()),
            Ok("ok".into()),
            Ok("last".into()),
        ];
        assert_eq!(got, want, "pieces of {piece}");
        drop(got);
        finish(pipe, &pool);
    }
}

#[test]
fn lines_codec_encodes_and_refuses_long_lines() {
    let mut codec = LinesCodec::new_with_max_length(3);
    let mut pipe = Pipe::new();
    codec.encode("abc", &mut pipe).unwrap();
    assert!(matches!(
        codec.encode("abcd", &mut pipe),
        Err(LinesCodecError::MaxLineLengthExceeded)
    ));
    assert_eq!(pipe.read_exact(pipe.len()).unwrap(), "abc\n");
}

#[test]
fn any_delimiter_codec_over_the_chunking_matrix() {
    let wire = b"a,bb;ccc,toolongchunk;d";
    for piece in PIECES {
        let mut codec = AnyDelimiterCodec::new_with_max_length(b",;".to_vec(), b",".to_vec(), 4);
        let (got, pipe, pool) = decode_all(&mut codec, wire, piece);
        let got: Vec<Result<Bytes, bool>> = got
            .into_iter()
            .map(|r| r.map_err(|e| matches!(e, AnyDelimiterCodecError::MaxChunkLengthExceeded)))
            .collect();
        let want: Vec<Result<Bytes, bool>> = vec![
            Ok("a".into()),
            Ok("bb".into()),
            Ok("ccc".into()),
            Err(true),
            Ok("d".into()),
        ];
        assert_eq!(got, want, "pieces of {piece}");
        drop(got);
        finish(pipe, &pool);
    }
}

#[test]
fn bytes_codec_passes_everything_through_once() {
    let data: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
    for piece in PIECES {
        let (got, pipe, pool) = decode_all(&mut BytesCodec, &data, piece);
        let got: Vec<u8> = got.into_iter().flat_map(|r| r.unwrap().to_vec()).collect();
        assert_eq!(got, data);
        finish(pipe, &pool);
    }
}

/// `LinesCodec` at the end of the stream: a last line without `\n` one under, at and one over
/// the maximum (a line; a line; one `MaxLineLengthExceeded`, then the end, the bytes dropped),
/// and after a stream that ended with an error (the error, every time, the bytes kept).
#[test]
fn lines_codec_last_line_at_the_end_and_after_an_error() {
    for (last, over) in [(&b"abc"[..], false), (b"abcd", false), (b"abcde", true)] {
        let mut codec = LinesCodec::new_with_max_length(4);
        let mut pipe = Pipe::new();
        pipe.write_all(b"ok\n").unwrap();
        pipe.write_all(last).unwrap();
        pipe.eof().unwrap();
        assert_eq!(codec.decode_eof(&mut pipe).unwrap().unwrap(), "ok");
        match codec.decode_eof(&mut pipe) {
            Ok(Some(line)) => assert!(!over && line == last),
            Err(LinesCodecError::MaxLineLengthExceeded) => assert!(over),
            other => panic!("{last:?}: {other:?}"),
        }
        assert_eq!(codec.decode_eof(&mut pipe).unwrap(), None);
        assert!(pipe.is_empty());
    }
    let mut codec = LinesCodec::new_with_max_length(4);
    let mut pipe = Pipe::new();
    pipe.write_all(b"ok\nabc").unwrap();
    pipe.eof_with_error(std::io::Error::from(std::io::ErrorKind::ConnectionReset))
        .unwrap();
    assert_eq!(codec.decode_eof(&mut pipe).unwrap().unwrap(), "ok");
    for _ in 0..2 {
        match codec.decode_eof(&mut pipe) {
            Err(LinesCodecError::Io(e)) => {
                assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset)
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(pipe.len(), 3, "the partial line kept");
    }
}

/// `AnyDelimiterCodec` without delimiters: `decode` is an `InvalidInput` error every time,
/// nothing consumed.
#[test]
fn any_delimiter_codec_without_delimiters() {
    let mut codec = AnyDelimiterCodec::new(Vec::new(), b",".to_vec());
    let mut pipe = Pipe::new();
    pipe.write_all(b"a,b").unwrap();
    for _ in 0..2 {
        match codec.decode(&mut pipe) {
            Err(AnyDelimiterCodecError::Io(e)) => {
                assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput)
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(pipe.len(), 3);
    }
}
