//! Authentication: the forms Stripe accepts, the 401s it gives, keys from the CLI, and the
//! sandbox key switch.

use base64::Engine;
use reqwest::header::AUTHORIZATION;

use crate::both_stores;
use crate::harness::{Backend, KEY, TestApp, assert_error, json, settings_for};

both_stores!(
    bearer_and_basic_auth_are_accepted,
    bad_credentials_are_401,
    sandbox_key_can_be_turned_off,
    cli_created_keys_work,
    stripe_account_may_only_name_the_keys_own_platform
);

async fn bearer_and_basic_auth_are_accepted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let url = app.url("/v1/customers");
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:"));
    for header in [
        format!("Bearer {KEY}"),
        format!("Basic {encoded}"),
        format!("Basic {KEY}"),
        format!("bearer {KEY}"),
    ] {
        let res = app
            .client
            .get(&url)
            .header(AUTHORIZATION, &header)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{header}");
    }
    let res = app.client.get(&url).basic_auth(KEY, Some("")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

async fn bad_credentials_are_401(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let url = app.url("/v1/customers");
    let res = app.client.get(&url).send().await.unwrap();
    assert!(res.headers().contains_key("request-id"));
    let (status, body) = json(res).await;
    assert_error(status, &body, 401, None, None);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("did not provide an API key")
    );

    for header in [
        "Bearer sk_test_wrongkey123",
        "Bearer pk_test_abc",
        "Token abc",
        "Bearer ",
        "Basic !!!",
    ] {
        let res = app.client.get(&url).header(AUTHORIZATION, header).send().await.unwrap();
        let (status, body) = json(res).await;
        assert_error(status, &body, 401, None, None);
        assert!(
            !body.to_string().contains("wrongkey123"),
            "the key is redacted in the message: {body}"
        );
    }
}

async fn sandbox_key_can_be_turned_off(backend: Backend) {
    let mut settings = settings_for(backend).await;
    let first = TestApp::spawn_with(settings.clone()).await;
    assert_eq!(first.get("/v1/customers").await.status(), 200);
    drop(first);
    settings.sandbox_key = false;
    settings.listen = "127.0.0.1:0".parse().unwrap();
    let second = TestApp::spawn_with(settings).await;
    let (status, body) = json(second.get("/v1/customers").await).await;
    assert_error(status, &body, 401, None, None);
}

async fn cli_created_keys_work(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let output = app.cli(&["keys", "create", "--name", "Acme"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let key = stdout
        .lines()
        .find_map(|l| l.strip_prefix("secret key: "))
        .expect("the key is printed")
        .to_owned();
    assert!(key.starts_with("sk_test_"));

    let created = app.customer(&[("name", "Sandbox customer")]).await;
    let res = app
        .client
        .get(app.url("/v1/customers"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    let (status, list) = json(res).await;
    assert_eq!(status, 200);
    assert_eq!(list["data"].as_array().unwrap().len(), 0, "a new platform starts empty");
    let res = app
        .client
        .get(app.url(&format!("/v1/customers/{}", created["id"].as_str().unwrap())))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    let revoke = app.cli(&["keys", "revoke", &key]).output().unwrap();
    assert!(revoke.status.success());
    // A fresh server (no key cache) refuses the revoked key.
    let mut settings = app.settings.clone();
    settings.listen = "127.0.0.1:0".parse().unwrap();
    let fresh = TestApp::spawn_with(settings).await;
    let res = fresh
        .client
        .get(fresh.url("/v1/customers"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

async fn stripe_account_may_only_name_the_keys_own_platform(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let own = sandbank::domain::platform::SANDBOX_PLATFORM_ID;
    let res = app
        .request(reqwest::Method::GET, "/v1/customers")
        .header("Stripe-Account", own)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the key's own account is itself");

    for other in ["acct_1Connected", "acct_sandbankx", ""] {
        let res = app
            .request(reqwest::Method::POST, "/v1/customers")
            .header("Stripe-Account", other)
            .form(&[("name", "Jenny Rosen")])
            .send()
            .await
            .unwrap();
        let (status, body) = json(res).await;
        assert_error(status, &body, 403, Some("account_invalid"), None);
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(&format!("account '{other}'")), "{message}");
        assert!(!message.contains(KEY), "the key is redacted: {message}");
    }
    let (_, list) = json(app.get("/v1/customers").await).await;
    assert_eq!(
        list["data"],
        serde_json::json!([]),
        "nothing was created for a refused account"
    );
}
