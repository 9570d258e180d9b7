//! What the searches know: [`Memo`], how far the buffered bytes are known not to hold a match
//! of a separator (for the frame reads) and of a `find` needle. Positions are stream offsets
//! (bytes since the pipe was made), so reads only move the cursor; a different separator or
//! needle replaces the fact. It knows nothing of the pipe: the pipe reports what it consumed
//! (`consumed`) and the searches ask where to resume.

/// How far the bytes are known not to hold a match of one separator.
#[derive(Debug, Default)]
pub(crate) struct Memo {
    /// The separator the fact is about.
    sep: Vec<u8>,
    /// Stream offset of the read cursor: bytes consumed since the pipe was made.
    cursor: u64,
    /// No match of `sep` starts between the cursor and this stream offset.
    known_to: u64,
    /// The same kind of fact for the last `find`, whose range may start past the cursor.
    find: FindFact,
}

/// No match of `needle` starts at a stream offset in `from..known_to`. Bytes never change once
/// written, so the fact stays true as the cursor moves; a different needle replaces it.
#[derive(Debug, Default)]
struct FindFact {
    needle: Vec<u8>,
    from: u64,
    known_to: u64,
}

impl Memo {
    /// The offset from the cursor where a scan for `sep` should start, forgetting what was
    /// known of another separator.
    #[inline]
    pub(crate) fn resume(&mut self, sep: &[u8]) -> usize {
        if !self.is_about(sep) {
            self.sep.clear();
            self.sep.extend_from_slice(sep);
            self.known_to = self.cursor;
        }
        self.known_to.saturating_sub(self.cursor) as usize
    }

    /// Where a scan for `sep` resumes, as an offset from the cursor, if an earlier scan for
    /// the same separator left progress; `None` if nothing is known (see [`Memo::resume`]).
    #[inline]
    pub(crate) fn resumes_at(&self, sep: &[u8]) -> Option<usize> {
        (self.is_about(sep) && !self.is_fresh()).then(|| (self.known_to - self.cursor) as usize)
    }

    /// Whether the fact is about `sep`. Most separators are one or two bytes (`\n`, `\r\n`):
    /// those are compared without a call to `memcmp` (18 instructions a read attempt for
    /// `\r\n`, `read_paths frame8m-pieces`).
    #[inline]
    fn is_about(&self, sep: &[u8]) -> bool {
        match (self.sep.as_slice(), sep) {
            ([a], [b]) => a == b,
            ([a, b], [c, d]) => a == c && b == d,
            (a, b) => a == b,
        }
    }

    /// Records where the last scan for the separator stopped: no match starts before offset
    /// `to` from the cursor (the first match, or the first place one could still start).
    #[inline]
    pub(crate) fn examined(&mut self, to: usize) {
        self.known_to = self.cursor + to as u64;
    }

    /// Whether a scan would start at the cursor whatever the separator (nothing is known).
    #[inline]
    pub(crate) fn is_fresh(&self) -> bool {
        self.known_to <= self.cursor
    }

    /// The offset from the cursor where a `find` of `needle` starting at offset `start` should
    /// scan from: past what an earlier `find` of the same needle examined, if its range covers
    /// `start`.
    pub(crate) fn find_resume(&mut self, needle: &[u8], start: usize) -> usize {
        let at = self.cursor + start as u64;
        let fact = &mut self.find;
        if fact.needle != needle || at < fact.from || at > fact.known_to {
            fact.needle.clear();
            fact.needle.extend_from_slice(needle);
            fact.from = at;
            fact.known_to = at;
        }
        (fact.known_to - self.cursor) as usize
    }

    /// Records that no match of the last `find`'s needle starts before offset `to`.
    pub(crate) fn find_examined(&mut self, to: usize) {
        self.find.known_to = self.find.known_to.max(self.cursor + to as u64);
    }

    /// Bytes consumed since the pipe was made.
    pub(crate) fn cursor(&self) -> u64 {
        self.cursor
    }

    /// Keeps the fact true after `n` bytes left the front.
    #[inline]
    pub(crate) fn consumed(&mut self, n: usize) {
        self.cursor += n as u64;
    }
}
