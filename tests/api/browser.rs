//! The hosted flow in a real headless Chromium (tests/browser/hosted_flow.py, Selenium):
//! a person opens the session's `url`, picks Sandbank National, logs in, passes the second
//! factor, unticks one account, approves and lands on the platform's `return_url`. The
//! platform is a tiny receiver on 127.0.0.1:0. A second session is then cancelled from its
//! picker's cancel button (a POST). `scripts/test` installs Debian's `chromium`
//! and `chromium-driver` and exports their paths (`SANDBANK_CHROMIUM`,
//! `SANDBANK_CHROMEDRIVER`); this test never skips without them.

use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::Method;
use axum::routing::get;
use serde_json::Value;

use crate::both_stores;
use crate::harness::{Backend, TestApp, json};
use crate::sdk::python;
use crate::sessions::customer_id;

both_stores!(a_person_links_accounts_in_a_real_browser);

/// Requests the platform's return page received: method and path with query.
type Hits = Arc<Mutex<Vec<(Method, String)>>>;

/// The platform's side: answers 200 on `/return` and remembers every request.
async fn platform_receiver() -> (String, Hits, tokio::task::JoinHandle<()>) {
    async fn record(State(hits): State<Hits>, method: Method, OriginalUri(uri): OriginalUri) -> &'static str {
        hits.lock().unwrap().push((method, uri.to_string()));
        "back at the platform"
    }
    let hits: Hits = Arc::default();
    let app = Router::new().route("/return", get(record)).with_state(hits.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (base, hits, server)
}

async fn a_person_links_accounts_in_a_real_browser(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (platform, hits, receiver) = platform_receiver().await;
    let return_url = format!("{platform}/return");

    let customer = customer_id(&app).await;
    let form = [
        ("account_holder[type]", "customer"),
        ("account_holder[customer]", customer.as_str()),
        ("permissions[]", "ownership"),
        ("permissions[]", "balances"),
        ("return_url", return_url.as_str()),
    ];
    let (status, session) = json(app.post("/v1/financial_connections/sessions", &form).await).await;
    assert_eq!(status, 200, "{session}");
    let session_id = session["id"].as_str().unwrap().to_owned();
    let url = session["url"].as_str().expect("a hosted flow url").to_owned();
    let cancel_return = format!("{platform}/return?via=cancel");
    let mut cancel_form = form;
    cancel_form[4] = ("return_url", cancel_return.as_str());
    let (status, to_cancel) = json(app.post("/v1/financial_connections/sessions", &cancel_form).await).await;
    assert_eq!(status, 200, "{to_cancel}");

    let store = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let shots = format!("{}/hosted_flow/{store}", env!("CARGO_TARGET_TMPDIR"));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/hosted_flow.py");
    let python = python();
    let args = [
        script.to_owned(),
        url,
        return_url.clone(),
        shots,
        "bacct_jenny_mortgage".into(),
        to_cancel["url"].as_str().unwrap().to_owned(),
        cancel_return.clone(),
    ];
    let output = tokio::task::spawn_blocking(move || Command::new(&python).args(&args).output())
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("cannot run the Python interpreter ({e}); run scripts/test, which installs it"));
    assert!(
        output.status.success(),
        "the browser did not get through the hosted flow:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );

    // The browser's GET reached the platform (the script waits until it is on that URL).
    let got = hits.lock().unwrap().clone();
    assert!(
        got.iter().any(|(m, path)| m == Method::GET && path == "/return"),
        "the platform saw {got:?}"
    );
    assert!(
        got.iter()
            .any(|(m, path)| m == Method::GET && path == "/return?via=cancel"),
        "the platform saw {got:?}"
    );
    receiver.abort();
    let (_, cancelled) = json(
        app.get(&format!(
            "/v1/financial_connections/sessions/{}",
            to_cancel["id"].as_str().unwrap()
        ))
        .await,
    )
    .await;
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");

    let (status, done) = json(
        app.get(&format!("/v1/financial_connections/sessions/{session_id}"))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["status"], "succeeded", "{done}");
    let mut linked = subcategories(&done["accounts"]);
    linked.sort();
    assert_eq!(
        linked,
        ["checking", "credit_card", "savings"],
        "exactly the accounts left ticked: {done}"
    );
    for account in done["accounts"]["data"].as_array().unwrap() {
        assert_eq!(account["institution_name"], "Sandbank National");
        assert_eq!(account["account_holder"]["customer"], customer.as_str());
        assert_eq!(account["status"], "active");
        assert_eq!(account["permissions"], serde_json::json!(["balances", "ownership"]));
    }

    let (_, listed) = json(
        app.get(&format!("/v1/financial_connections/accounts?session={session_id}"))
            .await,
    )
    .await;
    let mut listed = subcategories(&listed);
    listed.sort();
    assert_eq!(listed, linked, "the accounts list agrees with the session");
}

fn subcategories(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|a| a["subcategory"].as_str().unwrap().to_owned())
        .collect()
}
