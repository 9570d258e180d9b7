//! [`LengthDelimitedCodec`]: frames behind a length field, with tokio-util's options.

use std::{fmt, io};

use bytes::{Buf, Bytes};

use super::{Decoder, Encoder};
use crate::error::ReadError;
use crate::pipe::Pipe;

/// Payloads from this size up go into the pipe as a segment of their own (sent by `writev`,
/// never copied); smaller ones are copied next to their header (fewer, larger writes).
const APPEND_FROM: usize = 4 * 1024;

/// Frames behind a length field, decoded with a [`Cursor`](crate::Cursor): the header either
/// parses whole and the frame is taken in one step, or nothing is consumed. The options are
/// tokio-util's (see [`LengthDelimitedBuilder`]); by default a 4-byte big-endian length, then
/// that many bytes, at most 8 MiB.
///
/// Encoding writes the length field and then the payload (no bytes for a
/// [`length_field_offset`](LengthDelimitedBuilder::length_field_offset)); a `Bytes` payload
/// of 4 KiB or more goes in as a segment of its own, not copied.
///
/// ```
/// use pipe_core::codec::{Decoder, Encoder, LengthDelimitedCodec};
/// use pipe_core::{Bytes, Pipe};
///
/// let mut codec = LengthDelimitedCodec::new();
/// let mut pipe = Pipe::new();
/// codec.encode(Bytes::from_static(b"hello"), &mut pipe)?;
/// assert_eq!(pipe.len(), 4 + 5);
/// assert_eq!(codec.decode(&mut pipe)?.unwrap(), "hello");
/// assert_eq!(codec.decode(&mut pipe)?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct LengthDelimitedCodec {
    builder: LengthDelimitedBuilder,
    /// The longest body accepted: the maximum frame length, and at most what memory can
    /// address after the header (`usize::MAX - head_len`), so `head_len + body` never
    /// overflows. Set once by `new_codec`.
    limit: usize,
    /// `builder.head_len()` and `builder.skip_len()`, set once by `new_codec`.
    head: usize,
    skip: usize,
}

/// The options of a [`LengthDelimitedCodec`], as tokio-util's builder has them.
///
/// ```
/// use pipe_core::codec::{Decoder, LengthDelimitedCodec};
/// use pipe_core::Pipe;
///
/// // A 2-byte little-endian length that counts itself, after a 1-byte type; the frame keeps
/// // the type and drops the length.
/// let mut codec = LengthDelimitedCodec::builder()
///     .length_field_offset(1)
///     .length_field_length(2)
///     .little_endian()
///     .length_adjustment(-2)
///     .num_skip(0)
///     .new_codec();
/// let mut pipe = Pipe::new();
/// pipe.write_all(&[9, 5, 0, b'a', b'b', b'c'])?;
/// assert_eq!(codec.decode(&mut pipe)?.unwrap(), &[9, 5, 0, b'a', b'b', b'c'][..]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct LengthDelimitedBuilder {
    /// Bytes before the length field.
    length_field_offset: usize,
    /// The length field's size, 1 to 8 bytes.
    length_field_length: usize,
    /// Whether the length field is big-endian.
    big_endian: bool,
    /// Added to the length field's value to get the bytes that follow the header.
    length_adjustment: isize,
    /// Bytes dropped from the start of each frame; `None`: the whole header.
    num_skip: Option<usize>,
    /// The longest frame accepted (the adjusted length).
    max_frame_length: usize,
}

