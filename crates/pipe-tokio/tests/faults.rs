//! A transport that injects short reads, short writes, `Pending`, `Interrupted`, `WouldBlock`
//! and errors at random points: every byte arrives once and in order, or the error surfaces; no
//! panic; the pool's chunks all come back when the stream drops.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pipe_testkit::faults;
use pipe_tokio::{ChunkedStream, PipeOptions, Pool, PoolConfig, ReadError, read_error_of};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The shared misbehaving transport, as a tokio transport.
struct Faulty(faults::Faulty);

impl Faulty {
    fn new(data: Vec<u8>, fail_at: Option<usize>, seed: u64) -> Self {
        Faulty(faults::Faulty::new(data, fail_at, seed))
    }
}

impl AsyncRead for Faulty {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = ready!(self.0.poll_read(cx, buf.initialize_unfilled()))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
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

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

use faults::lines;

fn stream(t: Faulty, pool: &Pool) -> ChunkedStream<Faulty> {
    ChunkedStream::with_options(
        t,
        PipeOptions::new()
            .pool(pool.clone())
            .chunk_size(4096)
            .max_chunk(4096),
    )
}

#[tokio::test]
async fn every_byte_arrives_once_and_in_order() {
    for seed in 1..40 {
        let pool = Pool::new(PoolConfig::default()).unwrap();
        let data = lines(seed, 300);
        let mut s = stream(Faulty::new(data.clone(), None, seed), &pool);
        let mut got = Vec::new();
        // Mix read kinds: lines, frames, exact counts.
        let mut turn = 0u32;
        loop {
            turn += 1;
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
        assert_eq!(pool.stats().outstanding_chunks, 0, "seed {seed}");
    }
}

#[tokio::test]
async fn an_error_surfaces_after_the_bytes_before_it() {
    for seed in 1..40 {
        let pool = Pool::new(PoolConfig::default()).unwrap();
        let data = lines(seed, 100);
        let fail_at = (seed as usize * 131) % data.len();
        let mut s = stream(Faulty::new(data.clone(), Some(fail_at), seed), &pool);
        let mut got = Vec::new();
        let err = loop {
            match s.read_line(true).await {
                Ok(Some(line)) => got.extend_from_slice(&line),
                Ok(None) => panic!("seed {seed}: ended cleanly before the injected error"),
                Err(e) => break e,
            }
        };
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "seed {seed}");
        // Every complete line before the failure point was delivered, in order.
        let complete = data[..fail_at]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        assert_eq!(got, &data[..complete], "seed {seed}");
        // The partial line is still there, and the same error comes again.
        assert_eq!(s.buffered(), fail_at - complete);
        assert_eq!(
            s.read_line(true).await.unwrap_err().kind(),
            io::ErrorKind::ConnectionReset
        );
        drop(s);
        assert_eq!(pool.stats().outstanding_chunks, 0, "seed {seed}");
    }
}

#[tokio::test]
async fn reads_dropped_after_one_poll_lose_nothing() {
    use futures_util::FutureExt;
    for seed in 1..20 {
        let pool = Pool::new(PoolConfig::default()).unwrap();
        let data = lines(seed, 200);
        let mut s = stream(Faulty::new(data.clone(), None, seed), &pool);
        let mut got = Vec::new();
        let mut dropped = 0;
        loop {
            // Poll once; if not ready, drop the future (a cancellation) and start over.
            let polled = s.read_line(true).now_or_never();
            match polled {
                None => {
                    dropped += 1;
                    tokio::task::yield_now().await;
                }
                Some(Ok(Some(line))) => got.extend_from_slice(&line),
                Some(Ok(None)) => break,
                Some(Err(e)) => panic!("seed {seed}: {e}"),
            }
        }
        assert_eq!(got, data, "seed {seed}");
        assert!(dropped > 0);
        drop(s);
        assert_eq!(pool.stats().outstanding_chunks, 0);
    }
}

#[tokio::test]
async fn vectored_writes_survive_short_writes() {
    for seed in 1..40 {
        let mut s = ChunkedStream::new(Faulty::new(Vec::new(), None, seed));
        let parts: Vec<Vec<u8>> = (0..50u8).map(|i| vec![i; (i as usize * 7) % 23]).collect();
        let mut slices: Vec<IoSlice<'_>> = parts.iter().map(|p| IoSlice::new(p)).collect();
        s.write_vectored_all(&mut &mut slices[..]).await.unwrap();
        s.write_all(b"end").await.unwrap();
        let (t, _) = s.into_inner();
        let want: Vec<u8> = parts.concat().into_iter().chain(*b"end").collect();
        assert_eq!(t.0.written, want, "seed {seed}");
    }
}

#[tokio::test]
async fn batch_line_reads_deliver_every_line_even_when_dropped() {
    use futures_util::FutureExt;
    for seed in 1..30 {
        let pool = Pool::new(PoolConfig::default()).unwrap();
        let data = lines(seed, 200);
        let mut s = stream(Faulty::new(data.clone(), None, seed), &pool);
        let mut got = Vec::new();
        loop {
            // Every other attempt is polled once and dropped if not ready.
            let n = if seed % 2 == 0 {
                match s
                    .read_lines_with(true, |l| got.extend_from_slice(l))
                    .now_or_never()
                {
                    Some(n) => n.unwrap(),
                    None => continue,
                }
            } else {
                s.read_lines_with(true, |l| got.extend_from_slice(l))
                    .await
                    .unwrap()
            };
            if n == 0 {
                break;
            }
        }
        assert_eq!(got, data, "seed {seed}");
        drop(s);
        assert_eq!(pool.stats().outstanding_chunks, 0);
    }
}
