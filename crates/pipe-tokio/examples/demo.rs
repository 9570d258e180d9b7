//! The main job: the same RESP key-value server on this library and on tokio's `BufReader`,
//! side by side in one run, and a read loop under `select!` with a timeout on both.
//!
//! 1. Clients pipeline commands (`*N\r\n` arrays of `$len\r\n<bytes>\r\n` bulk strings), one
//!    vectored write per batch. This library's server decodes them with a codec on `Framed` (a
//!    cursor over the pooled chunks: a command is consumed whole or not at all) and answers a
//!    batch in one write; the `BufReader` server reads them with `read_until` and `read_exact`
//!    and runs the same command logic. Printed: commands a second, buffer memory per
//!    connection, chunks reused against chunks allocated.
//! 2. A peer sends lines in small pieces, slowly; each reader loops on `read_line` under
//!    `select!` with a 1 ms timeout, as a server with a heartbeat does. Printed: the bytes each
//!    one lost (`BufReader::read_line` drops the part of a line read before the timeout fired).
//!
//! Every number comes from what this run just did. Run: `cargo run --release --example demo`

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
            // Lent until the next read: the type line is looked at, not kept.
            let line = conn.read_line_ref(false).await?.ok_or_else(eof)?;
            let text = match line.first() {
                Some(b'$') if line != b"$-1" => {
                    let len = reply_number(line, b'$')?;
                    let body = conn.read_exact(len + 2).await?.ok_or_else(eof)?;
                    format!("{:?}", String::from_utf8_lossy(&body[..len]))
                }
                _ => String::from_utf8_lossy(line).into_owned(),
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

/// The `BufReader` server: the same commands and replies, read with `read_until` (headers)
/// and `read_exact` (bodies) into fresh buffers, replies written when nothing more is buffered.
async fn serve_bufreader(conn: TcpStream, store: Store) -> io::Result<u64> {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
    let (r, mut w) = conn.into_split();
    let mut r = tokio::io::BufReader::new(r);
    let (mut line, mut out) = (Vec::new(), Pipe::new());
    let mut served = 0;
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line).await? == 0 {
            break;
        }
        let count = reply_number(line.trim_ascii_end(), b'*')?;
        let mut cmd = Vec::with_capacity(count);
        for _ in 0..count {
            line.clear();
            r.read_until(b'\n', &mut line).await?;
            let len = reply_number(line.trim_ascii_end(), b'$')?;
            let mut body = vec![0u8; len + 2];
            r.read_exact(&mut body).await?;
            body.truncate(len);
            cmd.push(Bytes::from(body));
        }
        Resp.encode(execute(&cmd, &store), &mut out)?;
        served += 1;
        if r.buffer().is_empty() {
            while let Ok(bytes) = out.read_at_most(usize::MAX) {
                w.write_all(&bytes).await?;
            }
        }
    }
    Ok(served)
}

/// What one server run measured.
struct Run {
    commands_per_s: f64,
    buffer_per_conn: u64,
}

