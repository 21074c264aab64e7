//! The official `stripe` Python package against the real server, unchanged but for its base
//! URL. `scripts/test` makes the virtualenv; `SANDBANK_PYTHON` names its interpreter.

use std::process::Command;

use crate::both_stores;
use crate::harness::{Backend, TestApp};

both_stores!(the_python_sdk_manages_customers_unchanged);

/// The interpreter with `stripe` installed: `SANDBANK_PYTHON`, else the repo's `.venv`.
pub fn python() -> String {
    std::env::var("SANDBANK_PYTHON")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python").to_owned())
}

/// Runs `tests/sdk/<script>` against `app` and fails the test with its output on error.
pub async fn run_sdk_script(app: &TestApp, script: &str) {
    run_sdk_script_with(app, script, &[]).await;
}

/// As [`run_sdk_script`], passing `args` after the base URL.
pub async fn run_sdk_script_with(app: &TestApp, script: &str, args: &[&str]) {
    let path = format!("{}/tests/sdk/{script}", env!("CARGO_MANIFEST_DIR"));
    let python = python();
    let base = app.base.clone();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let output = tokio::task::spawn_blocking(move || Command::new(&python).arg(&path).arg(&base).args(&args).output())
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("cannot run the SDK interpreter ({e}); run scripts/test, which installs it"));
    assert!(
        output.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn the_python_sdk_manages_customers_unchanged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    run_sdk_script(&app, "customers.py").await;
}

both_stores!(every_operation_in_openapi_yaml_is_served);

async fn every_operation_in_openapi_yaml_is_served(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let spec = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml");
    run_sdk_script_with(&app, "openapi_routes.py", &[spec]).await;
}
