//! The shape of the source tree, checked: the top-level modules form layers and each uses only
//! the layers below it (ARCHITECTURE.md), and no source file grows past what one reader holds.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The top-level modules, lowest first. A module may use the modules on lines above its own;
/// modules on one line may not use each other.
const LAYERS: &[&[&str]] = &[
    &["config"],
    &["domain"],
    &["store"],
    &["core"],
    &["delivery", "import"],
    &["http"],
    &["cli"],
];

const MAX_LINES: usize = 400;

#[test]
fn top_level_modules_use_only_the_layers_below_them() {
    let rank: BTreeMap<&str, usize> = LAYERS
        .iter()
        .enumerate()
        .flat_map(|(level, names)| names.iter().map(move |name| (*name, level)))
        .collect();
    let uses = module_uses();
    let mut problems = Vec::new();
    for (module, used) in &uses {
        let Some(&from) = rank.get(module.as_str()) else {
            problems.push(format!("src/{module} is in no layer: add it to LAYERS"));
            continue;
        };
        for target in used {
            let to = rank[target.as_str()];
            if to >= from {
                problems.push(format!("{module} uses {target}, which is not below it"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_source_file_is_longer_than_400_lines() {
    let src = source_dir();
    let mut problems = Vec::new();
    for file in rust_files(&src) {
        let name = relative(&src, &file);
        let lines = fs::read_to_string(&file)
            .expect("readable source")
            .lines()
            .count();
        if lines > MAX_LINES {
            problems.push(format!("src/{name} has {lines} lines; split it"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn uses_are_found_in_paths_and_use_groups_but_not_in_test_code() {
    let text = "use crate::{config::Config, store::{Store, X}};\n\
                fn f() { crate::core::now(); }\n\
                #[cfg(test)]\nfn only_in_tests() { if true { crate::http::x(); } }\n\
                /// See [`crate::domain::names`].\n\
                #[cfg(test)]\nmod tests { use crate::cli; }\n";
    let found: Vec<String> = uses_in(text).into_iter().collect();
    assert_eq!(found, ["config", "core", "domain", "store"]);
}

fn source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Which top-level modules each top-level module uses, outside its test code.
fn module_uses() -> BTreeMap<String, BTreeSet<String>> {
    let src = source_dir();
    let tops: BTreeSet<String> = fs::read_dir(&src)
        .expect("src is readable")
        .map(|entry| {
            entry
                .expect("src entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| !matches!(name.as_str(), "bin" | "main.rs" | "lib.rs"))
        .map(|name| name.trim_end_matches(".rs").to_string())
        .collect();
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(&src) {
        let name = relative(&src, &file);
        let top = name
            .split('/')
            .next()
            .unwrap_or_default()
            .trim_end_matches(".rs");
        if !tops.contains(top) {
            continue;
        }
        let text = fs::read_to_string(&file).expect("readable source");
        let entry = uses.entry(top.to_string()).or_default();
        for used in uses_in(&text) {
            if used != top && tops.contains(&used) {
                entry.insert(used);
            }
        }
    }
    uses
}

/// The first segments of the `crate::` paths in `text`, including those in `use crate::{…}`
/// groups and doc links, leaving out items marked `#[cfg(test)]`.
fn uses_in(text: &str) -> BTreeSet<String> {
    let text = without_test_items(text);
    let mut found = BTreeSet::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = closing_brace(group).unwrap_or(group.len());
            for path in split_top_level(&group[..end]) {
                found.insert(first_segment(path));
            }
        } else {
            found.insert(first_segment(rest));
        }
    }
    found.retain(|name| !name.is_empty());
    found
}

fn first_segment(path: &str) -> String {
    path.trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// The comma-separated entries of a `use` group, not splitting inside nested groups.
fn split_top_level(group: &str) -> Vec<&str> {
    let (mut depth, mut start, mut parts) = (0usize, 0, Vec::new());
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&group[start..]);
    parts
}

/// `text` without each item that follows a `#[cfg(test)]`: up to its `;`, or through its
/// braced body.
fn without_test_items(text: &str) -> String {
    const MARK: &str = "#[cfg(test)]";
    let mut kept = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(MARK) {
        kept.push_str(&rest[..at]);
        rest = &rest[at + MARK.len()..];
        let item_end = match (rest.find('{'), rest.find(';')) {
            (Some(open), Some(semi)) if semi < open => semi + 1,
            (Some(open), _) => {
                open + 1 + closing_brace(&rest[open + 1..]).map_or(rest.len() - open - 1, |c| c + 1)
            }
            (None, Some(semi)) => semi + 1,
            (None, None) => rest.len(),
        };
        rest = &rest[item_end..];
    }
    kept.push_str(rest);
    kept
}

/// The index of the brace that closes a block whose opening brace ends just before `text`,
/// skipping braces inside string literals.
fn closing_brace(text: &str) -> Option<usize> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, c) in text.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => depth += 1,
            '}' if depth == 0 => return Some(i),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).expect("readable directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

fn relative(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("file under src");
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
