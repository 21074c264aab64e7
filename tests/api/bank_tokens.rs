//! The token endpoint's MUSTs and the data API's checks: code lifetime and single use (with
//! revocation of what a replayed code issued), PKCE verifier, client authentication, scope
//! narrowing, scopes and consented accounts on the data API, the down and slow banks, the
//! signing key across restarts, test accounts, and what a database dump shows.

use serde_json::json;

use sandbank::clock::Clock;

use crate::bank_support::*;
use crate::both_stores;
use crate::harness::{Backend, TestApp, settings_for};

both_stores!(
    expired_code_is_refused,
    replayed_code_is_refused_and_revokes_its_tokens,
    wrong_or_missing_verifier_and_wrong_redirect_are_refused,
    client_authentication_is_enforced,
    public_clients_use_pkce_alone,
    refresh_scope_must_stay_within_the_consent,
    data_api_enforces_scopes_and_consented_accounts,
    down_bank_refuses_service,
    slow_bank_answers_correctly,
    test_accounts_are_made_at_the_test_institution,
);

async fn code_and_verifier(app: &TestApp, client: &OAuthClient, user: &str, scope: &str) -> (String, String) {
    let (verifier, challenge) = pkce();
    (approve(app, client, user, scope, &challenge, None).await, verifier)
}

async fn expired_code_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = client_at(&app, SANDBANK).await;
    let (code, verifier) = code_and_verifier(&app, &client, "jenny", "accounts").await;
    app.clock.advance(61);
    let (status, body) = exchange(&app, &client, &code, &verifier).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
}

async fn replayed_code_is_refused_and_revokes_its_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = client_at(&app, SANDBANK).await;
    let (code, verifier) = code_and_verifier(&app, &client, "jenny", "accounts").await;
    let (status, first) = exchange(&app, &client, &code, &verifier).await;
    assert_eq!(status, 200);
    let access = first["access_token"].as_str().unwrap();
    let (status, _) = data(&app, SANDBANK, access, "/accounts").await;
    assert_eq!(status, 200);
    // Rotate once: the replay must reach tokens issued after the code too.
    let (status, rotated) = refresh(&app, &client, first["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);

    let (status, body) = exchange(&app, &client, &code, &verifier).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(introspect(&app, &client, access).await["active"], false);
    let (status, body) = data(&app, SANDBANK, access, "/accounts").await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_token")));
    let rotated_access = rotated["access_token"].as_str().unwrap();
    assert_eq!(introspect(&app, &client, rotated_access).await["active"], false);
    let (status, _) = refresh(&app, &client, rotated["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 400);
}

async fn wrong_or_missing_verifier_and_wrong_redirect_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = client_at(&app, SANDBANK).await;
    let (other_verifier, _) = pkce();
    for case in ["wrong", "missing", "redirect"] {
        let (code, verifier) = code_and_verifier(&app, &client, "mark", "accounts").await;
        let mut form = vec![("grant_type", "authorization_code"), ("code", code.as_str())];
        match case {
            "wrong" => form.extend([("redirect_uri", REDIRECT), ("code_verifier", other_verifier.as_str())]),
            "missing" => form.push(("redirect_uri", REDIRECT)),
            _ => form.extend([
                ("redirect_uri", "http://127.0.0.1:9/other"),
                ("code_verifier", verifier.as_str()),
            ]),
        }
        let (status, body) = client_post(&app, &client, "/oauth/token", &form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{case}: {body}"
        );
        // The attempt consumed the code: the right verifier now fails too.
        let (status, _) = exchange(&app, &client, &code, &verifier).await;
        assert_eq!(status, 400, "{case}");
    }
}

async fn client_authentication_is_enforced(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = client_at(&app, SANDBANK).await;
    let (code, verifier) = code_and_verifier(&app, &client, "jenny", "accounts").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    let url = bank_url(&app, SANDBANK, "/oauth/token");
    let send = |req: reqwest::RequestBuilder| async move {
        let res = req.form(&form).send().await.unwrap();
        let status = res.status().as_u16();
        let no_store = res
            .headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, no_store, res.json::<serde_json::Value>().await.unwrap())
    };
    let wrong_secret = app.client.post(&url).basic_auth(&client.id, Some("bsec_wrong"));
    let (status, cache, body) = send(wrong_secret).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    assert_eq!(cache.as_deref(), Some("no-store"));
    let (status, _, _) = send(app.client.post(&url)).await;
    assert_eq!(status, 401, "no credentials");
    // A client_secret_basic client may not send its secret in the body.
    let mut posted = form.to_vec();
    posted.extend([
        ("client_id", client.id.as_str()),
        ("client_secret", client.secret.as_deref().unwrap()),
    ]);
    let res = app.client.post(&url).form(&posted).send().await.unwrap();
    assert_eq!(res.status(), 401);
    // Another client cannot redeem this client's code.
    let other = client_at(&app, SANDBANK).await;
    let (status, body) = exchange(&app, &other, &code, &verifier).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    // The rightful client still can (the other's attempt did not consume the code).
    let (status, tokens) = exchange(&app, &client, &code, &verifier).await;
    assert_eq!(status, 200, "{tokens}");
    let (status, body) = client_post(&app, &client, "/oauth/token", &[("grant_type", "password")]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("unsupported_grant_type")));
}

