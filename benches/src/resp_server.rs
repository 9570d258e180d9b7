//! A RESP2 server that `redis-cli` and `redis-benchmark` talk to: PING (inline and as an
//! array), SET, GET, DEL, INCR, LPUSH, LRANGE, `CONFIG GET` (answered as redis-server does
//! without persistence), an error for the rest. The command logic ([`execute`]) is written once
//! over argument slices; three readers feed it, so that benchmarks compare readers and nothing
//! else:
//!
//! - [`Reader::Ours`]: a `ChunkedStream`; each command is parsed in one pass over the chunk it
//!   lies in and its arguments are lent from that chunk (no copy, no allocation); a command
//!   that straddles chunks asks the pipe for room (`reserve_frame`) when its length is known,
//!   so the next one lands whole, and is otherwise taken through a cursor.
//! - [`Reader::BufReader`]: tokio's `BufReader` with `read_until` and `read_exact` into a
//!   per-connection buffer, as a hand-written server does.
//! - [`Reader::Framed`]: tokio-util's `Framed` with a `Decoder` running the same one-pass
//!   parser over its `BytesMut`.
//!
//! Replies are batched per read: each server writes what it has answered once no complete
//! command is left in its buffer.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::sync::{Arc, Mutex};

use bytes::{Buf, BytesMut};
use futures_util::StreamExt;
use pipe_core::ReadError;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Which reader serves the connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    /// This library's `ChunkedStream`, arguments lent from its chunks.
    Ours,
    /// tokio's `BufReader`.
    BufReader,
    /// tokio-util's `Framed`.
    Framed,
}

