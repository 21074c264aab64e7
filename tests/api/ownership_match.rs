//! Ownership Match: the documents' sample, the three modes, every validation error and
//! precondition, the guessing quota, the beta gate, and no owner data in any answer.

use reqwest::Method;
use serde_json::{Value, json};

use crate::accounts::test_account;
use crate::both_stores;
use crate::harness::{Backend, TestApp, assert_error, json};

pub const BETA: &str = "2026-07-29.dahlia; financial_connections_ownership_match_api_preview=v1";

both_stores!(
    the_documents_sample_scores_85_100_65_and_missing_phone,
    the_three_modes_compare_what_they_say,
    each_invalid_parameter_is_named,
    preconditions_on_the_account_are_explained,
    the_quota_refuses_a_sixth_distinct_input_but_not_a_repeat,
    the_beta_flag_is_required,
);

pub async fn post_match(app: &TestApp, form: &[(&str, &str)]) -> (u16, Value) {
    let res = app
        .request(Method::POST, "/v1/financial_connections/ownership_match")
        .header("stripe-version", BETA)
        .form(form)
        .send()
        .await
        .unwrap();
    json(res).await
}

/// Jenny Rosen as the platform knows her (the documents' customer).
pub async fn jenny(app: &TestApp) -> String {
    app.customer(&[
        ("name", "Jenny Rosen"),
        ("email", "jennyrosen@example.com"),
        ("phone", "+1 212-555-5555"),
        ("address[line1]", "354 Oyster Point Blvd"),
        ("address[city]", "South San Francisco"),
        ("address[state]", "CA"),
        ("address[postal_code]", "94080"),
        ("address[country]", "US"),
    ])
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// An account whose bank owner is the documents' owner, ownership already refreshed.
pub async fn sample_account(app: &TestApp, customer: &str) -> String {
    let form = [
        ("account_holder[customer]", customer),
        ("permissions[]", "ownership"),
        ("prefetch[]", "ownership"),
        ("owners[0][name]", "Jennifer Rosen"),
        ("owners[0][email]", "jennyrosen@test.com"),
        (
            "owners[0][raw_address]",
            "354 Oyster Point Blvd South San Francisco, CA 94080 USA",
        ),
    ];
    let (status, account) = json(app.post("/v1/test_helpers/financial_connections/accounts", &form).await).await;
    assert_eq!(status, 200, "{account}");
    app.drain_refreshes().await;
    account["id"].as_str().unwrap().to_owned()
}

fn score(m: &Value, field: &str) -> Value {
    m["results"][field].clone()
}

async fn the_documents_sample_scores_85_100_65_and_missing_phone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = jenny(&app).await;
    let account = sample_account(&app, &customer).await;
    let (status, m) = post_match(
        &app,
        &[("financial_connections_account", &account), ("customer", &customer)],
    )
    .await;
    assert_eq!(status, 200, "{m}");
    assert!(m["id"].as_str().unwrap().starts_with("fcom_"));
    assert_eq!(m["object"], "financial_connections.ownership_match");
    assert_eq!(m["type"], "customer");
    assert_eq!(m["customer"], customer.as_str());
    assert_eq!(m["financial_connections_account"], account.as_str());
    assert!(m["ownership"].as_str().unwrap().starts_with("fcaowns_"));
    assert_eq!(score(&m, "name"), json!({"match_score": 85, "missing_data": false}));
    assert_eq!(score(&m, "address"), json!({"match_score": 100, "missing_data": false}));
    assert_eq!(score(&m, "email"), json!({"match_score": 65, "missing_data": false}));
    assert_eq!(score(&m, "phone"), json!({"match_score": null, "missing_data": true}));
    assert_eq!(
        m["owner_information"],
        json!({"name": "Jenny Rosen", "email": "jennyrosen@example.com", "phone": "+1 212-555-5555",
               "address": {"line1": "354 Oyster Point Blvd", "line2": null, "city": "South San Francisco",
                           "state": "CA", "postal_code": "94080", "country": "US"}})
    );
    let res = app
        .request(
            Method::GET,
            &format!(
                "/v1/financial_connections/ownership_matches/{}",
                m["id"].as_str().unwrap()
            ),
        )
        .header("stripe-version", BETA)
        .send()
        .await
        .unwrap();
    let (status, stored) = json(res).await;
    assert_eq!((status, stored.clone()), (200, m));
}

