//! Deeply nested parameters (`name[a][a]…`, thousands of levels) are a 400 naming the
//! parameter, by body, query, JSON and through the idempotency fingerprint, and the server
//! keeps serving: they once overflowed the parser's stack and aborted the process.

use reqwest::Method;
use serde_json::Value;

use crate::both_stores;
use crate::harness::{Backend, TestApp, assert_error, json};

both_stores!(deep_nesting_is_400_and_the_server_keeps_serving);

/// The limit sandbank documents (`http::stripe::form::MAX_DEPTH`).
const MAX_DEPTH: usize = 20;

#[track_caller]
fn assert_too_deep(status: u16, body: &Value) {
    assert_error(status, body, 400, Some("parameter_invalid"), None);
    let param = body["error"]["param"].as_str().expect("the parameter is named");
    assert!(param.starts_with("name[a][a]"), "{param}");
    assert!(param.len() < 200, "a huge name is shortened: {} bytes", param.len());
    assert!(
        body["error"]["message"].as_str().unwrap().contains("nested too deeply"),
        "{body}"
    );
}

async fn deep_nesting_is_400_and_the_server_keeps_serving(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = format!("name{}", "[a]".repeat(4_000));
    let form = format!("{key}=x");
    assert!(form.len() > 12_000);

    // A form body, plain and keyed (the key's fingerprint parses the body too).
    for idempotency_key in [None, Some("deep-1")] {
        let mut req = app
            .request(Method::POST, "/v1/customers")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.clone());
        if let Some(k) = idempotency_key {
            req = req.header("idempotency-key", k);
        }
        let res = req.send().await.unwrap();
        assert!(res.headers().contains_key("request-id"));
        let (status, body) = json(res).await;
        assert_too_deep(status, &body);
    }
    // A query string, on a read and on a write.
    let (status, body) = json(app.get(&format!("/v1/customers?{form}")).await).await;
    assert_too_deep(status, &body);
    let res = app
        .request(Method::POST, &format!("/v1/customers?{form}"))
        .send()
        .await
        .unwrap();
    let (status, body) = json(res).await;
    assert_too_deep(status, &body);

    // JSON bodies obey the same limit (serde_json alone would allow 128 levels).
    let mut nested = Value::String("x".into());
    for _ in 0..=MAX_DEPTH {
        nested = serde_json::json!({ "a": nested });
    }
    let res = app
        .request(Method::POST, "/v1/customers")
        .json(&serde_json::json!({ "name": nested }))
        .send()
        .await
        .unwrap();
    let (status, body) = json(res).await;
    assert_too_deep(status, &body);
    // …and a JSON body nested past serde_json's own limit is a 400 too.
    let deep_json = format!("{{\"name\":{}1{}}}", "[".repeat(4_000), "]".repeat(4_000));
    let res = app
        .request(Method::POST, "/v1/customers")
        .header("content-type", "application/json")
        .body(deep_json)
        .send()
        .await
        .unwrap();
    let (status, body) = json(res).await;
    assert_error(status, &body, 400, None, None);

    // At the limit a name still parses (and is then judged as any parameter: unknown here).
    let at_limit = format!("metadata{}=x", "[a]".repeat(MAX_DEPTH));
    let res = app
        .request(Method::POST, "/v1/customers")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(at_limit)
        .send()
        .await
        .unwrap();
    let (status, body) = json(res).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        !body["error"]["message"].as_str().unwrap().contains("nested too deeply"),
        "{body}"
    );

    // The server is still up, and nothing was written.
    let (status, list) = json(app.get("/v1/customers").await).await;
    assert_eq!(status, 200);
    assert_eq!(list["data"].as_array().unwrap().len(), 0, "{list}");
    let created = app.customer(&[("name", "Jenny Rosen")]).await;
    assert_eq!(created["name"], "Jenny Rosen");
}
