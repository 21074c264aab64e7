//! Customers end to end: create, retrieve, update, list filters, delete, isolation.

use reqwest::Method;
use serde_json::json;

use crate::both_stores;
use crate::harness::{Backend, TestApp, assert_error, json};

both_stores!(
    create_returns_the_customer_in_stripes_shape,
    retrieve_update_and_delete_round_trip,
    update_clears_fields_with_empty_strings,
    list_filters_by_email_and_created,
    another_platforms_key_sees_nothing,
    json_bodies_work_like_forms,
    update_with_a_bad_field_writes_nothing,
);

async fn create_returns_the_customer_in_stripes_shape(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let c = app
        .customer(&[
            ("name", "Jenny Rosen"),
            ("email", "jennyrosen@example.com"),
            ("phone", "+1 212-555-5555"),
            ("address[line1]", "354 Oyster Point Blvd"),
            ("address[city]", "South San Francisco"),
            ("address[state]", "CA"),
            ("address[postal_code]", "94080"),
            ("address[country]", "US"),
            ("metadata[order]", "6735"),
        ])
        .await;
    let id = c["id"].as_str().unwrap();
    assert!(id.starts_with("cus_") && id.len() == 18, "{id}");
    assert_eq!(c["object"], "customer");
    assert_eq!(c["livemode"], false);
    assert_eq!(c["name"], "Jenny Rosen");
    assert_eq!(c["phone"], "+1 212-555-5555");
    assert_eq!(
        c["address"],
        json!({"line1": "354 Oyster Point Blvd", "line2": null, "city": "South San Francisco",
               "state": "CA", "postal_code": "94080", "country": "US"})
    );
    assert_eq!(c["metadata"], json!({"order": "6735"}));
    assert!(c["created"].as_i64().unwrap() > 1_700_000_000);
}

async fn retrieve_update_and_delete_round_trip(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let c = app
        .customer(&[("name", "Jenny Rosen"), ("metadata[a]", "1"), ("metadata[b]", "2")])
        .await;
    let path = format!("/v1/customers/{}", c["id"].as_str().unwrap());

    let (status, got) = json(app.get(&path).await).await;
    assert_eq!(status, 200);
    assert_eq!(got, c);

    let (status, updated) = json(
        app.post(
            &path,
            &[("email", "j@example.com"), ("metadata[a]", ""), ("metadata[c]", "3")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(updated["email"], "j@example.com");
    assert_eq!(updated["name"], "Jenny Rosen", "untouched fields stay");
    assert_eq!(updated["metadata"], json!({"b": "2", "c": "3"}));

    let (status, deleted) = json(app.delete(&path).await).await;
    assert_eq!(status, 200);
    assert_eq!(deleted, json!({"id": c["id"], "object": "customer", "deleted": true}));

    let (status, after) = json(app.get(&path).await).await;
    assert_eq!(status, 200, "a deleted customer still reads, as its stub");
    assert_eq!(after["deleted"], true);

    let (status, body) = json(app.post(&path, &[("name", "x")]).await).await;
    assert_error(status, &body, 404, Some("resource_missing"), None);
    let (status, body) = json(app.delete(&path).await).await;
    assert_error(status, &body, 404, Some("resource_missing"), None);

    let (_, list) = json(app.get("/v1/customers").await).await;
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        0,
        "deleted customers are not listed"
    );
}

async fn update_clears_fields_with_empty_strings(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let c = app
        .customer(&[("name", "Jenny"), ("address[city]", "SSF"), ("metadata[a]", "1")])
        .await;
    let path = format!("/v1/customers/{}", c["id"].as_str().unwrap());
    let (_, updated) = json(
        app.post(&path, &[("name", ""), ("address", ""), ("metadata", "")])
            .await,
    )
    .await;
    assert_eq!(updated["name"], json!(null));
    assert_eq!(updated["address"], json!(null));
    assert_eq!(updated["metadata"], json!({}));
}

async fn list_filters_by_email_and_created(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.customer(&[("email", "a@example.com")]).await;
    let _b = app.customer(&[("email", "b@example.com")]).await;
    let (_, list) = json(app.get("/v1/customers?email=a@example.com").await).await;
    let ids: Vec<_> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(ids, vec![a["id"].clone()]);

    let (_, list) = json(app.get("/v1/customers?email=A@example.com").await).await;
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        0,
        "the email filter is case-sensitive, as Stripe's"
    );

    let created = a["created"].as_i64().unwrap();
    let (_, list) = json(app.get(&format!("/v1/customers?created[gte]={created}")).await).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    let (_, list) = json(app.get(&format!("/v1/customers?created[lt]={created}")).await).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0);
    let (_, list) = json(app.get(&format!("/v1/customers?created={}", created + 100_000)).await).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0);

    let (status, body) = json(app.get("/v1/customers?created[gte]=yesterday").await).await;
    assert_error(
        status,
        &body,
        400,
        Some("parameter_invalid_integer"),
        Some("created[gte]"),
    );
    let (status, body) = json(app.get("/v1/customers?created[after]=1").await).await;
    assert_error(status, &body, 400, Some("parameter_unknown"), Some("created[after]"));
}

