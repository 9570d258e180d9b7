//! `pipe_tokio::ChunkedStream` over an in-memory transport that delivers the input with
//! arbitrary chunking, `Pending`, `Interrupted`, short writes and (optionally) an error, on a
//! current-thread runtime. The lines read must be exactly the lines written (or the error must
//! surface after every complete line before it), and the pool must end balanced.
//!
//! Input: byte 0 seeds the transport's choices, byte 1 picks whether and where it fails, the
//! rest is the stream (lines end in `\n`).
#![no_main]

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use chunk_pool::{Pool, PoolConfig};
use libfuzzer_sys::fuzz_target;
use pipe_core::{PipeOptions, UNLIMITED};
use pipe_tokio::ChunkedStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

struct Script {
    data: Vec<u8>,
    pos: usize,
    fail_at: Option<usize>,
    state: u32,
    written: Vec<u8>,
}

impl Script {
    fn next(&mut self, n: u32) -> u32 {
        self.state = self.state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        (self.state >> 8) % n
    }

    fn hiccup<T>(&mut self, cx: &mut Context<'_>) -> Option<Poll<io::Result<T>>> {
        match self.next(8) {
            0 => {
                cx.waker().wake_by_ref();
                Some(Poll::Pending)
            }
            1 => Some(Poll::Ready(Err(io::ErrorKind::Interrupted.into()))),
            _ => None,
        }
    }
}

impl AsyncRead for Script {
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
            return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
        }
        let n = (1 + self.next(64) as usize)
            .min(end - self.pos)
            .min(buf.remaining());
        let from = self.pos;
        buf.put_slice(&self.data[from..from + n]);
        self.pos += n;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Script {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(h) = self.hiccup(cx) {
            return h;
        }
        let n = (1 + self.next(16) as usize).min(buf.len());
        self.written.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

fuzz_target!(|input: &[u8]| {
    let [seed, fail, data @ ..] = input else {
        return;
    };
    let fail_at = (*fail & 1 == 1).then(|| *fail as usize % (data.len() + 1));
    let pool = Pool::new(PoolConfig::new().min_chunk(64)).expect("a valid config");
    let script = Script {
        data: data.to_vec(),
        pos: 0,
        fail_at,
        state: *seed as u32,
        written: Vec::new(),
    };
    let options = PipeOptions::new()
        .pool(pool.clone())
        .max_frame(UNLIMITED)
        .chunk_size(64)
        .max_chunk(256);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let mut stream = ChunkedStream::with_options(script, options);
        let delivered = &data[..fail_at.unwrap_or(data.len())];
        let mut got = Vec::new();
        loop {
            match stream.read_line(true).await {
                Ok(Some(line)) => got.extend_from_slice(&line),
                Ok(None) => break,
                Err(e) => match pipe_tokio::read_error_of(&e) {
                    Some(pipe_core::ReadError::Partial(rest)) => got.extend_from_slice(rest),
                    _ => {
                        assert!(fail_at.is_some(), "an error without a failure: {e}");
                        assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
                        // Every complete line before the failure arrived; the rest is buffered.
                        got.extend_from_slice(
                            &stream
                                .pipe_mut()
                                .read_at_most(usize::MAX)
                                .unwrap_or_default(),
                        );
                        break;
                    }
                },
            }
        }
        assert_eq!(got, delivered);
        // Writes: everything arrives once, in order, through short writes.
        let parts: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
        let mut slices: Vec<IoSlice<'_>> = parts.iter().map(|p| IoSlice::new(p)).collect();
        stream
            .write_vectored_all(&mut &mut slices[..])
            .await
            .expect("the writer does not fail");
        let (script, pipe) = stream.into_inner();
        assert_eq!(script.written, parts.concat());
        drop(pipe);
    });
    let s = pool.stats();
    assert_eq!(s.outstanding_chunks, 0, "{s:?}");
});
