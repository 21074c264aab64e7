//! `/v1/financial_connections/sessions` and institutions: shapes and every validation error.

use serde_json::Value;

use crate::both_stores;
use crate::harness::{Backend, TestApp, assert_error, json};

both_stores!(
    a_session_has_stripes_shape_and_a_hosted_url,
    session_parameters_are_validated,
    sessions_are_private_to_their_platform,
    institutions_are_listed_in_the_preview_shape
);

pub async fn customer_id(app: &TestApp) -> String {
    app.customer(&[("name", "Jenny Rosen"), ("email", "jennyrosen@example.com")])
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub async fn create_session(app: &TestApp, customer: &str, extra: &[(&str, &str)]) -> Value {
    let mut form = vec![
        ("account_holder[type]", "customer"),
        ("account_holder[customer]", customer),
        ("permissions[0]", "ownership"),
        ("permissions[1]", "balances"),
        ("permissions[2]", "transactions"),
        ("prefetch[]", "ownership"),
    ];
    form.extend_from_slice(extra);
    let (status, session) = json(app.post("/v1/financial_connections/sessions", &form).await).await;
    assert_eq!(status, 200, "{session}");
    session
}

async fn a_session_has_stripes_shape_and_a_hosted_url(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let s = create_session(&app, &customer, &[("return_url", "https://example.com/done")]).await;
    assert!(s["id"].as_str().unwrap().starts_with("fcsess_"));
    assert_eq!(s["object"], "financial_connections.session");
    assert!(
        s["client_secret"]
            .as_str()
            .unwrap()
            .starts_with("fcsess_client_secret_")
    );
    assert_eq!(
        s["account_holder"],
        serde_json::json!({"type": "customer", "customer": customer})
    );
    assert_eq!(
        s["permissions"],
        serde_json::json!(["balances", "ownership", "transactions"])
    );
    assert_eq!(s["prefetch"], serde_json::json!(["ownership"]));
    assert_eq!(s["status"], "pending");
    assert_eq!(s["livemode"], false);
    assert_eq!(s["accounts"]["object"], "list");
    assert_eq!(s["accounts"]["data"], serde_json::json!([]));
    assert_eq!(s["return_url"], "https://example.com/done");
    let url = s["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/link/", app.base)), "{url}");

    let (status, got) = json(
        app.get(&format!(
            "/v1/financial_connections/sessions/{}",
            s["id"].as_str().unwrap()
        ))
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(got, s);

    let page = app.client.get(url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Sandbank National"), "the picker lists the sandbox banks");

    let (status, expanded) = json(
        app.get(&format!(
            "/v1/financial_connections/sessions/{}?expand[]=account_holder.customer",
            s["id"].as_str().unwrap()
        ))
        .await,
    )
    .await;
    assert_eq!(status, 200, "{expanded}");
    assert_eq!(
        expanded["account_holder"]["customer"]["email"],
        "jennyrosen@example.com"
    );
}

async fn session_parameters_are_validated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let c = customer.as_str();
    type Case<'a> = (Vec<(&'a str, &'a str)>, Option<&'a str>, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            vec![("permissions[]", "ownership")],
            Some("parameter_missing"),
            "account_holder",
        ),
        (
            vec![("account_holder[type]", "customer"), ("account_holder[customer]", c)],
            Some("parameter_missing"),
            "permissions",
        ),
        (
            vec![("account_holder[type]", "customer"), ("permissions[]", "ownership")],
            Some("parameter_missing"),
            "account_holder[customer]",
        ),
        (
            vec![("account_holder[type]", "nobody"), ("permissions[]", "ownership")],
            Some("parameter_invalid"),
            "account_holder[type]",
        ),
        (
            vec![
                ("account_holder[type]", "customer"),
                ("account_holder[customer]", "cus_missing"),
                ("permissions[]", "ownership"),
            ],
            Some("resource_missing"),
            "account_holder[customer]",
        ),
        (
            vec![
                ("account_holder[type]", "customer"),
                ("account_holder[customer]", c),
                ("permissions[]", "everything"),
            ],
            Some("parameter_invalid"),
            "permissions[0]",
        ),
        (
            vec![
                ("account_holder[type]", "customer"),
                ("account_holder[customer]", c),
                ("permissions[]", "balances"),
                ("prefetch[]", "ownership"),
            ],
            Some("parameter_invalid"),
            "prefetch",
        ),
        (
            vec![
                ("account_holder[type]", "customer"),
                ("account_holder[customer]", c),
                ("permissions[]", "balances"),
                ("prefetch[]", "balance"),
            ],
            Some("parameter_invalid"),
            "prefetch[0]",
        ),
        (
            vec![
                ("account_holder[type]", "customer"),
                ("account_holder[customer]", c),
                ("permissions[]", "balances"),
                ("filters[countries][]", "usa"),
            ],
            Some("parameter_invalid"),
            "filters[countries][0]",
        ),
        (
            vec![
                ("account_holder[type]", "customer"),
                ("account_holder[customer]", c),
                ("permissions[]", "balances"),
                ("filters[account_subcategories][]", "crypto"),
            ],
            Some("parameter_invalid"),
            "filters[account_subcategories][0]",
        ),
        (
            vec![
                ("account_holder[type]", "customer"),
                ("account_holder[customer]", c),
                ("permissions[]", "balances"),
                ("limits[accounts]", "0"),
            ],
            Some("parameter_invalid"),
            "limits[accounts]",
        ),
        (
            vec![
                ("account_holder[type]", "customer"),
                ("account_holder[customer]", c),
                ("permissions[]", "balances"),
                ("limits[accounts]", "many"),
            ],
            Some("parameter_invalid_integer"),
            "limits[accounts]",
        ),
        (
            vec![
                ("account_holder[type]", "customer"),
                ("account_holder[customer]", c),
                ("permissions[]", "balances"),
                ("return_url", "example.com"),
            ],
            Some("parameter_invalid"),
            "return_url",
        ),
        (
            vec![
                ("account_holder[type]", "customer"),
                ("account_holder[customer]", c),
                ("permissions[]", "balances"),
                ("colour", "red"),
            ],
            Some("parameter_unknown"),
            "colour",
        ),
    ];
    for (form, code, param) in cases {
        let (status, err) = json(app.post("/v1/financial_connections/sessions", &form).await).await;
        assert_error(status, &err, 400, code, Some(param));
    }
    let (status, err) = json(app.get("/v1/financial_connections/sessions/fcsess_nope").await).await;
    assert_error(status, &err, 404, Some("resource_missing"), None);
}

