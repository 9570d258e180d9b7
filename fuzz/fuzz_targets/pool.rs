//! Arbitrary acquire/release/trim sequences on a pool of arbitrary configuration, with sizes
//! across every class and above the largest. After every step the stats must add up, and no two
//! chunks handed out may share memory (each carries a pattern checked when it is released).
#![no_main]

use arbitrary::Arbitrary;
use chunk_pool::{Chunk, Pool, PoolConfig};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Step {
    Acquire(u32),
    Release(u8),
    Trim,
}

#[derive(Arbitrary, Debug)]
struct Input {
    min_shift: u8,
    max_shift: u8,
    idle_kib: u16,
    cache_kib: u16,
    steps: Vec<Step>,
}

fuzz_target!(|input: Input| {
    let (min_chunk, max_chunk) = (
        1usize << (input.min_shift % 21),
        1usize << (input.max_shift % 21),
    );
    let config = PoolConfig::new()
        .min_chunk(min_chunk)
        .max_chunk(max_chunk)
        .idle_bytes_per_class(input.idle_kib as usize * 1024)
        .thread_cache_bytes(input.cache_kib as usize * 1024);
    let Ok(pool) = Pool::new(config) else {
        // Rejected configurations must be the out-of-range ones.
        assert!(
            min_chunk < 64 || min_chunk > max_chunk,
            "{config:?} was rejected"
        );
        return;
    };
    let mut held: Vec<(Chunk, u8)> = Vec::new();
    let mut tag = 0u8;
    for step in input.steps {
        match step {
            Step::Acquire(size) => {
                let size = size as usize % (2 * pool.max_chunk() + 1);
                let mut chunk = pool.acquire(size).expect("sizes this small allocate");
                assert!(chunk.capacity() >= size.max(1));
                assert_eq!(chunk.capacity(), pool.chunk_size_for(size));
                assert_eq!(chunk.is_pooled(), size <= pool.max_chunk());
                tag = tag.wrapping_add(1);
                chunk.fill(tag);
                held.push((chunk, tag));
            }
            Step::Release(i) if !held.is_empty() => {
                let (chunk, tag) = held.swap_remove(i as usize % held.len());
                assert!(
                    chunk.iter().all(|&b| b == tag),
                    "a chunk was written by another owner"
                );
            }
            Step::Release(_) => {}
            Step::Trim => {
                pool.trim();
            }
        }
        let s = pool.stats();
        assert_eq!(s.outstanding_chunks, held.len() as u64);
        let bytes: usize = held.iter().map(|(c, _)| c.capacity()).sum();
        assert_eq!(s.outstanding_bytes, bytes as u64);
        assert_eq!(s.acquired, s.reused + s.allocated);
        assert_eq!(s.acquired, s.returned + s.outstanding_chunks);
        assert!(s.freed + s.outstanding_chunks <= s.allocated);
    }
    for (chunk, tag) in held.drain(..) {
        assert!(chunk.iter().all(|&b| b == tag));
    }
    pool.trim();
    let s = pool.stats();
    assert_eq!((s.outstanding_chunks, s.idle_chunks), (0, 0));
    assert_eq!(s.freed, s.allocated);
});
