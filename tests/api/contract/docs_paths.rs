//! The README, ARCHITECTURE.md and the pages in docs/ are maps of the tree: every path they name
//! in backticks (a file or folder of the repository) must exist, and every link between them
//! must land on a file and, when it names one, a heading; so a move that forgets them fails here.

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

/// The documents that map the tree: the README, ARCHITECTURE.md and every page in docs/.
fn documents(root: &Path) -> Vec<String> {
    let mut docs = vec!["README.md".to_string(), "ARCHITECTURE.md".to_string()];
    let mut pages: Vec<String> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ is readable")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    pages.sort();
    docs.extend(pages);
    docs
}

#[test]
fn every_path_the_readme_and_architecture_name_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut missing = Vec::new();
    let mut checked = 0;
    for doc in documents(root) {
        let Ok(text) = std::fs::read_to_string(root.join(&doc)) else {
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

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown text's headings (outside fenced blocks).
fn anchors(text: &str) -> Vec<String> {
    let mut fenced = false;
    let mut found = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            found.push(anchor(line.trim_start_matches('#')));
        }
    }
    found
}

/// The relative link targets of a Markdown text: `[text](target)` outside fenced blocks and
/// code spans, and `src="..."` of images.
fn links(text: &str) -> Vec<String> {
    let mut fenced = false;
    let mut found = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let prose: String = line.split('`').step_by(2).collect::<Vec<_>>().join(" ");
        for (_, rest) in prose
            .match_indices("](")
            .map(|(i, _)| prose.split_at(i + 2))
        {
            if let Some(end) = rest.find(')') {
                found.push(rest[..end].to_string());
            }
        }
        for (_, rest) in prose
            .match_indices("src=\"")
            .map(|(i, _)| prose.split_at(i + 5))
        {
            if let Some(end) = rest.find('"') {
                found.push(rest[..end].to_string());
            }
        }
    }
    found
        .into_iter()
        .filter(|target| !target.contains("://") && !target.starts_with("mailto:"))
        .collect()
}

#[test]
fn every_link_between_the_documents_lands() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut broken = Vec::new();
    let mut checked = 0;
    for doc in documents(root) {
        let text = std::fs::read_to_string(root.join(&doc)).expect("the document is readable");
        let dir = root
            .join(&doc)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        for target in links(&text) {
            checked += 1;
            let (file, fragment) = target.split_once('#').unwrap_or((&target, ""));
            let file_path = if file.is_empty() {
                root.join(&doc)
            } else {
                dir.join(file)
            };
            if !file_path.exists() {
                broken.push(format!("{doc}: {target} (no such file)"));
                continue;
            }
            if !fragment.is_empty() {
                let linked = std::fs::read_to_string(&file_path).unwrap_or_default();
                if !anchors(&linked).iter().any(|a| a == fragment) {
                    broken.push(format!("{doc}: {target} (no such heading)"));
                }
            }
        }
    }
    assert!(
        checked > 10,
        "the documents link to each other: {checked} links found"
    );
    assert!(broken.is_empty(), "links that land nowhere: {broken:#?}");
}
