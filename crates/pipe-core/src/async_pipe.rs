//! The in-process async pipe: a [`PipeWriter`] and a [`PipeReader`] that two tasks own, with
//! backpressure, completion both ways and no runtime of its own (the halves keep their tasks'
//! wakers). The reader has the async read methods of the socket streams; the writer fills
//! pooled chunks in place.
//!
//! One [`Pipe`] sits behind a mutex shared by the halves. Every call holds the lock only for
//! its own pipe operation (a search, a commit, a copy), never across an `.await`. A reader
//! that finds nothing parks, or, while its waits are short, first stays scheduled for a
//! moment ([`AsyncPipeOptions::max_spin`]).
//!
//! ```
//! let (mut writer, reader) = pipe_core::async_pipe::pipe();
//! writer.write_now(b"one\ntwo\n")?;
//! assert_eq!(writer.unread(), 8);
//! assert_eq!(reader.buffered(), 8); // the same pipe, seen from both halves
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{self, IoSlice};
use std::ops::{Deref, DerefMut};
use std::sync::PoisonError;
// Under `--cfg loom` the shared state uses loom's lock, so `tests/loom.rs` can explore every
// interleaving of the two halves (see the README, "Model-checked").
#[cfg(loom)]
use loom::sync::{Arc, Mutex, MutexGuard};
#[cfg(not(loom))]
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::adapter::{FillFn, PollRead};
use crate::error::WriteError;
use crate::pipe::{Pipe, PipeOptions};
use chunk_pool::Pool;

/// How an in-process pipe is set up: the [`Pipe`]'s options, the backpressure thresholds and
/// how long a waiting reader may stay scheduled, as a builder.
///
/// The writer's [`flush`](PipeWriter::flush) waits once `pause` bytes are unread, until the
/// reader has brought them down to `resume` (hysteresis, so the two do not wake each other
/// for every few bytes). `usize::MAX` for `pause` turns backpressure off (with `resume`
/// below it, as the default 32 KiB is: `pipe_with` refuses a `pause` not above `resume`). A
/// reader that finds nothing parks, or first stays scheduled for up to
/// [`max_spin`](AsyncPipeOptions::max_spin) while its waits are short.
///
/// ```
/// use pipe_core::{AsyncPipeOptions, PipeOptions};
/// let options = AsyncPipeOptions::new().pause(8192).resume(4096).max_frame(1024);
/// let (_writer, reader) = pipe_core::async_pipe::pipe_with(options)?;
/// assert_eq!(reader.buffered(), 0);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct AsyncPipeOptions {
    /// The pipe's pool, maximum frame size and chunk sizes.
    pipe: PipeOptions,
    /// Unread bytes at which a flushing writer waits. Above `resume`.
    pause: usize,
    /// Unread bytes at or under which a waiting writer goes on.
    resume: usize,
    /// The longest a reader that finds nothing stays scheduled before it parks.
    max_spin: Duration,
}

impl Default for AsyncPipeOptions {
    fn default() -> Self {
        AsyncPipeOptions {
            pipe: PipeOptions::default(),
            pause: 64 * 1024,
            resume: 32 * 1024,
            max_spin: MAX_SPIN,
        }
    }
}

impl AsyncPipeOptions {
    /// The defaults: [`PipeOptions::default`], pause at 64 KiB, resume at 32 KiB.
    ///
    /// ```
    /// let (_writer, reader) = pipe_core::async_pipe::pipe_with(pipe_core::AsyncPipeOptions::new())?;
    /// assert_eq!(reader.buffered(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The pipe's options (pool, maximum frame, chunk sizes).
    ///
    /// ```
    /// use pipe_core::{AsyncPipeOptions, PipeOptions};
    /// let options = AsyncPipeOptions::new().pipe(PipeOptions::new().chunk_size(4096));
    /// assert!(pipe_core::async_pipe::pipe_with(options).is_ok());
    /// ```
    #[must_use]
    pub fn pipe(mut self, pipe: PipeOptions) -> Self {
        self.pipe = pipe;
        self
    }

