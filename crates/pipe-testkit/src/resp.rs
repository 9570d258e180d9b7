//! A RESP2 (Redis protocol) client on a chunked stream: replies are parsed with `read_line` for
//! the type lines and `read_exact` for bulk bodies, and any number of commands go out in one
//! vectored write.
//!
//! Parsing is synchronous on the stream's pipe (`pipe_mut()`): every reply already buffered is
//! parsed without a poll, the type lines lent from pooled memory (no allocation), the bulk
//! bodies as `Bytes` slices of it. Only when a read says `NeedMore` does the client await
//! `fill_more()`. A pipe read returns a frame or consumes nothing, so the parser's only state
//! between fills is the arrays it is inside and a bulk whose header it has read.
//!
//! It runs on any adapter's stream: it needs only `pipe_core::adapter`'s `PollRead` (the pipe,
//! and a way to wait for more bytes) and `PollWrite`, which `pipe_tokio::ChunkedStream` and
//! `pipe_async_std::ChunkedStream` implement. The adapters' tests, the `redis` example and the
//! redis benchmark all use this one client.

use std::io::{self, IoSlice};

use bytes::Bytes;
use pipe_core::ReadError;
use pipe_core::adapter::{self, PollRead, PollWrite};

/// One reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// `+OK`: a simple string.
    Simple(Bytes),
    /// `-ERR ...`: an error reply. The connection goes on; it is a value, not an `io::Error`.
    Error(Bytes),
    /// `:42`.
    Integer(i64),
    /// `$3\r\nabc\r\n`: a bulk string (binary, may hold `\r\n`).
    Bulk(Bytes),
    /// `$-1` or `*-1`: no value.
    Nil,
    /// `*2\r\n...`: an array of replies.
    Array(Vec<Value>),
}

/// The longest type line accepted (`$123`, `+OK`, `-ERR message`).
const MAX_LINE: usize = 64 * 1024;
/// The longest bulk string accepted: the server's default `proto-max-bulk-len`.
const MAX_BULK: usize = 512 * 1024 * 1024;
/// Arguments up to this size are copied next to their headers; longer ones go out from the
/// caller's memory as their own slice of the vectored write.
const COPY_BELOW: usize = 1024;

/// A connection to a Redis server.
#[derive(Debug)]
pub struct Client<S> {
    /// A chunked stream of either adapter.
    stream: S,
    /// The encoded headers (and small arguments) of the commands being sent.
    out: Vec<u8>,
    /// The arrays the reply being parsed is inside, innermost last, each with the length it
    /// must reach. Empty between replies.
    open: Vec<(Vec<Value>, usize)>,
    /// The length of a bulk string whose header was read and whose body has not all arrived.
    bulk: Option<usize>,
}

/// One piece of an encoded pipeline: a range of `Client::out` or an argument as it is.
enum Part<'a> {
    Out(usize, usize),
    Arg(&'a [u8]),
}

fn invalid(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

fn closed_mid_reply() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the server closed the connection before the reply was complete",
    )
}

/// Appends `*3\r\n` or `$5\r\n`: a type byte, a length in decimal, `\r\n`.
pub fn encode_header(out: &mut Vec<u8>, kind: u8, len: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = len;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push(kind);
    out.extend_from_slice(&digits[at..]);
    out.extend_from_slice(b"\r\n");
}

fn parse_int(digits: &[u8]) -> io::Result<i64> {
    std::str::from_utf8(digits)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            invalid(format!(
                "not an integer: {:?}",
                String::from_utf8_lossy(digits)
            ))
        })
}

impl<S: PollRead + PollWrite> Client<S> {
    /// A client on a connected stream.
    pub fn new(stream: S) -> Self {
        Client {
            stream,
            out: Vec::new(),
            open: Vec::new(),
            bulk: None,
        }
    }

    /// The stream (for its pool and buffered-byte figures).
    pub fn stream(&self) -> &S {
        &self.stream
    }

    /// The stream, mutably (to wait for bytes with `fill_more` between a send and a read).
    pub fn stream_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// Sends one command and reads its reply.
    pub async fn command(&mut self, args: &[&[u8]]) -> io::Result<Value> {
        self.send(&[args]).await?;
        self.read_reply().await
    }

    /// Sends `commands` in one vectored write, then reads one reply per command.
    pub async fn pipeline(&mut self, commands: &[&[&[u8]]]) -> io::Result<Vec<Value>> {
        self.send(commands).await?;
        let mut replies = Vec::with_capacity(commands.len());
        for _ in commands {
            replies.push(self.read_reply().await?);
        }
        Ok(replies)
    }

