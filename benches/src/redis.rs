//! Pipelined GETs against a real redis-server: the test kit's RESP client (the one the `redis`
//! example and the adapters' tests use) on pipe-tokio against the same client written on
//! tokio's `BufReader`, on one server, in one run.

use std::hint::black_box;
use std::io;

use bytes::Bytes;
use pipe_testkit::resp;
use pipe_tokio::ChunkedStream;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The key every GET reads.
pub const KEY: &[u8] = b"bench:key";

/// Runs `batches` pipelines of `depth` GETs of [`KEY`] with the example client; returns the
/// bytes of the values received.
pub async fn ours(addr: std::net::SocketAddr, batches: usize, depth: usize) -> u64 {
    let mut client = resp::Client::new(ChunkedStream::connect(addr).await.expect("connect"));
    let batch: Vec<&[&[u8]]> = vec![&[b"GET", KEY]; depth];
    let mut total = 0;
    for _ in 0..batches {
        for reply in client.pipeline(&batch).await.expect("replies") {
            match reply {
                resp::Value::Bulk(value) => total += black_box(value).len() as u64,
                other => panic!("unexpected reply {other:?}"),
            }
        }
    }
    total
}

/// The same client on tokio's `BufReader` (8 KiB, its default): the same encoder
/// (`resp::encode_header`), one write per pipeline, `read_until(b'\n')` for the type line and `read_exact` into a fresh `Vec`
/// (a `Bytes`) per value, as a hand-written client does.
pub async fn bufreader(addr: std::net::SocketAddr, batches: usize, depth: usize) -> u64 {
    let socket = TcpStream::connect(addr).await.expect("connect");
    socket.set_nodelay(true).expect("nodelay");
    let mut stream = BufReader::new(socket);
    let mut line = Vec::new();
    let mut out = Vec::new();
    let mut total = 0;
    for _ in 0..batches {
        out.clear();
        for _ in 0..depth {
            resp::encode_header(&mut out, b'*', 2);
            for arg in [&b"GET"[..], KEY] {
                resp::encode_header(&mut out, b'$', arg.len());
                out.extend_from_slice(arg);
                out.extend_from_slice(b"\r\n");
            }
        }
        stream.get_mut().write_all(&out).await.expect("write");
        let mut replies: Vec<Bytes> = Vec::with_capacity(depth);
        for _ in 0..depth {
            replies.push(read_bulk(&mut stream, &mut line).await.expect("reply"));
        }
        total += replies
            .iter()
            .map(|v| black_box(v).len() as u64)
            .sum::<u64>();
    }
    total
}

async fn read_bulk(stream: &mut BufReader<TcpStream>, line: &mut Vec<u8>) -> io::Result<Bytes> {
    line.clear();
    stream.read_until(b'\n', line).await?;
    let header = line
        .strip_prefix(b"$")
        .and_then(|rest| rest.strip_suffix(b"\r\n"))
        .and_then(|digits| std::str::from_utf8(digits).ok()?.parse::<usize>().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "not a bulk header"))?;
    let mut value = vec![0; header + 2];
    stream.read_exact(&mut value).await?;
    value.truncate(header);
    Ok(Bytes::from(value))
}
