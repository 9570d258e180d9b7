//! The `Pipe` type: its state, its options and its write side.

use std::fmt;
use std::io;
use std::sync::{Mutex, PoisonError};

use bytes::{Bytes, BytesMut};
use chunk_pool::{Chunk, Pool};

use crate::error::{StreamError, WriteError};
use crate::memo::Memo;
use crate::segment::{Segment, Segments};

/// The maximum frame size a pipe starts with: 64 KiB, the original library's `limit=2**16`.
///
/// ```
/// use pipe_core::{DEFAULT_MAX_FRAME, Pipe};
/// assert_eq!(DEFAULT_MAX_FRAME, 65_536);
/// assert_eq!(Pipe::new().max_frame(), DEFAULT_MAX_FRAME);
/// ```
pub const DEFAULT_MAX_FRAME: usize = 64 * 1024;

/// A maximum frame size that never triggers.
///
/// ```
/// use pipe_core::{Pipe, PipeOptions, UNLIMITED};
/// let mut pipe = Pipe::with_options(PipeOptions::new().max_frame(UNLIMITED));
/// pipe.write_all(&[b'x'; 100_000])?; // over the default limit of 64 KiB
/// pipe.write_all(b"\n")?;
/// assert_eq!(pipe.read_line(false)?.len(), 100_000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const UNLIMITED: usize = usize::MAX;

/// How a [`Pipe`] is set up: a builder, so that options can be added without breaking code.
/// Every setting has a documented default.
///
/// ```
/// use pipe_core::{Pipe, PipeOptions, UNLIMITED};
/// let pipe = Pipe::with_options(PipeOptions::new().max_frame(UNLIMITED));
/// assert_eq!(pipe.max_frame(), UNLIMITED);
/// ```
#[derive(Clone, Debug)]
pub struct PipeOptions {
    /// Where chunks come from.
    pub(crate) pool: Pool,
    /// The longest frame in bytes, separator not counted.
    pub(crate) max_frame: usize,
    /// The chunk size `get_buffer(0)` starts with.
    pub(crate) chunk_size: usize,
    /// The largest chunk the adaptive size grows to.
    pub(crate) max_chunk: usize,
}

impl Default for PipeOptions {
    fn default() -> Self {
        PipeOptions {
            pool: Pool::global().clone(),
            max_frame: DEFAULT_MAX_FRAME,
            chunk_size: 16 * 1024,
            max_chunk: 256 * 1024,
        }
    }
}

impl PipeOptions {
    /// The defaults: the global pool, [`DEFAULT_MAX_FRAME`], 16 KiB chunks growing to 256 KiB.
    ///
    /// ```
    /// let pipe = pipe_core::Pipe::with_options(pipe_core::PipeOptions::new());
    /// assert_eq!(pipe.max_frame(), pipe_core::DEFAULT_MAX_FRAME);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Where chunks come from. Default: [`Pool::global`].
    ///
    /// ```
    /// use pipe_core::{Pipe, PipeOptions, Pool, PoolConfig};
    /// let pool = Pool::new(PoolConfig::new())?;
    /// let mut pipe = Pipe::with_options(PipeOptions::new().pool(pool.clone()));
    /// pipe.write_all(b"x")?;
    /// assert_eq!(pool.stats().outstanding_chunks, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn pool(mut self, pool: Pool) -> Self {
        self.pool = pool;
        self
    }

    /// The longest frame (line, delimited frame or exact read) in bytes, its ending or
    /// separator not counted. Default [`DEFAULT_MAX_FRAME`]; [`UNLIMITED`] turns the check off.
    ///
    /// ```
    /// let pipe = pipe_core::Pipe::with_options(pipe_core::PipeOptions::new().max_frame(512));
    /// assert_eq!(pipe.max_frame(), 512);
    /// ```
    #[must_use]
    pub fn max_frame(mut self, max_frame: usize) -> Self {
        self.max_frame = max_frame;
        self
    }

    /// The chunk size `get_buffer(0)` starts with; it then adapts between the pool's smallest
    /// chunk and [`max_chunk`](PipeOptions::max_chunk). Default 16 KiB.
    ///
    /// ```
    /// let pipe = pipe_core::Pipe::with_options(pipe_core::PipeOptions::new().chunk_size(4096));
    /// assert_eq!(pipe.adaptive_chunk_size(), 4096);
    /// ```
    #[must_use]
    pub fn chunk_size(mut self, chunk_size: usize) -> Self {
        self.chunk_size = chunk_size;
        self
    }

    /// The largest chunk the adaptive size grows to (capped by the pool's largest class).
    /// Default 256 KiB.
    ///
    /// ```
    /// let options = pipe_core::PipeOptions::new().chunk_size(8192).max_chunk(8192);
    /// assert_eq!(pipe_core::Pipe::with_options(options).adaptive_chunk_size(), 8192);
    /// ```
    #[must_use]
    pub fn max_chunk(mut self, max_chunk: usize) -> Self {
        self.max_chunk = max_chunk;
        self
    }
}

/// Where the write side is.
///
/// ```
/// use pipe_core::{Pipe, PipeState};
/// let mut pipe = Pipe::new();
/// assert!(matches!(pipe.state(), PipeState::Open));
/// pipe.eof()?;
/// assert!(matches!(pipe.state(), PipeState::Closed));
///
/// let mut failed = Pipe::new();
/// failed.eof_with_error(std::io::Error::other("connection reset"))?;
/// assert!(matches!(failed.state(), PipeState::Failed(_)));
/// # Ok::<(), pipe_core::WriteError>(())
/// ```
#[derive(Clone, Debug)]
pub enum PipeState {
    /// Writers may still add data.
    Open,
    /// Closed cleanly by [`Pipe::eof`]; buffered bytes are still readable.
    Closed,
    /// Closed by [`Pipe::eof_with_error`]; buffered bytes are still readable.
    Failed(StreamError),
}