impl Reader {
    /// All three, in the order benchmarks report them.
    pub const ALL: [Reader; 3] = [Reader::Ours, Reader::BufReader, Reader::Framed];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Reader::Ours => "ours",
            Reader::BufReader => "bufreader",
            Reader::Framed => "framed",
        }
    }

    /// The reader called `name`.
    pub fn from_name(name: &str) -> Option<Reader> {
        Reader::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// A stored value.
#[derive(Debug)]
enum Value {
    Str(Vec<u8>),
    List(VecDeque<Vec<u8>>),
}

/// The keys, shared by every connection of one server.
#[derive(Debug, Default)]
pub struct Store {
    map: HashMap<Vec<u8>, Value>,
}

/// A store several connections share.
pub type Shared = Arc<Mutex<Store>>;

const WRONGTYPE: &[u8] = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
const NOT_INTEGER: &[u8] = b"-ERR value is not an integer or out of range\r\n";

fn bulk(out: &mut Vec<u8>, v: &[u8]) {
    out.push(b'$');
    out.extend_from_slice(itoa(v.len() as i64).as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(v);
    out.extend_from_slice(b"\r\n");
}

fn integer(out: &mut Vec<u8>, n: i64) {
    out.push(b':');
    out.extend_from_slice(itoa(n).as_bytes());
    out.extend_from_slice(b"\r\n");
}

fn array_header(out: &mut Vec<u8>, n: usize) {
    out.push(b'*');
    out.extend_from_slice(itoa(n as i64).as_bytes());
    out.extend_from_slice(b"\r\n");
}

fn itoa(n: i64) -> String {
    n.to_string()
}

/// A decimal integer as redis reads one (no sign-only, no spaces, no leading `+`).
fn parse_int(v: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(v).ok()?;
    if s.is_empty() || s.starts_with('+') || s.len() > 20 {
        return None;
    }
    s.parse().ok()
}

fn wrong_arity(out: &mut Vec<u8>, name: &str) {
    out.extend_from_slice(
        format!("-ERR wrong number of arguments for '{name}' command\r\n").as_bytes(),
    );
}

/// Runs one command (`args[0]` is its name, any case) and appends its reply to `out`, as
/// redis-server 7 answers it.
pub fn execute(store: &mut Store, args: &[&[u8]], out: &mut Vec<u8>) {
    let Some((name, rest)) = args.split_first() else {
        return; // an empty inline line: redis answers nothing
    };
    let lower = name.to_ascii_lowercase();
    let arity_ok = |min: usize, exact: bool| {
        if exact {
            args.len() == min
        } else {
            args.len() >= min
        }
    };
    match lower.as_slice() {
        b"ping" => match rest {
            [] => out.extend_from_slice(b"+PONG\r\n"),
            [msg] => bulk(out, msg),
            _ => wrong_arity(out, "ping"),
        },
        b"set" if arity_ok(3, false) => {
            if args.len() > 3 {
                out.extend_from_slice(b"-ERR syntax error\r\n");
                return;
            }
            store
                .map
                .insert(rest[0].to_vec(), Value::Str(rest[1].to_vec()));
            out.extend_from_slice(b"+OK\r\n");
        }
        b"get" if arity_ok(2, true) => match store.map.get(rest[0]) {
            None => out.extend_from_slice(b"$-1\r\n"),
            Some(Value::Str(v)) => bulk(out, v),
            Some(Value::List(_)) => out.extend_from_slice(WRONGTYPE),
        },
        b"del" if arity_ok(2, false) => {
            let n = rest
                .iter()
                .filter(|k| store.map.remove(**k).is_some())
                .count();
            integer(out, n as i64);
        }
        b"incr" if arity_ok(2, true) => {
            let current = match store.map.get(rest[0]) {
                None => 0,
                Some(Value::Str(v)) => match parse_int(v) {
                    Some(n) => n,
                    None => return out.extend_from_slice(NOT_INTEGER),
                },
                Some(Value::List(_)) => return out.extend_from_slice(WRONGTYPE),
            };
            let Some(next) = current.checked_add(1) else {
                return out.extend_from_slice(b"-ERR increment or decrement would overflow\r\n");
            };
            store
                .map
                .insert(rest[0].to_vec(), Value::Str(itoa(next).into_bytes()));
            integer(out, next);
        }
        b"lpush" if arity_ok(3, false) => {
            let entry = store
                .map
                .entry(rest[0].to_vec())
                .or_insert_with(|| Value::List(VecDeque::new()));
            match entry {
                Value::List(list) => {
                    for v in &rest[1..] {
                        list.push_front(v.to_vec());
                    }
                    integer(out, list.len() as i64);
                }
                Value::Str(_) => out.extend_from_slice(WRONGTYPE),
            }
        }
        b"lrange" if arity_ok(4, true) => {
            let (Some(start), Some(stop)) = (parse_int(rest[1]), parse_int(rest[2])) else {
                return out.extend_from_slice(NOT_INTEGER);
            };
            match store.map.get(rest[0]) {
                None => out.extend_from_slice(b"*0\r\n"),
                Some(Value::Str(_)) => out.extend_from_slice(WRONGTYPE),
                Some(Value::List(list)) => {
                    let len = list.len() as i64;
                    let start = if start < 0 {
                        (len + start).max(0)
                    } else {
                        start
                    };
                    let stop = if stop < 0 {
                        len + stop
                    } else {
                        stop.min(len - 1)
                    };
                    if start > stop || start >= len {
                        return out.extend_from_slice(b"*0\r\n");
                    }
                    array_header(out, (stop - start + 1) as usize);
                    for v in list.range(start as usize..=stop as usize) {
                        bulk(out, v);
                    }
                }
            }
        }
        b"config" => match rest {
            [sub, params @ ..] if sub.eq_ignore_ascii_case(b"get") && !params.is_empty() => {
                // What a redis-server started without persistence answers.
                let known: [(&[u8], &[u8]); 2] = [(b"save", b""), (b"appendonly", b"no")];
                let found: Vec<_> = known
                    .iter()
                    .filter(|(k, _)| params.iter().any(|p| p.eq_ignore_ascii_case(k)))
                    .collect();
                array_header(out, found.len() * 2);
                for (k, v) in found {
                    bulk(out, k);
                    bulk(out, v);
                }
            }
            [sub, ..] if sub.eq_ignore_ascii_case(b"get") => wrong_arity(out, "config|get"),
            [] => wrong_arity(out, "config"),
            [sub, ..] => out.extend_from_slice(
                format!(
                    "-ERR unknown subcommand '{}'. Try CONFIG HELP.\r\n",
                    String::from_utf8_lossy(sub)
                )
                .as_bytes(),
            ),
        },
        b"set" => wrong_arity(out, "set"),
        b"get" => wrong_arity(out, "get"),
        b"del" => wrong_arity(out, "del"),
        b"incr" => wrong_arity(out, "incr"),
        b"lpush" => wrong_arity(out, "lpush"),
        b"lrange" => wrong_arity(out, "lrange"),
        _ => {
            let mut msg = format!(
                "-ERR unknown command '{}', with args beginning with: ",
                String::from_utf8_lossy(name)
            );
            for a in rest {
                msg.push_str(&format!("'{}' ", String::from_utf8_lossy(a)));
            }
            msg.push_str("\r\n");
            out.extend_from_slice(msg.as_bytes());
        }
    }
}

/// The most arguments a command may have, and the longest bulk string (redis' defaults are
/// larger; these keep a bad client from making a server buffer without bound).
pub const MAX_ARGS: usize = 1 << 20;
/// The longest bulk string accepted.
pub const MAX_BULK: usize = 512 << 20;

/// One pass over contiguous bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A whole command in `buf[..end]`; its arguments are in the `args` given to [`parse`].
    Command {
        /// Bytes the command takes.
        end: usize,
    },
    /// More bytes are needed; at least `need` in all when the parser knows it.
    Incomplete {
        /// The command's whole length, once a bulk header says it (else 0).
        need: usize,
    },
}

/// Parses one command (an array of bulk strings, or an inline line) at the start of `buf`,
/// pushing each argument's (offset, length) onto `args` (cleared first). Errors: a protocol
/// error, as redis would report it.
pub fn parse(buf: &[u8], args: &mut Vec<(usize, usize)>) -> Result<Parsed, &'static str> {
    args.clear();
    let Some(&first) = buf.first() else {
        return Ok(Parsed::Incomplete { need: 0 });
    };
    if first != b'*' {
        // Inline: a line of words separated by spaces.
        let Some(nl) = memchr::memchr(b'\n', buf) else {
            return Ok(Parsed::Incomplete { need: 0 });
        };
        let line_end = if nl > 0 && buf[nl - 1] == b'\r' {
            nl - 1
        } else {
            nl
        };
        let mut i = 0;
        while i < line_end {
            if buf[i] == b' ' {
                i += 1;
                continue;
            }
            let start = i;
            while i < line_end && buf[i] != b' ' {
                i += 1;
            }
            args.push((start, i - start));
        }
        return Ok(Parsed::Command { end: nl + 1 });
    }
    let mut at = 0;
    let Some((count, next)) = header(buf, at, b'*')? else {
        return Ok(Parsed::Incomplete { need: 0 });
    };
    if count > MAX_ARGS {
        return Err("invalid multibulk length");
    }
    at = next;
    for _ in 0..count {
        let Some((len, next)) = header(buf, at, b'$')? else {
            return Ok(Parsed::Incomplete { need: 0 });
        };
        if len > MAX_BULK {
            return Err("invalid bulk length");
        }
        let end = next + len + 2;
        if buf.len() < end {
            return Ok(Parsed::Incomplete { need: end });
        }
        if &buf[end - 2..end] != b"\r\n" {
            return Err("expected CRLF after a bulk string");
        }
        args.push((next, len));
        at = end;
    }
    Ok(Parsed::Command { end: at })
}

