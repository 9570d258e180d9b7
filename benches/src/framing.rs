//! The framed write and echo workloads: this library's `FramedWrite`/`Framed` with its
//! `LengthDelimitedCodec` against tokio-util's, the same messages and the same loop on both
//! sides, each written once here so the loopback rows and the copy count run the same code.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

/// `count` payloads of `len` bytes, each its own allocation (as messages built one by one are).
pub fn payloads(len: usize, count: usize) -> Vec<Bytes> {
    (0..count)
        .map(|i| Bytes::from(vec![i as u8; len]))
        .collect()
}

/// Sends every payload with this library's `FramedWrite<_, LengthDelimitedCodec>` (4-byte
/// big-endian header), `feed` for each and one `flush` at the end (the sink flushes on its own
/// past its high-water mark), then closes. Returns the bytes put on the wire.
pub async fn send_ours<S: AsyncRead + AsyncWrite + Unpin>(io: S, msgs: &[Bytes]) -> u64 {
    let stream = pipe_tokio::ChunkedStream::new(io);
    let codec = pipe_core::codec::LengthDelimitedCodec::new();
    let mut sink = pipe_tokio::FramedWrite::new(stream, codec);
    for m in msgs {
        sink.feed(m.clone()).await.expect("send");
    }
    sink.close().await.expect("close");
    wire_bytes(msgs)
}

/// The same with tokio-util's `FramedWrite<_, LengthDelimitedCodec>`.
pub async fn send_peer<S: AsyncWrite + Unpin>(io: S, msgs: &[Bytes]) -> u64 {
    let codec = tokio_util::codec::LengthDelimitedCodec::new();
    let mut sink = tokio_util::codec::FramedWrite::new(io, codec);
    for m in msgs {
        sink.feed(m.clone()).await.expect("send");
    }
    SinkExt::<Bytes>::close(&mut sink).await.expect("close");
    wire_bytes(msgs)
}

fn wire_bytes(msgs: &[Bytes]) -> u64 {
    msgs.iter().map(|m| 4 + m.len() as u64).sum()
}

/// A length-delimited echo connection on this library's `Framed`: every frame is sent back,
/// the replies flushed when no more frames are buffered (`feed`, then `flush` before waiting).
pub async fn echo_ours(socket: TcpStream) {
    let stream = pipe_tokio::ChunkedStream::new(socket);
    let codec = pipe_core::codec::LengthDelimitedCodec::new();
    let mut framed = pipe_tokio::Framed::new(stream, codec);
    loop {
        let frame = match futures_util::poll!(framed.next()) {
            Poll::Ready(frame) => frame,
            Poll::Pending => {
                framed.flush().await.expect("flush");
                framed.next().await
            }
        };
        let Some(frame) = frame else { break };
        framed.feed(frame.expect("a frame")).await.expect("echo");
    }
    let _ = framed.close().await;
}

/// The same server on tokio-util's `Framed`.
pub async fn echo_peer(socket: TcpStream) {
    let codec = tokio_util::codec::LengthDelimitedCodec::new();
    let mut framed = tokio_util::codec::Framed::new(socket, codec);
    loop {
        let frame = match futures_util::poll!(framed.next()) {
            Poll::Ready(frame) => frame,
            Poll::Pending => {
                SinkExt::<Bytes>::flush(&mut framed).await.expect("flush");
                framed.next().await
            }
        };
        let Some(frame) = frame else { break };
        framed
            .feed(frame.expect("a frame").freeze())
            .await
            .expect("echo");
    }
    let _ = SinkExt::<Bytes>::close(&mut framed).await;
}

/// Clients for the echo rows, on their own thread and runtime: `conns` connections at once,
/// each sending `rounds` batches of `depth` frames of `len` bytes (one write a batch) and
/// reading the echoed batch back before the next. Returns the frames echoed; panics if a reply
/// differs from what was sent.
pub fn echo_clients(
    addr: SocketAddr,
    conns: usize,
    rounds: usize,
    depth: usize,
    len: usize,
) -> u64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async move {
        let mut batch = Vec::with_capacity(depth * (len + 4));
        for i in 0..depth {
            batch.extend_from_slice(&(len as u32).to_be_bytes());
            batch.extend(std::iter::repeat_n(i as u8, len));
        }
        let batch = Bytes::from(batch);
        let mut tasks = Vec::with_capacity(conns);
        for _ in 0..conns {
            let batch = batch.clone();
            tasks.push(tokio::spawn(async move {
                let mut s = TcpStream::connect(addr).await.expect("connect");
                s.set_nodelay(true).expect("nodelay");
                let mut back = vec![0u8; batch.len()];
                for _ in 0..rounds {
                    s.write_all(&batch).await.expect("send");
                    s.read_exact(&mut back).await.expect("echo");
                    assert_eq!(back, batch, "the echo differs");
                }
                (rounds * depth) as u64
            }));
        }
        let mut n = 0;
        for t in tasks {
            n += t.await.expect("a client");
        }
        n
    })
}

/// A transport that accepts every write and counts how many of the bytes it was handed lie in
/// the payloads' own memory (sent without a copy) and how many elsewhere. Reads see the end.
#[derive(Debug)]
pub struct Recorder {
    /// The payloads' address ranges, sorted.
    ranges: Vec<(usize, usize)>,
    /// Bytes written from the payloads' memory.
    pub from_payloads: u64,
    /// All bytes written.
    pub total: u64,
}

impl Recorder {
    /// A recorder that knows `msgs`' memory.
    pub fn new(msgs: &[Bytes]) -> Recorder {
        let mut ranges: Vec<(usize, usize)> = msgs
            .iter()
            .map(|m| (m.as_ptr() as usize, m.as_ptr() as usize + m.len()))
            .collect();
        ranges.sort_unstable();
        Recorder {
            ranges,
            from_payloads: 0,
            total: 0,
        }
    }

    fn record(&mut self, buf: &[u8]) {
        let (start, end) = (buf.as_ptr() as usize, buf.as_ptr() as usize + buf.len());
        let i = self.ranges.partition_point(|r| r.0 <= start);
        if i > 0 && self.ranges[i - 1].1 >= end {
            self.from_payloads += buf.len() as u64;
        }
        self.total += buf.len() as u64;
    }
}

impl AsyncWrite for Recorder {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.record(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let mut n = 0;
        for b in bufs {
            self.record(b);
            n += b.len();
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

impl AsyncRead for Recorder {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// How many times each payload byte was copied on its way to the transport (0: sent from the
/// payload's own memory; 1: copied once into a write buffer), for both `FramedWrite`s.
pub fn payload_copies(rt: &tokio::runtime::Runtime, msgs: &[Bytes]) -> (f64, f64) {
    let payload: u64 = msgs.iter().map(|m| m.len() as u64).sum();
    let copies = |r: &Recorder| 1.0 - r.from_payloads as f64 / payload as f64;
    let mut ours = Recorder::new(msgs);
    rt.block_on(send_ours(&mut ours, msgs));
    let mut peer = Recorder::new(msgs);
    rt.block_on(send_peer(&mut peer, msgs));
    assert_eq!(ours.total, wire_bytes(msgs));
    assert_eq!(peer.total, wire_bytes(msgs));
    (copies(&ours), copies(&peer))
}
