//! `std::io` for `Pipe`: `Read` and `BufRead` on the read side, `Write` on the write side.
//!
//! A pipe never blocks: where a blocking reader would wait (nothing buffered, write side open),
//! `read` and `fill_buf` return [`io::ErrorKind::WouldBlock`]. After a clean close they return
//! `Ok(0)` / an empty slice; after a failed one, the stream error's kind with it as the source.
//!
//! A pipe knows how much it holds, so the provided methods that would consume bytes and then
//! fail (`read_exact`, `read_to_end`, `read_to_string`, `read_until`, `read_line`, `skip_until`,
//! and `lines`/`split`, which use them) are overridden to consume nothing unless they complete:
//! where the defaults would hand over a prefix and then return `WouldBlock`, these return
//! `WouldBlock` (or `UnexpectedEof`, `InvalidData`, the stream error) with every byte still
//! buffered.
//!
//! The promise covers calls on the pipe itself: std's adapters around it (`take`, `chain`, a
//! `BufReader`) run std's own provided methods, which may consume a prefix and then fail. The
//! std traits know no frame limit ([`max_frame`](Pipe::max_frame) bounds the pipe's own
//! reads). A line that is not UTF-8 stays buffered after `InvalidData`, so std's `lines()`
//! yields that error again and again: drop the line (`skip_until(b'\n')`) to go on.

use std::io::{self, BufRead, Read, Write};

use crate::pipe::{Pipe, PipeState};

impl Pipe {
    fn io_short(&self) -> io::Result<()> {
        match &self.state {
            PipeState::Open => Err(io::ErrorKind::WouldBlock.into()),
            PipeState::Closed => Ok(()),
            PipeState::Failed(e) => Err(e.to_io_error()),
        }
    }

    /// The length of the prefix a `BufRead::read_until(byte)` would take whole: through the
    /// next `byte`, or everything after a clean close. Errors (nothing consumed): `WouldBlock`
    /// while the write side is open without a `byte`, the stream error after a failed close.
    fn io_until(&mut self, byte: u8) -> io::Result<usize> {
        self.release_spent();
        let len = self.len;
        match self.find_byte(byte, ..) {
            Ok(Some(i)) => Ok(i + 1),
            _ => self.io_short().map(|()| len),
        }
    }

    /// Everything buffered, once the write side has closed cleanly (`read_to_end`).
    fn io_to_end(&mut self) -> io::Result<usize> {
        self.release_spent();
        self.io_short().map(|()| self.len)
    }

    /// Appends the first `n` bytes (`n <= len`) to `out` as UTF-8, consuming them; nothing
    /// consumed if they are not UTF-8.
    fn io_take_str(&mut self, n: usize, out: &mut String) -> io::Result<usize> {
        let text = std::str::from_utf8(self.peek_ref(n).unwrap_or_default())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        out.push_str(text);
        self.skip(n);
        Ok(n)
    }
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let n = {
            let data = self.fill_buf()?;
            let n = data.len().min(buf.len());
            buf[..n].copy_from_slice(&data[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }

    /// Fills `buf` completely or consumes nothing: `WouldBlock` while fewer bytes are buffered
    /// and the write side is open, `UnexpectedEof` after a clean close, the stream error after
    /// a failed one.
    fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        self.release_spent();
        if self.len < buf.len() {
            self.io_short()?;
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let mut filled = 0;
        for part in self.chunks() {
            let k = part.len().min(buf.len() - filled);
            buf[filled..filled + k].copy_from_slice(&part[..k]);
            filled += k;
            if filled == buf.len() {
                break;
            }
        }
        self.skip(buf.len());
        Ok(())
    }

    /// Appends everything to `buf` once the write side has closed cleanly; before that
    /// `WouldBlock` with nothing consumed.
    fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let n = self.io_to_end()?;
        buf.reserve(n);
        for part in self.chunks() {
            buf.extend_from_slice(part);
        }
        self.skip(n);
        Ok(n)
    }

    /// [`read_to_end`](Read::read_to_end) as UTF-8; `InvalidData` with nothing consumed if it is
    /// not.
    fn read_to_string(&mut self, buf: &mut String) -> io::Result<usize> {
        let n = self.io_to_end()?;
        self.io_take_str(n, buf)
    }
}

impl BufRead for Pipe {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.release_spent();
        if self.len == 0 {
            self.io_short()?;
            return Ok(&[]);
        }
        Ok(self.chunks().next().unwrap_or_default())
    }

    /// Drops up to `amt` bytes (more than are buffered is not an error: all are dropped).
    fn consume(&mut self, amt: usize) {
        self.consume_buffered(amt);
    }

    /// Appends through the next `byte` to `buf`, or consumes nothing: `WouldBlock` while the
    /// write side is open and no `byte` is buffered. After a clean close, the rest.
    fn read_until(&mut self, byte: u8, buf: &mut Vec<u8>) -> io::Result<usize> {
        let n = self.io_until(byte)?;
        buf.reserve(n);
        let mut left = n;
        for part in self.chunks() {
            let k = part.len().min(left);
            buf.extend_from_slice(&part[..k]);
            left -= k;
            if left == 0 {
                break;
            }
        }
        self.skip(n);
        Ok(n)
    }

    /// Drops through the next `byte`, or nothing: `WouldBlock` while the write side is open and
    /// no `byte` is buffered.
    fn skip_until(&mut self, byte: u8) -> io::Result<usize> {
        let n = self.io_until(byte)?;
        Ok(self.skip(n))
    }

    /// [`read_until`](BufRead::read_until) of `\n` as UTF-8; `InvalidData` with nothing
    /// consumed if the line is not UTF-8.
    fn read_line(&mut self, buf: &mut String) -> io::Result<usize> {
        let n = self.io_until(b'\n')?;
        self.io_take_str(n, buf)
    }
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        Pipe::write_all(self, buf).map_err(io::Error::from)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
