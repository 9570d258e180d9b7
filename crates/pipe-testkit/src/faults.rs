//! A transport that misbehaves in every way an async reader or writer must survive: short
//! reads and writes, `Pending` (with a wake-up), `Interrupted`, `WouldBlock`, and optionally a
//! reset after a given number of bytes. Runtime-free: the tokio and futures-io test suites wrap
//! it in their own traits.

use std::io::{self, IoSlice};
use std::task::{Context, Poll};

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