/// Why a [`LengthDelimitedCodec`] gave no frame. After a decode error the stream's framing is
/// lost: nothing is consumed, and a framed reader ends.
///
/// ```
/// use pipe_core::codec::{Decoder, LengthDelimitedCodec, LengthDelimitedCodecError};
/// use pipe_core::Pipe;
/// let mut codec = LengthDelimitedCodec::builder().max_frame_length(4).new_codec();
/// let mut pipe = Pipe::new();
/// pipe.write_all(b"\0\0\0\x09")?;
/// let err = codec.decode(&mut pipe).unwrap_err();
/// assert!(matches!(err, LengthDelimitedCodecError::FrameTooBig { length: 9, max: 4 }));
/// assert_eq!(err.to_string(), "frame of 9 bytes over the maximum of 4");
/// assert_eq!(std::io::Error::from(err).kind(), std::io::ErrorKind::InvalidData);
/// assert_eq!(pipe.len(), 4); // nothing consumed
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub enum LengthDelimitedCodecError {
    /// The length field says more than the maximum frame length.
    FrameTooBig {
        /// The adjusted length (`u64::MAX` if larger).
        length: u64,
        /// The maximum frame length (with an unlimited maximum, what memory can address after
        /// the header).
        max: usize,
    },
    /// The length field plus the adjustment is negative, or the frame (header and adjusted
    /// length) is shorter than the bytes to skip.
    BadLength {
        /// The length field's value.
        field: u64,
    },
    /// The payload is over the maximum frame length, or its length cannot be written in the
    /// length field. Nothing was written.
    PayloadTooLong {
        /// The payload's length.
        length: usize,
    },
    /// The transport failed.
    Io(io::Error),
}

impl fmt::Display for LengthDelimitedCodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LengthDelimitedCodecError::FrameTooBig { length, max } => {
                write!(f, "frame of {length} bytes over the maximum of {max}")
            }
            LengthDelimitedCodecError::BadLength { field } => {
                write!(
                    f,
                    "length field {field} gives a frame length below zero or shorter than the bytes to skip"
                )
            }
            LengthDelimitedCodecError::PayloadTooLong { length } => {
                write!(
                    f,
                    "a payload of {length} bytes is over the maximum frame length or does not fit the length field"
                )
            }
            LengthDelimitedCodecError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for LengthDelimitedCodecError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LengthDelimitedCodecError::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// The transport's error as it was; a codec error as `InvalidData`, the codec error inside.
impl From<LengthDelimitedCodecError> for io::Error {
    fn from(e: LengthDelimitedCodecError) -> io::Error {
        match e {
            LengthDelimitedCodecError::Io(e) => e,
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }
}

impl From<io::Error> for LengthDelimitedCodecError {
    fn from(e: io::Error) -> Self {
        LengthDelimitedCodecError::Io(e)
    }
}

impl Default for LengthDelimitedBuilder {
    fn default() -> Self {
        LengthDelimitedBuilder {
            length_field_offset: 0,
            length_field_length: 4,
            big_endian: true,
            length_adjustment: 0,
            num_skip: None,
            max_frame_length: 8 * 1024 * 1024,
        }
    }
}

impl LengthDelimitedBuilder {
    /// Bytes before the length field (default 0). The decoder reads past them; the encoder
    /// writes none (only the length field and the payload): write them yourself first.
    ///
    /// ```
    /// use pipe_core::codec::{Decoder, LengthDelimitedCodec};
    /// use pipe_core::Pipe;
    /// let mut codec = LengthDelimitedCodec::builder().length_field_offset(1).new_codec();
    /// let mut pipe = Pipe::new();
    /// pipe.write_all(b"\x07\0\0\0\x02hi")?; // a type byte, then the length and the payload
    /// assert_eq!(codec.decode(&mut pipe)?.unwrap(), "hi");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn length_field_offset(&mut self, n: usize) -> &mut Self {
        self.length_field_offset = n;
        self
    }

