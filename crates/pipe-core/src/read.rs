//! The read side of `Pipe`: frames out, with one outcome per call.

use std::io::IoSlice;

use bytes::Bytes;

use crate::error::ReadError;
use crate::pipe::{Pipe, PipeState};
use crate::segment::Segment;

/// Buffered bytes with no end of frame in them from which a delimited frame counts as long
/// (see `expect_long_frame`).
const LONG_FRAME: usize = 256 * 1024;

/// What [`Pipe::discard_until`] dropped.
///
/// ```
/// use pipe_core::{Discarded, Pipe};
/// let mut pipe = Pipe::new();
/// pipe.write_all(b"junk\r")?;
/// assert_eq!(pipe.discard_until(b"\r\n")?, Discarded::NotYet(4)); // the `\r` may begin `\r\n`
/// pipe.write_all(b"\nnext")?;
/// assert_eq!(pipe.discard_until(b"\r\n")?, Discarded::Found(2));
/// assert_eq!(pipe.read_exact(4)?, "next");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Discarded {
    /// The separator was found: this many bytes, separator included, are gone.
    Found(usize),
    /// No separator yet: this many bytes are gone (all but a possible start of the separator);
    /// call again when more data arrives.
    NotYet(usize),
}

/// `frame` without its ending unless `keep`.
#[inline]
pub(crate) fn cut_ending<'a>(frame: &'a [u8], sep: &[u8], keep: bool, line: bool) -> &'a [u8] {
    if keep {
        frame
    } else {
        &frame[..frame.len() - ending_len(frame, sep, line)]
    }
}

/// How much of a frame ending in `sep` is the separator to strip for a read "without ending".
#[inline]
fn ending_len(frame: &[u8], sep: &[u8], line: bool) -> usize {
    if line && frame.len() >= 2 && frame[frame.len() - 2] == b'\r' {
        2
    } else {
        sep.len()
    }
}

impl Pipe {
    /// The outcome of a read that the buffered bytes cannot serve. After a clean close the
    /// leftover, if any, is handed over as [`ReadError::Partial`].
    fn short(&mut self) -> ReadError {
        match &self.state {
            PipeState::Open => ReadError::NeedMore,
            PipeState::Failed(e) => ReadError::Stream(e.clone()),
            PipeState::Closed if self.len == 0 => ReadError::End,
            PipeState::Closed => ReadError::Partial(self.take(self.len)),
        }
    }

    /// After a search found no end in all that is buffered: a frame that long is likely to go
    /// on, so from [`LONG_FRAME`] bytes (or the pool's largest chunk, if smaller) the pipe
    /// reserves room for one twice as long (within the limit). The frame then arrives in one
    /// piece of memory that grows, as a `Vec` does, and is taken without a copy; below,
    /// nothing changes. 8 MiB frames in 1 KiB pieces ran at
    /// 0.42x tokio's `BufReader` without it: the bytes were written into chunks, then copied
    /// out, two passes over memory that no longer fits in a cache (`cargo xtask bench` rows
    /// `frame/8MiB`).
    fn expect_long_frame(&mut self, sep_len: usize) {
        if self.len >= LONG_FRAME.min(self.pool_max_chunk())
            && matches!(self.state, PipeState::Open)
        {
            // Straight to growing memory (past the largest pooled chunk): moving the frame
            // through ever larger chunks first would copy it twice more.
            let most = self.max_frame.saturating_add(sep_len);
            let want = self.len.saturating_mul(2).max(self.pool_max_chunk() + 1);
            self.reserve_frame(want.min(most));
        }
    }

    /// The length of the next frame ending in `sep`, separator included, or the outcome.
    #[inline]
    pub(crate) fn locate(&mut self, sep: &[u8], line: bool) -> Result<usize, ReadError> {
        self.release_spent();
        if let [byte] = sep
            && let Some(n) = self.quick_frame_len(*byte)
        {
            return Ok(n);
        }
        if sep.is_empty() {
            return Err(ReadError::InvalidArgument("the separator is empty"));
        }
        match self.frame_len(sep, line) {
            Ok(Some(n)) => Ok(n),
            Ok(None) => {
                self.expect_long_frame(sep.len());
                // After a clean end nothing more can come: the leftover is the whole last
                // frame, and over the limit it is `LimitExceeded`, as a last line is (the bytes
                // that may have begun the separator not counted).
                if matches!(self.state, PipeState::Closed)
                    && self.len > self.max_frame
                    && self.len - self.begun_separator(sep, line) > self.max_frame
                {
                    return Err(ReadError::LimitExceeded {
                        limit: self.max_frame,
                        buffered: self.len,
                    });
                }
                Err(self.short())
            }
            Err(buffered) => Err(ReadError::LimitExceeded {
                limit: self.max_frame,
                buffered,
            }),
        }
    }

