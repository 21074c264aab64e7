//! Latency figures of the Financial Connections paths against a running sandbank (release
//! build, loopback), printed as median / p99. Driven by `bench/fc.sh`, which starts the server;
//! run by hand with
//!
//!     cargo run --release --example fc_bench -- http://127.0.0.1:12111 complete 100
//!
//! Modes:
//! - `complete N`: session create → test-helper complete (the whole OAuth path server-side:
//!   authorize, login, second factor, consent, token exchange, data API reads, linking) →
//!   accounts listed by session. One customer; each session links jenny's checking account.
//! - `token N`: an RFC 7591 client at `fcinst_sandbank`, then per round authorize → login →
//!   second factor → consent → code (untimed set-up, reported apart) and the timed
//!   `POST /bank/fcinst_sandbank/oauth/token` (authorization_code + PKCE S256).
//! - `ownership N`: per round a session with `prefetch[]=ownership` completed by the test
//!   helper, then the account polled (every 2 ms) until `ownership_refresh.status` is
//!   `succeeded`: the time from the link's answer to that state, with the server's own refresh
//!   workers at their default settings. A benchmark may poll; the tests never do.
//! - `account`: links one account with ownership fetched and prints its id (for wrk).
//!
//! Every request goes to the base URL given (loopback); every loop is bounded by N and by a
//! per-round deadline.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use reqwest::{Client, StatusCode, redirect};
use serde_json::Value;
use sha2::{Digest, Sha256};

const KEY: &str = "sk_test_sandbank";
const BANK: &str = "fcinst_sandbank";
const REDIRECT: &str = "http://127.0.0.1:9/callback";
/// Longest a single round may take before the benchmark gives up.
const ROUND_DEADLINE: Duration = Duration::from_secs(30);

type Error = Box<dyn std::error::Error + Send + Sync>;

fn fail(message: impl Into<String>) -> Error {
    message.into().into()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: fc_bench <base url> complete|token|ownership|account [N]";
    let base = args.get(1).ok_or_else(|| fail(usage))?.trim_end_matches('/').to_owned();
    let mode = args.get(2).ok_or_else(|| fail(usage))?.as_str();
    let rounds: usize = args.get(3).map(|n| n.parse()).transpose()?.unwrap_or(50);
    if !base.starts_with("http://127.") && !base.starts_with("http://localhost") && !base.starts_with("http://[::1]") {
        return Err(fail(format!("{base}: the benchmark only talks to a loopback server")));
    }
    let api = Api::new(&base)?;
    match mode {
        "complete" => complete(&api, rounds).await,
        "token" => token(&api, rounds).await,
        "ownership" => ownership(&api, rounds).await,
        "account" => {
            let customer = api.customer().await?;
            let (_, account, _) = api.link(&customer, &[("prefetch[]", "ownership")]).await?;
            let deadline = Instant::now() + ROUND_DEADLINE;
            api.until_ownership_succeeded(&account, deadline).await?;
            println!("{account}");
            Ok(())
        }
        _ => Err(fail(usage)),
    }
}

/// Sorted durations and their summary.
struct Stats(Vec<Duration>);

impl Stats {
    fn new(mut samples: Vec<Duration>) -> Self {
        samples.sort();
        Self(samples)
    }

    fn at(&self, q: f64) -> Duration {
        let rank = ((q * self.0.len() as f64).ceil() as usize).clamp(1, self.0.len());
        self.0[rank - 1]
    }

    fn print(&self, label: &str) {
        if self.0.is_empty() {
            println!("  {label:<58} no samples");
            return;
        }
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let mean = self.0.iter().sum::<Duration>() / self.0.len() as u32;
        println!(
            "  {label:<58} n={:<4} median {:>8.2} ms  p99 {:>8.2} ms  (min {:.2}, mean {:.2}, max {:.2})",
            self.0.len(),
            ms(self.at(0.5)),
            ms(self.at(0.99)),
            ms(self.0[0]),
            ms(mean),
            ms(self.0[self.0.len() - 1]),
        );
    }
}

struct Api {
    base: String,
    http: Client,
}

impl Api {
    fn new(base: &str) -> Result<Self, Error> {
        let http = Client::builder()
            .redirect(redirect::Policy::none())
            .timeout(ROUND_DEADLINE)
            .build()?;
        Ok(Self {
            base: base.to_owned(),
            http,
        })
    }