async fn the_three_modes_compare_what_they_say(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = jenny(&app).await;
    let account = sample_account(&app, &customer).await;

    let (status, holder) = post_match(&app, &[("financial_connections_account", &account)]).await;
    assert_eq!(status, 200, "{holder}");
    assert_eq!(holder["type"], "customer");
    assert_eq!(holder["customer"], customer.as_str(), "the account holder is used");
    assert_eq!(score(&holder, "name")["match_score"], 85);

    let (status, direct) = post_match(
        &app,
        &[
            ("financial_connections_account", &account),
            ("owner_information[name]", "Jennifer Rosen"),
            ("owner_information[phone]", "+44 20 7946 0958"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{direct}");
    assert_eq!(direct["type"], "owner_information");
    assert_eq!(direct["customer"], Value::Null);
    assert_eq!(
        score(&direct, "name"),
        json!({"match_score": 100, "missing_data": false})
    );
    assert_eq!(
        score(&direct, "phone"),
        json!({"match_score": null, "missing_data": true})
    );
    assert_eq!(score(&direct, "email"), Value::Null, "not provided");
    assert_eq!(score(&direct, "address"), Value::Null);
    assert_eq!(direct["owner_information"]["email"], Value::Null);

    let (status, typed) = post_match(
        &app,
        &[
            ("financial_connections_account", &account),
            ("customer", &customer),
            ("type", "customer"),
        ],
    )
    .await;
    assert_eq!((status, typed["type"].as_str()), (200, Some("customer")));
}

async fn each_invalid_parameter_is_named(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = jenny(&app).await;
    let account = sample_account(&app, &customer).await;
    let a = account.as_str();
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (vec![("customer", &customer)], "financial_connections_account"),
        (
            vec![
                ("financial_connections_account", a),
                ("customer", &customer),
                ("owner_information[name]", "J"),
            ],
            "customer",
        ),
        (
            vec![
                ("financial_connections_account", a),
                ("owner_information[name]", "J"),
                ("type", "customer"),
            ],
            "type",
        ),
        (
            vec![("financial_connections_account", a), ("type", "owner_information")],
            "owner_information",
        ),
        (vec![("financial_connections_account", a), ("type", "guess")], "type"),
        (
            vec![("financial_connections_account", a), ("owner_information[name]", "")],
            "owner_information",
        ),
        (
            vec![
                ("financial_connections_account", a),
                ("owner_information[address][line1]", "1 Main St"),
                ("owner_information[address][state]", "CA"),
                ("owner_information[address][postal_code]", "94080"),
                ("owner_information[address][country]", "US"),
            ],
            "owner_information[address][city]",
        ),
        (
            vec![
                ("financial_connections_account", a),
                ("owner_information[address][city]", "SSF"),
            ],
            "owner_information[address][line1]",
        ),
        (
            vec![
                ("financial_connections_account", a),
                ("owner_information[phone]", "020 7946 0958"),
            ],
            "owner_information[phone]",
        ),
        (
            vec![
                ("financial_connections_account", a),
                ("owner_information[email]", "not-an-email"),
            ],
            "owner_information[email]",
        ),
        (
            vec![("financial_connections_account", a), ("owner_information[dob]", "1990")],
            "owner_information[dob]",
        ),
        (
            vec![("financial_connections_account", a), ("customer", "cus_nobody")],
            "customer",
        ),
        (vec![("financial_connections_account", a), ("score", "100")], "score"),
    ];
    for (form, param) in cases {
        let (status, err) = post_match(&app, &form).await;
        assert_error(status, &err, 400, None, Some(param));
    }
    let empty = app.customer(&[("description", "no owner fields")]).await;
    let (status, err) = post_match(
        &app,
        &[
            ("financial_connections_account", a),
            ("customer", empty["id"].as_str().unwrap()),
        ],
    )
    .await;
    assert_error(status, &err, 400, None, Some("customer"));
}

async fn preconditions_on_the_account_are_explained(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = jenny(&app).await;
    let no_permission = test_account(&app, &customer, &[]).await;
    let form = [
        ("account_holder[customer]", customer.as_str()),
        ("permissions[]", "balances"),
    ];
    let (_, balances_only) = json(app.post("/v1/test_helpers/financial_connections/accounts", &form).await).await;
    let (status, err) = post_match(
        &app,
        &[("financial_connections_account", balances_only["id"].as_str().unwrap())],
    )
    .await;
    assert_error(status, &err, 400, None, Some("financial_connections_account"));
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ownership permission")
    );

    let (status, err) = post_match(
        &app,
        &[("financial_connections_account", no_permission["id"].as_str().unwrap())],
    )
    .await;
    assert_error(
        status,
        &err,
        400,
        Some("ownership_data_unavailable"),
        Some("financial_connections_account"),
    );
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("refreshed_ownership")
    );

    let (status, err) = post_match(&app, &[("financial_connections_account", "fca_doesnotexist")]).await;
    assert_error(status, &err, 404, Some("resource_missing"), None);

    let account = sample_account(&app, &customer).await;
    let other = crate::customers::create_platform_key(&app).await;
    let res = app
        .client
        .post(app.url("/v1/financial_connections/ownership_match"))
        .bearer_auth(&other)
        .header("stripe-version", BETA)
        .form(&[
            ("financial_connections_account", account.as_str()),
            ("owner_information[name]", "Jenny Rosen"),
        ])
        .send()
        .await
        .unwrap();
    let (status, err) = json(res).await;
    assert_error(status, &err, 404, Some("resource_missing"), None);
}

