//! A restricted key reaches nothing through another road than it could reach directly:
//! every `expand[]` checks the permission of the object it loads (an event's account's
//! ownership, a session's accounts' ownership), and a test helper needs the permissions of
//! what it reads or changes as well as `test_helpers`.

use crate::both_stores;
use crate::harness::{Backend, TestApp, json};
use crate::ownership_match::{jenny, sample_account};
use crate::restricted_keys::{assert_refused, call, restricted_key};
use reqwest::Method;

both_stores!(
    expansions_check_the_permission_of_every_object_they_reach,
    test_helpers_need_the_permissions_of_what_they_touch
);

const OWNERSHIP_EVENT: &str = "financial_connections.account.refreshed_ownership";

async fn expansions_check_the_permission_of_every_object_they_reach(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = jenny(&app).await;
    let account = sample_account(&app, &customer).await;
    // An event whose payload is the account (its `ownership` an expandable id).
    let (status, made) = json(
        app.post(
            "/v1/test_helpers/events",
            &[("type", OWNERSHIP_EVENT), ("account", &account)],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{made}");

    let events = format!("/v1/events?type={OWNERSHIP_EVENT}&expand[]=data.data.object.ownership");
    let event_reader = restricted_key(&app, &["event:read"]);
    let (status, body) = call(&app, &event_reader, Method::GET, &events, &[]).await;
    assert_refused(status, &body, &event_reader, "rak_financial_connections_account_read");
    assert!(!body.to_string().contains("Jennifer"), "{body}");
    // The event itself is still readable without the expansion.
    let plain = format!("/v1/events?type={OWNERSHIP_EVENT}");
    let (status, body) = call(&app, &event_reader, Method::GET, &plain, &[]).await;
    assert_eq!(status, 200, "{body}");
    // With the account permission the expansion goes through.
    let both = restricted_key(&app, &["event:read", "financial_connections_account:read"]);
    let (status, body) = call(&app, &both, Method::GET, &events, &[]).await;
    assert_eq!(status, 200, "{body}");
    let owners = &body["data"][0]["data"]["object"]["ownership"]["owners"]["data"];
    assert_eq!(owners[0]["name"], "Jennifer Rosen", "{body}");

    // A session's accounts, expanded to their ownership, with a session key.
    let (status, session) = json(
        app.post(
            "/v1/financial_connections/sessions",
            &[
                ("account_holder[type]", "customer"),
                ("account_holder[customer]", &customer),
                ("permissions[]", "ownership"),
                ("prefetch[]", "ownership"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{session}");
    let session_id = session["id"].as_str().unwrap();
    let complete = format!("/v1/test_helpers/financial_connections/sessions/{session_id}/complete");
    let (status, done) = json(app.post(&complete, &[]).await).await;
    assert_eq!(status, 200, "{done}");
    app.drain_refreshes().await;
    let expanded = format!("/v1/financial_connections/sessions/{session_id}?expand[]=accounts.data.ownership");
    let (status, body) = json(app.get(&expanded).await).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["accounts"]["data"][0]["ownership"]["owners"].is_object(), "{body}");
    let session_reader = restricted_key(&app, &["financial_connections_session:read"]);
    let (status, body) = call(&app, &session_reader, Method::GET, &expanded, &[]).await;
    assert_refused(status, &body, &session_reader, "rak_financial_connections_account_read");
    let plain = format!("/v1/financial_connections/sessions/{session_id}");
    let (status, _) = call(&app, &session_reader, Method::GET, &plain, &[]).await;
    assert_eq!(status, 200);

    // Authorizations and institutions are account data too.
    let narrow = restricted_key(&app, &["financial_connections_session:read"]);
    for field in ["authorization", "institution"] {
        let path = format!("{plain}?expand[]=accounts.data.{field}");
        let (status, body) = call(&app, &narrow, Method::GET, &path, &[]).await;
        assert_refused(status, &body, &narrow, "rak_financial_connections_account_read");
    }
}

async fn test_helpers_need_the_permissions_of_what_they_touch(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = jenny(&app).await;
    let account = sample_account(&app, &customer).await;
    let ownership_events = || async {
        let (_, list) = json(app.get(&format!("/v1/events?limit=100&type={OWNERSHIP_EVENT}")).await).await;
        list["data"].as_array().unwrap().len()
    };
    let ownership_events_before = ownership_events().await;

    let helper = restricted_key(&app, &["test_helpers:write"]);
    let post = |key: &str, path: &str, form: &[(&str, &str)]| {
        let (key, path, form) = (
            key.to_owned(),
            path.to_owned(),
            form.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>(),
        );
        let app = &app;
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            call(app, &key, Method::POST, &path, &form).await
        }
    };

    // Events: writing them needs `event:write`; carrying an account needs its read.
    let by_account = [("type", OWNERSHIP_EVENT), ("account", account.as_str())];
    let (status, body) = post(&helper, "/v1/test_helpers/events", &by_account).await;
    assert_refused(status, &body, &helper, "rak_event_write");
    let events = restricted_key(&app, &["test_helpers:write", "event:write"]);
    let (status, body) = post(&events, "/v1/test_helpers/events", &by_account).await;
    assert_refused(status, &body, &events, "rak_financial_connections_account_read");
    assert!(!body.to_string().contains("Jennifer"), "{body}");
    let (status, body) = post(&events, "/v1/test_helpers/events", &[]).await;
    assert_eq!(status, 200, "a synthetic event needs no account: {body}");
    let with_account = restricted_key(
        &app,
        &[
            "test_helpers:write",
            "event:write",
            "financial_connections_account:read",
        ],
    );
    let (status, body) = post(&with_account, "/v1/test_helpers/events", &by_account).await;
    assert_eq!(status, 200, "{body}");
    let event_id = body["data"][0]["id"].as_str().unwrap().to_owned();

    // Resend answers the event and queues deliveries.
    let resend = format!("/v1/test_helpers/events/{event_id}/resend");
    let (status, body) = post(&helper, &resend, &[]).await;
    assert_refused(status, &body, &helper, "rak_event_read");
    let reader = restricted_key(&app, &["test_helpers:write", "event:read"]);
    let (status, body) = post(&reader, &resend, &[]).await;
    assert_refused(status, &body, &reader, "rak_webhook_endpoint_write");
    let resender = restricted_key(&app, &["test_helpers:write", "event:read", "webhook_endpoint:write"]);
    let (status, body) = post(&resender, &resend, &[]).await;
    assert_eq!(status, 200, "{body}");

    // Attempts show endpoints' records and events' bodies.
    let attempts = "/v1/test_helpers/webhook_endpoints/we_unknown/attempts";
    let (status, body) = call(&app, &helper, Method::GET, attempts, &[]).await;
    assert_refused(status, &body, &helper, "rak_webhook_endpoint_read");
    let endpoint_reader = restricted_key(&app, &["test_helpers:read", "webhook_endpoint:read"]);
    let (status, body) = call(&app, &endpoint_reader, Method::GET, attempts, &[]).await;
    assert_refused(status, &body, &endpoint_reader, "rak_event_read");
    let attempts_reader = restricted_key(&app, &["test_helpers:read", "webhook_endpoint:read", "event:read"]);
    let (status, body) = call(&app, &attempts_reader, Method::GET, attempts, &[]).await;
    assert_eq!(status, 404, "past the permissions, to the handler: {body}");

    // Linking through a helper writes sessions and accounts, and reads the customer.
    let (_, session) = json(
        app.post(
            "/v1/financial_connections/sessions",
            &[
                ("account_holder[type]", "customer"),
                ("account_holder[customer]", &customer),
                ("permissions[]", "balances"),
            ],
        )
        .await,
    )
    .await;
    let complete = format!(
        "/v1/test_helpers/financial_connections/sessions/{}/complete",
        session["id"].as_str().unwrap()
    );
    let (status, body) = post(&helper, &complete, &[]).await;
    assert_refused(status, &body, &helper, "rak_financial_connections_session_write");
    let form = [
        ("account_holder[customer]", customer.as_str()),
        ("permissions[]", "balances"),
    ];
    let (status, body) = post(&helper, "/v1/test_helpers/financial_connections/accounts", &form).await;
    assert_refused(status, &body, &helper, "rak_customer_read");
    let linker = restricted_key(
        &app,
        &[
            "test_helpers:write",
            "customer:read",
            "financial_connections_session:write",
            "financial_connections_account:write",
        ],
    );
    let (status, body) = post(&linker, "/v1/test_helpers/financial_connections/accounts", &form).await;
    assert_eq!(status, 200, "{body}");

    // What was refused wrote nothing: one synthetic event and one account event were made.
    let (_, synthetic) = json(app.get("/v1/events?limit=100&type=test_helper.event").await).await;
    assert_eq!(synthetic["data"].as_array().unwrap().len(), 1, "{synthetic}");
    assert_eq!(ownership_events().await, ownership_events_before + 1);
}