/// `<marker><decimal>\r\n` at `at`: the number and where the next field starts; `None` when
/// the line is not all there.
fn header(buf: &[u8], at: usize, marker: u8) -> Result<Option<(usize, usize)>, &'static str> {
    let Some(nl) = memchr::memchr(b'\n', &buf[at.min(buf.len())..]) else {
        return Ok(None);
    };
    let line = &buf[at..at + nl];
    let digits = match line.split_first() {
        Some((&m, rest)) if m == marker => rest.strip_suffix(b"\r").ok_or("expected CRLF")?,
        _ => {
            return Err(if marker == b'$' {
                "expected '$'"
            } else {
                "expected '*'"
            });
        }
    };
    let mut n: usize = 0;
    if digits.is_empty() {
        return Err("invalid length");
    }
    for &d in digits {
        if !d.is_ascii_digit() {
            return Err("invalid length");
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add((d - b'0') as usize))
            .ok_or("invalid length")?;
    }
    Ok(Some((n, at + nl + 1)))
}

fn protocol_error(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("Protocol error: {why}"))
}

/// Serves every connection `listener` accepts, with `reader`, until the task is dropped.
pub async fn run(listener: TcpListener, reader: Reader) -> io::Result<()> {
    let store = Shared::default();
    loop {
        let (socket, _) = listener.accept().await?;
        socket.set_nodelay(true)?;
        let store = store.clone();
        tokio::spawn(async move {
            let _ = serve(reader, socket, store).await;
        });
    }
}

