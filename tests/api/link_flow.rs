//! Linking through the hosted flow and its consent at the bank, driven by the test helper
//! (which plays the user's browser over HTTP) and by hand.

use serde_json::Value;
use sqlx::{Connection, Row};

use crate::both_stores;
use crate::harness::{Backend, TestApp, assert_error, json};
use crate::sessions::{create_session, customer_id};

both_stores!(
    completing_a_session_links_the_consented_accounts,
    filters_and_limits_shape_what_is_linked,
    deny_cancels_and_bank_failure_fails,
    wrong_credentials_leave_the_session_open,
    a_down_bank_fails_the_session,
    the_user_returns_to_the_return_url,
    linking_writes_events_and_seals_tokens,
);

async fn complete(app: &TestApp, session: &Value, form: &[(&str, &str)]) -> (u16, Value) {
    let path = format!(
        "/v1/test_helpers/financial_connections/sessions/{}/complete",
        session["id"].as_str().unwrap()
    );
    json(app.post(&path, form).await).await
}

async fn completing_a_session_links_the_consented_accounts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let session = create_session(&app, &customer, &[]).await;
    let (status, done) = complete(&app, &session, &[]).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["status"], "succeeded");
    assert_eq!(done["url"], Value::Null, "the hosted URL is spent");
    let accounts = done["accounts"]["data"].as_array().unwrap();
    assert_eq!(accounts.len(), 4, "jenny's checking, savings, credit card and mortgage");
    let mut subcategories: Vec<&str> = accounts.iter().map(|a| a["subcategory"].as_str().unwrap()).collect();
    subcategories.sort();
    assert_eq!(subcategories, ["checking", "credit_card", "mortgage", "savings"]);
    for a in accounts {
        assert!(a["id"].as_str().unwrap().starts_with("fca_"));
        assert_eq!(a["object"], "financial_connections.account");
        assert_eq!(a["status"], "active");
        assert_eq!(a["institution_name"], "Sandbank National");
        assert_eq!(a["account_holder"]["customer"], customer.as_str());
        assert!(a["authorization"].as_str().unwrap().starts_with("fcauth_"));
        assert_eq!(
            a["permissions"],
            serde_json::json!(["balances", "ownership", "transactions"])
        );
        assert_eq!(a["last4"].as_str().unwrap().len(), 4);
    }
    let (status, err) = complete(&app, &session, &[]).await;
    assert_error(status, &err, 400, None, Some("session"));

    let (_, again) = json(
        app.get(&format!(
            "/v1/financial_connections/sessions/{}",
            session["id"].as_str().unwrap()
        ))
        .await,
    )
    .await;
    assert_eq!(again["accounts"]["data"].as_array().unwrap().len(), 4);
}

async fn filters_and_limits_shape_what_is_linked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let only_checking = create_session(&app, &customer, &[("filters[account_subcategories][]", "checking")]).await;
    let (_, done) = complete(&app, &only_checking, &[]).await;
    let accounts = done["accounts"]["data"].as_array().unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0]["subcategory"], "checking");

    let one = create_session(&app, &customer, &[("limits[accounts]", "1")]).await;
    let (_, done) = complete(&app, &one, &[]).await;
    assert_eq!(done["accounts"]["data"].as_array().unwrap().len(), 1);
}

async fn deny_cancels_and_bank_failure_fails(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let s = create_session(&app, &customer, &[]).await;
    let (status, done) = complete(&app, &s, &[("outcome", "cancel")]).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["status"], "cancelled");
    assert_eq!(done["accounts"]["data"], serde_json::json!([]));

    let s = create_session(&app, &customer, &[]).await;
    let (_, done) = complete(&app, &s, &[("outcome", "failure")]).await;
    assert_eq!(done["status"], "failed");
    assert_eq!(done["accounts"]["data"], serde_json::json!([]));
}

async fn wrong_credentials_leave_the_session_open(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let s = create_session(&app, &customer, &[]).await;
    let (status, err) = complete(&app, &s, &[("password", "wrong")]).await;
    assert_error(status, &err, 400, Some("bank_login_failed"), Some("password"));
    let (_, still) = json(
        app.get(&format!(
            "/v1/financial_connections/sessions/{}",
            s["id"].as_str().unwrap()
        ))
        .await,
    )
    .await;
    assert_eq!(still["status"], "pending");
    let (status, done) = complete(&app, &s, &[]).await;
    assert_eq!((status, done["status"].as_str()), (200, Some("succeeded")));
}

async fn a_down_bank_fails_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let s = create_session(&app, &customer, &[]).await;
    let (status, done) = complete(&app, &s, &[("institution", "fcinst_down")]).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["status"], "failed");
}