/// A pooled, chunked byte pipe: a writer fills pooled chunks, a reader takes frames out.
///
/// Write side: [`get_buffer`](Pipe::get_buffer) + [`buffer_written`](Pipe::buffer_written) (fill
/// in place, no copy) or [`write_all`](Pipe::write_all); then [`eof`](Pipe::eof). Read side:
/// lines, delimited frames, exact counts, "whatever is there", peeks and searches, each with the
/// outcomes described on [`ReadError`](crate::ReadError).
///
/// ```
/// use pipe_core::{Pipe, ReadError};
///
/// let mut pipe = Pipe::new();
/// let buf = pipe.get_buffer(4)?;
/// buf[..4].copy_from_slice(b"test");
/// pipe.buffer_written(4)?;
/// assert!(matches!(pipe.read_line(true), Err(ReadError::NeedMore)));
///
/// pipe.write_all(b"\r\n")?;
/// assert_eq!(pipe.read_line(true)?, "test\r\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Pipe {
    /// Buffered bytes, oldest first. Only the last segment is ever written to. Every segment
    /// holds unread bytes except: the first, when its memory backs a frame lent by a `*_ref` read
    /// (dropped by the next call's `release_spent`), and the last, while a buffer is lent in it.
    pub(crate) segments: Segments,
    /// Unread bytes over all segments.
    pub(crate) len: usize,
    /// Free bytes handed out by the last `get_buffer` at the end of the last segment; `None` when
    /// nothing awaits a commit. While `Some`, the last segment is neither sealed nor dropped.
    lent: Option<Lent>,
    /// Whether writers may still add data, and how the stream ended if not.
    pub(crate) state: PipeState,
    /// How far the last unsuccessful separator search got.
    pub(crate) memo: Memo,
    /// Longest frame accepted, separator not counted.
    pub(crate) max_frame: usize,
    /// The chunk size for writes without a size hint.
    sizer: Sizer,
    pool: Pool,
    /// Holds frames that straddle chunks for `*_ref` reads.
    pub(crate) scratch: Vec<u8>,
    /// Keeps the slice of sealed memory a `*_ref` read lent.
    pub(crate) held: Bytes,
    /// Bytes examined by searches since the pipe was made (a diagnostic).
    pub(crate) scanned: u64,
    /// Runs after each commit and at close. In a mutex only so that `Pipe` is `Sync` with a hook
    /// that is merely `Send`: it is reached through `&mut self` (`Mutex::get_mut`), never locked.
    on_new_data: Option<Mutex<Hook>>,
    /// A frame of this many bytes is awaited at the front, as known when `consumed_total` was
    /// the first number ([`reserve_frame`](Pipe::reserve_frame)); stale once anything is
    /// consumed. The next write makes room for it in one chunk so it can be taken without a
    /// copy.
    pending: Option<(u64, usize)>,
    /// A pipe fed by a transport (through the adapter kit's fill) keeps the last chunk reads
    /// emptied, here, for its next fill; a fill that finds nothing gives it back, so an idle
    /// stream holds no chunk, and a pipe written by hand never keeps one (consumed chunks go
    /// back to the pool at once). Saves a pool round trip per request on a busy connection.
    spare: Option<Chunk>,
    /// Set by the first transport fill: keep `spare`.
    keep_spare: bool,
    /// How long the frames found by the one-byte searches have been lately: where they look
    /// first (`byte_find.rs`). Only speed depends on it.
    pub(crate) find_hint: crate::byte_find::Hint,
}

/// The `on_new_data` callback.
type Hook = Box<dyn FnMut(&Pipe) + Send>;

#[derive(Clone, Copy, Debug)]
struct Lent {
    len: usize,
    /// Lent by `get_buffer(0)`: its fill feeds the adaptive chunk size.
    adaptive: bool,
}

/// The adaptive chunk size of `get_buffer(0)`: doubles when writers fill whole chunks, halves
/// after a run of small writes. Always a size between `min` and `max`.
#[derive(Clone, Copy, Debug)]
struct Sizer {
    size: usize,
    /// The configured chunk size ([`PipeOptions::chunk_size`], rounded to a pool class): where
    /// `size` starts, and the least read that goes past the pipe (`reads_past`).
    base: usize,
    min: usize,
    max: usize,
    /// Consecutive commits under a quarter of `size`.
    small_run: u8,
}

impl Sizer {
    const SMALL_RUN_TO_SHRINK: u8 = 4;

    #[inline]
    fn on_commit(&mut self, written: usize, offered: usize) {
        if written == offered && offered >= self.size / 2 {
            self.size = (self.size * 2).min(self.max);
            self.small_run = 0;
        } else if written < self.size / 4 {
            self.small_run += 1;
            if self.small_run >= Self::SMALL_RUN_TO_SHRINK {
                self.size = (self.size / 2).max(self.min);
                self.small_run = 0;
            }
        } else {
            self.small_run = 0;
        }
    }
}

impl Default for Pipe {
    fn default() -> Self {
        Pipe::new()
    }
}

impl fmt::Debug for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipe")
            .field("len", &self.len)
            .field("segments", &self.segments.len())
            .field("state", &self.state)
            .field("max_frame", &self.max_frame)
            .finish_non_exhaustive()
    }
}

