//! The readers the workloads run, each written once as a function generic over its input, so the
//! in-memory and loopback rows run the very same code. Each returns the number of lines seen.

use std::hint::black_box;

use futures_util::StreamExt;
use pipe_core::{Bytes, Pipe, PipeOptions};
use tokio_util::codec::{AnyDelimiterCodec, FramedRead, LinesCodec};

/// The limit's search: every `\n` found, one `memchr` pass over the bytes. Each position is
/// handed to `black_box`, as a parser must visit each delimiter (a bare `count()` would let
/// memchr count matches without finding them one by one).
pub fn visit_each(buf: &[u8]) -> u64 {
    let mut n = 0;
    for i in memchr::memchr_iter(b'\n', buf) {
        black_box(i);
        n += 1;
    }
    n
}

/// The limit row: each piece copied once into a buffer and searched once.
pub fn limit(data: &[u8], piece: usize) -> u64 {
    let mut scratch = vec![0u8; piece];
    let mut n = 0;
    for part in data.chunks(piece) {
        let buf = &mut scratch[..part.len()];
        buf.copy_from_slice(part);
        n += visit_each(buf);
    }
    n
}

/// The floor of any reader that hands out each line as an owned `Bytes` sharing its buffer:
/// the limit row's copy in and search, each line then split off as a `Bytes` and dropped (an
/// atomic reference count taken and given back) instead of being visited in place.
pub fn owned_floor(data: &[u8], piece: usize) -> u64 {
    let mut n = 0;
    for part in data.chunks(piece) {
        let mut buf = Bytes::copy_from_slice(part);
        while let Some(i) = memchr::memchr(b'\n', &buf) {
            black_box(buf.split_to(i + 1));
            n += 1;
        }
    }
    n
}

/// A pipe with the given maximum frame size and default chunks.
pub fn pipe(max_frame: usize) -> Pipe {
    Pipe::with_options(PipeOptions::new().max_frame(max_frame))
}

/// Which line read of the synchronous pipe to run.
#[derive(Clone, Copy, Debug)]
pub enum PipeForm {
    /// `read_line_ref`, one call per line.
    Lent,
    /// `read_lines_with`, every buffered line per call.
    Batch,
    /// `read_line`, owned `Bytes`.
    Owned,
}

/// Lines through a pipe fed `piece` bytes at a time.
pub fn pipe_lines(data: &[u8], piece: usize, form: PipeForm) -> u64 {
    let mut p = pipe(1 << 16);
    let mut n = 0u64;
    for part in data.chunks(piece) {
        p.write_all(part).expect("open");
        match form {
            PipeForm::Lent => {
                while let Ok(line) = p.read_line_ref(true) {
                    black_box(line);
                    n += 1;
                }
            }
            PipeForm::Batch => {
                while let Ok(k) = p.read_lines_with(true, |line| {
                    black_box(line);
                }) {
                    n += k as u64;
                }
            }
            PipeForm::Owned => {
                while let Ok(line) = p.read_line(true) {
                    black_box(line);
                    n += 1;
                }
            }
        }
    }
    n
}

/// The length in a bulk header `$N`.
pub fn parse_len(header: &[u8]) -> usize {
    std::str::from_utf8(&header[1..])
        .expect("ascii")
        .trim_end()
        .parse()
        .expect("a length")
}

/// `$N\r\n<N bytes>\r\n` frames through a pipe fed `piece` bytes at a time: the header with a
/// line read, the body with an exact read, lent (`PipeForm::Lent`, `Batch`) or owned.
pub fn pipe_frames(data: &[u8], piece: usize, form: PipeForm) -> u64 {
    let owned = matches!(form, PipeForm::Owned);
    let mut p = pipe(1 << 16);
    let mut n = 0u64;
    // The length of the body whose header was read, if any.
    let mut body: Option<usize> = None;
    for part in data.chunks(piece) {
        p.write_all(part).expect("open");
        loop {
            let step = match (body, owned) {
                (None, true) => p.read_line(false).map(|h| Some(parse_len(&h))),
                (None, false) => p.read_line_ref(false).map(|h| Some(parse_len(h))),
                (Some(len), true) => p
                    .read_exact(len + 2)
                    .map(|b| black_box(b).len())
                    .map(|_| None),
                (Some(len), false) => p
                    .read_exact_ref(len + 2)
                    .map(|b| black_box(b).len())
                    .map(|_| None),
            };
            let Ok(next) = step else { break };
            n += u64::from(body.is_some());
            body = next;
        }
    }
    n
}

