//! Linked accounts through the official `stripe` Python package, unchanged but for its base
//! URL (tests/sdk/accounts.py), every raw response validated against Stripe's OpenAPI schemas
//! in `tests/data/stripe/fc-subset.json` (vendored; see `tests/data/SOURCES.md`). The script runs in
//! two phases: it links; this test runs the refresh worker and moves the clock past the
//! refresh cooldown; it reads, refreshes and disconnects.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::both_stores;
use crate::harness::{Backend, TestApp};
use crate::sdk::python;

both_stores!(the_python_sdk_reads_linked_accounts_in_stripes_shapes);

/// Stripe's OpenAPI subset, vendored in the repository (`tests/data/SOURCES.md`).
fn fc_subset() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/stripe/fc-subset.json");
    assert!(path.is_file(), "{} is missing from the repository", path.display());
    path
}

/// One run of the script: whether it passed, and what it printed.
struct Phase {
    passed: bool,
    stdout: String,
    report: String,
}

/// Runs `tests/sdk/accounts.py <base> <spec> <args…>`.
async fn run_phase(app: &TestApp, args: &[&str]) -> Phase {
    let mut argv = vec![
        format!("{}/tests/sdk/accounts.py", env!("CARGO_MANIFEST_DIR")),
        app.base.clone(),
        fc_subset().display().to_string(),
    ];
    argv.extend(args.iter().map(|a| (*a).to_owned()));
    let python = python();
    let output = tokio::task::spawn_blocking(move || Command::new(&python).args(&argv).output())
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("cannot run the SDK interpreter ({e}); run scripts/test, which installs it"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let report = format!(
        "accounts.py {}: {}\n{stdout}\n{}",
        args[0],
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    Phase {
        passed: output.status.success(),
        stdout,
        report,
    }
}

async fn the_python_sdk_reads_linked_accounts_in_stripes_shapes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = run_phase(&app, &["link"]).await;
    // The ids come first; a phase that found schema violations still did all its work, so the
    // read phase runs anyway and one failure lists every violation.
    let ids: Value = link
        .stdout
        .lines()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("no ids from the link phase:\n{}", link.report));
    let id = |k: &str| ids[k].as_str().unwrap_or_else(|| panic!("{k} in {ids}")).to_owned();
    let (customer, session, account) = (id("customer"), id("session"), id("account"));

    // The session prefetched ownership for its two accounts; the test account every feature.
    assert_eq!(app.drain_refreshes().await, 5);
    app.clock.advance(app.settings.refresh_cooldown_secs + 1);

    let read = run_phase(&app, &["read", &customer, &session, &account]).await;
    assert!(link.passed && read.passed, "{}\n{}", link.report, read.report);
    assert!(read.stdout.contains("validated"), "{}", read.report);
}
