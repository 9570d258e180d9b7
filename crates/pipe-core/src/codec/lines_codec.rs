//! [`LinesCodec`]: lines ending in `\n` (a `\r` before it stripped), with a maximum length.

use std::{fmt, io};

use bytes::Bytes;

use super::{Decoder, Encoder, with_limit};
use crate::error::ReadError;
use crate::pipe::Pipe;
use crate::read::Discarded;

/// Lines as `Bytes` (zero-copy slices of the pipe's chunks; the ending stripped), and lines
/// written with `\n` after them.
///
/// A line longer than the maximum length (ending not counted) gives one
/// [`LinesCodecError::MaxLineLengthExceeded`]; it is then dropped through its `\n` and decoding
/// goes on with the next line (as tokio-util's `LinesCodec` does). At the end of the stream, a
/// last line without `\n` is returned as a line, as tokio-util does; one over the maximum
/// length is a `MaxLineLengthExceeded` error, then the end (`Ok(None)`, the bytes dropped).
/// If the stream ended with an error, a last line without `\n` is not a line: that error,
/// every time, the bytes kept.
///
/// Unlike tokio-util's, lines are bytes, not `String`s: no UTF-8 check and no copy; use
/// `std::str::from_utf8(&line)` where text is needed.
///
/// ```
/// use pipe_core::codec::{Decoder, LinesCodec, LinesCodecError};
/// use pipe_core::Pipe;
///
/// let mut codec = LinesCodec::new_with_max_length(4);
/// let mut pipe = Pipe::new();
/// pipe.write_all(b"one\r\nfar too long\ntwo\nthr")?;
/// assert_eq!(codec.decode(&mut pipe)?.unwrap(), "one");
/// assert!(matches!(codec.decode(&mut pipe), Err(LinesCodecError::MaxLineLengthExceeded)));
/// assert_eq!(codec.decode(&mut pipe)?.unwrap(), "two");
/// assert_eq!(codec.decode(&mut pipe)?, None);
/// pipe.eof()?;
/// assert_eq!(codec.decode_eof(&mut pipe)?.unwrap(), "thr");
/// assert_eq!(codec.decode_eof(&mut pipe)?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct LinesCodec {
    /// The longest line accepted, ending not counted.
    max_length: usize,
    /// Dropping a line over the limit: everything through the next `\n` goes.
    is_discarding: bool,
}

/// Why [`LinesCodec`] gave no line.
///
/// ```
/// use pipe_core::codec::{Decoder, LinesCodec, LinesCodecError};
/// use pipe_core::Pipe;
/// let mut codec = LinesCodec::new_with_max_length(3);
/// let mut pipe = Pipe::new();
/// pipe.write_all(b"too long\nok\n")?;
/// let err = codec.decode(&mut pipe).unwrap_err();
/// assert!(matches!(err, LinesCodecError::MaxLineLengthExceeded));
/// assert_eq!(err.to_string(), "line longer than the maximum");
/// assert_eq!(std::io::Error::from(err).kind(), std::io::ErrorKind::InvalidData);
/// assert_eq!(codec.decode(&mut pipe)?.unwrap(), "ok"); // decoding goes on
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub enum LinesCodecError {
    /// A line was longer than the maximum length; it is dropped and decoding goes on.
    MaxLineLengthExceeded,
    /// The transport failed.
    Io(io::Error),
}

impl fmt::Display for LinesCodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinesCodecError::MaxLineLengthExceeded => f.write_str("line longer than the maximum"),
            LinesCodecError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for LinesCodecError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LinesCodecError::Io(e) => Some(e),
            LinesCodecError::MaxLineLengthExceeded => None,
        }
    }
}

