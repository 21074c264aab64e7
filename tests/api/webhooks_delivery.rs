//! Delivery to real receivers on loopback: signatures the official SDK accepts, retries with
//! backoff and `Retry-After`, a receiver down for 1,000 events, redirects, disabled endpoints,
//! the attempt log and resends.

use std::process::Command;
use std::sync::atomic::Ordering;

use serde_json::Value;

use crate::both_stores;
use crate::events::link_accounts;
use crate::harness::{Backend, KEY, TestApp, json};
use crate::sdk::python;
use crate::webhooks_support::{Receiver, Reply, StepApp, create_endpoint, independent_hmac_ok, produce};

both_stores!(
    account_events_arrive_signed_and_the_sdk_verifies_them,
    a_failing_receiver_gets_the_event_after_retries,
    retry_after_is_honoured_within_the_cap,
    a_receiver_down_for_1000_events_gets_all_of_them,
    redirects_are_not_followed,
    a_disabled_endpoint_gets_nothing,
    repeated_failed_deliveries_disable_the_endpoint,
    resend_delivers_again,
    refresh_and_disconnect_events_are_delivered,
);

/// Runs `tests/sdk/webhook_verify.py`: `construct_event` must accept the delivery and reject
/// it with one byte changed.
pub fn python_verifies(body: &[u8], header: &str, secret: &str) {
    let dir = crate::harness::fresh_data_dir();
    let payload = dir.join("payload.json");
    std::fs::write(&payload, body).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk/webhook_verify.py");
    let out = Command::new(python())
        .args([script, payload.to_str().unwrap(), header, secret])
        .output()
        .expect("the SDK interpreter runs (scripts/test installs it)");
    assert!(
        out.status.success(),
        "webhook_verify.py failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn account_events_arrive_signed_and_the_sdk_verifies_them(backend: Backend) {
    // The server's own background dispatcher, woken by the commit.
    let app = TestApp::spawn(backend).await;
    let mut receiver = Receiver::ok().await;
    let (_, secret) = create_endpoint(
        &app.base,
        KEY,
        &receiver.url,
        &["financial_connections.account.created"],
    )
    .await;
    let accounts = link_accounts(&app.base).await;
    let mut seen = Vec::new();
    for _ in &accounts {
        let d = receiver.next().await;
        let header = d.signature();
        assert!(header.starts_with("t=") && header.contains(",v1="), "{header}");
        assert!(independent_hmac_ok(&secret, &header, &d.body), "independent HMAC check");
        let mut changed = d.body.to_vec();
        let last = changed.len() - 2;
        changed[last] ^= 0x01;
        assert!(
            !independent_hmac_ok(&secret, &header, &changed),
            "a 1-byte change fails"
        );
        python_verifies(&d.body, &header, &secret);
        assert_eq!(d.headers["content-type"], "application/json; charset=utf-8");
        let event = d.json();
        assert_eq!(event["object"], "event");
        assert_eq!(event["type"], "financial_connections.account.created");
        let account = &event["data"]["object"];
        assert_eq!(account["object"], "financial_connections.account");
        assert!(account["institution_name"].is_string(), "the full account: {account}");
        seen.push(account["id"].as_str().unwrap().to_owned());
    }
    seen.sort();
    let mut want = accounts.clone();
    want.sort();
    assert_eq!(seen, want);
}

async fn attempts(app: &StepApp, endpoint: &str) -> Vec<Value> {
    let (status, list) = app
        .get(&format!(
            "/v1/test_helpers/webhook_endpoints/{endpoint}/attempts?limit=100"
        ))
        .await;
    assert_eq!(status, 200, "{list}");
    list["data"].as_array().unwrap().clone()
}

async fn a_failing_receiver_gets_the_event_after_retries(backend: Backend) {
    let app = StepApp::spawn(backend, |s| s.webhook_retry_schedule = "60,300".into()).await;
    let long = "x".repeat(5000);
    let mut receiver = Receiver::start(vec![Reply::Body(500, long), Reply::Status(500)], Reply::Status(200)).await;
    let (endpoint, _) = create_endpoint(&app.base, KEY, &receiver.url, &["*"]).await;
    let id = produce(&app.base, 1).await.remove(0);

    assert_eq!(app.step().await, 1);
    assert_eq!(receiver.next().await.event_id(), id);
    assert_eq!(app.step().await, 0, "not due before the first delay");
    app.clock.advance(72); // 60 s + the largest jitter
    assert_eq!(app.step().await, 1);
    assert_eq!(receiver.next().await.event_id(), id);
    app.clock.advance(200);
    assert_eq!(app.step().await, 0, "the second delay is longer");
    app.clock.advance(160);
    assert_eq!(app.step().await, 1);
    assert_eq!(receiver.next().await.event_id(), id);
    app.clock.advance(10_000);
    assert_eq!(app.step().await, 0, "delivered: nothing more");

    let log = attempts(&app, &endpoint).await;
    let codes: Vec<i64> = log
        .iter()
        .map(|a| a["response_status_code"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, [200, 500, 500], "newest first");
    assert_eq!(log[0]["status"], "succeeded");
    assert_eq!(log[2]["status"], "failed");
    assert_eq!(log[2]["attempt"], 1);
    assert_eq!(log[0]["attempt"], 3);
    assert_eq!(log[2]["response_body"].as_str().unwrap().len(), 1024, "kept to 1 KiB");
    assert!(
        log.iter()
            .all(|a| a["duration_ms"].as_i64().unwrap() >= 0 && a["event"] == id.as_str())
    );
    let (_, e) = app.get(&format!("/v1/events/{id}")).await;
    assert_eq!(e["pending_webhooks"], 0);
}

async fn retry_after_is_honoured_within_the_cap(backend: Backend) {
    let app = StepApp::spawn(backend, |s| {
        s.webhook_retry_schedule = "1,1".into();
        s.webhook_retry_after_cap_secs = 600;
    })
    .await;
    let mut receiver = Receiver::start(
        vec![Reply::RetryAfter(429, 120), Reply::RetryAfter(503, 100_000)],
        Reply::Status(200),
    )
    .await;
    create_endpoint(&app.base, KEY, &receiver.url, &["*"]).await;
    produce(&app.base, 1).await;
    assert_eq!(app.step().await, 1);
    receiver.next().await;
    app.clock.advance(5);
    assert_eq!(app.step().await, 0, "Retry-After: 120 beats the 1 s schedule");
    app.clock.advance(120);
    assert_eq!(app.step().await, 1);
    receiver.next().await;
    app.clock.advance(590);
    assert_eq!(app.step().await, 0, "Retry-After is capped at 600 s, not ignored");
    app.clock.advance(20);
    assert_eq!(app.step().await, 1);
    receiver.next().await;
}

async fn a_receiver_down_for_1000_events_gets_all_of_them(backend: Backend) {
    let app = StepApp::spawn(backend, |s| s.webhook_retry_schedule = "30,60".into()).await;
    // A socket bound but not listening holds the port (nothing else can take it) while
    // connections to it are refused, until the receiver starts listening on it.
    let parked = tokio::net::TcpSocket::new_v4().unwrap();
    parked.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let url = format!("http://{}/hook", parked.local_addr().unwrap());
    let (endpoint, _) = create_endpoint(&app.base, KEY, &url, &["*"]).await;
    let produced = produce(&app.base, 1000).await;
    assert_eq!(app.step_all().await, 1000, "every delivery tried once while down");
    let (_, endpoint_now) = app.get(&format!("/v1/webhook_endpoints/{endpoint}")).await;
    assert_eq!(
        endpoint_now["status"], "enabled",
        "retrying deliveries do not disable it"
    );
    let (_, failing) = app.get("/v1/events?delivery_success=false&limit=1").await;
    assert_eq!(failing["data"].as_array().unwrap().len(), 1);

    let mut receiver = Receiver::start_on(parked.listen(1024).unwrap(), vec![], Reply::Status(200));
    app.clock.advance(40);
    assert_eq!(app.step_all().await, 1000);
    let mut got: Vec<String> = receiver.drain().iter().map(|d| d.event_id()).collect();
    got.sort();
    got.dedup();
    let mut want = produced;
    want.sort();
    assert_eq!(got.len(), 1000);
    assert_eq!(got, want, "every event id delivered");
    let (_, failing) = app.get("/v1/events?delivery_success=false").await;
    assert_eq!(failing["data"], serde_json::json!([]));
}

async fn redirects_are_not_followed(backend: Backend) {
    let app = StepApp::spawn(backend, |s| s.webhook_retry_schedule = "".into()).await;
    let mut receiver = Receiver::start(vec![], Reply::Redirect).await;
    let (endpoint, _) = create_endpoint(&app.base, KEY, &receiver.url, &["*"]).await;
    produce(&app.base, 1).await;
    assert_eq!(app.step().await, 1);
    receiver.next().await;
    assert_eq!(
        receiver.redirected_hits.load(Ordering::SeqCst),
        0,
        "the Location was not visited"
    );
    let log = attempts(&app, &endpoint).await;
    assert_eq!(log[0]["response_status_code"], 302);
    assert_eq!(log[0]["status"], "failed");
    assert!(log[0]["error"].as_str().unwrap().contains("redirect"));
}

async fn a_disabled_endpoint_gets_nothing(backend: Backend) {
    let app = StepApp::spawn(backend, |_| {}).await;
    let mut off = Receiver::ok().await;
    let mut on = Receiver::ok().await;
    let (off_id, _) = create_endpoint(&app.base, KEY, &off.url, &["*"]).await;
    create_endpoint(&app.base, KEY, &on.url, &["*"]).await;
    // Queued while enabled, disabled before the dispatcher ran: still nothing.
    let queued = produce(&app.base, 1).await.remove(0);
    let (status, _) = app
        .post(&format!("/v1/webhook_endpoints/{off_id}"), &[("disabled", "true")])
        .await;
    assert_eq!(status, 200);
    let later = produce(&app.base, 1).await.remove(0);
    assert_eq!(app.step_all().await, 2, "only the enabled endpoint's two");
    let mut got: Vec<String> = on.drain().iter().map(|d| d.event_id()).collect();
    got.sort();
    let mut want = vec![queued, later];
    want.sort();
    assert_eq!(got, want);
    assert!(off.try_next().is_none(), "the disabled endpoint got nothing");
    assert!(attempts(&app, &off_id).await.is_empty());
    let (status, err) = app
        .post(
            &format!("/v1/test_helpers/events/{}/resend", want[0]),
            &[("webhook_endpoint", &off_id)],
        )
        .await;
    crate::harness::assert_error(status, &err, 400, None, Some("webhook_endpoint"));
}

async fn repeated_failed_deliveries_disable_the_endpoint(backend: Backend) {
    let app = StepApp::spawn(backend, |s| {
        s.webhook_retry_schedule = "".into();
        s.webhook_disable_after = 2;
        s.webhook_concurrency = 1;
    })
    .await;
    let mut receiver = Receiver::start(vec![Reply::Status(500)], Reply::Status(200)).await;
    let (endpoint, _) = create_endpoint(&app.base, KEY, &receiver.url, &["*"]).await;
    produce(&app.base, 1).await;
    assert_eq!(app.step_all().await, 1);
    produce(&app.base, 1).await;
    assert_eq!(app.step_all().await, 1, "a success resets the run");
    receiver.drain();
    let bad = Receiver::start(vec![], Reply::Status(500)).await;
    app.post(&format!("/v1/webhook_endpoints/{endpoint}"), &[("url", &bad.url)])
        .await;
    produce(&app.base, 3).await;
    assert_eq!(
        app.step_all().await,
        2,
        "disabled after two failed deliveries; the third is not sent"
    );
    let (_, e) = app.get(&format!("/v1/webhook_endpoints/{endpoint}")).await;
    assert_eq!(e["status"], "disabled");
    produce(&app.base, 1).await;
    assert_eq!(app.step_all().await, 0);
    let (_, e) = app
        .post(&format!("/v1/webhook_endpoints/{endpoint}"), &[("disabled", "false")])
        .await;
    assert_eq!(e["status"], "enabled");
}

async fn resend_delivers_again(backend: Backend) {
    let app = StepApp::spawn(backend, |_| {}).await;
    let mut a = Receiver::ok().await;
    let mut b = Receiver::ok().await;
    let (_, _) = create_endpoint(&app.base, KEY, &a.url, &["*"]).await;
    let (b_id, _) = create_endpoint(&app.base, KEY, &b.url, &["*"]).await;
    let id = produce(&app.base, 1).await.remove(0);
    assert_eq!(app.step_all().await, 2);
    let (status, e) = app.post(&format!("/v1/test_helpers/events/{id}/resend"), &[]).await;
    assert_eq!(status, 200, "{e}");
    assert_eq!(e["id"], id.as_str());
    assert_eq!(app.step_all().await, 2, "to every endpoint again");
    app.post(
        &format!("/v1/test_helpers/events/{id}/resend"),
        &[("webhook_endpoint", &b_id)],
    )
    .await;
    assert_eq!(app.step_all().await, 1, "to the one named");
    assert_eq!(a.drain().len(), 2);
    assert_eq!(b.drain().len(), 3);
    let (status, err) = app.post("/v1/test_helpers/events/evt_nope/resend", &[]).await;
    crate::harness::assert_error(status, &err, 404, Some("resource_missing"), Some("id"));
    let _ = json;
}

async fn refresh_and_disconnect_events_are_delivered(backend: Backend) {
    let app = StepApp::spawn(backend, |_| {}).await;
    let mut receiver = Receiver::ok().await;
    create_endpoint(
        &app.base,
        KEY,
        &receiver.url,
        &[
            "financial_connections.account.refreshed_balance",
            "financial_connections.account.disconnected",
        ],
    )
    .await;
    let account = link_accounts(&app.base).await.remove(0);
    let path = format!("/v1/financial_connections/accounts/{account}");
    let (status, body) = app.post(&format!("{path}/refresh"), &[("features[]", "balance")]).await;
    assert_eq!(status, 200, "{body}");
    sandbank::workers::refresh::drain(&app.state).await.unwrap();
    let (status, body) = app.post(&format!("{path}/disconnect"), &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.step_all().await,
        2,
        "account.created is not subscribed; the other two are"
    );
    let mut got: Vec<(String, Value)> = receiver
        .drain()
        .iter()
        .map(|d| {
            let e = d.json();
            (e["type"].as_str().unwrap().to_owned(), e["data"]["object"].clone())
        })
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(got[0].0, "financial_connections.account.disconnected");
    assert_eq!(got[0].1["status"], "disconnected");
    assert_eq!(got[1].0, "financial_connections.account.refreshed_balance");
    assert_eq!(got[1].1["id"], account.as_str());
    assert_eq!(got[1].1["balance_refresh"]["status"], "succeeded");
}
