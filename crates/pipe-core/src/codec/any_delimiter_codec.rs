//! [`AnyDelimiterCodec`]: chunks ending in any of several delimiter bytes.

use std::{fmt, io};

use bytes::Bytes;

use super::{Decoder, Encoder, with_limit};
use crate::error::ReadError;
use crate::pipe::{Pipe, PipeState};

/// Chunks that end in any of a set of delimiter bytes (the delimiter not included), and chunks
/// written with a fixed sequence after them, as tokio-util's `AnyDelimiterCodec`. A chunk longer
/// than the maximum length gives one [`AnyDelimiterCodecError::MaxChunkLengthExceeded`], is
/// dropped through its delimiter, and decoding goes on. At the end of the stream, a last chunk
/// without a delimiter is returned as a chunk; if the stream ended with an error,
/// `decode_eof` reports that error instead, every time, and the bytes stay buffered.
///
/// ```
/// use pipe_core::codec::{AnyDelimiterCodec, Decoder};
/// use pipe_core::Pipe;
///
/// let mut codec = AnyDelimiterCodec::new(b",;".to_vec(), b";".to_vec());
/// let mut pipe = Pipe::new();
/// pipe.write_all(b"a,b;c")?;
/// assert_eq!(codec.decode(&mut pipe)?.unwrap(), "a");
/// assert_eq!(codec.decode(&mut pipe)?.unwrap(), "b");
/// assert_eq!(codec.decode(&mut pipe)?, None);
/// pipe.eof()?;
/// assert_eq!(codec.decode_eof(&mut pipe)?.unwrap(), "c");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct AnyDelimiterCodec {
    /// The bytes that end a chunk.
    seek_delimiters: Vec<u8>,
    /// What `encode` writes after a chunk.
    sequence_writer: Vec<u8>,
    /// The longest chunk accepted, delimiter not counted.
    max_length: usize,
    /// Dropping a chunk over the limit: everything through the next delimiter goes.
    is_discarding: bool,
}

/// Why [`AnyDelimiterCodec`] gave no chunk.
///
/// ```
/// use pipe_core::codec::{AnyDelimiterCodec, AnyDelimiterCodecError, Decoder};
/// use pipe_core::Pipe;
/// let mut codec = AnyDelimiterCodec::new_with_max_length(b",".to_vec(), b",".to_vec(), 3);
/// let mut pipe = Pipe::new();
/// pipe.write_all(b"toolong,ok,")?;
/// let err = codec.decode(&mut pipe).unwrap_err();
/// assert!(matches!(err, AnyDelimiterCodecError::MaxChunkLengthExceeded));
/// assert_eq!(err.to_string(), "chunk longer than the maximum");
/// assert_eq!(std::io::Error::from(err).kind(), std::io::ErrorKind::InvalidData);
/// assert_eq!(codec.decode(&mut pipe)?.unwrap(), "ok"); // decoding goes on
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub enum AnyDelimiterCodecError {
    /// A chunk was longer than the maximum length; it is dropped and decoding goes on.
    MaxChunkLengthExceeded,
    /// The transport failed.
    Io(io::Error),
}

impl fmt::Display for AnyDelimiterCodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnyDelimiterCodecError::MaxChunkLengthExceeded => {
                f.write_str("chunk longer than the maximum")
            }
            AnyDelimiterCodecError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for AnyDelimiterCodecError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AnyDelimiterCodecError::Io(e) => Some(e),
            AnyDelimiterCodecError::MaxChunkLengthExceeded => None,
        }
    }
}

/// The transport's error as it was; a codec error as `InvalidData`, the codec error inside.
impl From<AnyDelimiterCodecError> for io::Error {
    fn from(e: AnyDelimiterCodecError) -> io::Error {
        match e {
            AnyDelimiterCodecError::Io(e) => e,
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }
}

impl From<io::Error> for AnyDelimiterCodecError {
    fn from(e: io::Error) -> Self {
        AnyDelimiterCodecError::Io(e)
    }
}

impl AnyDelimiterCodec {
    /// Chunks ending in any byte of `seek_delimiters`, written with `sequence_writer` after
    /// them, of any length. With no `seek_delimiters`, `decode` fails with an `Io` error of
    /// kind `InvalidInput` ("no delimiters"), every time, consuming nothing.
    ///
    /// ```
    /// let codec = pipe_core::codec::AnyDelimiterCodec::new(b"\n".to_vec(), b"\n".to_vec());
    /// assert_eq!(codec.max_length(), usize::MAX);
    /// ```
    pub fn new(seek_delimiters: Vec<u8>, sequence_writer: Vec<u8>) -> Self {
        AnyDelimiterCodec::new_with_max_length(seek_delimiters, sequence_writer, usize::MAX)
    }