    /// The pool chunks come from (see [`PipeOptions::pool`]).
    ///
    /// ```
    /// use pipe_core::{AsyncPipeOptions, Pool, PoolConfig};
    /// let pool = Pool::new(PoolConfig::new())?;
    /// let (mut writer, _reader) = pipe_core::async_pipe::pipe_with(AsyncPipeOptions::new().pool(pool.clone()))?;
    /// writer.write_now(b"x")?;
    /// assert_eq!(pool.stats().outstanding_chunks, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn pool(mut self, pool: Pool) -> Self {
        self.pipe = self.pipe.pool(pool);
        self
    }

    /// The maximum frame size (see [`PipeOptions::max_frame`]).
    ///
    /// ```
    /// let options = pipe_core::AsyncPipeOptions::new().max_frame(100);
    /// let (_writer, mut reader) = pipe_core::async_pipe::pipe_with(options)?;
    /// assert_eq!(reader.with_pipe(|pipe| pipe.max_frame()), 100);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[must_use]
    pub fn max_frame(mut self, max_frame: usize) -> Self {
        self.pipe = self.pipe.max_frame(max_frame);
        self
    }

    /// Unread bytes at which a flushing writer waits. Default 64 KiB. Must be above `resume`
    /// (checked by [`pipe_with`]).
    ///
    /// ```
    /// let options = pipe_core::AsyncPipeOptions::new().pause(10).resume(10);
    /// assert!(pipe_core::async_pipe::pipe_with(options).is_err());
    /// ```
    #[must_use]
    pub fn pause(mut self, pause: usize) -> Self {
        self.pause = pause;
        self
    }

    /// Unread bytes at or under which a waiting writer goes on. Default 32 KiB.
    ///
    /// ```
    /// let options = pipe_core::AsyncPipeOptions::new().pause(1000).resume(100);
    /// assert!(pipe_core::async_pipe::pipe_with(options).is_ok());
    /// ```
    #[must_use]
    pub fn resume(mut self, resume: usize) -> Self {
        self.resume = resume;
        self
    }

    /// The longest a reader that finds nothing stays scheduled before it parks. Default 50 µs;
    /// `Duration::ZERO` makes it park at once, every time.
    ///
    /// A parked reader costs the writer a wake across threads and itself the time its thread
    /// takes to run again, tens of microseconds on a busy machine: with a writer committing
    /// every few microseconds on another thread, the two otherwise end up taking turns, once
    /// per backpressure window. So a reader that finds nothing may first stay scheduled: its
    /// task wakes itself and returns `Pending`, so the runtime polls it again after its other
    /// ready tasks; its waker is not stored (one an earlier park left is dropped), so the
    /// writer's commits wake nobody. It does so only while its waits are short, that is, when
    /// the bytes that ended the reader's last wait arrived within `max_spin` of its start (a
    /// wait lasts until the reader consumes bytes, or a read ends after bytes arrived), and
    /// for at most `max_spin` a wait; otherwise it parks at once. A pipe that goes idle costs
    /// one such spell, then parks; a reader whose waits last `max_spin` or longer never spins
    /// (an idle reader fed one 64 B line a millisecond, even in two writes: no spin at all,
    /// `inproc_parks` example). A spell that runs out (no bytes within `max_spin`) makes the
    /// next waits park at once, 1, 2, 4... up to 64 of them, halved by each spell that gets
    /// its bytes: on a machine whose cores are all busy, where a spinning reader takes the
    /// core its writer needs, it ends up parking nearly always. The price is CPU while the
    /// waits are short: the reader's thread stays busy; a large `max_spin` makes the spell
    /// after a burst that long. `Duration::MAX` puts no bound on a spell: a reader whose waits
    /// are short stays scheduled, using its thread, until bytes come.
    ///
    /// ```
    /// use std::time::Duration;
    /// let options = pipe_core::AsyncPipeOptions::new().max_spin(Duration::ZERO);
    /// let (_writer, reader) = pipe_core::async_pipe::pipe_with(options)?;
    /// assert_eq!(reader.buffered(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[must_use]
    pub fn max_spin(mut self, max_spin: Duration) -> Self {
        self.max_spin = max_spin;
        self
    }
}

/// An in-process pipe with [`AsyncPipeOptions::default`]: 64 KiB pause, 32 KiB resume, 64 KiB
/// maximum frame, the global pool.
///
/// ```
/// # futures_executor_free::run(async {
/// let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
/// {
///     // Pooled space, filled in place; it holds the pipe's lock until committed.
///     let mut buf = writer.get_buffer(5)?;
///     buf[..5].copy_from_slice(b"hi\nyo");
///     buf.commit(5)?;
/// }
/// writer.flush().await?;
/// writer.complete();
/// // The adapters' readers have this as a method: `reader.read_line(false)`.
/// assert_eq!(pipe_core::adapter::read_line(&mut reader, false).await?.unwrap(), "hi");
/// // "yo" without its "\n": partial
/// assert!(pipe_core::adapter::read_line(&mut reader, false).await.is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// # mod futures_executor_free {
/// #     pub fn run<F: std::future::Future>(f: F) -> F::Output {
/// #         let mut f = std::pin::pin!(f);
/// #         let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #         loop {
/// #             if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; }
/// #         }
/// #     }
/// # }
/// ```
pub fn pipe() -> (PipeWriter, PipeReader) {
    pipe_with(AsyncPipeOptions::default()).expect("the default thresholds are valid")
}

/// An in-process pipe with the given options. Error (`InvalidInput`): `pause` is 0 or not
/// above `resume`.
///
/// ```
/// use pipe_core::AsyncPipeOptions;
/// use pipe_core::async_pipe::pipe_with;
/// let (mut writer, _reader) = pipe_with(AsyncPipeOptions::new().pause(16).resume(8))?;
/// writer.write_now(b"abc")?;
/// assert_eq!(writer.unread(), 3);
///
/// let refused = pipe_with(AsyncPipeOptions::new().pause(8).resume(16)).unwrap_err();
/// assert_eq!(refused.kind(), std::io::ErrorKind::InvalidInput);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn pipe_with(options: AsyncPipeOptions) -> io::Result<(PipeWriter, PipeReader)> {
    let AsyncPipeOptions {
        pipe,
        pause,
        resume,
        max_spin,
    } = options;
    if pause == 0 || resume >= pause {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "backpressure thresholds: pause ({pause}) must be above resume ({resume}) and 0"
            ),
        ));
    }
    let shared = Arc::new(Mutex::new(Shared {
        pipe: Pipe::with_options(pipe),
        pause,
        resume,
        paused: false,
        grant: 0,
        reader_gone: false,
        seen: 0,
        spin: Spin::new(max_spin),
        reader_waker: None,
        writer_waker: None,
    }));
    Ok((
        PipeWriter {
            shared: shared.clone(),
        },
        PipeReader { shared },
    ))
}

/// The default of [`AsyncPipeOptions::max_spin`].
#[cfg(not(loom))]
const MAX_SPIN: Duration = Duration::from_micros(50);
/// Under loom any nonzero value: a wait there stays scheduled for one poll, then parks (time
/// is not part of the model, so the spin is counted, not timed).
#[cfg(loom)]
const MAX_SPIN: Duration = Duration::from_micros(1);

