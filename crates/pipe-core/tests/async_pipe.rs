//! The in-process async pipe, polled by hand so every wake-up is counted: backpressure pauses
//! and resumes at the thresholds, frames over the pause threshold do not deadlock, completion
//! and errors both ways, cancel safety, bad input, and the pool back to zero.

use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use pipe_core::adapter;
use pipe_core::async_pipe::{PipeReader, PipeWriter, pipe_with};
use pipe_core::read_error_of;
use pipe_core::{AsyncPipeOptions, ReadError, WriteError};

/// A waker that counts its wake-ups.
#[derive(Default)]
struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

struct Task {
    count: Arc<Counter>,
    waker: Waker,
}

impl Task {
    fn new() -> Task {
        let count = Arc::new(Counter::default());
        Task {
            waker: Waker::from(count.clone()),
            count,
        }
    }

    fn wakes(&self) -> usize {
        self.count.0.load(Ordering::SeqCst)
    }

    fn poll<F: Future>(&self, f: std::pin::Pin<&mut F>) -> Poll<F::Output> {
        f.poll(&mut Context::from_waker(&self.waker))
    }

    /// Polls a future that must complete at once.
    fn now<F: Future>(&self, f: F) -> F::Output {
        match self.poll(pin!(f)) {
            Poll::Ready(out) => out,
            Poll::Pending => panic!("expected the future to complete without waiting"),
        }
    }
}

use pipe_testkit::async_pipe as setup;

fn flush_pending(w: &mut PipeWriter, task: &Task) -> bool {
    task.poll(pin!(w.flush())).is_pending()
}

