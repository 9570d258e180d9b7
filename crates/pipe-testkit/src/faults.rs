//! A transport that misbehaves in every way an async reader or writer must survive: short
//! reads and writes, `Pending` (with a wake-up), `Interrupted`, `WouldBlock`, and optionally a
//! reset after a given number of bytes ([`Faulty`]); a scripted one that delivers a fixed number
//! of bytes a read ([`Script`]). Both are tokio and futures-io readers, and `Faulty` a writer
//! too (the traits only, no runtime): every adapter's tests wrap them in its `ChunkedStream`.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// Delivers `data` (then the end, or a `ConnectionReset` after `fail_at` bytes) and records what
/// is written, with pseudo-random hiccups from `seed`.
#[derive(Debug)]
pub struct Faulty {
    data: Vec<u8>,
    pos: usize,
    fail_at: Option<usize>,
    state: u64,
    /// Everything written to the transport, in order.
    pub written: Vec<u8>,
    /// Calls of the write traits' `poll_write` (one slice) that wrote bytes.
    pub plain_writes: usize,
    /// Calls of the write traits' `poll_write_vectored` that wrote bytes.
    pub vectored_writes: usize,
}

impl Faulty {
    /// A transport that delivers `data`, failing after `fail_at` bytes if given.
    pub fn new(data: Vec<u8>, fail_at: Option<usize>, seed: u64) -> Self {
        Faulty {
            data,
            pos: 0,
            fail_at,
            state: seed | 1,
            written: Vec::new(),
            plain_writes: 0,
            vectored_writes: 0,
        }
    }

    fn below(&mut self, n: u64) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state % n
    }

    /// A random hiccup, or `None` to go on.
    fn hiccup<T>(&mut self, cx: &mut Context<'_>) -> Option<Poll<io::Result<T>>> {
        match self.below(10) {
            0 | 1 => {
                cx.waker().wake_by_ref();
                Some(Poll::Pending)
            }
            2 => Some(Poll::Ready(Err(io::ErrorKind::Interrupted.into()))),
            3 => Some(Poll::Ready(Err(io::ErrorKind::WouldBlock.into()))),
            _ => None,
        }
    }

    /// A read of at most 40 bytes into `buf`, or a hiccup, the end or the injected reset.
    pub fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
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
        let n = (1 + self.below(40) as usize)
            .min(end - self.pos)
            .min(buf.len());
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Poll::Ready(Ok(n))
    }

    /// A write of a random prefix (possibly across slices), or a hiccup.
    pub fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if let Some(h) = self.hiccup(cx) {
            return h;
        }
        let mut budget = 1 + self.below(50) as usize;
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
}

/// Lines of 0..100 bytes from a small alphabet (with `\r` and `-` in it), each ending in `\n`.
pub fn lines(seed: u64, count: usize) -> Vec<u8> {
    let mut rng = Faulty::new(Vec::new(), None, seed);
    let mut out = Vec::new();
    for _ in 0..count {
        let len = rng.below(100) as usize;
        out.extend((0..len).map(|_| b"xyz\r-"[rng.below(5) as usize]));
        out.push(b'\n');
    }
    out
}

/// Delivers `data` `step` bytes a read, `Pending` (with a wake-up) before each piece, then the
/// end or, with `reset`, a `ConnectionReset`. Read-only.
#[derive(Debug)]
pub struct Script {
    data: Vec<u8>,
    pos: usize,
    step: usize,
    reset: bool,
    flip: bool,
}

impl Script {
    /// A transport that delivers `data` `step` bytes a read, then the end or a reset.
    pub fn new(data: Vec<u8>, step: usize, reset: bool) -> Self {
        Script {
            data,
            pos: 0,
            step,
            reset,
            flip: false,
        }
    }

    /// `Pending` (with a wake-up) every other call; otherwise the next piece, the end or the
    /// reset.
    pub fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.flip = !self.flip;
        if self.flip {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if self.pos == self.data.len() && self.reset {
            return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
        }
        let n = self.step.min(self.data.len() - self.pos).min(buf.len());
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Poll::Ready(Ok(n))
    }
}

/// The tokio and futures-io `AsyncRead` impls of a transport type with an inherent `poll_read`.
macro_rules! read_traits {
    ($t:ty) => {
        impl tokio::io::AsyncRead for $t {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                let n = ready!(self.get_mut().poll_read(cx, buf.initialize_unfilled()))?;
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
        }

        impl futures_io::AsyncRead for $t {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                self.get_mut().poll_read(cx, buf)
            }
        }
    };
}

read_traits!(Faulty);
read_traits!(Script);
pub(crate) use read_traits;

/// The methods tokio's and futures-io's `AsyncWrite` have alike, through the inherent
/// `poll_write_vectored`; flushing does nothing.
macro_rules! write_methods {
    () => {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let this = self.get_mut();
            let n = ready!(this.poll_write_vectored(cx, &[IoSlice::new(buf)]))?;
            this.plain_writes += 1;
            Poll::Ready(Ok(n))
        }

        fn poll_write_vectored(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            let this = self.get_mut();
            let n = ready!(this.poll_write_vectored(cx, bufs))?;
            this.vectored_writes += 1;
            Poll::Ready(Ok(n))
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    };
}

impl tokio::io::AsyncWrite for Faulty {
    write_methods!();

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl futures_io::AsyncWrite for Faulty {
    write_methods!();

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
