//! A segment: one chunk's worth of buffered bytes, writable or sealed.

use std::collections::VecDeque;

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
    /// Memory of its own, outside the pool, for one frame larger than the pool's largest chunk
    /// (a long delimited frame still arriving, a large exact read, one large write): it grows in
    /// place, so the frame ends up in one piece and is taken without a copy. Unread bytes are
    /// `buf[start..end]`; `buf[end..]` is zeroed space made ready for a loan (`free_mut`); the
    /// writable space is `buf.capacity() - end`. `start <= end <= buf.len() <= buf.capacity()`.
    Growing {
        buf: Vec<u8>,
        start: usize,
        end: usize,
    },
    /// Shared memory (a chunk that frames were sliced from): never written again. The `Bytes` is
    /// exactly the unread bytes; the chunk returns to its pool when the last slice drops.
    Sealed(Bytes),
}

/// How much of a growing segment's space a loan zeroes at most: enough for a large transport
/// read, small enough to stay in cache until the read fills it.
const GROWING_LOAN: usize = 256 * 1024;

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
            Segment::Growing { buf, start, end } => &buf[*start..*end],
            Segment::Sealed(bytes) => bytes,
        }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        match self {
            Segment::Open { start, end, .. } | Segment::Growing { start, end, .. } => end - start,
            Segment::Sealed(bytes) => bytes.len(),
        }
    }

    /// A growing segment holding `data` (moved in once), with room for `capacity` bytes in all.
    /// `None` if that much memory cannot be had (the caller goes on without it).
    pub(crate) fn growing<'a>(
        capacity: usize,
        data: impl IntoIterator<Item = &'a [u8]>,
    ) -> Option<Segment> {
        let mut buf = Vec::new();
        buf.try_reserve_exact(capacity).ok()?;
        for part in data {
            buf.extend_from_slice(part);
        }
        let end = buf.len();
        Some(Segment::Growing { buf, start: 0, end })
    }

    /// Makes a growing segment's writable space at least `room` bytes (moving the memory at
    /// most once, as a `Vec` grows). False if it is not a growing segment or the memory cannot
    /// be had.
    pub(crate) fn grow(&mut self, room: usize) -> bool {
        let Segment::Growing { buf, end, .. } = self else {
            return false;
        };
        if buf.capacity() - *end >= room {
            return true;
        }
        buf.truncate(*end);
        buf.try_reserve(room).is_ok()
    }

    /// Writable space after the unread bytes (none once sealed).
    #[inline]
    pub(crate) fn free(&self) -> usize {
        match self {
            Segment::Open { chunk, end, .. } => chunk.capacity() - end,
            Segment::Growing { buf, end, .. } => buf.capacity() - end,
            Segment::Sealed(_) => 0,
        }
    }

    /// The space the last [`free_mut`](Segment::free_mut) made ready, read-only.
    #[inline]
    pub(crate) fn free_ref(&self) -> &[u8] {
        match self {
            Segment::Open { chunk, end, .. } => &chunk[*end..],
            Segment::Growing { buf, end, .. } => &buf[*end..],
            Segment::Sealed(_) => &[],
        }
    }

    /// Free space to be filled and then committed with [`Segment::commit`]: all of it in a
    /// chunk; in a growing segment up to [`GROWING_LOAN`] bytes of it or `at_least` if more
    /// (the caller checked that `free() >= at_least`), zeroed first (the memory past a `Vec`'s
    /// length cannot be lent otherwise).
    #[inline]
    pub(crate) fn free_mut(&mut self, at_least: usize) -> &mut [u8] {
        match self {
            Segment::Open { chunk, end, .. } => &mut chunk[*end..],
            Segment::Growing { buf, end, .. } => {
                let ready = buf.capacity().min(*end + GROWING_LOAN.max(at_least));
                if buf.len() < ready {
                    buf.resize(ready, 0);
                }
                &mut buf[*end..]
            }
            Segment::Sealed(_) => &mut [],
        }
    }

    /// Copies as much of `data` as the free space takes and commits it; returns how much.
    #[inline]
    pub(crate) fn append(&mut self, data: &[u8]) -> usize {
        match self {
            Segment::Open { chunk, end, .. } => {
                let n = (chunk.capacity() - *end).min(data.len());
                chunk[*end..*end + n].copy_from_slice(&data[..n]);
                *end += n;
                n
            }
            Segment::Growing { buf, end, .. } => {
                let n = (buf.capacity() - *end).min(data.len());
                // Over any zeroed space made ready for a loan (no loan is open during a write).
                buf.truncate(*end);
                buf.extend_from_slice(&data[..n]);
                *end += n;
                n
            }
            Segment::Sealed(_) => 0,
        }
    }

    /// Copies `a` then `b` into the free space and commits them; the caller has checked that
    /// `free() >= a.len() + b.len()`. One step for an encoder's header and payload; always
    /// inlined, as the compiler stopped doing by itself when the segments' storage changed
    /// (8 instructions a 64 B message more, `framed_paths write64-ours`).
    #[inline(always)]
    pub(crate) fn append_two(&mut self, a: &[u8], b: &[u8]) {
        match self {
            Segment::Open { chunk, end, .. } => {
                let n = a.len() + b.len();
                let free = &mut chunk[*end..];
                free[..a.len()].copy_from_slice(a);
                free[a.len()..n].copy_from_slice(b);
                *end += n;
            }
            Segment::Growing { buf, end, .. } => {
                // Over any zeroed space made ready for a loan (no loan is open during a write).
                buf.truncate(*end);
                buf.extend_from_slice(a);
                if !b.is_empty() {
                    buf.extend_from_slice(b);
                }
                *end += a.len() + b.len();
            }
            Segment::Sealed(_) => {}
        }
    }

    /// Marks `n` bytes of the space [`free_mut`](Segment::free_mut) handed out as written.
    #[inline]
    pub(crate) fn commit(&mut self, n: usize) {
        match self {
            Segment::Open { end, .. } | Segment::Growing { end, .. } => *end += n,
            Segment::Sealed(_) => {}
        }
    }

    /// Drops `n` unread bytes from the front. `n <= self.len()`.
    #[inline]
    pub(crate) fn consume(&mut self, n: usize) {
        match self {
            Segment::Open { start, .. } | Segment::Growing { start, .. } => *start += n,
            Segment::Sealed(bytes) => bytes.advance(n),
        }
    }

    /// Turns an open or growing segment into shared memory (a sealed one stays as it is).
    #[inline]
    fn seal(&mut self) {
        if !matches!(self, Segment::Sealed(_)) {
            self.seal_now();
        }
    }

    /// [`seal`](Segment::seal)'s work, once per segment: out of line so that the per-frame
    /// paths stay small enough to inline.
    #[cold]
    #[inline(never)]
    fn seal_now(&mut self) {
        *self = match std::mem::replace(self, Segment::Sealed(Bytes::new())) {
            Segment::Open { chunk, start, end } => {
                Segment::Sealed(Bytes::from_owner(Filled { chunk, len: end }).slice(start..))
            }
            Segment::Growing {
                mut buf,
                start,
                end,
            } => {
                buf.truncate(end);
                // No copy: `Bytes` takes the vector over.
                Segment::Sealed(Bytes::from(buf).slice(start..))
            }
            sealed => sealed,
        };
    }

    /// Seals the segment and returns its first `n` unread bytes as a slice of it, without
    /// consuming them. `n <= self.len()`.
    #[inline]
    pub(crate) fn share(&mut self, n: usize) -> Bytes {
        self.seal();
        match self {
            Segment::Sealed(bytes) => bytes.slice(..n),
            unsealed => unsealed.copy_range(0, n),
        }
    }

    /// Seals the segment and returns `n` unread bytes from offset `at` as a slice of it, without
    /// consuming them. `at + n <= self.len()`.
    pub(crate) fn share_range(&mut self, at: usize, n: usize) -> Bytes {
        self.seal();
        match self {
            Segment::Sealed(bytes) => bytes.slice(at..at + n),
            unsealed => unsealed.copy_range(at, n),
        }
    }

    /// Seals the segment and takes its first `n` unread bytes as a slice of it (consumed).
    /// `n <= self.len()`.
    #[inline]
    pub(crate) fn split_shared(&mut self, n: usize) -> Bytes {
        self.seal();
        match self {
            Segment::Sealed(bytes) => bytes.split_to(n),
            unsealed => {
                let out = unsealed.copy_range(0, n);
                unsealed.consume(n);
                out
            }
        }
    }

    /// A copy of `n` unread bytes from offset `at`: what the sharing reads fall back on if a
    /// segment is not sealed (never, as `seal` leaves it).
    #[cold]
    #[inline(never)]
    fn copy_range(&self, at: usize, n: usize) -> Bytes {
        Bytes::copy_from_slice(&self.data()[at..at + n])
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
            Segment::Growing { buf, start, .. } => {
                let from = *start;
                *start += n;
                &buf[from..from + n]
            }
            Segment::Sealed(bytes) => {
                *holder = bytes.split_to(n);
                holder
            }
        }
    }
}

