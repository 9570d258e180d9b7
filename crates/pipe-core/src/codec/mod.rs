//! Codecs: the unit of work for protocol authors, as in tokio-util, Netty and
//! System.IO.Pipelines. A [`Decoder`] takes frames out of a [`Pipe`]; an [`Encoder`] writes
//! messages into a pipe used as the write buffer (a large payload may go in as a segment of its
//! own with [`Pipe::append_bytes`], sent by `writev` without a copy).
//!
//! Written on the pipe's reads or a [`Cursor`](crate::Cursor), a decoder either returns a frame
//! (consuming it) or `Ok(None)` having consumed nothing it cannot find again, so dropping a
//! framed read between polls loses nothing. One codec a file:
//! [`LinesCodec`], [`AnyDelimiterCodec`], [`LengthDelimitedCodec`], [`BytesCodec`].
//!
//! ```
//! use pipe_core::Pipe;
//! use pipe_core::codec::{Decoder, LinesCodec};
//! let mut pipe = Pipe::new();
//! pipe.write_all(b"one\ntw")?;
//! let mut codec = LinesCodec::new();
//! assert_eq!(codec.decode(&mut pipe)?.unwrap(), "one");
//! assert_eq!(codec.decode(&mut pipe)?, None); // "tw" stays for the next fill
//! assert_eq!(pipe.len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io;

use crate::pipe::{Pipe, PipeState};

mod any_delimiter_codec;
mod bytes_codec;
mod length_delimited;
mod lines_codec;

pub use any_delimiter_codec::{AnyDelimiterCodec, AnyDelimiterCodecError};
pub use bytes_codec::BytesCodec;
pub use length_delimited::{
    LengthDelimitedBuilder, LengthDelimitedCodec, LengthDelimitedCodecError,
};
pub use lines_codec::{LinesCodec, LinesCodecError};

/// Takes frames out of a [`Pipe`].
///
/// ```
/// use pipe_core::codec::Decoder;
/// use pipe_core::{Bytes, Pipe, ReadError};
///
/// /// Frames of a 1-byte length and the body.
/// struct Short;
///
/// impl Decoder for Short {
///     type Item = Bytes;
///     type Error = std::io::Error;
///
///     fn decode(&mut self, src: &mut Pipe) -> Result<Option<Bytes>, std::io::Error> {
///         let mut cursor = src.cursor();
///         let read = cursor.u8().and_then(|n| cursor.bytes(n as usize));
///         match read {
///             Ok(body) => {
///                 cursor.commit();
///                 Ok(Some(body))
///             }
///             Err(ReadError::NeedMore) => Ok(None),
///             Err(e) => Err(e.into()),
///         }
///     }
/// }
///
/// let mut pipe = Pipe::new();
/// pipe.write_all(b"\x02hi\x03yo")?;
/// assert_eq!(Short.decode(&mut pipe)?.unwrap(), "hi");
/// assert_eq!(Short.decode(&mut pipe)?, None); // "yo" is one byte short
/// assert_eq!(pipe.len(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Decoder {
    /// The frames.
    type Item;
    /// Why decoding failed; the framed streams hand transport errors over in it, converted
    /// from their `io::Error`.
    type Error: From<io::Error>;

    /// The next frame from the front of `src`, consumed; `Ok(None)` when more bytes are needed
    /// (nothing of a partial frame consumed, unless the codec keeps state for it). On a pipe
    /// that ended with an error and cannot give a whole frame, either `Ok(None)` or that error
    /// is right (this crate's `LinesCodec` says the error, the others `Ok(None)`): the framed
    /// streams report the transport's error once the frames are out, and
    /// [`decode_eof`](Decoder::decode_eof) reports it.
    fn decode(&mut self, src: &mut Pipe) -> Result<Option<Self::Item>, Self::Error>;

    /// At the end of the stream (`src` is closed): the last frames. The default decodes, and
    /// when no frame comes: if the stream ended with an error, fails with it (its kind kept,
    /// every time, as the pipe's own reads do); else, if bytes are left, with an
    /// `UnexpectedEof` error saying how many. The bytes left are not consumed either way.
    ///
    /// ```
    /// use pipe_core::codec::{Decoder, LengthDelimitedCodec};
    /// use pipe_core::Pipe;
    /// use std::io::{Error, ErrorKind};
    ///
    /// let mut pipe = Pipe::new();
    /// pipe.write_all(b"\0\0\0\x05hel")?; // a frame of 5 bytes, 3 of them here
    /// pipe.eof_with_error(Error::from(ErrorKind::ConnectionReset))?;
    /// let e: Error = LengthDelimitedCodec::new().decode_eof(&mut pipe).unwrap_err().into();
    /// assert_eq!(e.kind(), ErrorKind::ConnectionReset);
    /// assert_eq!(pipe.len(), 7);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn decode_eof(&mut self, src: &mut Pipe) -> Result<Option<Self::Item>, Self::Error> {
        match self.decode(src)? {
            Some(frame) => Ok(Some(frame)),
            None => match end_error(src) {
                Some(e) => Err(e.into()),
                None => Ok(None),
            },
        }
    }
}

/// Writes messages into a [`Pipe`] used as the write buffer.
///
/// ```
/// use pipe_core::codec::Encoder;
/// use pipe_core::{Bytes, Pipe};
///
/// struct Short;
///
/// impl Encoder<Bytes> for Short {
///     type Error = std::io::Error;
///
///     fn encode(&mut self, item: Bytes, dst: &mut Pipe) -> Result<(), std::io::Error> {
///         let len = u8::try_from(item.len())
///             .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "too long"))?;
///         dst.write_all(&[len])?;
///         dst.append_bytes(item)?; // no copy of the payload
///         Ok(())
///     }
/// }
///
/// let mut out = Pipe::new();
/// Short.encode(Bytes::from_static(b"hi"), &mut out)?;
/// assert_eq!(out.read_exact(3)?, "\x02hi");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Encoder<Item> {
    /// Why encoding failed; nothing of the message is written then.
    type Error: From<io::Error>;

    /// Writes `item` at the end of `dst`.
    fn encode(&mut self, item: Item, dst: &mut Pipe) -> Result<(), Self::Error>;
}

/// Why a closed `src` gives no more frames, for `decode_eof`: the transport's error if the
/// stream ended with one, else `UnexpectedEof` naming the bytes left, else (a clean end with
/// nothing left) `None`.
fn end_error(src: &Pipe) -> Option<io::Error> {
    match src.state() {
        PipeState::Failed(e) => Some(e.to_io_error()),
        _ if src.is_empty() => None,
        _ => Some(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("{} bytes left at the end of the stream", src.len()),
        )),
    }
}

/// Runs `f` with the pipe's maximum frame size set to `limit`, then puts it back (the search
/// progress is kept). The codecs keep their own limits this way.
fn with_limit<R>(pipe: &mut Pipe, limit: usize, f: impl FnOnce(&mut Pipe) -> R) -> R {
    let saved = pipe.max_frame();
    pipe.set_max_frame(limit);
    let out = f(pipe);
    pipe.set_max_frame(saved);
    out
}
