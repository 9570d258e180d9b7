//! Project automation, run as `cargo xtask <command>` (an alias in `.cargo/config.toml`).
//!
//! - `cargo xtask bench [--quick]`: the comparison run. Runs the `memory` bench (counting
//!   allocator), the `resp` bench (the RESP example server under redis-benchmark and callgrind)
//!   and then the `compare` bench, which prints one table and writes
//!   `target/xtask/bench.json` and `target/xtask/bench.svg`. `--quick` uses smaller inputs and
//!   fewer rounds (a smoke run of a few minutes at most once built).
//! - `cargo xtask fuzz [TARGET] [--time SECS]`: runs one fuzz target, or each in turn, for
//!   `SECS` seconds (default 60), installing cargo-fuzz if it is missing. With a nightly
//!   toolchain it fuzzes under AddressSanitizer (`cargo +nightly fuzz run`); without one, on
//!   stable with `-s none`. It prints executions and coverage per target, and the reproducer of
//!   any crash, and exits non-zero if a target failed.
//! - `cargo xtask package`: `cargo package` (verified) of the published crates, then their doc
//!   tests and examples run from the unpacked packages, outside this workspace.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

mod fuzz;
mod package;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("bench") => bench(&args[1..]),
        Some("fuzz") => fuzz::run(&root(), &args[1..]),
        Some("package") => package::run(&root()),
        _ => {
            eprintln!("usage: cargo xtask bench [--quick]");
            eprintln!("       cargo xtask fuzz [TARGET] [--time SECS]");
            eprintln!("       cargo xtask package");
            ExitCode::from(2)
        }
    }
}

/// The workspace root: the parent of this crate's directory.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn bench(args: &[String]) -> ExitCode {
    let quick = args.iter().any(|a| a == "--quick");
    if let Some(other) = args.iter().find(|a| *a != "--quick") {
        eprintln!("xtask: unknown bench option {other}");
        return ExitCode::from(2);
    }
    let root = root();
    let out = root.join("target").join("xtask");
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("xtask: cannot create {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    // Stale results must not leak into this run's table.
    for stale in ["memory.tsv", "resp.tsv", "bench.json", "bench.svg"] {
        let _ = std::fs::remove_file(out.join(stale));
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for bench in ["memory", "resp", "compare"] {
        let mut cmd = Command::new(&cargo);
        cmd.current_dir(&root)
            .args([
                "bench",
                "--package",
                "chunkedbuffer-benches",
                "--bench",
                bench,
                "--",
            ])
            .arg("--out")
            .arg(&out);
        if quick {
            cmd.arg("--quick");
        }
        match cmd.status() {
            Ok(s) if s.success() => {}
            Ok(s) => {
                eprintln!("xtask: the {bench} bench failed: {s}");
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("xtask: could not run cargo: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if !out.join("bench.json").is_file() {
        eprintln!("xtask: the run finished without writing bench.json");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
