//! Project automation, run as `cargo xtask <command>` (an alias in `.cargo/config.toml`).
//!
//! - `cargo xtask bench [ARGS]`: runs the benchmarks under `benches/` (peers in the same run).
//! - `cargo xtask fuzz`: not built yet; it says so and fails rather than pretending.

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("bench") => bench(&args[1..]),
        Some("fuzz") => {
            eprintln!("xtask: `fuzz` is not implemented yet (tracked by the fuzzing issue)");
            ExitCode::from(2)
        }
        _ => {
            eprintln!("usage: cargo xtask bench [ARGS...]");
            ExitCode::from(2)
        }
    }
}

/// Runs every benchmark of the `chunkedbuffer-benches` package, passing `args` to the harness.
fn bench(args: &[String]) -> ExitCode {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["bench", "--package", "chunkedbuffer-benches", "--"])
        .args(args)
        .status();
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => {
            eprintln!("xtask: benchmarks failed: {s}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("xtask: could not run cargo: {e}");
            ExitCode::FAILURE
        }
    }
}