/// Serves one connection until the client closes it.
pub async fn serve(reader: Reader, socket: TcpStream, store: Shared) -> io::Result<()> {
    match reader {
        Reader::Ours => serve_ours(socket, store).await,
        Reader::BufReader => serve_bufreader(socket, store).await,
        Reader::Framed => serve_framed(socket, store).await,
    }
}

/// This library: each command parsed in one pass over the chunk it starts in, its arguments
/// lent from there; `fill_more` when the buffered bytes hold no whole command.
async fn serve_ours(socket: TcpStream, store: Shared) -> io::Result<()> {
    let mut conn = pipe_tokio::ChunkedStream::new(socket);
    conn.pipe_mut().set_max_frame(pipe_core::UNLIMITED);
    let mut out = Vec::new();
    let mut spans = Vec::new();
    loop {
        loop {
            let pipe = conn.pipe_mut();
            let first = pipe.chunks().next().unwrap_or(&[]);
            match parse(first, &mut spans).map_err(protocol_error)? {
                Parsed::Command { end } => {
                    let args: Vec<&[u8]> = spans.iter().map(|&(o, n)| &first[o..o + n]).collect();
                    execute(&mut store.lock().expect("not poisoned"), &args, &mut out);
                    pipe.skip(end);
                }
                Parsed::Incomplete { need } if first.len() == pipe.len() => {
                    // All that is buffered is in this chunk: wait for more, with room for the
                    // whole command when its length is known.
                    if need > 0 {
                        pipe.reserve_frame(need);
                    }
                    break;
                }
                Parsed::Incomplete { .. } => match command_across_chunks(pipe)? {
                    Some(args) => {
                        let args: Vec<&[u8]> = args.iter().map(|a| &a[..]).collect();
                        execute(&mut store.lock().expect("not poisoned"), &args, &mut out);
                    }
                    None => break,
                },
            }
        }
        if !out.is_empty() {
            conn.write_all(&out).await?;
            out.clear();
        }
        if conn.fill_more().await? == 0 {
            return Ok(());
        }
    }
}

