//! Finding one byte, tuned for the distances frames have.
//!
//! `memchr` is built for long haystacks: a `\n` 64 bytes in costs it about 75 instructions
//! (`read_paths lines-lent` under callgrind), most of them set-up for its vector loop. Lines and
//! headers are mostly short, so [`find`] first looks at the first [`SHORT`] bytes 16 at a time
//! (the compiler makes one vector comparison of each block from safe code) and hands the rest
//! to `memchr`. That look is wasted on long frames (4-7% of the speed of 256-byte lines), so a
//! [`Hint`] kept by the reader skips it while the frames found are long.

/// Bytes examined in blocks before handing over to `memchr`.
const SHORT: usize = 64;

/// Bytes a block.
const BLOCK: usize = 16;

/// Whether the frames found lately were short: [`find`] looks at the first [`SHORT`] bytes
/// itself only then. Starts short; follows the last frame found.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Hint {
    /// The last frame found ended past [`SHORT`] bytes.
    long: bool,
}

/// The index of the first `byte` in `data`, as `memchr::memchr`; `hint` says where to look
/// first, and learns from what is found.
#[inline(always)]
pub(crate) fn find(byte: u8, data: &[u8], hint: &mut Hint) -> Option<usize> {
    let mut at = 0;
    if !hint.long {
        let head = &data[..data.len().min(SHORT)];
        for block in head.chunks_exact(BLOCK) {
            // One vector comparison and a test (an `or` of the comparisons vectorizes; a
            // search for the position does not).
            if block.iter().fold(false, |any, &b| any | (b == byte)) {
                return Some(at + locate(block, byte));
            }
            at += BLOCK;
        }
    }
    let i = at + memchr::memchr(byte, &data[at..])?;
    hint.long = i >= SHORT;
    Some(i)
}

/// Where `byte` first is in `block` ([`BLOCK`] bytes holding it), eight bytes at a time: in
/// `x = word ^ byte-in-every-lane`, `(x - 0x01..) & !x & 0x80..` sets the high bit of the
/// lowest zero lane (and perhaps of lanes above it, never below).
#[inline(always)]
fn locate(block: &[u8], byte: u8) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut at = 0;
    for word in block.chunks_exact(8) {
        let mut lanes = [0u8; 8];
        lanes.copy_from_slice(word);
        let x = u64::from_le_bytes(lanes) ^ (ONES * u64::from(byte));
        let zero = x.wrapping_sub(ONES) & !x & HIGHS;
        if zero != 0 {
            return at + (zero.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::{Hint, find};

    #[test]
    fn agrees_with_memchr_at_every_length_and_position_whatever_the_hint() {
        for len in 0..200 {
            for pos in 0..=len {
                let mut data = vec![b'a'; len];
                if pos < len {
                    data[pos] = b'\n';
                    // A second one later must not be the answer.
                    if pos + 3 < len {
                        data[pos + 3] = b'\n';
                    }
                }
                for long in [false, true] {
                    let mut hint = Hint { long };
                    let want = memchr::memchr(b'\n', &data);
                    assert_eq!(find(b'\n', &data, &mut hint), want, "len {len} pos {pos}");
                    if let Some(i) = want
                        && (i >= 64 || long)
                    {
                        // Learnt from a frame `memchr` found.
                        assert_eq!(hint.long, i >= 64, "len {len} pos {pos}");
                    }
                }
            }
        }
    }

    #[test]
    fn every_byte_value_is_found_among_every_other() {
        for byte in 0..=255u8 {
            for pos in 0..20 {
                let mut data: Vec<u8> = (0..=255u8).filter(|&b| b != byte).take(20).collect();
                data.insert(pos, byte);
                let mut hint = Hint::default();
                assert_eq!(
                    find(byte, &data, &mut hint),
                    Some(pos),
                    "byte {byte} pos {pos}"
                );
            }
        }
    }
}
