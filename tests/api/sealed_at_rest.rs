//! Personal data stays sealed wherever the store writes it: after the main path (customer,
//! session linked by the test helper, the account with `expand[]=ownership`, owners,
//! transactions, an ownership match, a delivered webhook whose receiver's answer names the
//! owner, and a keyed disconnect that answers
//! with the ownership), a dump of the store holds none of the bank owner's values in the
//! clear: the SQLite file and its WAL byte for byte, or `pg_dump` with every bytea decoded.

use reqwest::Method;
use serde_json::Value;

use crate::both_stores;
use crate::harness::{Backend, KEY, TestApp, json, settings_for};
use crate::ownership_match::post_match;
use crate::webhooks_support::{Receiver, Reply, create_endpoint};
use sandbank::workers::dispatcher::Dispatcher;

both_stores!(a_dump_after_the_main_path_holds_no_owner_data_in_the_clear);

/// Jenny's values at Sandbank National (docs/banks.md): owner name, email, phone, address and
/// the full account numbers of her accounts.
const OWNER_VALUES: &[&str] = &[
    "Jenny Rosen",
    "jenny.rosen@example.com",
    "+14155550100",
    "4155550100",
    "354 Oyster Point Blvd",
    "Oyster Point",
    "000123456789",
    "000123450021",
    "4000056655665556",
    "770012345678",
];

/// The platform's own customer: its fields are the platform's data (not sealed), so they are
/// kept apart from the owner's.
const CUSTOMER: &[(&str, &str)] = &[("name", "Platform Customer Qa"), ("email", "qa.customer@platform.test")];

async fn ok(res: reqwest::Response) -> Value {
    let (status, body) = json(res).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn a_dump_after_the_main_path_holds_no_owner_data_in_the_clear(backend: Backend) {
    // The test sends webhooks itself, one dispatcher step at a time, so the attempt is
    // recorded before the dump.
    let mut settings = settings_for(backend).await;
    settings.dispatcher = false;
    let app = TestApp::spawn_with(settings).await;
    let dispatcher = Dispatcher::new(app.state.clone()).unwrap();
    // A receiver whose answer carries the owner's name: the attempt log keeps an excerpt.
    let mut receiver = Receiver::start(vec![], Reply::Body(200, "thanks, Jenny Rosen".into())).await;
    let (endpoint, _) = create_endpoint(&app.base, KEY, &receiver.url, &["*"]).await;

    let customer = app.customer(CUSTOMER).await["id"].as_str().unwrap().to_owned();
    let session = ok(app
        .post(
            "/v1/financial_connections/sessions",
            &[
                ("account_holder[type]", "customer"),
                ("account_holder[customer]", &customer),
                ("permissions[]", "ownership"),
                ("permissions[]", "payment_method"),
                ("permissions[]", "transactions"),
                ("permissions[]", "balances"),
                ("prefetch[]", "ownership"),
                ("prefetch[]", "transactions"),
                ("prefetch[]", "balances"),
            ],
        )
        .await)
    .await;
    let session_id = session["id"].as_str().unwrap();
    let linked = ok(app
        .post(
            &format!("/v1/test_helpers/financial_connections/sessions/{session_id}/complete"),
            &[("institution", "fcinst_sandbank")],
        )
        .await)
    .await;
    app.drain_refreshes().await;
    let account = linked["accounts"]["data"][0]["id"].as_str().unwrap().to_owned();

    let expanded = ok(app
        .get(&format!(
            "/v1/financial_connections/accounts/{account}?expand[]=ownership"
        ))
        .await)
    .await;
    let owners = &expanded["ownership"]["owners"]["data"];
    assert_eq!(
        owners[0]["name"], "Jenny Rosen",
        "the path reached the owner data: {expanded}"
    );
    let ownership = expanded["ownership"]["id"].as_str().unwrap();
    ok(app
        .get(&format!(
            "/v1/financial_connections/accounts/{account}/owners?ownership={ownership}"
        ))
        .await)
    .await;
    ok(app
        .get(&format!("/v1/financial_connections/transactions?account={account}"))
        .await)
    .await;
    let (status, matched) = post_match(
        &app,
        &[("financial_connections_account", &account), ("customer", &customer)],
    )
    .await;
    assert_eq!(status, 200, "{matched}");
    // Webhooks delivered to a real receiver, their attempts recorded; the excerpt is readable
    // through the API.
    while dispatcher.step().await.unwrap() > 0 {}
    receiver.next().await;
    let attempts = ok(app
        .get(&format!("/v1/test_helpers/webhook_endpoints/{endpoint}/attempts"))
        .await)
    .await;
    assert_eq!(
        attempts["data"][0]["response_body"], "thanks, Jenny Rosen",
        "{attempts}"
    );

    let disconnected = ok(app
        .request(
            Method::POST,
            &format!("/v1/financial_connections/accounts/{account}/disconnect"),
        )
        .header("idempotency-key", "sealed-disconnect")
        .form(&[("expand[]", "ownership")])
        .send()
        .await
        .unwrap())
    .await;
    assert_eq!(
        disconnected["ownership"]["owners"]["data"][0]["email"], "jenny.rosen@example.com",
        "the keyed answer the store keeps carries the owner's data"
    );
    app.writes_settled().await;

    let dump = match backend {
        Backend::Sqlite => sqlite_bytes(&app),
        Backend::Postgres => pg_dump(app.settings.database_url.as_deref().unwrap()),
    };
    assert!(
        dump.contains("platform customer qa"),
        "the dump is readable: the platform's own customer is there"
    );
    let found: Vec<&str> = OWNER_VALUES
        .iter()
        .copied()
        .filter(|v| dump.contains(&v.to_lowercase()))
        .collect();
    assert!(
        found.is_empty(),
        "{backend:?} store holds owner data in the clear: {found:?}"
    );
}

/// The SQLite file and its write-ahead log, as (lowercased) text.
fn sqlite_bytes(app: &TestApp) -> String {
    let db = app.settings.data_dir.join("sandbank.db");
    let mut bytes = std::fs::read(&db).unwrap();
    if let Ok(wal) = std::fs::read(db.with_extension("db-wal")) {
        bytes.extend(wal);
    }
    String::from_utf8_lossy(&bytes).to_lowercase()
}

/// `pg_dump` of the database, with every bytea value (`\x…` hex) decoded and appended.
fn pg_dump(url: &str) -> String {
    let out = std::process::Command::new("pg_dump")
        .args(["--data-only", url])
        .output()
        .expect("pg_dump runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut decoded = Vec::new();
    for piece in text.split("\\x").skip(1) {
        let hex: String = piece.chars().take_while(char::is_ascii_hexdigit).collect();
        if let Ok(bytes) = hex::decode(&hex[..hex.len() - hex.len() % 2]) {
            decoded.extend(bytes);
            decoded.push(b'\n');
        }
    }
    assert!(!decoded.is_empty(), "the dump holds bytea values to decode");
    format!("{text}\n{}", String::from_utf8_lossy(&decoded)).to_lowercase()
}