/// Serves `CLIENTS` clients with one of the two servers, sampling its buffer memory.
async fn serve_clients(ours: bool, pool: &Pool) -> io::Result<Run> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let store: Store = Arc::default();
    let options = PipeOptions::new().pool(pool.clone());
    let server = tokio::spawn(async move {
        let mut conns = Vec::new();
        for _ in 0..CLIENTS {
            let (socket, _) = listener.accept().await?;
            socket.set_nodelay(true)?; // replies go out as soon as they are written
            let store = store.clone();
            conns.push(if ours {
                tokio::spawn(serve(
                    ChunkedStream::with_options(socket, options.clone()),
                    store,
                ))
            } else {
                tokio::spawn(serve_bufreader(socket, store))
            });
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
    for c in clients {
        replies += c.await.map_err(io::Error::other)??.0;
    }
    let served = server.await.map_err(io::Error::other)??;
    let elapsed = started.elapsed();
    sampler.abort();
    if served != replies || served != (CLIENTS * BATCHES * BATCH) as u64 {
        return Err(io::Error::other("commands and replies do not match"));
    }
    let buffer_per_conn = if ours {
        peak.load(Relaxed) / CLIENTS as u64
    } else {
        8 * 1024 // `BufReader::new`'s buffer, held for the connection's life
    };
    Ok(Run {
        commands_per_s: served as f64 / elapsed.as_secs_f64(),
        buffer_per_conn,
    })
}

/// Lines sent in 5-byte pieces 1 ms apart; the reader loops on `read_line` under `select!`
/// with a 1 ms timeout. Returns the bytes sent and the bytes the reader lost.
async fn lossy_loop(ours: bool, lines: usize) -> io::Result<(usize, usize)> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let sender = tokio::spawn(async move {
        let mut s = TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        let text: Vec<u8> = (0..lines)
            .flat_map(|i| format!("line {i:05} of the heartbeat demo\n").into_bytes())
            .collect();
        for piece in text.chunks(5) {
            s.write_all(piece).await?;
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        io::Result::Ok(text.len())
    });
    let (socket, _) = listener.accept().await?;
    let mut got = 0;
    let tick = || tokio::time::sleep(Duration::from_millis(1));
    if ours {
        let mut s = ChunkedStream::new(socket);
        loop {
            tokio::select! {
                line = s.read_line_ref(true) => match line? {
                    Some(line) => got += line.len(),
                    None => break,
                },
                () = tick() => {} // a heartbeat would go here
            }
        }
    } else {
        let mut r = tokio::io::BufReader::new(socket);
        loop {
            let mut line = String::new();
            tokio::select! {
                n = r.read_line(&mut line) => match n? {
                    0 => break,
                    _ => got += line.len(),
                },
                () = tick() => {} // a heartbeat would go here
            }
        }
    }
    let sent = sender.await.map_err(io::Error::other)??;
    Ok((sent, sent - got))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> io::Result<()> {
    println!(
        "The same RESP key-value server on two readers: {CLIENTS} clients, {BATCHES} pipelined \
         batches of {BATCH} commands each, over loopback."
    );
    let pool = Pool::new(PoolConfig::default()).map_err(io::Error::other)?;
    println!("[1/4] serving with this library (Framed + a codec on a cursor) ...");
    let ours = serve_clients(true, &pool).await?;
    let stats = pool.stats();
    println!("[2/4] serving with tokio's BufReader (read_until + read_exact) ...");
    let theirs = serve_clients(false, &pool).await?;
    println!();
    println!("                               this library   tokio BufReader");
    println!(
        "commands a second              {:>12.0}   {:>15.0}   ({:.2}x)",
        ours.commands_per_s,
        theirs.commands_per_s,
        ours.commands_per_s / theirs.commands_per_s
    );
    println!(
        "read buffer bytes/connection   {:>12}   {:>15}   (ours: pooled bytes at the sampled peak)",
        ours.buffer_per_conn, theirs.buffer_per_conn
    );
    println!(
        "chunks: {} acquisitions served by {} allocations ({:.1}% reused), {} bytes in use after",
        stats.acquired,
        stats.allocated,
        100.0 * stats.reused as f64 / stats.acquired.max(1) as f64,
        stats.outstanding_bytes
    );
    println!();
    let lines = 100;
    println!(
        "[3/4] {lines} lines sent in 5-byte pieces; the reader loops on read_line under select! \
         with a 1 ms timeout: this library ..."
    );
    let (sent, lost_ours) = lossy_loop(true, lines).await?;
    println!("[4/4] the same with tokio's BufReader::read_line ...");
    let (_, lost_theirs) = lossy_loop(false, lines).await?;
    println!(
        "bytes lost of {sent} sent, when the timeout fired mid-line: this library {lost_ours}, \
         tokio BufReader {lost_theirs} (its read_line had put them in a String the loop dropped)"
    );
    if lost_ours != 0 {
        return Err(io::Error::other("this library lost bytes under select!"));
    }
    Ok(())
}