    async fn call(&self, method: reqwest::Method, path: &str, form: &[(&str, &str)]) -> Result<Value, Error> {
        let url = format!("{}{path}", self.base);
        let request = self.http.request(method.clone(), &url).bearer_auth(KEY);
        let request = if method == reqwest::Method::GET {
            request.query(form)
        } else {
            request.form(form)
        };
        let response = request.send().await?;
        let status = response.status();
        let body: Value = response.json().await?;
        if status != StatusCode::OK {
            return Err(fail(format!("{method} {path}: {status} {body}")));
        }
        Ok(body)
    }

    async fn customer(&self) -> Result<String, Error> {
        let c = self
            .call(reqwest::Method::POST, "/v1/customers", &[("name", "Jenny Rosen")])
            .await?;
        Ok(c["id"].as_str().ok_or_else(|| fail("customer id"))?.to_owned())
    }

    /// Session create → complete → accounts listed; returns the session id, one account id and
    /// when the completion answered (the accounts are linked from then on).
    async fn link(&self, customer: &str, extra: &[(&str, &str)]) -> Result<(String, String, Instant), Error> {
        let mut form = vec![
            ("account_holder[type]", "customer"),
            ("account_holder[customer]", customer),
            ("permissions[]", "ownership"),
            ("permissions[]", "balances"),
            ("filters[account_subcategories][]", "checking"),
        ];
        form.extend_from_slice(extra);
        let session = self
            .call(reqwest::Method::POST, "/v1/financial_connections/sessions", &form)
            .await?;
        let id = session["id"].as_str().ok_or_else(|| fail("session id"))?.to_owned();
        let done = self
            .call(
                reqwest::Method::POST,
                &format!("/v1/test_helpers/financial_connections/sessions/{id}/complete"),
                &[],
            )
            .await?;
        let linked = Instant::now();
        if done["status"] != "succeeded" {
            return Err(fail(format!("session {id} ended {}", done["status"])));
        }
        let listed = self
            .call(
                reqwest::Method::GET,
                "/v1/financial_connections/accounts",
                &[("session", id.as_str())],
            )
            .await?;
        let account = listed["data"][0]["id"]
            .as_str()
            .ok_or_else(|| fail(format!("no account listed for {id}: {listed}")))?
            .to_owned();
        Ok((id, account, linked))
    }