async fn another_platforms_key_sees_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let c = app.customer(&[("name", "Jenny Rosen")]).await;
    let other_key = create_platform_key(&app).await;
    let path = format!("/v1/customers/{}", c["id"].as_str().unwrap());

    let res = app
        .client
        .get(app.url(&path))
        .bearer_auth(&other_key)
        .send()
        .await
        .unwrap();
    let (status, body) = json(res).await;
    assert_error(status, &body, 404, Some("resource_missing"), None);
    assert!(
        !body.to_string().contains("Jenny"),
        "no data of the other platform leaks"
    );

    let res = app
        .client
        .post(app.url(&path))
        .bearer_auth(&other_key)
        .form(&[("name", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&other_key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = app
        .client
        .get(app.url("/v1/customers"))
        .bearer_auth(&other_key)
        .send()
        .await
        .unwrap();
    let (_, list) = json(res).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0);

    let (_, still) = json(app.get(&path).await).await;
    assert_eq!(still["name"], "Jenny Rosen", "the owner's object is untouched");
}

/// Creates a second platform and key the way `sandbank keys create` does.
pub async fn create_platform_key(app: &TestApp) -> String {
    use sandbank::domain::platform::{ApiKey, Platform};
    let store = sandbank::startup::open_store(&app.settings).await.unwrap();
    let platform = Platform {
        id: format!("acct_{}", sandbank::domain::ids::random_base62(16)),
        name: "Other".into(),
        created: 1,
    };
    store.insert_platform(&platform).await.unwrap();
    let key = ApiKey::generate();
    store
        .insert_api_key(key.hash(), &platform.id, &key.last4(), None, 1)
        .await
        .unwrap();
    key.as_str().to_owned()
}

async fn json_bodies_work_like_forms(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let res = app
        .request(Method::POST, "/v1/customers")
        .json(&json!({"name": "Jenny Rosen", "address": {"city": "SSF"}, "metadata": {"n": 5}}))
        .send()
        .await
        .unwrap();
    let (status, c) = json(res).await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["address"]["city"], "SSF");
    assert_eq!(c["metadata"]["n"], "5", "metadata values are strings");

    let res = app
        .request(Method::POST, "/v1/customers")
        .json(&json!({"name": {"first": "x"}}))
        .send()
        .await
        .unwrap();
    let (status, body) = json(res).await;
    assert_error(status, &body, 400, Some("parameter_invalid"), Some("name"));

    let res = app
        .request(Method::POST, "/v1/customers")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (status, body) = json(res).await;
    assert_error(status, &body, 400, None, None);
}

async fn update_with_a_bad_field_writes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let c = app.customer(&[("name", "Jenny")]).await;
    let path = format!("/v1/customers/{}", c["id"].as_str().unwrap());
    let long_email = "x".repeat(600);
    let (status, body) = json(app.post(&path, &[("name", "Changed"), ("email", &long_email)]).await).await;
    assert_error(status, &body, 400, None, Some("email"));
    let (_, after) = json(app.get(&path).await).await;
    assert_eq!(after["name"], "Jenny");

    let keys: Vec<String> = (0..51).map(|i| format!("metadata[k{i}]")).collect();
    let form: Vec<(&str, &str)> = keys.iter().map(|k| (k.as_str(), "v")).collect();
    let (status, body) = json(app.post(&path, &form).await).await;
    assert_error(status, &body, 400, None, Some("metadata"));
}
