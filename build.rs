//! Records the git commit the binary is built from, for `saoma --version`.
//!
//! `GIT_COMMIT` in the build's environment wins (a build from a source tarball, a packager or
//! a CI that knows the commit; not a `SAOMA_` name, since Saoma refuses `SAOMA_` variables it
//! does not know at run time); otherwise `git rev-parse` in the source tree; otherwise (no git,
//! not a checkout, a repository git refuses) `unknown`. The build never fails for it.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=GIT_COMMIT");
    let commit = match std::env::var("GIT_COMMIT") {
        Ok(commit) if !commit.trim().is_empty() => commit.trim().to_owned(),
        _ => {
            watch_head();
            git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".to_owned())
        }
    };
    // Not a `SAOMA_` name either: cargo also sets this variable for what `cargo run` and
    // `cargo test` start, and Saoma's configuration refuses `SAOMA_` variables it does not know
    // (the lib's config tests failed on it).
    println!("cargo:rustc-env=BUILD_GIT_COMMIT={commit}");
}

/// `git <args>` in the source tree, its trimmed output when it succeeds.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(std::env::var_os("CARGO_MANIFEST_DIR")?)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_owned())
}

/// Build again when HEAD moves: HEAD itself (a detached checkout, a switch of branch), the
/// branch it points at, and packed-refs (where `git gc` moves that branch). Paths come from
/// git, so a worktree (whose `.git` is a file) is handled too.
fn watch_head() {
    let mut files = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        files.push(branch);
    }
    for file in files {
        if let Some(path) = git(&["rev-parse", "--git-path", &file]) {
            let path = PathBuf::from(path);
            let path = match std::env::var_os("CARGO_MANIFEST_DIR") {
                Some(dir) if path.is_relative() => PathBuf::from(dir).join(path),
                _ => path,
            };
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
}
