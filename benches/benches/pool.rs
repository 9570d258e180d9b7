//! Pool acquire+release against allocating and freeing a `Vec` of the same size, on one thread
//! and on two threads at once (divan's `threads`).
//!
//! Peers: `vec![0u8; n]` is the like-for-like peer (a buffer you can hand to `read`, as a pooled
//! chunk is); `Vec::with_capacity(n)` is the allocator alone, with no initialisation.
//!
//! Run: `cargo bench -p chunkedbuffer-benches --bench pool`.

use std::hint::black_box;

use chunk_pool::Pool;

const SIZES: [usize; 3] = [4 * 1024, 16 * 1024, 64 * 1024];

fn main() {
    divan::main();
}

#[divan::bench(args = SIZES, threads = [1, 2], sample_count = 200, sample_size = 2000)]
fn pool_acquire_release(n: usize) {
    let mut chunk = Pool::global().acquire(black_box(n)).unwrap();
    black_box(&mut chunk[..]);
}

#[divan::bench(args = SIZES, threads = [1, 2], sample_count = 200, sample_size = 2000)]
fn vec_zeroed(n: usize) {
    let mut v = vec![0u8; black_box(n)];
    black_box(&mut v[..]);
}

#[divan::bench(args = SIZES, threads = [1, 2], sample_count = 200, sample_size = 2000)]
fn vec_with_capacity(n: usize) {
    let mut v: Vec<u8> = Vec::with_capacity(black_box(n));
    black_box(&mut v);
}
