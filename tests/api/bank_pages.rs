//! The bank's pages and the authorization request's failure paths: wrong password, wrong
//! second factor, too many attempts, deny, redirect and client checks, PKCE, a foreign
//! session, and consent revoked by the user on the connected-apps page.

use sandbank::clock::Clock;

use crate::bank_support::*;
use crate::both_stores;
use crate::harness::{Backend, TestApp};

both_stores!(
    wrong_password_and_wrong_code_show_the_form_again,
    five_wrong_codes_end_the_request,
    deny_returns_access_denied_with_state,
    redirect_and_client_errors_never_redirect,
    pkce_is_required_and_plain_is_refused,
    pages_require_the_session_of_the_request,
    user_revokes_consent_mid_use,
);

async fn login_path(app: &TestApp, b: &reqwest::Client, client: &OAuthClient) -> String {
    let (_, challenge) = pkce();
    let res = start(app, b, client, "accounts", &challenge).await;
    assert_eq!(res.status(), 303);
    param(&location(&res), "request").unwrap()
}

async fn wrong_password_and_wrong_code_show_the_form_again(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = client_at(&app, SANDBANK).await;
    let b = browser();
    let request = login_path(&app, &b, &client).await;
    for (user, pass) in [("jenny", "wrong"), ("nobody", "password123"), ("jenny", "")] {
        let res = post_form(
            &app,
            &b,
            SANDBANK,
            "/login",
            &[("request", &request), ("username", user), ("password", pass)],
        )
        .await;
        assert_eq!(res.status(), 401, "{user}/{pass}");
        assert!(res.headers().get("location").is_none());
        let html = res.text().await.unwrap();
        assert!(html.contains("Incorrect username or password") && html.contains("id=\"login\""));
    }
    // Wrong codes on a fresh request (each request allows five failures in all).
    let request = login_path(&app, &b, &client).await;
    let res = log_in(&app, &b, SANDBANK, &request, "jenny").await;
    assert_eq!(res.status(), 303);
    let res = post_form(&app, &b, SANDBANK, "/mfa", &[("request", &request), ("code", "123456")]).await;
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("id=\"verify\""));
    // A TOTP from another user's secret is wrong too.
    let other = sandbank::domain::bank::totp::code_at("SANDBANKMARKAAAA", app.clock.now()).unwrap();
    let res = post_form(&app, &b, SANDBANK, "/mfa", &[("request", &request), ("code", &other)]).await;
    assert_eq!(res.status(), 401);
    // Jenny's code from ten minutes ago is outside the ±1 step window.
    let stale = sandbank::domain::bank::totp::code_at(JENNY_TOTP, app.clock.now() - 600).unwrap();
    let res = post_form(&app, &b, SANDBANK, "/mfa", &[("request", &request), ("code", &stale)]).await;
    assert_eq!(res.status(), 401);
    // Jenny has failed five times now (two passwords, three codes): her next attempt waits a
    // second (docs/banks.md, "Sign-in limits").
    app.clock.advance(1);
    let res = post_form(&app, &b, SANDBANK, "/mfa", &[("request", &request), ("code", "000000")]).await;
    assert_eq!(res.status(), 303);
    assert!(location(&res).contains("/consent?request="));
}

