//! `cargo xtask package`: the published crates packaged and checked as a user gets them.
//!
//! 1. `cargo package` of each published crate, with verification (each one built from its
//!    `.crate`, the unpublished ones it depends on served from cargo's local registry).
//! 2. The packages unpacked side by side in a scratch workspace, the library crates patched in
//!    for crates.io, and there, outside this workspace: every doc test of the adapters and every
//!    example built. A file included from outside a crate, or an example that needs the
//!    unpublished test kit, fails here and not after publishing.

use std::path::Path;
use std::process::{Command, ExitCode};

/// The published crates, dependencies first.
const CRATES: [&str; 4] = ["chunk-pool", "pipe-core", "pipe-tokio", "pipe-async-std"];
/// The crates checked from their unpacked packages (the others are patched in for them).
const CHECKED: [&str; 2] = ["pipe-tokio", "pipe-async-std"];

pub fn run(root: &Path) -> ExitCode {
    match check(root) {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("xtask package: {why}");
            ExitCode::FAILURE
        }
    }
}

fn check(root: &Path) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    forget_stale_unpacks();
    let mut package = Command::new(&cargo);
    package
        .current_dir(root)
        .arg("package")
        .arg("--allow-dirty");
    for name in CRATES {
        package.args(["-p", name]);
    }
    run_cmd(&mut package)?;

    let version = env!("CARGO_PKG_VERSION");
    let scratch = root.join("target").join("xtask").join("package-check");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    for name in CRATES {
        let file = root
            .join("target")
            .join("package")
            .join(format!("{name}-{version}.crate"));
        run_cmd(
            Command::new("tar")
                .arg("xzf")
                .arg(&file)
                .arg("-C")
                .arg(&scratch),
        )?;
    }
    let members: Vec<String> = CHECKED
        .iter()
        .map(|c| format!("\"{c}-{version}\""))
        .collect();
    let patches: String = CRATES
        .iter()
        .map(|c| format!("{c} = {{ path = \"{c}-{version}\" }}\n"))
        .collect();
    let manifest = format!(
        "[workspace]\nmembers = [{}]\nresolver = \"3\"\n\n[patch.crates-io]\n{patches}",
        members.join(", ")
    );
    std::fs::write(scratch.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
    let target = root.join("target").join("package-check");
    for args in [&["test", "--doc"][..], &["build", "--examples"]] {
        let mut cmd = Command::new(&cargo);
        cmd.current_dir(&scratch)
            .env("CARGO_TARGET_DIR", &target)
            .args(args);
        for name in CHECKED {
            cmd.args(["-p", name]);
        }
        run_cmd(&mut cmd)?;
    }
    println!(
        "xtask package: {} packaged; doc tests and examples pass outside the workspace",
        CRATES.join(", ")
    );
    Ok(())
}

/// Cargo unpacks the packages of its temporary local registry under
/// `$CARGO_HOME/registry/src/-<hash>/` and reuses what it finds there for the same version, so
/// a second run in the same place would verify against the first run's sources. Removes those
/// unpacked copies of this workspace's crates (local registries only: their directory names
/// start with `-`).
fn forget_stale_unpacks() {
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")));
    let Some(src) = home.map(|h| h.join("registry").join("src")) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(&src) else {
        return;
    };
    let version = env!("CARGO_PKG_VERSION");
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with('-') {
            for name in CRATES {
                let _ = std::fs::remove_dir_all(entry.path().join(format!("{name}-{version}")));
            }
        }
    }
}

fn run_cmd(cmd: &mut Command) -> Result<(), String> {
    match cmd.status() {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("{cmd:?} failed: {s}")),
        Err(e) => Err(format!("cannot run {cmd:?}: {e}")),
    }
}
