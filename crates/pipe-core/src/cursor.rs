//! [`Cursor`]: reading the buffered bytes without consuming them, then committing what was read
//! in one step (.NET's `SequenceReader`, Netty's `ReplayingDecoder` checkpoint).
//!
//! A header of several fields parsed on a cursor either parses whole and is consumed by
//! [`Cursor::commit`], or a read says [`ReadError::NeedMore`] and the cursor is dropped having
//! consumed nothing: a decoder written this way is cancel safe by construction, and keeps no
//! state between fills.

use bytes::{Buf, Bytes, BytesMut};

use crate::error::ReadError;
use crate::pipe::Pipe;

/// A read position in a [`Pipe`]'s buffered bytes, across chunk boundaries, that consumes
/// nothing until [`commit`](Cursor::commit). Made by [`Pipe::cursor`].
///
/// Every read returns `Err(ReadError::NeedMore)` when the bytes it needs are not all buffered
/// (the position does not move), and `Err(ReadError::Malformed(why))` when they do not hold what
/// it expects. None panics; only `bytes::Buf`'s methods panic on a shortfall, as that trait's
/// contract says (check [`remaining`](Cursor::remaining) first).
///
/// A cursor reads only what is buffered and knows nothing of the pipe's end: past the buffered
/// bytes its reads say `NeedMore` even when the pipe has ended (cleanly or with an error), so a
/// decoder that gets `NeedMore` looks at [`Pipe::state`] once the cursor is dropped, as a
/// codec's `decode_eof` does. Only the delimited reads ([`until`](Cursor::until),
/// [`until_any`](Cursor::until_any)) are bounded by the pipe's maximum frame size; a length read
/// from the peer and passed to [`bytes`](Cursor::bytes) or [`skip`](Cursor::skip) is bounded by
/// nothing but memory, so check it against your own maximum first.
///
/// ```
/// use pipe_core::{Pipe, ReadError};
///
/// // A frame: a 1-byte type, a 2-byte big-endian length, the body.
/// fn frame(pipe: &mut Pipe) -> Result<(u8, pipe_core::Bytes), ReadError> {
///     let mut cursor = pipe.cursor();
///     let kind = cursor.u8()?;
///     let len = cursor.u16_be()? as usize;
///     let body = cursor.bytes(len)?;
///     cursor.commit();
///     Ok((kind, body))
/// }
///
/// let mut pipe = Pipe::new();
/// pipe.write_all(&[7, 0, 5, b'h', b'e'])?;
/// assert!(frame(&mut pipe).unwrap_err().is_need_more());
/// assert_eq!(pipe.len(), 5); // nothing consumed
/// pipe.write_all(b"llo")?;
/// assert_eq!(frame(&mut pipe)?, (7, "hello".into()));
/// assert!(pipe.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Cursor<'a> {
    pipe: &'a mut Pipe,
    /// Offset of the next byte from the pipe's read cursor. `pos <= pipe.len()`.
    pos: usize,
    /// The segment holding `pos` (or `segments.len()` at the end) and the offset it starts at:
    /// a cache, so sequential reads find their bytes in O(1).
    seg: usize,
    seg_start: usize,
}

impl std::fmt::Debug for Cursor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cursor")
            .field("position", &self.pos)
            .field("remaining", &(self.pipe.len() - self.pos))
            .finish_non_exhaustive()
    }
}

impl Pipe {
    /// A [`Cursor`] at the first buffered byte: reads without consuming, then
    /// [`commit`](Cursor::commit) consumes what it read.
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"\x00\x00\x00\x2a")?;
    /// let mut cursor = pipe.cursor();
    /// assert_eq!(cursor.u32_be()?, 42);
    /// cursor.commit();
    /// assert!(pipe.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cursor(&mut self) -> Cursor<'_> {
        self.release_spent();
        Cursor {
            pipe: self,
            pos: 0,
            seg: 0,
            seg_start: 0,
        }
    }
}

/// A fixed-size big- and little-endian integer read, for each type.
macro_rules! int_reads {
    ($($ty:ident: $be:ident, $le:ident;)*) => {$(
        #[doc = concat!("A big-endian `", stringify!($ty), "`.")]
        ///
        /// `NeedMore` if fewer bytes are buffered past the position.
        pub fn $be(&mut self) -> Result<$ty, ReadError> {
            Ok($ty::from_be_bytes(self.array()?))
        }

        #[doc = concat!("A little-endian `", stringify!($ty), "`.")]
        ///
        /// `NeedMore` if fewer bytes are buffered past the position.
        pub fn $le(&mut self) -> Result<$ty, ReadError> {
            Ok($ty::from_le_bytes(self.array()?))
        }
    )*};
}