/// The transport's error as it was; a codec error as `InvalidData`, the codec error inside.
impl From<LinesCodecError> for io::Error {
    fn from(e: LinesCodecError) -> io::Error {
        match e {
            LinesCodecError::Io(e) => e,
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }
}

impl From<io::Error> for LinesCodecError {
    fn from(e: io::Error) -> Self {
        LinesCodecError::Io(e)
    }
}

impl Default for LinesCodec {
    fn default() -> Self {
        LinesCodec::new()
    }
}

impl LinesCodec {
    /// Lines of any length (bounded only by memory; prefer a maximum on untrusted input).
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"hi\n")?;
    /// let line = pipe_core::codec::Decoder::decode(&mut pipe_core::codec::LinesCodec::new(), &mut pipe)?;
    /// assert_eq!(line.unwrap(), "hi");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new() -> Self {
        LinesCodec::new_with_max_length(usize::MAX)
    }

    /// Lines of at most `max_length` bytes, ending not counted.
    ///
    /// ```
    /// assert_eq!(pipe_core::codec::LinesCodec::new_with_max_length(80).max_length(), 80);
    /// ```
    pub fn new_with_max_length(max_length: usize) -> Self {
        LinesCodec {
            max_length,
            is_discarding: false,
        }
    }

    /// The maximum length.
    ///
    /// ```
    /// assert_eq!(pipe_core::codec::LinesCodec::new().max_length(), usize::MAX);
    /// ```
    pub fn max_length(&self) -> usize {
        self.max_length
    }

    /// Drops the rest of a line over the limit; whether it is all gone.
    fn discard(&mut self, src: &mut Pipe) -> Result<bool, LinesCodecError> {
        match src.discard_until(b"\n") {
            Ok(Discarded::Found(_)) => {
                self.is_discarding = false;
                Ok(true)
            }
            Ok(Discarded::NotYet(_)) => Ok(false),
            Err(ReadError::End) => Ok(false),
            Err(e) => Err(io::Error::from(e).into()),
        }
    }
}

impl Decoder for LinesCodec {
    type Item = Bytes;
    type Error = LinesCodecError;

    // Inline, so that `FramedRead`'s poll takes a line without a call: 413 -> 390 instructions
    // a 64 B line (`framed_paths lines-ours`), `framed/lines64` 0.80x -> 0.86x tokio-util's
    // (the two builds' compare binaries alternated four times).
    #[inline]
    fn decode(&mut self, src: &mut Pipe) -> Result<Option<Bytes>, LinesCodecError> {
        if self.is_discarding && !self.discard(src)? {
            return Ok(None);
        }
        // One match on the read's outcome: 64 B lines through `FramedRead` ran 7% faster this
        // way than through a helper returning a nested `Result` (the two builds alternated
        // four times, `framed/lines64`), at the same instruction count.
        match with_limit(src, self.max_length, |p| p.read_frame(b"\n", false, true)) {
            Ok(line) => Ok(Some(line)),
            Err(ReadError::NeedMore | ReadError::End) => Ok(None),
            // Closed mid-line: `decode_eof` hands the rest over.
            Err(ReadError::Partial(rest)) => Ok(Some(rest)),
            Err(ReadError::LimitExceeded { .. }) => {
                self.is_discarding = true;
                Err(LinesCodecError::MaxLineLengthExceeded)
            }
            Err(e) => Err(io::Error::from(e).into()),
        }
    }

    fn decode_eof(&mut self, src: &mut Pipe) -> Result<Option<Bytes>, LinesCodecError> {
        if self.is_discarding {
            src.skip(src.len());
            self.is_discarding = false;
            return Ok(None);
        }
        self.decode(src)
    }
}

impl<T: AsRef<[u8]>> Encoder<T> for LinesCodec {
    type Error = LinesCodecError;

    /// Writes the line and `\n`. A line over the maximum length is refused, nothing written.
    fn encode(&mut self, line: T, dst: &mut Pipe) -> Result<(), LinesCodecError> {
        let line = line.as_ref();
        if line.len() > self.max_length {
            return Err(LinesCodecError::MaxLineLengthExceeded);
        }
        dst.write_all(line).map_err(io::Error::from)?;
        dst.write_all(b"\n").map_err(io::Error::from)?;
        Ok(())
    }
}
