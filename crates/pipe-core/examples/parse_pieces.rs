//! The main job: a RESP-like command stream (`*N\r\n` then N bulk strings `$len\r\n<bytes>\r\n`)
//! is generated, fed into a `Pipe` in random-size pieces through `get_buffer`/`buffer_written`
//! (as a socket read would fill it), and parsed incrementally: each time the parser needs more,
//! it waits for the next piece; nothing it has seen is lost or scanned twice.
//!
//! Run: `cargo run --release --example parse_pieces`

use std::time::Instant;

use pipe_core::{Pipe, PipeOptions, Pool, PoolConfig, ReadError};

/// A deterministic xorshift generator, so every run parses the same stream.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Where the parser stands between pieces of input.
enum Expect {
    /// An array header `*N\r\n`.
    Array,
    /// A bulk header `$len\r\n`, with the items of the command so far and how many are left.
    Bulk { items: Vec<Vec<u8>>, left: usize },
    /// `len` bytes of a bulk string and its `\r\n`.
    Body {
        items: Vec<Vec<u8>>,
        left: usize,
        len: usize,
    },
}

/// Parses a number after a one-byte type marker, e.g. `*3` or `$12`.
fn number(line: &[u8], marker: u8) -> Result<usize, String> {
    match line.split_first() {
        Some((&m, digits)) if m == marker => std::str::from_utf8(digits)
            .ok()
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| format!("bad number in {:?}", String::from_utf8_lossy(line))),
        _ => Err(format!("expected {:?} line", marker as char)),
    }
}

/// Parses every complete command buffered; returns them, leaving partial input in the pipe.
fn parse(pipe: &mut Pipe, at: &mut Expect) -> Result<Vec<Vec<Vec<u8>>>, String> {
    let mut done = Vec::new();
    loop {
        let step = match at {
            Expect::Array => pipe.read_line_ref(false).map(|line| {
                let n = number(line, b'*')?;
                Ok(Expect::Bulk {
                    items: Vec::with_capacity(n),
                    left: n,
                })
            }),
            Expect::Bulk { items, left } => pipe.read_line_ref(false).map(|line| {
                Ok(Expect::Body {
                    items: std::mem::take(items),
                    left: *left,
                    len: number(line, b'$')?,
                })
            }),
            Expect::Body { items, left, len } => pipe.read_exact_ref(*len + 2).map(|body| {
                if !body.ends_with(b"\r\n") {
                    return Err("bulk string not followed by CRLF".to_string());
                }
                let mut items = std::mem::take(items);
                items.push(body[..*len].to_vec());
                Ok(Expect::Bulk {
                    items,
                    left: *left - 1,
                })
            }),
        };
        match step {
            Ok(next) => *at = next?,
            Err(ReadError::NeedMore | ReadError::End) => return Ok(done),
            Err(e) => return Err(e.to_string()),
        }
        if let Expect::Bulk { items, left: 0 } = at {
            done.push(std::mem::take(items));
            *at = Expect::Array;
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = Rng(0x5eed_cafe);
    let verbs: [&[u8]; 4] = [b"GET", b"SET", b"DEL", b"INCR"];
    let mut stream = Vec::new();
    let commands = 50_000;
    for i in 0..commands {
        let verb = verbs[rng.below(4) as usize];
        let key = format!("key:{i}");
        let mut items: Vec<Vec<u8>> = vec![verb.to_vec(), key.into_bytes()];
        if verb == b"SET" {
            // Values with CRLF inside: a bulk string is binary-safe.
            let len = rng.below(200) as usize;
            items.push((0..len).map(|j| b"ab\r\nxyz"[j % 7]).collect());
        }
        stream.extend_from_slice(format!("*{}\r\n", items.len()).as_bytes());
        for item in &items {
            stream.extend_from_slice(format!("${}\r\n", item.len()).as_bytes());
            stream.extend_from_slice(item);
            stream.extend_from_slice(b"\r\n");
        }
    }

    let pool = Pool::new(PoolConfig::default())?;
    let mut pipe = Pipe::with_options(PipeOptions::new().pool(pool.clone()));
    let mut at = Expect::Array;
    let mut parsed = Vec::new();
    let mut pieces = 0;
    let mut peak_chunks = 0;
    let started = Instant::now();
    let mut rest = &stream[..];
    while !rest.is_empty() {
        // A "socket read" of 1 byte to 8 KiB straight into pooled memory.
        let want = (1 + rng.below(8192) as usize).min(rest.len());
        let buf = pipe.get_buffer(0)?;
        let n = want.min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        pipe.buffer_written(n)?;
        rest = &rest[n..];
        pieces += 1;
        peak_chunks = peak_chunks.max(pool.stats().outstanding_chunks);
        parsed.extend(parse(&mut pipe, &mut at)?);
    }
    pipe.eof()?;
    parsed.extend(parse(&mut pipe, &mut at)?);
    let elapsed = started.elapsed();

    println!(
        "fed {} bytes in {pieces} pieces of 1..=8192 bytes",
        stream.len()
    );
    println!(
        "parsed {} commands in {:.1} ms ({:.0} MiB/s)",
        parsed.len(),
        elapsed.as_secs_f64() * 1e3,
        stream.len() as f64 / elapsed.as_secs_f64() / (1 << 20) as f64
    );
    for cmd in parsed.iter().take(3).chain(parsed.last()) {
        let shown: Vec<String> = cmd
            .iter()
            .map(|i| format!("{:?}", String::from_utf8_lossy(i)))
            .collect();
        println!("  {}", shown.join(" "));
    }
    let mut counts = std::collections::BTreeMap::new();
    for cmd in &parsed {
        *counts
            .entry(String::from_utf8_lossy(&cmd[0]).into_owned())
            .or_insert(0) += 1;
    }
    println!("by verb: {counts:?}");
    println!(
        "bytes examined by searches: {} ({:.2} per byte of input)",
        pipe.scanned_bytes(),
        pipe.scanned_bytes() as f64 / stream.len() as f64
    );
    drop(pipe);
    let stats = pool.stats();
    println!(
        "pool: peak {peak_chunks} chunks in use, {} acquired, {} allocated, {} outstanding at the end",
        stats.acquired, stats.allocated, stats.outstanding_chunks
    );
    if parsed.len() != commands {
        return Err(format!("parsed {} of {commands} commands", parsed.len()).into());
    }
    Ok(())
}
