//! The main job: a RESP-speaking key-value server and its clients on loopback, in one process.
//!
//! Clients pipeline commands (`*N\r\n` arrays of `$len\r\n<bytes>\r\n` bulk strings) with one
//! vectored write per batch; the server decodes them with a codec on `Framed` (a cursor over
//! the pooled chunks: a command is consumed whole or not at all) and answers each, a batch's
//! replies in one write; the clients parse the replies with `read_line` and `read_exact`. At the end it
//! prints throughput, the pooled memory in use at the peak and after, and some of what it parsed.
//!
//! Run: `cargo run --release --example demo`

use std::collections::HashMap;
use std::io::{self, IoSlice};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use pipe_tokio::codec::{Decoder, Encoder};
use pipe_tokio::{ChunkedStream, Cursor, Framed, Pipe, PipeOptions, Pool, PoolConfig, ReadError};
use tokio::net::{TcpListener, TcpStream};

const CLIENTS: usize = 8;
const BATCHES: usize = 200;
const BATCH: usize = 100;

type Store = Arc<Mutex<HashMap<Bytes, Bytes>>>;

/// The server's side of RESP: commands (arrays of bulk strings) decoded on a cursor over the
/// buffered bytes, each consumed whole or not at all, so the decoder keeps no state and a
/// dropped `next()` loses nothing; replies encoded into the connection's pooled write buffer.
struct Resp;

/// A reply to one command.
enum Reply {
    Ok,
    Bulk(Bytes),
    Nil,
    Int(i64),
    Error(&'static str),
}

impl Decoder for Resp {
    type Item = Vec<Bytes>;
    type Error = io::Error;

    fn decode(&mut self, src: &mut Pipe) -> io::Result<Option<Vec<Bytes>>> {
        let mut c = src.cursor();
        match command(&mut c) {
            Ok(args) => {
                c.commit();
                Ok(Some(args))
            }
            Err(ReadError::NeedMore) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// `*<n>\r\n` then n times `$<len>\r\n<len bytes>\r\n`; each argument a slice of its chunk
/// when it lies in one.
fn command(c: &mut Cursor<'_>) -> Result<Vec<Bytes>, ReadError> {
    let count = number(c, b"*")?;
    let mut args = Vec::with_capacity(count);
    for _ in 0..count {
        let len = number(c, b"$")?;
        args.push(c.bytes(len)?);
        end_of_line(c)?;
    }
    Ok(args)
}

/// A type marker, a decimal number and `\r\n`.
fn number(c: &mut Cursor<'_>, marker: &[u8]) -> Result<usize, ReadError> {
    if !c.skip_if(marker)? {
        return Err(ReadError::Malformed("unexpected type marker"));
    }
    let n = c.decimal()?;
    end_of_line(c)?;
    usize::try_from(n).map_err(|_| ReadError::Malformed("length out of range"))
}

fn end_of_line(c: &mut Cursor<'_>) -> Result<(), ReadError> {
    match c.skip_if(b"\r\n")? {
        true => Ok(()),
        false => Err(ReadError::Malformed("expected \\r\\n")),
    }
}

impl Encoder<Reply> for Resp {
    type Error = io::Error;

    fn encode(&mut self, reply: Reply, dst: &mut Pipe) -> io::Result<()> {
        match reply {
            Reply::Ok => dst.write_all(b"+OK\r\n")?,
            Reply::Nil => dst.write_all(b"$-1\r\n")?,
            Reply::Int(n) => dst.write_all(format!(":{n}\r\n").as_bytes())?,
            Reply::Error(e) => dst.write_all(format!("-ERR {e}\r\n").as_bytes())?,
            Reply::Bulk(v) => {
                dst.write_all(format!("${}\r\n", v.len()).as_bytes())?;
                if v.len() >= 4096 {
                    dst.append_bytes(v)?; // sent from the store's memory, not copied
                } else {
                    dst.write_all(&v)?; // small: a copy costs less than a segment
                }
                dst.write_all(b"\r\n")?;
            }
        }
        Ok(())
    }
}

fn eof() -> io::Error {
    io::ErrorKind::UnexpectedEof.into()
}

/// The command's reply.
fn execute(cmd: &[Bytes], store: &Store) -> Reply {
    let mut store = store.lock().expect("no panics while locked");
    match (cmd[0].as_ref(), &cmd[1..]) {
        (b"SET", [key, value]) => {
            // Frames are slices of pooled chunks: copy what the store keeps (the README's
            // advice), so each chunk goes back as soon as it is parsed.
            store.insert(Bytes::copy_from_slice(key), Bytes::copy_from_slice(value));
            Reply::Ok
        }
        (b"GET", [key]) => store.get(key).cloned().map_or(Reply::Nil, Reply::Bulk),
        (b"DEL", [key]) => Reply::Int(store.remove(key).is_some() as i64),
        _ => Reply::Error("unknown command"),
    }
}

/// Serves one connection until the client closes it: a reply for each command, the replies to
/// a pipelined batch sent at once (when no more commands are buffered).
async fn serve(conn: ChunkedStream<TcpStream>, store: Store) -> io::Result<u64> {
    let mut framed = Framed::new(conn, Resp);
    let mut served = 0;
    while let Some(cmd) = framed.next().await {
        let cmd = cmd?;
        if cmd.is_empty() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "empty command"));
        }
        framed.feed(execute(&cmd, &store)).await?;
        served += 1;
        if framed.get_ref().buffered() == 0 {
            framed.flush().await?;
        }
    }
    framed.close().await?;
    Ok(served)
}

/// The number after a one-byte type marker of a reply line (`$12`, `:7`).
fn reply_number(line: &[u8], marker: u8) -> io::Result<usize> {
    match line.split_first() {
        Some((&m, digits)) if m == marker => std::str::from_utf8(digits)
            .ok()
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad number")),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "unexpected type",
        )),
    }
}