    /// Encodes `commands` as RESP arrays of bulk strings and writes them with one
    /// `write_vectored_all`.
    pub async fn send(&mut self, commands: &[&[&[u8]]]) -> io::Result<()> {
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        let mut parts: Vec<Part<'_>> = Vec::new();
        let mut from = 0;
        for args in commands {
            encode_header(&mut out, b'*', args.len());
            for arg in *args {
                encode_header(&mut out, b'$', arg.len());
                if arg.len() < COPY_BELOW {
                    out.extend_from_slice(arg);
                } else {
                    parts.push(Part::Out(from, out.len()));
                    parts.push(Part::Arg(arg));
                    from = out.len();
                }
                out.extend_from_slice(b"\r\n");
            }
        }
        parts.push(Part::Out(from, out.len()));
        let mut slices: Vec<IoSlice<'_>> = parts
            .iter()
            .map(|part| match *part {
                Part::Out(a, b) => IoSlice::new(&out[a..b]),
                Part::Arg(arg) => IoSlice::new(arg),
            })
            .filter(|s| !s.is_empty())
            .collect();
        let sent = adapter::write_vectored_all(&mut self.stream, &mut &mut slices[..]).await;
        drop(slices);
        self.out = out;
        sent
    }

    /// Reads one reply. An error reply is `Ok(Value::Error(..))`; a connection closed before
    /// or inside the reply is an `UnexpectedEof` error (with what arrived of a bulk inside: see
    /// `read_error_of`). Cancel safe: the parse resumes where it stopped.
    pub async fn read_reply(&mut self) -> io::Result<Value> {
        loop {
            if let Some(value) = self.parse_buffered()? {
                return Ok(value);
            }
            // At the end of the stream, the next parse sees it (end or partial).
            adapter::fill_more(&mut self.stream).await?;
        }
    }

    /// Parses one reply from what is buffered: `Ok(None)` if it has not all arrived (the parse
    /// goes on from there next time).
    fn parse_buffered(&mut self) -> io::Result<Option<Value>> {
        let Client {
            stream, open, bulk, ..
        } = self;
        stream.with_parts(|pipe, _| parse(pipe, open, bulk))
    }
}

/// [`Client::parse_buffered`] on the pipe: `open` and `bulk` are the client's parse state.
fn parse(
    pipe: &mut pipe_core::Pipe,
    open: &mut Vec<(Vec<Value>, usize)>,
    bulk: &mut Option<usize>,
) -> io::Result<Option<Value>> {
    {
        loop {
            let mut value = if let Some(n) = *bulk {
                // Not lower than for lines: `fill_more` reads up to the maximum frame past what
                // is buffered, and a small one would make it read a few bytes at a time.
                pipe.set_max_frame((n + 2).max(MAX_LINE));
                let mut body = match pipe.read_exact(n + 2) {
                    Ok(body) => body,
                    Err(ReadError::NeedMore) => return Ok(None),
                    Err(e) => return Err(e.into()),
                };
                *bulk = None;
                if !body.ends_with(b"\r\n") {
                    return Err(invalid("a bulk string not followed by \\r\\n"));
                }
                body.truncate(n);
                Value::Bulk(body)
            } else {
                pipe.set_max_frame(MAX_LINE);
                let line = match pipe.read_line_ref(false) {
                    Ok(line) => line,
                    Err(ReadError::NeedMore) => return Ok(None),
                    Err(ReadError::End) => return Err(closed_mid_reply()),
                    Err(e) => return Err(e.into()),
                };
                let (kind, rest) = line
                    .split_first()
                    .ok_or_else(|| invalid("an empty reply line"))?;
                match kind {
                    b'+' => Value::Simple(Bytes::copy_from_slice(rest)),
                    b'-' => Value::Error(Bytes::copy_from_slice(rest)),
                    b':' => Value::Integer(parse_int(rest)?),
                    b'$' => match usize::try_from(parse_int(rest)?) {
                        Err(_) => Value::Nil,
                        Ok(n) if n > MAX_BULK => {
                            return Err(invalid(format!("a bulk of {n} bytes")));
                        }
                        Ok(n) => {
                            *bulk = Some(n);
                            continue;
                        }
                    },
                    b'*' => match usize::try_from(parse_int(rest)?) {
                        Err(_) => Value::Nil,
                        Ok(0) => Value::Array(Vec::new()),
                        Ok(n) => {
                            open.push((Vec::with_capacity(n.min(1 << 16)), n));
                            continue;
                        }
                    },
                    other => {
                        return Err(invalid(format!("unknown reply type {:?}", *other as char)));
                    }
                }
            };
            // Hand the value to its array; close every array it completes.
            loop {
                let Some((items, want)) = open.last_mut() else {
                    return Ok(Some(value));
                };
                items.push(value);
                if items.len() < *want {
                    break;
                }
                let (items, _) = open.pop().expect("just seen");
                value = Value::Array(items);
            }
        }
    }
}