    /// As [`new`](AnyDelimiterCodec::new), with chunks of at most `max_length` bytes.
    ///
    /// ```
    /// let codec = pipe_core::codec::AnyDelimiterCodec::new_with_max_length(b",".to_vec(), b",".to_vec(), 16);
    /// assert_eq!(codec.max_length(), 16);
    /// ```
    pub fn new_with_max_length(
        seek_delimiters: Vec<u8>,
        sequence_writer: Vec<u8>,
        max_length: usize,
    ) -> Self {
        AnyDelimiterCodec {
            seek_delimiters,
            sequence_writer,
            max_length,
            is_discarding: false,
        }
    }

    /// The maximum length.
    ///
    /// ```
    /// let codec = pipe_core::codec::AnyDelimiterCodec::new(b",".to_vec(), b",".to_vec());
    /// assert_eq!(codec.max_length(), usize::MAX);
    /// ```
    pub fn max_length(&self) -> usize {
        self.max_length
    }
}

impl Decoder for AnyDelimiterCodec {
    type Item = Bytes;
    type Error = AnyDelimiterCodecError;

    fn decode(&mut self, src: &mut Pipe) -> Result<Option<Bytes>, AnyDelimiterCodecError> {
        if self.seek_delimiters.is_empty() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "no delimiters").into());
        }
        if self.is_discarding {
            // Through the next delimiter, however far (no limit while dropping).
            let delimiters = &self.seek_delimiters;
            let dropped = with_limit(src, usize::MAX, |pipe| {
                let mut cursor = pipe.cursor();
                let found = cursor.until_any(delimiters).is_ok();
                if found {
                    cursor.commit();
                }
                found
            });
            if !dropped {
                src.skip(src.len());
                return Ok(None);
            }
            self.is_discarding = false;
        }
        let delimiters = &self.seek_delimiters;
        let found = with_limit(src, self.max_length, |pipe| {
            let mut cursor = pipe.cursor();
            let chunk = cursor.until_any(delimiters)?;
            cursor.commit();
            Ok::<_, ReadError>(chunk.0)
        });
        match found {
            Ok(chunk) => Ok(Some(chunk)),
            Err(ReadError::NeedMore) => Ok(None),
            Err(ReadError::LimitExceeded { .. }) => {
                self.is_discarding = true;
                Err(AnyDelimiterCodecError::MaxChunkLengthExceeded)
            }
            Err(e) => Err(io::Error::from(e).into()),
        }
    }

    fn decode_eof(&mut self, src: &mut Pipe) -> Result<Option<Bytes>, AnyDelimiterCodecError> {
        if let Some(chunk) = self.decode(src)? {
            return Ok(Some(chunk));
        }
        match src.state() {
            // Ended by an error: the rest is no chunk (it may have been cut anywhere); the
            // error, every time, and the rest stays buffered.
            PipeState::Failed(e) => Err(e.to_io_error().into()),
            _ if self.is_discarding || src.is_empty() => {
                src.skip(src.len());
                self.is_discarding = false;
                Ok(None)
            }
            _ => Ok(Some(src.read_at_most(src.len()).map_err(io::Error::from)?)),
        }
    }
}

impl<T: AsRef<[u8]>> Encoder<T> for AnyDelimiterCodec {
    type Error = AnyDelimiterCodecError;

    /// Writes the chunk and the sequence. A chunk over the maximum length is refused.
    fn encode(&mut self, chunk: T, dst: &mut Pipe) -> Result<(), AnyDelimiterCodecError> {
        let chunk = chunk.as_ref();
        if chunk.len() > self.max_length {
            return Err(AnyDelimiterCodecError::MaxChunkLengthExceeded);
        }
        dst.write_all(chunk).map_err(io::Error::from)?;
        dst.write_all(&self.sequence_writer)
            .map_err(io::Error::from)?;
        Ok(())
    }
}