impl Cursor<'_> {
    /// Bytes read so far (the offset from the first buffered byte).
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"abc")?;
    /// let mut cursor = pipe.cursor();
    /// cursor.skip(2)?;
    /// assert_eq!(cursor.position(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes buffered past the position.
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"abc")?;
    /// let mut cursor = pipe.cursor();
    /// cursor.u8()?;
    /// assert_eq!(cursor.remaining(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn remaining(&self) -> usize {
        self.pipe.len - self.pos
    }

    /// Consumes the bytes read: the pipe goes on after them. Dropping the cursor instead
    /// consumes nothing.
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"abc")?;
    /// let mut cursor = pipe.cursor();
    /// cursor.skip(1)?;
    /// drop(cursor); // not committed
    /// assert_eq!(pipe.len(), 3);
    /// let mut cursor = pipe.cursor();
    /// cursor.skip(1)?;
    /// cursor.commit();
    /// assert_eq!(pipe.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn commit(self) {
        self.pipe.consume(self.pos);
    }

    /// Moves `seg`/`seg_start` to the segment holding `pos` (skipping empty ones).
    #[inline]
    fn settle(&mut self) {
        let segments = &self.pipe.segments;
        while let Some(s) = segments.get(self.seg) {
            if self.seg_start + s.len() > self.pos {
                break;
            }
            self.seg_start += s.len();
            self.seg += 1;
        }
    }

    /// The bytes from the position to the end of the segment holding it (empty at the end):
    /// the common case of every read, which the slower walk over [`rest`](Cursor::rest) only
    /// completes. A RESP command decoded with `skip_if`, `decimal` and `bytes` took about 3,000
    /// instructions with the walk alone (the demo's server under callgrind).
    #[inline]
    fn here(&mut self) -> &[u8] {
        self.settle();
        match self.pipe.segments.get(self.seg) {
            Some(s) => &s.data()[self.pos - self.seg_start..],
            None => &[],
        }
    }

    /// The buffered bytes from the position on, as slices of the chunks they lie in.
    fn rest(&mut self) -> impl Iterator<Item = &[u8]> {
        self.settle();
        let skip = self.pos - self.seg_start;
        self.pipe
            .segments
            .range_from(self.seg)
            .enumerate()
            .map(move |(i, s)| if i == 0 { &s.data()[skip..] } else { s.data() })
            .filter(|d| !d.is_empty())
    }

    /// Fails with `NeedMore` unless `n` bytes are buffered past the position.
    fn need(&self, n: usize) -> Result<(), ReadError> {
        if self.remaining() < n {
            Err(ReadError::NeedMore)
        } else {
            Ok(())
        }
    }

    /// Copies the next `N` bytes out and moves past them.
    #[inline]
    fn array<const N: usize>(&mut self) -> Result<[u8; N], ReadError> {
        if let Some(bytes) = self.here().first_chunk::<N>() {
            let out = *bytes;
            self.pos += N;
            return Ok(out);
        }
        self.array_across()
    }

    /// [`array`](Cursor::array) of bytes across segments, or past the end.
    #[inline(never)]
    fn array_across<const N: usize>(&mut self) -> Result<[u8; N], ReadError> {
        self.need(N)?;
        let mut out = [0u8; N];
        let mut filled = 0;
        for part in self.rest() {
            let k = part.len().min(N - filled);
            out[filled..filled + k].copy_from_slice(&part[..k]);
            filled += k;
            if filled == N {
                break;
            }
        }
        self.pos += N;
        Ok(out)
    }

    /// One byte.
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"+")?;
    /// let mut cursor = pipe.cursor();
    /// assert_eq!(cursor.u8()?, b'+');
    /// assert!(cursor.u8().unwrap_err().is_need_more());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn u8(&mut self) -> Result<u8, ReadError> {
        Ok(self.array::<1>()?[0])
    }

    /// One byte as an `i8`.
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(&[0xff])?;
    /// assert_eq!(pipe.cursor().i8()?, -1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn i8(&mut self) -> Result<i8, ReadError> {
        Ok(self.array::<1>()?[0] as i8)
    }

    int_reads! {
        u16: u16_be, u16_le;
        u32: u32_be, u32_le;
        u64: u64_be, u64_le;
        i16: i16_be, i16_le;
        i32: i32_be, i32_le;
        i64: i64_be, i64_le;
    }

    /// An unsigned big-endian integer of `n` bytes (1 to 8): a length field of any size.
    /// `InvalidArgument` for other sizes (whatever is buffered); `NeedMore` if fewer bytes are
    /// buffered.
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(&[0x01, 0x02, 0x03, 0x04, 0x05])?;
    /// assert_eq!(pipe.cursor().uint_be(5)?, 0x01_0203_0405);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn uint_be(&mut self, n: usize) -> Result<u64, ReadError> {
        let bytes = self.uint_bytes(n)?;
        Ok(bytes[..n].iter().fold(0, |v, &b| (v << 8) | u64::from(b)))
    }

    /// An unsigned little-endian integer of `n` bytes (1 to 8), as
    /// [`uint_be`](Cursor::uint_be) reads big-endian ones.
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(&[0x01, 0x02])?;
    /// assert_eq!(pipe.cursor().uint_le(2)?, 0x0201);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn uint_le(&mut self, n: usize) -> Result<u64, ReadError> {
        let bytes = self.uint_bytes(n)?;
        Ok(bytes[..n]
            .iter()
            .rev()
            .fold(0, |v, &b| (v << 8) | u64::from(b)))
    }

    /// The next `n` bytes (1 to 8) copied out, moving past them.
    fn uint_bytes(&mut self, n: usize) -> Result<[u8; 8], ReadError> {
        if !(1..=8).contains(&n) {
            return Err(ReadError::InvalidArgument("an integer of 1 to 8 bytes"));
        }
        self.need(n)?;
        let mut out = [0u8; 8];
        // The common case: the bytes lie in the current segment.
        self.settle();
        let at = self.pos - self.seg_start;
        if let Some(bytes) = self.pipe.segments[self.seg].data().get(at..at + n) {
            out[..n].copy_from_slice(bytes);
            self.pos += n;
            return Ok(out);
        }
        let mut filled = 0;
        for part in self.rest() {
            let k = part.len().min(n - filled);
            out[filled..filled + k].copy_from_slice(&part[..k]);
            filled += k;
            if filled == n {
                break;
            }
        }
        self.pos += n;
        Ok(out)
    }

    /// A big-endian 3-byte unsigned integer (protocols such as MySQL's and HTTP/2's use them).
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(&[0x01, 0x00, 0x00])?;
    /// assert_eq!(pipe.cursor().u24_be()?, 65536);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn u24_be(&mut self) -> Result<u32, ReadError> {
        let [a, b, c] = self.array()?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    /// A little-endian 3-byte unsigned integer.
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(&[0x01, 0x00, 0x00])?;
    /// assert_eq!(pipe.cursor().u24_le()?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn u24_le(&mut self) -> Result<u32, ReadError> {
        let [a, b, c] = self.array()?;
        Ok(u32::from_le_bytes([a, b, c, 0]))
    }

    /// Moves past `n` bytes. `NeedMore` if fewer are buffered.
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"abc")?;
    /// let mut cursor = pipe.cursor();
    /// cursor.skip(2)?;
    /// assert_eq!(cursor.u8()?, b'c');
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn skip(&mut self, n: usize) -> Result<(), ReadError> {
        self.need(n)?;
        self.pos += n;
        Ok(())
    }

    /// The next `n` bytes as `Bytes`: a slice of the chunk (no copy) when they lie in one, a
    /// copy when they straddle chunks. (Not called `take`: with `bytes::Buf` in scope, that
    /// name is `Buf::take`, which consumes the cursor.) `NeedMore` if fewer are buffered. The bytes stay in the
    /// pipe until [`commit`](Cursor::commit).
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"\x03abcd")?;
    /// let mut cursor = pipe.cursor();
    /// let n = cursor.u8()? as usize;
    /// assert_eq!(cursor.bytes(n)?, "abc");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bytes(&mut self, n: usize) -> Result<Bytes, ReadError> {
        self.need(n)?;
        if n == 0 {
            return Ok(Bytes::new());
        }
        self.settle();
        let at = self.pos - self.seg_start;
        let in_one = self.pipe.segments[self.seg].len() - at >= n;
        let out = if in_one && self.pipe.segment_shareable(self.seg) {
            self.pipe.segments[self.seg].share_range(at, n)
        } else {
            let mut out = BytesMut::with_capacity(n);
            for part in self.rest() {
                let k = part.len().min(n - out.len());
                out.extend_from_slice(&part[..k]);
                if out.len() == n {
                    break;
                }
            }
            out.freeze()
        };
        self.pos += n;
        Ok(out)
    }

    /// Where the next `sep` starts, as an offset past the position, if it is buffered within
    /// the pipe's maximum frame size. `LimitExceeded` when `max_frame + sep.len()` bytes are
    /// buffered past the position without it; `NeedMore` before that.
    fn find_sep(&mut self, sep: &[u8]) -> Result<usize, ReadError> {
        if sep.is_empty() {
            return Err(ReadError::InvalidArgument("the separator is empty"));
        }
        let window = self.pipe.max_frame.saturating_add(sep.len());
        let end = self.pipe.len.min(self.pos.saturating_add(window));
        // `find` remembers how far it got for this needle and start: repeated after each fill,
        // the search stays linear.
        match self.pipe.find(sep, self.pos..end) {
            Ok(Some(p)) => Ok(p - self.pos),
            _ if self.remaining() >= window => Err(ReadError::LimitExceeded {
                limit: self.pipe.max_frame,
                buffered: self.pipe.len,
            }),
            _ => Err(ReadError::NeedMore),
        }
    }

    /// The bytes up to the next `sep` (not included), moving past the separator: a field
    /// ending in a delimiter. Bounded by the pipe's maximum frame size: `LimitExceeded` once
    /// `max_frame + sep.len()` bytes are buffered past the position without a `sep` (a field of
    /// up to `max_frame` bytes may still end there), `NeedMore` while fewer are;
    /// `InvalidArgument` for an empty separator.
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"Host: example.org\r\n")?;
    /// let mut cursor = pipe.cursor();
    /// assert_eq!(cursor.until(b": ")?, "Host");
    /// assert_eq!(cursor.until(b"\r\n")?, "example.org");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn until(&mut self, sep: &[u8]) -> Result<Bytes, ReadError> {
        let n = self.find_sep(sep)?;
        let out = self.bytes(n)?;
        self.pos += sep.len();
        Ok(out)
    }

    /// The bytes up to the next byte that is any of `set` (not included), and that byte,
    /// moving past it. Bounded by the maximum frame size: `LimitExceeded` once more than
    /// `max_frame` bytes are buffered past the position without one of `set`. An empty `set` is
    /// `InvalidArgument`.
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"key=value;")?;
    /// let mut cursor = pipe.cursor();
    /// assert_eq!(cursor.until_any(b";=")?, ("key".into(), b'='));
    /// assert_eq!(cursor.until_any(b";=")?, ("value".into(), b';'));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn until_any(&mut self, set: &[u8]) -> Result<(Bytes, u8), ReadError> {
        if set.is_empty() {
            return Err(ReadError::InvalidArgument("the set of delimiters is empty"));
        }
        let limit = self.pipe.max_frame;
        let mut seen = 0;
        let mut found = None;
        for part in self.rest() {
            let window = &part[..part.len().min(limit.saturating_add(1) - seen)];
            if let Some(i) = window.iter().position(|b| set.contains(b)) {
                found = Some((seen + i, window[i]));
                break;
            }
            seen += window.len();
            if seen > limit {
                break;
            }
        }
        match found {
            Some((n, byte)) => {
                let out = self.bytes(n)?;
                self.pos += 1;
                Ok((out, byte))
            }
            None if self.remaining() > limit => Err(ReadError::LimitExceeded {
                limit,
                buffered: self.pipe.len,
            }),
            None => Err(ReadError::NeedMore),
        }
    }

    /// Whether the next bytes are `expected`, without moving. `NeedMore` if fewer than
    /// `expected.len()` bytes are buffered and those that are match (the answer depends on
    /// bytes not yet here). An empty `expected` is always next (`Ok(true)`).
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"GET /")?;
    /// let mut cursor = pipe.cursor();
    /// assert!(cursor.is_next(b"GET ")?);
    /// assert!(!cursor.is_next(b"POST")?);
    /// assert!(cursor.is_next(b"GET /index").unwrap_err().is_need_more());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn is_next(&mut self, expected: &[u8]) -> Result<bool, ReadError> {
        let here = self.here();
        if here.len() >= expected.len() {
            return Ok(here.starts_with(expected));
        }
        self.is_next_across(expected)
    }

    /// [`is_next`](Cursor::is_next) of bytes across segments, or past the end.
    #[inline(never)]
    fn is_next_across(&mut self, expected: &[u8]) -> Result<bool, ReadError> {
        let mut left = expected;
        for part in self.rest() {
            let k = part.len().min(left.len());
            if part[..k] != left[..k] {
                return Ok(false);
            }
            left = &left[k..];
            if left.is_empty() {
                return Ok(true);
            }
        }
        if left.is_empty() {
            Ok(true)
        } else {
            Err(ReadError::NeedMore)
        }
    }

    /// Moves past `expected` if the next bytes are it; says whether they were. `NeedMore` as
    /// for [`is_next`](Cursor::is_next); an empty `expected` is `Ok(true)`, no move.
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"\r\nrest")?;
    /// let mut cursor = pipe.cursor();
    /// assert!(cursor.skip_if(b"\r\n")?);
    /// assert!(!cursor.skip_if(b"\r\n")?);
    /// assert_eq!(cursor.position(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn skip_if(&mut self, expected: &[u8]) -> Result<bool, ReadError> {
        let next = self.is_next(expected)?;
        if next {
            self.pos += expected.len();
        }
        Ok(next)
    }

    /// Moves past every next byte that is any of `set` (spaces, say); returns how many. The
    /// run must end before the buffered bytes do (`NeedMore` otherwise: more of it may come).
    /// An empty `set` matches nothing: `Ok(0)`.
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"  \tvalue")?;
    /// let mut cursor = pipe.cursor();
    /// assert_eq!(cursor.skip_any(b" \t")?, 3);
    /// assert_eq!(cursor.u8()?, b'v');
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn skip_any(&mut self, set: &[u8]) -> Result<usize, ReadError> {
        if set.is_empty() {
            return Ok(0);
        }
        let mut n = 0;
        let mut ended = false;
        for part in self.rest() {
            match part.iter().position(|b| !set.contains(b)) {
                Some(i) => {
                    n += i;
                    ended = true;
                    break;
                }
                None => n += part.len(),
            }
        }
        if !ended {
            return Err(ReadError::NeedMore);
        }
        self.pos += n;
        Ok(n)
    }

    /// The digits of a number in `radix` (10 or 16) from the position, and its value; the
    /// digits must end before the buffered bytes do.
    #[inline]
    fn number(&mut self, radix: u32) -> Result<(usize, u64), ReadError> {
        // The common case: the digits end inside the current segment.
        let here = self.here();
        if let Some(end) = here
            .iter()
            .position(|&b| (b as char).to_digit(radix).is_none())
        {
            if end == 0 {
                return Err(ReadError::Malformed("expected a digit"));
            }
            let mut value: u64 = 0;
            for &b in &here[..end] {
                let d = (b as char).to_digit(radix).unwrap_or(0);
                value = value
                    .checked_mul(u64::from(radix))
                    .and_then(|v| v.checked_add(u64::from(d)))
                    .ok_or(ReadError::Malformed("the number overflows 64 bits"))?;
            }
            return Ok((end, value));
        }
        self.number_across(radix)
    }

    /// [`number`](Cursor::number) with digits across segments, or to the end.
    #[inline(never)]
    fn number_across(&mut self, radix: u32) -> Result<(usize, u64), ReadError> {
        let mut value: u64 = 0;
        let mut digits = 0;
        let mut ended = false;
        'parts: for part in self.rest() {
            for &b in part {
                let Some(d) = (b as char).to_digit(radix) else {
                    ended = true;
                    break 'parts;
                };
                value = value
                    .checked_mul(u64::from(radix))
                    .and_then(|v| v.checked_add(u64::from(d)))
                    .ok_or(ReadError::Malformed("the number overflows 64 bits"))?;
                digits += 1;
            }
        }
        if !ended {
            return Err(ReadError::NeedMore);
        }
        if digits == 0 {
            return Err(ReadError::Malformed("expected a digit"));
        }
        Ok((digits, value))
    }

    /// An unsigned decimal number (RESP lengths, `Content-Length`): its digits, up to the first
    /// byte that is not one (which stays). `NeedMore` while the digits run to the end of what is
    /// buffered; `Malformed` without a digit or past `u64::MAX` (at once, even if the digits
    /// run to the end: no more digits can make it fit).
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"$1024\r\n")?;
    /// let mut cursor = pipe.cursor();
    /// assert!(cursor.skip_if(b"$")?);
    /// assert_eq!(cursor.decimal()?, 1024);
    /// assert!(cursor.skip_if(b"\r\n")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn decimal(&mut self) -> Result<u64, ReadError> {
        let (digits, value) = self.number(10)?;
        self.pos += digits;
        Ok(value)
    }

    /// A decimal number with an optional leading `-` (RESP's `$-1`, `:-5`), as [`decimal`]
    /// reads it; `Malformed` outside `i64`.
    ///
    /// [`decimal`]: Cursor::decimal
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"-1\r\n")?;
    /// assert_eq!(pipe.cursor().signed_decimal()?, -1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn signed_decimal(&mut self) -> Result<i64, ReadError> {
        let start = self.pos;
        let negative = self.skip_if(b"-")?;
        // The largest magnitude `i64` holds with this sign.
        let bound = if negative { 1 << 63 } else { i64::MAX as u64 };
        let value = match self.decimal() {
            Ok(v) => v,
            // The digits run to the end of what is buffered, but those already pass `bound`:
            // no more digits can bring it back (as `decimal` says past `u64::MAX`).
            Err(ReadError::NeedMore) if self.leading_digits() > bound => u64::MAX,
            Err(e) => {
                self.pos = start;
                self.seg = 0;
                self.seg_start = 0;
                return Err(e);
            }
        };
        let out = if negative {
            0i64.checked_sub_unsigned(value)
        } else {
            i64::try_from(value).ok()
        };
        out.ok_or_else(|| {
            self.pos = start;
            self.seg = 0;
            self.seg_start = 0;
            ReadError::Malformed("the number does not fit in an i64")
        })
    }

    /// The value of the decimal digits buffered from the position, saturating at `u64::MAX`.
    fn leading_digits(&mut self) -> u64 {
        let mut value: u64 = 0;
        for part in self.rest() {
            for &b in part {
                if !b.is_ascii_digit() {
                    return value;
                }
                value = value.saturating_mul(10).saturating_add(u64::from(b - b'0'));
            }
        }
        value
    }

    /// A hexadecimal number (HTTP chunk sizes), as [`decimal`](Cursor::decimal) reads decimals;
    /// upper or lower case digits.
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"1aF\r\n")?;
    /// assert_eq!(pipe.cursor().hex()?, 0x1af);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn hex(&mut self) -> Result<u64, ReadError> {
        let (digits, value) = self.number(16)?;
        self.pos += digits;
        Ok(value)
    }
}

