//! `/v1/events`: the events linking writes, the test helper's, filters (`type` with `*`,
//! `types[]`, `created`, `delivery_success`), pagination, and a 400 per bad parameter.

use serde_json::{Value, json};

use crate::both_stores;
use crate::harness::{Backend, KEY, TestApp, assert_error, json};
use crate::webhooks_support::{Receiver, StepApp, create_endpoint, produce};
use sandbank::clock::Clock;

both_stores!(
    linking_and_the_helper_produce_listable_events,
    event_filters_select_by_type_pattern_and_time,
    bad_event_params_are_each_a_400_naming_the_param,
    delivery_success_and_pending_webhooks_follow_deliveries,
);

/// Links jenny's four accounts through the hosted-flow helper; returns their ids.
pub async fn link_accounts(base: &str) -> Vec<String> {
    let client = reqwest::Client::new();
    let post = |path: &str, form: Vec<(&str, String)>| {
        client.post(format!("{base}{path}")).bearer_auth(KEY).form(&form).send()
    };
    let (_, customer) = json(
        post("/v1/customers", vec![("name", "Jenny Rosen".into())])
            .await
            .unwrap(),
    )
    .await;
    let form = vec![
        ("account_holder[type]", "customer".to_owned()),
        ("account_holder[customer]", customer["id"].as_str().unwrap().to_owned()),
        ("permissions[]", "balances".to_owned()),
        ("permissions[]", "ownership".to_owned()),
    ];
    let (status, session) = json(post("/v1/financial_connections/sessions", form).await.unwrap()).await;
    assert_eq!(status, 200, "{session}");
    let path = format!(
        "/v1/test_helpers/financial_connections/sessions/{}/complete",
        session["id"].as_str().unwrap()
    );
    let (status, done) = json(post(&path, vec![]).await.unwrap()).await;
    assert_eq!(status, 200, "{done}");
    done["accounts"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn linking_and_the_helper_produce_listable_events(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let accounts = link_accounts(&app.base).await;
    let (_, list) = json(app.get("/v1/events?type=financial_connections.account.created").await).await;
    assert_eq!(list["url"], "/v1/events");
    let events = list["data"].as_array().unwrap();
    assert_eq!(events.len(), 4);
    for e in events {
        assert_eq!(e["object"], "event");
        assert_eq!(e["livemode"], false);
        assert_eq!(e["pending_webhooks"], 0);
        assert!(e["api_version"].is_string());
        assert!(e["request"].is_object());
        let account = &e["data"]["object"];
        assert_eq!(account["object"], "financial_connections.account");
        assert!(accounts.contains(&account["id"].as_str().unwrap().to_owned()));
        assert!(account["balance_refresh"].is_object() || account["balance_refresh"].is_null());
    }
    let id = events[0]["id"].as_str().unwrap();
    let (status, one) = json(app.get(&format!("/v1/events/{id}")).await).await;
    assert_eq!(status, 200);
    assert_eq!(&one, &events[0]);
    let (status, missing) = json(app.get("/v1/events/evt_nope").await).await;
    assert_error(status, &missing, 404, Some("resource_missing"), Some("id"));

    // The helper's events name the request that made them.
    let res = app
        .request(reqwest::Method::POST, "/v1/test_helpers/events")
        .header("Idempotency-Key", "produce-1")
        .form(&[
            ("type", "financial_connections.account.refreshed_balance"),
            ("account", &accounts[0]),
        ])
        .send()
        .await
        .unwrap();
    let request_id = res.headers()["request-id"].to_str().unwrap().to_owned();
    let (_, made) = json(res).await;
    let e = &made["data"][0];
    assert_eq!(e["type"], "financial_connections.account.refreshed_balance");
    assert_eq!(e["request"], json!({"id": request_id, "idempotency_key": "produce-1"}));
    assert_eq!(e["data"]["object"]["id"], accounts[0].as_str());
}

async fn event_filters_select_by_type_pattern_and_time(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let accounts = link_accounts(&app.base).await;
    app.clock.advance(100);
    let later = app.clock.now();
    let synthetic = produce(&app.base, 3).await;
    let (_, all) = json(app.get("/v1/events?limit=100").await).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 7);

    let (_, fc) = json(app.get("/v1/events?type=financial_connections.account.*").await).await;
    assert_eq!(fc["data"].as_array().unwrap().len(), 4);
    let (_, star) = json(app.get("/v1/events?type=*.event").await).await;
    assert_eq!(ids(&star).len(), 3);
    let (_, none) = json(app.get("/v1/events?type=financial_connections_account.*").await).await;
    assert_eq!(none["data"], json!([]), "underscores are not wildcards");

    let (_, typed) = json(
        app.get("/v1/events?types[]=test_helper.event&types[]=financial_connections.account.disconnected")
            .await,
    )
    .await;
    let mut got = ids(&typed);
    got.sort();
    let mut want = synthetic.clone();
    want.sort();
    assert_eq!(got, want);

    let (_, recent) = json(app.get(&format!("/v1/events?created[gte]={later}")).await).await;
    assert_eq!(ids(&recent).len(), 3);
    let (_, older) = json(app.get(&format!("/v1/events?created[lt]={later}")).await).await;
    assert_eq!(ids(&older).len(), accounts.len());

    // Newest first, pages of two.
    let (_, first) = json(app.get("/v1/events?limit=2").await).await;
    assert_eq!(first["has_more"], true);
    assert_eq!(ids(&first), vec![synthetic[2].clone(), synthetic[1].clone()]);
    let (_, next) = json(
        app.get(&format!("/v1/events?limit=2&starting_after={}", synthetic[1]))
            .await,
    )
    .await;
    assert_eq!(ids(&next)[0], synthetic[0]);
}

async fn bad_event_params_are_each_a_400_naming_the_param(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let many: String = (0..21).map(|i| format!("types[]=t{i}&")).collect();
    for (query, param) in [
        ("type=a&types[]=b".to_owned(), "types"),
        (many, "types"),
        ("types[]=financial_connections.*".to_owned(), "types[0]"),
        ("delivery_success=maybe".to_owned(), "delivery_success"),
        ("created[after]=1".to_owned(), "created[after]"),
        ("limit=0".to_owned(), "limit"),
        ("colour=red".to_owned(), "colour"),
        ("starting_after=evt_unknown".to_owned(), "starting_after"),
    ] {
        let (status, body) = json(app.get(&format!("/v1/events?{query}")).await).await;
        assert_error(status, &body, 400, None, Some(param));
    }
    for (form, param) in [
        (vec![("count", "0")], "count"),
        (vec![("count", "1001")], "count"),
        (vec![("type", "charge.succeeded")], "type"),
        (vec![("type", "financial_connections.account.created")], "account"),
        (
            vec![
                ("type", "financial_connections.account.created"),
                ("account", "fca_nope"),
            ],
            "account",
        ),
    ] {
        let (status, body) = json(app.post("/v1/test_helpers/events", &form).await).await;
        assert_error(status, &body, 400, None, Some(param));
    }
}

async fn delivery_success_and_pending_webhooks_follow_deliveries(backend: Backend) {
    let app = StepApp::spawn(backend, |s| s.webhook_retry_schedule = "60".into()).await;
    let mut good = Receiver::ok().await;
    let bad = Receiver::start(vec![], crate::webhooks_support::Reply::Status(500)).await;
    create_endpoint(&app.base, KEY, &good.url, &["*"]).await;
    let (bad_id, _) = create_endpoint(&app.base, KEY, &bad.url, &["*"]).await;
    let id = produce(&app.base, 1).await.remove(0);
    let (_, e) = app.get(&format!("/v1/events/{id}")).await;
    assert_eq!(e["pending_webhooks"], 2);
    let (_, pending) = app.get("/v1/events?delivery_success=false").await;
    assert_eq!(ids(&pending), vec![id.clone()]);

    assert_eq!(app.step().await, 2);
    assert_eq!(good.next().await.event_id(), id);
    let (_, e) = app.get(&format!("/v1/events/{id}")).await;
    assert_eq!(e["pending_webhooks"], 1, "the failing endpoint still waits");
    let (_, failed) = app.get("/v1/events?delivery_success=false").await;
    assert_eq!(ids(&failed), vec![id.clone()]);
    let (_, ok) = app.get("/v1/events?delivery_success=true").await;
    assert_eq!(ok["data"], json!([]));

    // Removing the failing endpoint ends its delivery; a resend that succeeds clears it.
    let (status, _) = app
        .post(&format!("/v1/webhook_endpoints/{bad_id}"), &[("url", &good.url)])
        .await;
    assert_eq!(status, 200);
    app.post(
        &format!("/v1/test_helpers/events/{id}/resend"),
        &[("webhook_endpoint", &bad_id)],
    )
    .await;
    app.clock.advance(100);
    assert_eq!(app.step_all().await, 2, "the retry and the resend");
    let (_, e) = app.get(&format!("/v1/events/{id}")).await;
    assert_eq!(e["pending_webhooks"], 0);
    let (_, ok) = app.get("/v1/events?delivery_success=true").await;
    assert_eq!(ids(&ok), vec![id]);
}