/// `$N\r\n<N bytes>\r\n` frames through std's `BufReader`: the header with `read_until` into
/// a reused `Vec`, the body with `read_exact` into another (the RESP rows' std peer).
pub fn std_frames<R: std::io::Read>(reader: R, capacity: usize) -> u64 {
    use std::io::{BufRead, Read};
    let mut r = std::io::BufReader::with_capacity(capacity, reader);
    let (mut h, mut b) = (Vec::new(), Vec::new());
    let mut n = 0u64;
    while r.read_until(b'\n', &mut h).expect("in memory") > 0 {
        b.resize(parse_len(&h) + 2, 0);
        r.read_exact(&mut b).expect("whole frames");
        black_box(&b);
        h.clear();
        n += 1;
    }
    n
}

/// `std::io::BufReader::read_until` into a reused `Vec`.
pub fn std_read_until<R: std::io::Read>(reader: R, capacity: usize) -> u64 {
    use std::io::BufRead;
    let mut r = std::io::BufReader::with_capacity(capacity, reader);
    let mut v = Vec::new();
    let mut n = 0;
    while r.read_until(b'\n', &mut v).expect("read") > 0 {
        black_box(&v);
        v.clear();
        n += 1;
    }
    n
}

/// tokio's `BufReader::read_until` into a reused `Vec` (the loop of [`buf_read_until`]).
pub async fn tokio_read_until<R: tokio::io::AsyncRead + Unpin>(reader: R, capacity: usize) -> u64 {
    buf_read_until(tokio::io::BufReader::with_capacity(capacity, reader)).await
}

/// `AsyncBufReadExt::read_until` into a reused `Vec` on any tokio `AsyncBufRead`: how a
/// `BufReader` loop runs unchanged on this project's stream (`ChunkedStream` put where the
/// `BufReader` was).
pub async fn buf_read_until<R: tokio::io::AsyncBufRead + Unpin>(mut r: R) -> u64 {
    use tokio::io::AsyncBufReadExt;
    let mut v = Vec::new();
    let mut n = 0;
    while r.read_until(b'\n', &mut v).await.expect("read") > 0 {
        black_box(&v);
        v.clear();
        n += 1;
    }
    n
}

/// `futures`' `AsyncBufReadExt::read_until` into a reused `Vec` on any `futures_io`
/// `AsyncBufRead` (the async-std form of [`buf_read_until`]).
pub async fn futures_buf_read_until<R: futures_io::AsyncBufRead + Unpin>(mut r: R) -> u64 {
    use futures_util::AsyncBufReadExt;
    let mut v = Vec::new();
    let mut n = 0;
    while r.read_until(b'\n', &mut v).await.expect("read") > 0 {
        black_box(&v);
        v.clear();
        n += 1;
    }
    n
}

/// futures' `BufReader::read_until` into a reused `Vec` (the loop of
/// [`futures_buf_read_until`]).
pub async fn futures_read_until<R: futures_io::AsyncRead + Unpin>(
    reader: R,
    capacity: usize,
) -> u64 {
    futures_buf_read_until(futures_util::io::BufReader::with_capacity(capacity, reader)).await
}

/// async-std's `BufReader::read_until` into a reused `Vec`.
pub async fn async_std_read_until<R: futures_io::AsyncRead + Unpin>(
    reader: R,
    capacity: usize,
) -> u64 {
    use async_std::io::prelude::BufReadExt;
    let mut r = async_std::io::BufReader::with_capacity(capacity, reader);
    let mut v = Vec::new();
    let mut n = 0;
    while r.read_until(b'\n', &mut v).await.expect("read") > 0 {
        black_box(&v);
        v.clear();
        n += 1;
    }
    n
}