async fn public_clients_use_pkce_alone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, body) = register(
        &app,
        SANDBANK,
        json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none", "client_name": "Mobile"}),
    )
    .await;
    assert_eq!(status, 201);
    let client = OAuthClient {
        id: body["client_id"].as_str().unwrap().to_owned(),
        secret: None,
        institution: SANDBANK.to_owned(),
    };
    let (code, verifier) = code_and_verifier(&app, &client, "jenny", "accounts balances").await;
    let (status, tokens) = exchange(&app, &client, &code, &verifier).await;
    assert_eq!(status, 200, "{tokens}");
    let (status, rotated) = refresh(&app, &client, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{rotated}");
}

async fn refresh_scope_must_stay_within_the_consent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (client, tokens) = tokens_for(&app, SANDBANK, "jenny", "accounts balances").await;
    let rt = tokens["refresh_token"].as_str().unwrap();
    let (status, body) = client_post(
        &app,
        &client,
        "/oauth/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt),
            ("scope", "accounts ownership"),
        ],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_scope")));
    let (status, narrowed) = client_post(
        &app,
        &client,
        "/oauth/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt),
            ("scope", "accounts"),
        ],
    )
    .await;
    assert_eq!(status, 200, "the refused attempt did not consume the token: {narrowed}");
    assert_eq!(narrowed["scope"], "accounts");
    let access = narrowed["access_token"].as_str().unwrap();
    let (status, _) = data(&app, SANDBANK, access, "/accounts/bacct_jenny_checking/balances").await;
    assert_eq!(status, 403);
    // The next refresh without a scope gets the original scope back.
    let (status, again) = refresh(&app, &client, narrowed["refresh_token"].as_str().unwrap()).await;
    assert_eq!((status, again["scope"].as_str()), (200, Some("accounts balances")));
}

