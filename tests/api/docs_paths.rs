//! The README, ARCHITECTURE.md, docs/deploy.md and docs/privacy.md are maps of the tree: every path they name in backticks
//! (a file or folder of the repository) must exist, so a move that forgets them fails here.

use std::path::Path;

/// Top-level entries a repository path starts with.
const ROOTS: &[&str] = &[
    "src/",
    "crates/",
    "tests/",
    "e2e/",
    "miniprogram/",
    "openapi/",
    "docs/",
    "bench/",
    "scripts/",
    "migrations/",
    "deploy/",
    "fuzz/",
    ".ci/",
];

fn is_path(word: &str) -> bool {
    ROOTS.iter().any(|root| word.starts_with(root)) && !word.contains(['<', '*', '{', ' ', '$'])
}

/// Every repository path `text` names: a backticked word in prose, or the first word of a
/// line in a fenced block (a layout drawing).
fn named_paths(text: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            let first = line.split_whitespace().next().unwrap_or_default();
            let first = first.trim_end_matches(',');
            if is_path(first) {
                paths.push(first.to_string());
            }
            continue;
        }
        paths.extend(
            line.split('`')
                .skip(1)
                .step_by(2)
                .filter(|word| is_path(word))
                .map(|word| word.trim_end_matches([':', ',']).to_string()),
        );
    }
    paths
}

#[test]
fn every_path_the_readme_and_architecture_name_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut missing = Vec::new();
    let mut checked = 0;
    for doc in [
        "README.md",
        "ARCHITECTURE.md",
        "docs/deploy.md",
        "docs/privacy.md",
    ] {
        let Ok(text) = std::fs::read_to_string(root.join(doc)) else {
            missing.push(format!("{doc} itself"));
            continue;
        };
        for path in named_paths(&text) {
            checked += 1;
            if !root.join(&path).exists() {
                missing.push(format!("{doc}: {path}"));
            }
        }
    }
    assert!(checked > 10, "the maps name paths: {checked} found");
    assert!(
        missing.is_empty(),
        "named but not in the tree: {missing:#?}"
    );
}