async fn the_user_returns_to_the_return_url(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let s = create_session(
        &app,
        &customer,
        &[("return_url", "https://platform.example/after-link")],
    )
    .await;
    let browser =
        sandbank::http::link::browser::Browser::new(&app.base, sandbank::http::link::browser::TEST_CODE).unwrap();
    let secret = s["client_secret"].as_str().unwrap();
    let end = browser
        .link(
            secret,
            "fcinst_sandbank",
            "jenny",
            "password123",
            sandbank::http::link::browser::Decision::Approve(None),
        )
        .await
        .unwrap();
    assert_eq!(end, "https://platform.example/after-link");
    // The hosted URL is spent once the session ended.
    let res = app.client.get(s["url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(res.status(), 410);
}

async fn linking_writes_events_and_seals_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let s = create_session(&app, &customer, &[]).await;
    let (_, done) = complete(&app, &s, &[]).await;
    let ids: Vec<String> = done["accounts"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();

    let (events, tokens) = read_rows(&app).await;
    for id in &ids {
        let found = events
            .iter()
            .any(|(kind, data)| kind == "financial_connections.account.created" && data.contains(id.as_str()));
        assert!(found, "an account.created event for {id}");
    }
    assert!(!tokens.is_empty());
    for token in tokens {
        assert!(token.starts_with("enc1:"), "bank tokens are sealed at rest");
        assert!(!token.contains("eyJ"), "no JWT in the clear");
    }
}

/// The types of every event row, oldest first.
pub async fn event_types(app: &TestApp) -> Vec<String> {
    read_rows(app).await.0.into_iter().map(|(kind, _)| kind).collect()
}

/// Event rows and stored bank tokens, read straight from the database.
async fn read_rows(app: &TestApp) -> (Vec<(String, String)>, Vec<String>) {
    let events_sql = "SELECT type, data FROM events ORDER BY seq";
    let tokens_sql = "SELECT access_token, refresh_token FROM fc_authorizations";
    match &app.settings.database_url {
        Some(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            let events = sqlx::query(events_sql).fetch_all(&mut conn).await.unwrap();
            let tokens = sqlx::query(tokens_sql).fetch_all(&mut conn).await.unwrap();
            (
                events.iter().map(|r| (r.get("type"), r.get("data"))).collect(),
                tokens
                    .iter()
                    .flat_map(|r| [r.get::<String, _>("access_token"), r.get::<String, _>("refresh_token")])
                    .collect(),
            )
        }
        None => {
            let path = app.settings.data_dir.join("sandbank.db");
            let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            let events = sqlx::query(events_sql).fetch_all(&mut conn).await.unwrap();
            let tokens = sqlx::query(tokens_sql).fetch_all(&mut conn).await.unwrap();
            (
                events.iter().map(|r| (r.get("type"), r.get("data"))).collect(),
                tokens
                    .iter()
                    .flat_map(|r| [r.get::<String, _>("access_token"), r.get::<String, _>("refresh_token")])
                    .collect(),
            )
        }
    }
}

both_stores!(the_user_can_cancel_from_the_bank_picker);

async fn the_user_can_cancel_from_the_bank_picker(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let s = create_session(&app, &customer, &[("return_url", "https://platform.example/back")]).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let picker = client
        .get(s["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(picker.contains("id=\"cancel\""));
    assert!(
        !picker.contains("fcinst_test"),
        "the test institution is not offered to people"
    );
    let cancel = format!("{}/cancel", s["url"].as_str().unwrap());
    // The picker's cancel is a form button posting to the cancel URL.
    assert!(
        picker.contains(&format!(
            "<form method=\"post\" action=\"/link/{}/cancel\">",
            s["client_secret"].as_str().unwrap()
        )),
        "{picker}"
    );
    // A GET (a prefetcher, a link preview) only asks; the session stays pending.
    let res = client.get(&cancel).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("id=\"cancel\""));
    let (_, pending) = json(
        app.get(&format!(
            "/v1/financial_connections/sessions/{}",
            s["id"].as_str().unwrap()
        ))
        .await,
    )
    .await;
    assert_eq!(pending["status"], "pending");
    let res = client.post(&cancel).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "https://platform.example/back");
    let (_, after) = json(
        app.get(&format!(
            "/v1/financial_connections/sessions/{}",
            s["id"].as_str().unwrap()
        ))
        .await,
    )
    .await;
    assert_eq!(after["status"], "cancelled");
    assert_eq!(client.post(&cancel).send().await.unwrap().status(), 410, "only once");
}
