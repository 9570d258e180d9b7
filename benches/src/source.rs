//! An in-memory byte source that hands out at most `piece` bytes per read, for `std::io::Read`,
//! tokio's `AsyncRead` and futures-io's `AsyncRead` alike, so every reader sees the same
//! delivery pattern (a socket that returns 16 KiB per read).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Delivers `data` in pieces of at most `piece` bytes.
#[derive(Clone, Debug)]
pub struct Pieces<'a> {
    data: &'a [u8],
    piece: usize,
}

impl<'a> Pieces<'a> {
    /// A source over `data` delivering at most `piece` bytes per read.
    pub fn new(data: &'a [u8], piece: usize) -> Self {
        Pieces { data, piece }
    }

    /// The next piece to deliver, at most `room` bytes, consumed.
    pub fn next_piece(&mut self, room: usize) -> &'a [u8] {
        let n = self.piece.min(room).min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        head
    }

    /// Whether everything was delivered.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

impl io::Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let p = self.next_piece(buf.len());
        buf[..p.len()].copy_from_slice(p);
        Ok(p.len())
    }
}

impl tokio::io::AsyncRead for Pieces<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let p = self.next_piece(buf.remaining());
        buf.put_slice(p);
        Poll::Ready(Ok(()))
    }
}

impl futures_io::AsyncRead for Pieces<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let p = self.next_piece(buf.len());
        buf[..p.len()].copy_from_slice(p);
        Poll::Ready(Ok(p.len()))
    }
}
