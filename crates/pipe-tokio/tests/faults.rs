//! A transport that injects short reads, short writes, `Pending`, `Interrupted`, `WouldBlock`
//! and errors at random points: every byte arrives once and in order, or the error surfaces; no
//! panic; the pool's chunks all come back when the stream drops.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use pipe_tokio::{ChunkedStream, PipeOptions, Pool, PoolConfig, ReadError, read_error_of};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Delivers `data` (then the end, or `error` after `fail_at` bytes) in the worst ways allowed.
struct Faulty {
    data: Vec<u8>,
    pos: usize,
    fail_at: Option<usize>,
    rng: Rng,
    written: Vec<u8>,
}

impl Faulty {
    fn new(data: Vec<u8>, fail_at: Option<usize>, seed: u64) -> Self {
        Faulty {
            data,
            pos: 0,
            fail_at,
            rng: Rng(seed),
            written: Vec::new(),
        }
    }

    /// A random hiccup, or `None` to go on.
    fn hiccup<T>(&mut self, cx: &mut Context<'_>) -> Option<Poll<io::Result<T>>> {
        match self.rng.below(10) {
            0 | 1 => {
                cx.waker().wake_by_ref();
                Some(Poll::Pending)
            }
            2 => Some(Poll::Ready(Err(io::ErrorKind::Interrupted.into()))),
            3 => Some(Poll::Ready(Err(io::ErrorKind::WouldBlock.into()))),
            _ => None,
        }
    }
}

impl AsyncRead for Faulty {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(h) = self.hiccup(cx) {
            return h;
        }
        let end = self.fail_at.unwrap_or(self.data.len());
        if self.pos == end && self.fail_at.is_some() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "injected reset",
            )));
        }
        let short = 1 + self.rng.below(40) as usize;
        let n = short.min(end - self.pos).min(buf.remaining());
        let from = self.pos;
        buf.put_slice(&self.data[from..from + n]);
        self.pos += n;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Faulty {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(h) = self.hiccup(cx) {
            return h;
        }
        let n = (1 + self.rng.below(7) as usize).min(buf.len());
        self.written.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if let Some(h) = self.hiccup(cx) {
            return h;
        }
        // Takes a random prefix across slices: partial writes in the middle of a slice.
        let mut budget = 1 + self.rng.below(50) as usize;
        let mut n = 0;
        for b in bufs {
            let k = b.len().min(budget);
            self.written.extend_from_slice(&b[..k]);
            n += k;
            budget -= k;
            if budget == 0 {
                break;
            }
        }
        Poll::Ready(Ok(n))
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

fn lines(seed: u64, count: usize) -> Vec<u8> {
    let mut rng = Rng(seed);
    let mut out = Vec::new();
    for _ in 0..count {
        let len = rng.below(100) as usize;
        out.extend((0..len).map(|_| b"xyz\r-"[rng.below(5) as usize]));
        out.push(b'\n');
    }
    out
}

fn stream(t: Faulty, pool: &Pool) -> ChunkedStream<Faulty> {
    ChunkedStream::with_options(
        t,
        PipeOptions {
            pool: pool.clone(),
            chunk_size: 4096,
            max_chunk: 4096,
            ..PipeOptions::default()
        },
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
        s.write_vectored_all(&mut slices).await.unwrap();
        s.write_all(b"end").await.unwrap();
        let (t, _) = s.into_inner();
        let want: Vec<u8> = parts.concat().into_iter().chain(*b"end").collect();
        assert_eq!(t.written, want, "seed {seed}");
    }
}