/// A pipe's segments, oldest first: a deque whose first segment lives in a field of its own.
///
/// Every read starts at the first segment, most of them end there, and a read loop looks it up
/// on each call (the buffered-read traits' `fill_buf` and `consume`, a lending read before and
/// after it takes its frame). In a `VecDeque` each look wraps an index and scales it by the
/// element's size; here it is one load of the field. The rest stay in the deque.
#[derive(Default)]
pub(crate) struct Segments {
    /// The first segment. `None` exactly when `rest` is empty too (no segments at all).
    head: Option<Segment>,
    /// The segments after the first, oldest first.
    rest: VecDeque<Segment>,
}

impl Segments {
    #[inline]
    pub(crate) fn front(&self) -> Option<&Segment> {
        self.head.as_ref()
    }

    #[inline]
    pub(crate) fn front_mut(&mut self) -> Option<&mut Segment> {
        self.head.as_mut()
    }

    #[inline]
    pub(crate) fn back(&self) -> Option<&Segment> {
        match self.rest.back() {
            Some(last) => Some(last),
            None => self.head.as_ref(),
        }
    }

    #[inline]
    pub(crate) fn back_mut(&mut self) -> Option<&mut Segment> {
        match self.rest.back_mut() {
            Some(last) => Some(last),
            None => self.head.as_mut(),
        }
    }

