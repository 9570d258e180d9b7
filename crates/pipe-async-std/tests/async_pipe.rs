//! The in-process pipe between async-std tasks and on smol: the futures-io `AsyncRead` and
//! `AsyncWrite` impls, lines under backpressure, completion both ways.

use std::io;

use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use pipe_async_std::{AsyncPipeOptions, PipeOptions, Pool, PoolConfig, pipe_with};
use pipe_testkit::faults::lines;

fn options(pool: &Pool) -> AsyncPipeOptions {
    AsyncPipeOptions::new()
        .pipe(PipeOptions::new().pool(pool.clone()))
        .pause(16 * 1024)
        .resume(4 * 1024)
}

#[async_std::test]
async fn futures_io_copy_through_the_pipe() {
    let pool = Pool::new(PoolConfig::default()).unwrap();
    let (mut w, mut r) = pipe_with(options(&pool)).unwrap();
    let data: Vec<u8> = (0..2_000_000u32).map(|i| (i % 253) as u8).collect();
    let expected = data.clone();
    let writer = async_std::task::spawn(async move {
        futures_util::io::copy(&mut &data[..], &mut w)
            .await
            .unwrap();
        w.close().await.unwrap();
        assert_eq!(
            w.write(b"late").await.unwrap_err().kind(),
            io::ErrorKind::BrokenPipe
        );
    });
    let mut got = Vec::new();
    AsyncReadExt::read_to_end(&mut r, &mut got).await.unwrap();
    writer.await;
    assert!(got == expected);
    drop(r);
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

#[async_std::test]
async fn lines_between_tasks_and_the_reader_going() {
    let pool = Pool::new(PoolConfig::default()).unwrap();
    let (mut w, mut r) = pipe_with(options(&pool)).unwrap();
    let data = lines(3, 50_000);
    let expected = data.clone();
    let writer = async_std::task::spawn(async move {
        // futures' `write_all` (in scope): each `poll_write` waits out backpressure.
        for part in data.chunks(500) {
            w.write_all(part).await.unwrap();
        }
        // The reader stops after the data: the next flush that has to wait finds it gone.
        let piece = [b'x'; 1024];
        loop {
            if let Err(e) = w.write_all(&piece).await {
                return e;
            }
        }
    });
    let mut got = Vec::new();
    while got.len() < expected.len() {
        r.read_lines_with(true, |line| got.extend_from_slice(line))
            .await
            .unwrap();
    }
    assert_eq!(&got[..expected.len()], &expected[..]);
    drop(r);
    assert_eq!(writer.await.kind(), io::ErrorKind::BrokenPipe);
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

#[test]
fn on_smol_a_writer_error_reaches_the_reader() {
    smol::block_on(async {
        let pool = Pool::new(PoolConfig::default()).unwrap();
        let (mut w, mut r) = pipe_with(options(&pool)).unwrap();
        let reader = smol::spawn(async move {
            let line = r.read_line(false).await.unwrap().unwrap();
            (line, r.read_line(false).await.unwrap_err().kind())
        });
        w.write_now(b"one\ntw").unwrap();
        w.complete_with_error(io::Error::new(io::ErrorKind::ConnectionReset, "gone"));
        let (line, kind) = reader.await;
        assert_eq!(line, "one");
        assert_eq!(kind, io::ErrorKind::ConnectionReset);
    });
}