impl Pipe {
    /// A pipe with [`PipeOptions::default`].
    ///
    /// ```
    /// let pipe = pipe_core::Pipe::new();
    /// assert!(pipe.is_empty() && !pipe.is_closed());
    /// assert_eq!(pipe.max_frame(), pipe_core::DEFAULT_MAX_FRAME);
    /// ```
    pub fn new() -> Pipe {
        Pipe::with_options(PipeOptions::default())
    }

    /// A pipe with the given options (out-of-range chunk sizes are clamped to the pool's classes).
    ///
    /// ```
    /// use pipe_core::{Pipe, PipeOptions};
    /// // 1 byte is below the pool's smallest class: the pipe starts with that class instead.
    /// let pipe = Pipe::with_options(PipeOptions::new().chunk_size(1));
    /// assert_eq!(pipe.adaptive_chunk_size(), pipe.pool().min_chunk());
    /// ```
    pub fn with_options(options: PipeOptions) -> Pipe {
        let PipeOptions {
            pool,
            max_frame,
            chunk_size,
            max_chunk,
        } = options;
        let max = max_chunk.clamp(pool.min_chunk(), pool.max_chunk());
        let min = pool.min_chunk();
        let base = pool.chunk_size_for(chunk_size.clamp(min, max));
        Pipe {
            segments: Segments::default(),
            len: 0,
            lent: None,
            state: PipeState::Open,
            memo: Memo::default(),
            max_frame,
            sizer: Sizer {
                size: base,
                base,
                min,
                max,
                small_run: 0,
            },
            pool,
            scratch: Vec::new(),
            held: Bytes::new(),
            scanned: 0,
            on_new_data: None,
            pending: None,
            spare: None,
            keep_spare: false,
            find_hint: crate::byte_find::Hint::default(),
        }
    }

