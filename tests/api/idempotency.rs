//! `Idempotency-Key`: replay, mismatch, in-flight conflict, and what is not kept.

use axum::http::Method as AxumMethod;
use reqwest::Method;
use sandbank::domain::platform::SANDBOX_PLATFORM_ID;
use sandbank::http::stripe::idempotency::fingerprint;

use crate::both_stores;
use std::time::Duration;

use crate::harness::{Backend, KEY, TestApp, assert_error, json, settings_for};
use crate::sessions::{create_session, customer_id};

both_stores!(
    a_retry_replays_the_first_response_byte_for_byte,
    other_parameters_with_the_same_key_are_refused,
    a_key_still_in_flight_is_409,
    refused_requests_do_not_burn_the_key,
    concurrent_duplicates_create_one_customer,
    keys_are_scoped_per_platform,
    keys_expire_after_24_hours,
    a_request_its_client_gave_up_on_completes_and_replays,
    an_answer_recorded_before_its_expansion_is_expanded_on_replay,
    a_link_that_committed_before_its_process_died_is_answered_not_redone,
);

/// The test helper's link commits in the `/link` callback, outside its own request. Its
/// process noted the session under the key and died after the link committed: the retry
/// answers with the linked session instead of refusing a session no longer pending.
async fn a_link_that_committed_before_its_process_died_is_answered_not_redone(backend: Backend) {
    use sandbank::clock::Clock;
    use sandbank::domain::idempotency::{IDEMPOTENCY_LOCK_SECS, IdempotencyClaim};

    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let session = create_session(&app, &customer, &[]).await;
    let session_id = session["id"].as_str().unwrap();
    let path = format!("/v1/test_helpers/financial_connections/sessions/{session_id}/complete");
    let print = fingerprint(&AxumMethod::POST, &path, None, false, b"");
    let store = sandbank::startup::open_store(&app.settings).await.unwrap();
    // The dead attempt: its claim's lease has run out by the app's clock.
    let then = app.clock.now() - IDEMPOTENCY_LOCK_SECS - 1;
    let IdempotencyClaim::Claimed(claim) = store
        .claim_idempotency_key(SANDBOX_PLATFORM_ID, "key-link", &print, false, then)
        .await
        .unwrap()
    else {
        panic!("a fresh key is claimed")
    };
    store.note_idempotency_recovery(&claim, session_id).await.unwrap();
    // Its link committed (the callback ran) before the process died.
    let (status, linked) = json(app.post(&path, &[]).await).await;
    assert_eq!(status, 200, "{linked}");

    let res = app
        .request(Method::POST, &path)
        .header("idempotency-key", "key-link")
        .send()
        .await
        .unwrap();
    let (status, answer) = json(res).await;
    assert_eq!(status, 200, "the retry is answered: {answer}");
    assert_eq!(answer["status"], "succeeded");
    assert_eq!(
        answer["accounts"], linked["accounts"],
        "the accounts linked once, not again"
    );
}