/// The reader's choice, when it finds nothing to read, between parking and staying scheduled
/// (see [`AsyncPipeOptions::max_spin`]). A wait runs from a read finding nothing until the
/// reader goes on: it consumes bytes, or a read ends after bytes arrived. It lasted until the
/// bytes that ended it arrived: the writer's last commit while the reader was parked, else the
/// poll that found them. The next wait stays scheduled, for at most `max`, only if the last
/// one lasted less than `max` and no cooldown is running: a reader whose waits last longer
/// never spins, and a pipe that goes idle costs one spell of at most `max`.
///
/// A spell that runs out (the bytes did not come within `max`) starts a cooldown: that many
/// of the following waits park at once. It doubles with each spell that runs out, up to
/// [`MAX_COOLDOWN`], and halves with each spell that finds the bytes. On a busy machine, where
/// a spinning reader takes the core its writer needs, spells keep running out and the reader
/// ends up parking nearly always (measured: with a busy loop on one of two cores, spinning
/// without it ran at 0.77-0.81x of parking, with it 0.99x).
#[derive(Debug)]
struct Spin {
    /// How long a wait may stay scheduled; zero: always park at once.
    max: Duration,
    /// Whether the last wait was short (lasted less than `max`).
    on: bool,
    /// Waits still to park at once after a spell that ran out.
    cooldown: u32,
    /// The cooldown the next spell that runs out starts (0 until one does).
    penalty: u32,
    /// The current wait.
    wait: Option<Wait>,
    /// Whether the current wait parked the reader (its waker is registered).
    parked: bool,
    /// When the writer last committed while the reader was parked, in the current wait.
    woken: Option<Instant>,
}

/// The longest cooldown after spells that ran out, in waits.
const MAX_COOLDOWN: u32 = 64;

/// When a wait began, the bytes consumed and written in all then, and whether it stayed
/// scheduled (spun) at least once.
#[derive(Debug)]
struct Wait {
    at: Instant,
    consumed: u64,
    written: u64,
    spun: bool,
}

impl Spin {
    fn new(max: Duration) -> Spin {
        Spin {
            max,
            on: false,
            cooldown: 0,
            penalty: 0,
            wait: None,
            parked: false,
            woken: None,
        }
    }

    /// At a read that finds nothing, `consumed` and `written` bytes in all: true to stay
    /// scheduled, false to park.
    fn stay(&mut self, consumed: u64, written: u64) -> bool {
        if self.max.is_zero() {
            return false;
        }
        let now = Instant::now();
        let fresh = self.wait.is_none();
        let wait = self.wait.get_or_insert(Wait {
            at: now,
            consumed,
            written,
            spun: false,
        });
        // Under loom: one poll a wait, counted, not timed.
        let stay = if cfg!(loom) {
            fresh
        } else {
            self.on && self.cooldown == 0 && now.duration_since(wait.at) < self.max
        };
        if stay {
            wait.spun = true;
            return true;
        }
        self.parked = true;
        false
    }

    /// The writer committed bytes, paused or completed.
    fn wrote(&mut self) {
        if self.parked {
            self.woken = Some(Instant::now());
        }
    }

    /// The reader goes on, `consumed` and `written` bytes in all: the wait is over if it
    /// consumed bytes since it began, or, with `arrivals`, if bytes arrived.
    #[inline]
    fn went_on(&mut self, consumed: u64, written: u64, arrivals: bool) {
        if let Some(wait) = &self.wait {
            if consumed == wait.consumed && !(arrivals && written != wait.written) {
                return;
            }
            let arrived = self.woken.unwrap_or_else(Instant::now);
            self.on = arrived.saturating_duration_since(wait.at) < self.max;
            if wait.spun && self.parked {
                // The spell ran out.
                self.penalty = (self.penalty * 2).clamp(1, MAX_COOLDOWN);
                self.cooldown = self.penalty;
            } else if wait.spun {
                self.penalty /= 2;
            } else {
                self.cooldown = self.cooldown.saturating_sub(1);
            }
            self.wait = None;
        }
        self.parked = false;
        self.woken = None;
    }
}

/// What the halves share.
struct Shared {
    /// The bytes written and not yet read. Its write-side state is the writer's completion.
    pipe: Pipe,
    /// Unread bytes at which the writer pauses.
    pause: usize,
    /// Unread bytes at or under which a paused writer goes on. `resume < pause`.
    resume: usize,
    /// The writer reached `pause` at a flush and has not yet seen the pipe at `resume` or under.
    paused: bool,
    /// While the reader waits for more bytes to finish a frame: the size the pipe may grow to
    /// for that frame (at most its maximum frame plus separator). A paused writer goes on while
    /// the pipe is under it, so a frame larger than `pause` cannot deadlock the two. 0 when the
    /// reader is not waiting: every call of the reader starts with it at 0, and a read future
    /// dropped at `Pending` sets it back to 0 (`cancel_wait`); one through `AsyncRead` or a
    /// `Lines` stream's `next()`, which cannot say so, leaves it until the reader's next call.
    grant: usize,
    /// The reader completed or was dropped; its bytes were given back to the pool.
    reader_gone: bool,
    /// Unread bytes when the reader last looked (the end of its last call). Only the writer
    /// changes the pipe between the reader's calls, so bytes past it arrived since: what
    /// `fill_more` reports, even if they came before it was called.
    seen: usize,
    /// Whether a reader that finds nothing parks or stays scheduled for a while.
    spin: Spin,
    /// The reader's task, waiting for bytes or the end.
    reader_waker: Option<Waker>,
    /// The writer's task, waiting for the reader to catch up (or to go).
    writer_waker: Option<Waker>,
}