    /// Polls the account every 2 ms until its ownership refresh succeeded.
    async fn until_ownership_succeeded(&self, account: &str, deadline: Instant) -> Result<(), Error> {
        let path = format!("/v1/financial_connections/accounts/{account}");
        loop {
            let a = self.call(reqwest::Method::GET, &path, &[]).await?;
            match a["ownership_refresh"]["status"].as_str() {
                Some("succeeded") => return Ok(()),
                Some("pending") => {}
                other => return Err(fail(format!("{account}: ownership refresh {other:?}"))),
            }
            if Instant::now() > deadline {
                return Err(fail(format!(
                    "{account}: ownership still pending after {ROUND_DEADLINE:?}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

async fn complete(api: &Api, rounds: usize) -> Result<(), Error> {
    let customer = api.customer().await?;
    // Two rounds to warm connections and caches.
    for _ in 0..2 {
        api.link(&customer, &[]).await?;
    }
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        api.link(&customer, &[]).await?;
        samples.push(start.elapsed());
    }
    Stats::new(samples).print("session create → complete → accounts listed");
    Ok(())
}

/// A registered confidential client of the bank.
struct BankClient {
    id: String,
    secret: String,
}

fn bank_url(api: &Api, rest: &str) -> String {
    format!("{}/bank/{BANK}{rest}", api.base)
}

fn location(response: &reqwest::Response) -> Result<String, Error> {
    if response.status() != StatusCode::SEE_OTHER {
        return Err(fail(format!("expected 303, got {}", response.status())));
    }
    Ok(response
        .headers()
        .get("location")
        .ok_or_else(|| fail("303 without Location"))?
        .to_str()?
        .to_owned())
}

fn query(location: &str, name: &str) -> Option<String> {
    let (_, q) = location.split_once('?')?;
    form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn pkce() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

async fn register(api: &Api) -> Result<BankClient, Error> {
    let body = serde_json::json!({
        "redirect_uris": [REDIRECT],
        "client_name": "fc_bench",
        "grant_types": ["authorization_code", "refresh_token"],
    });
    let response = api
        .http
        .post(bank_url(api, "/oauth/register"))
        .json(&body)
        .send()
        .await?;
    let status = response.status();
    let client: Value = response.json().await?;
    if status != StatusCode::CREATED {
        return Err(fail(format!("register: {status} {client}")));
    }
    Ok(BankClient {
        id: client["client_id"]
            .as_str()
            .ok_or_else(|| fail("client_id"))?
            .to_owned(),
        secret: client["client_secret"]
            .as_str()
            .ok_or_else(|| fail("client_secret"))?
            .to_owned(),
    })
}

/// Authorize → login → second factor → consent: the code and its PKCE verifier.
async fn code(api: &Api, client: &BankClient) -> Result<(String, String), Error> {
    let browser = Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .timeout(ROUND_DEADLINE)
        .build()?;
    let (verifier, challenge) = pkce();
    let authorize = browser
        .get(bank_url(api, "/oauth/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", client.id.as_str()),
            ("redirect_uri", REDIRECT),
            ("scope", "accounts balances ownership"),
            ("state", "bench"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await?;
    let request = query(&location(&authorize)?, "request").ok_or_else(|| fail("no request id"))?;
    let login = browser
        .post(bank_url(api, "/login"))
        .form(&[
            ("request", request.as_str()),
            ("username", "jenny"),
            ("password", "password123"),
        ])
        .send()
        .await?;
    location(&login)?;
    let mfa = browser
        .post(bank_url(api, "/mfa"))
        .form(&[("request", request.as_str()), ("code", "000000")])
        .send()
        .await?;
    location(&mfa)?;
    let consent = browser
        .post(bank_url(api, "/consent"))
        .form(&[
            ("request", request.as_str()),
            ("decision", "approve"),
            ("accounts", "bacct_jenny_checking"),
        ])
        .send()
        .await?;
    let back = location(&consent)?;
    let code = query(&back, "code").ok_or_else(|| fail(format!("no code in {back}")))?;
    Ok((code, verifier))
}

async fn exchange(api: &Api, client: &BankClient, code: &str, verifier: &str) -> Result<(), Error> {
    let response = api
        .http
        .post(bank_url(api, "/oauth/token"))
        .basic_auth(&client.id, Some(&client.secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ])
        .send()
        .await?;
    let status = response.status();
    let body: Value = response.json().await?;
    if status != StatusCode::OK || body["access_token"].as_str().is_none() {
        return Err(fail(format!("token: {status} {body}")));
    }
    Ok(())
}

async fn token(api: &Api, rounds: usize) -> Result<(), Error> {
    let client = register(api).await?;
    for _ in 0..2 {
        let (code, verifier) = code(api, &client).await?;
        exchange(api, &client, &code, &verifier).await?;
    }
    let (mut pages, mut exchanges, mut whole) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let start = Instant::now();
        let (code, verifier) = code(api, &client).await?;
        let got_code = Instant::now();
        exchange(api, &client, &code, &verifier).await?;
        let end = Instant::now();
        pages.push(got_code - start);
        exchanges.push(end - got_code);
        whole.push(end - start);
    }
    Stats::new(exchanges).print("POST /bank/fcinst_sandbank/oauth/token (code → tokens)");
    Stats::new(pages).print("authorize → login → second factor → consent → code");
    Stats::new(whole).print("authorize → code → token, end to end");
    Ok(())
}

async fn ownership(api: &Api, rounds: usize) -> Result<(), Error> {
    let customer = api.customer().await?;
    let (mut from_link, mut from_request) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let start = Instant::now();
        let (_, account, linked) = api.link(&customer, &[("prefetch[]", "ownership")]).await?;
        api.until_ownership_succeeded(&account, start + ROUND_DEADLINE).await?;
        let end = Instant::now();
        from_link.push(end - linked);
        from_request.push(end - start);
    }
    Stats::new(from_link).print("linked (complete answered) → ownership succeeded");
    Stats::new(from_request).print("session create → … → ownership succeeded");
    Ok(())
}