/// tokio-util's `FramedRead` with `LinesCodec` (a `String` per line).
pub async fn lines_codec<R: tokio::io::AsyncRead + Unpin>(reader: R, capacity: usize) -> u64 {
    let mut f = FramedRead::with_capacity(reader, LinesCodec::new(), capacity);
    let mut n = 0;
    while let Some(line) = f.next().await {
        black_box(line.expect("utf-8 lines"));
        n += 1;
    }
    n
}

/// tokio-util's `FramedRead` with `AnyDelimiterCodec` on `\n` (a `Bytes` per line).
pub async fn any_delimiter<R: tokio::io::AsyncRead + Unpin>(reader: R, capacity: usize) -> u64 {
    let codec = AnyDelimiterCodec::new(b"\n".to_vec(), b"\n".to_vec());
    let mut f = FramedRead::with_capacity(reader, codec, capacity);
    let mut n = 0;
    while let Some(line) = f.next().await {
        black_box(line.expect("read"));
        n += 1;
    }
    n
}

/// Defines the three line readers of one adapter's `ChunkedStream` (owned `read_line`, lent
/// `read_line_ref` and the batch `read_lines_with`) for a transport bound.
macro_rules! stream_readers {
    ($lines:ident, $lent:ident, $batch:ident, $stream:path, $bound:path) => {
        /// The stream's owned `read_line`, until the end.
        pub async fn $lines<R: $bound + Unpin>(reader: R) -> u64 {
            let mut s = <$stream>::new(reader);
            let mut n = 0;
            while let Some(line) = s.read_line(true).await.expect("read") {
                black_box(line);
                n += 1;
            }
            n
        }

        /// The stream's lending `read_line_ref`, until the end.
        pub async fn $lent<R: $bound + Unpin>(reader: R) -> u64 {
            let mut s = <$stream>::new(reader);
            let mut n = 0;
            while let Some(line) = s.read_line_ref(true).await.expect("read") {
                black_box(line);
                n += 1;
            }
            n
        }

        /// The stream's zero-alloc `read_lines_with`, until the end.
        pub async fn $batch<R: $bound + Unpin>(reader: R) -> u64 {
            let mut s = <$stream>::new(reader);
            let mut n = 0;
            loop {
                let k = s
                    .read_lines_with(true, |line| {
                        black_box(line);
                    })
                    .await
                    .expect("read");
                if k == 0 {
                    return n;
                }
                n += k as u64;
            }
        }
    };
}

/// The tokio stream parsed synchronously from its pipe with `read_line_ref`, awaiting
/// `fill_more` only when the pipe needs more: the pattern of the Redis example.
pub async fn tokio_stream_sync_parse<R: tokio::io::AsyncRead + Unpin>(reader: R) -> u64 {
    let mut s = pipe_tokio::ChunkedStream::new(reader);
    let mut n = 0;
    loop {
        loop {
            match s.pipe_mut().read_line_ref(true) {
                Ok(line) => {
                    black_box(line);
                    n += 1;
                }
                Err(e) if e.is_need_more() => break,
                Err(pipe_core::ReadError::End) => return n,
                Err(e) => panic!("read: {e}"),
            }
        }
        s.fill_more().await.expect("fill");
    }
}

stream_readers!(
    tokio_stream_lines,
    tokio_stream_lines_ref,
    tokio_stream_batch,
    pipe_tokio::ChunkedStream<R>,
    tokio::io::AsyncRead
);
stream_readers!(
    async_std_stream_lines,
    async_std_stream_lines_ref,
    async_std_stream_batch,
    pipe_async_std::ChunkedStream<R>,
    futures_io::AsyncRead
);

/// This library's `FramedRead` with its `LinesCodec` over a tokio `ChunkedStream`.
pub async fn framed_lines_ours<R: tokio::io::AsyncRead + Unpin>(reader: R) -> u64 {
    let stream = pipe_tokio::ChunkedStream::new(reader);
    let mut f = pipe_tokio::FramedRead::new(stream, pipe_core::codec::LinesCodec::new());
    let mut n = 0;
    while let Some(line) = f.next().await {
        black_box(line.expect("lines"));
        n += 1;
    }
    n
}

