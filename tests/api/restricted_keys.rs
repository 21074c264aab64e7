//! Restricted keys (`rk_test_…`) made with `sandbank keys create --permission`: they reach only
//! the resources and access they were granted, expansions and matches included, and a refusal
//! is Stripe's 403 that names the missing permission and writes nothing.

use reqwest::Method;
use serde_json::Value;

use sandbank::domain::platform::SANDBOX_PLATFORM_ID;

use crate::both_stores;
use crate::harness::{Backend, TestApp, json};
use crate::ownership_match::{BETA, jenny, sample_account};

both_stores!(
    a_restricted_key_reaches_only_what_it_was_granted,
    expansions_and_matches_need_the_customer_permission_too
);

/// Runs `sandbank keys create` against the app's store and returns the printed key.
pub(crate) fn restricted_key(app: &TestApp, permissions: &[&str]) -> String {
    let mut command = app.cli(&["keys", "create", "--platform", SANDBOX_PLATFORM_ID]);
    for p in permissions {
        command.args(["--permission", p]);
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(!stdout.contains("secret key:"), "a restricted key is not a secret key");
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("restricted key: "))
        .expect("the key is printed")
        .to_owned()
}

pub(crate) async fn call(app: &TestApp, key: &str, method: Method, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let res = app
        .client
        .request(method, app.url(path))
        .bearer_auth(key)
        .header("stripe-version", BETA)
        .form(form)
        .send()
        .await
        .unwrap();
    json(res).await
}

/// Stripe's refusal: 403, `invalid_request_error`, no code, the missing permission named.
pub(crate) fn assert_refused(status: u16, body: &Value, key: &str, permission: &str) {
    assert_eq!(status, 403, "{body}");
    let error = &body["error"];
    assert_eq!(error["type"], "invalid_request_error");
    assert!(error.get("code").is_none_or(Value::is_null), "{body}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("Having the '{permission}' permission")),
        "{message}"
    );
    assert!(message.contains("acct_sandbank"), "{message}");
    assert!(!message.contains(key), "the key is redacted: {message}");
    assert!(message.contains(&key[key.len() - 4..]), "{message}");
}

async fn a_restricted_key_reaches_only_what_it_was_granted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let existing = app.customer(&[("name", "Jenny Rosen")]).await;
    let id = existing["id"].as_str().unwrap();
    let key = restricted_key(&app, &["customer:read", "financial_connections_account:read"]);
    assert!(key.starts_with("rk_test_"), "{key}");

    // Read what was granted, on the same platform as the secret key.
    let (status, list) = call(&app, &key, Method::GET, "/v1/customers", &[]).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["data"][0]["id"], id);
    let (status, _) = call(&app, &key, Method::GET, &format!("/v1/customers/{id}"), &[]).await;
    assert_eq!(status, 200);
    let (status, _) = call(&app, &key, Method::GET, "/v1/financial_connections/accounts", &[]).await;
    assert_eq!(status, 200);

    // Writing a readable resource, and reading an ungranted one, are refused.
    let (status, body) = call(&app, &key, Method::POST, "/v1/customers", &[("name", "Mallory")]).await;
    assert_refused(status, &body, &key, "rak_customer_write");
    let (status, body) = call(
        &app,
        &key,
        Method::POST,
        &format!("/v1/customers/{id}"),
        &[("name", "X")],
    )
    .await;
    assert_refused(status, &body, &key, "rak_customer_write");
    let (status, body) = call(&app, &key, Method::DELETE, &format!("/v1/customers/{id}"), &[]).await;
    assert_refused(status, &body, &key, "rak_customer_write");
    let (status, body) = call(&app, &key, Method::GET, "/v1/webhook_endpoints", &[]).await;
    assert_refused(status, &body, &key, "rak_webhook_endpoint_read");
    let (status, body) = call(&app, &key, Method::GET, "/v1/events", &[]).await;
    assert_refused(status, &body, &key, "rak_event_read");
    let (status, body) = call(
        &app,
        &key,
        Method::POST,
        "/v1/financial_connections/sessions",
        &[
            ("account_holder[type]", "customer"),
            ("account_holder[customer]", id),
            ("permissions[]", "ownership"),
        ],
    )
    .await;
    assert_refused(status, &body, &key, "rak_financial_connections_session_write");
    let (status, body) = call(&app, &key, Method::POST, "/v1/test_helpers/events", &[("count", "1")]).await;
    assert_refused(status, &body, &key, "rak_test_helpers_write");

    // Nothing a refusal touched was written or changed.
    let (_, after) = json(app.get("/v1/customers").await).await;
    assert_eq!(after["data"].as_array().unwrap().len(), 1);
    assert_eq!(after["data"][0]["name"], "Jenny Rosen");
    assert_eq!(after["data"][0]["deleted"], Value::Null);

    // Write includes read.
    let writer = restricted_key(&app, &["customer:write"]);
    let (status, created) = call(&app, &writer, Method::POST, "/v1/customers", &[("name", "Mark Rosen")]).await;
    assert_eq!(status, 200, "{created}");
    let (status, _) = call(&app, &writer, Method::GET, &format!("/v1/customers/{id}"), &[]).await;
    assert_eq!(status, 200);
    // An unknown URL is still Stripe's 404, not a permission error.
    let (status, _) = call(&app, &writer, Method::GET, "/v1/charges", &[]).await;
    assert_eq!(status, 404);

    // The official Python SDK raises its PermissionError for the refusal.
    let reader = restricted_key(&app, &["customer:read"]);
    crate::sdk::run_sdk_script_with(&app, "restricted_key.py", &[&reader]).await;
}