/// The shared state, locked, with the tasks to wake once the lock is released (a task woken
/// under the lock would find it taken).
struct Locked<'a> {
    /// `Some` until the lock is released in `drop`.
    guard: Option<MutexGuard<'a, Shared>>,
    /// Wakers taken out of `Shared`, woken after the lock is released.
    wake: [Option<Waker>; 2],
}

impl Deref for Locked<'_> {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        self.guard.as_ref().expect("held until drop")
    }
}

impl DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut Shared {
        self.guard.as_mut().expect("held until drop")
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        for waker in self.wake.iter_mut().filter_map(Option::take) {
            waker.wake();
        }
    }
}

impl Locked<'_> {
    // A waker already taken out for waking is kept: a second call finds the slot in `Shared`
    // empty and must not overwrite the one it holds (that lost wake-up left both halves asleep:
    // a reader going pending took the writer's waker, then its "room made" check found the slot
    // empty and replaced the waker with `None`).
    fn wake_reader(&mut self) {
        self.spin.wrote();
        if let Some(waker) = self.reader_waker.take() {
            self.wake[0] = Some(waker);
        }
    }

    fn wake_writer(&mut self) {
        if let Some(waker) = self.writer_waker.take() {
            self.wake[1] = Some(waker);
        }
    }

    /// How many bytes the writer may add now, after [`poll_writer`](Locked::poll_writer) let it
    /// go on: up to `pause` unread, or, while paused, up to the waiting reader's grant.
    fn room(&self) -> usize {
        let len = self.pipe.len();
        let cap = if self.paused { self.grant } else { self.pause };
        cap.saturating_sub(len).max(1)
    }

    /// The writer's backpressure check: `Ready(Ok)` to go on, `Pending` to wait for the reader,
    /// an error if the reader is gone.
    fn poll_writer(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.reader_gone {
            return Poll::Ready(Err(WriteError::ReaderGone.into()));
        }
        let len = self.pipe.len();
        if len >= self.pause {
            self.paused = true;
        } else if len <= self.resume {
            self.paused = false;
        }
        if self.paused && len >= self.grant {
            set_waker(&mut self.writer_waker, cx);
            // The reader may not have been woken since these bytes arrived.
            self.wake_reader();
            return Poll::Pending;
        }
        Poll::Ready(Ok(()))
    }
}

/// The bytes consumed and written through `pipe` in all.
fn totals(pipe: &Pipe) -> (u64, u64) {
    let consumed = pipe.consumed_total();
    (consumed, consumed + pipe.len() as u64)
}

fn set_waker(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(waker) if waker.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}

/// Locks the shared state; a panic elsewhere while it was held (in a `read_lines_with` callback)
/// does not make the pipe unusable: every pipe call leaves it consistent before running user code.
fn lock(shared: &Mutex<Shared>) -> Locked<'_> {
    Locked {
        guard: Some(shared.lock().unwrap_or_else(PoisonError::into_inner)),
        wake: [None, None],
    }
}

/// The writing half of an in-process pipe: fill pooled space in place
/// ([`get_buffer`](PipeWriter::get_buffer) + [`buffer_written`](PipeWriter::buffer_written)),
/// then [`flush`](PipeWriter::flush), which is where backpressure waits; finally
/// [`complete`](PipeWriter::complete). Dropping the writer completes it cleanly.
///
/// ```
/// # futures_executor_free::run(async {
/// let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
/// let mut buf = writer.get_buffer(6)?;
/// buf[..6].copy_from_slice(b"hello\n");
/// drop(buf); // releases the lock; the space stays lent until committed
/// writer.buffer_written(6)?;
/// writer.flush().await?;
/// writer.complete();
/// assert_eq!(pipe_core::adapter::read_to_end(&mut reader).await?, "hello\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// # mod futures_executor_free {
/// #     pub fn run<F: std::future::Future>(f: F) -> F::Output {
/// #         let mut f = std::pin::pin!(f);
/// #         let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #         loop {
/// #             if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; }
/// #         }
/// #     }
/// # }
/// ```
pub struct PipeWriter {
    shared: Arc<Mutex<Shared>>,
}

/// Writable pooled space lent by [`PipeWriter::get_buffer`]: it derefs to `&mut [u8]`. Fill a
/// prefix, then commit the count: with [`commit`](PipeBuffer::commit), or by dropping it and
/// calling [`PipeWriter::buffer_written`]. It holds the pipe's lock, so fill it without awaiting
/// (it is not `Send`, so a spawned task cannot hold it across an `.await`).
///
/// ```
/// let (mut writer, reader) = pipe_core::async_pipe::pipe();
/// let mut buf = writer.get_buffer(4)?;
/// assert!(buf.len() >= 4); // derefs to the lent space
/// buf[..4].copy_from_slice(b"ping");
/// buf.commit(4)?;
/// assert_eq!(reader.buffered(), 4);
/// # Ok::<(), pipe_core::WriteError>(())
/// ```
pub struct PipeBuffer<'a> {
    guard: Locked<'a>,
}

impl std::fmt::Debug for PipeBuffer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipeBuffer")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl Deref for PipeBuffer<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.guard.pipe.lent_ref()
    }
}

impl DerefMut for PipeBuffer<'_> {
    fn deref_mut(&mut self) -> &mut [u8] {
        self.guard.pipe.lent_mut()
    }
}

