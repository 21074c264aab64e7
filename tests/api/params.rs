//! Parameter conventions: nesting, types, unknown parameters, bodies, unknown URLs.

use reqwest::Method;

use crate::both_stores;
use crate::harness::{Backend, TestApp, assert_error, json};

both_stores!(
    malformed_nesting_is_400_naming_the_key,
    unknown_and_mistyped_parameters_are_named,
    oversized_bodies_are_413,
    unknown_urls_and_methods_are_404
);

async fn malformed_nesting_is_400_naming_the_key(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (body, param) in [
        ("address[city=SSF", "address[city"),
        ("address]=x", "address]"),
        ("name=a&name[first]=b", "name[first]"),
        ("metadata[][x]=1", "metadata[][x]"),
    ] {
        let res = app
            .request(Method::POST, "/v1/customers")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        let (status, err) = json(res).await;
        assert_error(status, &err, 400, Some("parameter_invalid"), Some(param));
    }
    let (_, list) = json(app.get("/v1/customers").await).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0, "nothing half-written");
}

async fn unknown_and_mistyped_parameters_are_named(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: &[Case<'_>] = &[
        (&[("nickname", "J")], "parameter_unknown", "nickname"),
        (&[("address[town]", "SSF")], "parameter_unknown", "address[town]"),
        (&[("address", "SSF")], "parameter_invalid", "address"),
        (&[("metadata", "x")], "parameter_invalid", "metadata"),
        (&[("metadata[a][b]", "x")], "parameter_invalid", "metadata[a]"),
        (&[("name[0]", "x")], "parameter_invalid", "name"),
    ];
    for (form, code, param) in cases {
        let (status, err) = json(app.post("/v1/customers", form).await).await;
        assert_error(status, &err, 400, Some(code), Some(param));
    }
    let (status, err) = json(app.get("/v1/customers?limit=ten").await).await;
    assert_error(status, &err, 400, Some("parameter_invalid_integer"), Some("limit"));
    let (status, err) = json(app.get("/v1/customers?colour=red").await).await;
    assert_error(status, &err, 400, Some("parameter_unknown"), Some("colour"));
}

async fn oversized_bodies_are_413(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let big = "x".repeat(app.settings.body_limit + 10);
    let res = app
        .request(Method::POST, "/v1/customers")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("description={big}"))
        .send()
        .await
        .unwrap();
    let (status, err) = json(res).await;
    assert_error(status, &err, 413, None, None);
}

async fn unknown_urls_and_methods_are_404(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, err) = json(app.get("/v1/charges").await).await;
    assert_error(status, &err, 404, None, None);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Unrecognized request URL (GET: /v1/charges)")
    );
    let res = app.request(Method::PUT, "/v1/customers").send().await.unwrap();
    let (status, err) = json(res).await;
    assert_error(status, &err, 404, None, None);
}

both_stores!(
    nul_characters_are_refused_naming_the_parameter,
    shape_errors_speak_stripes_terms
);

async fn nul_characters_are_refused_naming_the_parameter(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let form = |body: &'static str| {
        app.request(Method::POST, "/v1/customers")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let (status, err) = json(form("name=%00nul").await.unwrap()).await;
    assert_error(status, &err, 400, Some("parameter_invalid"), Some("name"));
    let (status, err) = json(form("address[city]=a%00b").await.unwrap()).await;
    assert_error(status, &err, 400, Some("parameter_invalid"), Some("address[city]"));
    let res = app
        .request(Method::POST, "/v1/customers")
        .json(&serde_json::json!({"description": "a\u{0}b"}))
        .send()
        .await
        .unwrap();
    let (status, err) = json(res).await;
    assert_error(status, &err, 400, Some("parameter_invalid"), Some("description"));
    let (status, err) = json(app.get("/v1/customers?email=%00").await).await;
    assert_error(status, &err, 400, Some("parameter_invalid"), Some("email"));
    let (status, _) = json(app.get("/v1/customers/cus_%00").await).await;
    assert_eq!(status, 400);
    let (_, list) = json(app.get("/v1/customers").await).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0, "nothing stored");

    // The banks refuse it too: dynamic registration, and forms (where a NUL field is absent).
    let res = app
        .client
        .post(app.url("/bank/fcinst_sandbank/oauth/register"))
        .header("content-type", "application/json")
        .body(r#"{"redirect_uris":["https://x.example/cb"],"client_name":"a\u0000b"}"#)
        .send()
        .await
        .unwrap();
    let (status, err) = json(res).await;
    assert_eq!((status, err["error"].as_str()), (400, Some("invalid_client_metadata")));
    let res = app
        .client
        .post(app.url("/bank/fcinst_sandbank/connected-apps/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("username=jen%00ny&password=password123&code=000000")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
}

async fn shape_errors_speak_stripes_terms(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, err) = json(app.post("/v1/customers", &[("address", "Berlin")]).await).await;
    assert_error(status, &err, 400, Some("parameter_invalid"), Some("address"));
    let message = err["error"]["message"].as_str().unwrap();
    assert!(!message.contains("struct") && !message.contains("Param"), "{message}");
    let long = "n".repeat(257);
    let (status, err) = json(app.post("/v1/customers", &[("name", long.as_str())]).await).await;
    assert_error(status, &err, 400, None, Some("name"));
}
