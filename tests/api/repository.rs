//! The repository stands alone: a user clones it without the project's shared notes beside
//! it, so no tracked file may read or cite anything outside the clone.

use std::path::PathBuf;

#[test]
fn no_tracked_file_reaches_outside_the_repository() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let listed = std::process::Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(&repo)
        .output()
        .expect("git lists the tracked files");
    assert!(listed.status.success(), "git ls-files failed");
    // Spelled in two parts so this file does not name it.
    let outside = format!("../{}", "shared");
    let offenders: Vec<String> = String::from_utf8_lossy(&listed.stdout)
        .split('\0')
        .filter(|path| !path.is_empty())
        .filter(|path| {
            std::fs::read(repo.join(path))
                .map(|bytes| String::from_utf8_lossy(&bytes).contains(&outside))
                .unwrap_or(false)
        })
        .map(str::to_owned)
        .collect();
    assert!(offenders.is_empty(), "files that name {outside}: {offenders:?}");
}

/// The files above every layer, which may name `http`: the library root declares it,
/// `startup` builds the router from the state, and the binary's entry points (`main`, the
/// `cli` commands, and `listen`, a command that serves its own forwarder) start servers.
/// Today only `lib.rs` and `startup.rs` name it. Everything else sits below `http` (domain,
/// store, workers, wire shapes, clock, state) and must not reach up into it.
const WIRING: [&str; 5] = ["lib.rs", "startup.rs", "main.rs", "cli.rs", "listen.rs"];

#[test]
fn no_layer_below_http_imports_http() {
    // The scanner sees every spelling of a path into `http`, and not axum's own `http`.
    let module = ["workers".to_owned(), "refresh".to_owned()];
    for reaching in [
        "use crate::http::state::AppState;",
        "use crate::{clock::Clock, http::error::ApiError};",
        "use crate::{\n    http,\n    store::Store,\n};",
        "let e = crate::http::error::ApiError::internal(&x);",
        "use super::super::http::v1;",
        "use sandbank::http::link::browser;",
    ] {
        assert!(!paths_into_http(reaching, &module).is_empty(), "missed: {reaching}");
    }
    for staying in [
        "use axum::http::StatusCode;",
        "use crate::wire::objects::account_json; // not crate::http::v1",
        "use super::http_client;",
        "use crate::{clock::Clock, store::http_log};",
    ] {
        assert!(paths_into_http(staying, &module).is_empty(), "flagged: {staying}");
    }

    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offenders = Vec::new();
    for file in rust_files(&src) {
        let relative = file.strip_prefix(&src).expect("under src");
        let mut module: Vec<String> = relative.iter().map(|c| c.to_string_lossy().into_owned()).collect();
        if module[0] == "http" || (module.len() == 1 && WIRING.contains(&module[0].as_str())) {
            continue;
        }
        let last = module.pop().expect("a file name");
        if last != "mod.rs" {
            module.push(last.trim_end_matches(".rs").to_owned());
        }
        let text = std::fs::read_to_string(&file).expect("a source file reads");
        for path in paths_into_http(&text, &module) {
            offenders.push(format!("{}: {path}", relative.display()));
        }
    }
    assert!(
        offenders.is_empty(),
        "files below `http` that import it: {offenders:#?}"
    );
}

fn rust_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("src lists") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// Every path in `text` (comments aside) that resolves to `crate::http`, written from the
/// module `module` (its path below `src`, so `super` can be resolved).
fn paths_into_http(text: &str, module: &[String]) -> Vec<String> {
    let code: String = text.lines().map(|line| without_comment(line) + "\n").collect();
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    for start in 0..bytes.len() {
        if start > 0 && (is_ident(bytes[start - 1]) || bytes[start - 1] == b':') {
            continue;
        }
        let rest = &bytes[start..];
        if ![&b"crate::"[..], b"sandbank::", b"super::"]
            .iter()
            .any(|root| rest.starts_with(root))
        {
            continue;
        }
        let mut at = start;
        for path in use_tree(bytes, &mut at) {
            if resolves_to_http(&path, module) {
                found.push(path.join("::"));
            }
        }
    }
    found
}

/// A line without its `//` comment (one outside a string literal on that line).
fn without_comment(line: &str) -> String {
    let mut in_string = false;
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match c {
            '"' if previous != '\\' => in_string = !in_string,
            '/' if !in_string && line[i + 1..].starts_with('/') => return line[..i].to_owned(),
            _ => {}
        }
        previous = c;
    }
    line.to_owned()
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn skip_space(bytes: &[u8], at: &mut usize) {
    while *at < bytes.len() && bytes[*at].is_ascii_whitespace() {
        *at += 1;
    }
}

/// The paths a use tree (or a plain path) names from `at`, braces expanded.
fn use_tree(bytes: &[u8], at: &mut usize) -> Vec<Vec<String>> {
    skip_space(bytes, at);
    if bytes.get(*at) == Some(&b'{') {
        *at += 1;
        let mut paths = Vec::new();
        loop {
            paths.extend(use_tree(bytes, at));
            skip_space(bytes, at);
            match bytes.get(*at) {
                Some(b',') => *at += 1,
                Some(b'}') => {
                    *at += 1;
                    return paths;
                }
                _ => return paths,
            }
            skip_space(bytes, at);
            if bytes.get(*at) == Some(&b'}') {
                *at += 1;
                return paths;
            }
        }
    }
    let begin = *at;
    while *at < bytes.len() && is_ident(bytes[*at]) {
        *at += 1;
    }
    if begin == *at {
        return vec![Vec::new()];
    }
    let segment = String::from_utf8_lossy(&bytes[begin..*at]).into_owned();
    let mut after = *at;
    skip_space(bytes, &mut after);
    if bytes[after..].starts_with(b"::") {
        *at = after + 2;
        use_tree(bytes, at)
            .into_iter()
            .map(|mut tail| {
                tail.insert(0, segment.clone());
                tail
            })
            .collect()
    } else {
        vec![vec![segment]]
    }
}

fn resolves_to_http(path: &[String], module: &[String]) -> bool {
    let first_below_root = match path.first().map(String::as_str) {
        Some("crate" | "sandbank") => path.get(1),
        Some("super") => {
            let supers = path.iter().take_while(|s| *s == "super").count();
            let base = module.len().saturating_sub(supers);
            module[..base].first().or(path.get(supers))
        }
        _ => None,
    };
    first_below_root.is_some_and(|s| s == "http")
}