impl PipeBuffer<'_> {
    /// Commits `n` bytes written at its start and wakes the reader: the same as dropping it
    /// and calling [`PipeWriter::buffer_written`].
    ///
    /// ```
    /// use pipe_core::WriteError;
    /// let (mut writer, reader) = pipe_core::async_pipe::pipe();
    /// let mut buf = writer.get_buffer(2)?;
    /// buf[..2].copy_from_slice(b"ok");
    /// buf.commit(2)?;
    /// assert_eq!(reader.buffered(), 2);
    /// // The loan is over: there is nothing left to commit.
    /// assert_eq!(writer.buffer_written(2), Err(WriteError::NothingLent));
    /// # Ok::<(), WriteError>(())
    /// ```
    pub fn commit(mut self, n: usize) -> Result<(), WriteError> {
        commit(&mut self.guard, n)
    }
}

fn commit(shared: &mut Locked<'_>, n: usize) -> Result<(), WriteError> {
    if shared.reader_gone {
        return Err(WriteError::ReaderGone);
    }
    shared.pipe.buffer_written(n)?;
    if n > 0 {
        shared.wake_reader();
    }
    Ok(())
}

impl std::fmt::Debug for PipeWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipeWriter").finish_non_exhaustive()
    }
}

impl PipeWriter {
    fn lock(&self) -> Locked<'_> {
        lock(&self.shared)
    }

    /// Writable space of at least `max(size_hint, 1)` bytes in a pooled chunk (see
    /// [`Pipe::get_buffer`]). Errors, with nothing changed: [`WriteError::ReaderGone`],
    /// [`WriteError::Closed`] (after the async `Write` traits' shutdown or close),
    /// [`WriteError::SizeHintTooLarge`].
    ///
    /// ```
    /// use pipe_core::WriteError;
    /// let (mut writer, reader) = pipe_core::async_pipe::pipe();
    /// assert!(writer.get_buffer(16)?.len() >= 16);
    /// drop(reader);
    /// assert!(matches!(writer.get_buffer(16), Err(WriteError::ReaderGone)));
    /// # Ok::<(), WriteError>(())
    /// ```
    pub fn get_buffer(&mut self, size_hint: usize) -> Result<PipeBuffer<'_>, WriteError> {
        let mut guard = self.lock();
        if guard.reader_gone {
            return Err(WriteError::ReaderGone);
        }
        guard.pipe.get_buffer(size_hint)?;
        Ok(PipeBuffer { guard })
    }

    /// Commits `n` bytes written at the start of the last buffer handed out, and wakes the
    /// reader. Errors, with nothing changed: [`WriteError::ReaderGone`], [`WriteError::Closed`],
    /// [`WriteError::NothingLent`], [`WriteError::Overcommit`].
    ///
    /// ```
    /// use pipe_core::WriteError;
    /// let (mut writer, reader) = pipe_core::async_pipe::pipe();
    /// let mut buf = writer.get_buffer(3)?;
    /// buf[..3].copy_from_slice(b"abc");
    /// drop(buf);
    /// writer.buffer_written(3)?;
    /// assert_eq!(reader.buffered(), 3);
    /// assert_eq!(writer.buffer_written(1), Err(WriteError::NothingLent)); // one commit per loan
    /// # Ok::<(), WriteError>(())
    /// ```
    pub fn buffer_written(&mut self, n: usize) -> Result<(), WriteError> {
        commit(&mut self.lock(), n)
    }

    /// Copies `data` in and wakes the reader, without waiting: backpressure is for
    /// [`flush`](PipeWriter::flush). Errors: [`WriteError::ReaderGone`], [`WriteError::Closed`].
    ///
    /// ```
    /// use pipe_core::{AsyncPipeOptions, WriteError};
    /// let options = AsyncPipeOptions::new().pause(4).resume(2);
    /// let (mut writer, reader) = pipe_core::async_pipe::pipe_with(options)?;
    /// writer.write_now(b"0123456789")?; // past `pause`: it does not wait
    /// assert_eq!(reader.buffered(), 10);
    /// drop(reader);
    /// assert_eq!(writer.write_now(b"x"), Err(WriteError::ReaderGone));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_now(&mut self, data: &[u8]) -> Result<(), WriteError> {
        let mut shared = self.lock();
        if shared.reader_gone {
            return Err(WriteError::ReaderGone);
        }
        shared.pipe.write_all(data)?;
        if !data.is_empty() {
            shared.wake_reader();
        }
        Ok(())
    }

    /// Waits while the reader is behind: from `pause` unread bytes until they are down to
    /// `resume`, unless the reader is waiting for more bytes to finish a frame (then the
    /// writer goes on, up to that frame's size within the maximum frame). Error of kind
    /// `BrokenPipe` when the reader is gone. Cancel safe: it only waits.
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// let options = pipe_core::AsyncPipeOptions::new().pause(4).resume(2);
    /// let (mut writer, mut reader) = pipe_core::async_pipe::pipe_with(options)?;
    /// writer.write_now(b"abcdef")?;
    /// let mut cx = Context::from_waker(Waker::noop());
    /// let mut flush = std::pin::pin!(writer.flush());
    /// assert!(flush.as_mut().poll(&mut cx).is_pending()); // 6 unread: past `pause`, it waits
    /// assert_eq!(reader.with_pipe(|pipe| pipe.read_exact(4))?, "abcd"); // down to `resume`
    /// assert!(matches!(flush.as_mut().poll(&mut cx), Poll::Ready(Ok(()))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn flush(&mut self) -> io::Result<()> {
        std::future::poll_fn(|cx| self.poll_flush(cx)).await
    }

    /// The poll behind [`flush`](PipeWriter::flush).
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// let (mut writer, reader) = pipe_core::async_pipe::pipe();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(matches!(writer.poll_flush(&mut cx), Poll::Ready(Ok(())))); // nothing unread
    /// drop(reader);
    /// let gone = writer.poll_flush(&mut cx);
    /// assert!(matches!(gone, Poll::Ready(Err(e)) if e.kind() == std::io::ErrorKind::BrokenPipe));
    /// ```
    pub fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.lock().poll_writer(cx)
    }

    /// Copies `data` in (a piece at a time, as backpressure allows) and flushes after each
    /// piece. Error: `BrokenPipe` when the reader is gone. If cancelled, a prefix of `data` may
    /// have been written (use [`write_vectored_all`](PipeWriter::write_vectored_all) to know
    /// how much).
    ///
    /// ```
    /// # futures_executor_free::run(async {
    /// let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
    /// writer.write_all(b"+OK\r\n").await?;
    /// assert_eq!(writer.unread(), 5);
    /// assert_eq!(pipe_core::adapter::read_line(&mut reader, false).await?.unwrap(), "+OK");
    /// drop(reader);
    /// let err = writer.write_all(b"late").await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// # mod futures_executor_free {
    /// #     pub fn run<F: std::future::Future>(f: F) -> F::Output {
    /// #         let mut f = std::pin::pin!(f);
    /// #         let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #         loop {
    /// #             if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; }
    /// #         }
    /// #     }
    /// # }
    /// ```
    pub async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.write_vectored_all(&mut &mut [IoSlice::new(data)][..])
            .await
    }

    /// Copies every byte of `bufs` in, as backpressure allows, then flushes. `bufs` is advanced
    /// in place as bytes go in (as `IoSlice::advance_slices` does), so after a cancellation it
    /// holds exactly what is left: call again with it to resume, and every byte arrives once.
    /// Error: `BrokenPipe` when the reader is gone.
    ///
    /// ```
    /// use std::io::IoSlice;
    /// # futures_executor_free::run(async {
    /// let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
    /// let mut slices = [IoSlice::new(b"GET "), IoSlice::new(b"key\n")];
    /// let mut bufs = &mut slices[..];
    /// writer.write_vectored_all(&mut bufs).await?;
    /// assert!(bufs.is_empty());
    /// assert_eq!(pipe_core::adapter::read_line(&mut reader, false).await?.unwrap(), "GET key");
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// # mod futures_executor_free {
    /// #     pub fn run<F: std::future::Future>(f: F) -> F::Output {
    /// #         let mut f = std::pin::pin!(f);
    /// #         let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #         loop {
    /// #             if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; }
    /// #         }
    /// #     }
    /// # }
    /// ```
    pub async fn write_vectored_all(&mut self, bufs: &mut &mut [IoSlice<'_>]) -> io::Result<()> {
        IoSlice::advance_slices(bufs, 0);
        while let Some(first) = bufs.first() {
            let data: &[u8] = first;
            let n = std::future::poll_fn(|cx| self.poll_write(cx, data)).await?;
            IoSlice::advance_slices(bufs, n);
        }
        self.flush().await
    }

    /// Waits out backpressure, then copies in as much of `data` as backpressure allows (up to
    /// `pause` bytes unread, or while the reader waits for a frame, up to what that frame
    /// needs): the `poll_write` of the async `Write` traits. Ready with the count written.
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// let options = pipe_core::AsyncPipeOptions::new().pause(4).resume(2);
    /// let (mut writer, _reader) = pipe_core::async_pipe::pipe_with(options)?;
    /// let mut cx = Context::from_waker(Waker::noop());
    /// // Up to `pause` (4) unread bytes go in; then the writer waits for the reader.
    /// assert!(matches!(writer.poll_write(&mut cx, b"abcdef"), Poll::Ready(Ok(4))));
    /// assert!(writer.poll_write(&mut cx, b"ef").is_pending());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll_write(&mut self, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let mut shared = self.lock();
        std::task::ready!(shared.poll_writer(cx))?;
        let n = data.len().min(shared.room());
        shared.pipe.write_all(&data[..n])?;
        if n > 0 {
            shared.wake_reader();
        }
        Poll::Ready(Ok(n))
    }

    /// Bytes written and not yet read.
    ///
    /// ```
    /// let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
    /// writer.write_now(b"abcdef")?;
    /// assert_eq!(writer.unread(), 6);
    /// assert_eq!(reader.with_pipe(|pipe| pipe.read_exact(4))?, "abcd");
    /// assert_eq!(writer.unread(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unread(&self) -> usize {
        self.lock().pipe.len()
    }

    /// Whether the reader completed or was dropped (every write then fails).
    ///
    /// ```
    /// let (writer, reader) = pipe_core::async_pipe::pipe();
    /// assert!(!writer.is_reader_gone());
    /// reader.complete();
    /// assert!(writer.is_reader_gone());
    /// ```
    pub fn is_reader_gone(&self) -> bool {
        self.lock().reader_gone
    }

    /// Completes the write side cleanly: the reader gets the rest, then the end (or a partial
    /// frame). A buffer on loan and not committed is dropped.
    ///
    /// ```
    /// use pipe_core::ReadError;
    /// let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
    /// writer.write_now(b"last")?;
    /// writer.complete();
    /// assert!(reader.with_pipe(|pipe| pipe.is_closed()));
    /// assert_eq!(reader.with_pipe(|pipe| pipe.read_exact(4))?, "last"); // the rest, then the end
    /// assert!(matches!(reader.with_pipe(|pipe| pipe.read_exact(1)), Err(ReadError::End)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn complete(self) {
        // Drop does it.
    }

    /// Completes the write side with an error: the reader gets the buffered bytes, then this
    /// error on every read they cannot serve.
    ///
    /// ```
    /// use pipe_core::ReadError;
    /// let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
    /// writer.write_now(b"ab")?;
    /// writer.complete_with_error(std::io::Error::other("upstream failed"));
    /// assert_eq!(reader.with_pipe(|pipe| pipe.read_exact(2))?, "ab"); // the buffered bytes first
    /// assert!(matches!(reader.with_pipe(|pipe| pipe.read_exact(1)), Err(ReadError::Stream(_))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn complete_with_error(self, error: io::Error) {
        let mut shared = self.lock();
        let _ = shared.pipe.eof_with_error(error);
        shared.wake_reader();
    }

    /// The `poll_shutdown`/`poll_close` of the async `Write` traits: completes cleanly, the
    /// writer stays (every later write fails: [`WriteError::Closed`] from `get_buffer`,
    /// `buffer_written` and `write_now`, `BrokenPipe` from the async writes).
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
    /// writer.write_now(b"done")?;
    /// assert!(matches!(writer.poll_complete(), Poll::Ready(Ok(()))));
    /// assert!(reader.with_pipe(|pipe| pipe.is_closed()));
    /// let mut cx = Context::from_waker(Waker::noop());
    /// let late = writer.poll_write(&mut cx, b"more");
    /// assert!(matches!(late, Poll::Ready(Err(e)) if e.kind() == std::io::ErrorKind::BrokenPipe));
    /// # Ok::<(), pipe_core::WriteError>(())
    /// ```
    pub fn poll_complete(&mut self) -> Poll<io::Result<()>> {
        let mut shared = self.lock();
        let _ = shared.pipe.eof();
        shared.wake_reader();
        Poll::Ready(Ok(()))
    }
}