    /// Unread bytes.
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"hello\nworld")?;
    /// assert_eq!(pipe.len(), 11);
    /// assert_eq!(pipe.read_line(true)?, "hello\n");
    /// assert_eq!(pipe.len(), 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no bytes are buffered.
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// assert!(pipe.is_empty());
    /// pipe.write_all(b"x")?;
    /// assert!(!pipe.is_empty());
    /// # Ok::<(), pipe_core::WriteError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the write side is closed (cleanly or with an error).
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"rest")?;
    /// assert!(!pipe.is_closed());
    /// pipe.eof()?;
    /// assert!(pipe.is_closed());
    /// assert_eq!(pipe.len(), 4); // the buffered bytes are still readable
    /// # Ok::<(), pipe_core::WriteError>(())
    /// ```
    pub fn is_closed(&self) -> bool {
        !matches!(self.state, PipeState::Open)
    }

    /// The state of the write side.
    ///
    /// ```
    /// use pipe_core::{Pipe, PipeState};
    /// let mut pipe = Pipe::new();
    /// pipe.eof_with_error(std::io::Error::other("connection reset"))?;
    /// let PipeState::Failed(error) = pipe.state() else { panic!("closed with an error") };
    /// assert_eq!(error.to_string(), "connection reset");
    /// # Ok::<(), pipe_core::WriteError>(())
    /// ```
    pub fn state(&self) -> &PipeState {
        &self.state
    }

    /// The maximum frame size in force.
    ///
    /// ```
    /// use pipe_core::{Pipe, PipeOptions};
    /// assert_eq!(Pipe::new().max_frame(), pipe_core::DEFAULT_MAX_FRAME);
    /// assert_eq!(Pipe::with_options(PipeOptions::new().max_frame(80)).max_frame(), 80);
    /// ```
    pub fn max_frame(&self) -> usize {
        self.max_frame
    }

    /// Changes the maximum frame size ([`UNLIMITED`] for none). Search progress is kept.
    ///
    /// ```
    /// use pipe_core::{Pipe, ReadError};
    /// let mut pipe = Pipe::new();
    /// pipe.write_all(b"abcdef")?;
    /// pipe.set_max_frame(4);
    /// assert_eq!(pipe.max_frame(), 4);
    /// assert!(matches!(pipe.read_line(false), Err(ReadError::LimitExceeded { limit: 4, .. })));
    /// # Ok::<(), pipe_core::WriteError>(())
    /// ```
    pub fn set_max_frame(&mut self, max_frame: usize) {
        self.max_frame = max_frame;
    }

    /// The pool the pipe takes chunks from.
    ///
    /// ```
    /// use pipe_core::{Pipe, PipeOptions, Pool, PoolConfig};
    /// let pool = Pool::new(PoolConfig::new().max_chunk(8192))?;
    /// let pipe = Pipe::with_options(PipeOptions::new().pool(pool));
    /// assert_eq!(pipe.pool().max_chunk(), 8192);
    /// # Ok::<(), pipe_core::PoolError>(())
    /// ```
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The chunk size the next `get_buffer(0)` would take if it needs a fresh chunk.
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// let before = pipe.adaptive_chunk_size();
    /// let n = pipe.get_buffer(0)?.len(); // a whole fresh chunk
    /// pipe.buffer_written(n)?; // filled to the end: the next chunk is twice as big
    /// assert_eq!(pipe.adaptive_chunk_size(), 2 * before);
    /// # Ok::<(), pipe_core::WriteError>(())
    /// ```
    pub fn adaptive_chunk_size(&self) -> usize {
        self.sizer.size
    }

    /// Bytes examined by searches since the pipe was made. Each byte of a frame is examined
    /// about once however many pieces it arrives in; this counter lets tests and benchmarks
    /// check that.
    ///
    /// ```
    /// use pipe_core::{Pipe, ReadError};
    /// let mut pipe = Pipe::new();
    /// pipe.write_all(b"a line in ")?;
    /// assert!(matches!(pipe.read_line(false), Err(ReadError::NeedMore)));
    /// pipe.write_all(b"two pieces\n")?;
    /// assert_eq!(pipe.read_line(false)?, "a line in two pieces");
    /// // 21 bytes: the second search did not go over the first 10 again (that would be 31).
    /// assert!(pipe.scanned_bytes() <= 21);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn scanned_bytes(&self) -> u64 {
        self.scanned
    }

    /// Installs a hook that runs after each commit of new data and when the write side closes
    /// (the original's `on_new_data`). The async adapters wake their readers through it.
    ///
    /// ```
    /// use std::sync::{Arc, atomic::{AtomicUsize, Ordering}};
    /// let seen = Arc::new(AtomicUsize::new(0));
    /// let mut pipe = pipe_core::Pipe::new();
    /// let s = seen.clone();
    /// pipe.set_on_new_data(move |p| s.store(p.len(), Ordering::SeqCst));
    /// pipe.write_all(b"abc")?;
    /// assert_eq!(seen.load(Ordering::SeqCst), 3);
    /// # Ok::<(), pipe_core::WriteError>(())
    /// ```
    pub fn set_on_new_data(&mut self, hook: impl FnMut(&Pipe) + Send + 'static) {
        self.on_new_data = Some(Mutex::new(Box::new(hook)));
    }

    /// Removes the hook set by [`Pipe::set_on_new_data`].
    ///
    /// ```
    /// use std::sync::{Arc, atomic::{AtomicUsize, Ordering}};
    /// let calls = Arc::new(AtomicUsize::new(0));
    /// let mut pipe = pipe_core::Pipe::new();
    /// let c = calls.clone();
    /// pipe.set_on_new_data(move |_| {
    ///     c.fetch_add(1, Ordering::SeqCst);
    /// });
    /// pipe.write_all(b"a")?;
    /// pipe.clear_on_new_data();
    /// pipe.write_all(b"b")?;
    /// assert_eq!(calls.load(Ordering::SeqCst), 1); // only the first write ran it
    /// # Ok::<(), pipe_core::WriteError>(())
    /// ```
    pub fn clear_on_new_data(&mut self) {
        self.on_new_data = None;
    }

    #[inline]
    fn notify(&mut self) {
        if self.on_new_data.is_some() {
            self.run_hook();
        }
    }

    #[cold]
    fn run_hook(&mut self) {
        if let Some(mut hook) = self.on_new_data.take() {
            (hook.get_mut().unwrap_or_else(PoisonError::into_inner))(self);
            self.on_new_data = Some(hook);
        }
    }

    // ----- write side -------------------------------------------------------------------------

    /// Writable space of at least `max(size_hint, 1)` bytes at the end of the buffered data:
    /// the rest of the last chunk if it is big enough, else a fresh pooled chunk. Fill a prefix
    /// of it and call [`buffer_written`](Pipe::buffer_written) with the count.
    ///
    /// `size_hint == 0` lets the pipe choose: it adapts the chunk size to how writers fill
    /// chunks (grows when they fill whole chunks, shrinks after a run of small writes).
    ///
    /// Errors: [`WriteError::Closed`] after `eof`; [`WriteError::SizeHintTooLarge`] above the
    /// pool's largest chunk. Nothing changes on error.
    ///
    /// ```
    /// use pipe_core::{Pipe, WriteError};
    /// let mut pipe = Pipe::new();
    /// let buf = pipe.get_buffer(5)?;
    /// assert!(buf.len() >= 5);
    /// buf[..5].copy_from_slice(b"hello");
    /// pipe.buffer_written(5)?;
    /// assert_eq!(pipe.read_exact(5)?, "hello");
    ///
    /// let max = pipe.pool().max_chunk();
    /// assert!(matches!(pipe.get_buffer(max + 1), Err(WriteError::SizeHintTooLarge { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_buffer(&mut self, size_hint: usize) -> Result<&mut [u8], WriteError> {
        if self.is_closed() {
            return Err(WriteError::Closed);
        }
        let max = self.pool.max_chunk();
        if size_hint > max {
            return Err(WriteError::SizeHintTooLarge {
                hint: size_hint,
                max,
            });
        }
        self.lent = None;
        self.release_spent();
        self.make_room_for_pending();
        let (want, take_at_least) = match size_hint {
            0 => (self.sizer.size, (self.sizer.size / 4).max(1)),
            n => (n.max(self.sizer.size), n),
        };
        if self
            .segments
            .back()
            .is_none_or(|s| s.free() < take_at_least)
        {
            self.push_chunk(want);
        }
        let tail = self.segments.back_mut().expect("a chunk was just ensured");
        let space = tail.free_mut(take_at_least);
        self.lent = Some(Lent {
            len: space.len(),
            adaptive: size_hint == 0,
        });
        Ok(space)
    }

    /// The space the last `get_buffer` handed out, again, read-only (empty when nothing is on
    /// loan).
    pub(crate) fn lent_ref(&self) -> &[u8] {
        match (self.lent, self.segments.back()) {
            (Some(lent), Some(tail)) => &tail.free_ref()[..lent.len],
            _ => &[],
        }
    }

    /// The space the last `get_buffer` handed out, again (empty when nothing is on loan). The
    /// in-process pipe's writer fills it through its lock guard.
    pub(crate) fn lent_mut(&mut self) -> &mut [u8] {
        match (self.lent, self.segments.back_mut()) {
            (Some(lent), Some(tail)) => &mut tail.free_mut(lent.len)[..lent.len],
            _ => &mut [],
        }
    }

    /// Commits `n` bytes written at the start of the space the last
    /// [`get_buffer`](Pipe::get_buffer) handed out. `n == 0` commits nothing and ends the loan.
    ///
    /// Errors, with nothing changed: [`WriteError::Closed`], [`WriteError::NothingLent`] (no
    /// buffer handed out since the last commit), [`WriteError::Overcommit`] (`n` larger than the
    /// space handed out).
    ///
    /// ```
    /// use pipe_core::{Pipe, WriteError};
    /// let mut pipe = Pipe::new();
    /// let buf = pipe.get_buffer(3)?;
    /// let lent = buf.len();
    /// buf[..3].copy_from_slice(b"abc");
    /// assert!(matches!(pipe.buffer_written(lent + 1), Err(WriteError::Overcommit { .. })));
    /// pipe.buffer_written(3)?; // the loan survived the error
    /// assert_eq!(pipe.len(), 3);
    /// assert_eq!(pipe.buffer_written(1), Err(WriteError::NothingLent)); // one commit per loan
    /// # Ok::<(), WriteError>(())
    /// ```
    pub fn buffer_written(&mut self, n: usize) -> Result<(), WriteError> {
        if self.is_closed() {
            return Err(WriteError::Closed);
        }
        let lent = self.lent.ok_or(WriteError::NothingLent)?;
        if n > lent.len {
            return Err(WriteError::Overcommit {
                committed: n,
                lent: lent.len,
            });
        }
        self.lent = None;
        if lent.adaptive {
            self.sizer.on_commit(n, lent.len);
        }
        if n == 0 {
            self.release_spent();
            return Ok(());
        }
        self.segments
            .back_mut()
            .expect("a lent buffer keeps its segment")
            .commit(n);
        self.len += n;
        self.notify();
        Ok(())
    }

    /// Copies `data` in, filling the last chunk and then fresh ones (one write larger than the
    /// pool's largest chunk that finds the last chunk full, or no chunk, goes to memory of its
    /// own, outside the pool, so that it is read as one slice). Ends any loan made by `get_buffer` (its space may be overwritten). Error:
    /// [`WriteError::Closed`].
    ///
    /// ```
    /// use pipe_core::{Pipe, WriteError};
    /// let mut pipe = Pipe::new();
    /// // Into an empty pipe, a write larger than the largest chunk stays in one piece.
    /// let big = vec![7u8; pipe.pool().max_chunk() + 1];
    /// pipe.write_all(&big)?;
    /// assert_eq!(pipe.chunks().count(), 1);
    /// pipe.eof()?;
    /// assert_eq!(pipe.write_all(b"late"), Err(WriteError::Closed));
    /// # Ok::<(), WriteError>(())
    /// ```
    pub fn write_all(&mut self, data: &[u8]) -> Result<(), WriteError> {
        self.write_two(data, &[])
    }

    /// `write_all(a)` then `write_all(b)`, in one step when both fit the last chunk (an
    /// encoder's header and payload).
    #[inline]
    pub(crate) fn write_two(&mut self, a: &[u8], b: &[u8]) -> Result<(), WriteError> {
        // The common case in one step: open, no loan to end, no frame awaited, nothing spent at
        // the front (so `release_spent` has nothing to do), and the bytes fit the last chunk.
        // It pays for encoders, which write a header and a small payload per message: 64 B
        // length-delimited messages, 2,412 instructions a message without it, 2,123 with it
        // (`framed_paths write64-ours` under callgrind, input set-up included; tokio-util 2,039).
        let n = a.len() + b.len();
        // An awaited frame needs nothing here while everything is in one segment with room
        // (a long frame growing in place); a later write that does not fit acts on it.
        if self.lent.is_none()
            && (self.pending.is_none() || self.segments.len() == 1)
            && self.held.is_empty()
            && matches!(self.state, PipeState::Open)
            && self.segments.front().is_some_and(|s| s.len() > 0)
            && let Some(tail) = self.segments.back_mut()
            && tail.free() >= n
        {
            tail.append_two(a, b);
            self.len += n;
            if n > 0 {
                self.notify();
            }
            return Ok(());
        }
        self.write_slow(a)?;
        self.write_slow(b)
    }

    fn write_slow(&mut self, mut data: &[u8]) -> Result<(), WriteError> {
        if self.is_closed() {
            return Err(WriteError::Closed);
        }
        self.lent = None;
        if data.is_empty() {
            return Ok(());
        }
        self.release_spent();
        self.make_room_for_pending();
        self.len += data.len();
        while !data.is_empty() {
            if self.segments.back().is_none_or(|s| s.free() == 0) {
                // More than the largest pooled chunk holds: one segment of its own, so that a
                // frame inside it is later taken without a copy.
                if data.len() > self.pool.max_chunk()
                    && let Some(segment) = Segment::growing(data.len(), [data])
                {
                    self.segments.push_back(segment);
                    break;
                }
                let want = data.len().min(self.sizer.max).max(self.sizer.size);
                self.push_chunk(want);
            }
            let tail = self.segments.back_mut().expect("a chunk was just ensured");
            let n = tail.append(data);
            data = &data[n..];
        }
        self.notify();
        Ok(())
    }

    /// Appends `bytes` as a segment of its own, without copying: an encoder's large payload
    /// goes out from the caller's memory with the headers around it in one vectored write
    /// ([`io_slices`](Pipe::io_slices)). The next write starts a fresh chunk. Ends any loan made
    /// by `get_buffer`. Error: [`WriteError::Closed`].
    ///
    /// ```
    /// use pipe_core::{Bytes, Pipe};
    /// let mut pipe = Pipe::new();
    /// pipe.write_all(b"$5\r\n")?;
    /// pipe.append_bytes(Bytes::from_static(b"hello"))?;
    /// pipe.write_all(b"\r\n")?;
    /// assert_eq!(pipe.chunks().count(), 3); // header, payload, trailer: no copy of the payload
    /// assert_eq!(pipe.read_exact(11)?, "$5\r\nhello\r\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn append_bytes(&mut self, bytes: Bytes) -> Result<(), WriteError> {
        if self.is_closed() {
            return Err(WriteError::Closed);
        }
        self.lent = None;
        if bytes.is_empty() {
            return Ok(());
        }
        self.release_spent();
        // An empty last segment (a loan abandoned) is given back first.
        if self.segments.back().is_some_and(|s| s.len() == 0) {
            self.segments.pop_back();
        }
        self.len += bytes.len();
        self.segments.push_back(Segment::Sealed(bytes));
        self.notify();
        Ok(())
    }

    /// Closes the write side cleanly: readers get the rest of the data, then
    /// [`ReadError::End`](crate::ReadError::End) (or `Partial` inside a frame). A buffer lent by
    /// `get_buffer` and not committed is dropped. Error: [`WriteError::Closed`] if already
    /// closed (the first close stands).
    ///
    /// ```
    /// use pipe_core::{Pipe, ReadError, WriteError};
    /// let mut pipe = Pipe::new();
    /// pipe.write_all(b"bye")?;
    /// pipe.eof()?;
    /// assert_eq!(pipe.eof(), Err(WriteError::Closed)); // the first close stands
    /// assert_eq!(pipe.read_exact(3)?, "bye");
    /// assert!(matches!(pipe.read_exact(1), Err(ReadError::End)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn eof(&mut self) -> Result<(), WriteError> {
        self.close(PipeState::Closed)
    }

    /// Closes the write side with an error: readers get the buffered data, then this error on
    /// every read that the buffered data cannot serve. Error: [`WriteError::Closed`] if already
    /// closed (the first close stands).
    ///
    /// ```
    /// use pipe_core::{Pipe, ReadError};
    /// let mut pipe = Pipe::new();
    /// pipe.write_all(b"par")?;
    /// pipe.eof_with_error(std::io::Error::other("connection reset"))?;
    /// assert_eq!(pipe.read_exact(2)?, "pa"); // the buffered bytes first
    /// assert!(matches!(pipe.read_exact(2), Err(ReadError::Stream(_))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn eof_with_error(&mut self, error: io::Error) -> Result<(), WriteError> {
        self.close(PipeState::Failed(StreamError::new(error)))
    }

    fn close(&mut self, state: PipeState) -> Result<(), WriteError> {
        if self.is_closed() {
            return Err(WriteError::Closed);
        }
        self.state = state;
        self.lent = None;
        self.spare = None;
        self.release_spent();
        self.notify();
        Ok(())
    }

    /// Says that the reader waits for a frame of `n` bytes at the front (a length-prefixed
    /// body, say), so that the next write ([`get_buffer`](Pipe::get_buffer) or
    /// [`write_all`](Pipe::write_all)) makes room for all of it in one chunk: the buffered part
    /// is moved once into a chunk big enough, and the whole frame is then taken as one slice
    /// instead of being copied together from two chunks. Like `BytesMut::reserve` in a
    /// tokio-util decoder. [`read_exact`](Pipe::read_exact) and
    /// [`read_exact_ref`](Pipe::read_exact_ref) say it themselves when they return `NeedMore`,
    /// as does `LengthDelimitedCodec`; a decoder of its own that learns a length from a header
    /// calls it. A hint only: it lapses as soon as anything is consumed, and a frame already
    /// fitting needs nothing. A frame larger than the pool's largest chunk gets memory of its
    /// own (outside the pool) that grows with the bytes that arrive, to at most twice what is
    /// buffered at a time, so a length a peer claims costs memory only as its bytes come.
    ///
    /// ```
    /// use pipe_core::{Pipe, ReadError};
    ///
    /// let mut pipe = Pipe::new();
    /// pipe.write_all(&[7u8; 100])?;
    /// // 100 bytes of a 20,000-byte body are here; the rest will come.
    /// assert!(matches!(pipe.read_exact(20_000), Err(ReadError::NeedMore))); // reserves itself
    /// pipe.reserve_frame(20_000); // what a decoder of its own would call
    /// pipe.write_all(&[7u8; 19_900])?;
    /// assert_eq!(pipe.chunks().count(), 1); // one chunk: the frame is taken without a copy
    /// assert_eq!(pipe.read_exact(20_000)?.len(), 20_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reserve_frame(&mut self, n: usize) {
        self.pending = Some((self.consumed_total(), n));
    }

    /// The capacity of the pool's largest chunk.
    pub(crate) fn pool_max_chunk(&self) -> usize {
        self.pool.max_chunk()
    }

    /// Acts on [`reserve_frame`](Pipe::reserve_frame) before a write: if the awaited frame
    /// would not fit where the next bytes go, moves the buffered bytes (all part of the frame)
    /// into one fresh chunk with room for the whole frame, or, above the pool's largest chunk,
    /// into growing memory of their own.
    fn make_room_for_pending(&mut self) {
        let Some((at, n)) = self.pending.take() else {
            return;
        };
        if at != self.consumed_total() || n <= self.len {
            return;
        }
        let missing = n - self.len;
        let fits = match self.segments.len() {
            0 => false,
            1 => self.segments[0].free() >= missing,
            // An empty last segment (a loan abandoned) after the data: the data is in the others.
            _ => false,
        };
        if fits {
            return;
        }
        if n > self.pool.max_chunk() {
            // Memory of its own that grows: at most twice what is buffered (or the largest
            // chunk) at a time, so a length claimed by a peer costs memory only as bytes arrive.
            let room = missing.min(self.len.max(self.pool.max_chunk()));
            // Grown in place when the frame already lies in growing memory, the bytes that
            // came after it into a chunk (at most a chunk's worth) moved in.
            let later = self.len - self.segments.front().map_or(0, Segment::len);
            if let Some(first) = self.segments.front_mut()
                && first.grow(room + later)
            {
                while let Some(next) = self.segments.remove_second() {
                    self.segments[0].append(next.data());
                }
                return;
            }
            let data = self.segments.iter().map(Segment::data);
            if let Some(segment) = Segment::growing(self.len + room, data) {
                self.segments.clear();
                self.segments.push_back(segment);
            }
            return;
        }
        let size = n.max(self.sizer.size);
        let mut chunk = self
            .pool
            .acquire(size)
            .expect("sizes up to the pool's largest class always allocate");
        let mut at = 0;
        for segment in &self.segments {
            let data = segment.data();
            chunk[at..at + data.len()].copy_from_slice(data);
            at += data.len();
        }
        let mut segment = Segment::new(chunk);
        segment.commit(at);
        self.segments.clear();
        self.segments.push_back(segment);
    }

    /// The chunk for a transport fill into an empty pipe, taken out of it: the spare if it is
    /// big enough, else one from the pool. `None` unless the pipe is open and holds nothing (no
    /// bytes, no loan, no frame awaited): the fill then goes through `get_buffer`. The fill ends
    /// with [`push_filled`](Pipe::push_filled) if bytes came, or drops the chunk (back to the
    /// pool, so an idle stream holds none). It pays on a server with one request in flight per
    /// connection, whose every other poll finds nothing: no segment is made and dropped for an
    /// empty read (`read_paths stream-requests` under callgrind: 1,639 instructions a request
    /// through `get_buffer`, 1,311 this way).
    #[inline]
    pub(crate) fn take_fill_chunk(&mut self) -> Option<Chunk> {
        if !matches!(self.state, PipeState::Open) || self.lent.is_some() || self.pending.is_some() {
            return None;
        }
        self.release_spent();
        if !self.segments.is_empty() {
            return None;
        }
        let size = self.sizer.size;
        Some(match self.spare.take() {
            Some(spare) if spare.capacity() >= size => spare,
            _ => self
                .pool
                .acquire(size)
                .expect("sizes up to the pool's largest class always allocate"),
        })
    }

    /// Ends a fill from [`take_fill_chunk`](Pipe::take_fill_chunk): `n` bytes arrived at the
    /// start of `chunk` (`n` may be 0 for a read that found nothing). Counted as a
    /// `get_buffer(0)` loan of the whole chunk would be for the adaptive size.
    #[inline]
    pub(crate) fn push_filled(&mut self, chunk: Chunk, n: usize) {
        self.sizer.on_commit(n, chunk.capacity());
        if n == 0 {
            return;
        }
        let mut segment = Segment::new(chunk);
        segment.commit(n);
        self.segments.push_back(segment);
        self.len += n;
        self.notify();
    }

    fn push_chunk(&mut self, size: usize) {
        // An empty last segment (a loan abandoned for a bigger one) is given back first.
        if self.segments.back().is_some_and(|s| s.len() == 0) {
            self.segments.pop_back();
        }
        let chunk = match self.spare.take() {
            Some(spare) if spare.capacity() >= size => spare,
            _ => self
                .pool
                .acquire(size)
                .expect("sizes up to the pool's largest class always allocate"),
        };
        self.segments.push_back(Segment::new(chunk));
    }

    // ----- consumption, shared by every read ----------------------------------------------------

    /// Drops segments that hold no unread bytes (spent by a lent read or a commit of zero), except
    /// a last segment with a buffer on loan, and lets go of a lent sealed slice. Every `&mut`
    /// call starts with it, so memory goes back to the pool as soon as nothing borrows it.
    #[inline]
    pub(crate) fn release_spent(&mut self) {
        // An empty `held` never references a chunk: `take_lent` lends no empty frames.
        if !self.held.is_empty() {
            self.held = Bytes::new();
        }
        self.pop_spent();
    }

    /// Drops leading segments without unread bytes, except a last one with a buffer on loan.
    #[inline]
    pub(crate) fn pop_spent(&mut self) {
        // Inline only the check: most calls find the front holding unread bytes.
        if self.segments.front().is_some_and(|front| front.len() == 0) {
            self.pop_spent_now();
        }
    }

    fn pop_spent_now(&mut self) {
        while let Some(front) = self.segments.front() {
            if front.len() > 0 || (self.segments.len() == 1 && self.lent.is_some()) {
                break;
            }
            // Kept as the spare only if there is none yet (else back to the pool).
            if let Some(Segment::Open { chunk, .. }) = self.segments.pop_front()
                && self.keep_spare
                && self.spare.is_none()
            {
                self.spare = Some(chunk);
            }
        }
    }

    /// Whether a read into `n` bytes of the caller's memory may skip the pipe and go straight
    /// from the transport there: nothing is buffered or lent to a writer, the stream goes on,
    /// and `n` is at least the configured chunk size ([`PipeOptions::chunk_size`] rounded up to
    /// a pool class: a fill into a chunk would save transport reads only by copying every byte
    /// once more).
    pub(crate) fn reads_past(&self, n: usize) -> bool {
        self.len == 0
            && matches!(self.state, PipeState::Open)
            && self.lent.is_none()
            && n >= self.sizer.base
    }

    /// Before a read that skips the pipe: the memory of a lent frame goes (as at any read), and
    /// a [`reserve_frame`](Pipe::reserve_frame) hint lapses (the frame it awaited goes to the
    /// caller's memory).
    pub(crate) fn start_read_past(&mut self) {
        self.fed_by_transport();
        self.release_spent();
        self.pending = None;
    }

    /// Marks the pipe as fed by a transport: it keeps a spare chunk between fills (see
    /// `spare`).
    #[inline]
    pub(crate) fn fed_by_transport(&mut self) {
        self.keep_spare = true;
    }

    /// Gives back the spare chunk (a fill found nothing: the stream may stay idle).
    #[inline]
    pub(crate) fn release_spare(&mut self) {
        self.spare = None;
    }

    /// Bytes consumed since the pipe was made (a framed reader tells progress by it).
    pub(crate) fn consumed_total(&self) -> u64 {
        self.memo.cursor()
    }

    /// The bookkeeping of every consumption, in one place: `n` bytes (`n <= len`) left the
    /// front (the caller advanced the segments), so `len` and the search memo follow. Every read
    /// goes through it, via [`consume`](Pipe::consume), [`take`](Pipe::take),
    /// [`take_lent`](Pipe::take_lent) or a fast path that advanced the first segment itself.
    #[inline]
    pub(crate) fn count_consumed(&mut self, n: usize) {
        self.len -= n;
        self.memo.consumed(n);
    }

    /// Drops the first `n` unread bytes (`n <= len`), giving spent chunks back at once.
    #[inline]
    pub(crate) fn consume(&mut self, mut n: usize) {
        self.count_consumed(n);
        while n > 0 {
            let front = self.segments.front_mut().expect("n <= len");
            let k = front.len().min(n);
            front.consume(k);
            n -= k;
            if n > 0 {
                // Spent, and not the last segment since bytes remain after it.
                self.segments.pop_front();
            }
        }
        self.pop_spent();
    }

    /// Whether segment `index` may be sealed and sliced: it is not the last one while a writer
    /// holds a buffer in it.
    pub(crate) fn segment_shareable(&self, index: usize) -> bool {
        index + 1 < self.segments.len() || self.lent.is_none()
    }

    /// Whether the first segment may be sealed and sliced (it is not the one a writer holds).
    pub(crate) fn head_shareable(&self) -> bool {
        self.segments.len() > 1 || self.lent.is_none()
    }

    /// The first `n` unread bytes as `Bytes` (`n <= len`), without consuming them: a slice of the
    /// chunk when they lie in one chunk a writer no longer holds, else a copy. Callers have run
    /// `release_spent`, so the first segment holds the first byte.
    pub(crate) fn copy_or_share(&mut self, n: usize) -> Bytes {
        if n == 0 {
            return Bytes::new();
        }
        let shareable = self.head_shareable();
        let head = self.segments.front_mut().expect("n <= len");
        if head.len() >= n {
            return if shareable {
                head.share(n)
            } else {
                Bytes::copy_from_slice(&head.data()[..n])
            };
        }
        let mut out = BytesMut::with_capacity(n);
        for part in self.front_parts(n) {
            out.extend_from_slice(part);
        }
        out.freeze()
    }

    /// The first `n` unread bytes (`n <= len`) as the slices of the chunks they lie in.
    fn front_parts(&self, n: usize) -> impl Iterator<Item = &[u8]> {
        let mut left = n;
        self.segments.iter().map_while(move |seg| {
            let data = seg.data();
            let k = data.len().min(left);
            left -= k;
            (k > 0 || data.is_empty()).then(|| &data[..k])
        })
    }

    /// Takes the first `n` unread bytes (`n <= len`) as `Bytes`.
    #[inline]
    pub(crate) fn take(&mut self, n: usize) -> Bytes {
        let shareable = self.head_shareable();
        if n > 0
            && shareable
            && let Some(head) = self.segments.front_mut()
            && head.len() >= n
        {
            let out = head.split_shared(n);
            self.count_consumed(n);
            self.pop_spent();
            return out;
        }
        let out = self.copy_or_share(n);
        self.consume(n);
        out
    }

    /// Takes the first `n` unread bytes (`n <= len`) as a slice lent until the next call: chunk
    /// memory when they lie in one chunk, else a copy in the scratch buffer. Callers have run
    /// `release_spent`.
    #[inline]
    pub(crate) fn take_lent(&mut self, n: usize) -> &[u8] {
        if n > 0 && self.segments.front().is_some_and(|s| s.len() >= n) {
            self.count_consumed(n);
            let head = self.segments.front_mut().expect("checked above");
            return head.lend(n, &mut self.held);
        }
        self.take_lent_across(n)
    }

    /// [`take_lent`](Pipe::take_lent) of bytes across segments (copied into the scratch
    /// buffer), or of none: out of line, so that the one-segment case inlines.
    #[inline(never)]
    fn take_lent_across(&mut self, n: usize) -> &[u8] {
        if n == 0 {
            return &[];
        }
        self.fill_scratch(n);
        self.consume(n);
        &self.scratch
    }

    /// The first `n` unread bytes (`0 < n <= len`) as a slice lent until the next call, without
    /// consuming them: chunk memory when they lie in the first chunk, else a copy in the scratch
    /// buffer. Callers have run `release_spent`.
    pub(crate) fn front_lent(&mut self, n: usize) -> &[u8] {
        if self.segments.front().is_some_and(|s| s.len() >= n) {
            return &self.segments.front().expect("checked above").data()[..n];
        }
        self.fill_scratch(n);
        &self.scratch
    }

    /// Copies the first `n` unread bytes (`n <= len`) into the scratch buffer.
    fn fill_scratch(&mut self, n: usize) {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        for part in self.front_parts(n) {
            scratch.extend_from_slice(part);
        }
        self.scratch = scratch;
    }
}
