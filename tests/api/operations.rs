//! Operations: liveness, readiness, rate limits, graceful shutdown.

use crate::both_stores;
use crate::harness::{Backend, TestApp, assert_error, json, settings_for};

both_stores!(
    health_and_readiness_answer,
    the_rate_limit_answers_429_with_retry_after,
    shutdown_stops_the_server
);

async fn health_and_readiness_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, body) = json(app.client.get(app.url("/healthz")).send().await.unwrap()).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    let (status, body) = json(app.client.get(app.url("/readyz")).send().await.unwrap()).await;
    assert_eq!(status, 200);
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(body["store"], expected);
}

async fn the_rate_limit_answers_429_with_retry_after(backend: Backend) {
    let mut settings = settings_for(backend).await;
    settings.rate_limit = 3;
    let app = TestApp::spawn_with(settings).await;
    // Requests until the first 429. The bucket refills at 3 a second, so however slow this
    // machine is, 50 requests in a row cannot all pass unless they take over 16 s.
    let mut statuses = Vec::new();
    let mut limited = None;
    while limited.is_none() && statuses.len() < 50 {
        let res = app.get("/v1/customers").await;
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            limited = Some(res);
        }
    }
    assert_eq!(&statuses[..3], &[200, 200, 200], "the burst is the per-second rate");
    let res = limited.expect("a request beyond the burst is limited");
    let retry_after: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry_after));
    let (status, err) = json(res).await;
    assert_error(status, &err, 429, Some("rate_limit"), None);

    // Buckets are per key: another platform's key is unaffected.
    let other = crate::customers::create_platform_key(&app).await;
    let res = app
        .client
        .get(app.url("/v1/customers"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

async fn shutdown_stops_the_server(backend: Backend) {
    let settings = settings_for(backend).await;
    let app = sandbank::startup::App::build(&settings).await.unwrap();
    let addr = app.address();
    let token = app.shutdown_token();
    let server = tokio::spawn(app.run());
    let res = reqwest::get(format!("http://{addr}/healthz")).await.unwrap();
    assert_eq!(res.status(), 200);
    token.cancel();
    let result = server.await.unwrap();
    assert!(result.is_ok(), "{result:?}");
    assert!(
        reqwest::get(format!("http://{addr}/healthz")).await.is_err(),
        "the listener is closed"
    );
}