impl Drop for PipeWriter {
    fn drop(&mut self) {
        let mut shared = self.lock();
        // The first completion stands: `complete_with_error` may have closed it already.
        let _ = shared.pipe.eof();
        shared.wake_reader();
    }
}

/// The reading half of an in-process pipe, runtime-free: it implements
/// [`PollRead`], so the adapters' readers get the streams' read methods (`read_line`,
/// `read_until`, `read_exact`, `read_at_most`, `read_to_end`, `peek`, `fill_more`,
/// `discard_until`, `read_lines_with`, `lines`) from [`crate::adapter`], each cancel safe. Dropping it (or
/// [`complete`](PipeReader::complete)) gives its bytes back to the pool and makes the writer's
/// next call fail with `BrokenPipe`.
///
/// `read_lines_with` runs its callback under the pipe's lock: the callback must not use the
/// writer.
///
/// ```
/// # futures_executor_free::run(async {
/// use pipe_core::adapter::{read_exact, read_line};
/// let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
/// writer.write_now(b"$3\r\nabc")?;
/// assert_eq!(read_line(&mut reader, false).await?.unwrap(), "$3");
/// assert_eq!(read_exact(&mut reader, 3).await?.unwrap(), "abc");
/// reader.complete();
/// assert_eq!(writer.write_now(b"x"), Err(pipe_core::WriteError::ReaderGone));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// # mod futures_executor_free {
/// #     pub fn run<F: std::future::Future>(f: F) -> F::Output {
/// #         let mut f = std::pin::pin!(f);
/// #         let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #         loop {
/// #             if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; }
/// #         }
/// #     }
/// # }
/// ```
pub struct PipeReader {
    shared: Arc<Mutex<Shared>>,
}

