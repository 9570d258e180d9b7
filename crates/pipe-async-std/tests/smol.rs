//! The core behaviours on smol's runtime and sockets (`smol::net`, which speak futures-io):
//! lines, partial at the end, and cancel safety against a timer.

use std::io;
use std::time::Duration;

use futures_util::future::{Either, select};
use futures_util::{StreamExt, pin_mut};
use pipe_async_std::{ChunkedStream, PipeOptions, Pool, PoolConfig, ReadError, read_error_of};
use smol::io::AsyncWriteExt;
use smol::net::{TcpListener, TcpStream};

async fn pair(pool: &Pool) -> (TcpStream, ChunkedStream<TcpStream>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let client = smol::spawn(async move { TcpStream::connect(addr).await.unwrap() });
    let (server, _) = listener.accept().await.unwrap();
    let options = PipeOptions::new().pool(pool.clone());
    (client.await, ChunkedStream::with_options(server, options))
}

#[test]
fn lines_and_partial_at_the_end_on_smol() {
    smol::block_on(async {
        let pool = Pool::new(PoolConfig::default()).unwrap();
        let (mut client, s) = pair(&pool).await;
        client.write_all(b"one\r\ntwo\nthr").await.unwrap();
        drop(client);
        let got: Vec<io::Result<bytes::Bytes>> = s.lines(false).collect().await;
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].as_ref().unwrap(), "one");
        assert_eq!(got[1].as_ref().unwrap(), "two");
        let err = got[2].as_ref().unwrap_err();
        assert!(matches!(read_error_of(err), Some(ReadError::Partial(rest)) if rest == "thr"));
        drop(got);
        assert_eq!(pool.stats().outstanding_chunks, 0);
    });
}

#[test]
fn reads_are_cancel_safe_on_smol() {
    smol::block_on(async {
        let pool = Pool::new(PoolConfig::default()).unwrap();
        let (mut client, mut s) = pair(&pool).await;
        let sent = pipe_testkit::faults::lines(3, 2000);
        let data = sent.clone();
        let writer = smol::spawn(async move {
            let mut rest = &data[..];
            let mut k = 0u64;
            while !rest.is_empty() {
                k += 1;
                let n = (1 + (k * 7919 % 300) as usize).min(rest.len());
                client.write_all(&rest[..n]).await.unwrap();
                rest = &rest[n..];
                if k.is_multiple_of(4) {
                    smol::Timer::after(Duration::from_micros(k * 13 % 2000)).await;
                }
            }
        });
        let mut got = Vec::new();
        let mut cancelled = 0;
        loop {
            let read = s.read_line(true);
            let timer = smol::Timer::after(Duration::from_micros(100));
            pin_mut!(read, timer);
            match select(read, timer).await {
                Either::Left((Ok(Some(line)), _)) => got.extend_from_slice(&line),
                Either::Left((Ok(None), _)) => break,
                Either::Left((Err(e), _)) => panic!("{e}"),
                Either::Right(_) => cancelled += 1,
            }
        }
        writer.await;
        assert_eq!(got, sent);
        assert!(cancelled > 10, "the timer must win often: {cancelled}");
        drop(s);
        assert_eq!(pool.stats().outstanding_chunks, 0);
    });
}