async fn the_quota_refuses_a_sixth_distinct_input_but_not_a_repeat(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = jenny(&app).await;
    let account = sample_account(&app, &customer).await;
    let names = [
        "Jenny Rosen",
        "Mark Rosen",
        "Ann Rosen",
        "Bob Rosen",
        "Carl Rosen",
        "Dana Rosen",
    ];
    let mut first_id = String::new();
    for (i, name) in names.iter().take(5).enumerate() {
        let (status, m) = post_match(
            &app,
            &[
                ("financial_connections_account", &account),
                ("owner_information[name]", name),
            ],
        )
        .await;
        assert_eq!(status, 200, "input {i}: {m}");
        if i == 0 {
            first_id = m["id"].as_str().unwrap().to_owned();
        }
    }
    let res = app
        .request(Method::POST, "/v1/financial_connections/ownership_match")
        .header("stripe-version", BETA)
        .form(&[
            ("financial_connections_account", account.as_str()),
            ("owner_information[name]", names[5]),
        ])
        .send()
        .await
        .unwrap();
    let retry_after: i64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&retry_after), "{retry_after}");
    let (status, err) = json(res).await;
    assert_error(status, &err, 429, Some("rate_limit"), None);
    assert_eq!(
        app.state.store.match_refusals("acct_sandbank", &account).await.unwrap(),
        1,
        "an audit record"
    );

    let (status, again) = post_match(
        &app,
        &[
            ("financial_connections_account", &account),
            ("owner_information[name]", names[0]),
        ],
    )
    .await;
    assert_eq!(status, 200, "a repeated input is answered: {again}");
    assert_eq!(again["id"], first_id.as_str(), "from the stored match");

    app.clock.advance(retry_after);
    let (status, _) = post_match(
        &app,
        &[
            ("financial_connections_account", &account),
            ("owner_information[name]", names[5]),
        ],
    )
    .await;
    assert_eq!(status, 200, "a slot frees after 24 hours");
}

async fn the_beta_flag_is_required(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = jenny(&app).await;
    let account = sample_account(&app, &customer).await;
    for version in [
        None,
        Some("2026-07-29.dahlia"),
        Some("2026-07-29.dahlia; other_beta=v1"),
    ] {
        let mut req = app
            .request(Method::POST, "/v1/financial_connections/ownership_match")
            .form(&[("financial_connections_account", account.as_str())]);
        if let Some(v) = version {
            req = req.header("stripe-version", v);
        }
        let (status, err) = json(req.send().await.unwrap()).await;
        assert_error(status, &err, 400, None, Some("Stripe-Version"));
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains("financial_connections_ownership_match_api_preview=v1")
        );
    }
}

both_stores!(the_python_sdk_reaches_the_preview_with_raw_request);

async fn the_python_sdk_reaches_the_preview_with_raw_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = jenny(&app).await;
    let account = sample_account(&app, &customer).await;
    crate::sdk::run_sdk_script_with(&app, "ownership_match.py", &[&account, &customer]).await;
}