async fn data_api_enforces_scopes_and_consented_accounts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = client_at(&app, SANDBANK).await;
    let (verifier, challenge) = pkce();
    let code = approve(
        &app,
        &client,
        "jenny",
        "accounts balances",
        &challenge,
        Some(&["bacct_jenny_checking"]),
    )
    .await;
    let (_, tokens) = exchange(&app, &client, &code, &verifier).await;
    let access = tokens["access_token"].as_str().unwrap();
    let before = app_calls(&app, "bacct_jenny_checking").await;

    let (status, _) = data(&app, SANDBANK, access, "/accounts/bacct_jenny_checking/balances").await;
    assert_eq!(status, 200);
    for (path, scope) in [
        ("transactions", "transactions"),
        ("owners", "ownership"),
        ("numbers", "payment_method"),
    ] {
        let (status, body) = data(
            &app,
            SANDBANK,
            access,
            &format!("/accounts/bacct_jenny_checking/{path}"),
        )
        .await;
        assert_eq!(status, 403, "{path}");
        assert_eq!(body, json!({"error": "insufficient_scope", "scope": scope}));
    }
    let (status, _) = data(&app, SANDBANK, access, "/accounts/bacct_jenny_savings/balances").await;
    assert_eq!(status, 404, "not consented");
    let (status, _) = data(&app, SANDBANK, access, "/accounts/bacct_mark_checking").await;
    assert_eq!(status, 404, "another user's");
    let (_, list) = data(&app, SANDBANK, access, "/accounts").await;
    assert_eq!(list["accounts"].as_array().unwrap().len(), 1);
    assert_eq!(
        app_calls(&app, "bacct_jenny_checking").await - before,
        2,
        "balances and the list"
    );

    // The token is for Sandbank National's data API only.
    let (status, _) = data(&app, "fcinst_ownership", access, "/accounts").await;
    assert_eq!(status, 401);
    for bad in ["", "garbage", "a.b.c"] {
        let (status, body) = data(&app, SANDBANK, bad, "/accounts").await;
        assert_eq!((status, body["error"].as_str()), (401, Some("invalid_token")));
    }
    let res = app
        .client
        .get(bank_url(&app, SANDBANK, "/data/v1/accounts"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(
        res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    // Tokens expire by the app clock.
    app.clock.advance(901);
    let (status, _) = data(&app, SANDBANK, access, "/accounts").await;
    assert_eq!(status, 401);
}

async fn app_calls(app: &TestApp, account: &str) -> i64 {
    let store = sandbank::startup::open_store(&app.settings).await.unwrap();
    store.bank_data_calls(account).await.unwrap()
}

async fn down_bank_refuses_service(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = client_at(&app, "fcinst_down").await;
    let b = browser();
    let (verifier, challenge) = pkce();
    let res = start(&app, &b, &client, "accounts", &challenge).await;
    assert_eq!(res.status(), 303);
    let loc = location(&res);
    assert!(loc.starts_with(REDIRECT));
    assert_eq!(param(&loc, "error").as_deref(), Some("temporarily_unavailable"));
    assert_eq!(param(&loc, "state").as_deref(), Some("st-123"));
    // Client and redirect are still checked first.
    let mut stranger = client.clone();
    stranger.id = "bcli_nope".into();
    assert_eq!(start(&app, &b, &stranger, "accounts", &challenge).await.status(), 400);
    let (status, body) = exchange(&app, &client, "bac_whatever", &verifier).await;
    assert_eq!((status, body["error"].as_str()), (503, Some("temporarily_unavailable")));
    let (status, body) = data(&app, "fcinst_down", "anything", "/accounts").await;
    assert_eq!((status, body["error"].as_str()), (503, Some("temporarily_unavailable")));
}

async fn slow_bank_answers_correctly(backend: Backend) {
    let mut settings = settings_for(backend).await;
    settings.slow_bank_delay_ms = 50;
    let app = TestApp::spawn_with(settings).await;
    let (_, tokens) = tokens_for(&app, "fcinst_slow", "slow", "accounts balances").await;
    let access = tokens["access_token"].as_str().unwrap();
    let (status, body) = data(&app, "fcinst_slow", access, "/accounts").await;
    assert_eq!(status, 200);
    assert_eq!(body["accounts"][0]["id"], "bacct_slow_checking");
    assert_eq!(body["accounts"][0]["institution_name"], "Slowpoke Credit Union");
    let (status, bal) = data(&app, "fcinst_slow", access, "/accounts/bacct_slow_checking/balances").await;
    assert_eq!((status, bal["current"]["usd"].as_i64()), (200, Some(45_000)));
}

async fn test_accounts_are_made_at_the_test_institution(backend: Backend) {
    use sandbank::domain::bank::account::{Category, Owner, Scenario, Subcategory, TestAccountSpec, TestTransaction};
    let app = TestApp::spawn(backend).await;
    let store = sandbank::startup::open_store(&app.settings).await.unwrap();
    let spec = |scenario| TestAccountSpec {
        display_name: "Test Checking".into(),
        category: Category::Cash,
        subcategory: Subcategory::Checking,
        owners: vec![Owner {
            name: "Ada Lovelace".into(),
            email: None,
            phone: Some("+15555550123".into()),
            raw_address: None,
        }],
        current_balance: 12_345,
        transactions: vec![TestTransaction {
            amount: -500,
            description: "Coffee".into(),
            transacted_at: 1_700_000_000,
        }],
        scenario,
    };
    let now = app.clock.now();
    let made = store.create_test_account(&spec(Scenario::Normal), now).await.unwrap();
    let failing = store
        .create_test_account(&spec(Scenario::RefreshFails), now)
        .await
        .unwrap();
    for (account, ok) in [(made, true), (failing, false)] {
        assert!(account.account_id.starts_with("bacct_"));
        let client = client_at(&app, "fcinst_test").await;
        let (verifier, challenge) = pkce();
        let b = browser();
        let res = start(
            &app,
            &b,
            &client,
            "accounts balances ownership transactions",
            &challenge,
        )
        .await;
        let request = param(&location(&res), "request").unwrap();
        let res = post_form(
            &app,
            &b,
            "fcinst_test",
            "/login",
            &[
                ("request", &request),
                ("username", &account.username),
                ("password", &account.password),
            ],
        )
        .await;
        assert_eq!(res.status(), 303);
        post_form(
            &app,
            &b,
            "fcinst_test",
            "/mfa",
            &[("request", &request), ("code", "000000")],
        )
        .await;
        let form = [
            ("request", request.as_str()),
            ("decision", "approve"),
            ("accounts", account.account_id.as_str()),
        ];
        let res = post_form(&app, &b, "fcinst_test", "/consent", &form).await;
        let code = param(&location(&res), "code").unwrap();
        let (_, tokens) = exchange(&app, &client, &code, &verifier).await;
        let access = tokens["access_token"].as_str().unwrap();
        let path = format!("/accounts/{}", account.account_id);
        let (status, acct) = data(&app, "fcinst_test", access, &path).await;
        assert_eq!((status, acct["display_name"].as_str()), (200, Some("Test Checking")));
        let (status, owners) = data(&app, "fcinst_test", access, &format!("{path}/owners")).await;
        let (bal_status, bal) = data(&app, "fcinst_test", access, &format!("{path}/balances")).await;
        if ok {
            assert_eq!(status, 200);
            assert_eq!(
                owners["owners"][0],
                json!({"name": "Ada Lovelace", "email": null, "phone": "+15555550123", "raw_address": null})
            );
            assert_eq!((bal_status, bal["current"]["usd"].as_i64()), (200, Some(12_345)));
            let (_, txns) = data(&app, "fcinst_test", access, &format!("{path}/transactions")).await;
            assert_eq!(txns["transactions"][0]["amount"], -500);
        } else {
            assert_eq!((status, bal_status), (500, 500));
        }
    }
}
