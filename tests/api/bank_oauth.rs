//! The bank's authorization server end to end: metadata, JWKS, dynamic registration, the page
//! flow with both second factors, code exchange, data reads, refresh rotation with reuse
//! detection, revocation and introspection.

use serde_json::json;

use sandbank::clock::Clock;

use crate::bank_support::*;
use crate::both_stores;
use crate::harness::{Backend, TestApp};

both_stores!(
    metadata_and_jwks_describe_the_bank,
    registration_accepts_good_and_refuses_bad_metadata,
    full_flow_with_totp_then_refresh_reuse_and_revoke,
);

async fn metadata_and_jwks_describe_the_bank(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let issuer = bank_url(&app, SANDBANK, "");
    for path in [
        format!("/bank/{SANDBANK}/.well-known/oauth-authorization-server"),
        format!("/.well-known/oauth-authorization-server/bank/{SANDBANK}"),
    ] {
        let res = app.client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let m: serde_json::Value = res.json().await.unwrap();
        assert_eq!(m["issuer"], issuer);
        assert_eq!(m["authorization_endpoint"], format!("{issuer}/oauth/authorize"));
        assert_eq!(m["token_endpoint"], format!("{issuer}/oauth/token"));
        assert_eq!(m["revocation_endpoint"], format!("{issuer}/oauth/revoke"));
        assert_eq!(m["introspection_endpoint"], format!("{issuer}/oauth/introspect"));
        assert_eq!(m["registration_endpoint"], format!("{issuer}/oauth/register"));
        assert_eq!(m["jwks_uri"], format!("{issuer}/jwks.json"));
        assert_eq!(m["response_types_supported"], json!(["code"]));
        assert_eq!(
            m["grant_types_supported"],
            json!(["authorization_code", "refresh_token"])
        );
        assert_eq!(m["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(
            m["token_endpoint_auth_methods_supported"],
            json!(["client_secret_basic", "client_secret_post", "none"])
        );
        let scopes = m["scopes_supported"].as_array().unwrap();
        for s in ["accounts", "balances", "transactions", "ownership", "payment_method"] {
            assert!(scopes.contains(&json!(s)), "{s}");
        }
    }
    let jwks: serde_json::Value = app
        .client
        .get(bank_url(&app, SANDBANK, "/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert_eq!(
        (key["kty"].as_str(), key["crv"].as_str(), key["alg"].as_str()),
        (Some("EC"), Some("P-256"), Some("ES256"))
    );
    assert!(key["x"].is_string() && key["y"].is_string() && key["kid"].is_string());
    assert!(key.get("d").is_none(), "no private part is published");
    let res = app
        .client
        .get(app.url("/bank/fcinst_nope/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

async fn registration_accepts_good_and_refuses_bad_metadata(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, body) = register(
        &app,
        SANDBANK,
        json!({"redirect_uris": ["https://app.example/cb"], "client_name": "Budget App", "scope": "accounts balances"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert!(body["client_id"].as_str().unwrap().starts_with("bcli_"));
    assert!(body["client_secret"].as_str().is_some());
    assert_eq!(body["client_secret_expires_at"], 0);
    assert!(body["client_id_issued_at"].is_i64());
    assert_eq!(body["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(body["redirect_uris"], json!(["https://app.example/cb"]));
    assert_eq!(body["client_name"], "Budget App");

    let (status, public) = register(
        &app,
        SANDBANK,
        json!({"redirect_uris": ["http://127.0.0.1:8000/cb"], "token_endpoint_auth_method": "none"}),
    )
    .await;
    assert_eq!(status, 201);
    assert!(public.get("client_secret").is_none(), "public clients get no secret");

    for (bad, code) in [
        (json!({}), "invalid_redirect_uri"),
        (json!({"redirect_uris": ["not a url"]}), "invalid_redirect_uri"),
        (
            json!({"redirect_uris": ["https://a.example/cb#x"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "tls_client_auth"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://a.example/cb"], "grant_types": ["password"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://a.example/cb"], "scope": "accounts admin"}),
            "invalid_client_metadata",
        ),
        (json!(["not", "an object"]), "invalid_client_metadata"),
    ] {
        let (status, body) = register(&app, SANDBANK, bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error"], code, "{bad}");
        assert!(body["error_description"].is_string());
    }
}

async fn full_flow_with_totp_then_refresh_reuse_and_revoke(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = client_at(&app, SANDBANK).await;
    let (verifier, challenge) = pkce();
    let b = browser();
    let scope = "accounts balances transactions ownership payment_method";
    let res = start(&app, &b, &client, scope, &challenge).await;
    assert_eq!(res.status(), 303);
    let login_path = location(&res);
    assert!(
        login_path.starts_with(&format!("/bank/{SANDBANK}/login?request=areq_")),
        "{login_path}"
    );
    let request = param(&login_path, "request").unwrap();

    let page = b.get(app.url(&login_path)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("id=\"login\"") && html.contains("name=\"username\""));

    let res = log_in(&app, &b, SANDBANK, &request, "jenny").await;
    assert_eq!(res.status(), 303);
    assert!(res.headers()["set-cookie"].to_str().unwrap().contains("HttpOnly"));
    let mfa_path = location(&res);
    assert!(mfa_path.contains("/mfa?request="));
    assert!(
        b.get(app.url(&mfa_path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("id=\"verify\"")
    );

    // A real TOTP from the documented secret, by the app's clock.
    let code = sandbank::domain::bank::totp::code_at(JENNY_TOTP, app.clock.now()).unwrap();
    let res = post_form(&app, &b, SANDBANK, "/mfa", &[("request", &request), ("code", &code)]).await;
    assert_eq!(res.status(), 303);
    let consent_path = location(&res);
    let html = b
        .get(app.url(&consent_path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Test App") && html.contains("id=\"approve\"") && html.contains("id=\"deny\""));
    let offered = offered_accounts(&html);
    assert_eq!(offered.len(), 4, "{offered:?}");
    assert!(offered.iter().all(|a| a.starts_with("bacct_")));

    let form = [
        ("request", request.as_str()),
        ("decision", "approve"),
        ("accounts", "bacct_jenny_checking"),
        ("accounts", "bacct_jenny_credit_card"),
    ];
    let res = post_form(&app, &b, SANDBANK, "/consent", &form).await;
    assert_eq!(res.status(), 303);
    let back = location(&res);
    assert_eq!(param(&back, "state").as_deref(), Some("st-123"));
    assert_eq!(param(&back, "iss"), Some(bank_url(&app, SANDBANK, "")));
    let code = param(&back, "code").unwrap();

    let (status, tokens) = exchange(&app, &client, &code, &verifier).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    assert_eq!(
        tokens["scope"],
        "accounts balances ownership payment_method transactions"
    );
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let rt1 = tokens["refresh_token"].as_str().unwrap().to_owned();

    read_everything(&app, &access).await;

    // Rotation: the old refresh token is consumed.
    let (status, t2) = refresh(&app, &client, &rt1).await;
    assert_eq!(status, 200, "{t2}");
    let rt2 = t2["refresh_token"].as_str().unwrap().to_owned();
    let access2 = t2["access_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2);
    assert_eq!(introspect(&app, &client, &rt2).await["active"], true);
    assert_eq!(introspect(&app, &client, &rt1).await["active"], false);
    let (status, _) = data(&app, SANDBANK, &access2, "/accounts").await;
    assert_eq!(status, 200);

    // Reuse of the rotated token: refused, and the whole family dies.
    let (status, body) = refresh(&app, &client, &rt1).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(introspect(&app, &client, &rt2).await["active"], false);
    assert_eq!(introspect(&app, &client, &access2).await["active"], false);
    let (status, _) = refresh(&app, &client, &rt2).await;
    assert_eq!(status, 400);
    let (status, body) = data(&app, SANDBANK, &access2, "/accounts").await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_token")));

    // A fresh grant, then revocation of its refresh token ends the consent.
    let (client2, t3) = tokens_for(&app, SANDBANK, "jenny", "accounts").await;
    let access3 = t3["access_token"].as_str().unwrap();
    let intro = introspect(&app, &client2, access3).await;
    assert_eq!(intro["active"], true);
    assert_eq!(intro["client_id"], client2.id);
    assert_eq!(intro["sub"], "buser_jenny");
    assert_eq!(intro["token_type"], "Bearer");
    assert_eq!(intro["iss"], bank_url(&app, SANDBANK, ""));
    assert_eq!(
        introspect(&app, &client, access3).await["active"],
        false,
        "another client's token"
    );
    let (status, _) = client_post(
        &app,
        &client2,
        "/oauth/revoke",
        &[("token", t3["refresh_token"].as_str().unwrap())],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(introspect(&app, &client2, access3).await["active"], false);
    let (status, _) = data(&app, SANDBANK, access3, "/accounts").await;
    assert_eq!(status, 401);
    let (status, _) = client_post(&app, &client2, "/oauth/revoke", &[("token", "nonsense")]).await;
    assert_eq!(status, 200, "unknown tokens are fine");

    // Revoking an access token denylists it alone.
    let (client3, t4) = tokens_for(&app, SANDBANK, "mark", "accounts").await;
    let access4 = t4["access_token"].as_str().unwrap();
    let (status, _) = client_post(
        &app,
        &client3,
        "/oauth/revoke",
        &[("token", access4), ("token_type_hint", "access_token")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(introspect(&app, &client3, access4).await["active"], false);
    let (status, t5) = refresh(&app, &client3, t4["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "the grant itself lives on: {t5}");
    let unauthenticated = app
        .client
        .post(bank_url(&app, SANDBANK, "/oauth/introspect"))
        .form(&[("token", access4)])
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401);
}

/// Every data endpoint with a token holding every scope over checking and the credit card.
async fn read_everything(app: &TestApp, access: &str) {
    let (status, body) = data(app, SANDBANK, access, "/accounts").await;
    assert_eq!(status, 200, "{body}");
    let accounts = body["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 2);
    let checking = accounts.iter().find(|a| a["id"] == "bacct_jenny_checking").unwrap();
    assert_eq!(checking["institution_name"], "Sandbank National");
    assert_eq!(checking["category"], "cash");
    assert_eq!(checking["subcategory"], "checking");
    assert_eq!(checking["last4"], "6789");
    assert_eq!(checking["currency"], "usd");
    assert_eq!(checking["status"], "open");
    assert!(checking["display_name"].is_string());

    let (status, one) = data(app, SANDBANK, access, "/accounts/bacct_jenny_checking").await;
    assert_eq!((status, &one), (200, checking));

    let (_, bal) = data(app, SANDBANK, access, "/accounts/bacct_jenny_checking/balances").await;
    assert_eq!(bal["type"], "cash");
    assert_eq!(bal["current"]["usd"], 524_301);
    assert_eq!(bal["available"]["usd"], 519_811);
    assert!(bal["used"].is_null() && bal["as_of"].is_i64());
    let (_, credit) = data(app, SANDBANK, access, "/accounts/bacct_jenny_credit_card/balances").await;
    assert_eq!(credit["type"], "credit");
    assert_eq!(credit["used"]["usd"], 84_512);
    assert!(credit["available"].is_null());

    let (_, page1) = data(
        app,
        SANDBANK,
        access,
        "/accounts/bacct_jenny_checking/transactions?limit=10",
    )
    .await;
    let txns = page1["transactions"].as_array().unwrap();
    assert_eq!(txns.len(), 10);
    let times: Vec<i64> = txns.iter().map(|t| t["transacted_at"].as_i64().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert!(txns[0]["id"].as_str().unwrap().starts_with("btxn_"));
    assert_eq!(txns[0]["status"], "pending");
    assert!(txns[0]["posted_at"].is_null());
    let cursor = page1["next_cursor"].as_str().unwrap();
    let (_, page2) = data(
        app,
        SANDBANK,
        access,
        &format!("/accounts/bacct_jenny_checking/transactions?limit=100&cursor={cursor}"),
    )
    .await;
    assert!(page2["next_cursor"].is_null());
    let total = 10 + page2["transactions"].as_array().unwrap().len();
    assert!((20..=40).contains(&total), "{total}");
    assert!(page2["transactions"][0]["transacted_at"].as_i64().unwrap() <= *times.last().unwrap());
    let (status, _) = data(
        app,
        SANDBANK,
        access,
        "/accounts/bacct_jenny_checking/transactions?limit=500",
    )
    .await;
    assert_eq!(status, 400);

    let (_, owners) = data(app, SANDBANK, access, "/accounts/bacct_jenny_checking/owners").await;
    assert_eq!(
        owners["owners"],
        json!([{"name": "Jenny Rosen", "email": "jenny.rosen@example.com", "phone": "+14155550100",
                "raw_address": "354 Oyster Point Blvd South San Francisco, CA 94080 USA"}])
    );
    let (_, numbers) = data(app, SANDBANK, access, "/accounts/bacct_jenny_checking/numbers").await;
    assert_eq!(
        numbers,
        json!({"routing_number": "110000000", "account_number": "000123456789"})
    );
}
