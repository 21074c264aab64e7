//! The ownership-match quota counts per bank account: linking the same bank account again
//! (a new session, a new `fca_…`) shares the quota of its earlier links, so relinking buys no
//! fresh guesses. Another bank account keeps its own quota.

use serde_json::Value;

use crate::both_stores;
use crate::harness::{Backend, TestApp, assert_error, json};
use crate::ownership_match::{jenny, post_match};

both_stores!(relinking_the_same_bank_account_shares_its_quota);

/// Links all of jenny's bank accounts at the default institution, ownership prefetched, and
/// returns the linked accounts by display name.
async fn link_again(app: &TestApp, customer: &str) -> Vec<(String, String)> {
    let (status, session) = json(
        app.post(
            "/v1/financial_connections/sessions",
            &[
                ("account_holder[type]", "customer"),
                ("account_holder[customer]", customer),
                ("permissions[]", "ownership"),
                ("prefetch[]", "ownership"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{session}");
    let complete = format!(
        "/v1/test_helpers/financial_connections/sessions/{}/complete",
        session["id"].as_str().unwrap()
    );
    let (status, done) = json(app.post(&complete, &[]).await).await;
    assert_eq!(status, 200, "{done}");
    app.drain_refreshes().await;
    let mut accounts: Vec<(String, String)> = done["accounts"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a: &Value| {
            let name = format!("{}/{}", a["display_name"], a["last4"]);
            (name, a["id"].as_str().unwrap().to_owned())
        })
        .collect();
    accounts.sort();
    accounts
}

async fn guess(app: &TestApp, account: &str, name: &str) -> (u16, Value) {
    post_match(
        app,
        &[
            ("financial_connections_account", account),
            ("owner_information[name]", name),
        ],
    )
    .await
}

async fn relinking_the_same_bank_account_shares_its_quota(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = jenny(&app).await;
    let links = [
        link_again(&app, &customer).await,
        link_again(&app, &customer).await,
        link_again(&app, &customer).await,
    ];
    let (bank_account, first) = &links[0][0];
    let same: Vec<&str> = links
        .iter()
        .map(|l| {
            let (name, id) = &l[0];
            assert_eq!(name, bank_account, "each link holds the same bank accounts");
            id.as_str()
        })
        .collect();
    assert_eq!(same[0], first);
    assert!(
        same[0] != same[1] && same[1] != same[2],
        "three links, three accounts: {same:?}"
    );

    // Five distinct inputs spread over the three links: the quota (5) is used up…
    let names = ["Ann Rosen", "Bob Rosen", "Carl Rosen", "Dana Rosen", "Eve Rosen"];
    let spread = [same[0], same[0], same[1], same[1], same[2]];
    for (name, account) in names.iter().zip(spread) {
        let (status, m) = guess(&app, account, name).await;
        assert_eq!(status, 200, "{name} via {account}: {m}");
    }
    // …for every link of that bank account, new or old.
    for account in &same {
        let (status, err) = guess(&app, account, "Fay Rosen").await;
        assert_error(status, &err, 429, Some("rate_limit"), None);
    }
    // An input already counted for the bank account is answered, through any of its links.
    let (status, m) = guess(&app, same[2], "Ann Rosen").await;
    assert_eq!(status, 200, "{m}");
    // A fourth link gets no fresh guesses either.
    let fourth = link_again(&app, &customer).await;
    let (status, err) = guess(&app, &fourth[0].1, "Gus Rosen").await;
    assert_error(status, &err, 429, Some("rate_limit"), None);

    // Another bank account has a quota of its own.
    let (other_name, other) = &links[0][1];
    assert_ne!(other_name, bank_account);
    let (status, m) = guess(&app, other, "Fay Rosen").await;
    assert_eq!(status, 200, "{m}");
}
