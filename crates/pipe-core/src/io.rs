//! `std::io` for `Pipe`: `Read` and `BufRead` on the read side, `Write` on the write side.
//!
//! A pipe never blocks: where a blocking reader would wait (nothing buffered, write side open),
//! `read` and `fill_buf` return [`io::ErrorKind::WouldBlock`]. After a clean close they return
//! `Ok(0)` / an empty slice; after a failed one, the stream error's kind with it as the source.

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
        self.skip(amt);
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
