//! `/v1/webhook_endpoints`: the secret only on create, updates, deletes, the destination
//! policy, a 400 naming each bad parameter, sealing at rest, and other platforms' 404s.

use serde_json::json;
use sqlx::{Connection, Row};

use crate::both_stores;
use crate::customers::create_platform_key;
use crate::harness::{Backend, KEY, TestApp, assert_error, json};
use crate::webhooks_support::create_endpoint;

both_stores!(
    endpoints_are_created_read_updated_listed_and_deleted,
    bad_endpoint_params_are_each_a_400_naming_the_param,
    secrets_are_sealed_at_rest,
    another_platforms_webhook_objects_are_404,
    the_python_sdk_manages_endpoints_and_reads_events_in_stripes_shapes,
);

async fn endpoints_are_created_read_updated_listed_and_deleted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, created) = json(
        app.post(
            "/v1/webhook_endpoints",
            &[
                ("url", "https://example.com/hooks"),
                ("enabled_events[]", "financial_connections.account.created"),
                ("enabled_events[]", "financial_connections.account.disconnected"),
                ("description", "main"),
                ("metadata[team]", "payments"),
                ("api_version", "2024-06-20"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().unwrap();
    assert!(id.starts_with("we_"));
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(created["object"], "webhook_endpoint");
    assert_eq!(created["status"], "enabled");
    assert_eq!(created["api_version"], "2024-06-20");
    assert_eq!(created["metadata"], json!({"team": "payments"}));
    assert_eq!(created["livemode"], false);

    let path = format!("/v1/webhook_endpoints/{id}");
    let (status, read) = json(app.get(&path).await).await;
    assert_eq!(status, 200);
    assert!(
        read.get("secret").is_none(),
        "the secret is shown only on create: {read}"
    );
    assert_eq!(read["enabled_events"].as_array().unwrap().len(), 2);

    let (status, updated) = json(
        app.post(
            &path,
            &[
                ("enabled_events[]", "*"),
                ("disabled", "true"),
                ("description", ""),
                ("url", "http://localhost:3000/w"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["status"], "disabled");
    assert_eq!(updated["enabled_events"], json!(["*"]));
    assert_eq!(updated["description"], serde_json::Value::Null);
    assert_eq!(updated["url"], "http://localhost:3000/w");
    let (_, enabled) = json(app.post(&path, &[("disabled", "false")]).await).await;
    assert_eq!(enabled["status"], "enabled");

    create_endpoint(&app.base, KEY, "http://127.0.0.1:9/other", &["*"]).await;
    let (_, list) = json(app.get("/v1/webhook_endpoints?limit=1").await).await;
    assert_eq!(list["object"], "list");
    assert_eq!(list["url"], "/v1/webhook_endpoints");
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(list["has_more"], true);
    assert!(list["data"][0].get("secret").is_none());

    let (status, deleted) = json(app.delete(&path).await).await;
    assert_eq!(status, 200);
    assert_eq!(
        deleted,
        json!({"id": id, "object": "webhook_endpoint", "deleted": true})
    );
    let (status, gone) = json(app.get(&path).await).await;
    assert_error(status, &gone, 404, Some("resource_missing"), Some("webhook_endpoint"));
    let (status, _) = json(app.delete(&path).await).await;
    assert_eq!(status, 404);
    let (_, list) = json(app.get("/v1/webhook_endpoints").await).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}

async fn bad_endpoint_params_are_each_a_400_naming_the_param(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ok_url = ("url", "https://example.com/h");
    let all = ("enabled_events[]", "*");
    let long_value = "v".repeat(501);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![all], "url"),
        (vec![ok_url], "enabled_events"),
        (
            vec![ok_url, all, ("enabled_events[]", "charge.succeeded")],
            "enabled_events[1]",
        ),
        (vec![("url", "ftp://example.com/h"), all], "url"),
        (vec![("url", "not a url"), all], "url"),
        (vec![("url", "http://10.0.0.5/h"), all], "url"),
        (vec![("url", "http://169.254.169.254/latest"), all], "url"),
        (vec![("url", "http://[fd00::1]/h"), all], "url"),
        (vec![ok_url, all, ("api_version", "latest")], "api_version"),
        (vec![ok_url, all, ("connect", "true")], "connect"),
        (vec![ok_url, all, ("colour", "red")], "colour"),
        (vec![ok_url, all, ("metadata[k]", &long_value)], "metadata[k]"),
    ];
    for (form, param) in cases {
        let (status, body) = json(app.post("/v1/webhook_endpoints", &form).await).await;
        assert_error(status, &body, 400, None, Some(param));
    }
    let (id, _) = create_endpoint(&app.base, KEY, "http://127.0.0.1:9/h", &["*"]).await;
    let path = format!("/v1/webhook_endpoints/{id}");
    for (form, param) in [
        (vec![("disabled", "maybe")], "disabled"),
        (vec![("enabled_events[]", "nope")], "enabled_events[0]"),
        (vec![("url", "http://192.168.1.1/")], "url"),
        (vec![("secret", "whsec_mine")], "secret"),
    ] {
        let (status, body) = json(app.post(&path, &form).await).await;
        assert_error(status, &body, 400, None, Some(param));
    }
    // Loopback, by name or address, is always a valid destination.
    for url in ["http://localhost:4242/h", "http://[::1]:4242/h", "http://127.0.0.2/h"] {
        let (status, body) = json(app.post("/v1/webhook_endpoints", &[("url", url), all]).await).await;
        assert_eq!(status, 200, "{url}: {body}");
    }
}

async fn secrets_are_sealed_at_rest(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, secret) = create_endpoint(&app.base, KEY, "http://127.0.0.1:9/h", &["*"]).await;
    let sql = "SELECT secret FROM webhook_endpoints";
    let stored: String = match &app.settings.database_url {
        Some(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query(sql).fetch_one(&mut conn).await.unwrap().get("secret")
        }
        None => {
            let path = app.settings.data_dir.join("sandbank.db");
            let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            sqlx::query(sql).fetch_one(&mut conn).await.unwrap().get("secret")
        }
    };
    assert!(stored.starts_with("enc1:"), "sealed: {stored}");
    assert!(!stored.contains(&secret[6..]), "no secret in the clear");
}

async fn another_platforms_webhook_objects_are_404(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, _) = create_endpoint(&app.base, KEY, "http://127.0.0.1:9/h", &["*"]).await;
    let event = crate::webhooks_support::produce(&app.base, 1).await.remove(0);
    let other = create_platform_key(&app).await;
    let as_other =
        |method: reqwest::Method, path: String| app.client.request(method, app.url(&path)).bearer_auth(&other);
    for (method, path) in [
        (reqwest::Method::GET, format!("/v1/webhook_endpoints/{id}")),
        (reqwest::Method::POST, format!("/v1/webhook_endpoints/{id}")),
        (reqwest::Method::DELETE, format!("/v1/webhook_endpoints/{id}")),
        (
            reqwest::Method::GET,
            format!("/v1/test_helpers/webhook_endpoints/{id}/attempts"),
        ),
        (reqwest::Method::GET, format!("/v1/events/{event}")),
        (reqwest::Method::POST, format!("/v1/test_helpers/events/{event}/resend")),
    ] {
        let (status, body) = json(as_other(method.clone(), path.clone()).send().await.unwrap()).await;
        assert_error(status, &body, 404, Some("resource_missing"), None);
    }
    let (_, list) = json(
        as_other(reqwest::Method::GET, "/v1/events".into())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(list["data"], json!([]));
    let (_, list) = json(
        as_other(reqwest::Method::GET, "/v1/webhook_endpoints".into())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(list["data"], json!([]));
    let (status, still) = json(app.get(&format!("/v1/webhook_endpoints/{id}")).await).await;
    assert_eq!((status, still["status"].as_str()), (200, Some("enabled")));
}

async fn the_python_sdk_manages_endpoints_and_reads_events_in_stripes_shapes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk/webhook_sdk.py");
    let spec = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/stripe/fc-subset.json");
    let out = std::process::Command::new(crate::sdk::python())
        .args([script, &app.base, spec])
        .output()
        .expect("the SDK interpreter runs (scripts/test installs it)");
    assert!(
        out.status.success(),
        "webhook_sdk.py failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
