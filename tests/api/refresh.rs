//! The refresh lifecycle: pending → succeeded / failed, cooldowns, permissions, consent
//! revoked at the bank, disconnect, subscriptions, restarts and lapsed job claims.

use serde_json::Value;

use sandbank::clock::Clock;

use crate::accounts::test_account;
use crate::both_stores;
use crate::harness::{Backend, TestApp, assert_error, json};
use crate::sessions::customer_id;

both_stores!(
    a_refresh_goes_pending_then_succeeded_with_a_cooldown,
    refresh_needs_the_permission_and_known_features,
    a_failing_bank_fails_the_refresh,
    a_delayed_refresh_stays_pending_until_due,
    a_revoked_consent_deactivates_the_account,
    disconnect_revokes_the_consent_and_keeps_data,
    subscribe_starts_transaction_refreshes,
    jobs_survive_a_restart_and_lapsed_claims_run_again,
    expired_access_tokens_are_renewed_with_the_refresh_token,
);

async fn refresh(app: &TestApp, id: &str, features: &[&str]) -> (u16, Value) {
    let form: Vec<(&str, &str)> = features.iter().map(|f| ("features[]", *f)).collect();
    json(
        app.post(&format!("/v1/financial_connections/accounts/{id}/refresh"), &form)
            .await,
    )
    .await
}

async fn account(app: &TestApp, id: &str) -> Value {
    json(app.get(&format!("/v1/financial_connections/accounts/{id}")).await)
        .await
        .1
}

async fn a_refresh_goes_pending_then_succeeded_with_a_cooldown(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let a = test_account(&app, &customer, &[]).await;
    let id = a["id"].as_str().unwrap();
    let (status, pending) = refresh(&app, id, &["balance"]).await;
    assert_eq!(status, 200, "{pending}");
    assert_eq!(pending["balance_refresh"]["status"], "pending");
    assert_eq!(pending["balance_refresh"]["next_refresh_available_at"], Value::Null);
    assert_eq!(app.drain_refreshes().await, 1);
    let done = account(&app, id).await;
    assert_eq!(done["balance_refresh"]["status"], "succeeded");
    assert_eq!(done["balance"]["current"]["usd"], 123456);
    let next = done["balance_refresh"]["next_refresh_available_at"].as_i64().unwrap();

    let (status, err) = refresh(&app, id, &["balance"]).await;
    assert_error(status, &err, 400, None, Some("features"));
    app.clock
        .advance(next - done["balance_refresh"]["last_attempted_at"].as_i64().unwrap());
    let (status, again) = refresh(&app, id, &["balance"]).await;
    assert_eq!(
        (status, again["balance_refresh"]["status"].as_str()),
        (200, Some("pending"))
    );
    app.drain_refreshes().await;
    assert_eq!(
        app.state.store.refresh_jobs_queued().await.unwrap(),
        0,
        "the queue is empty at the end"
    );
}

async fn refresh_needs_the_permission_and_known_features(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let form = [
        ("account_holder[customer]", customer.as_str()),
        ("permissions[]", "balances"),
    ];
    let (_, a) = json(app.post("/v1/test_helpers/financial_connections/accounts", &form).await).await;
    let id = a["id"].as_str().unwrap();
    let (status, err) = refresh(&app, id, &["ownership"]).await;
    assert_error(status, &err, 400, None, Some("features"));
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ownership permission")
    );
    let (status, err) = refresh(&app, id, &["balances"]).await;
    assert_error(status, &err, 400, Some("parameter_invalid"), Some("features[0]"));
    let (status, err) = json(
        app.post(&format!("/v1/financial_connections/accounts/{id}/refresh"), &[])
            .await,
    )
    .await;
    assert_error(status, &err, 400, Some("parameter_missing"), Some("features"));
    let (status, _) = refresh(&app, "fca_nope", &["balance"]).await;
    assert_eq!(status, 404);
    assert_eq!(
        account(&app, id).await["ownership_refresh"],
        Value::Null,
        "nothing started"
    );
}

async fn a_failing_bank_fails_the_refresh(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let a = test_account(
        &app,
        &customer,
        &[("scenario", "refresh_fails"), ("prefetch[]", "ownership")],
    )
    .await;
    app.drain_refreshes().await;
    let after = account(&app, a["id"].as_str().unwrap()).await;
    assert_eq!(after["ownership_refresh"]["status"], "failed");
    assert_eq!(after["ownership"], Value::Null);
    assert_eq!(after["status"], "active", "a bank failure is not a lost consent");
    let events = crate::link_flow::event_types(&app).await;
    assert!(
        events.contains(&"financial_connections.account.refreshed_ownership".to_owned()),
        "{events:?}"
    );
}