    /// The length field's size in bytes, 1 to 8 (default 4); others are clamped into that range.
    ///
    /// ```
    /// use pipe_core::codec::{Encoder, LengthDelimitedCodec};
    /// use pipe_core::{Bytes, Pipe};
    /// let mut codec = LengthDelimitedCodec::builder().length_field_length(2).new_codec();
    /// let mut pipe = Pipe::new();
    /// codec.encode(Bytes::from_static(b"hi"), &mut pipe)?;
    /// assert_eq!(pipe.read_exact(4)?, "\0\x02hi");
    /// let mut codec = LengthDelimitedCodec::builder().length_field_length(16).new_codec();
    /// codec.encode(Bytes::from_static(b"hi"), &mut pipe)?;
    /// assert_eq!(pipe.len(), 8 + 2); // clamped to 8 bytes
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn length_field_length(&mut self, n: usize) -> &mut Self {
        self.length_field_length = n.clamp(1, 8);
        self
    }

    /// The length field is big-endian (the default).
    ///
    /// ```
    /// use pipe_core::codec::{Encoder, LengthDelimitedCodec};
    /// use pipe_core::{Bytes, Pipe};
    /// let mut codec = LengthDelimitedCodec::builder()
    ///     .length_field_length(2)
    ///     .big_endian()
    ///     .new_codec();
    /// let mut pipe = Pipe::new();
    /// codec.encode(Bytes::from(vec![0; 258]), &mut pipe)?;
    /// assert_eq!(pipe.read_exact(2)?, &[1, 2][..]); // 258 is 0x0102: the high byte first
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn big_endian(&mut self) -> &mut Self {
        self.big_endian = true;
        self
    }

    /// The length field is little-endian.
    ///
    /// ```
    /// use pipe_core::codec::{Encoder, LengthDelimitedCodec};
    /// use pipe_core::{Bytes, Pipe};
    /// let mut codec = LengthDelimitedCodec::builder()
    ///     .length_field_length(2)
    ///     .little_endian()
    ///     .new_codec();
    /// let mut pipe = Pipe::new();
    /// codec.encode(Bytes::from(vec![0; 258]), &mut pipe)?;
    /// assert_eq!(pipe.read_exact(2)?, &[2, 1][..]); // 258 is 0x0102: the low byte first
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn little_endian(&mut self) -> &mut Self {
        self.big_endian = false;
        self
    }

    /// Added to the length field's value to get the bytes after the header (default 0; e.g.
    /// `-4` for a 4-byte field that counts itself).
    ///
    /// ```
    /// use pipe_core::codec::{Decoder, LengthDelimitedCodec};
    /// use pipe_core::Pipe;
    /// // A 2-byte length that counts itself: 4 is the field and 2 bytes of payload.
    /// let mut codec = LengthDelimitedCodec::builder()
    ///     .length_field_length(2)
    ///     .length_adjustment(-2)
    ///     .new_codec();
    /// let mut pipe = Pipe::new();
    /// pipe.write_all(b"\0\x04hi")?;
    /// assert_eq!(codec.decode(&mut pipe)?.unwrap(), "hi");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn length_adjustment(&mut self, n: isize) -> &mut Self {
        self.length_adjustment = n;
        self
    }

    /// Bytes dropped from the start of each frame (default: the offset and the length field).
    ///
    /// ```
    /// use pipe_core::codec::{Decoder, LengthDelimitedCodec};
    /// use pipe_core::Pipe;
    /// let mut codec = LengthDelimitedCodec::builder().num_skip(0).new_codec();
    /// let mut pipe = Pipe::new();
    /// pipe.write_all(b"\0\0\0\x02hi")?;
    /// assert_eq!(codec.decode(&mut pipe)?.unwrap(), "\0\0\0\x02hi"); // the header kept
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn num_skip(&mut self, n: usize) -> &mut Self {
        self.num_skip = Some(n);
        self
    }

    /// The longest frame accepted, after adjustment (default 8 MiB).
    ///
    /// ```
    /// use pipe_core::codec::{Encoder, LengthDelimitedCodec, LengthDelimitedCodecError};
    /// use pipe_core::{Bytes, Pipe};
    /// let mut codec = LengthDelimitedCodec::builder().max_frame_length(4).new_codec();
    /// let mut pipe = Pipe::new();
    /// let err = codec.encode(Bytes::from_static(b"hello"), &mut pipe).unwrap_err();
    /// assert!(matches!(err, LengthDelimitedCodecError::PayloadTooLong { length: 5 }));
    /// assert!(pipe.is_empty()); // nothing written
    /// ```
    pub fn max_frame_length(&mut self, n: usize) -> &mut Self {
        self.max_frame_length = n;
        self
    }

    /// The codec.
    ///
    /// ```
    /// use pipe_core::codec::{Decoder, Encoder, LengthDelimitedCodec};
    /// use pipe_core::{Bytes, Pipe};
    /// let mut builder = LengthDelimitedCodec::builder();
    /// builder.length_field_length(1);
    /// let (mut encoder, mut decoder) = (builder.new_codec(), builder.new_codec());
    /// let mut pipe = Pipe::new();
    /// encoder.encode(Bytes::from_static(b"hi"), &mut pipe)?;
    /// assert_eq!(pipe.len(), 1 + 2);
    /// assert_eq!(decoder.decode(&mut pipe)?.unwrap(), "hi");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new_codec(&self) -> LengthDelimitedCodec {
        LengthDelimitedCodec {
            builder: *self,
            limit: self.max_frame_length.min(usize::MAX - self.head_len()),
            head: self.head_len(),
            skip: self.skip_len(),
        }
    }

    /// The bytes up to the end of the length field (saturated: an offset near `usize::MAX`
    /// makes a header no stream can finish, not an overflow).
    fn head_len(&self) -> usize {
        self.length_field_offset
            .saturating_add(self.length_field_length)
    }

    fn skip_len(&self) -> usize {
        self.num_skip.unwrap_or_else(|| self.head_len())
    }
}

