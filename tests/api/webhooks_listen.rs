//! `sandbank listen --forward-to`: the real binary against a running server, forwarding to a
//! receiver on loopback; what it forwards verifies with the secret it printed, and it removes
//! its endpoint when stopped.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};

use crate::harness::{Backend, TestApp, json};
use crate::webhooks_support::{Receiver, independent_hmac_ok, produce};

async fn line_containing(lines: &mut Lines<BufReader<ChildStdout>>, needle: &str) -> String {
    tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains(needle) {
                return line;
            }
        }
        panic!("listen exited before printing {needle:?}");
    })
    .await
    .unwrap_or_else(|_| panic!("listen did not print {needle:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_forwards_events_signed_and_removes_its_endpoint() {
    let _guard = crate::cleanup::TestGuard::new();
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut local = Receiver::ok().await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_sandbank"))
        .args(["listen", "--forward-to", &local.url, "--api-base", &app.base])
        .args(["--api-key", crate::harness::KEY])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = line_containing(&mut out, "Ready!").await;
    let secret = ready
        .split_whitespace()
        .find(|w| w.starts_with("whsec_"))
        .expect("the signing secret is printed")
        .to_owned();
    let (_, endpoints) = json(app.get("/v1/webhook_endpoints").await).await;
    assert_eq!(
        endpoints["data"].as_array().unwrap().len(),
        1,
        "listen registered one endpoint"
    );

    let produced = produce(&app.base, 2).await;
    for _ in 0..2 {
        let d = local.next().await;
        assert!(produced.contains(&d.event_id()));
        let header = d.signature();
        assert!(
            independent_hmac_ok(&secret, &header, &d.body),
            "re-signed with the printed secret"
        );
        crate::webhooks_delivery::python_verifies(&d.body, &header, &secret);
    }
    // Deliveries run concurrently, so their lines may come in either order: read until every
    // event has both its arrival line and its forwarded-answer line.
    let mut unseen: Vec<String> = produced
        .iter()
        .flat_map(|id| {
            [
                format!("--> test_helper.event [{id}]"),
                format!("<-- [200] POST {} [{id}]", local.url),
            ]
        })
        .collect();
    while !unseen.is_empty() {
        let line = line_containing(&mut out, "[evt_").await;
        unseen.retain(|expected| *expected != line);
    }

    let pid = child.id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    line_containing(&mut out, "Deleted webhook endpoint").await;
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
    let (_, endpoints) = json(app.get("/v1/webhook_endpoints").await).await;
    assert_eq!(endpoints["data"], serde_json::json!([]), "its endpoint is gone");
}
