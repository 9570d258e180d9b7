//! One read path over a fixed input, for instruction counts under callgrind (stable on a noisy
//! machine, unlike times): `valgrind --tool=callgrind target/release/examples/read_paths FORM`.
//!
//! FORM: `lines-lent` (`read_line_ref`), `lines-owned` (`read_line`), `frames-lent` (RESP bulk
//! frames with `read_line_ref` + `read_exact_ref`), `frames-owned` (`read_line` +
//! `read_exact`). 64-byte lines and RESP frames of 4 MiB in all, fed in 16 KiB writes. The
//! README's "Fast paths" figures come from it.

use chunkedbuffer_benches::peers::{PipeForm, pipe_frames, pipe_lines};
use chunkedbuffer_benches::{bulk_frames, lines};

fn main() {
    let form = std::env::args().nth(1).unwrap_or_default();
    let total = 4 << 20;
    let n = match form.as_str() {
        "lines-lent" => pipe_lines(&lines(64, total), 16 * 1024, PipeForm::Lent),
        "lines-owned" => pipe_lines(&lines(64, total), 16 * 1024, PipeForm::Owned),
        "frames-lent" => pipe_frames(&bulk_frames(total).0, 16 * 1024, PipeForm::Lent),
        "frames-owned" => pipe_frames(&bulk_frames(total).0, 16 * 1024, PipeForm::Owned),
        // The inputs alone, to subtract.
        "lines-none" => std::hint::black_box(lines(64, total)).len() as u64,
        "frames-none" => std::hint::black_box(bulk_frames(total).0).len() as u64,
        other => {
            eprintln!("read_paths: unknown form {other:?}");
            std::process::exit(2);
        }
    };
    println!("{form}: {n} frames");
}
