//! [`BytesCodec`]: whatever bytes are there.

use std::io;

use bytes::Bytes;

use super::{Decoder, Encoder};
use crate::error::ReadError;
use crate::pipe::Pipe;

/// Frames of whatever is buffered (one chunk's worth at a time, zero-copy), and payloads written
/// as they are: a `Bytes` goes in as a segment of its own, not copied. For proxies and raw
/// streams.
///
/// ```
/// use pipe_core::codec::{BytesCodec, Decoder, Encoder};
/// use pipe_core::{Bytes, Pipe};
///
/// let mut pipe = Pipe::new();
/// BytesCodec.encode(Bytes::from_static(b"raw bytes"), &mut pipe)?;
/// assert_eq!(BytesCodec.decode(&mut pipe)?.unwrap(), "raw bytes");
/// assert_eq!(BytesCodec.decode(&mut pipe)?, None);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct BytesCodec;

impl Decoder for BytesCodec {
    type Item = Bytes;
    type Error = io::Error;

    fn decode(&mut self, src: &mut Pipe) -> io::Result<Option<Bytes>> {
        let n = src.chunks().next().map_or(0, <[u8]>::len);
        if n == 0 {
            return Ok(None);
        }
        match src.read_at_most(n) {
            Ok(frame) => Ok(Some(frame)),
            Err(ReadError::NeedMore | ReadError::End) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

impl Encoder<Bytes> for BytesCodec {
    type Error = io::Error;

    fn encode(&mut self, item: Bytes, dst: &mut Pipe) -> io::Result<()> {
        Ok(dst.append_bytes(item)?)
    }
}

impl Encoder<&[u8]> for BytesCodec {
    type Error = io::Error;

    fn encode(&mut self, item: &[u8], dst: &mut Pipe) -> io::Result<()> {
        Ok(dst.write_all(item)?)
    }
}
