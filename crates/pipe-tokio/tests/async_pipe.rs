//! The in-process pipe between two tokio tasks on a multi-threaded runtime: data through intact
//! under backpressure, frames larger than the pause threshold, completion and errors both ways,
//! cancel safety, the `AsyncRead`/`AsyncWrite` impls, and the pool back to zero.

use std::io;
use std::time::Duration;

use pipe_testkit::faults::lines;
use pipe_tokio::{PipeReader, PipeWriter, Pool};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PAUSE: usize = 64 * 1024;

fn setup(max_frame: usize) -> (PipeWriter, PipeReader, Pool) {
    let (options, pool) = pipe_testkit::async_pipe_options(PAUSE, PAUSE / 2, max_frame);
    let (w, r) = pipe_tokio::pipe_with(options).unwrap();
    (w, r, pool)
}

/// Writes `data` by filling pooled buffers in place, in pieces of up to `piece` bytes, flushing
/// after each; checks that a flush never returns with `pause` bytes or more unread.
async fn fill_and_flush(w: &mut PipeWriter, data: &[u8], piece: usize) -> io::Result<()> {
    for part in data.chunks(piece) {
        {
            // The buffer holds the pipe's lock: fill it in a block of its own, with no await.
            let mut buf = w.get_buffer(part.len())?;
            buf[..part.len()].copy_from_slice(part);
            buf.commit(part.len())?;
        }
        w.flush().await?;
        assert!(
            w.unread() < PAUSE + part.len(),
            "{} unread after a flush",
            w.unread()
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_between_two_tasks_arrive_intact_under_backpressure() {
    let (mut w, mut r, pool) = setup(64 * 1024);
    let data = lines(11, 200_000);
    let expected = data.clone();
    let writer = tokio::spawn(async move {
        fill_and_flush(&mut w, &data, 1000).await.unwrap();
        w.complete();
    });
    let mut got = Vec::with_capacity(expected.len());
    let mut max_buffered = 0;
    loop {
        max_buffered = max_buffered.max(r.buffered());
        let n = r
            .read_lines_with(true, |line| got.extend_from_slice(line))
            .await
            .unwrap();
        if n == 0 {
            break;
        }
    }
    writer.await.unwrap();
    assert_eq!(got, expected);
    // The writer pauses at 64 KiB; one 1,000-byte piece may land after a flush that saw less.
    assert!(max_buffered < PAUSE + 1000, "{max_buffered} buffered");
    drop(r);
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_larger_than_the_pause_threshold_do_not_deadlock() {
    let (mut w, mut r, pool) = setup(2 << 20);
    let frame: Vec<u8> = (0..(1 << 20)).map(|i| b'a' + (i % 26) as u8).collect();
    let mut data = Vec::new();
    for _ in 0..8 {
        data.extend_from_slice(&frame);
        data.extend_from_slice(b"\r\n");
    }
    let writer = tokio::spawn(async move {
        fill_and_flush_unchecked(&mut w, &data, 16 * 1024)
            .await
            .unwrap();
        w.complete();
    });
    let reading = async {
        for _ in 0..8 {
            let got = r.read_until(b"\r\n", false).await.unwrap().unwrap();
            assert!(got == frame[..]);
        }
        assert_eq!(r.read_line(true).await.unwrap(), None);
    };
    tokio::time::timeout(Duration::from_secs(30), reading)
        .await
        .expect("reader and writer deadlocked");
    writer.await.unwrap();
    drop(r);
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

async fn fill_and_flush_unchecked(w: &mut PipeWriter, data: &[u8], piece: usize) -> io::Result<()> {
    for part in data.chunks(piece) {
        w.write_now(part)?;
        w.flush().await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_goes_fails_a_waiting_writer() {
    let (mut w, r, pool) = setup(64 * 1024);
    let writer = tokio::spawn(async move {
        let piece = vec![b'x'; 4096];
        loop {
            if let Err(e) = w.write_all(&piece).await {
                return e;
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    r.complete();
    let err = tokio::time::timeout(Duration::from_secs(10), writer)
        .await
        .expect("the writer was not woken")
        .unwrap();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_error_reaches_a_waiting_reader() {
    let (mut w, mut r, _) = setup(64 * 1024);
    let reader = tokio::spawn(async move {
        let first = r.read_line(false).await;
        let second = r.read_line(false).await;
        (first, second)
    });
    w.write_all(b"first\nsecond without end").await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    w.complete_with_error(io::Error::new(
        io::ErrorKind::TimedOut,
        "upstream timed out",
    ));
    let (first, second) = reader.await.unwrap();
    assert_eq!(first.unwrap().unwrap(), "first");
    assert_eq!(second.unwrap_err().kind(), io::ErrorKind::TimedOut);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_cancelled_by_a_timer_lose_nothing() {
    let (mut w, mut r, _) = setup(64 * 1024);
    let data = lines(5, 2_000);
    let expected = data.clone();
    let writer = tokio::spawn(async move {
        // Small pieces and pauses longer than the reader's timer: reads are often cut short.
        for (i, part) in data.chunks(7).enumerate() {
            w.write_all(part).await.unwrap();
            if i % 50 == 0 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    });
    let mut got = Vec::new();
    let mut cancelled = 0;
    loop {
        tokio::select! {
            line = r.read_line(true) => match line.unwrap() {
                Some(line) => got.extend_from_slice(&line),
                None => break,
            },
            _ = tokio::time::sleep(Duration::from_micros(500)) => cancelled += 1,
        }
    }
    writer.await.unwrap();
    assert_eq!(got, expected);
    assert!(
        cancelled > 0,
        "the timer never won: the test did not test cancellation"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_halves_are_tokio_async_read_and_write() {
    let (mut w, mut r, pool) = setup(64 * 1024);
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let expected = data.clone();
    let writer = tokio::spawn(async move {
        let mut source = &data[..];
        tokio::io::copy(&mut source, &mut w).await.unwrap();
        AsyncWriteExt::shutdown(&mut w).await.unwrap();
        // After shutdown the writer is complete.
        assert_eq!(
            AsyncWriteExt::write(&mut w, b"late")
                .await
                .unwrap_err()
                .kind(),
            io::ErrorKind::BrokenPipe
        );
    });
    let mut got = Vec::new();
    AsyncReadExt::read_to_end(&mut r, &mut got).await.unwrap();
    writer.await.unwrap();
    assert!(got == expected);
    drop(r);
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

/// Issue 14's scenario, 200 times on two workers: a writer `write_all`s a 1 MiB line and then
/// `"\nnext\n"`; the reader gets the limit error, discards through the `\n`, reads `next`. Once
/// a lost wake-up (the reader's "room made" wake overwrote the one it had just taken for the
/// writer) left both tasks asleep in about one run of four.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discarding_a_line_over_the_limit_never_deadlocks_with_a_paused_writer() {
    let line = vec![b'x'; 1 << 20];
    for run in 0..200 {
        let (mut w, mut r, pool) = setup(PAUSE);
        let data = line.clone();
        let writer = tokio::spawn(async move {
            w.write_all(&data).await.unwrap();
            w.write_all(b"\nnext\n").await.unwrap();
        });
        let reader = async {
            let err = r.read_line(false).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
            assert_eq!(r.discard_until(b"\n").await.unwrap(), (1 << 20) + 1);
            assert_eq!(r.read_line(false).await.unwrap().unwrap(), "next");
            assert_eq!(r.read_line(false).await.unwrap(), None);
        };
        tokio::time::timeout(Duration::from_secs(30), reader)
            .await
            .unwrap_or_else(|_| panic!("run {run}: the reader and the writer both wait"));
        writer.await.unwrap();
        drop(r);
        assert_eq!(pool.stats().outstanding_chunks, 0);
    }
}

/// With tokio's `AsyncReadExt`/`AsyncWriteExt` in scope (this file imports them), the halves'
/// own methods are the ones called: `read_exact(3)` is the pipe's, not the trait's.
#[tokio::test]
async fn the_halves_own_methods_win_over_tokios_extension_traits() {
    let (mut w, mut r, pool) = setup(PAUSE);
    w.write_all(b"abcdef").await.unwrap();
    assert_eq!(r.read_exact(3).await.unwrap().unwrap(), "abc");
    let mut buf = [0u8; 3];
    AsyncReadExt::read_exact(&mut r, &mut buf).await.unwrap();
    assert_eq!(&buf, b"def");
    w.flush().await.unwrap();
    drop((w, r));
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

/// `read_exact(0)` is an empty frame at once, mid-stream and after the writer is gone, as its
/// documentation says.
#[tokio::test]
async fn a_zero_byte_exact_read_is_an_empty_frame_even_at_the_end() {
    let (mut w, mut r, pool) = setup(PAUSE);
    w.write_all(b"ab").await.unwrap();
    assert_eq!(r.read_exact(0).await.unwrap().unwrap(), "");
    drop(w);
    assert_eq!(r.read_exact(2).await.unwrap().unwrap(), "ab");
    assert_eq!(r.read_exact(1).await.unwrap(), None);
    assert_eq!(r.read_exact(0).await.unwrap().unwrap(), "");
    drop(r);
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

#[test]
fn streams_and_halves_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<pipe_tokio::ChunkedStream<tokio::net::TcpStream>>();
    send_sync::<PipeReader>();
    send_sync::<PipeWriter>();
}
