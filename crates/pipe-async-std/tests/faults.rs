//! The shared misbehaving transport (short reads and writes, `Pending`, `Interrupted`,
//! `WouldBlock`, resets) as a futures-io transport: every byte arrives once and in order, or
//! the error surfaces; the pool's chunks all come back.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use pipe_async_std::{ChunkedStream, PipeOptions, Pool, PoolConfig, ReadError, read_error_of};
use pipe_testkit::faults::{self, lines};

struct Faulty(faults::Faulty);

impl AsyncRead for Faulty {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.0.poll_read(cx, buf)
    }
}

impl AsyncWrite for Faulty {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.0.poll_write_vectored(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.0.poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

fn stream(data: Vec<u8>, fail_at: Option<usize>, seed: u64, pool: &Pool) -> ChunkedStream<Faulty> {
    let options = PipeOptions::new()
        .pool(pool.clone())
        .chunk_size(4096)
        .max_chunk(4096);
    ChunkedStream::with_options(Faulty(faults::Faulty::new(data, fail_at, seed)), options)
}

#[test]
fn every_byte_arrives_once_and_in_order() {
    async_std::task::block_on(async {
        for seed in 1..40 {
            let pool = Pool::new(PoolConfig::default()).unwrap();
            let data = lines(seed, 300);
            let mut s = stream(data.clone(), None, seed, &pool);
            let mut got = Vec::new();
            for turn in 0u32.. {
                let r = match turn % 3 {
                    0 => s.read_line(true).await,
                    1 => s.read_until(b"\r-", true).await,
                    _ => s.read_exact(7).await,
                };
                match r {
                    Ok(Some(frame)) => got.extend_from_slice(&frame),
                    Ok(None) => break,
                    Err(e) => match read_error_of(&e) {
                        Some(ReadError::Partial(rest)) => got.extend_from_slice(rest),
                        _ => panic!("seed {seed}: {e}"),
                    },
                }
            }
            assert_eq!(got, data, "seed {seed}");
            drop(s);
            assert_eq!(pool.stats().outstanding_chunks, 0);
        }
    });
}

#[test]
fn an_error_surfaces_after_the_bytes_before_it() {
    async_std::task::block_on(async {
        for seed in 1..40 {
            let pool = Pool::new(PoolConfig::default()).unwrap();
            let data = lines(seed, 100);
            let fail_at = (seed as usize * 131) % data.len();
            let mut s = stream(data.clone(), Some(fail_at), seed, &pool);
            let mut got = Vec::new();
            let err = loop {
                match s.read_line(true).await {
                    Ok(Some(line)) => got.extend_from_slice(&line),
                    Ok(None) => panic!("seed {seed}: a clean end before the injected error"),
                    Err(e) => break e,
                }
            };
            assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
            let complete = data[..fail_at]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            assert_eq!(got, &data[..complete], "seed {seed}");
            assert_eq!(s.buffered(), fail_at - complete);
            drop(s);
            assert_eq!(pool.stats().outstanding_chunks, 0);
        }
    });
}

#[test]
fn vectored_writes_survive_short_writes() {
    async_std::task::block_on(async {
        for seed in 1..40 {
            let pool = Pool::new(PoolConfig::default()).unwrap();
            let mut s = stream(Vec::new(), None, seed, &pool);
            let parts: Vec<Vec<u8>> = (0..50u8).map(|i| vec![i; (i as usize * 7) % 23]).collect();
            let mut slices: Vec<IoSlice<'_>> = parts.iter().map(|p| IoSlice::new(p)).collect();
            s.write_vectored_all(&mut &mut slices[..]).await.unwrap();
            s.write_all(b"end").await.unwrap();
            let (t, _) = s.into_inner();
            let want: Vec<u8> = parts.concat().into_iter().chain(*b"end").collect();
            assert_eq!(t.0.written, want, "seed {seed}");
        }
    });
}

#[test]
fn batch_line_reads_deliver_every_line() {
    async_std::task::block_on(async {
        for seed in 1..30 {
            let pool = Pool::new(PoolConfig::default()).unwrap();
            let data = lines(seed, 200);
            let mut s = stream(data.clone(), None, seed, &pool);
            let mut got = Vec::new();
            while s
                .read_lines_with(true, |l| got.extend_from_slice(l))
                .await
                .unwrap()
                > 0
            {}
            assert_eq!(got, data, "seed {seed}");
            drop(s);
            assert_eq!(pool.stats().outstanding_chunks, 0);
        }
    });
}
