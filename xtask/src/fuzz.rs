//! `cargo xtask fuzz`: runs the targets of `fuzz/` with cargo-fuzz and summarises them.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

/// What one libFuzzer run reported.
#[derive(Default, Debug)]
struct Summary {
    executions: Option<String>,
    coverage: Option<String>,
    crash: Option<String>,
}

/// Reads libFuzzer's stderr line by line, echoing progress and keeping what the summary needs.
fn summarise(line: &str, s: &mut Summary) {
    if let Some(n) = line.strip_prefix("stat::number_of_executed_units:") {
        s.executions = Some(n.trim().to_string());
    }
    if line.starts_with('#') && line.contains("cov:") {
        // "#123 NEW cov: 456 ft: 789 corp: ..." -- keep "cov: 456 ft: 789".
        let from = line.find("cov:").unwrap_or(0);
        let until = line.find(" corp:").unwrap_or(line.len());
        s.coverage = Some(line[from..until.max(from)].to_string());
    }
    if let Some(rest) = line.split("Test unit written to ").nth(1) {
        s.crash = Some(rest.trim().to_string());
    }
}

fn targets(root: &Path) -> Vec<String> {
    let manifest =
        std::fs::read_to_string(root.join("fuzz").join("Cargo.toml")).unwrap_or_default();
    let mut names = Vec::new();
    let mut in_bin = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin && let Some(name) = line.strip_prefix("name = ") {
            names.push(name.trim_matches('"').to_string());
        }
    }
    names
}

fn has_cargo_fuzz(cargo: &str) -> bool {
    Command::new(cargo)
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn has_nightly() -> bool {
    Command::new("rustup")
        .args(["run", "nightly", "rustc", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

pub fn run(root: &Path, args: &[String]) -> ExitCode {
    let mut secs = 60u64;
    let mut only = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--time" => match it.next().and_then(|v| v.parse().ok()) {
                Some(v) => secs = v,
                None => {
                    eprintln!("xtask: --time needs a number of seconds");
                    return ExitCode::from(2);
                }
            },
            name if !name.starts_with('-') && only.is_none() => only = Some(name.to_string()),
            other => {
                eprintln!("xtask: unknown fuzz option {other}");
                return ExitCode::from(2);
            }
        }
    }
    let all = targets(root);
    let chosen: Vec<String> = match only {
        Some(t) if all.contains(&t) => vec![t],
        Some(t) => {
            eprintln!("xtask: no fuzz target {t}; there are: {}", all.join(", "));
            return ExitCode::from(2);
        }
        None => all,
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    if !has_cargo_fuzz(&cargo) {
        eprintln!("xtask: installing cargo-fuzz");
        let ok = Command::new(&cargo)
            .args(["install", "cargo-fuzz", "--locked"])
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("xtask: could not install cargo-fuzz");
            return ExitCode::FAILURE;
        }
    }
    let nightly = has_nightly();
    if nightly {
        eprintln!("xtask: fuzzing with nightly under AddressSanitizer");
    } else {
        eprintln!("xtask: no nightly toolchain: fuzzing on stable without a sanitizer (-s none)");
    }
    let mut failed = false;
    let mut rows = Vec::new();
    for target in &chosen {
        let work = root.join("target").join("fuzz-corpus").join(target);
        let seeds = root.join("fuzz").join("seeds").join(target);
        let _ = std::fs::create_dir_all(&work);
        let _ = std::fs::create_dir_all(&seeds);
        let mut cmd = Command::new(&cargo);
        // cargo-fuzz picks its toolchain from rustup; `+nightly` is rustup's spelling.
        let mut cmd = if nightly {
            let mut c = Command::new("rustup");
            c.args(["run", "nightly", "cargo", "fuzz", "run"]);
            c
        } else {
            cmd.args(["fuzz", "run", "-s", "none"]);
            cmd
        };
        cmd.current_dir(root)
            .arg(target)
            .arg(&work)
            .arg(&seeds)
            .arg("--")
            .arg(format!("-max_total_time={secs}"))
            .arg("-print_final_stats=1")
            .arg("-rss_limit_mb=4096")
            .stderr(Stdio::piped());
        eprintln!("xtask: fuzzing {target} for {secs} s");
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                eprintln!("xtask: could not run cargo fuzz: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut summary = Summary::default();
        if let Some(err) = child.stderr.take() {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                summarise(&line, &mut summary);
                if line.contains("pulse") || line.contains("DONE") || line.contains("ERROR") {
                    eprintln!("  {line}");
                }
                if summary.crash.is_some() || line.contains("panicked") {
                    eprintln!("  {line}");
                }
            }
        }
        let ok = child.wait().is_ok_and(|s| s.success()) && summary.crash.is_none();
        failed |= !ok;
        rows.push((target.clone(), summary, ok));
    }
    println!(
        "\n{:<12} {:>12}  {:<24} result",
        "target", "executions", "coverage"
    );
    for (target, s, ok) in &rows {
        println!(
            "{:<12} {:>12}  {:<24} {}",
            target,
            s.executions.as_deref().unwrap_or("?"),
            s.coverage.as_deref().unwrap_or("?"),
            match (&s.crash, ok) {
                (Some(path), _) => format!("CRASH, reproducer: {path}"),
                (None, true) => "ok".to_string(),
                (None, false) => "FAILED (see the output above)".to_string(),
            }
        );
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