/// The write committed with its answer, and the process died before `expand[]` was resolved:
/// the retry replays the recorded answer, expanded then, and nothing is disconnected twice.
async fn an_answer_recorded_before_its_expansion_is_expanded_on_replay(backend: Backend) {
    use sandbank::domain::account::LinkedAccount;
    use sandbank::domain::idempotency::{IdempotencyClaim, Reply};
    use sandbank::wire::objects::account_json;

    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let account = crate::accounts::test_account(&app, &customer, &[("prefetch[]", "ownership")]).await;
    app.drain_refreshes().await;
    let id = account["id"].as_str().unwrap();
    let path = format!("/v1/financial_connections/accounts/{id}/disconnect");
    let body = "expand[]=ownership";
    let print = fingerprint(&AxumMethod::POST, &path, None, false, body.as_bytes());
    let store = sandbank::startup::open_store(&app.settings).await.unwrap();
    let now = {
        use sandbank::clock::Clock;
        app.clock.now()
    };
    let IdempotencyClaim::Claimed(claim) = store
        .claim_idempotency_key(SANDBOX_PLATFORM_ID, "key-expand", &print, true, now)
        .await
        .unwrap()
    else {
        panic!("a fresh key is claimed")
    };
    // What the handler's write does under the key; then its process "dies".
    let render = |a: &LinkedAccount| account_json(a);
    store
        .disconnect_account(
            SANDBOX_PLATFORM_ID,
            id,
            now,
            &render,
            Some(&Reply::new(&claim, &render)),
        )
        .await
        .unwrap()
        .unwrap();

    let retry = || {
        app.request(Method::POST, &path)
            .header("idempotency-key", "key-expand")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let res = retry().await.unwrap();
    assert_eq!(res.headers()["idempotent-replayed"], "true");
    let first = res.text().await.unwrap();
    let replayed: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(replayed["status"], "disconnected");
    assert_eq!(
        replayed["ownership"]["object"], "financial_connections.account_ownership",
        "expanded on replay: {replayed}"
    );
    let again = retry().await.unwrap().text().await.unwrap();
    assert_eq!(again, first, "the expanded answer is kept and replayed byte for byte");
    let (_, events) = json(
        app.get("/v1/events?type=financial_connections.account.disconnected")
            .await,
    )
    .await;
    assert_eq!(events["data"].as_array().unwrap().len(), 1, "disconnected once");
}

/// The client times out while the server links accounts at the slow bank. The server still
/// finishes (the session links its accounts) and keeps the response, so the client's retry
/// with the same key gets it replayed, not a 409 until the key's lease runs out.
async fn a_request_its_client_gave_up_on_completes_and_replays(backend: Backend) {
    let mut settings = settings_for(backend).await;
    // Each call to the slow bank (token, data) takes a second: the request is in flight long
    // after the client's 300 ms patience, which is long after it reached the server.
    settings.slow_bank_delay_ms = 1000;
    let app = TestApp::spawn_with(settings).await;
    let customer = customer_id(&app).await;
    let session = create_session(&app, &customer, &[]).await;
    let path = format!(
        "/v1/test_helpers/financial_connections/sessions/{}/complete",
        session["id"].as_str().unwrap()
    );
    let form = [("institution", "fcinst_slow")];
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let cut_off = impatient
        .post(app.url(&path))
        .bearer_auth(KEY)
        .header("idempotency-key", "link-once")
        .form(&form)
        .send()
        .await;
    assert!(cut_off.is_err_and(|e| e.is_timeout()), "the client gave up");

    app.writes_settled().await;
    let retry = app
        .request(Method::POST, &path)
        .header("idempotency-key", "link-once")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        retry.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap()),
        Some("true")
    );
    let (status, done) = json(retry).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["status"], "succeeded");
    assert!(!done["accounts"]["data"].as_array().unwrap().is_empty(), "{done}");
}

async fn keys_expire_after_24_hours(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(post_with_key(&app, "day-key", "name=Monday").await.status(), 200);
    app.clock.advance(24 * 60 * 60 - 1);
    let (status, _) = json(post_with_key(&app, "day-key", "name=Tuesday").await).await;
    assert_eq!(status, 400, "still kept just before 24 hours");
    app.clock.advance(1);
    let (status, body) = json(post_with_key(&app, "day-key", "name=Tuesday").await).await;
    assert_eq!(status, 200, "a pruned key is a new request: {body}");
    assert_eq!(body["name"], "Tuesday");
}

