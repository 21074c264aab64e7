//! Where webhooks may go: IPv6 forms that carry a private IPv4 address are refused like the
//! IPv4 forms, and `SANDBANK_WEBHOOK_ALLOW_LOOPBACK=false` refuses loopback at creation and,
//! for endpoints made before the setting changed, at send time.

use crate::both_stores;
use crate::harness::{Backend, KEY, TestApp, assert_error, json};
use crate::webhooks_support::{Receiver, StepApp, create_endpoint, produce};

both_stores!(
    ipv6_urls_carrying_a_private_ipv4_are_refused,
    loopback_can_be_turned_off_at_creation_and_at_send_time,
);

async fn ipv6_urls_carrying_a_private_ipv4_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for host in [
        "[::10.0.0.1]",
        "[::ffff:10.0.0.1]",
        "[::ffff:0:10.0.0.1]",
        "[64:ff9b::10.0.0.1]",
        "[2002:a00:1::1]",
        "[2001:0:5db8:d822::f5ff:fffe]",
        "[::ffff:0:169.254.169.254]",
    ] {
        let url = format!("http://{host}/hook");
        let (status, body) = json(
            app.post("/v1/webhook_endpoints", &[("url", &url), ("enabled_events[]", "*")])
                .await,
        )
        .await;
        assert_error(status, &body, 400, Some("parameter_invalid"), Some("url"));
    }
    let (status, body) = json(
        app.post(
            "/v1/webhook_endpoints",
            &[
                ("url", "http://[64:ff9b::93.184.216.34]/hook"),
                ("enabled_events[]", "*"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "a public IPv4 carried by NAT64 is public: {body}");
}

async fn loopback_can_be_turned_off_at_creation_and_at_send_time(backend: Backend) {
    let mut receiver = Receiver::ok().await;
    let port = receiver.url.trim_start_matches("http://127.0.0.1:").to_owned();
    let by_name = format!("http://localhost:{port}");
    let mut saved = None;
    let local = StepApp::spawn(backend, |s| saved = Some(s.clone())).await;
    let (literal, _) = create_endpoint(&local.base, KEY, &receiver.url, &["*"]).await;
    let (named, _) = create_endpoint(&local.base, KEY, &by_name, &["*"]).await;
    drop(local);

    let settings = saved.expect("settings captured");
    let shared = StepApp::spawn(backend, |s| {
        *s = settings;
        s.dispatcher = false;
        s.webhook_allow_loopback = false;
    })
    .await;
    for url in [
        receiver.url.as_str(),
        &by_name,
        "http://LocalHost./h",
        "http://[::1]/h",
        "http://[::ffff:127.0.0.1]/h",
        "http://[::127.0.0.1]/h",
        "http://127.0.0.2/h",
    ] {
        let (status, body) = shared
            .post("/v1/webhook_endpoints", &[("url", url), ("enabled_events[]", "*")])
            .await;
        assert_error(status, &body, 400, Some("parameter_invalid"), Some("url"));
    }
    produce(&shared.base, 1).await;
    assert_eq!(shared.step().await, 2, "one attempt per endpoint");
    assert!(receiver.try_next().is_none(), "nothing reached loopback");
    for endpoint in [literal, named] {
        let (_, log) = shared
            .get(&format!("/v1/test_helpers/webhook_endpoints/{endpoint}/attempts"))
            .await;
        let attempt = &log["data"][0];
        assert_eq!(attempt["status"], "failed", "{log}");
        assert!(attempt["response_status_code"].is_null(), "{log}");
        let error = attempt["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("loopback") || error.contains("private"),
            "the policy is the reason: {error}"
        );
    }
}