impl Default for LengthDelimitedCodec {
    fn default() -> Self {
        LengthDelimitedCodec::new()
    }
}

impl LengthDelimitedCodec {
    /// A 4-byte big-endian length, then that many bytes, at most 8 MiB.
    ///
    /// ```
    /// assert_eq!(pipe_core::codec::LengthDelimitedCodec::new().max_frame_length(), 8 << 20);
    /// ```
    pub fn new() -> Self {
        LengthDelimitedBuilder::default().new_codec()
    }

    /// The options, to change before [`new_codec`](LengthDelimitedBuilder::new_codec).
    ///
    /// ```
    /// let codec = pipe_core::codec::LengthDelimitedCodec::builder().length_field_length(2).new_codec();
    /// assert_eq!(codec.max_frame_length(), 8 << 20);
    /// ```
    pub fn builder() -> LengthDelimitedBuilder {
        LengthDelimitedBuilder::default()
    }

    /// The longest frame accepted.
    ///
    /// ```
    /// let codec = pipe_core::codec::LengthDelimitedCodec::builder().max_frame_length(64).new_codec();
    /// assert_eq!(codec.max_frame_length(), 64);
    /// ```
    pub fn max_frame_length(&self) -> usize {
        self.builder.max_frame_length
    }

    /// The frame's length in the pipe (header included) for a length field of `value`, or why
    /// it is refused.
    fn checked_total(&self, value: u64) -> Result<usize, LengthDelimitedCodecError> {
        let b = &self.builder;
        let adjusted = i128::from(value) + b.length_adjustment as i128;
        if adjusted < 0 {
            return Err(LengthDelimitedCodecError::BadLength { field: value });
        }
        // (An unlimited maximum meets a field near `u64::MAX` at `limit`, never an overflow.)
        if adjusted > self.limit as i128 {
            return Err(LengthDelimitedCodecError::FrameTooBig {
                length: u64::try_from(adjusted).unwrap_or(u64::MAX),
                max: self.limit,
            });
        }
        // No overflow: `adjusted <= limit <= usize::MAX - head_len`.
        let total = self.head + adjusted as usize;
        if self.skip > total {
            return Err(LengthDelimitedCodecError::BadLength { field: value });
        }
        Ok(total)
    }
}

