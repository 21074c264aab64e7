//! The hosted pages and the platform's `return_url`: a `return_url` with control characters
//! is refused at creation; the test helper's browser never leaves this server (an address
//! that only looks like it by prefix included); every HTML page of `/link` and `/bank` sends
//! the page headers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::Response;
use serde_json::Value;
use tokio::io::AsyncWriteExt;

use crate::bank_support::*;
use crate::both_stores;
use crate::harness::{Backend, TestApp, assert_error, json};
use crate::sessions::{create_session, customer_id};

both_stores!(
    a_return_url_with_control_characters_is_refused,
    the_test_helper_never_fetches_another_origin,
    every_html_page_sends_the_page_headers,
);

async fn a_return_url_with_control_characters_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    for bad in [
        "https://platform.example/back\r\nSet-Cookie: a=1",
        "https://platform.example/back\nx",
        "https://platform.example/\tback",
        "https://platform.example/\u{0}",
        "ftp://platform.example/back",
    ] {
        let form = [
            ("account_holder[type]", "customer"),
            ("account_holder[customer]", customer.as_str()),
            ("permissions[]", "balances"),
            ("return_url", bad),
        ];
        let (status, body) = json(app.post("/v1/financial_connections/sessions", &form).await).await;
        assert_error(status, &body, 400, None, Some("return_url"));
    }
}

/// A plain HTTP server on loopback that counts the connections it is sent.
async fn counting_receiver() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let _ = socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                .await;
        }
    });
    (port, hits)
}

async fn the_test_helper_never_fetches_another_origin(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (port, hits) = counting_receiver().await;
    // Starts with this server's base URL, but its host is the receiver (userinfo before '@').
    let return_url = format!("{}@127.0.0.1:{port}/after-link", app.base);
    let customer = customer_id(&app).await;
    for outcome in ["success", "cancel", "failure"] {
        let s = create_session(&app, &customer, &[("return_url", &return_url)]).await;
        let path = format!(
            "/v1/test_helpers/financial_connections/sessions/{}/complete",
            s["id"].as_str().unwrap()
        );
        let (status, done) = json(app.post(&path, &[("outcome", outcome)]).await).await;
        assert_eq!(status, 200, "{outcome}: {done}");
        assert_ne!(done["status"], "pending", "{done}");
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the platform's return_url was never fetched"
    );
}

#[track_caller]
fn assert_page_headers(res: &Response, what: &str) {
    let h = res.headers();
    let get = |name: &str| {
        h.get(name)
            .unwrap_or_else(|| panic!("{what} ({}): no {name}", res.status()))
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert!(get("content-type").starts_with("text/html"), "{what}");
    let csp = get("content-security-policy");
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"),
        "{what}: {csp}"
    );
    assert_eq!(get("x-frame-options"), "DENY", "{what}");
    assert_eq!(get("referrer-policy"), "no-referrer", "{what}");
    assert_eq!(get("cache-control"), "no-store", "{what}");
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
}

async fn every_html_page_sends_the_page_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let b = browser();
    let s: Value = create_session(&app, &customer, &[]).await;
    let url = s["url"].as_str().unwrap().to_owned();
    let get = |u: String| {
        let b = b.clone();
        async move { b.get(u).send().await.unwrap() }
    };
    // The hosted link pages, success and error.
    let checks = [
        ("picker", url.clone(), 200),
        ("cancel confirmation", format!("{url}/cancel"), 200),
        ("done", format!("{url}/done"), 200),
        ("unknown link", app.url("/link/fcsess_client_secret_nope"), 404),
        ("expired callback", app.url("/link/callback"), 400),
    ];
    for (what, u, status) in checks {
        let res = get(u).await;
        assert_eq!(res.status(), status, "{what}");
        assert_page_headers(&res, what);
    }
    // The bank pages, through a whole sign-in.
    let client = client_at(&app, SANDBANK).await;
    let (_, challenge) = pkce();
    let res = start(&app, &b, &client, "accounts", &challenge).await;
    let request = param(&location(&res), "request").unwrap();
    for (what, page, status) in [
        ("login", format!("/login?request={request}"), 200),
        ("bad request id", "/login?request=areq_nope".to_owned(), 400),
        ("connected apps sign-in", "/connected-apps".to_owned(), 200),
    ] {
        let res = get(bank_url(&app, SANDBANK, &page)).await;
        assert_eq!(res.status(), status, "{what}");
        assert_page_headers(&res, what);
    }
    let res = get(app.url("/bank/fcinst_nope/login")).await;
    assert_eq!(res.status(), 404);
    assert_page_headers(&res, "unknown bank");
    let res = post_form(
        &app,
        &b,
        SANDBANK,
        "/login",
        &[("request", &request), ("username", "jenny"), ("password", "wrong")],
    )
    .await;
    assert_eq!(res.status(), 401);
    assert_page_headers(&res, "wrong password");
    assert_eq!(log_in(&app, &b, SANDBANK, &request, "jenny").await.status(), 303);
    let res = get(bank_url(&app, SANDBANK, &format!("/mfa?request={request}"))).await;
    assert_page_headers(&res, "second factor");
    let res = post_form(&app, &b, SANDBANK, "/mfa", &[("request", &request), ("code", "000000")]).await;
    assert_eq!(res.status(), 303);
    let res = get(bank_url(&app, SANDBANK, &format!("/consent?request={request}"))).await;
    assert_eq!(res.status(), 200);
    assert_page_headers(&res, "consent");
    // The sign-in limit's page: five free failures, then the sixth attempt waits.
    for attempt in 1..=6 {
        let res = post_form(
            &app,
            &browser(),
            SANDBANK,
            "/connected-apps/login",
            &[("username", "mark"), ("password", "wrong"), ("code", "000000")],
        )
        .await;
        if attempt < 6 {
            assert_eq!(res.status(), 401, "attempt {attempt}");
        } else {
            assert_eq!(res.status(), 429);
            assert_page_headers(&res, "sign-in limit");
        }
    }
}