async fn post_with_key(app: &TestApp, key: &str, body: &str) -> reqwest::Response {
    app.request(Method::POST, "/v1/customers")
        .header("idempotency-key", key)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

async fn count_customers(app: &TestApp) -> usize {
    let (_, list) = json(app.get("/v1/customers?limit=100").await).await;
    list["data"].as_array().unwrap().len()
}

async fn a_retry_replays_the_first_response_byte_for_byte(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = post_with_key(&app, "key-1", "name=Jenny+Rosen&email=j%40example.com").await;
    assert_eq!(first.status(), 200);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first_body = first.bytes().await.unwrap();

    // Same parameters in another order and encoding: still the same request.
    let again = post_with_key(&app, "key-1", "email=j@example.com&name=Jenny%20Rosen").await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(
        again.headers()["idempotency-key"],
        "key-1",
        "the replay names its key as the first answer did"
    );
    assert_eq!(again.bytes().await.unwrap(), first_body, "replayed byte for byte");
    assert_eq!(count_customers(&app).await, 1);

    let as_json = app
        .request(Method::POST, "/v1/customers")
        .header("idempotency-key", "key-1")
        .json(&serde_json::json!({"name": "Jenny Rosen", "email": "j@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(as_json.bytes().await.unwrap(), first_body);
}

async fn other_parameters_with_the_same_key_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(post_with_key(&app, "key-2", "name=Jenny").await.status(), 200);
    let (status, err) = json(post_with_key(&app, "key-2", "name=Mark").await).await;
    assert_error(status, &err, 400, None, None);
    assert_eq!(err["error"]["type"], "idempotency_error");
    assert!(err["error"]["message"].as_str().unwrap().contains("key-2"));

    let c: serde_json::Value = post_with_key(&app, "key-3", "name=Jenny").await.json().await.unwrap();
    // The same key on another endpoint is another request.
    let res = app
        .request(Method::POST, &format!("/v1/customers/{}", c["id"].as_str().unwrap()))
        .header("idempotency-key", "key-3")
        .form(&[("name", "Jenny")])
        .send()
        .await
        .unwrap();
    let (status, err) = json(res).await;
    assert_error(status, &err, 400, None, None);
    assert_eq!(count_customers(&app).await, 2);
}

async fn a_key_still_in_flight_is_409(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let body = "name=Jenny";
    let print = fingerprint(&AxumMethod::POST, "/v1/customers", None, false, body.as_bytes());
    let store = sandbank::startup::open_store(&app.settings).await.unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    store
        .claim_idempotency_key(SANDBOX_PLATFORM_ID, "key-busy", &print, false, now)
        .await
        .unwrap();

    let res = post_with_key(&app, "key-busy", body).await;
    assert_eq!(res.headers()["stripe-should-retry"], "true");
    let (status, err) = json(res).await;
    assert_error(status, &err, 409, Some("idempotency_key_in_use"), None);
    assert_eq!(count_customers(&app).await, 0);
}

async fn refused_requests_do_not_burn_the_key(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, _) = json(post_with_key(&app, "key-4", "nmae=Jenny").await).await;
    assert_eq!(status, 400);
    let res = post_with_key(&app, "key-4", "name=Jenny").await;
    assert_eq!(res.status(), 200, "a corrected request may reuse the key");

    let res = app
        .request(Method::POST, "/v1/customers")
        .header("idempotency-key", "k".repeat(256))
        .form(&[("name", "x")])
        .send()
        .await
        .unwrap();
    let (status, err) = json(res).await;
    assert_error(status, &err, 400, None, Some("Idempotency-Key"));
}

async fn concurrent_duplicates_create_one_customer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requests = (0..8).map(|_| post_with_key(&app, "key-race", "name=Racer"));
    let responses = futures::future::join_all(requests).await;
    let mut bodies = Vec::new();
    for res in responses {
        let status = res.status().as_u16();
        let body: serde_json::Value = res.json().await.unwrap();
        match status {
            200 => bodies.push(body),
            409 => assert_eq!(body["error"]["code"], "idempotency_key_in_use"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(!bodies.is_empty());
    assert!(
        bodies.windows(2).all(|w| w[0]["id"] == w[1]["id"]),
        "every 200 is the same customer"
    );
    assert_eq!(count_customers(&app).await, 1);
}

async fn keys_are_scoped_per_platform(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let other = crate::customers::create_platform_key(&app).await;
    assert_eq!(post_with_key(&app, "shared-key", "name=A").await.status(), 200);
    let res = app
        .client
        .post(app.url("/v1/customers"))
        .bearer_auth(&other)
        .header("idempotency-key", "shared-key")
        .form(&[("name", "B")])
        .send()
        .await
        .unwrap();
    let (status, body) = json(res).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], "B");
}
