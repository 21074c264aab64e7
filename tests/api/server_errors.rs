//! Every status the server itself produces is Stripe's JSON error object with a
//! `Request-Id`, over a real socket: hyper's own 414 (URI over 64 KiB) and 431 (100+ headers,
//! or too many header bytes) and 400 (not HTTP), axum's 405 and 413, the router's 404. The
//! server keeps serving after each. The 408 of the request timeout is tested in
//! `http::tests` with paused time.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::both_stores;
use crate::harness::{Backend, KEY, TestApp};

both_stores!(every_server_made_status_is_stripe_json_with_a_request_id);

/// A raw HTTP/1.1 exchange: the request's bytes, then everything until the server closes.
async fn exchange(app: &TestApp, request: &[u8]) -> (u16, Vec<(String, String)>, Value) {
    let address = app.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.unwrap();
    // The server may answer (and close) before it has read all of a huge request.
    let _ = stream.write_all(request).await;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut raw))
        .await
        .expect("the server answers and closes")
        .ok();
    let text = String::from_utf8(raw).expect("a text response");
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("a response: {text:?}"));
    let mut lines = head.lines();
    let status: u16 = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
        .collect();
    let body = serde_json::from_str(body).unwrap_or_else(|e| panic!("{status}: a JSON body ({e}): {body:?}"));
    (status, headers, body)
}

#[track_caller]
fn assert_stripe_error(what: &str, got: &(u16, Vec<(String, String)>, Value), status: u16) {
    let (got_status, headers, body) = got;
    assert_eq!(*got_status, status, "{what}: {body}");
    let header = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    assert!(
        header("request-id").is_some_and(|id| id.starts_with("req_")),
        "{what}: {headers:?}"
    );
    assert_eq!(header("content-type"), Some("application/json"), "{what}");
    assert_eq!(body["error"]["type"], "invalid_request_error", "{what}: {body}");
    assert!(
        body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: {body}"
    );
}

async fn every_server_made_status_is_stripe_json_with_a_request_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let auth = format!("Authorization: Bearer {KEY}\r\n");

    let long_uri = format!(
        "GET /v1/customers?email={} HTTP/1.1\r\nHost: x\r\n{auth}\r\n",
        "a".repeat(70_000)
    );
    assert_stripe_error("414", &exchange(&app, long_uri.as_bytes()).await, 414);

    let many: String = (0..120).map(|i| format!("X-Header-{i}: v\r\n")).collect();
    let many_headers = format!("GET /v1/customers HTTP/1.1\r\nHost: x\r\n{auth}{many}\r\n");
    assert_stripe_error("431 (count)", &exchange(&app, many_headers.as_bytes()).await, 431);

    let big_header = format!(
        "GET /v1/customers HTTP/1.1\r\nHost: x\r\n{auth}X-Big: {}\r\n\r\n",
        "a".repeat(600_000)
    );
    assert_stripe_error("431 (size)", &exchange(&app, big_header.as_bytes()).await, 431);

    assert_stripe_error("400", &exchange(&app, b"NOT HTTP AT ALL\r\n\r\n").await, 400);

    let close = "Connection: close\r\n";
    let unknown = format!("GET /v1/nowhere HTTP/1.1\r\nHost: x\r\n{auth}{close}\r\n");
    assert_stripe_error("404", &exchange(&app, unknown.as_bytes()).await, 404);
    // A known path with a method it lacks: axum's 405 outside /v1 (Stripe answers 404 there).
    for (path, status) in [("/healthz", 405), ("/readyz", 405), ("/v1/customers", 404)] {
        let wrong_method = format!("PUT {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: 0\r\n{close}\r\n");
        let got = exchange(&app, wrong_method.as_bytes()).await;
        assert_stripe_error(&format!("PUT {path}"), &got, status);
    }

    let limit = app.settings.body_limit;
    let body = format!("name={}", "a".repeat(limit));
    for idempotency in ["", "Idempotency-Key: big-1\r\n"] {
        let too_large = format!(
            "POST /v1/customers HTTP/1.1\r\nHost: x\r\n{auth}{idempotency}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n{close}\r\n{body}",
            body.len()
        );
        assert_stripe_error("413", &exchange(&app, too_large.as_bytes()).await, 413);
    }

    // Still serving.
    let res = app.get("/v1/customers").await;
    assert_eq!(res.status(), 200);
}

both_stores!(the_python_sdk_reads_the_servers_own_errors);

async fn the_python_sdk_reads_the_servers_own_errors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    crate::sdk::run_sdk_script_with(&app, "server_errors.py", &[KEY]).await;
}