#[test]
fn writer_pauses_at_the_threshold_and_resumes_under_the_other() {
    let (mut w, mut r, pool) = setup(64 * 1024, 32 * 1024, 1 << 20);
    let (writer, reader) = (Task::new(), Task::new());
    w.write_now(&vec![b'x'; 64 * 1024 - 1]).unwrap();
    assert!(!flush_pending(&mut w, &writer), "under the pause threshold");
    w.write_now(b"x").unwrap();
    assert!(flush_pending(&mut w, &writer), "at the pause threshold");

    // Reading 16 KiB leaves 48 KiB: above `resume`, the writer stays asleep.
    assert_eq!(
        reader
            .now(adapter::read_exact(&mut r, 16 * 1024))
            .unwrap()
            .unwrap()
            .len(),
        16 * 1024
    );
    assert_eq!(writer.wakes(), 0);
    assert!(
        flush_pending(&mut w, &writer),
        "still above the resume threshold"
    );
    // Down to 32 KiB: the writer is woken and goes on.
    reader
        .now(adapter::read_exact(&mut r, 16 * 1024))
        .unwrap()
        .unwrap();
    assert_eq!(writer.wakes(), 1);
    assert!(!flush_pending(&mut w, &writer));
    // Under `pause` again it does not wait.
    w.write_now(&vec![b'x'; 16 * 1024]).unwrap();
    assert!(!flush_pending(&mut w, &writer));
    drop((w, r));
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

#[test]
fn a_frame_over_the_pause_threshold_does_not_deadlock() {
    let (mut w, mut r, pool) = setup(64 * 1024, 32 * 1024, 1 << 20);
    let (writer, reader) = (Task::new(), Task::new());
    let mut line = Box::pin(adapter::read_line(&mut r, false));
    let piece = vec![b'a'; 16 * 1024];
    let mut written = 0;
    let mut writer_waits = 0;
    // One line of 1 MiB (the maximum frame) in 16 KiB pieces, flushing after each.
    while written < 1 << 20 {
        w.write_now(&piece).unwrap();
        written += piece.len();
        let mut waits_here = 0;
        while flush_pending(&mut w, &writer) {
            writer_waits += 1;
            waits_here += 1;
            assert!(
                waits_here < 3,
                "deadlock: the reader waits and so does the writer"
            );
            // The reader needs more to finish its frame: polling it lets the writer go on.
            let before = writer.wakes();
            assert!(reader.poll(line.as_mut()).is_pending());
            assert_eq!(writer.wakes(), before + 1);
        }
    }
    assert!(
        writer_waits > 0,
        "the writer went past the threshold without ever waiting"
    );
    w.write_now(b"\n").unwrap();
    let Poll::Ready(got) = reader.poll(line.as_mut()) else {
        panic!("the line is complete");
    };
    assert_eq!(got.unwrap().unwrap().len(), 1 << 20);
    drop(line);
    drop((w, r));
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

#[test]
fn a_frame_over_the_maximum_stops_the_writer_and_discard_lets_it_go_on() {
    let (mut w, mut r, _pool) = setup(64 * 1024, 32 * 1024, 128 * 1024);
    let (writer, reader) = (Task::new(), Task::new());
    let piece = vec![b'a'; 16 * 1024];
    let mut outcome = None;
    for _ in 0..64 {
        w.write_now(&piece).unwrap();
        if flush_pending(&mut w, &writer) {
            match reader.poll(pin!(adapter::read_line(&mut r, false))) {
                Poll::Pending => {}
                Poll::Ready(result) => {
                    outcome = Some(result);
                    break;
                }
            }
        }
    }
    let err = outcome.expect("the reader saw an outcome").unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert!(matches!(
        read_error_of(&err),
        Some(ReadError::LimitExceeded { .. })
    ));
    // Held at the limit: the writer waits instead of growing the pipe.
    let held = r.buffered();
    assert!(
        (128 * 1024..=128 * 1024 + 64 * 1024).contains(&held),
        "{held}"
    );
    assert!(flush_pending(&mut w, &writer));
    w.write_now(b"tail\nnext\n").unwrap();
    let before = writer.wakes();
    reader.now(adapter::discard_until(&mut r, b"\n")).unwrap();
    assert!(writer.wakes() > before, "consuming woke the writer");
    assert!(!flush_pending(&mut w, &writer));
    assert_eq!(
        reader
            .now(adapter::read_line(&mut r, false))
            .unwrap()
            .unwrap(),
        "next"
    );
}

#[test]
fn clean_completion_gives_the_rest_then_the_end_or_a_partial() {
    let (mut w, mut r, pool) = setup(64 * 1024, 32 * 1024, 1024);
    let task = Task::new();
    w.write_now(b"one\ntwo").unwrap();
    w.complete();
    assert_eq!(
        task.now(adapter::read_line(&mut r, false))
            .unwrap()
            .unwrap(),
        "one"
    );
    let err = task.now(adapter::read_line(&mut r, false)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    assert!(matches!(read_error_of(&err), Some(ReadError::Partial(rest)) if rest == "two"));
    assert_eq!(task.now(adapter::read_line(&mut r, false)).unwrap(), None);

    // Dropping the writer completes it too; a waiting reader is woken.
    let (w, mut r2, _) = setup(64 * 1024, 32 * 1024, 1024);
    let reader = Task::new();
    let mut read = pin!(adapter::read_line(&mut r2, true));
    assert!(reader.poll(read.as_mut()).is_pending());
    drop(w);
    assert_eq!(reader.wakes(), 1);
    assert!(matches!(reader.poll(read.as_mut()), Poll::Ready(Ok(None))));
    drop((r, err)); // the partial's leftover shares its chunk
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

#[test]
fn completion_with_an_error_reaches_the_reader_after_the_data() {
    let (mut w, mut r, _) = setup(64 * 1024, 32 * 1024, 1024);
    let task = Task::new();
    w.write_now(b"kept\nlost").unwrap();
    w.complete_with_error(io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "upstream died",
    ));
    assert_eq!(
        task.now(adapter::read_line(&mut r, false))
            .unwrap()
            .unwrap(),
        "kept"
    );
    for _ in 0..2 {
        let err = task.now(adapter::read_line(&mut r, false)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionAborted);
        assert!(err.to_string().contains("upstream died"));
    }
}

#[test]
fn a_reader_that_goes_fails_the_writer_and_frees_the_chunks() {
    let (mut w, r, pool) = setup(64 * 1024, 32 * 1024, 1 << 20);
    let writer = Task::new();
    w.write_now(&vec![0; 100 * 1024]).unwrap();
    assert!(flush_pending(&mut w, &writer));
    assert!(pool.stats().outstanding_chunks > 0);
    r.complete();
    assert_eq!(writer.wakes(), 1, "the waiting writer is woken");
    assert_eq!(
        pool.stats().outstanding_chunks,
        0,
        "the unread bytes went back"
    );
    let Poll::Ready(Err(err)) = writer.poll(pin!(w.flush())) else {
        panic!("flush must fail once the reader is gone");
    };
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    assert_eq!(w.write_now(b"x"), Err(WriteError::ReaderGone));
    assert_eq!(w.get_buffer(0).err(), Some(WriteError::ReaderGone));
    assert_eq!(w.buffer_written(0), Err(WriteError::ReaderGone));
    assert!(w.is_reader_gone());
    let err = writer.now(w.write_all(b"x")).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
}

#[test]
fn get_buffer_fills_in_place_and_commits() {
    let (mut w, mut r, _) = setup(64 * 1024, 32 * 1024, 1024);
    let task = Task::new();
    let mut buf = w.get_buffer(6).unwrap();
    assert!(buf.len() >= 6);
    buf[..6].copy_from_slice(b"abc\nde");
    assert_eq!(&buf[..3], b"abc");
    drop(buf);
    w.buffer_written(6).unwrap();
    let mut buf = w.get_buffer(2).unwrap();
    buf[..2].copy_from_slice(b"f\n");
    buf.commit(2).unwrap();
    assert_eq!(
        task.now(adapter::read_line(&mut r, false))
            .unwrap()
            .unwrap(),
        "abc"
    );
    assert_eq!(
        task.now(adapter::read_line(&mut r, false))
            .unwrap()
            .unwrap(),
        "def"
    );
}

#[test]
fn bad_input_gets_errors_and_changes_nothing() {
    for (pause, resume) in [(0, 0), (10, 10), (10, 20)] {
        let err = pipe_with(AsyncPipeOptions::new().pause(pause).resume(resume)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
    let (mut w, mut r, pool) = setup(64 * 1024, 32 * 1024, 1024);
    let task = Task::new();
    assert_eq!(w.buffer_written(1), Err(WriteError::NothingLent));
    let too_big = pool.max_chunk() + 1;
    assert!(matches!(
        w.get_buffer(too_big).err(),
        Some(WriteError::SizeHintTooLarge { .. })
    ));
    let lent = w.get_buffer(10).unwrap().len();
    assert!(matches!(
        w.buffer_written(lent + 1),
        Err(WriteError::Overcommit { .. })
    ));
    w.write_now(b"ok\n").unwrap();
    let err = task
        .now(adapter::read_until(&mut r, b"", true))
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert_eq!(
        task.now(adapter::read_line(&mut r, false))
            .unwrap()
            .unwrap(),
        "ok"
    );
}

#[test]
fn dropped_reads_and_flushes_lose_nothing() {
    let (mut w, mut r, _) = setup(8, 4, 1024);
    let (writer, reader) = (Task::new(), Task::new());
    for piece in [&b"hel"[..], b"lo wo", b"rld\n"] {
        // A read started and dropped before the line is complete.
        assert!(
            reader
                .poll(pin!(adapter::read_line(&mut r, false)))
                .is_pending()
        );
        w.write_now(piece).unwrap();
        // A flush started and dropped.
        let _ = writer.poll(pin!(w.flush()));
    }
    assert_eq!(
        reader
            .now(adapter::read_line(&mut r, false))
            .unwrap()
            .unwrap(),
        "hello world"
    );
}

#[test]
fn the_halves_can_move_to_other_threads() {
    fn send<T: Send + 'static>() {}
    send::<PipeWriter>();
    send::<PipeReader>();
}

#[test]
fn a_reader_waiting_for_any_byte_grants_at_most_a_frame() {
    // A reader that takes whatever is there (the async `Read`) waits with nothing buffered;
    // the writer may then go past `pause` only up to one maximum frame, not without bound.
    let (mut w, mut r, _) = setup(1024, 512, 4096);
    let (writer, reader) = (Task::new(), Task::new());
    let mut out = [0u8; 16];
    assert!(
        r.poll_read_into(&mut Context::from_waker(&reader.waker), &mut out)
            .is_pending()
    );
    w.write_now(&[b'x'; 2048]).unwrap();
    assert!(
        !flush_pending(&mut w, &writer),
        "under the grant of one frame"
    );
    w.write_now(&[b'x'; 4096]).unwrap();
    assert!(
        flush_pending(&mut w, &writer),
        "past a frame: backpressure again"
    );
    assert_eq!(reader.wakes(), 1, "the first commit woke the reader");
}

#[test]
fn a_read_dropped_while_it_waits_withdraws_the_room_it_granted() {
    // While a read waits for more bytes than `pause` to finish (or to see the end), a paused
    // writer may go on up to that frame; once the read is dropped at `Pending`, nobody waits,
    // and `flush` waits at `pause` again, as `flush`'s documentation says.
    let (writer, reader) = (Task::new(), Task::new());
    macro_rules! dropped_at_pending {
        ($what:literal, |$r:ident| $read:expr) => {{
            let (mut w, mut $r, pool) = setup(64, 32, 1000);
            w.write_now(&[b'x'; 64]).unwrap();
            {
                let read = pin!($read);
                assert!(reader.poll(read).is_pending(), "{}: waits", $what);
                assert!(!flush_pending(&mut w, &writer), "{}: granted", $what);
            }
            assert!(
                flush_pending(&mut w, &writer),
                "{}: the grant stayed",
                $what
            );
            // The next read grants again: the parked writer is woken and goes on.
            let woken = writer.wakes();
            {
                let read = pin!($read);
                assert!(reader.poll(read).is_pending(), "{}: waits again", $what);
                assert_eq!(writer.wakes(), woken + 1, "{}: the writer woken", $what);
                assert!(!flush_pending(&mut w, &writer), "{}: granted again", $what);
            }
            assert!(flush_pending(&mut w, &writer), "{}: withdrawn again", $what);
            drop((w, $r));
            assert_eq!(pool.stats().outstanding_chunks, 0, "{}", $what);
        }};
    }
    dropped_at_pending!("read_line", |r| adapter::read_line(&mut r, false));
    dropped_at_pending!("read_until", |r| adapter::read_until(
        &mut r, b"\r\n", false
    ));
    dropped_at_pending!("read_exact", |r| adapter::read_exact(&mut r, 100));
    dropped_at_pending!("read_to_end", |r| adapter::read_to_end(&mut r));
    dropped_at_pending!("read_lines_with", |r| adapter::read_lines_with(
        &mut r,
        false,
        |_| {}
    ));
    // The first call reports the bytes written before it; the second waits.
    dropped_at_pending!("fill_more", |r| async {
        adapter::fill_more(&mut r).await?;
        adapter::fill_more(&mut r).await
    });
    dropped_at_pending!("fill_at_least", |r| adapter::fill_at_least(&mut r, 100));
}

#[test]
fn a_drained_pipe_holds_no_chunk_while_both_halves_live() {
    let (mut w, mut r, pool) = setup(64 * 1024, 32 * 1024, 1024);
    let task = Task::new();
    for _ in 0..100 {
        w.write_now(&[b'x'; 999]).unwrap();
        w.write_now(b"\n").unwrap();
        assert_eq!(
            task.now(adapter::read_line(&mut r, false))
                .unwrap()
                .unwrap()
                .len(),
            999
        );
    }
    assert_eq!(
        pool.stats().outstanding_chunks,
        0,
        "idle halves hold no memory"
    );
    // The same after a fill in place.
    {
        let mut buf = w.get_buffer(0).unwrap();
        buf[..3].copy_from_slice(b"ok\n");
        buf.commit(3).unwrap();
    }
    assert_eq!(
        task.now(adapter::read_line(&mut r, false))
            .unwrap()
            .unwrap(),
        "ok"
    );
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

/// A pipe on a pool of its own whose reader may stay scheduled for up to `max_spin`.
fn spinning(max_spin: Duration) -> (PipeWriter, PipeReader, pipe_core::Pool) {
    let (options, pool) = pipe_testkit::async_pipe_options(64 * 1024, 32 * 1024, 1024);
    let (w, r) = pipe_with(options.max_spin(max_spin)).unwrap();
    (w, r, pool)
}

/// Runs `step` (polls that leave the read pending) until one leaves `task` without a wake of
/// its own: the reader parked. Returns how many steps woke it (stayed scheduled); panics after
/// `cap` of them (a spin that does not end).
fn steps_until_parked(task: &Task, cap: u64, mut step: impl FnMut()) -> u64 {
    let mut spins = 0;
    loop {
        let woken = task.wakes();
        step();
        if task.wakes() == woken {
            return spins;
        }
        spins += 1;
        assert!(spins < cap, "still rescheduling itself after {spins} polls");
    }
}

/// Makes the writer quick in the reader's eyes: the reader parks (its first wait always does)
/// and a commit right after ends the park, well within an hour.
fn park_and_end_it(w: &mut PipeWriter, r: &mut PipeReader, reader: &Task) {
    let before = reader.wakes();
    let mut read = pin!(adapter::read_line(r, false));
    assert!(reader.poll(read.as_mut()).is_pending());
    assert_eq!(reader.wakes(), before, "the wait parked: no wake yet");
    w.write_now(b"first\n").unwrap();
    assert_eq!(
        reader.wakes(),
        before + 1,
        "the commit woke the parked reader"
    );
    assert!(matches!(reader.poll(read), Poll::Ready(Ok(Some(l))) if l == "first"));
}

#[test]
fn a_reader_parks_at_its_first_wait_and_the_commit_wakes_it() {
    // Whatever `max_spin`: nothing is known of the writer yet.
    for max in [
        Duration::ZERO,
        Duration::from_micros(50),
        Duration::from_secs(3600),
    ] {
        let (mut w, mut r, pool) = spinning(max);
        park_and_end_it(&mut w, &mut r, &Task::new());
        drop((w, r));
        assert_eq!(pool.stats().outstanding_chunks, 0);
    }
}

#[test]
fn after_a_quick_writer_a_waiting_reader_stays_scheduled_and_the_writer_wakes_nobody() {
    let (mut w, mut r, pool) = spinning(Duration::from_secs(3600));
    let reader = Task::new();
    park_and_end_it(&mut w, &mut r, &reader);
    let woken = reader.wakes();
    let mut read = Box::pin(adapter::read_line(&mut r, false));
    assert!(reader.poll(read.as_mut()).is_pending());
    assert_eq!(reader.wakes(), woken + 1, "the task woke itself");
    // Bytes that do not finish the line, then the rest: the writer wakes nobody, each poll
    // that finds the line unfinished wakes the task itself.
    w.write_now(b"sec").unwrap();
    assert_eq!(reader.wakes(), woken + 1, "the commit woke nobody");
    assert!(reader.poll(read.as_mut()).is_pending());
    assert_eq!(reader.wakes(), woken + 2, "the task woke itself again");
    w.write_now(b"ond\n").unwrap();
    assert_eq!(reader.wakes(), woken + 2, "the commit woke nobody");
    assert!(matches!(reader.poll(read.as_mut()), Poll::Ready(Ok(Some(l))) if l == "second"));
    drop(read);
    drop((w, r));
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

#[test]
fn with_max_spin_zero_every_wait_parks() {
    let (mut w, mut r, pool) = spinning(Duration::ZERO);
    let reader = Task::new();
    for i in 0..3 {
        let woken = reader.wakes();
        let mut read = pin!(adapter::read_line(&mut r, false));
        assert!(reader.poll(read.as_mut()).is_pending());
        assert_eq!(reader.wakes(), woken, "round {i}: parked, not rescheduled");
        w.write_now(b"x\n").unwrap();
        assert_eq!(reader.wakes(), woken + 1, "round {i}: the commit woke it");
        assert!(matches!(reader.poll(read), Poll::Ready(Ok(Some(l))) if l == "x"));
    }
    drop((w, r));
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

#[test]
fn a_reader_that_stays_scheduled_ends_up_parked_and_a_commit_then_wakes_it() {
    // 1 ms: the writer below is quick (unless this thread stalls that long, when the reader
    // parks at once: the same end). With no more bytes the reader must park, not spin on.
    let (mut w, mut r, pool) = spinning(Duration::from_millis(1));
    let reader = Task::new();
    park_and_end_it(&mut w, &mut r, &reader);
    let mut read = Box::pin(adapter::read_exact(&mut r, 3));
    let polls = steps_until_parked(&reader, 100_000_000, || {
        assert!(reader.poll(read.as_mut()).is_pending());
    });
    let woken = reader.wakes();
    w.write_now(b"end").unwrap();
    assert_eq!(
        reader.wakes(),
        woken + 1,
        "the parked reader is woken by the commit"
    );
    assert!(matches!(reader.poll(read.as_mut()), Poll::Ready(Ok(Some(b))) if b == "end"));
    drop(read);
    if polls > 0 {
        // That wait lasted the whole spell: one spell, then the next wait parks at once.
        let woken = reader.wakes();
        let mut read = pin!(adapter::read_line(&mut r, false));
        assert!(reader.poll(read.as_mut()).is_pending());
        assert_eq!(reader.wakes(), woken, "after a spell the next wait parks");
    }
    drop((w, r));
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

#[test]
fn a_read_dropped_while_it_stays_scheduled_loses_nothing() {
    let (mut w, mut r, pool) = spinning(Duration::from_secs(3600));
    let reader = Task::new();
    park_and_end_it(&mut w, &mut r, &reader);
    for piece in [&b"ab"[..], b"c", b"d\n"] {
        // A read that stays scheduled, dropped at its `Pending`.
        let woken = reader.wakes();
        assert!(
            reader
                .poll(pin!(adapter::read_line(&mut r, false)))
                .is_pending()
        );
        assert_eq!(reader.wakes(), woken + 1, "it woke itself");
        w.write_now(piece).unwrap();
        assert_eq!(reader.wakes(), woken + 1, "the commit woke nobody");
    }
    assert_eq!(
        reader
            .now(adapter::read_line(&mut r, false))
            .unwrap()
            .unwrap(),
        "abcd"
    );
    drop((w, r));
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

#[test]
fn a_reader_that_stays_scheduled_drops_the_waker_an_earlier_park_left() {
    let (mut w, mut r, pool) = spinning(Duration::from_secs(3600));
    let (first, second) = (Task::new(), Task::new());
    // A read parks (first wait) with `first`'s waker and is dropped, its bytes then taken by
    // a parse: the reader went on, and the wait was short.
    w.write_now(b"ab").unwrap();
    assert!(
        first
            .poll(pin!(adapter::read_line(&mut r, false)))
            .is_pending()
    );
    assert_eq!(first.wakes(), 0, "parked");
    r.with_pipe(|pipe| pipe.skip(2));
    // The next wait stays scheduled, with `second`'s task; the commit wakes neither.
    let mut read = Box::pin(adapter::read_line(&mut r, false));
    assert!(second.poll(read.as_mut()).is_pending());
    assert_eq!(second.wakes(), 1, "it woke itself");
    w.write_now(b"c\n").unwrap();
    assert_eq!(first.wakes(), 0, "the waker the park left was dropped");
    assert_eq!(second.wakes(), 1);
    assert!(matches!(second.poll(read.as_mut()), Poll::Ready(Ok(Some(l))) if l == "c"));
    drop(read);
    drop((w, r));
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

#[test]
fn a_writer_slower_than_max_spin_never_makes_the_reader_spin() {
    let (mut w, mut r, pool) = spinning(Duration::from_millis(1));
    let reader = Task::new();
    for round in 0..4 {
        let woken = reader.wakes();
        let mut read = pin!(adapter::read_line(&mut r, false));
        assert!(reader.poll(read.as_mut()).is_pending());
        assert_eq!(reader.wakes(), woken, "round {round}: parked at once");
        // Half a line now and the rest after 3 ms: the wait lasts past `max_spin`, whether
        // the reader looked at the half line (and parked again) or not.
        w.write_now(b"sl").unwrap();
        if round % 2 == 0 {
            assert!(reader.poll(read.as_mut()).is_pending());
        }
        std::thread::sleep(Duration::from_millis(3));
        w.write_now(b"ow\n").unwrap();
        assert!(matches!(reader.poll(read), Poll::Ready(Ok(Some(l))) if l == "slow"));
    }
    drop((w, r));
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

#[test]
fn reads_that_end_at_once_without_new_bytes_do_not_restart_a_spell() {
    // An empty `poll_read_into` between waits neither consumes nor sees new bytes: the wait
    // goes on, so the spell still ends and the reader parks. (50 ms: long enough that no
    // stall of this thread ends a restarted spell by chance.)
    let (mut w, mut r, pool) = spinning(Duration::from_millis(50));
    let reader = Task::new();
    park_and_end_it(&mut w, &mut r, &reader);
    steps_until_parked(&reader, 20_000_000, || {
        let mut cx = Context::from_waker(&reader.waker);
        assert!(matches!(
            r.poll_read_into(&mut cx, &mut []),
            Poll::Ready(Ok(0))
        ));
        assert!(
            reader
                .poll(pin!(adapter::read_line(&mut r, false)))
                .is_pending()
        );
    });
    drop((w, r));
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

/// Waits that park at once before one stays scheduled again, each made by a read that the
/// writer then ends at once; the wait that stays scheduled is left to run out (no bytes come
/// in the spell) and is then ended too.
fn parked_waits_then_a_spell_that_runs_out(
    w: &mut PipeWriter,
    r: &mut PipeReader,
    reader: &Task,
) -> usize {
    let mut parked = 0;
    loop {
        let mut read = Box::pin(adapter::read_line(r, false));
        let woken = reader.wakes();
        assert!(reader.poll(read.as_mut()).is_pending());
        let spun = reader.wakes() > woken;
        if spun {
            let spins = steps_until_parked(reader, 100_000_000, || {
                assert!(reader.poll(read.as_mut()).is_pending());
            });
            assert!(spins < 100_000_000);
        }
        w.write_now(b"x\n").unwrap();
        assert!(matches!(reader.poll(read.as_mut()), Poll::Ready(Ok(Some(l))) if l == "x"));
        if spun {
            return parked;
        }
        parked += 1;
        assert!(parked < 1000, "the reader never stays scheduled again");
    }
}

#[test]
fn spells_that_run_out_make_the_reader_park_for_a_doubling_number_of_waits() {
    // 200 ms: a spell that runs out takes that long, and no stall of this thread (even on a
    // loaded machine) makes a commit right after a park look slow.
    let (mut w, mut r, pool) = spinning(Duration::from_millis(200));
    let reader = Task::new();
    park_and_end_it(&mut w, &mut r, &reader);
    // The first wait spins and runs out; then the cooldown: 1, 2, 4 waits park at once (the
    // first of them also because the wait before lasted the whole spell).
    assert_eq!(
        parked_waits_then_a_spell_that_runs_out(&mut w, &mut r, &reader),
        0
    );
    assert_eq!(
        parked_waits_then_a_spell_that_runs_out(&mut w, &mut r, &reader),
        1
    );
    assert_eq!(
        parked_waits_then_a_spell_that_runs_out(&mut w, &mut r, &reader),
        2
    );
    assert_eq!(
        parked_waits_then_a_spell_that_runs_out(&mut w, &mut r, &reader),
        4
    );
    // A spell that finds the bytes halves it: after 8 waits parked (the cooldown the last
    // spell started), one that stays scheduled and gets its line; then one that runs out
    // starts a cooldown of 8 (the last, 8, halved, then doubled), not 16.
    let mut parked = 0;
    loop {
        let mut read = Box::pin(adapter::read_line(&mut r, false));
        let woken = reader.wakes();
        assert!(reader.poll(read.as_mut()).is_pending());
        let spun = reader.wakes() > woken;
        w.write_now(b"y\n").unwrap();
        assert!(matches!(reader.poll(read.as_mut()), Poll::Ready(Ok(Some(l))) if l == "y"));
        if spun {
            break;
        }
        parked += 1;
        assert!(parked < 1000, "the reader never stays scheduled again");
    }
    assert_eq!(parked, 8);
    assert_eq!(
        parked_waits_then_a_spell_that_runs_out(&mut w, &mut r, &reader),
        0
    );
    assert_eq!(
        parked_waits_then_a_spell_that_runs_out(&mut w, &mut r, &reader),
        8
    );
    drop((w, r));
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

#[test]
fn a_reader_that_stays_scheduled_sees_the_writers_error_then_the_end() {
    // The writer completes with an error, or cleanly, while the reader is spinning: its next
    // poll has the outcome (no waker was stored for the completion to wake).
    for with_error in [true, false] {
        let (mut w, mut r, pool) = spinning(Duration::from_secs(3600));
        let reader = Task::new();
        park_and_end_it(&mut w, &mut r, &reader);
        let mut read = Box::pin(adapter::read_line(&mut r, false));
        let woken = reader.wakes();
        assert!(reader.poll(read.as_mut()).is_pending());
        assert_eq!(reader.wakes(), woken + 1, "it stays scheduled");
        w.write_now(b"half").unwrap();
        if with_error {
            w.complete_with_error(io::Error::other("gone"));
            match reader.poll(read.as_mut()) {
                Poll::Ready(Err(e)) => assert_eq!(e.to_string(), "gone"),
                other => panic!("expected the writer's error, got {other:?}"),
            }
        } else {
            w.complete();
            match reader.poll(read.as_mut()) {
                Poll::Ready(Err(e)) => assert!(pipe_testkit::cases::is_partial(&e, "half")),
                other => panic!("expected the partial line, got {other:?}"),
            }
        }
        drop(read);
        // And then, at once: the error again on a read it cannot serve (as documented), or
        // the end after the partial line was handed over.
        match reader.poll(pin!(adapter::read_line(&mut r, false))) {
            Poll::Ready(Err(e)) if with_error => assert_eq!(e.to_string(), "gone"),
            Poll::Ready(Ok(None)) if !with_error => {}
            other => panic!("with_error {with_error}: got {other:?}"),
        }
        drop(r);
        assert_eq!(pool.stats().outstanding_chunks, 0);
    }
}
