//! Searching across chunks: the incremental separator scan behind every delimited read, and
//! `find` / `find_byte`.
//!
//! A scan looks for the separator's first byte with `memchr` and checks the rest only at
//! candidates, so each buffered byte is examined about once. A scan that fails records, in the
//! pipe's `Memo` (`memo.rs`), the first position where a separator could still start; the next
//! scan for the same separator resumes there, so a frame arriving in many pieces is scanned
//! once.

use std::ops::{Bound, RangeBounds};

use crate::error::FindError;
use crate::pipe::Pipe;

/// What a scan found.
pub(crate) enum Scan {
    /// A match starts at this offset.
    Found(usize),
    /// No match starts before this offset; later ones need more bytes or lie past the window.
    NotFound(usize),
}

/// One segment's bytes in a scan: `data` starts at offset `base` of the buffered bytes, and a
/// match must end by offset `end`.
struct Span<'a> {
    data: &'a [u8],
    base: usize,
    end: usize,
}

impl Span<'_> {
    /// Looks for a separator of `len` bytes starting with `first` in `data[at..]`, checking the
    /// rest at each candidate with `rest_matches(index just past the first byte)`. `Some` is
    /// the scan's outcome (a match, or a candidate too close to `end` to tell); `None` means
    /// none starts in this segment. Counts the bytes examined.
    #[inline]
    fn scan(
        &self,
        first: u8,
        len: usize,
        mut at: usize,
        examined: &mut u64,
        rest_matches: impl Fn(usize) -> bool,
    ) -> Option<Scan> {
        let hi = (self.end - self.base).min(self.data.len());
        while at < hi {
            let Some(i) = memchr::memchr(first, &self.data[at..hi]) else {
                *examined += (hi - at) as u64;
                return None;
            };
            *examined += i as u64 + 1;
            let p = self.base + at + i;
            if p + len > self.end {
                return Some(Scan::NotFound(p));
            }
            *examined += len as u64 - 1;
            if rest_matches(at + i + 1) {
                return Some(Scan::Found(p));
            }
            at += i + 1;
        }
        None
    }
}

impl Pipe {
    /// Scans offsets `from..end` (`end <= len`) for `needle` (non-empty), where a match must end
    /// by `end`.
    #[inline]
    pub(crate) fn scan(&mut self, needle: &[u8], from: usize, end: usize) -> Scan {
        let (scan, examined) = self.scan_counting(needle, from, end);
        self.scanned += examined;
        scan
    }

    fn scan_counting(&self, needle: &[u8], mut from: usize, end: usize) -> (Scan, u64) {
        let first = needle[0];
        let mut examined = 0u64;
        // The common case first: a one-byte separator in the first segment.
        if let ([_], Some(head)) = (needle, self.segments.front()) {
            let data = head.data();
            let hi = end.min(data.len());
            if from < hi {
                match memchr::memchr(first, &data[from..hi]) {
                    Some(i) => return (Scan::Found(from + i), i as u64 + 1),
                    None => {
                        examined = (hi - from) as u64;
                        from = hi;
                    }
                }
            }
        }
        // A scan that starts in the last segment stays there: a long frame arriving piece by
        // piece into one growing segment resumes here at every attempt. 8 MiB frames in 1 KiB
        // pieces: 683 instructions a read attempt with the walk below, 532 this way
        // (`read_paths frame8m-pieces`).
        if let Some(last) = self.segments.back() {
            let data = last.data();
            let base = self.len - data.len();
            if from >= base {
                let span = Span { data, base, end };
                let rest = |k: usize| data[k..].starts_with(&needle[1..]);
                if let Some(found) =
                    span.scan(first, needle.len(), from - base, &mut examined, rest)
                {
                    return (found, examined);
                }
                return (Scan::NotFound(end.max(from)), examined);
            }
        }
        let (first_index, mut seg_start) = self.segment_at(from);
        for (index, seg) in self.segments.iter().enumerate().skip(first_index) {
            let data = seg.data();
            let seg_end = seg_start + data.len();
            if seg_start >= end {
                break;
            }
            if seg_end > from {
                let span = Span {
                    data,
                    base: seg_start,
                    end,
                };
                let at = from.max(seg_start) - seg_start;
                let rest = |k: usize| self.rest_matches(index, k, &needle[1..]);
                if let Some(found) = span.scan(first, needle.len(), at, &mut examined, rest) {
                    return (found, examined);
                }
            }
            seg_start = seg_end;
        }
        (Scan::NotFound(end.max(from)), examined)
    }

