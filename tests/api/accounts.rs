//! Linked accounts: list filters, retrieve with expand, owners, transactions, isolation.

use serde_json::{Value, json};

use crate::both_stores;
use crate::harness::{Backend, TestApp, assert_error, json};
use crate::sessions::{create_session, customer_id};

both_stores!(
    accounts_list_by_customer_or_session_exclusively,
    a_test_account_carries_exactly_the_requested_bank_data,
    owners_need_the_ownership_parameter,
    transactions_filter_by_time_and_refresh,
    accounts_are_private_to_their_platform,
);

/// A linked test account with known data; `extra` adds or overrides parameters.
pub async fn test_account(app: &TestApp, customer: &str, extra: &[(&str, &str)]) -> Value {
    let mut form = vec![
        ("account_holder[customer]", customer),
        ("permissions[]", "ownership"),
        ("permissions[]", "balances"),
        ("permissions[]", "transactions"),
        ("display_name", "Everyday Checking"),
        ("owners[0][name]", "Jennifer Rosen"),
        ("owners[0][email]", "jennyrosen@test.com"),
        (
            "owners[0][raw_address]",
            "354 Oyster Point Blvd South San Francisco, CA 94080 USA",
        ),
        ("owners[1][name]", "Mark Rosen"),
        ("owners[1][phone]", "+1 212-555-0199"),
        ("balance[current][usd]", "123456"),
        ("transactions[0][amount]", "-1999"),
        ("transactions[0][description]", "Rocket Rides"),
        ("transactions[0][transacted_at]", "1700000000"),
        ("transactions[1][amount]", "250000"),
        ("transactions[1][description]", "Payroll"),
        ("transactions[1][transacted_at]", "1700100000"),
    ];
    form.extend_from_slice(extra);
    let (status, account) = json(app.post("/v1/test_helpers/financial_connections/accounts", &form).await).await;
    assert_eq!(status, 200, "{account}");
    account
}

fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn accounts_list_by_customer_or_session_exclusively(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let jenny = customer_id(&app).await;
    let mark = app.customer(&[("name", "Mark")]).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let session = create_session(&app, &jenny, &[]).await;
    let path = format!(
        "/v1/test_helpers/financial_connections/sessions/{}/complete",
        session["id"].as_str().unwrap()
    );
    let (_, done) = json(app.post(&path, &[]).await).await;
    let marks = test_account(&app, &mark, &[]).await;

    let (_, by_session) = json(
        app.get(&format!(
            "/v1/financial_connections/accounts?session={}",
            session["id"].as_str().unwrap()
        ))
        .await,
    )
    .await;
    assert_eq!(by_session["url"], "/v1/financial_connections/accounts");
    let mut expected = ids(&done["accounts"]);
    let mut got = ids(&by_session);
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    let (_, by_customer) = json(
        app.get(&format!(
            "/v1/financial_connections/accounts?account_holder[customer]={mark}"
        ))
        .await,
    )
    .await;
    assert_eq!(ids(&by_customer), vec![marks["id"].as_str().unwrap().to_owned()]);
    let (_, all) = json(app.get("/v1/financial_connections/accounts?limit=2").await).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 2);
    assert_eq!(all["has_more"], true);

    let (status, err) = json(
        app.get(&format!(
            "/v1/financial_connections/accounts?session=x&account_holder[customer]={mark}"
        ))
        .await,
    )
    .await;
    assert_error(status, &err, 400, None, None);
    let (status, err) = json(
        app.get("/v1/financial_connections/accounts?account_holder[nobody]=x")
            .await,
    )
    .await;
    assert_error(
        status,
        &err,
        400,
        Some("parameter_unknown"),
        Some("account_holder[nobody]"),
    );
}

async fn a_test_account_carries_exactly_the_requested_bank_data(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let account = test_account(
        &app,
        &customer,
        &[("prefetch[]", "ownership"), ("prefetch[]", "balances")],
    )
    .await;
    assert_eq!(account["object"], "financial_connections.account");
    assert_eq!(account["display_name"], "Everyday Checking");
    assert_eq!(account["institution_name"], "Sandbank Test Institution");
    assert_eq!(account["ownership_refresh"]["status"], "pending");
    assert_eq!(account["balance_refresh"]["status"], "pending");
    assert_eq!(account["transaction_refresh"], Value::Null, "not prefetched");
    assert_eq!(account["ownership"], Value::Null);

    assert_eq!(app.drain_refreshes().await, 2);
    let path = format!("/v1/financial_connections/accounts/{}", account["id"].as_str().unwrap());
    let (_, after) = json(
        app.get(&format!("{path}?expand[]=ownership&expand[]=account_holder.customer"))
            .await,
    )
    .await;
    assert_eq!(after["ownership_refresh"]["status"], "succeeded");
    assert!(
        after["ownership_refresh"]["next_refresh_available_at"]
            .as_i64()
            .unwrap()
            > after["ownership_refresh"]["last_attempted_at"].as_i64().unwrap()
    );
    assert_eq!(after["balance"]["current"], json!({"usd": 123456}));
    assert_eq!(after["balance"]["type"], "cash");
    assert_eq!(after["balance"]["cash"]["available"], json!({"usd": 123456}));
    assert_eq!(after["account_holder"]["customer"]["id"], customer.as_str());
    let ownership = &after["ownership"];
    assert!(ownership["id"].as_str().unwrap().starts_with("fcaowns_"));
    assert_eq!(ownership["object"], "financial_connections.account_ownership");
    let owners = ownership["owners"]["data"].as_array().unwrap();
    assert_eq!(owners.len(), 2);
    assert_eq!(owners[0]["name"], "Jennifer Rosen", "owners keep the bank's order");
    assert_eq!(owners[0]["email"], "jennyrosen@test.com");
    assert_eq!(owners[0]["phone"], Value::Null);
    assert_eq!(owners[1]["phone"], "+1 212-555-0199");
    assert_eq!(owners[0]["ownership"], ownership["id"]);
}