async fn a_delayed_refresh_stays_pending_until_due(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let a = test_account(
        &app,
        &customer,
        &[("prefetch[]", "ownership"), ("refresh_delay", "300")],
    )
    .await;
    let id = a["id"].as_str().unwrap();
    assert_eq!(a["ownership_refresh"]["status"], "pending");
    assert_eq!(app.drain_refreshes().await, 0);
    app.clock.advance(299);
    assert_eq!(app.drain_refreshes().await, 0);
    assert_eq!(account(&app, id).await["ownership_refresh"]["status"], "pending");
    app.clock.advance(1);
    assert_eq!(app.drain_refreshes().await, 1);
    assert_eq!(account(&app, id).await["ownership_refresh"]["status"], "succeeded");
}

async fn a_revoked_consent_deactivates_the_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let session = crate::sessions::create_session(&app, &customer, &[]).await;
    let path = format!(
        "/v1/test_helpers/financial_connections/sessions/{}/complete",
        session["id"].as_str().unwrap()
    );
    let (_, done) = json(app.post(&path, &[]).await).await;
    app.drain_refreshes().await;
    let id = done["accounts"]["data"][0]["id"].as_str().unwrap().to_owned();

    revoke_at_bank(&app, "fcinst_sandbank", "jenny", "password123").await;
    let (status, _) = refresh(&app, &id, &["balance"]).await;
    assert_eq!(status, 200);
    app.drain_refreshes().await;
    let after = account(&app, &id).await;
    assert_eq!(after["status"], "inactive");
    assert_eq!(after["status_details"]["inactive"]["cause"], "access_denied");
    assert_eq!(after["balance_refresh"]["status"], "failed");
    let events = crate::link_flow::event_types(&app).await;
    let deactivated = events
        .iter()
        .filter(|e| *e == "financial_connections.account.deactivated")
        .count();
    assert_eq!(deactivated, 4, "every account under the consent: {events:?}");
    let (status, err) = refresh(&app, &id, &["balance"]).await;
    assert_error(status, &err, 400, None, Some("account"));
}

/// The user revokes every connected app at the bank, through its pages.
pub async fn revoke_at_bank(app: &TestApp, institution: &str, username: &str, password: &str) {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let bank = app.url(&format!("/bank/{institution}"));
    let res = client
        .post(format!("{bank}/connected-apps/login"))
        .form(&[("username", username), ("password", password), ("code", "000000")])
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_redirection() || res.status().is_success(),
        "{}",
        res.status()
    );
    let page = client
        .get(format!("{bank}/connected-apps"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let consents: Vec<String> = page
        .split("/connected-apps/")
        .skip(1)
        .filter_map(|s| s.split('/').next())
        .filter(|id| id.starts_with("consent_"))
        .map(str::to_owned)
        .collect();
    assert!(!consents.is_empty(), "the bank lists the connected app: {page}");
    for consent in consents {
        let res = client
            .post(format!("{bank}/connected-apps/{consent}/revoke"))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_redirection() || res.status().is_success());
    }
}