impl std::fmt::Debug for PipeReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipeReader").finish_non_exhaustive()
    }
}

impl PollRead for PipeReader {
    fn with_parts<R>(&mut self, f: impl FnOnce(&mut Pipe, &mut FillFn<'_>) -> R) -> R {
        let mut locked = lock(&self.shared);
        let Locked { guard, wake } = &mut locked;
        let shared: &mut Shared = guard.as_deref_mut().expect("just locked");
        shared.grant = 0;
        let mut waited = false;
        let (pipe, reader_waker, writer_waker, grant, spin) = (
            &mut shared.pipe,
            &mut shared.reader_waker,
            &mut shared.writer_waker,
            &mut shared.grant,
            &mut shared.spin,
        );
        // The writer stays paused until the reader brings the pipe down to `resume`.
        let (resume, paused) = (shared.resume, shared.paused);
        let out = f(pipe, &mut |pipe: &mut Pipe,
                                cx: &mut Context<'_>,
                                budget: usize| {
            if pipe.is_closed() {
                // The writer completed: the read's next try sees the end, partial or error.
                return Poll::Ready(());
            }
            // The read needs more than is buffered: let a paused writer fill up to what its
            // frame needs. A frame search's budget is that already (its frame and ending);
            // reads that take whatever is there (and `fill_more`) pass `usize::MAX`, for which
            // the pipe may grow to one frame and its ending.
            let len = pipe.len();
            let frame = pipe.max_frame().saturating_add(2);
            *grant = if budget == usize::MAX {
                frame.max(len.saturating_add(1))
            } else {
                len.saturating_add(budget)
            };
            if budget == usize::MAX && paused && len > resume && len >= frame {
                // The writer waits for room that only consuming can make: waiting would never
                // end. Ready without new bytes: the read reports the limit.
                *grant = 0;
                return Poll::Ready(());
            }
            if let Some(waker) = writer_waker.take() {
                wake[1] = Some(waker);
            }
            waited = true;
            // Bytes consumed by this call before it waits end the last wait.
            let (consumed, written) = totals(pipe);
            spin.went_on(consumed, written, false);
            if spin.stay(consumed, written) {
                // Polled again by its own wake; a waker left by an earlier park is dropped,
                // so the writer wakes nobody.
                *reader_waker = None;
                cx.waker().wake_by_ref();
            } else {
                set_waker(reader_waker, cx);
            }
            Poll::Pending
        });
        if !waited {
            let (consumed, written) = totals(&locked.pipe);
            locked.spin.went_on(consumed, written, true);
        }
        locked.seen = locked.pipe.len();
        if locked.pipe.len() <= locked.resume {
            locked.wake_writer();
        }
        out
    }

    /// The wait of a dropped read future is over: a paused writer no longer gets room for
    /// its frame (until the next read waits).
    fn cancel_wait(&mut self) {
        lock(&self.shared).grant = 0;
    }

    /// As for a stream, but counting from the reader's last look: bytes that arrived between
    /// a parser's `NeedMore` and this call are reported at once.
    fn poll_fill_more(
        &mut self,
        cx: &mut Context<'_>,
        since: &mut Option<usize>,
    ) -> Poll<io::Result<usize>> {
        if since.is_none() {
            *since = Some(lock(&self.shared).seen);
        }
        self.with_parts(|pipe, fill| pipe.poll_fill_more(cx, since, fill))
    }
}

impl PipeReader {
    /// Bytes written and not yet read.
    ///
    /// ```
    /// let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
    /// writer.write_now(b"abc")?;
    /// assert_eq!(reader.buffered(), 3);
    /// assert_eq!(reader.with_pipe(|pipe| pipe.read_exact(1))?, "a");
    /// assert_eq!(reader.buffered(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn buffered(&self) -> usize {
        lock(&self.shared).pipe.len()
    }

