//! Helpers for the bank tests: a client registered over RFC 7591, a browser (cookie jar, no
//! automatic redirects: each Location is followed by hand), and the OAuth calls.

use reqwest::{Client, Response, Url};
use sandbank::domain::bank::pkce::challenge_of;
use sandbank::domain::bank::secret::new_secret;
use serde_json::{Value, json};

use crate::harness::TestApp;

pub const SANDBANK: &str = "fcinst_sandbank";
pub const REDIRECT: &str = "http://127.0.0.1:9/callback";
/// Jenny's documented TOTP secret (docs/banks.md).
pub const JENNY_TOTP: &str = "SANDBANKJENNYAAA";

/// A registered client.
#[derive(Debug, Clone)]
pub struct OAuthClient {
    pub id: String,
    pub secret: Option<String>,
    pub institution: String,
}

/// A browser: cookies kept, redirects not followed.
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn bank_url(app: &TestApp, institution: &str, rest: &str) -> String {
    app.url(&format!("/bank/{institution}{rest}"))
}

pub async fn register(app: &TestApp, institution: &str, body: Value) -> (u16, Value) {
    let res = app
        .client
        .post(bank_url(app, institution, "/oauth/register"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

/// A confidential client (client_secret_basic) allowed every scope.
pub async fn client_at(app: &TestApp, institution: &str) -> OAuthClient {
    let (status, body) = register(
        app,
        institution,
        json!({"redirect_uris": [REDIRECT], "client_name": "Test App", "grant_types": ["authorization_code", "refresh_token"]}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    OAuthClient {
        id: body["client_id"].as_str().unwrap().to_owned(),
        secret: body["client_secret"].as_str().map(str::to_owned),
        institution: institution.to_owned(),
    }
}

pub fn pkce() -> (String, String) {
    let verifier = new_secret("v").replace('_', "-");
    let challenge = challenge_of(&verifier);
    (verifier, challenge)
}

/// The Location header (which must exist).
#[track_caller]
pub fn location(res: &Response) -> String {
    res.headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location on a {} response", res.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// A query parameter of a URL or server-relative path.
pub fn param(location: &str, name: &str) -> Option<String> {
    let url = Url::parse(location).unwrap_or_else(|_| Url::parse(&format!("http://x{location}")).unwrap());
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// GETs the authorize endpoint with `params` (pairs appended as given).
pub async fn authorize(app: &TestApp, browser: &Client, institution: &str, params: &[(&str, &str)]) -> Response {
    let mut url = Url::parse(&bank_url(app, institution, "/oauth/authorize")).unwrap();
    url.query_pairs_mut().extend_pairs(params);
    browser.get(url).send().await.unwrap()
}

/// The standard authorization request of `client` for `scope`.
pub async fn start(app: &TestApp, browser: &Client, client: &OAuthClient, scope: &str, challenge: &str) -> Response {
    authorize(
        app,
        browser,
        &client.institution,
        &[
            ("response_type", "code"),
            ("client_id", &client.id),
            ("redirect_uri", REDIRECT),
            ("scope", scope),
            ("state", "st-123"),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await
}

pub async fn post_form(
    app: &TestApp,
    browser: &Client,
    institution: &str,
    page: &str,
    form: &[(&str, &str)],
) -> Response {
    browser
        .post(bank_url(app, institution, page))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Posts the login page for `request` as `user` with the sandbox password.
pub async fn log_in(app: &TestApp, browser: &Client, institution: &str, request: &str, user: &str) -> Response {
    post_form(
        app,
        browser,
        institution,
        "/login",
        &[("request", request), ("username", user), ("password", "password123")],
    )
    .await
}

/// The account ids offered on a consent page.
pub fn offered_accounts(html: &str) -> Vec<String> {
    html.split("name=\"accounts\" value=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

/// Authorize → login → second factor; returns the request id, now at the consent page.
pub async fn to_consent(
    app: &TestApp,
    browser: &Client,
    client: &OAuthClient,
    user: &str,
    scope: &str,
    challenge: &str,
) -> String {
    let res = start(app, browser, client, scope, challenge).await;
    assert_eq!(res.status(), 303);
    let request = param(&location(&res), "request").expect("a request id");
    let inst = &client.institution;
    let res = log_in(app, browser, inst, &request, user).await;
    assert_eq!(res.status(), 303, "login");
    let res = post_form(app, browser, inst, "/mfa", &[("request", &request), ("code", "000000")]).await;
    assert_eq!(res.status(), 303, "mfa");
    request
}

/// The whole page flow approving `accounts` (all offered when `None`); returns the code.
pub async fn approve(
    app: &TestApp,
    client: &OAuthClient,
    user: &str,
    scope: &str,
    challenge: &str,
    accounts: Option<&[&str]>,
) -> String {
    let browser = browser();
    let request = to_consent(app, &browser, client, user, scope, challenge).await;
    let page = browser
        .get(bank_url(
            app,
            &client.institution,
            &format!("/consent?request={request}"),
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let offered = offered_accounts(&page);
    let chosen: Vec<&str> = match accounts {
        Some(list) => list.to_vec(),
        None => offered.iter().map(String::as_str).collect(),
    };
    let mut form = vec![("request", request.as_str()), ("decision", "approve")];
    form.extend(chosen.iter().map(|a| ("accounts", *a)));
    let res = post_form(app, &browser, &client.institution, "/consent", &form).await;
    assert_eq!(res.status(), 303);
    let loc = location(&res);
    assert!(loc.starts_with(REDIRECT), "{loc}");
    assert_eq!(param(&loc, "state").as_deref(), Some("st-123"));
    param(&loc, "code").expect("a code")
}

/// A call to a client-authenticated endpoint (Basic auth for confidential clients).
pub async fn client_post(app: &TestApp, client: &OAuthClient, endpoint: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let mut req = app.client.post(bank_url(app, &client.institution, endpoint));
    let mut form: Vec<(&str, &str)> = form.to_vec();
    match &client.secret {
        Some(secret) => req = req.basic_auth(&client.id, Some(secret)),
        None => form.push(("client_id", &client.id)),
    }
    let res = req.form(&form).send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub async fn exchange(app: &TestApp, client: &OAuthClient, code: &str, verifier: &str) -> (u16, Value) {
    client_post(
        app,
        client,
        "/oauth/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ],
    )
    .await
}

pub async fn refresh(app: &TestApp, client: &OAuthClient, token: &str) -> (u16, Value) {
    client_post(
        app,
        client,
        "/oauth/token",
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
    .await
}

pub async fn introspect(app: &TestApp, client: &OAuthClient, token: &str) -> Value {
    let (status, body) = client_post(app, client, "/oauth/introspect", &[("token", token)]).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// A data API GET with a bearer token.
pub async fn data(app: &TestApp, institution: &str, token: &str, path: &str) -> (u16, Value) {
    let res = app
        .client
        .get(bank_url(app, institution, &format!("/data/v1{path}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Registers a client, runs the pages as `user`, exchanges the code: the token response.
pub async fn tokens_for(app: &TestApp, institution: &str, user: &str, scope: &str) -> (OAuthClient, Value) {
    let client = client_at(app, institution).await;
    let (verifier, challenge) = pkce();
    let code = approve(app, &client, user, scope, &challenge, None).await;
    let (status, tokens) = exchange(app, &client, &code, &verifier).await;
    assert_eq!(status, 200, "{tokens}");
    (client, tokens)
}
