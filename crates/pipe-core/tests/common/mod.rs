//! Helpers shared by the pipe-core test suites.
#![allow(dead_code)]

use pipe_core::{Pipe, PipeOptions, Pool, PoolConfig, UNLIMITED};

/// A private pool with the smallest chunks, so frames cross chunk boundaries often.
pub fn tiny_pool() -> Pool {
    Pool::new(PoolConfig::new().min_chunk(64).max_chunk(1 << 20)).unwrap()
}

/// A pipe on its own pool with chunks of `chunk_size` bytes (64 bytes up to 1 MiB).
pub fn pipe_with_chunks(chunk_size: usize, max_frame: usize) -> (Pipe, Pool) {
    let pool = tiny_pool();
    let pipe = Pipe::with_options(
        PipeOptions::new()
            .pool(pool.clone())
            .max_frame(max_frame)
            .chunk_size(chunk_size)
            .max_chunk(chunk_size),
    );
    (pipe, pool)
}

/// A pipe on its own pool with default chunk sizes and no frame limit.
pub fn pipe() -> (Pipe, Pool) {
    let pool = tiny_pool();
    let pipe = Pipe::with_options(PipeOptions::new().pool(pool.clone()).max_frame(UNLIMITED));
    (pipe, pool)
}

/// Drops the pipe and checks that every chunk went back to the pool.
pub fn finish(pipe: Pipe, pool: &Pool) {
    drop(pipe);
    let s = pool.stats();
    assert_eq!(s.outstanding_chunks, 0, "chunks leaked: {s:?}");
    assert_eq!(s.outstanding_bytes, 0, "bytes leaked: {s:?}");
    assert_eq!(s.acquired, s.returned);
}

/// Everything buffered, read without consuming.
pub fn contents(pipe: &Pipe) -> Vec<u8> {
    pipe.chunks().flatten().copied().collect()
}

/// Writes `data` through `get_buffer`/`buffer_written` in pieces of `piece` bytes.
pub fn feed(pipe: &mut Pipe, data: &[u8], piece: usize) {
    for part in data.chunks(piece.max(1)) {
        let buf = pipe.get_buffer(part.len()).unwrap();
        buf[..part.len()].copy_from_slice(part);
        pipe.buffer_written(part.len()).unwrap();
    }
}