async fn sessions_are_private_to_their_platform(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = customer_id(&app).await;
    let s = create_session(&app, &customer, &[]).await;
    let other = crate::customers::create_platform_key(&app).await;
    let res = app
        .client
        .get(app.url(&format!(
            "/v1/financial_connections/sessions/{}",
            s["id"].as_str().unwrap()
        )))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // Another platform cannot open a session on our customer either.
    let res = app
        .client
        .post(app.url("/v1/financial_connections/sessions"))
        .bearer_auth(&other)
        .form(&[
            ("account_holder[type]", "customer"),
            ("account_holder[customer]", customer.as_str()),
            ("permissions[]", "balances"),
        ])
        .send()
        .await
        .unwrap();
    let (status, err) = json(res).await;
    assert_error(
        status,
        &err,
        400,
        Some("resource_missing"),
        Some("account_holder[customer]"),
    );
}

async fn institutions_are_listed_in_the_preview_shape(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, list) = json(app.get("/v1/financial_connections/institutions?limit=100").await).await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    for expected in ["fcinst_sandbank", "fcinst_ownership", "fcinst_down", "fcinst_slow"] {
        assert!(ids.contains(&expected), "{ids:?}");
    }
    let (status, one) = json(app.get("/v1/financial_connections/institutions/fcinst_sandbank").await).await;
    assert_eq!(status, 200);
    assert_eq!(one["object"], "financial_connections.institution");
    assert_eq!(one["features"]["ownership"]["supported"], true);
    assert_eq!(one["countries"], serde_json::json!(["US"]));
    let (_, page) = json(app.get("/v1/financial_connections/institutions?limit=2").await).await;
    assert_eq!(page["has_more"], true);
    let last = page["data"][1]["id"].as_str().unwrap();
    let (_, next) = json(
        app.get(&format!(
            "/v1/financial_connections/institutions?limit=2&starting_after={last}"
        ))
        .await,
    )
    .await;
    assert_ne!(next["data"][0]["id"], page["data"][0]["id"]);
    let (status, err) = json(app.get("/v1/financial_connections/institutions/fcinst_nope").await).await;
    assert_error(status, &err, 404, Some("resource_missing"), None);
}
