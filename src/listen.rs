//! `sandbank listen --forward-to URL`: what `stripe listen` does for Stripe, for a running
//! sandbank. It registers a temporary webhook endpoint pointing at a receiver it runs on
//! loopback, prints that endpoint's `whsec_` secret (the one the developer's app verifies
//! with), checks each delivery's signature, forwards the body to the local URL re-signed with
//! the same secret and a fresh timestamp, and prints one line per event and per answer. On
//! Ctrl-C or SIGTERM it deletes its endpoint.
//!
//! Like `stripe listen`, it acknowledges every verified delivery with 200 whatever the local
//! app answered (the answer is printed): a developer restarting their app must not get the
//! endpoint retried into the disabled state.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use clap::Args;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::domain::webhook_policy::{signature_header, verify_signature};

#[derive(Debug, Clone, Args)]
pub struct ListenArgs {
    /// The local URL events are forwarded to, e.g. http://localhost:3000/webhooks.
    #[arg(long, short = 'f')]
    pub forward_to: String,
    /// The running sandbank.
    #[arg(long, env = "SANDBANK_API_BASE", default_value = "http://127.0.0.1:12111")]
    pub api_base: String,
    /// A secret key of the platform whose events are wanted.
    #[arg(
        long,
        env = "SANDBANK_API_KEY",
        default_value = "sk_test_sandbank",
        hide_env_values = true
    )]
    pub api_key: String,
    /// Comma-separated event types to receive (default: all).
    #[arg(long, short = 'e', default_value = "*", value_delimiter = ',')]
    pub events: Vec<String>,
    /// Where the receiver listens; sandbank must be able to reach it.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub bind: SocketAddr,
}

#[derive(Clone)]
struct Forwarder {
    secret: String,
    forward_to: String,
    client: reqwest::Client,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

pub async fn run(args: ListenArgs, shutdown: CancellationToken) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let receiver_url = format!("http://{}/", listener.local_addr()?);
    let api = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?;
    let base = args.api_base.trim_end_matches('/').to_owned();
    let mut form: Vec<(String, String)> = vec![
        ("url".into(), receiver_url.clone()),
        ("description".into(), format!("sandbank listen → {}", args.forward_to)),
        ("metadata[sandbank_listen]".into(), "true".into()),
    ];
    form.extend(
        args.events
            .iter()
            .map(|e| ("enabled_events[]".to_owned(), e.trim().to_owned())),
    );
    let response = api
        .post(format!("{base}/v1/webhook_endpoints"))
        .bearer_auth(&args.api_key)
        .form(&form)
        .send()
        .await
        .with_context(|| format!("cannot reach sandbank at {base}"))?;
    let status = response.status();
    let created: Value = response.json().await.context("sandbank answered without JSON")?;
    if !status.is_success() {
        anyhow::bail!(
            "sandbank refused the webhook endpoint ({status}): {}",
            created["error"]["message"]
        );
    }
    let endpoint_id = created["id"].as_str().context("no endpoint id")?.to_owned();
    let secret = created["secret"].as_str().context("no endpoint secret")?.to_owned();
    say(&format!(
        "> Ready! Your webhook signing secret is {secret} (^C to quit)\n> Forwarding events to {} (endpoint {endpoint_id})",
        args.forward_to
    ));

    let forwarder = Forwarder {
        secret,
        forward_to: args.forward_to.clone(),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()?,
    };
    let app = axum::Router::new().route("/", post(receive)).with_state(forwarder);
    let served = axum::serve(listener, app).with_graceful_shutdown(shutdown.clone().cancelled_owned());
    let result = served.await;

    let deleted = api
        .delete(format!("{base}/v1/webhook_endpoints/{endpoint_id}"))
        .bearer_auth(&args.api_key)
        .send()
        .await;
    match deleted {
        Ok(r) if r.status().is_success() => say(&format!("> Deleted webhook endpoint {endpoint_id}")),
        Ok(r) => say(&format!(
            "> Could not delete webhook endpoint {endpoint_id}: {}",
            r.status()
        )),
        Err(e) => say(&format!("> Could not delete webhook endpoint {endpoint_id}: {e}")),
    }
    Ok(result?)
}

async fn receive(State(f): State<Forwarder>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !verify_signature(&f.secret, signature, &body, now(), 300) {
        say("> Rejected a delivery whose signature does not verify");
        return StatusCode::BAD_REQUEST;
    }
    let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let id = event["id"].as_str().unwrap_or("?");
    say(&format!("--> {} [{id}]", event["type"].as_str().unwrap_or("?")));
    let resigned = signature_header(&f.secret, now(), &body);
    let sent = f
        .client
        .post(&f.forward_to)
        .header("content-type", "application/json; charset=utf-8")
        .header("stripe-signature", resigned)
        .body(body.clone())
        .send()
        .await;
    match sent {
        Ok(r) => say(&format!("<-- [{}] POST {} [{id}]", r.status().as_u16(), f.forward_to)),
        Err(e) => say(&format!("<-- [ERROR] POST {} [{id}]: {e}", f.forward_to)),
    }
    StatusCode::OK
}
