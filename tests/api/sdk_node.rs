//! The official `stripe` Node package (stripe-node), unchanged but for its host and port,
//! against the real server: tests/sdk/node/flow.cjs links accounts, then — after this test has
//! run the refresh worker — reads them, matches ownership, pages and disconnects.
//! `scripts/test` installs the package (`npm ci`); `SANDBANK_NODE` names the interpreter.

use std::process::Command;

use serde_json::Value;

use crate::both_stores;
use crate::harness::{Backend, TestApp};

both_stores!(the_node_sdk_links_reads_and_matches_unchanged);

/// Runs `node tests/sdk/node/flow.cjs <base> <args…>`; panics with its output if it fails.
async fn flow(app: &TestApp, args: &[&str]) -> String {
    let node = std::env::var("SANDBANK_NODE").unwrap_or_else(|_| "node".to_owned());
    let mut argv = vec![
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk/node/flow.cjs").to_owned(),
        app.base.clone(),
    ];
    argv.extend(args.iter().map(|a| (*a).to_owned()));
    let output = tokio::task::spawn_blocking(move || Command::new(&node).args(&argv).output())
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("cannot run node ({e}); run scripts/test, which installs stripe-node"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "flow.cjs {} failed:\n{stdout}\n{}",
        args[0],
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

async fn the_node_sdk_links_reads_and_matches_unchanged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let linked = flow(&app, &["link"]).await;
    let ids: Value = linked
        .lines()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("no ids from the link phase:\n{linked}"));
    let id = |k: &str| ids[k].as_str().unwrap_or_else(|| panic!("{k} in {ids}")).to_owned();

    // The test account prefetched its three features; the session prefetched nothing.
    assert_eq!(app.drain_refreshes().await, 3);

    let read = flow(&app, &["read", &id("customer"), &id("session"), &id("account")]).await;
    assert!(read.contains("read phase passed"), "{read}");
}