/// A command that straddles chunks, through a cursor: consumed whole (`Some`) or not at all.
fn command_across_chunks(pipe: &mut pipe_core::Pipe) -> io::Result<Option<Vec<pipe_core::Bytes>>> {
    let mut cursor = pipe.cursor();
    let c = &mut cursor;
    let parsed = (|| -> Result<Vec<pipe_core::Bytes>, ReadError> {
        if !c.skip_if(b"*")? {
            // Inline, across chunks: rare; the line as one argument list.
            let line = c.until(b"\n")?;
            let line = line.strip_suffix(b"\r").unwrap_or(&line);
            return Ok(line
                .split(|&b| b == b' ')
                .filter(|w| !w.is_empty())
                .map(pipe_core::Bytes::copy_from_slice)
                .collect());
        }
        let count = c.decimal()? as usize;
        if !c.skip_if(b"\r\n")? || count > MAX_ARGS {
            return Err(ReadError::Malformed("invalid multibulk length"));
        }
        let mut args = Vec::with_capacity(count);
        for _ in 0..count {
            if !c.skip_if(b"$")? {
                return Err(ReadError::Malformed("expected '$'"));
            }
            let len = c.decimal()? as usize;
            if !c.skip_if(b"\r\n")? || len > MAX_BULK {
                return Err(ReadError::Malformed("invalid bulk length"));
            }
            args.push(c.bytes(len)?);
            if !c.skip_if(b"\r\n")? {
                return Err(ReadError::Malformed("expected CRLF after a bulk string"));
            }
        }
        Ok(args)
    })();
    match parsed {
        Ok(args) => {
            cursor.commit();
            Ok(Some(args))
        }
        Err(ReadError::NeedMore) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// tokio's `BufReader`: `read_until(b'\n')` for each header line and `read_exact` for each
/// bulk string, into one buffer per connection; replies written when the reader's buffer is
/// empty.
async fn serve_bufreader(socket: TcpStream, store: Shared) -> io::Result<()> {
    let (r, mut w) = socket.into_split();
    let mut r = tokio::io::BufReader::new(r);
    let (mut line, mut arena, mut out) = (Vec::new(), Vec::new(), Vec::new());
    let mut spans: Vec<(usize, usize)> = Vec::new();
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        arena.clear();
        spans.clear();
        if line[0] == b'*' {
            let count = decimal_line(&line[1..])?;
            for _ in 0..count {
                line.clear();
                r.read_until(b'\n', &mut line).await?;
                if line.first() != Some(&b'$') {
                    return Err(protocol_error("expected '$'"));
                }
                let len = decimal_line(&line[1..])?;
                let at = arena.len();
                arena.resize(at + len + 2, 0);
                r.read_exact(&mut arena[at..]).await?;
                spans.push((at, len));
            }
        } else {
            parse(&line, &mut spans).map_err(protocol_error)?;
            arena.extend_from_slice(&line);
        }
        let args: Vec<&[u8]> = spans.iter().map(|&(o, n)| &arena[o..o + n]).collect();
        execute(&mut store.lock().expect("not poisoned"), &args, &mut out);
        if r.buffer().is_empty() && !out.is_empty() {
            w.write_all(&out).await?;
            out.clear();
        }
    }
}

fn decimal_line(digits: &[u8]) -> io::Result<usize> {
    let digits = digits.strip_suffix(b"\n").unwrap_or(digits);
    let digits = digits.strip_suffix(b"\r").unwrap_or(digits);
    std::str::from_utf8(digits)
        .ok()
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| protocol_error("invalid length"))
}

/// tokio-util's `Framed` with a decoder running [`parse`] over its `BytesMut`.
async fn serve_framed(socket: TcpStream, store: Shared) -> io::Result<()> {
    let mut framed = tokio_util::codec::Framed::new(socket, CommandCodec::default());
    let mut out = Vec::new();
    while let Some(frame) = framed.next().await {
        let bytes = frame?;
        // The spans of the frame just decoded (the next decode happens at the next poll).
        let spans = &framed.codec().spans;
        let args: Vec<&[u8]> = spans.iter().map(|&(o, n)| &bytes[o..o + n]).collect();
        execute(&mut store.lock().expect("not poisoned"), &args, &mut out);
        if framed.read_buffer().is_empty() && !out.is_empty() {
            framed.get_mut().write_all(&out).await?;
            out.clear();
        }
    }
    Ok(())
}

/// tokio-util's side: whole commands as frozen bytes; the argument spans of the last one in
/// `spans`.
#[derive(Debug, Default)]
pub struct CommandCodec {
    /// The last command's arguments (offset, length).
    pub spans: Vec<(usize, usize)>,
}

impl tokio_util::codec::Decoder for CommandCodec {
    type Item = bytes::Bytes;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<bytes::Bytes>> {
        match parse(src, &mut self.spans).map_err(protocol_error)? {
            Parsed::Command { end } => Ok(Some(src.split_to(end).freeze())),
            Parsed::Incomplete { need } => {
                src.reserve(need.saturating_sub(src.len()));
                Ok(None)
            }
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> io::Result<Option<bytes::Bytes>> {
        match self.decode(src)? {
            Some(frame) => Ok(Some(frame)),
            None => {
                src.advance(src.len());
                Ok(None)
            }
        }
    }
}