/// `bytes::Buf` over the bytes past the position, so crates that decode from `impl Buf`
/// (prost, ...) read from the pipe directly. As that trait's contract says, its methods panic
/// when fewer bytes remain than they need (`advance`, `get_u32`, ...): check
/// [`Buf::remaining`] first. Nothing is consumed from the pipe until
/// [`commit`](Cursor::commit).
///
/// ```
/// use bytes::Buf;
/// let mut pipe = pipe_core::Pipe::new();
/// pipe.write_all(&[0, 0, 0, 9, 1])?;
/// let mut cursor = pipe.cursor();
/// if cursor.remaining() >= 4 {
///     assert_eq!(cursor.get_u32(), 9);
/// }
/// cursor.commit();
/// assert_eq!(pipe.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl Buf for Cursor<'_> {
    fn remaining(&self) -> usize {
        Cursor::remaining(self)
    }

    fn chunk(&self) -> &[u8] {
        let mut start = 0;
        for s in &self.pipe.segments {
            let len = s.len();
            if start + len > self.pos {
                return &s.data()[self.pos - start..];
            }
            start += len;
        }
        &[]
    }

    fn advance(&mut self, cnt: usize) {
        assert!(
            cnt <= Cursor::remaining(self),
            "advance past the buffered bytes: {cnt} > {}",
            Cursor::remaining(self)
        );
        self.pos += cnt;
    }
}