/// One client: batches of pipelined commands, each batch one vectored write, then its replies.
async fn client(id: usize, addr: std::net::SocketAddr) -> io::Result<(u64, Vec<String>)> {
    let mut conn = ChunkedStream::connect(addr).await?;
    let mut shown = Vec::new();
    let mut replies = 0;
    for batch in 0..BATCHES {
        let mut parts: Vec<Vec<u8>> = Vec::with_capacity(BATCH);
        for i in 0..BATCH {
            // Each group of four: SET a key, GET it twice, DEL it.
            let key = format!("client{id}:key{}", (batch * BATCH + i / 4) % 500);
            let verb = ["SET", "GET", "GET", "DEL"][i % 4];
            let mut items: Vec<&[u8]> = vec![verb.as_bytes(), key.as_bytes()];
            let value = format!("value\r\nof {key} in batch {batch}");
            if verb == "SET" {
                items.push(value.as_bytes());
            }
            let mut cmd = format!("*{}\r\n", items.len()).into_bytes();
            for item in items {
                cmd.extend_from_slice(format!("${}\r\n", item.len()).as_bytes());
                cmd.extend_from_slice(item);
                cmd.extend_from_slice(b"\r\n");
            }
            parts.push(cmd);
        }
        let mut slices: Vec<IoSlice<'_>> = parts.iter().map(|p| IoSlice::new(p)).collect();
        conn.write_vectored_all(&mut &mut slices[..]).await?;
        for _ in 0..BATCH {
            let line = conn.read_line(false).await?.ok_or_else(eof)?;
            let text = match line.first() {
                Some(b'$') if &line[..] != b"$-1" => {
                    let len = reply_number(&line, b'$')?;
                    let body = conn.read_exact(len + 2).await?.ok_or_else(eof)?;
                    format!("{:?}", String::from_utf8_lossy(&body[..len]))
                }
                _ => String::from_utf8_lossy(&line).into_owned(),
            };
            if id == 0 && shown.len() < 4 {
                shown.push(text);
            }
            replies += 1;
        }
    }
    conn.shutdown().await?;
    Ok((replies, shown))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> io::Result<()> {
    let pool = Pool::new(PoolConfig::default()).map_err(io::Error::other)?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let store: Store = Arc::default();
    let options = PipeOptions::new().pool(pool.clone());
    let server = tokio::spawn(async move {
        let mut conns = Vec::new();
        for _ in 0..CLIENTS {
            let (conn, _) = ChunkedStream::accept(&listener, options.clone()).await?;
            conn.get_ref().set_nodelay(true)?; // replies go out as soon as they are written
            conns.push(tokio::spawn(serve(conn, store.clone())));
        }
        let mut served = 0;
        for c in conns {
            served += c.await.map_err(io::Error::other)??;
        }
        io::Result::Ok(served)
    });
    // Sample the server's pooled memory while the clients run.
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (pool, peak) = (pool.clone(), peak.clone());
        tokio::spawn(async move {
            loop {
                peak.fetch_max(pool.stats().outstanding_bytes, Relaxed);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
    };
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|id| tokio::spawn(client(id, addr)))
        .collect();
    let mut replies = 0;
    let mut shown = Vec::new();
    for c in clients {
        let (n, s) = c.await.map_err(io::Error::other)??;
        replies += n;
        shown.extend(s);
    }
    let served = server.await.map_err(io::Error::other)??;
    let elapsed = started.elapsed();
    sampler.abort();
    let stats = pool.stats();
    println!(
        "{CLIENTS} clients, {BATCHES} pipelined batches of {BATCH} commands each, over loopback"
    );
    println!(
        "server parsed {served} commands, clients parsed {replies} replies in {:.1} ms ({:.0} commands/s)",
        elapsed.as_secs_f64() * 1e3,
        served as f64 / elapsed.as_secs_f64()
    );
    println!("first replies seen by client 0: {}", shown.join(", "));
    println!(
        "server pool: at most {} KiB in use across {CLIENTS} connections (sampled), {} chunk \
         acquisitions served by {} allocations, {} bytes in use after",
        peak.load(Relaxed) / 1024,
        stats.acquired,
        stats.allocated,
        stats.outstanding_bytes
    );
    if served != replies || served != (CLIENTS * BATCHES * BATCH) as u64 {
        return Err(io::Error::other("commands and replies do not match"));
    }
    Ok(())
}