/// This library's `FramedRead` with its `LengthDelimitedCodec` (4-byte big-endian header).
pub async fn framed_length_delimited_ours<R: tokio::io::AsyncRead + Unpin>(reader: R) -> u64 {
    let stream = pipe_tokio::ChunkedStream::new(reader);
    let codec = pipe_core::codec::LengthDelimitedCodec::new();
    let mut f = pipe_tokio::FramedRead::new(stream, codec);
    let mut n = 0;
    while let Some(frame) = f.next().await {
        black_box(frame.expect("frames"));
        n += 1;
    }
    n
}

/// tokio-util's `FramedRead` with its `LengthDelimitedCodec` (4-byte big-endian header).
pub async fn length_delimited_peer<R: tokio::io::AsyncRead + Unpin>(
    reader: R,
    capacity: usize,
) -> u64 {
    let codec = tokio_util::codec::LengthDelimitedCodec::new();
    let mut f = FramedRead::with_capacity(reader, codec, capacity);
    let mut n = 0;
    while let Some(frame) = f.next().await {
        black_box(frame.expect("frames"));
        n += 1;
    }
    n
}

/// Length-prefixed messages ([`length_delimited_frames`]) read with tokio's
/// `AsyncReadExt::read_exact`, the 4-byte header and then the body into a reused `Vec`: how
/// code written for `BufReader` reads a length-prefixed protocol. Returns the messages read.
pub async fn tokio_read_exact_frames<R: tokio::io::AsyncRead + Unpin>(mut r: R) -> u64 {
    use tokio::io::AsyncReadExt;
    let (mut header, mut body, mut n) = ([0u8; 4], Vec::new(), 0);
    loop {
        match r.read_exact(&mut header).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return n,
            Err(e) => panic!("read: {e}"),
        }
        body.resize(u32::from_be_bytes(header) as usize, 0);
        r.read_exact(&mut body).await.expect("a whole body");
        black_box(&body);
        n += 1;
    }
}

/// [`tokio_read_exact_frames`] with `futures`' `AsyncReadExt` (async-std, smol).
pub async fn futures_read_exact_frames<R: futures_io::AsyncRead + Unpin>(mut r: R) -> u64 {
    use futures_util::AsyncReadExt;
    let (mut header, mut body, mut n) = ([0u8; 4], Vec::new(), 0);
    loop {
        match r.read_exact(&mut header).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return n,
            Err(e) => panic!("read: {e}"),
        }
        body.resize(u32::from_be_bytes(header) as usize, 0);
        r.read_exact(&mut body).await.expect("a whole body");
        black_box(&body);
        n += 1;
    }
}

/// `count` frames of a 4-byte big-endian length and `len` bytes.
pub fn length_delimited_frames(len: usize, total: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(total + len + 4);
    let mut i = 0u8;
    while out.len() < total {
        out.extend_from_slice(&(len as u32).to_be_bytes());
        out.extend(std::iter::repeat_n(i, len));
        i = i.wrapping_add(1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reader_sees_every_frame_and_line() {
        let (frames, count) = crate::bulk_frames(1 << 16);
        for form in [PipeForm::Lent, PipeForm::Owned] {
            assert_eq!(pipe_frames(&frames, 1000, form), count as u64, "{form:?}");
        }
        let lines = crate::lines(64, 1 << 16);
        let want = (lines.len() / 64) as u64;
        for form in [PipeForm::Lent, PipeForm::Batch, PipeForm::Owned] {
            assert_eq!(pipe_lines(&lines, 1000, form), want, "{form:?}");
        }
        assert_eq!(std_read_until(&lines[..], 1000), want);
        assert_eq!(limit(&lines, 1000), want);
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let src = || crate::source::Pieces::new(&lines, 1000);
        assert_eq!(rt.block_on(tokio_stream_lines(src())), want);
        assert_eq!(rt.block_on(tokio_stream_lines_ref(src())), want);
        assert_eq!(rt.block_on(tokio_stream_batch(src())), want);
        assert_eq!(rt.block_on(tokio_stream_sync_parse(src())), want);
    }
}
