//! `Stripe-Version` and `Request-Id`.

use reqwest::Method;

use crate::both_stores;
use crate::harness::{Backend, TestApp, assert_error, json};

both_stores!(
    versions_with_betas_are_accepted_and_echoed,
    malformed_versions_are_400,
    every_response_has_a_request_id
);

async fn versions_with_betas_are_accepted_and_echoed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for version in [
        "2026-07-29.dahlia",
        "2024-06-20",
        "2025-03-31.basil; financial_connections_ownership_match_api_preview=v1",
        "2026-06-24.preview; beta=v1",
    ] {
        let res = app
            .request(Method::GET, "/v1/customers")
            .header("stripe-version", version)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{version}");
        assert_eq!(res.headers()["stripe-version"], version);
    }
    let res = app.get("/v1/customers").await;
    assert!(res.headers()["stripe-version"].to_str().unwrap().starts_with("20"));
}

async fn malformed_versions_are_400(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for version in ["latest", "2020-13-45", "2024-06-20; beta"] {
        let res = app
            .request(Method::GET, "/v1/customers")
            .header("stripe-version", version)
            .send()
            .await
            .unwrap();
        let (status, err) = json(res).await;
        assert_error(status, &err, 400, None, Some("Stripe-Version"));
    }
}

async fn every_response_has_a_request_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let responses = vec![
        app.get("/v1/customers").await,
        app.client.get(app.url("/v1/customers")).send().await.unwrap(),
        app.get("/v1/nothing").await,
        app.post("/v1/customers", &[("bogus", "1")]).await,
        app.client.get(app.url("/healthz")).send().await.unwrap(),
    ];
    let mut seen = std::collections::HashSet::new();
    for res in responses {
        let id = res.headers()["request-id"].to_str().unwrap().to_owned();
        assert!(id.starts_with("req_") && id.len() > 10, "{id}");
        assert!(seen.insert(id), "request ids are unique");
    }
    let (status, err) = json(app.post("/v1/customers", &[("bogus", "1")]).await).await;
    assert_error(status, &err, 400, Some("parameter_unknown"), Some("bogus"));
}