    #[inline]
    pub(crate) fn push_back(&mut self, segment: Segment) {
        if self.head.is_none() {
            self.head = Some(segment);
        } else {
            self.rest.push_back(segment);
        }
    }

    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<Segment> {
        let first = self.head.take();
        self.head = self.rest.pop_front();
        first
    }

    #[inline]
    pub(crate) fn pop_back(&mut self) -> Option<Segment> {
        match self.rest.pop_back() {
            Some(last) => Some(last),
            None => self.head.take(),
        }
    }

    /// Removes the second segment (the first after the head), if any.
    pub(crate) fn remove_second(&mut self) -> Option<Segment> {
        self.rest.pop_front()
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        usize::from(self.head.is_some()) + self.rest.len()
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.head.is_none()
    }

    #[inline]
    pub(crate) fn get(&self, index: usize) -> Option<&Segment> {
        match index {
            0 => self.head.as_ref(),
            i => self.rest.get(i - 1),
        }
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut Segment> {
        match index {
            0 => self.head.as_mut(),
            i => self.rest.get_mut(i - 1),
        }
    }

    pub(crate) fn clear(&mut self) {
        self.head = None;
        self.rest.clear();
    }

    /// The segments, oldest first.
    #[inline]
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &Segment> + Clone {
        self.head.iter().chain(self.rest.iter())
    }

    /// The segments from `index` on, oldest first.
    #[inline]
    pub(crate) fn range_from(&self, index: usize) -> impl Iterator<Item = &Segment> {
        let head = self.head.as_ref().filter(|_| index == 0);
        head.into_iter().chain(
            self.rest
                .range(index.saturating_sub(1).min(self.rest.len())..),
        )
    }
}

impl std::ops::Index<usize> for Segments {
    type Output = Segment;