async fn expansions_and_matches_need_the_customer_permission_too(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = jenny(&app).await;
    let account = sample_account(&app, &customer).await;
    let narrow = restricted_key(
        &app,
        &["financial_connections_account:read,financial_connections_ownership_match:write"],
    );
    let path = format!("/v1/financial_connections/accounts/{account}");

    let (status, body) = call(&app, &narrow, Method::GET, &path, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["account_holder"]["customer"], customer.as_str());
    let expanded = format!("{path}?expand[]=account_holder.customer");
    let (status, body) = call(&app, &narrow, Method::GET, &expanded, &[]).await;
    assert_refused(status, &body, &narrow, "rak_customer_read");

    // Matching against a customer shows the customer's details; the owner_information mode
    // shows only what the caller sent.
    let match_path = "/v1/financial_connections/ownership_match";
    let by_customer = [
        ("financial_connections_account", account.as_str()),
        ("customer", &customer),
    ];
    let (status, body) = call(&app, &narrow, Method::POST, match_path, &by_customer).await;
    assert_refused(status, &body, &narrow, "rak_customer_read");
    let by_account = [("financial_connections_account", account.as_str())];
    let (status, body) = call(&app, &narrow, Method::POST, match_path, &by_account).await;
    assert_refused(status, &body, &narrow, "rak_customer_read");
    let direct = [
        ("financial_connections_account", account.as_str()),
        ("owner_information[name]", "Jenny Rosen"),
    ];
    let (status, body) = call(&app, &narrow, Method::POST, match_path, &direct).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"]["name"]["match_score"], 85);

    let wide = restricted_key(
        &app,
        &[
            "customer:read",
            "financial_connections_account:read",
            "financial_connections_ownership_match:write",
        ],
    );
    let (status, body) = call(&app, &wide, Method::GET, &expanded, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["account_holder"]["customer"]["name"], "Jenny Rosen");
    let (status, body) = call(&app, &wide, Method::POST, match_path, &by_customer).await;
    assert_eq!(status, 200, "{body}");
    // Retrieving a stored match is a read of ownership matches.
    let stored = format!(
        "/v1/financial_connections/ownership_matches/{}",
        body["id"].as_str().unwrap()
    );
    let (status, _) = call(&app, &wide, Method::GET, &stored, &[]).await;
    assert_eq!(status, 200);
    let reader = restricted_key(&app, &["customer:read"]);
    let (status, body) = call(&app, &reader, Method::GET, &stored, &[]).await;
    assert_refused(status, &body, &reader, "rak_financial_connections_ownership_match_read");
}

#[test]
fn keys_create_refuses_an_unknown_permission_and_prints_no_key() {
    let _guard = crate::cleanup::TestGuard::new();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sandbank"))
        .args([
            "keys",
            "create",
            "--permission",
            "customer:read",
            "--permission",
            "charges:read",
        ])
        .env("SANDBANK_DATA_DIR", crate::harness::fresh_data_dir())
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown resource `charges`"), "{stderr}");
    assert!(
        stderr.contains("financial_connections_account"),
        "lists the known ones: {stderr}"
    );
    assert!(output.stdout.is_empty(), "no key printed");
}
