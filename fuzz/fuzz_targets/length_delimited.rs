//! `LengthDelimitedCodec` fed arbitrary bytes in arbitrary pieces, with options picked by the
//! input, against a plain reference decoder over a `Vec<u8>`: the same frames in the same
//! order, the same first error, nothing consumed by a failed decode, and the pool back to zero.
//!
//! Input: byte 0 the piece size, byte 1 the options (length field of 1 to 4 bytes, endianness,
//! an adjustment of -4 to 3, a 0-byte or 1-byte offset), byte 2 the edges (an 8-byte field, an
//! unlimited or zero maximum, an adjustment of `isize::MAX` or `isize::MIN` or `i32::MAX`, an
//! offset near `usize::MAX`: never a panic, a length past what memory can address an error),
//! the rest the stream.
#![no_main]

use chunk_pool::{Pool, PoolConfig};
use libfuzzer_sys::fuzz_target;
use pipe_core::codec::{Decoder, LengthDelimitedCodec, LengthDelimitedCodecError};
use pipe_core::{Pipe, PipeOptions};

struct Options {
    offset: usize,
    field: usize,
    big: bool,
    adjust: isize,
    max: usize,
}

/// The frames and the first error (`true`: a decode error) a plain reading gives.
fn reference(data: &[u8], o: &Options) -> (Vec<Vec<u8>>, bool) {
    let mut frames = Vec::new();
    let mut at = 0;
    loop {
        let rest = &data[at..];
        let head = o.offset.saturating_add(o.field);
        if rest.len() < head {
            return (frames, false);
        }
        let mut field = rest[o.offset..head].to_vec();
        if !o.big {
            field.reverse();
        }
        let value = field.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b));
        let body = value as i128 + o.adjust as i128;
        // At most the maximum, and what memory can address after the header.
        if body < 0 || body > o.max.min(usize::MAX - head) as i128 {
            return (frames, true);
        }
        let total = head + body as usize;
        if rest.len() < total {
            return (frames, false);
        }
        frames.push(rest[head..total].to_vec());
        at += total;
    }
}

fuzz_target!(|input: &[u8]| {
    let [piece, options, edges, stream @ ..] = input else {
        return;
    };
    let o = Options {
        offset: match edges & 0x20 {
            0 => usize::from(options >> 7),
            _ => usize::MAX - usize::from(options >> 7),
        },
        field: match edges & 4 {
            0 => usize::from(options & 3) + 1,
            _ => 8,
        },
        big: options & 4 == 0,
        adjust: match (edges >> 3) & 3 {
            0 => isize::from((options >> 3) & 7) - 4,
            1 => isize::MAX,
            2 => isize::MIN,
            _ => i32::MAX as isize,
        },
        max: match edges & 3 {
            1 => usize::MAX,
            2 => 0,
            _ => 300,
        },
    };
    let mut builder = LengthDelimitedCodec::builder();
    builder
        .length_field_offset(o.offset)
        .length_field_length(o.field)
        .length_adjustment(o.adjust)
        .max_frame_length(o.max);
    if !o.big {
        builder.little_endian();
    }
    let mut codec = builder.new_codec();
    let pool = Pool::new(PoolConfig::new().min_chunk(64).max_chunk(4096)).expect("a valid config");
    let mut pipe = Pipe::with_options(PipeOptions::new().pool(pool.clone()));
    let (want, want_error) = reference(stream, &o);
    let mut got = Vec::new();
    let mut errored = false;
    'feed: for part in stream.chunks(usize::from(*piece).max(1)) {
        pipe.write_all(part).expect("open");
        loop {
            let before = pipe.len();
            match codec.decode(&mut pipe) {
                Ok(Some(frame)) => got.push(frame.to_vec()),
                Ok(None) => break,
                Err(
                    LengthDelimitedCodecError::FrameTooBig { .. }
                    | LengthDelimitedCodecError::BadLength { .. },
                ) => {
                    assert_eq!(pipe.len(), before, "a failed decode consumed bytes");
                    errored = true;
                    break 'feed;
                }
                Err(e) => panic!("unexpected error {e}"),
            }
        }
    }
    assert_eq!(got, want);
    assert_eq!(errored, want_error);
    if !errored {
        pipe.eof().expect("open");
        match codec.decode_eof(&mut pipe) {
            Ok(None) => assert!(pipe.is_empty()),
            Err(LengthDelimitedCodecError::Io(e)) => {
                assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);
                assert!(!pipe.is_empty());
            }
            other => panic!("decode_eof gave {other:?}"),
        }
    }
    drop((got, pipe));
    assert_eq!(pool.stats().outstanding_chunks, 0);
});