async fn disconnect_revokes_the_consent_and_keeps_data(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let a = test_account(&app, &customer, &[("prefetch[]", "ownership")]).await;
    app.drain_refreshes().await;
    let id = a["id"].as_str().unwrap();
    let (status, gone) = json(
        app.post(&format!("/v1/financial_connections/accounts/{id}/disconnect"), &[])
            .await,
    )
    .await;
    assert_eq!(status, 200, "{gone}");
    assert_eq!(gone["status"], "disconnected");
    let ownership = gone["ownership"].as_str().unwrap();
    let (status, owners) = json(
        app.get(&format!(
            "/v1/financial_connections/accounts/{id}/owners?ownership={ownership}"
        ))
        .await,
    )
    .await;
    assert_eq!(status, 200, "data fetched before stays readable");
    assert_eq!(owners["data"].as_array().unwrap().len(), 2);
    let (status, err) = refresh(&app, id, &["ownership"]).await;
    assert_error(status, &err, 400, None, Some("account"));

    let auth_id = gone["authorization"].as_str().unwrap();
    let auth = app
        .state
        .store
        .get_authorization("acct_sandbank", auth_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(auth.status.as_str(), "disconnected");
    let res = app
        .client
        .get(app.url(&format!("/bank/{}/data/v1/accounts", auth.institution_id)))
        .bearer_auth(&auth.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "the bank no longer honours the consent");
    let (status, again) = json(
        app.post(&format!("/v1/financial_connections/accounts/{id}/disconnect"), &[])
            .await,
    )
    .await;
    assert_eq!((status, again["status"].as_str()), (200, Some("disconnected")));
    let events = crate::link_flow::event_types(&app).await;
    assert_eq!(
        events
            .iter()
            .filter(|e| *e == "financial_connections.account.disconnected")
            .count(),
        1
    );
}

async fn subscribe_starts_transaction_refreshes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let a = test_account(&app, &customer, &[]).await;
    let id = a["id"].as_str().unwrap();
    let (status, sub) = json(
        app.post(
            &format!("/v1/financial_connections/accounts/{id}/subscribe"),
            &[("features[]", "transactions")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{sub}");
    assert_eq!(sub["subscriptions"], serde_json::json!(["transactions"]));
    assert_eq!(sub["transaction_refresh"]["status"], "pending");
    app.drain_refreshes().await;
    let (status, unsub) = json(
        app.post(
            &format!("/v1/financial_connections/accounts/{id}/unsubscribe"),
            &[("features[]", "transactions")],
        )
        .await,
    )
    .await;
    assert_eq!((status, unsub["subscriptions"].clone()), (200, serde_json::json!([])));
    let (status, err) = json(
        app.post(
            &format!("/v1/financial_connections/accounts/{id}/subscribe"),
            &[("features[]", "balance")],
        )
        .await,
    )
    .await;
    assert_error(status, &err, 400, Some("parameter_invalid"), Some("features[0]"));
}

async fn jobs_survive_a_restart_and_lapsed_claims_run_again(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let a = test_account(
        &app,
        &customer,
        &[("prefetch[]", "ownership"), ("prefetch[]", "balances")],
    )
    .await;
    let id = a["id"].as_str().unwrap().to_owned();
    // A process that died holding a job: its claim lapses after the lease.
    let now = app.clock.now();
    let held = app
        .state
        .store
        .claim_refresh_job("worker_dead", now, 60)
        .await
        .unwrap()
        .expect("a job is due");
    let restarted = app.stop().await;
    let app = TestApp::spawn_with(restarted).await;
    app.clock.advance(now - app.clock.now());
    assert_eq!(
        app.drain_refreshes().await,
        1,
        "the unclaimed job runs after the restart"
    );
    app.clock.advance(59);
    assert_eq!(app.drain_refreshes().await, 0, "the dead worker's claim still holds");
    app.clock.advance(1);
    assert_eq!(app.drain_refreshes().await, 1, "the lapsed claim is taken again");
    let after = account(&app, &id).await;
    assert_eq!(after["ownership_refresh"]["status"], "succeeded");
    assert_eq!(after["balance_refresh"]["status"], "succeeded");
    assert_eq!(held.account_id, id);
    assert_eq!(app.state.store.refresh_jobs_queued().await.unwrap(), 0);
}

async fn expired_access_tokens_are_renewed_with_the_refresh_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let a = test_account(&app, &customer, &[]).await;
    let id = a["id"].as_str().unwrap();
    let auth_id = a["authorization"].as_str().unwrap();
    let before = app
        .state
        .store
        .get_authorization("acct_sandbank", auth_id)
        .await
        .unwrap()
        .unwrap();
    app.clock.advance(3600);
    refresh(&app, id, &["ownership"]).await;
    app.drain_refreshes().await;
    assert_eq!(account(&app, id).await["ownership_refresh"]["status"], "succeeded");
    let after = app
        .state
        .store
        .get_authorization("acct_sandbank", auth_id)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(after.access_token, before.access_token, "a new access token");
    assert_ne!(
        after.refresh_token, before.refresh_token,
        "the bank rotated the refresh token"
    );
    assert!(after.access_expires_at > app.clock.now());
}

/// Two server processes on one Postgres share the job queue: every job runs exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_on_one_postgres_run_each_job_once() {
    let _guard = crate::cleanup::TestGuard::new();
    let settings = crate::harness::settings_for(Backend::Postgres).await;
    let first = TestApp::spawn_with(settings.clone()).await;
    // Replicas share one public URL (as behind a load balancer): the bank's tokens name it.
    let mut replica = settings;
    replica.public_url = Some(first.base.clone());
    let second = TestApp::spawn_with(replica).await;
    let customer = customer_id(&first).await;
    let mut accounts = Vec::new();
    for _ in 0..6 {
        let a = test_account(
            &first,
            &customer,
            &[("prefetch[]", "ownership"), ("prefetch[]", "balances")],
        )
        .await;
        accounts.push(a);
    }
    let mut before = Vec::new();
    for a in &accounts {
        let bank_account = bank_account_of(&first, a).await;
        before.push(first.state.store.bank_data_calls(&bank_account).await.unwrap());
    }
    let (ran_first, ran_second) = tokio::join!(first.drain_refreshes(), second.drain_refreshes());
    assert_eq!(ran_first + ran_second, 12, "12 jobs between them");
    for (a, before) in accounts.iter().zip(before) {
        let bank_account = bank_account_of(&first, a).await;
        let calls = first.state.store.bank_data_calls(&bank_account).await.unwrap();
        assert_eq!(calls - before, 2, "one bank call per job, none twice, for {}", a["id"]);
    }
    assert_eq!(first.state.store.refresh_jobs_queued().await.unwrap(), 0);
}

async fn bank_account_of(app: &TestApp, account: &Value) -> String {
    let linked = app
        .state
        .store
        .get_account("acct_sandbank", account["id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    linked.bank.id
}