async fn five_wrong_codes_end_the_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = client_at(&app, SANDBANK).await;
    let b = browser();
    let request = login_path(&app, &b, &client).await;
    let res = log_in(&app, &b, SANDBANK, &request, "jenny").await;
    assert_eq!(res.status(), 303);
    for _ in 0..4 {
        let res = post_form(&app, &b, SANDBANK, "/mfa", &[("request", &request), ("code", "999999")]).await;
        assert_eq!(res.status(), 401);
    }
    let res = post_form(&app, &b, SANDBANK, "/mfa", &[("request", &request), ("code", "999999")]).await;
    assert_eq!(res.status(), 303);
    let loc = location(&res);
    assert!(loc.starts_with(REDIRECT));
    assert_eq!(param(&loc, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&loc, "state").as_deref(), Some("st-123"));
    // Dead for good: even the right code now goes back with the error.
    let res = post_form(&app, &b, SANDBANK, "/mfa", &[("request", &request), ("code", "000000")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(param(&location(&res), "error").as_deref(), Some("access_denied"));
}

async fn deny_returns_access_denied_with_state(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = client_at(&app, SANDBANK).await;
    let b = browser();
    let (_, challenge) = pkce();
    let request = to_consent(&app, &b, &client, "jenny", "accounts balances", &challenge).await;
    // Approving nothing is refused, the request stays open.
    let res = post_form(
        &app,
        &b,
        SANDBANK,
        "/consent",
        &[("request", &request), ("decision", "approve")],
    )
    .await;
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert!(page.contains("name=\"accounts\""), "the form is shown again");
    assert!(
        !page.contains(" checked"),
        "the user's choice (none) is kept, not widened to all"
    );
    // Someone else's account cannot be slipped in.
    let form = [
        ("request", request.as_str()),
        ("decision", "approve"),
        ("accounts", "bacct_mark_checking"),
    ];
    let res = post_form(&app, &b, SANDBANK, "/consent", &form).await;
    assert_eq!(res.status(), 400);
    let res = post_form(
        &app,
        &b,
        SANDBANK,
        "/consent",
        &[("request", &request), ("decision", "deny")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let loc = location(&res);
    assert!(loc.starts_with(REDIRECT));
    assert_eq!(param(&loc, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&loc, "state").as_deref(), Some("st-123"));
    assert!(param(&loc, "code").is_none());
}

async fn redirect_and_client_errors_never_redirect(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = client_at(&app, SANDBANK).await;
    let b = browser();
    let (_, challenge) = pkce();
    let base = |client_id: &str, redirect: &str| {
        vec![
            ("response_type".to_owned(), "code".to_owned()),
            ("client_id".to_owned(), client_id.to_owned()),
            ("redirect_uri".to_owned(), redirect.to_owned()),
            ("state".to_owned(), "s".to_owned()),
            ("code_challenge".to_owned(), challenge.clone()),
            ("code_challenge_method".to_owned(), "S256".to_owned()),
        ]
    };
    let cases = [
        base(&client.id, "http://127.0.0.1:9/callback/extra"),
        base(&client.id, "http://127.0.0.1:9/Callback"),
        base(&client.id, "http://evil.example/callback"),
        base(&client.id, ""),
        base("bcli_unregistered", REDIRECT),
        base("", REDIRECT),
    ];
    for params in cases {
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let res = authorize(&app, &b, SANDBANK, &pairs).await;
        assert_eq!(res.status(), 400, "{pairs:?}");
        assert!(res.headers().get("location").is_none(), "never a redirect: {pairs:?}");
        assert!(res.text().await.unwrap().contains("<html"));
    }
    // A client of another bank is unknown here.
    let mut other = client_at(&app, "fcinst_ownership").await;
    other.institution = SANDBANK.to_owned();
    let res = start(&app, &b, &other, "accounts", &challenge).await;
    assert_eq!(res.status(), 400);
    let res = authorize(&app, &b, "fcinst_nope", &[("client_id", "x")]).await;
    assert_eq!(res.status(), 404);
}

async fn pkce_is_required_and_plain_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = client_at(&app, SANDBANK).await;
    let b = browser();
    let (verifier, challenge) = pkce();
    let common = [
        ("client_id", client.id.as_str()),
        ("redirect_uri", REDIRECT),
        ("state", "s1"),
    ];
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("response_type", "code")], "invalid_request"),
        (
            vec![
                ("response_type", "code"),
                ("code_challenge", &verifier),
                ("code_challenge_method", "plain"),
            ],
            "invalid_request",
        ),
        (
            vec![("response_type", "code"), ("code_challenge", &challenge)],
            "invalid_request",
        ),
        (
            vec![
                ("response_type", "token"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
            "unsupported_response_type",
        ),
        (
            vec![("code_challenge", &challenge), ("code_challenge_method", "S256")],
            "invalid_request",
        ),
        (
            vec![
                ("response_type", "code"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
                ("scope", "accounts admin"),
            ],
            "invalid_scope",
        ),
    ];
    for (extra, error) in cases {
        let mut params = common.to_vec();
        params.extend(extra.iter().copied());
        let res = authorize(&app, &b, SANDBANK, &params).await;
        assert_eq!(res.status(), 303, "{params:?}");
        let loc = location(&res);
        assert!(loc.starts_with(REDIRECT), "{loc}");
        assert_eq!(param(&loc, "error").as_deref(), Some(error), "{params:?}");
        assert_eq!(param(&loc, "state").as_deref(), Some("s1"));
        assert!(param(&loc, "error_description").is_some());
    }
}

async fn pages_require_the_session_of_the_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = client_at(&app, SANDBANK).await;
    let b = browser();
    let (_, challenge) = pkce();
    let request = to_consent(&app, &b, &client, "jenny", "accounts", &challenge).await;
    // Another browser (no cookie, or its own) cannot use the request.
    let stranger = browser();
    let res = stranger
        .get(bank_url(&app, SANDBANK, &format!("/consent?request={request}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = post_form(
        &app,
        &stranger,
        SANDBANK,
        "/consent",
        &[
            ("request", &request),
            ("decision", "approve"),
            ("accounts", "bacct_jenny_checking"),
        ],
    )
    .await;
    assert_eq!(res.status(), 403);
    // An unknown or expired request is an error page.
    let res = b
        .get(bank_url(&app, SANDBANK, "/login?request=areq_nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    app.clock.advance(601);
    let res = b
        .get(bank_url(&app, SANDBANK, &format!("/consent?request={request}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

async fn user_revokes_consent_mid_use(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = client_at(&app, SANDBANK).await;
    let (verifier, challenge) = pkce();
    let b = browser();
    let request = to_consent(&app, &b, &client, "jenny", "accounts balances", &challenge).await;
    let form = [
        ("request", request.as_str()),
        ("decision", "approve"),
        ("accounts", "bacct_jenny_savings"),
    ];
    let res = post_form(&app, &b, SANDBANK, "/consent", &form).await;
    let code = param(&location(&res), "code").unwrap();
    let (_, tokens) = exchange(&app, &client, &code, &verifier).await;
    let access = tokens["access_token"].as_str().unwrap();
    let (status, _) = data(&app, SANDBANK, access, "/accounts/bacct_jenny_savings/balances").await;
    assert_eq!(status, 200);

    // Without a session the page asks to sign in (password and code together).
    let fresh = browser();
    let html = fresh
        .get(bank_url(&app, SANDBANK, "/connected-apps"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"login\"") && html.contains("name=\"code\""));
    let res = post_form(
        &app,
        &fresh,
        SANDBANK,
        "/connected-apps/login",
        &[("username", "jenny"), ("password", "password123"), ("code", "111111")],
    )
    .await;
    assert_eq!(res.status(), 401);
    let res = post_form(
        &app,
        &fresh,
        SANDBANK,
        "/connected-apps/login",
        &[("username", "jenny"), ("password", "password123"), ("code", "000000")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let html = fresh
        .get(app.url(&location(&res)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Test App"), "{html}");
    let consent_id = html
        .split("id=\"revoke-")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    assert!(consent_id.starts_with("consent_"));

    // The browser that approved has a session too; a stranger cannot revoke.
    let stranger = browser();
    let res = post_form(
        &app,
        &stranger,
        SANDBANK,
        &format!("/connected-apps/{consent_id}/revoke"),
        &[],
    )
    .await;
    assert_eq!(res.status(), 403);
    let res = post_form(&app, &b, SANDBANK, &format!("/connected-apps/{consent_id}/revoke"), &[]).await;
    assert_eq!(res.status(), 303);

    let (status, body) = data(&app, SANDBANK, access, "/accounts/bacct_jenny_savings/balances").await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_token")));
    let (status, body) = refresh(&app, &client, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(introspect(&app, &client, access).await["active"], false);
    let html = fresh
        .get(bank_url(&app, SANDBANK, "/connected-apps"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains(&consent_id));
}
