//! The per-thread front cache: a plain store. What goes in and out, and when, is the pool's
//! policy (`Pool::acquire` and `recycle`, side by side in `pool.rs`).
//!
//! Each thread keeps, per pool it has used, a few idle chunks per class and its own counter shard.
//! An idle chunk here keeps the `Arc` of the pool it belongs to, so taking it out and putting it
//! back changes no reference count: the acquire/release pair of one thread writes only memory that
//! thread owns. When the thread exits, its idle chunks go to the shared queues (or are freed if
//! those are full).

use std::cell::RefCell;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Weak};

use crate::pool::Inner;
use crate::stats::{Counter, Shard};

/// The slots a thread's cache of a class has from the start (at most its limit): the default
/// 256 KiB holds 64 chunks of 4 KiB.
const INITIAL_SLOTS: usize = 64;

thread_local! {
    static LOCALS: RefCell<Vec<Local>> = const { RefCell::new(Vec::new()) };
}

/// An idle chunk's memory with the pool reference it carries.
pub(crate) type Idle = (Box<[u8]>, Arc<Inner>);

/// One thread's state for one pool.
pub(crate) struct Local {
    /// The `id` of the pool this entry serves.
    pool_id: u64,
    /// The pool, to tell whether it has closed; weak, so an entry keeps no pool alive.
    pool: Weak<Inner>,
    /// This thread's counters for the pool; this thread is their only writer.
    pub(crate) shard: Arc<Shard>,
    /// Idle chunks per class, each with its own reference to the pool; class `i` holds at most
    /// `Inner::thread_cache_slots[i]` of them.
    idle: Vec<Vec<Idle>>,
}

impl Local {
    fn new(inner: &Arc<Inner>) -> Local {
        let shard = Arc::new(Shard::default());
        inner
            .shards
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(shard.clone());
        Local {
            pool_id: inner.id,
            pool: Arc::downgrade(inner),
            shard,
            idle: inner
                .thread_cache_slots
                .iter()
                // Grown as chunks come back (a limit of `usize::MAX` allocates nothing up
                // front); room for a few first so that a busy thread's first returns do not
                // reallocate.
                .map(|&n| Vec::with_capacity(n.min(INITIAL_SLOTS)))
                .collect(),
        }
    }

    /// An idle chunk of `class`, if this thread has one.
    #[inline]
    pub(crate) fn take(&mut self, class: usize) -> Option<Idle> {
        self.idle[class].pop()
    }

    /// Keeps an idle chunk of `class` if the class has room; gives it back if not.
    #[inline]
    pub(crate) fn put(&mut self, class: usize, idle: Idle) -> Result<(), Idle> {
        if self.idle[class].len() < idle.1.thread_cache_slots[class] {
            self.idle[class].push(idle);
            Ok(())
        } else {
            Err(idle)
        }
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        for (buf, home) in self.idle.drain(..).flatten() {
            home.stash(buf, |c| home.shared.add_shared(c, 1));
        }
    }
}

/// Runs `f` on this thread's entry for `inner`, making the entry on first use. `None` when the
/// thread-local is gone (thread teardown) or already in use further up the stack.
#[inline]
pub(crate) fn with_local<R>(inner: &Arc<Inner>, f: impl FnOnce(&mut Local) -> R) -> Option<R> {
    LOCALS
        .try_with(|cell| {
            let mut locals = cell.try_borrow_mut().ok()?;
            let i = find_or_make(&mut locals, inner);
            Some(f(&mut locals[i]))
        })
        .ok()
        .flatten()
}

#[inline]
fn find_or_make(locals: &mut Vec<Local>, inner: &Arc<Inner>) -> usize {
    match locals.iter().position(|l| l.pool_id == inner.id) {
        Some(i) => i,
        None => {
            // A new pool on this thread: first let go of the entries of closed ones.
            locals.retain(|l| l.pool.upgrade().is_some_and(|p| !p.closed.load(Relaxed)));
            locals.push(Local::new(inner));
            locals.len() - 1
        }
    }
}

/// Counts one event on this thread's shard, or the shared one if there is none.
pub(crate) fn count_here(inner: &Arc<Inner>, c: Counter) {
    if with_local(inner, |local| local.shard.add_owned(c, 1)).is_none() {
        inner.shared.add_shared(c, 1);
    }
}

/// Runs `f` on this thread's entry for `idle`'s pool, handing `idle` over to it; gives `idle`
/// back when there is no entry to use (thread teardown, or in use further up the stack).
#[inline]
pub(crate) fn with_local_owned<R>(
    idle: Idle,
    f: impl FnOnce(&mut Local, Idle) -> R,
) -> Result<R, Idle> {
    let mut parts = Some(idle);
    let out = LOCALS
        .try_with(|cell| {
            let mut locals = cell.try_borrow_mut().ok()?;
            let idle = parts.take()?;
            let i = find_or_make(&mut locals, &idle.1);
            Some(f(&mut locals[i], idle))
        })
        .ok()
        .flatten();
    match (out, parts) {
        (Some(out), _) => Ok(out),
        (None, Some(idle)) => Err(idle),
        (None, None) => unreachable!("`idle` is taken only on the way to `f`"),
    }
}

/// Drops this thread's entry for `inner` (a pool that closed), with its idle chunks.
pub(crate) fn forget(inner: &Inner) {
    let entry = LOCALS
        .try_with(|cell| {
            let mut locals = cell.try_borrow_mut().ok()?;
            let i = locals.iter().position(|l| l.pool_id == inner.id)?;
            Some(locals.swap_remove(i))
        })
        .ok()
        .flatten();
    // Dropped outside the borrow: it hands chunks back through the pool.
    drop(entry);
}

/// Frees this thread's idle chunks of `inner`; returns how many.
pub(crate) fn trim_local(inner: &Arc<Inner>) -> u64 {
    // Take the chunks out first: dropping a pool reference inside the borrow could re-enter.
    let taken: Vec<_> = with_local(inner, |local| {
        local.idle.iter_mut().flat_map(|v| v.drain(..)).collect()
    })
    .unwrap_or_default();
    taken.len() as u64
}
