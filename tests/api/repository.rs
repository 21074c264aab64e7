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