async fn owners_need_the_ownership_parameter(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let account = test_account(&app, &customer, &[("prefetch[]", "ownership")]).await;
    app.drain_refreshes().await;
    let id = account["id"].as_str().unwrap();
    let (_, account) = json(app.get(&format!("/v1/financial_connections/accounts/{id}")).await).await;
    let ownership = account["ownership"].as_str().unwrap();

    let (status, list) = json(
        app.get(&format!(
            "/v1/financial_connections/accounts/{id}/owners?ownership={ownership}&limit=1"
        ))
        .await,
    )
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["url"], format!("/v1/financial_connections/accounts/{id}/owners"));
    assert_eq!(list["data"][0]["name"], "Jennifer Rosen");
    assert_eq!(list["has_more"], true);
    let first = list["data"][0]["id"].as_str().unwrap();
    let (_, next) = json(
        app.get(&format!(
            "/v1/financial_connections/accounts/{id}/owners?ownership={ownership}&starting_after={first}"
        ))
        .await,
    )
    .await;
    assert_eq!(next["data"][0]["name"], "Mark Rosen");

    let (status, err) = json(
        app.get(&format!("/v1/financial_connections/accounts/{id}/owners"))
            .await,
    )
    .await;
    assert_error(status, &err, 400, Some("parameter_missing"), Some("ownership"));
    let (status, err) = json(
        app.get(&format!(
            "/v1/financial_connections/accounts/{id}/owners?ownership=fcaowns_nope"
        ))
        .await,
    )
    .await;
    assert_error(status, &err, 404, Some("resource_missing"), Some("ownership"));
    let (status, _) = json(
        app.get(&format!(
            "/v1/financial_connections/accounts/fca_nope/owners?ownership={ownership}"
        ))
        .await,
    )
    .await;
    assert_eq!(status, 404);
}

async fn transactions_filter_by_time_and_refresh(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let account = test_account(&app, &customer, &[("prefetch[]", "transactions")]).await;
    let id = account["id"].as_str().unwrap();
    let first_refresh = account["transaction_refresh"]["id"].as_str().unwrap().to_owned();
    assert!(first_refresh.starts_with("fctxnref_"));
    app.drain_refreshes().await;

    let (status, list) = json(
        app.get(&format!("/v1/financial_connections/transactions?account={id}"))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{list}");
    let data = list["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["description"], "Payroll", "newest first");
    assert_eq!(data[0]["amount"], 250000);
    assert_eq!(data[1]["amount"], -1999);
    assert_eq!(data[0]["transaction_refresh"], first_refresh.as_str());
    assert_eq!(data[0]["status"], "posted");
    assert_eq!(data[0]["account"], id);

    let (_, early) = json(
        app.get(&format!(
            "/v1/financial_connections/transactions?account={id}&transacted_at[lt]=1700050000"
        ))
        .await,
    )
    .await;
    assert_eq!(early["data"].as_array().unwrap().len(), 1);
    assert_eq!(early["data"][0]["description"], "Rocket Rides");
    let (_, after) = json(
        app.get(&format!(
            "/v1/financial_connections/transactions?account={id}&transaction_refresh[after]={first_refresh}"
        ))
        .await,
    )
    .await;
    assert_eq!(
        after["data"].as_array().unwrap().len(),
        0,
        "nothing changed after the first refresh"
    );

    let txn = data[0]["id"].as_str().unwrap();
    let (status, one) = json(app.get(&format!("/v1/financial_connections/transactions/{txn}")).await).await;
    assert_eq!((status, one["id"].as_str()), (200, Some(txn)));

    let (status, err) = json(app.get("/v1/financial_connections/transactions").await).await;
    assert_error(status, &err, 400, Some("parameter_missing"), Some("account"));
    let (status, err) = json(
        app.get(&format!(
            "/v1/financial_connections/transactions?account={id}&transaction_refresh[after]=fctxnref_nope"
        ))
        .await,
    )
    .await;
    assert_error(
        status,
        &err,
        400,
        Some("resource_missing"),
        Some("transaction_refresh[after]"),
    );
    let (status, err) = json(
        app.get(&format!(
            "/v1/financial_connections/transactions?account={id}&transaction_refresh[before]=x"
        ))
        .await,
    )
    .await;
    assert_error(
        status,
        &err,
        400,
        Some("parameter_unknown"),
        Some("transaction_refresh[before]"),
    );
    let (status, _) = json(app.get("/v1/financial_connections/transactions/fctxn_nope").await).await;
    assert_eq!(status, 404);
}

async fn accounts_are_private_to_their_platform(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let account = test_account(&app, &customer, &[("prefetch[]", "transactions")]).await;
    app.drain_refreshes().await;
    let id = account["id"].as_str().unwrap();
    let other = crate::customers::create_platform_key(&app).await;
    for path in [
        format!("/v1/financial_connections/accounts/{id}"),
        format!("/v1/financial_connections/transactions?account={id}"),
    ] {
        let res = app.client.get(app.url(&path)).bearer_auth(&other).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    let res = app
        .client
        .post(app.url(&format!("/v1/financial_connections/accounts/{id}/disconnect")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = app
        .client
        .get(app.url("/v1/financial_connections/accounts"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    let (_, list) = json(res).await;
    assert_eq!(list["data"], json!([]));
}
