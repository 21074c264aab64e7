//! List objects: newest first, cursors both ways, limits, and `expand[]`.

use serde_json::Value;

use crate::both_stores;
use crate::harness::{Backend, TestApp, assert_error, json};

both_stores!(
    pages_walk_forward_and_back_newest_first,
    limits_and_cursors_are_validated,
    expand_paths_are_checked
);

fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn pages_walk_forward_and_back_newest_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut created = Vec::new();
    for i in 0..7 {
        let c = app.customer(&[("name", &format!("c{i}"))]).await;
        created.push(c["id"].as_str().unwrap().to_owned());
    }
    let newest_first: Vec<String> = created.iter().rev().cloned().collect();

    let (_, page1) = json(app.get("/v1/customers?limit=3").await).await;
    assert_eq!(page1["object"], "list");
    assert_eq!(page1["url"], "/v1/customers");
    assert_eq!(ids(&page1), newest_first[0..3]);
    assert_eq!(page1["has_more"], true);

    let (_, page2) = json(
        app.get(&format!("/v1/customers?limit=3&starting_after={}", newest_first[2]))
            .await,
    )
    .await;
    assert_eq!(ids(&page2), newest_first[3..6]);
    assert_eq!(page2["has_more"], true);
    let (_, page3) = json(
        app.get(&format!("/v1/customers?limit=3&starting_after={}", newest_first[5]))
            .await,
    )
    .await;
    assert_eq!(ids(&page3), newest_first[6..7]);
    assert_eq!(page3["has_more"], false);

    let (_, back) = json(
        app.get(&format!("/v1/customers?limit=2&ending_before={}", newest_first[5]))
            .await,
    )
    .await;
    assert_eq!(ids(&back), newest_first[3..5], "still newest first");
    assert_eq!(back["has_more"], true);
    let (_, back) = json(
        app.get(&format!("/v1/customers?limit=10&ending_before={}", newest_first[2]))
            .await,
    )
    .await;
    assert_eq!(ids(&back), newest_first[0..2]);
    assert_eq!(back["has_more"], false);

    let (_, all) = json(app.get("/v1/customers?limit=100").await).await;
    assert_eq!(ids(&all), newest_first);
    let (_, default) = json(app.get("/v1/customers").await).await;
    assert_eq!(ids(&default).len(), 7);
}

async fn limits_and_cursors_are_validated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for limit in ["0", "101", "-1"] {
        let (status, err) = json(app.get(&format!("/v1/customers?limit={limit}")).await).await;
        assert_error(status, &err, 400, Some("parameter_invalid_integer"), Some("limit"));
    }
    let (status, err) = json(app.get("/v1/customers?starting_after=cus_doesnotexist").await).await;
    assert_error(status, &err, 400, Some("resource_missing"), Some("starting_after"));
    let (status, err) = json(app.get("/v1/customers?ending_before=cus_doesnotexist").await).await;
    assert_error(status, &err, 400, Some("resource_missing"), Some("ending_before"));
    let c = app.customer(&[]).await;
    let id = c["id"].as_str().unwrap();
    let (status, err) = json(
        app.get(&format!("/v1/customers?starting_after={id}&ending_before={id}"))
            .await,
    )
    .await;
    assert_error(status, &err, 400, None, None);
}

async fn expand_paths_are_checked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let c = app.customer(&[("address[city]", "SSF")]).await;
    let path = format!("/v1/customers/{}", c["id"].as_str().unwrap());
    // Null references expand to null, as on Stripe.
    let (status, got) = json(
        app.get(&format!("{path}?expand[]=default_source&expand[]=test_clock"))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{got}");
    for bad in ["address", "name", "nonexistent", "a.b.c.d.e"] {
        let (status, err) = json(app.get(&format!("{path}?expand[]={bad}")).await).await;
        assert_error(status, &err, 400, None, Some("expand"));
    }
    let (status, _) = json(app.get("/v1/customers?expand[]=data.default_source").await).await;
    assert_eq!(status, 200);
    let (status, err) = json(app.get("/v1/customers?expand[0]=data.address").await).await;
    assert_error(status, &err, 400, None, Some("expand"));
}
