//! Every read operation over a chunking matrix: chunks of 64 bytes, 4 KiB, 16 KiB and 1 MiB,
//! data arriving in pieces of 1, 7, 64 and 1000 bytes and in one piece, so separators straddle
//! chunk boundaries and pieces in every way.

mod common;

use common::{feed, finish, pipe_with_chunks};
use pipe_core::{Pipe, ReadError};

const CHUNKS: [usize; 4] = [64, 4096, 16 * 1024, 1 << 20];
const PIECES: [usize; 5] = [1, 7, 64, 1000, usize::MAX];

/// Deterministic pseudo-random numbers (xorshift), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Frames of 0..300 bytes drawn from `alphabet`, which must not contain the separator.
fn frames(seed: u64, count: usize, alphabet: &[u8]) -> Vec<Vec<u8>> {
    let mut rng = Rng(seed);
    (0..count)
        .map(|_| {
            let len = rng.below(300);
            (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect()
        })
        .collect()
}

/// Feeds `data` in pieces, calling `drain` after each piece until it reports need-more; then
/// closes and drains to the end. Checks the pool is balanced afterwards.
fn drive(data: &[u8], mut drain: impl FnMut(&mut Pipe) -> Result<(), ReadError>) {
    for chunk in CHUNKS {
        for piece in PIECES {
            let (mut p, pool) = pipe_with_chunks(chunk, 1 << 20);
            for part in data.chunks(piece.min(data.len()).max(1)) {
                feed(&mut p, part, part.len());
                match drain(&mut p) {
                    Err(ReadError::NeedMore) => {}
                    other => panic!("chunk {chunk} piece {piece}: {other:?}"),
                }
            }
            p.eof().unwrap();
            match drain(&mut p) {
                Err(ReadError::End) => {}
                other => panic!("chunk {chunk} piece {piece}: at the end {other:?}"),
            }
            finish(p, &pool);
        }
    }
}

fn joined(frames: &[Vec<u8>], sep: &[u8]) -> Vec<u8> {
    frames
        .iter()
        .flat_map(|f| [f.as_slice(), sep])
        .flatten()
        .copied()
        .collect()
}

#[test]
fn read_line_with_and_without_endings() {
    let lines = frames(1, 60, b"ab \r");
    // Mix "\n" and "\r\n" endings; a frame ending in '\r' followed by "\n" is a "\r\n" line.
    let data = joined(&lines, b"\n");
    for with_ending in [true, false] {
        let mut got = Vec::new();
        drive(&data, |p| {
            loop {
                got.push(p.read_line(with_ending)?.to_vec());
            }
        });
        let want: Vec<Vec<u8>> = lines
            .iter()
            .map(|l| {
                let mut l = l.clone();
                if with_ending {
                    l.push(b'\n');
                } else if l.last() == Some(&b'\r') {
                    l.pop();
                }
                l
            })
            .collect();
        for run in got.chunks(lines.len()) {
            assert_eq!(run, want.as_slice());
        }
        assert_eq!(got.len(), lines.len() * CHUNKS.len() * PIECES.len());
    }
}

#[test]
fn read_line_ref_matches_read_line() {
    let lines = frames(2, 60, b"xyz\r");
    let data = joined(&lines, b"\r\n");
    let mut got = Vec::new();
    drive(&data, |p| {
        loop {
            got.push(p.read_line_ref(false)?.to_vec());
        }
    });
    for run in got.chunks(lines.len()) {
        assert_eq!(run, lines.as_slice());
    }
}

#[test]
fn read_until_with_two_and_five_byte_separators() {
    for sep in [&b"\r\n"[..], b"<sep>"] {
        // '<', 's', 'e', 'p' and '\r' appear inside frames, so partial separators are common.
        let parts = frames(3, 50, b"<sep\r>x");
        let parts: Vec<Vec<u8>> = parts
            .into_iter()
            .map(|mut f| {
                // Remove accidental separators (and a tail that would complete one).
                while let Some(i) = f.windows(sep.len()).position(|w| w == sep) {
                    f.remove(i);
                }
                while !f.is_empty()
                    && (1..sep.len()).any(|k| f.len() >= k && f[f.len() - k..] == sep[..k])
                {
                    f.pop();
                }
                f
            })
            .collect();
        let data = joined(&parts, sep);
        for keep in [true, false] {
            let mut owned = Vec::new();
            let mut lent = Vec::new();
            drive(&data, |p| {
                loop {
                    owned.push(p.read_until(sep, keep)?.to_vec());
                }
            });
            drive(&data, |p| {
                loop {
                    lent.push(p.read_until_ref(sep, keep)?.to_vec());
                }
            });
            let want: Vec<Vec<u8>> = parts
                .iter()
                .map(|f| [f.as_slice(), if keep { sep } else { b"" }].concat())
                .collect();
            for run in owned.chunks(parts.len()).chain(lent.chunks(parts.len())) {
                assert_eq!(run, want.as_slice(), "sep {sep:?} keep {keep}");
            }
        }
    }
}

#[test]
fn read_exact_over_length_prefixed_frames() {
    let payloads = frames(4, 60, b"\x00\x01\xff\n");
    let data: Vec<u8> = payloads
        .iter()
        .flat_map(|f| [&(f.len() as u32).to_be_bytes()[..], f.as_slice()].concat())
        .collect();
    for lent in [false, true] {
        let mut got = Vec::new();
        let mut header: Option<usize> = None;
        drive(&data, |p| {
            loop {
                match header {
                    None => {
                        let h = p.read_exact(4)?;
                        header = Some(u32::from_be_bytes(h[..].try_into().unwrap()) as usize);
                    }
                    Some(n) => {
                        let body = if lent {
                            p.read_exact_ref(n)?.to_vec()
                        } else {
                            p.read_exact(n)?.to_vec()
                        };
                        got.push(body);
                        header = None;
                    }
                }
            }
        });
        for run in got.chunks(payloads.len()) {
            assert_eq!(run, payloads.as_slice());
        }
    }
}

#[test]
fn read_at_most_returns_everything_in_order() {
    let data = joined(&frames(5, 40, b"0123456789"), b"");
    for n in [1, 13, 5000] {
        let mut got = Vec::new();
        drive(&data, |p| {
            loop {
                let b = p.read_at_most(n)?;
                assert!(!b.is_empty() && b.len() <= n);
                got.extend_from_slice(&b);
            }
        });
        for run in got.chunks(data.len()) {
            assert_eq!(run, data.as_slice());
        }
    }
}

#[test]
fn peek_find_and_find_byte_see_what_is_buffered() {
    let data = joined(&frames(6, 40, b"abc"), b"\r\n");
    let mut model: Vec<u8> = Vec::new();
    let mut fed = 0;
    drive(&data, |p| {
        // `drive` restarts for every matrix cell: follow the pipe's length to stay in step.
        if p.len() < model.len() || (fed == data.len() && p.is_empty()) {
            model.clear();
            fed = 0;
        }
        let new = p.len() - model.len();
        model.extend_from_slice(&data[fed..fed + new]);
        fed += new;
        for n in [1, 2, 63, 64, 65, 1000] {
            match p.peek(n) {
                Ok(b) => assert_eq!(b, &model[..n.min(model.len())]),
                Err(e) => return Err(e),
            }
        }
        let crlf = model.windows(2).position(|w| w == b"\r\n");
        assert_eq!(p.find(b"\r\n", ..).unwrap(), crlf);
        assert_eq!(
            p.find_byte(b'\n', ..).unwrap(),
            model.iter().position(|&b| b == b'\n')
        );
        if let Some(i) = crlf {
            assert_eq!(
                p.find(b"\r\n", i + 1..).unwrap(),
                model[i + 1..]
                    .windows(2)
                    .position(|w| w == b"\r\n")
                    .map(|j| j + i + 1)
            );
        }
        if p.is_closed() {
            let n = p.skip(usize::MAX);
            assert_eq!(n, model.len());
            model.clear();
            fed = 0;
            return p.peek(1).map(|_| ());
        }
        Err(ReadError::NeedMore)
    });
}