    /// The index of the segment holding offset `at` (or the end), and the offset it starts at.
    /// Walks from whichever end is nearer: a resumed scan starts near the end, so a frame
    /// arriving in many pieces costs O(1) per attempt to find its place, not O(chunks).
    pub(crate) fn segment_at(&self, at: usize) -> (usize, usize) {
        if at <= self.len / 2 {
            let mut start = 0;
            for (i, seg) in self.segments.iter().enumerate() {
                if start + seg.len() > at {
                    return (i, start);
                }
                start += seg.len();
            }
            (self.segments.len(), start)
        } else {
            let mut start = self.len;
            for i in (0..self.segments.len()).rev() {
                let seg = &self.segments[i];
                start -= seg.len();
                if start <= at && seg.len() > 0 {
                    return (i, start);
                }
            }
            (0, 0)
        }
    }

    /// Whether the bytes from offset `at` of segment `index` onwards start with `rest`.
    fn rest_matches(&self, index: usize, mut at: usize, mut rest: &[u8]) -> bool {
        for seg in self.segments.range_from(index) {
            let data = &seg.data()[at.min(seg.len())..];
            let k = data.len().min(rest.len());
            if data[..k] != rest[..k] {
                return false;
            }
            rest = &rest[k..];
            if rest.is_empty() {
                return true;
            }
            at = 0;
        }
        false
    }

    /// The common case, straight: the frame ending in `byte` lies in the first segment and no
    /// earlier scan left progress to resume. `None` means "ask [`Pipe::frame_len`]".
    #[inline]
    pub(crate) fn quick_frame_len(&mut self, byte: u8) -> Option<usize> {
        if !self.memo.is_fresh() {
            return None;
        }
        let data = self.segments.front()?.data();
        let window = self.max_frame.saturating_add(1).min(data.len());
        let i = crate::byte_find::find(byte, &data[..window], &mut self.find_hint)?;
        self.scanned += i as u64 + 1;
        Some(i + 1)
    }

    /// The length of the next frame ending with `sep`, separator included, if it is buffered and
    /// within the frame limit. `Ok(None)`: no separator yet and the limit not reached.
    /// `Err(buffered)`: the limit is passed.
    ///
    /// The limit counts the frame without its ending. For a line (`line`, `sep == b"\n"`) the
    /// ending is `\n` or `\r\n`, so a line of `max_frame` bytes may end at offset `max_frame`
    /// (`\n`) or `max_frame + 1` (`\r\n`): the scan window is one byte wider, and a `\n` found
    /// there counts only after a `\r`.
    #[inline]
    pub(crate) fn frame_len(&mut self, sep: &[u8], line: bool) -> Result<Option<usize>, usize> {
        if let Some(found) = self.resume_in_last(sep) {
            return Ok(found);
        }
        let crlf = line && sep == b"\n";
        // A separator may start at offsets 0..=max_frame (0..=max_frame + 1 for a line's `\n`
        // after a `\r`); past that the frame is too long.
        let window = self
            .max_frame
            .saturating_add(sep.len())
            .saturating_add(usize::from(crlf));
        let from = self.memo.resume(sep);
        let end = self.len.min(window);
        let found = if from < end {
            self.scan(sep, from, end)
        } else {
            Scan::NotFound(from)
        };
        match found {
            Scan::Found(p) => {
                self.memo.examined(p);
                if p > self.max_frame && self.byte_at(p - 1) != b'\r' {
                    return Err(self.len); // a bare `\n` one byte past the limit
                }
                Ok(Some(p + sep.len()))
            }
            Scan::NotFound(checked) => {
                self.memo.examined(checked);
                // Without a `\r` at offset `max_frame`, a line cannot end in the wider window.
                let narrow = window - usize::from(crlf);
                let cannot_end =
                    crlf && self.len > self.max_frame && self.byte_at(self.max_frame) != b'\r';
                if self.len >= window || (self.len >= narrow && cannot_end) {
                    Err(self.len)
                } else {
                    Ok(None)
                }
            }
        }
    }

    /// [`frame_len`](Pipe::frame_len) for a frame arriving piece by piece: an earlier scan for
    /// this separator stopped inside the last segment, and the buffered bytes are
    /// shorter than the limit (so neither a match nor its absence can pass it). `None`
    /// means "take the general path". 8 MiB frames in 1 KiB pieces: a `read_until` attempt
    /// cost ~290 instructions besides `memchr` through the general path, ~190 this way
    /// (`read_paths frame8m-pieces`; tokio's `BufReader` ~125 a poll).
    #[inline]
    pub(crate) fn resume_in_last(&mut self, sep: &[u8]) -> Option<Option<usize>> {
        let [first_byte, ..] = *sep else {
            return None;
        };
        if self.len >= self.max_frame {
            return None;
        }
        let from = self.memo.resumes_at(sep)?;
        let data = self.segments.back()?.data();
        let base = self.len - data.len();
        if from < base {
            return None;
        }
        // Most attempts find no first byte in what arrived since the last one: say so at once;
        // else check the candidates from the first one on.
        let new = data.get(from - base..).unwrap_or_default();
        let Some(first) = memchr::memchr(first_byte, new) else {
            self.scanned += new.len() as u64;
            self.memo.examined(self.len.max(from));
            return Some(None);
        };
        let span = Span {
            data,
            base,
            end: self.len,
        };
        let mut examined = first as u64;
        let rest = |k: usize| data[k..].starts_with(&sep[1..]);
        let found = span.scan(
            first_byte,
            sep.len(),
            from - base + first,
            &mut examined,
            rest,
        );
        self.scanned += examined;
        Some(match found {
            Some(Scan::Found(p)) => {
                self.memo.examined(p);
                Some(p + sep.len())
            }
            Some(Scan::NotFound(p)) => {
                self.memo.examined(p);
                None
            }
            None => {
                self.memo.examined(self.len.max(from));
                None
            }
        })
    }

