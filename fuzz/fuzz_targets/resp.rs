//! A RESP (Redis protocol) decoder built on the public `Pipe` API, fed arbitrary bytes in
//! arbitrary pieces: it must never panic, and whenever it waits for more input the pipe must
//! hold no more than one frame's worth (the decoder's limits bound its memory).
//!
//! Input: byte 0 is the piece size, the rest the stream.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use pipe_core::{Pipe, PipeOptions, ReadError};

const MAX_BULK: usize = 4096;
const MAX_ARRAY: usize = 1024;
const MAX_DEPTH: usize = 8;
/// Lines and bulk bodies (with their CRLF) fit in one frame.
const MAX_FRAME: usize = MAX_BULK + 2;

#[derive(Debug)]
#[allow(dead_code)]
enum Value {
    Simple(Bytes),
    Error(Bytes),
    Int(i64),
    Bulk(Option<Bytes>),
    Array(Option<Vec<Value>>),
}

#[derive(Debug)]
enum Bad {
    Protocol(&'static str),
    Stream(ReadError),
}

struct Decoder {
    pipe: Pipe,
    /// Arrays being filled: items still expected, items so far.
    stack: Vec<(usize, Vec<Value>)>,
    /// The length of a bulk string whose header was read and whose body was not.
    bulk: Option<usize>,
}

fn number(digits: &[u8]) -> Result<i64, Bad> {
    std::str::from_utf8(digits)
        .ok()
        .and_then(|d| d.parse().ok())
        .ok_or(Bad::Protocol("not a number"))
}

impl Decoder {
    /// The next complete value, `Ok(None)` when more input is needed.
    fn decode(&mut self) -> Result<Option<Value>, Bad> {
        loop {
            let value = if let Some(len) = self.bulk {
                let body = match self.pipe.read_exact(len + 2) {
                    Ok(body) => body,
                    Err(ReadError::NeedMore) => return Ok(None),
                    Err(e) => return Err(Bad::Stream(e)),
                };
                self.bulk = None;
                if !body.ends_with(b"\r\n") {
                    return Err(Bad::Protocol("bulk string without CRLF"));
                }
                Value::Bulk(Some(body.slice(..len)))
            } else {
                let line = match self.pipe.read_line(false) {
                    Ok(line) => line,
                    Err(ReadError::NeedMore) => return Ok(None),
                    Err(e) => return Err(Bad::Stream(e)),
                };
                let Some((&kind, rest)) = line.split_first() else {
                    return Err(Bad::Protocol("empty line"));
                };
                match kind {
                    b'+' => Value::Simple(line.slice(1..)),
                    b'-' => Value::Error(line.slice(1..)),
                    b':' => Value::Int(number(rest)?),
                    b'$' => match number(rest)? {
                        -1 => Value::Bulk(None),
                        n if (0..=MAX_BULK as i64).contains(&n) => {
                            self.bulk = Some(n as usize);
                            continue;
                        }
                        _ => return Err(Bad::Protocol("bulk length out of range")),
                    },
                    b'*' => match number(rest)? {
                        -1 => Value::Array(None),
                        0 => Value::Array(Some(Vec::new())),
                        n if (1..=MAX_ARRAY as i64).contains(&n) => {
                            if self.stack.len() == MAX_DEPTH {
                                return Err(Bad::Protocol("arrays nested too deep"));
                            }
                            self.stack.push((n as usize, Vec::new()));
                            continue;
                        }
                        _ => return Err(Bad::Protocol("array length out of range")),
                    },
                    _ => return Err(Bad::Protocol("unknown type byte")),
                }
            };
            // Put the value where it belongs; complete arrays become values in turn.
            let mut value = value;
            loop {
                let Some((left, items)) = self.stack.last_mut() else {
                    return Ok(Some(value));
                };
                items.push(value);
                *left -= 1;
                if *left > 0 {
                    break;
                }
                let (_, items) = self.stack.pop().expect("just looked");
                value = Value::Array(Some(items));
            }
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let [piece, stream @ ..] = input else {
        return;
    };
    let mut d = Decoder {
        pipe: Pipe::with_options(PipeOptions::new().max_frame(MAX_FRAME)),
        stack: Vec::new(),
        bulk: None,
    };
    let piece = *piece as usize + 1;
    let mut values = 0usize;
    for part in stream.chunks(piece) {
        d.pipe.write_all(part).expect("open");
        loop {
            match d.decode() {
                Ok(Some(_)) => values += 1,
                Ok(None) => break,
                Err(Bad::Protocol(why)) => {
                    std::hint::black_box(why);
                    return;
                }
                Err(Bad::Stream(e)) => {
                    assert!(
                        matches!(e, ReadError::LimitExceeded { .. }),
                        "only the limit can stop an open stream: {e:?}"
                    );
                    return;
                }
            }
        }
        // Waiting for more: at most one incomplete frame is buffered.
        assert!(
            d.pipe.len() <= MAX_FRAME + 1,
            "buffered {} bytes",
            d.pipe.len()
        );
    }
    d.pipe.eof().expect("open");
    match d.decode() {
        Ok(Some(_)) => unreachable!("a complete value would have been decoded before eof"),
        Ok(None) => unreachable!("a closed pipe never needs more"),
        Err(_) => {}
    }
    std::hint::black_box(values);
});
