//! The webhook sender: one POST per attempt, signed by the caller, bounded in time, never
//! following a redirect (a 3xx is a failed attempt, as at Stripe), and only to destinations
//! the policy allows — checked on every address a name resolves to at send time, through the
//! connector's own resolver, so a name re-pointed after the endpoint was created (DNS
//! rebinding) cannot reach a private address.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER, USER_AGENT};

use crate::domain::webhook_policy::DestinationPolicy;

/// The receiver's answer is kept up to this many bytes.
pub const MAX_LOGGED_BODY: usize = 1024;

/// What one attempt came to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendOutcome {
    pub status: Option<u16>,
    pub duration_ms: i64,
    pub body: Option<String>,
    pub error: Option<String>,
    /// Seconds from `Retry-After` on a 429 or 503.
    pub retry_after: Option<u64>,
}

impl SendOutcome {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Resolves with the system resolver, then drops every address the policy refuses.
struct PolicyResolver {
    policy: DestinationPolicy,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found.iter().copied().filter(|a| policy.allows(a.ip())).collect();
            if allowed.is_empty() {
                let why = if found.is_empty() {
                    format!("{host} did not resolve")
                } else {
                    format!("{host} resolves only to private, loopback or reserved addresses, which the policy refuses")
                };
                return Err(why.into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[derive(Clone)]
pub struct WebhookSender {
    client: reqwest::Client,
    policy: DestinationPolicy,
    timeout: Duration,
}

impl WebhookSender {
    pub fn new(policy: DestinationPolicy, timeout: Duration) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(PolicyResolver { policy }))
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()?;
        Ok(Self {
            client,
            policy,
            timeout,
        })
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// POSTs `payload` with its `Stripe-Signature`. Never fails: errors are the outcome.
    pub async fn send(&self, url: &str, payload: Vec<u8>, signature: &str) -> SendOutcome {
        let started = Instant::now();
        let mut outcome = match self.refused(url) {
            Some(why) => SendOutcome {
                error: Some(why),
                ..SendOutcome::default()
            },
            None => self.post(url, payload, signature).await,
        };
        outcome.duration_ms = started.elapsed().as_millis() as i64;
        outcome
    }

    /// IP literals never reach the resolver, so they are checked here.
    fn refused(&self, url: &str) -> Option<String> {
        let parsed = url::Url::parse(url).ok()?;
        let ip: IpAddr = match parsed.host()? {
            url::Host::Ipv4(ip) => ip.into(),
            url::Host::Ipv6(ip) => ip.into(),
            url::Host::Domain(_) => return None,
        };
        self.policy.check_ip(ip).err()
    }

    async fn post(&self, url: &str, payload: Vec<u8>, signature: &str) -> SendOutcome {
        let request = self
            .client
            .post(url)
            .timeout(self.timeout)
            .header(CONTENT_TYPE, "application/json; charset=utf-8")
            .header(USER_AGENT, "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
            .header("Stripe-Signature", signature)
            .body(payload);
        let mut response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                return SendOutcome {
                    error: Some(describe(&e)),
                    ..SendOutcome::default()
                };
            }
        };
        let status = response.status().as_u16();
        let retry_after = matches!(status, 429 | 503)
            .then(|| {
                response
                    .headers()
                    .get(RETRY_AFTER)?
                    .to_str()
                    .ok()?
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .flatten();
        let mut body = Vec::new();
        let mut error = None;
        // Read only what is kept; a receiver streaming a large answer does not hold us.
        while body.len() < MAX_LOGGED_BODY {
            match tokio::time::timeout(self.timeout, response.chunk()).await {
                Ok(Ok(Some(chunk))) => body.extend_from_slice(&chunk),
                Ok(Ok(None)) => break,
                Ok(Err(e)) => {
                    error = Some(describe(&e));
                    break;
                }
                Err(_) => break,
            }
        }
        SendOutcome {
            status: Some(status),
            duration_ms: 0,
            body: Some(truncate(&body)),
            error: error.or_else(|| {
                (300..400)
                    .contains(&status)
                    .then(|| "redirects are not followed".to_owned())
            }),
            retry_after,
        }
    }
}

fn truncate(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX_LOGGED_BODY)]).into_owned();
    let mut end = text.len().min(MAX_LOGGED_BODY);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    // The source chain says why (refused, resolver policy…); the URL is logged elsewhere.
    let mut detail = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {detail}")
    }
}