    #[inline]
    fn index(&self, index: usize) -> &Segment {
        self.get(index).expect("a segment index within len")
    }
}

impl std::ops::IndexMut<usize> for Segments {
    #[inline]
    fn index_mut(&mut self, index: usize) -> &mut Segment {
        self.get_mut(index).expect("a segment index within len")
    }
}

impl<'a> IntoIterator for &'a Segments {
    type Item = &'a Segment;
    type IntoIter = std::iter::Chain<
        std::option::Iter<'a, Segment>,
        std::collections::vec_deque::Iter<'a, Segment>,
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.head.iter().chain(self.rest.iter())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use bytes::Bytes;
    use proptest::prelude::*;

    use super::{Segment, Segments};

    #[derive(Debug, Clone)]
    enum Op {
        PushBack,
        PopFront,
        PopBack,
        RemoveSecond,
        Clear,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => Just(Op::PushBack),
            2 => Just(Op::PopFront),
            1 => Just(Op::PopBack),
            1 => Just(Op::RemoveSecond),
            1 => Just(Op::Clear),
        ]
    }

    /// A segment told apart from the others by its length.
    fn segment(id: usize) -> Segment {
        Segment::Sealed(Bytes::from(vec![0; id]))
    }

    fn ids<'a>(it: impl Iterator<Item = &'a Segment>) -> Vec<usize> {
        it.map(Segment::len).collect()
    }

    proptest! {
        /// Every operation the pipe uses agrees with a `VecDeque`, whose API it mirrors.
        #[test]
        fn behaves_as_a_deque(ops in proptest::collection::vec(op(), 0..60)) {
            let (mut segments, mut model) = (Segments::default(), VecDeque::new());
            for (step, op) in ops.into_iter().enumerate() {
                let id = step + 1;
                match op {
                    Op::PushBack => {
                        segments.push_back(segment(id));
                        model.push_back(id);
                    }
                    Op::PopFront => {
                        prop_assert_eq!(segments.pop_front().map(|s| s.len()), model.pop_front());
                    }
                    Op::PopBack => {
                        prop_assert_eq!(segments.pop_back().map(|s| s.len()), model.pop_back());
                    }
                    Op::RemoveSecond => {
                        prop_assert_eq!(segments.remove_second().map(|s| s.len()), model.remove(1));
                    }
                    Op::Clear => {
                        segments.clear();
                        model.clear();
                    }
                }
                prop_assert_eq!(segments.len(), model.len());
                prop_assert_eq!(segments.is_empty(), model.is_empty());
                prop_assert_eq!(segments.front().map(Segment::len), model.front().copied());
                prop_assert_eq!(segments.back().map(Segment::len), model.back().copied());
                prop_assert_eq!(segments.back_mut().map(|s| s.len()), model.back().copied());
                prop_assert_eq!(segments.front_mut().map(|s| s.len()), model.front().copied());
                let all: Vec<usize> = model.iter().copied().collect();
                prop_assert_eq!(ids(segments.iter()), all.clone());
                prop_assert_eq!(ids(segments.iter().rev()), all.iter().rev().copied().collect::<Vec<_>>());
                prop_assert_eq!(ids((&segments).into_iter()), all.clone());
                for i in 0..=model.len() + 1 {
                    prop_assert_eq!(segments.get(i).map(Segment::len), model.get(i).copied());
                    prop_assert_eq!(segments.get_mut(i).map(|s| s.len()), model.get(i).copied());
                    let from: Vec<usize> = all.iter().skip(i).copied().collect();
                    prop_assert_eq!(ids(segments.range_from(i)), from);
                    if i < model.len() {
                        prop_assert_eq!(segments[i].len(), model[i]);
                    }
                }
            }
        }
    }
}