    /// Runs `f` on the pipe, under its lock: synchronous reads of what is buffered (the `*_ref`
    /// forms included), for parsers that wait with `fill_more` ([`crate::adapter::fill_more`]) only
    /// when a read says `NeedMore`. A writer waiting for room is woken if `f` made enough. `f`
    /// must not use the writer half.
    ///
    /// ```
    /// let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
    /// writer.write_now(b"GET /\r\nHost: x\r\n")?;
    /// assert_eq!(reader.with_pipe(|pipe| pipe.read_line(false))?, "GET /");
    /// // A `*_ref` read lends the pipe's memory only inside `f`: copy out what is kept.
    /// let host = reader.with_pipe(|pipe| pipe.read_line_ref(false).map(<[u8]>::to_vec))?;
    /// assert_eq!(host, b"Host: x");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_pipe<R>(&mut self, f: impl FnOnce(&mut Pipe) -> R) -> R {
        let mut shared = lock(&self.shared);
        shared.grant = 0; // not waiting while it parses
        let out = f(&mut shared.pipe);
        let (consumed, written) = totals(&shared.pipe);
        shared.spin.went_on(consumed, written, false);
        shared.seen = shared.pipe.len();
        if shared.pipe.len() <= shared.resume {
            shared.wake_writer();
        }
        out
    }

    /// Changes the maximum frame size (see [`Pipe::set_max_frame`]).
    ///
    /// ```
    /// use pipe_core::ReadError;
    /// let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
    /// reader.set_max_frame(4);
    /// writer.write_now(b"too long")?;
    /// let line = reader.with_pipe(|pipe| pipe.read_line(false));
    /// assert!(matches!(line, Err(ReadError::LimitExceeded { limit: 4, .. })));
    /// # Ok::<(), pipe_core::WriteError>(())
    /// ```
    pub fn set_max_frame(&mut self, max_frame: usize) {
        lock(&self.shared).pipe.set_max_frame(max_frame);
    }

    /// Copies buffered bytes into `out`, waiting for the writer if nothing is buffered: the
    /// `poll_read` of the async `Read` traits. `Ok(0)` at a clean end.
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// let (mut writer, mut reader) = pipe_core::async_pipe::pipe();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// let mut out = [0; 8];
    /// assert!(reader.poll_read_into(&mut cx, &mut out).is_pending()); // nothing yet
    /// writer.write_now(b"hello")?;
    /// assert!(matches!(reader.poll_read_into(&mut cx, &mut out), Poll::Ready(Ok(5))));
    /// assert_eq!(&out[..5], b"hello");
    /// writer.complete();
    /// assert!(matches!(reader.poll_read_into(&mut cx, &mut out), Poll::Ready(Ok(0)))); // the end
    /// # Ok::<(), pipe_core::WriteError>(())
    /// ```
    pub fn poll_read_into(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.with_parts(|pipe, fill| pipe.poll_read_into(cx, out, fill))
    }

    /// Stops reading: the buffered bytes go back to the pool and the writer's next write fails
    /// ([`WriteError::ReaderGone`] from `get_buffer`, `buffer_written` and `write_now`,
    /// `BrokenPipe` from the async writes). Dropping the reader does the same.
    ///
    /// ```
    /// use pipe_core::{AsyncPipeOptions, Pool, PoolConfig, WriteError};
    /// let pool = Pool::new(PoolConfig::new())?;
    /// let options = AsyncPipeOptions::new().pool(pool.clone());
    /// let (mut writer, reader) = pipe_core::async_pipe::pipe_with(options)?;
    /// writer.write_now(b"never read")?;
    /// assert_eq!(pool.stats().outstanding_chunks, 1);
    /// reader.complete();
    /// assert_eq!(pool.stats().outstanding_chunks, 0); // back to the pool
    /// assert_eq!(writer.write_now(b"x"), Err(WriteError::ReaderGone));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn complete(self) {
        // Drop does it.
    }
}

impl Drop for PipeReader {
    fn drop(&mut self) {
        let mut shared = lock(&self.shared);
        shared.reader_gone = true;
        let len = shared.pipe.len();
        shared.pipe.skip(len);
        shared.wake_writer();
    }
}