    /// The unread byte at offset `at` (`at < len`).
    /// How many of the last buffered bytes may have begun `sep` (the longest proper prefix of
    /// it they end with; for a line, a last `\r`): at the end, those are not counted against
    /// the limit.
    pub(crate) fn begun_separator(&self, sep: &[u8], line: bool) -> usize {
        if line && sep == b"\n" {
            return usize::from(self.len > 0 && self.byte_at(self.len - 1) == b'\r');
        }
        (1..sep.len())
            .rev()
            .find(|&k| k <= self.len && (0..k).all(|i| self.byte_at(self.len - k + i) == sep[i]))
            .unwrap_or(0)
    }

    fn byte_at(&self, at: usize) -> u8 {
        let (index, start) = self.segment_at(at);
        self.segments[index].data()[at - start]
    }

    /// The offset of the first `byte` in `range` (offsets from the read cursor), across chunks.
    ///
    /// Errors: [`FindError::InvalidRange`] if the range is reversed or reaches past
    /// [`len`](Pipe::len).
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"key=value")?;
    /// assert_eq!(pipe.find_byte(b'=', ..)?, Some(3));
    /// assert_eq!(pipe.find_byte(b'=', 4..)?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn find_byte(
        &mut self,
        byte: u8,
        range: impl RangeBounds<usize>,
    ) -> Result<Option<usize>, FindError> {
        self.find(&[byte], range)
    }

    /// The offset of the first match of `needle` lying wholly in `range` (offsets from the read
    /// cursor), across chunks.
    ///
    /// Repeated searches are linear: the pipe remembers how far the last `find` (or
    /// `find_byte`) of a needle got, and a search for the same needle from the same place or
    /// later resumes there. A header arriving one byte at a time, searched after each byte, is
    /// scanned about once. (Searching another needle in between starts that one afresh; the
    /// frame reads keep their own progress.)
    ///
    /// Errors: [`FindError::EmptyNeedle`]; [`FindError::InvalidRange`] if the range is reversed
    /// or reaches past [`len`](Pipe::len).
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")?;
    /// assert_eq!(pipe.find(b"\r\n\r\n", ..)?, Some(23));
    /// assert_eq!(pipe.find(b"\r\n", 0..15)?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn find(
        &mut self,
        needle: &[u8],
        range: impl RangeBounds<usize>,
    ) -> Result<Option<usize>, FindError> {
        if needle.is_empty() {
            return Err(FindError::EmptyNeedle);
        }
        let (start, end) = self.resolve(range)?;
        self.release_spent();
        // Resume where an earlier `find` of this needle stopped, so a search repeated after
        // each fill scans each byte about once.
        let from = self.memo.find_resume(needle, start);
        if from >= end {
            return Ok(None);
        }
        Ok(match self.scan(needle, from, end) {
            Scan::Found(p) => {
                self.memo.find_examined(p);
                Some(p)
            }
            Scan::NotFound(p) => {
                self.memo.find_examined(p);
                None
            }
        })
    }

    fn resolve(&self, range: impl RangeBounds<usize>) -> Result<(usize, usize), FindError> {
        let len = self.len;
        let start = match range.start_bound() {
            Bound::Included(&s) => Some(s),
            Bound::Excluded(&s) => s.checked_add(1),
            Bound::Unbounded => Some(0),
        };
        let end = match range.end_bound() {
            Bound::Included(&e) => e.checked_add(1),
            Bound::Excluded(&e) => Some(e),
            Bound::Unbounded => Some(len),
        };
        match (start, end) {
            (Some(start), Some(end)) if start <= end && end <= len => Ok((start, end)),
            (start, end) => Err(FindError::InvalidRange {
                start: start.unwrap_or(usize::MAX),
                end: end.unwrap_or(usize::MAX),
                len,
            }),
        }
    }
}
