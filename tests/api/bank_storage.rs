//! What the banks keep: the signing key survives a restart (a token from the first process
//! verifies on the second), and a raw dump of every bank table shows no personal data,
//! account number or secret in the clear.

use sqlx::{Column, Row};

use crate::bank_support::*;
use crate::both_stores;
use crate::harness::{Backend, TestApp, settings_for};

both_stores!(signing_key_survives_a_restart, a_dump_shows_no_personal_data_or_secrets);

async fn signing_key_survives_a_restart(backend: Backend) {
    let mut settings = settings_for(backend).await;
    // One public URL for both processes, so the issuer (and audience) stay the same.
    settings.public_url = Some("http://sandbank.test".into());
    let first = TestApp::spawn_with(settings.clone()).await;
    let (_, tokens) = tokens_for(&first, SANDBANK, "jenny", "accounts").await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let jwks = |app: &TestApp| {
        let url = bank_url(app, SANDBANK, "/jwks.json");
        let client = app.client.clone();
        async move {
            client
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let keys_before = jwks(&first).await;
    drop(first);

    let second = TestApp::spawn_with(settings).await;
    assert_eq!(jwks(&second).await, keys_before);
    let (status, body) = data(&second, SANDBANK, &access, "/accounts").await;
    assert_eq!(status, 200, "{body}");
}

const BANK_TABLES: [&str; 13] = [
    "bank_institutions",
    "bank_users",
    "bank_accounts",
    "bank_owners",
    "bank_transactions",
    "bank_clients",
    "bank_auth_requests",
    "bank_sessions",
    "bank_consents",
    "bank_codes",
    "bank_refresh_tokens",
    "bank_access_tokens",
    "bank_signing_keys",
];

/// Every text value of every bank table, read straight from the database.
async fn dump(app: &TestApp) -> String {
    sqlx::any::install_default_drivers();
    let url = match &app.settings.database_url {
        Some(url) => url.clone(),
        None => format!("sqlite://{}", app.settings.data_dir.join("sandbank.db").display()),
    };
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let mut out = String::new();
    for table in BANK_TABLES {
        let rows = sqlx::query(&format!("SELECT * FROM {table}"))
            .fetch_all(&pool)
            .await
            .unwrap();
        assert!(!rows.is_empty(), "{table} has rows to check");
        for row in rows {
            for column in row.columns() {
                if let Ok(Some(text)) = row.try_get::<Option<String>, _>(column.ordinal()) {
                    out.push_str(&text);
                    out.push('\n');
                }
            }
        }
    }
    out
}

async fn a_dump_shows_no_personal_data_or_secrets(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Fill every table: a full grant (with a rotation), and a pending request.
    let (client, tokens) = tokens_for(&app, SANDBANK, "jenny", "accounts balances ownership payment_method").await;
    let (_, rotated) = refresh(&app, &client, tokens["refresh_token"].as_str().unwrap()).await;
    let b = browser();
    let (_, challenge) = pkce();
    start(&app, &b, &client, "accounts", &challenge).await;

    let text = dump(&app).await;
    assert!(text.contains("Everyday Checking"), "the dump reads real rows");
    let secrets = [
        "Jenny Rosen",
        "Mark Rosen",
        "Jennifer Rosen",
        "Rosen Bakery LLC",
        "Sam Noone",
        "jenny.rosen@example.com",
        "jennyrosen@test.com",
        "orders@rosenbakery.example",
        "+14155550100",
        "+14155550199",
        "354 Oyster Point Blvd",
        "123 Main Street Springfield",
        "000123456789",
        "000555000111",
        "4000056655665556",
        "password123",
        "SANDBANKJENNYAAA",
        tokens["refresh_token"].as_str().unwrap(),
        rotated["refresh_token"].as_str().unwrap(),
        client.secret.as_deref().unwrap(),
    ];
    for secret in secrets {
        assert!(!text.contains(secret), "{secret:?} is in the dump");
    }
}
