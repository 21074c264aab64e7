//! The README's main-path walkthrough, run as written: the block between its
//! `walkthrough:start` and `walkthrough:end` markers goes to bash against the real binary
//! started with its defaults, as `cargo run --release` starts it. Only the two addresses
//! change (the server's port, the receiver's); every `curl` fails the run on an error status.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::harness::fresh_data_dir;
use crate::process::Server;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shell lines of the walkthrough block.
fn walkthrough() -> String {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let (_, rest) = readme
        .split_once("<!-- walkthrough:start -->")
        .expect("the README marks its walkthrough's start");
    let (block, _) = rest
        .split_once("<!-- walkthrough:end -->")
        .expect("the README marks its walkthrough's end");
    block
        .lines()
        .filter(|line| !line.trim_start().starts_with("```"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A port for the receiver below the kernel's ephemeral range, so no `:0` bind or outgoing
/// connection can take it between this check and the receiver's bind; which one depends on the
/// process id, so concurrent runs of this test pick different ones.
fn receiver_port() -> u16 {
    let low: u16 = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next().and_then(|p| p.parse().ok()))
        .unwrap_or(32768);
    let span = u32::from(low.saturating_sub(20_000)).max(1);
    (0..span)
        .map(|i| 20_000 + ((std::process::id() + i) % span) as u16)
        .find(|&port| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok())
        .expect("a free port below the ephemeral range")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_walkthrough_runs_as_written() {
    let _guard = crate::cleanup::TestGuard::new();
    let data_dir = fresh_data_dir();
    let server = Server::start(&data_dir, &[]).await;
    let port = receiver_port().to_string();
    let script = walkthrough()
        .replace("http://127.0.0.1:12111", &server.base)
        .replace("4242", &port);
    assert!(script.contains(&server.base), "the walkthrough names the server as B=…");
    // The walkthrough's working directory: its log lands here, `examples/` is the repository's.
    let work = fresh_data_dir();
    std::os::unix::fs::symlink(repo().join("examples"), work.join("examples")).unwrap();
    let prelude = "curl() { command curl --fail-with-body \"$@\"; }\n";
    let run = tokio::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &format!("{prelude}{script}")])
        .current_dir(&work)
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the walkthrough finishes within two minutes")
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the walkthrough failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    for shown in [
        "succeeded",
        r#"[{"name":"Jennifer Rosen","email":"jennyrosen@test.com"}]"#,
        r#"{"name":85,"email":65}"#,
    ] {
        assert!(stdout.lines().any(|l| l == shown), "{shown} not in:\n{stdout}");
    }
    let log = read(&work.join("webhooks.log"));
    for kind in ["created", "refreshed_ownership", "refreshed_balance"] {
        let line = format!("financial_connections.account.{kind} evt_");
        assert!(
            log.lines()
                .any(|l| l.starts_with(&line) && l.ends_with(" signature ok")),
            "no verified {kind} delivery in webhooks.log:\n{log}"
        );
    }
    assert!(!log.contains("BAD"), "a delivery failed its signature check:\n{log}");
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