    /// The next line: bytes up to and including `\n`. Without the ending, the `\n` and a `\r`
    /// just before it are stripped. A slice of pooled memory when the line lies in one chunk.
    ///
    /// Outcomes: see [`ReadError`]. A line longer than [`max_frame`](Pipe::max_frame) (ending not
    /// counted) gives `LimitExceeded`, consuming nothing, as soon as the buffered bytes show it:
    /// `max_frame + 1` bytes without a `\n`, or `max_frame + 2` when the byte after the first
    /// `max_frame` is a `\r` (it may begin a `\r\n` ending). After the end, a last line without
    /// `\n` is `Partial` if it is within the limit, `LimitExceeded` if it is not (a last `\r`,
    /// which may have begun the ending, not counted: with a limit of 4, `abcd\r` is `Partial`).
    ///
    /// ```
    /// use pipe_core::{Pipe, PipeOptions, ReadError};
    /// let mut pipe = Pipe::new();
    /// pipe.write_all(b"one\r\ntwo\n\nthr")?;
    /// pipe.eof()?;
    /// assert_eq!(pipe.read_line(false)?, "one");
    /// assert_eq!(pipe.read_line(true)?, "two\n");
    /// assert_eq!(pipe.read_line(false)?, ""); // an empty line is not the end
    /// assert!(matches!(pipe.read_line(true), Err(ReadError::Partial(rest)) if rest == "thr"));
    /// assert!(matches!(pipe.read_line(true), Err(ReadError::End)));
    ///
    /// // At the limit (4 bytes): a `\r` after 4 bytes may still end the line.
    /// let mut pipe = Pipe::with_options(PipeOptions::new().max_frame(4));
    /// pipe.write_all(b"abcd\r")?;
    /// assert!(matches!(pipe.read_line(false), Err(ReadError::NeedMore)));
    /// pipe.write_all(b"\nabcde")?;
    /// assert_eq!(pipe.read_line(false)?, "abcd");
    /// let over = pipe.read_line(false);
    /// assert!(matches!(over, Err(ReadError::LimitExceeded { limit: 4, buffered: 5 })));
    ///
    /// // At the end, a last `\r` is not counted: 4 bytes and a `\r` are within the limit.
    /// let mut pipe = Pipe::with_options(PipeOptions::new().max_frame(4));
    /// pipe.write_all(b"abcd\r")?;
    /// pipe.eof()?;
    /// assert!(matches!(pipe.read_line(false), Err(ReadError::Partial(rest)) if rest == "abcd\r"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_line(&mut self, with_ending: bool) -> Result<Bytes, ReadError> {
        self.read_frame(b"\n", with_ending, true)
    }

    /// [`read_line`](Pipe::read_line) without allocating: the line is lent until the next call
    /// on the pipe (from chunk memory, or a reused scratch buffer when it straddles chunks).
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"a\nb\n")?;
    /// let mut total = 0;
    /// while let Ok(line) = pipe.read_line_ref(false) {
    ///     total += line.len();
    /// }
    /// assert_eq!(total, 2);
    /// # Ok::<(), pipe_core::WriteError>(())
    /// ```
    #[inline]
    pub fn read_line_ref(&mut self, with_ending: bool) -> Result<&[u8], ReadError> {
        self.read_frame_ref(b"\n", with_ending, true)
    }

    /// Calls `f` with every complete line buffered, in order, consuming them: the zero-alloc
    /// form for hot loops, with one search pass and no per-line call overhead. Lines are lent
    /// from chunk memory (or the scratch buffer when one straddles chunks).
    ///
    /// Returns how many lines `f` saw. If there was none, the error is the outcome
    /// [`read_line`](Pipe::read_line) would give (need more, end, partial, stream error,
    /// limit). A line over the limit stops the batch; the next call reports it.
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"GET a\r\nGET b\r\nGET c\r\npart")?;
    /// let mut keys = Vec::new();
    /// let n = pipe.read_lines_with(false, |line| keys.push(line[4..].to_vec()))?;
    /// assert_eq!(n, 3);
    /// assert_eq!(keys, [b"a", b"b", b"c"]);
    /// assert!(pipe.read_lines_with(false, |_| ()).unwrap_err().is_need_more());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_lines_with(
        &mut self,
        with_ending: bool,
        mut f: impl FnMut(&[u8]),
    ) -> Result<usize, ReadError> {
        let mut count = 0;
        loop {
            // Every line that ends in the first segment, in one pass over it.
            self.release_spent();
            if self.memo.is_fresh()
                && let Some(head) = self.segments.front()
            {
                let data = head.data();
                let max_frame = self.max_frame;
                let mut hint = self.find_hint;
                let mut pos = 0;
                while let Some(i) = crate::byte_find::find(b'\n', &data[pos..], &mut hint) {
                    let end = pos + i;
                    if end - pos > max_frame {
                        break; // over the limit: the one-at-a-time path reports it
                    }
                    let line = &data[pos..=end];
                    let cut = if with_ending {
                        0
                    } else {
                        ending_len(line, b"\n", true)
                    };
                    f(&line[..line.len() - cut]);
                    pos = end + 1;
                    count += 1;
                }
                self.find_hint = hint;
                self.scanned += pos as u64;
                self.consume(pos);
            }
            // Then one line at a time: across chunks, with the memo and the limit. After the
            // first line, an incomplete one ends the batch without an outcome (no `Partial`
            // handed over here: the next call reports it).
            if count == 0 {
                f(self.read_line_ref(with_ending)?);
                count += 1;
                continue;
            }
            match self.frame_len(b"\n", true) {
                Ok(Some(n)) => {
                    let line = self.take_lent(n);
                    let cut = if with_ending {
                        0
                    } else {
                        ending_len(line, b"\n", true)
                    };
                    f(&line[..n - cut]);
                    count += 1;
                }
                _ => return Ok(count),
            }
        }
    }

    /// The next frame ending in `sep` (any non-empty byte string), with or without the separator.
    ///
    /// Errors: [`ReadError::InvalidArgument`] for an empty separator; otherwise the outcomes of
    /// [`ReadError`], the limit counting the frame without its separator. After the end, a last
    /// frame without `sep` is `Partial` if it is within the limit, `LimitExceeded` if it is not
    /// (its last bytes not counted if they may have begun `sep`: with `--` and a limit of 4,
    /// `abcd-` is `Partial`, `abcde` is `LimitExceeded`), as a last line is.
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"a--b--")?;
    /// assert_eq!(pipe.read_until(b"--", true)?, "a--");
    /// assert_eq!(pipe.read_until(b"--", false)?, "b");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_until(&mut self, sep: &[u8], with_sep: bool) -> Result<Bytes, ReadError> {
        self.read_frame(sep, with_sep, false)
    }

    /// [`read_until`](Pipe::read_until) without allocating: the frame is lent until the next
    /// call on the pipe.
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"k1=v1;k2=v2;")?;
    /// assert_eq!(pipe.read_until_ref(b";", false)?, b"k1=v1");
    /// assert_eq!(pipe.read_until_ref(b";", true)?, b"k2=v2;");
    /// assert!(pipe.read_until_ref(b";", true).unwrap_err().is_need_more());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn read_until_ref(&mut self, sep: &[u8], with_sep: bool) -> Result<&[u8], ReadError> {
        self.read_frame_ref(sep, with_sep, false)
    }

    #[inline]
    pub(crate) fn read_frame(
        &mut self,
        sep: &[u8],
        keep: bool,
        line: bool,
    ) -> Result<Bytes, ReadError> {
        // The common case in one pass: a one-byte separator, a frame inside the first segment
        // (which then holds unread bytes, so nothing before it is spent) that a writer no longer
        // holds, no sealed slice on loan, no search progress to resume. It pays: 64 B lines,
        // 335 instructions a line with it, 474 without (`benches/examples/read_paths.rs`
        // `lines-owned` under callgrind).
        if let [byte] = *sep
            && self.held.is_empty()
            && self.memo.is_fresh()
            && self.head_shareable()
            && let Some(head) = self.segments.front_mut()
            && let Some(i) = {
                let data = head.data();
                let window = self.max_frame.saturating_add(1).min(data.len());
                crate::byte_find::find(byte, &data[..window], &mut self.find_hint)
            }
        {
            let n = i + 1;
            let mut frame = head.split_shared(n);
            let spent = head.len() == 0;
            self.count_consumed(n);
            self.scanned += n as u64;
            // Only the first segment may be left without unread bytes, and only by a lent read.
            if spent {
                self.pop_spent();
            }
            if !keep {
                let cut = ending_len(&frame, sep, line);
                frame.truncate(n - cut);
            }
            return Ok(frame);
        }
        // A frame arriving piece by piece, without `locate`'s set-up: 16 instructions fewer a
        // read attempt (`read_paths frame8m-pieces`).
        self.release_spent();
        let n = match self.resume_in_last(sep) {
            Some(Some(n)) => n,
            Some(None) => {
                self.expect_long_frame(sep.len());
                return Err(self.short());
            }
            None => self.locate(sep, line)?,
        };
        let mut frame = self.take(n);
        if !keep {
            let cut = ending_len(&frame, sep, line);
            frame.truncate(n - cut);
        }
        Ok(frame)
    }

    #[inline(always)]
    fn read_frame_ref(&mut self, sep: &[u8], keep: bool, line: bool) -> Result<&[u8], ReadError> {
        if let [byte] = *sep
            && let Some((from, n)) = self.consume_head_frame(byte)
        {
            return Ok(cut_ending(self.head_slice(from, n), sep, keep, line));
        }
        self.read_frame_ref_slow(sep, keep, line)
    }

    /// [`read_frame_ref`](Pipe::read_frame_ref) past its common case: out of line, so that
    /// the common case inlines into the caller without this part's frame set-up.
    #[inline(never)]
    fn read_frame_ref_slow(
        &mut self,
        sep: &[u8],
        keep: bool,
        line: bool,
    ) -> Result<&[u8], ReadError> {
        let n = self.locate(sep, line)?;
        Ok(self.lend_frame(n, sep, keep, line))
    }

    /// Takes the `n` bytes [`locate`](Pipe::locate) found as a lent frame, without its ending
    /// unless `keep`.
    #[inline]
    pub(crate) fn lend_frame(&mut self, n: usize, sep: &[u8], keep: bool, line: bool) -> &[u8] {
        cut_ending(self.take_lent(n), sep, keep, line)
    }

    /// The common case of the lending frame reads, in one pass: a one-byte separator, a frame
    /// inside the first segment, a chunk of the pool (which then holds unread bytes, so nothing
    /// before it is spent), no sealed slice on loan, no search progress to resume. Consumes the
    /// frame and returns where it lies in the chunk, for [`head_slice`](Pipe::head_slice); `None`
    /// (nothing changed) otherwise. It pays: 64 B lines, 268 instructions a line with it, 360
    /// without; 212 with the rest of the read out of line, so that this part inlines into the
    /// caller (`read_paths lines-lent` under callgrind).
    #[inline(always)]
    pub(crate) fn consume_head_frame(&mut self, byte: u8) -> Option<(usize, usize)> {
        if !self.held.is_empty() || !self.memo.is_fresh() {
            return None;
        }
        let Some(Segment::Open { chunk, start, end }) = self.segments.front_mut() else {
            return None;
        };
        let data = &chunk[*start..*end];
        let window = self.max_frame.saturating_add(1).min(data.len());
        let n = crate::byte_find::find(byte, &data[..window], &mut self.find_hint)? + 1;
        let from = *start;
        *start += n;
        self.count_consumed(n);
        self.scanned += n as u64;
        Some((from, n))
    }

    /// `n` bytes at `from` of the first segment's chunk, which
    /// [`consume_head_frame`](Pipe::consume_head_frame) just consumed. (Borrowed again, shared,
    /// to hand them out: the borrow checker cannot end the search's borrow on one path only.)
    #[inline]
    pub(crate) fn head_slice(&self, from: usize, n: usize) -> &[u8] {
        match self.segments.front() {
            Some(Segment::Open { chunk, .. }) => &chunk[from..from + n],
            _ => unreachable!("the segment just read from is still first"),
        }
    }

    /// Exactly `n` bytes. `n == 0` always gives an empty frame at once.
    ///
    /// Outcomes: `NeedMore` while fewer are buffered; after a clean close, `Partial` with what
    /// is left (or `End` if nothing); `LimitExceeded` at once if `n` is above
    /// [`max_frame`](Pipe::max_frame), whatever is buffered and whether the pipe is closed
    /// (checked first).
    ///
    /// ```
    /// use pipe_core::{Pipe, ReadError};
    /// let mut pipe = Pipe::new();
    /// pipe.write_all(b"$5\r\nhello\r\n")?;
    /// assert_eq!(pipe.read_line(false)?, "$5");
    /// assert_eq!(pipe.read_exact(5)?, "hello");
    /// assert!(matches!(pipe.read_exact(3), Err(ReadError::NeedMore)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_exact(&mut self, n: usize) -> Result<Bytes, ReadError> {
        self.check_exact(n)?;
        Ok(self.take(n))
    }

    /// [`read_exact`](Pipe::read_exact) without allocating: the bytes are lent until the next
    /// call on the pipe.
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(&[0, 0, 0, 42, 7])?;
    /// let n = u32::from_be_bytes(pipe.read_exact_ref(4)?.try_into()?);
    /// assert_eq!(n, 42);
    /// assert_eq!(pipe.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn read_exact_ref(&mut self, n: usize) -> Result<&[u8], ReadError> {
        // The common case in one pass: the bytes lie in the first segment (which then holds
        // unread bytes, so nothing before it is spent) and no sealed slice is on loan. It pays:
        // RESP frames with the lending reads ran at 1.19x tokio's `BufReader` without it and
        // 1.27x with it (`cargo xtask bench` rows `frames/resp`, two runs each, same machine);
        // 26 instructions a frame (`read_paths frames-lent` under callgrind).
        if n > 0
            && n <= self.max_frame
            && self.held.is_empty()
            && let Some(Segment::Open { start, end, .. }) = self.segments.front_mut()
            && *end - *start >= n
        {
            let from = *start;
            *start += n;
            self.count_consumed(n);
            let Some(Segment::Open { chunk, .. }) = self.segments.front() else {
                unreachable!("the segment just read from is still first")
            };
            return Ok(&chunk[from..from + n]);
        }
        self.read_exact_ref_slow(n)
    }

    /// [`read_exact_ref`](Pipe::read_exact_ref) past its common case, out of line (see
    /// [`read_frame_ref_slow`](Pipe::read_frame_ref_slow)).
    #[inline(never)]
    fn read_exact_ref_slow(&mut self, n: usize) -> Result<&[u8], ReadError> {
        self.check_exact(n)?;
        Ok(self.take_lent(n))
    }

    #[inline]
    pub(crate) fn check_exact(&mut self, n: usize) -> Result<(), ReadError> {
        // The common case in one step: the bytes lie in the first segment and no sealed slice
        // is on loan, so nothing is spent before it and `release_spent` has nothing to do.
        // About 35 instructions a RESP frame (4-6%, `read_paths frames-*` under callgrind).
        if n > 0
            && n <= self.max_frame
            && self.held.is_empty()
            && self.segments.front().is_some_and(|s| s.len() >= n)
        {
            return Ok(());
        }
        self.release_spent();
        if n > self.max_frame {
            return Err(ReadError::LimitExceeded {
                limit: self.max_frame,
                buffered: self.len,
            });
        }
        if n > self.len {
            self.reserve_frame(n);
            return Err(self.short());
        }
        Ok(())
    }

    /// Between 1 and `n` bytes: all that is buffered, up to `n`.
    ///
    /// Outcomes: `NeedMore` when nothing is buffered and the write side is open; `End` after a
    /// clean close; the stream error after a failed one. `n == 0` is
    /// [`ReadError::InvalidArgument`].
    ///
    /// ```
    /// use pipe_core::{Pipe, ReadError};
    /// let mut pipe = Pipe::new();
    /// pipe.write_all(b"hello")?;
    /// assert_eq!(pipe.read_at_most(3)?, "hel");
    /// assert_eq!(pipe.read_at_most(100)?, "lo");
    /// assert!(matches!(pipe.read_at_most(100), Err(ReadError::NeedMore)));
    /// assert!(matches!(pipe.read_at_most(0), Err(ReadError::InvalidArgument(_))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_at_most(&mut self, n: usize) -> Result<Bytes, ReadError> {
        let n = self.available(n)?;
        Ok(self.take(n))
    }

    /// Up to `n` bytes from the front, consuming nothing: like
    /// [`read_at_most`](Pipe::read_at_most), except that `n == 0` gives an empty slice.
    ///
    /// Looking does not change the write side: the bytes are shared (no copy) when they lie in a
    /// chunk no writer will fill again, and copied when they lie in the chunk writes still go
    /// to (sharing would seal it and send the next write to a fresh chunk). For a look without
    /// a copy or an allocation, use [`peek_ref`](Pipe::peek_ref).
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"+OK\r\n")?;
    /// assert_eq!(pipe.peek(1)?, "+");
    /// assert_eq!(pipe.len(), 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn peek(&mut self, n: usize) -> Result<Bytes, ReadError> {
        if n == 0 {
            return Ok(Bytes::new());
        }
        let n = self.available(n)?;
        if self.segments.len() == 1
            && let Some(Segment::Open { chunk, start, .. }) = self.segments.front()
        {
            return Ok(Bytes::copy_from_slice(&chunk[*start..*start + n]));
        }
        Ok(self.copy_or_share(n))
    }

    /// [`peek`](Pipe::peek) lent until the next call on the pipe: chunk memory when the bytes
    /// lie in one chunk, else a copy in the reused scratch buffer. It consumes nothing, never
    /// allocates in steady state and does not change the write side.
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(&[0, 3, b'a', b'b', b'c'])?;
    /// let header = pipe.peek_ref(2)?;
    /// let len = u16::from_be_bytes([header[0], header[1]]) as usize;
    /// if pipe.len() >= 2 + len {
    ///     pipe.skip(2);
    ///     assert_eq!(pipe.read_exact_ref(len)?, b"abc");
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn peek_ref(&mut self, n: usize) -> Result<&[u8], ReadError> {
        if n == 0 {
            return Ok(&[]);
        }
        let n = self.available(n)?;
        Ok(self.front_lent(n))
    }

    fn available(&mut self, n: usize) -> Result<usize, ReadError> {
        if n == 0 {
            return Err(ReadError::InvalidArgument("asked for at most 0 bytes"));
        }
        self.release_spent();
        if self.len == 0 {
            return Err(self.short());
        }
        Ok(n.min(self.len))
    }

    /// Drops up to `n` bytes from the front; returns how many were dropped.
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"abcdef")?;
    /// assert_eq!(pipe.skip(4), 4);
    /// assert_eq!(pipe.skip(10), 2); // only 2 were left
    /// assert!(pipe.is_empty());
    /// # Ok::<(), pipe_core::WriteError>(())
    /// ```
    #[inline]
    pub fn skip(&mut self, n: usize) -> usize {
        // `consume` drops a spent first segment (memory of a lent frame) on its own, so only
        // the held slice is let go here: one pass over the front instead of two.
        if !self.held.is_empty() {
            self.held = Bytes::new();
        }
        let n = n.min(self.len);
        self.consume(n);
        n
    }

    /// [`skip`](Pipe::skip) as the `consume` of the buffered-read traits, whose callers drop a
    /// part of the first chunk at a time (a `read_until` loop, a line a call): that part in a
    /// few instructions, anything else through `skip`, out of line (`skip` itself stays whole
    /// and inline for parsers that drop what they parsed, often the whole chunk).
    #[inline]
    pub(crate) fn consume_buffered(&mut self, n: usize) {
        if self.held.is_empty()
            && let Some(Segment::Open { start, end, .. }) = self.segments.front_mut()
            && n < *end - *start
        {
            // The front keeps unread bytes: nothing to give back.
            *start += n;
            self.count_consumed(n);
            return;
        }
        self.skip_out_of_line(n);
    }

    #[inline(never)]
    fn skip_out_of_line(&mut self, n: usize) {
        self.skip(n);
    }

    /// Drops bytes up to and including the next `sep`: the way on after
    /// [`ReadError::LimitExceeded`]. Without a separator buffered, drops all but the last
    /// `sep.len() - 1` bytes (a possible start of the separator) and says
    /// [`Discarded::NotYet`]; call again as data arrives. The frame limit does not apply. On a
    /// closed pipe no separator can come: the rest is dropped (`NotYet` with its length), then
    /// the next call says [`End`](ReadError::End), or the stream's error if it ended with one.
    ///
    /// ```
    /// use pipe_core::{Discarded, Pipe, PipeOptions, ReadError};
    /// let mut pipe = Pipe::with_options(PipeOptions::new().max_frame(4));
    /// pipe.write_all(b"far too long\nok\n")?;
    /// assert!(matches!(pipe.read_line(true), Err(ReadError::LimitExceeded { limit: 4, .. })));
    /// assert_eq!(pipe.discard_until(b"\n")?, Discarded::Found(13));
    /// assert_eq!(pipe.read_line(true)?, "ok\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn discard_until(&mut self, sep: &[u8]) -> Result<Discarded, ReadError> {
        if sep.is_empty() {
            return Err(ReadError::InvalidArgument("the separator is empty"));
        }
        let limit = std::mem::replace(&mut self.max_frame, crate::UNLIMITED);
        let found = self.locate(sep, false);
        self.max_frame = limit;
        match found {
            Ok(n) => {
                self.consume(n);
                Ok(Discarded::Found(n))
            }
            Err(ReadError::Partial(rest)) => Ok(Discarded::NotYet(rest.len())),
            Err(ReadError::NeedMore) => {
                let n = self.len.saturating_sub(sep.len() - 1);
                self.consume(n);
                Ok(Discarded::NotYet(n))
            }
            // Ended by an error: no separator can come. All of the rest goes (as after a clean
            // end), then the error, as every read reports it.
            Err(ReadError::Stream(_)) if self.len > 0 => {
                let n = self.len;
                self.consume(n);
                Ok(Discarded::NotYet(n))
            }
            Err(other) => Err(other),
        }
    }

    /// The buffered bytes as slices, oldest first, without copying (one per chunk).
    ///
    /// ```
    /// use pipe_core::{Bytes, Pipe};
    /// let mut pipe = Pipe::new();
    /// pipe.write_all(b"$5\r\n")?;
    /// pipe.append_bytes(Bytes::from_static(b"hello"))?;
    /// let pieces: Vec<&[u8]> = pipe.chunks().collect();
    /// assert_eq!(pieces, [&b"$5\r\n"[..], &b"hello"[..]]);
    /// assert_eq!(pipe.len(), 9); // nothing consumed
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn chunks(&self) -> impl Iterator<Item = &[u8]> {
        // By index rather than through the segments' iterator: most callers take only the
        // first slice, and this makes that a check and a load (about 50 instructions less a
        // request in the RESP server, `cargo xtask bench` rows `instr/*` under callgrind; with
        // the first segment in a field of its own, the iterator still costs 34 more).
        (0..self.segments.len())
            .map(|i| self.segments[i].data())
            .filter(|d| !d.is_empty())
    }

    /// Fills `out` with views of the buffered bytes for a vectored write (`writev`), oldest
    /// first; returns how many it filled. Follow a write of `k` bytes with
    /// [`skip(k)`](Pipe::skip).
    ///
    /// ```
    /// use std::io::{IoSlice, Write};
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"forward me")?;
    /// let mut views = [IoSlice::new(&[]); 8];
    /// let n = pipe.io_slices(&mut views);
    /// let mut sink = Vec::new();
    /// let written = sink.write_vectored(&views[..n])?;
    /// pipe.skip(written);
    /// assert_eq!(sink, b"forward me");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn io_slices<'a>(&'a self, out: &mut [IoSlice<'a>]) -> usize {
        let mut n = 0;
        for (slot, data) in out.iter_mut().zip(self.chunks()) {
            *slot = IoSlice::new(data);
            n += 1;
        }
        n
    }
}
