//! A segment: one chunk's worth of buffered bytes, writable or sealed.

use bytes::{Buf, Bytes};
use chunk_pool::Chunk;

/// The bytes of one chunk in a pipe.
pub(crate) enum Segment {
    /// A chunk only the pipe references. Unread bytes are `chunk[start..end]`; `chunk[end..]` is
    /// free space a writer may fill. `start <= end <= chunk.capacity()`.
    Open {
        chunk: Chunk,
        start: usize,
        end: usize,
    },
    /// Shared memory (a chunk that frames were sliced from): never written again. The `Bytes` is
    /// exactly the unread bytes; the chunk returns to its pool when the last slice drops.
    Sealed(Bytes),
}

/// A chunk's filled part as the owner behind a `Bytes`.
struct Filled {
    chunk: Chunk,
    len: usize,
}

impl AsRef<[u8]> for Filled {
    fn as_ref(&self) -> &[u8] {
        &self.chunk[..self.len]
    }
}

impl Segment {
    pub(crate) fn new(chunk: Chunk) -> Segment {
        Segment::Open {
            chunk,
            start: 0,
            end: 0,
        }
    }

    /// The unread bytes.
    #[inline]
    pub(crate) fn data(&self) -> &[u8] {
        match self {
            Segment::Open { chunk, start, end } => &chunk[*start..*end],
            Segment::Sealed(bytes) => bytes,
        }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        match self {
            Segment::Open { start, end, .. } => end - start,
            Segment::Sealed(bytes) => bytes.len(),
        }
    }

    /// Writable space after the unread bytes (none once sealed).
    #[inline]
    pub(crate) fn free(&self) -> usize {
        match self {
            Segment::Open { chunk, end, .. } => chunk.capacity() - end,
            Segment::Sealed(_) => 0,
        }
    }

    /// The free space, read-only.
    #[inline]
    pub(crate) fn free_ref(&self) -> &[u8] {
        match self {
            Segment::Open { chunk, end, .. } => &chunk[*end..],
            Segment::Sealed(_) => &[],
        }
    }

    /// The free space, to be filled and then committed with [`Segment::commit`].
    #[inline]
    pub(crate) fn free_mut(&mut self) -> &mut [u8] {
        match self {
            Segment::Open { chunk, end, .. } => &mut chunk[*end..],
            Segment::Sealed(_) => &mut [],
        }
    }

    /// Marks `n` bytes of the free space as written. `n <= self.free()`.
    #[inline]
    pub(crate) fn commit(&mut self, n: usize) {
        if let Segment::Open { end, .. } = self {
            *end += n;
        }
    }

    /// Drops `n` unread bytes from the front. `n <= self.len()`.
    #[inline]
    pub(crate) fn consume(&mut self, n: usize) {
        match self {
            Segment::Open { start, .. } => *start += n,
            Segment::Sealed(bytes) => bytes.advance(n),
        }
    }

    /// Turns an open segment into shared memory (a sealed one stays as it is).
    #[inline]
    fn seal(&mut self) {
        if let Segment::Open { .. } = self
            && let Segment::Open { chunk, start, end } =
                std::mem::replace(self, Segment::Sealed(Bytes::new()))
        {
            *self = Segment::Sealed(Bytes::from_owner(Filled { chunk, len: end }).slice(start..));
        }
    }

    /// Seals the segment and returns its first `n` unread bytes as a slice of it, without
    /// consuming them. `n <= self.len()`.
    #[inline]
    pub(crate) fn share(&mut self, n: usize) -> Bytes {
        self.seal();
        match self {
            Segment::Sealed(bytes) => bytes.slice(..n),
            Segment::Open { chunk, start, .. } => {
                Bytes::copy_from_slice(&chunk[*start..*start + n])
            }
        }
    }

    /// Seals the segment and returns `n` unread bytes from offset `at` as a slice of it, without
    /// consuming them. `at + n <= self.len()`.
    pub(crate) fn share_range(&mut self, at: usize, n: usize) -> Bytes {
        self.seal();
        match self {
            Segment::Sealed(bytes) => bytes.slice(at..at + n),
            Segment::Open { chunk, start, .. } => {
                Bytes::copy_from_slice(&chunk[*start + at..*start + at + n])
            }
        }
    }

    /// Seals the segment and takes its first `n` unread bytes as a slice of it (consumed).
    /// `n <= self.len()`.
    #[inline]
    pub(crate) fn split_shared(&mut self, n: usize) -> Bytes {
        self.seal();
        match self {
            Segment::Sealed(bytes) => bytes.split_to(n),
            Segment::Open { chunk, start, .. } => {
                let out = Bytes::copy_from_slice(&chunk[*start..*start + n]);
                *start += n;
                out
            }
        }
    }

    /// Takes the first `n` unread bytes as a lent slice: consumed, but the memory stays until the
    /// segment is dropped. `holder` keeps a sealed slice alive. `n <= self.len()`.
    #[inline]
    pub(crate) fn lend<'a>(&'a mut self, n: usize, holder: &'a mut Bytes) -> &'a [u8] {
        match self {
            Segment::Open { chunk, start, .. } => {
                let from = *start;
                *start += n;
                &chunk[from..from + n]
            }
            Segment::Sealed(bytes) => {
                *holder = bytes.split_to(n);
                holder
            }
        }
    }
}
