//! The in-process pipe of `pipe_async_std` (`pipe`, `pipe_with`) tested as a user who has only
//! its documentation, on async-std and on smol (smol's global executor, and a single-threaded
//! smol executor): errors (once and again, nothing lost before them), cancellation at
//! `Pending` (every byte once, in order), each limit one under, at and one over, `max_spin` at
//! its default, zero, 10 ms and huge, the reader or the writer going, and the pool balanced at
//! the end: the checks of `pipe_testkit::inproc_cases`, shared with pipe-tokio. Timeouts only
//! guard against hangs.

use pipe_async_std::{pipe, pipe_with};

pipe_testkit::inproc_tests!(runtime_free);

mod on_async_std {
    use std::convert::identity as join; // a task is a future of its output
    use std::io;

    use async_std::future::timeout;
    use async_std::task::{JoinHandle, spawn, yield_now};
    use futures_util::io::{AsyncReadExt, AsyncWriteExt, copy};
    use pipe_async_std::{PipeReader, PipeWriter, pipe, pipe_with};

    /// Cancels the task and waits until its future is dropped: `None`, or its output if it had
    /// finished first.
    async fn cancel<T>(task: JoinHandle<T>) -> Option<T> {
        task.cancel().await
    }

    /// futures-io's `AsyncWrite` close.
    async fn close(w: &mut PipeWriter) -> io::Result<()> {
        AsyncWriteExt::close(w).await
    }

    pipe_testkit::inproc_tests!(test: (#[async_std::test]), threaded: (#[async_std::test]));
}

mod on_smol {
    use std::cell::RefCell;
    use std::convert::identity as join; // a task is a future of its output
    use std::future::Future;
    use std::io;
    use std::rc::Rc;
    use std::time::{Duration, Instant};

    use futures_util::io::{AsyncReadExt, AsyncWriteExt, copy};
    use pipe_async_std::{PipeReader, PipeWriter, pipe, pipe_with};
    use smol::future::yield_now;
    use smol::{LocalExecutor, Task};

    thread_local! {
        /// The executor of [`block_on_one_thread`] while it runs on this thread.
        static ONE_THREAD: RefCell<Option<Rc<LocalExecutor<'static>>>> =
            const { RefCell::new(None) };
    }

    /// Runs `f` to its end on a new executor driven by this thread alone: the tasks `spawn`
    /// starts meanwhile run on this thread too.
    fn block_on_one_thread<T>(f: impl Future<Output = T>) -> T {
        /// Forgets the executor, even on a panic.
        struct Leave;
        impl Drop for Leave {
            fn drop(&mut self) {
                ONE_THREAD.set(None);
            }
        }
        let executor = Rc::new(LocalExecutor::new());
        ONE_THREAD.set(Some(executor.clone()));
        let _leave = Leave;
        smol::block_on(executor.run(f))
    }

    /// Starts `f` on the executor of [`block_on_one_thread`] if it runs on this thread, else
    /// on smol's global executor.
    fn spawn<T: Send + 'static>(f: impl Future<Output = T> + Send + 'static) -> Task<T> {
        match ONE_THREAD.with_borrow(Option::clone) {
            Some(executor) => executor.spawn(f),
            None => smol::spawn(f),
        }
    }

    /// `f`'s output, or `Err` if `d` passed first (`f` is polled first).
    async fn timeout<T>(d: Duration, f: impl Future<Output = T>) -> Result<T, Instant> {
        smol::future::or(async { Ok(f.await) }, async {
            Err(smol::Timer::after(d).await)
        })
        .await
    }

    /// Cancels the task and waits until its future is dropped: `None`, or its output if it had
    /// finished first.
    async fn cancel<T>(task: Task<T>) -> Option<T> {
        task.cancel().await
    }

    /// futures-io's `AsyncWrite` close.
    async fn close(w: &mut PipeWriter) -> io::Result<()> {
        AsyncWriteExt::close(w).await
    }

    pipe_testkit::inproc_tests!(
        test: (block_on_one_thread),
        threaded: (smol::block_on),
        one_thread: (block_on_one_thread)
    );
}