impl Decoder for LengthDelimitedCodec {
    type Item = Bytes;
    type Error = LengthDelimitedCodecError;

    fn decode(&mut self, src: &mut Pipe) -> Result<Option<Bytes>, LengthDelimitedCodecError> {
        let b = &self.builder;
        // The common case in one pass: the header lies in the first chunk. (64 B frames: 663
        // instructions a frame through the cursor alone, 388 with this, tokio-util 406:
        // `benches/examples/framed_paths.rs` under callgrind.)
        let head = self.head;
        src.release_spent();
        if let Some(first) = src.segments.front()
            && let Some(field) = first.data().get(b.length_field_offset..head)
        {
            let value = if b.big_endian {
                field.iter().fold(0u64, |v, &x| (v << 8) | u64::from(x))
            } else {
                field
                    .iter()
                    .rev()
                    .fold(0u64, |v, &x| (v << 8) | u64::from(x))
            };
            let total = self.checked_total(value)?;
            if src.len() < total {
                src.reserve_frame(total);
                return Ok(None);
            }
            let mut frame = src.take(total);
            frame.advance(self.skip);
            return Ok(Some(frame));
        }
        let mut cursor = src.cursor();
        // The field is copied out (never a `Bytes`: that would seal the chunk writes go to).
        let field = cursor.skip(b.length_field_offset).and_then(|()| {
            if b.big_endian {
                cursor.uint_be(b.length_field_length)
            } else {
                cursor.uint_le(b.length_field_length)
            }
        });
        let value = match field {
            Ok(value) => value,
            Err(ReadError::NeedMore) => return Ok(None),
            Err(e) => return Err(io::Error::from(e).into()),
        };
        let total = self.checked_total(value)?;
        let skip = self.skip;
        if cursor.remaining() < total - head {
            src.reserve_frame(total);
            return Ok(None);
        }
        // The cursor is at the end of the header: the frame starts `skip` bytes from the start.
        let frame = if skip >= head {
            cursor
                .skip(skip - head)
                .and_then(|()| cursor.bytes(total - skip))
        } else {
            let mut cursor = src.cursor();
            let frame = cursor
                .skip(skip)
                .and_then(|()| cursor.bytes(total - skip))
                .map_err(io::Error::from)?;
            cursor.commit();
            return Ok(Some(frame));
        };
        let frame = frame.map_err(io::Error::from)?;
        cursor.commit();
        Ok(Some(frame))
    }
}

impl Encoder<Bytes> for LengthDelimitedCodec {
    type Error = LengthDelimitedCodecError;

    /// Writes the length field (the payload's length less the adjustment) and the payload;
    /// nothing is written if the payload is over the maximum or its length does not fit.
    fn encode(&mut self, data: Bytes, dst: &mut Pipe) -> Result<(), LengthDelimitedCodecError> {
        let b = &self.builder;
        let too_long = LengthDelimitedCodecError::PayloadTooLong { length: data.len() };
        if data.len() > b.max_frame_length {
            return Err(too_long);
        }
        let value = i128::try_from(data.len()).unwrap_or(i128::MAX) - b.length_adjustment as i128;
        let bits = 8 * b.length_field_length as u32;
        let fits = value >= 0 && (bits == 64 || value < 1i128 << bits);
        if !fits {
            return Err(too_long);
        }
        let be = (value as u64).to_be_bytes();
        let mut field = [0u8; 8];
        let n = b.length_field_length;
        field[..n].copy_from_slice(&be[8 - n..]);
        if !b.big_endian {
            field[..n].reverse();
        }
        if data.len() >= APPEND_FROM {
            dst.write_all(&field[..n]).map_err(io::Error::from)?;
            dst.append_bytes(data).map_err(io::Error::from)?;
        } else {
            dst.write_two(&field[..n], &data).map_err(io::Error::from)?;
        }
        Ok(())
    }
}
