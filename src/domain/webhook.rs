//! Webhook endpoints (`webhook_endpoint`): where a platform's events are sent, which event
//! types it wants, and the secret that signs each delivery. Also the attempt log's record.

use serde_json::{Value, json};

use super::fields::{Change, Invalid, Metadata, MetadataChange, check_max_len};
use super::ids::{DEFAULT_TAIL, new_id, random_base62};
use super::webhook_policy::DestinationPolicy;

/// The event types sandbank emits or may emit, plus `customer.*`, which an endpoint may list.
/// Stripe's enum has hundreds more; naming one of those here is a typo for this product.
pub const FC_EVENT_TYPES: &[&str] = &[
    "financial_connections.account.account_numbers_updated",
    "financial_connections.account.created",
    "financial_connections.account.deactivated",
    "financial_connections.account.disconnected",
    "financial_connections.account.expected_deactivation_date_updated",
    "financial_connections.account.reactivated",
    "financial_connections.account.refreshed_balance",
    "financial_connections.account.refreshed_ownership",
    "financial_connections.account.refreshed_transactions",
    "financial_connections.account.supported_payment_method_types_updated",
    "financial_connections.account.upcoming_account_number_expiry",
    "financial_connections.account.upcoming_deactivation",
    "financial_connections.authorization.expected_deactivation_date_updated",
    "financial_connections.authorization.upcoming_deactivation",
];

const CUSTOMER_EVENT_TYPES: &[&str] = &[
    "customer.created",
    "customer.deleted",
    "customer.discount.created",
    "customer.discount.deleted",
    "customer.discount.updated",
    "customer.source.created",
    "customer.source.deleted",
    "customer.source.expiring",
    "customer.source.updated",
    "customer.subscription.created",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.pending_update_applied",
    "customer.subscription.pending_update_expired",
    "customer.subscription.resumed",
    "customer.subscription.trial_will_end",
    "customer.subscription.updated",
    "customer.tax_id.created",
    "customer.tax_id.deleted",
    "customer.tax_id.updated",
    "customer.updated",
];

/// Synthetic events from `POST /v1/test_helpers/events` (reached by `*` only, like Stripe's
/// events that need no explicit selection).
pub const TEST_HELPER_EVENT_TYPE: &str = "test_helper.event";

pub fn is_known_event_type(t: &str) -> bool {
    t == "*" || FC_EVENT_TYPES.contains(&t) || CUSTOMER_EVENT_TYPES.contains(&t)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointStatus {
    Enabled,
    Disabled,
}

impl EndpointStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointStatus::Enabled => "enabled",
            EndpointStatus::Disabled => "disabled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "enabled" => Some(EndpointStatus::Enabled),
            "disabled" => Some(EndpointStatus::Disabled),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEndpoint {
    pub id: String,
    pub platform_id: String,
    pub created: i64,
    pub url: String,
    pub enabled_events: Vec<String>,
    pub description: Option<String>,
    pub metadata: Metadata,
    pub api_version: Option<String>,
    pub status: EndpointStatus,
    /// `whsec_…`, in the clear only in memory.
    pub secret: String,
}

/// The parameters of a create.
#[derive(Debug, Clone, Default)]
pub struct NewEndpoint {
    pub url: String,
    pub enabled_events: Vec<String>,
    pub description: Option<String>,
    pub metadata: MetadataChange,
    pub api_version: Option<String>,
}

/// The parameters of an update; `None` / `Keep` leave a field as it is.
#[derive(Debug, Clone, Default)]
pub struct EndpointChanges {
    pub url: Option<String>,
    pub enabled_events: Option<Vec<String>>,
    pub description: Change<String>,
    pub metadata: MetadataChange,
    pub disabled: Option<bool>,
}

/// A fresh signing secret: 32 base62 characters (≈190 bits) after Stripe's prefix.
pub fn new_secret() -> String {
    format!("whsec_{}", random_base62(32))
}

fn check_url(url: &str, policy: &DestinationPolicy) -> Result<(), Invalid> {
    check_max_len("url", url, 5000)?;
    policy.check_url(url).map_err(|why| Invalid::new("url", why))
}

/// Every entry known; `*` alone or with others is allowed (it already covers them).
pub fn check_enabled_events(events: &[String]) -> Result<(), Invalid> {
    if events.is_empty() {
        return Err(Invalid::new(
            "enabled_events",
            "enabled_events must list at least one event type.",
        ));
    }
    for (i, t) in events.iter().enumerate() {
        if !is_known_event_type(t) {
            return Err(Invalid::new(
                format!("enabled_events[{i}]"),
                format!(
                    "Invalid enabled_events[{i}]: '{t}' is not an event type. Name exact event types \
                     (such as financial_connections.account.created or customer.updated), or '*' for \
                     all of them; like Stripe, sandbank accepts no other wildcard."
                ),
            ));
        }
    }
    Ok(())
}

impl WebhookEndpoint {
    pub fn create(platform_id: &str, p: NewEndpoint, policy: &DestinationPolicy, now: i64) -> Result<Self, Invalid> {
        check_url(&p.url, policy)?;
        check_enabled_events(&p.enabled_events)?;
        if let Some(d) = &p.description {
            check_max_len("description", d, 5000)?;
        }
        let mut metadata = Metadata::new();
        p.metadata.apply_to(&mut metadata)?;
        let mut events = p.enabled_events;
        events.dedup();
        Ok(Self {
            id: new_id("we", DEFAULT_TAIL),
            platform_id: platform_id.to_owned(),
            created: now,
            url: p.url,
            enabled_events: events,
            description: p.description.filter(|d| !d.is_empty()),
            metadata,
            api_version: p.api_version,
            status: EndpointStatus::Enabled,
            secret: new_secret(),
        })
    }

    pub fn update(&mut self, c: EndpointChanges, policy: &DestinationPolicy) -> Result<(), Invalid> {
        if let Some(url) = c.url {
            check_url(&url, policy)?;
            self.url = url;
        }
        if let Some(events) = c.enabled_events {
            check_enabled_events(&events)?;
            self.enabled_events = events;
            self.enabled_events.dedup();
        }
        if let Change::Set(d) = &c.description {
            check_max_len("description", d, 5000)?;
        }
        c.description.apply_to(&mut self.description);
        c.metadata.apply_to(&mut self.metadata)?;
        if let Some(disabled) = c.disabled {
            self.status = if disabled {
                EndpointStatus::Disabled
            } else {
                EndpointStatus::Enabled
            };
        }
        Ok(())
    }

    /// Whether an event of type `kind` goes to this endpoint.
    pub fn wants(&self, kind: &str) -> bool {
        self.enabled_events.iter().any(|e| e == "*" || e == kind)
    }

    /// Stripe's shape; the secret only when `with_secret` (the create response).
    pub fn to_json(&self, with_secret: bool) -> Value {
        let mut v = json!({
            "id": self.id,
            "object": "webhook_endpoint",
            "api_version": self.api_version,
            "application": null,
            "created": self.created,
            "description": self.description,
            "enabled_events": self.enabled_events,
            "livemode": false,
            "metadata": self.metadata,
            "status": self.status.as_str(),
            "url": self.url,
        });
        if with_secret {
            v["secret"] = Value::from(self.secret.clone());
        }
        v
    }
}

/// One try of one delivery, as the attempt log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookAttempt {
    pub id: String,
    pub platform_id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub created: i64,
    pub attempt: i64,
    pub url: String,
    pub succeeded: bool,
    pub status_code: Option<i64>,
    pub duration_ms: i64,
    pub response_body: Option<String>,
    pub error: Option<String>,
}

impl WebhookAttempt {
    pub fn new_id() -> String {
        new_id("whatt", DEFAULT_TAIL)
    }

    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "webhook_endpoint.attempt",
            "attempt": self.attempt,
            "created": self.created,
            "duration_ms": self.duration_ms,
            "error": self.error,
            "event": self.event_id,
            "livemode": false,
            "response_body": self.response_body,
            "response_status_code": self.status_code,
            "status": if self.succeeded { "succeeded" } else { "failed" },
            "url": self.url,
            "webhook_endpoint": self.endpoint_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(url: &str, events: &[&str]) -> Result<WebhookEndpoint, Invalid> {
        let p = NewEndpoint {
            url: url.into(),
            enabled_events: events.iter().map(|s| s.to_string()).collect(),
            ..NewEndpoint::default()
        };
        WebhookEndpoint::create("acct_1", p, &DestinationPolicy::default(), 1)
    }

    #[test]
    fn unknown_event_types_name_their_index() {
        let e = new("http://127.0.0.1:9/h", &["*", "charge.succeded"]).unwrap_err();
        assert_eq!(e.param, "enabled_events[1]");
        assert_eq!(new("http://127.0.0.1:9/h", &[]).unwrap_err().param, "enabled_events");
    }

    #[test]
    fn type_wildcards_are_refused_by_a_message_that_allows_only_exact_types_and_star() {
        for wildcard in ["financial_connections.account.*", "customer.*"] {
            let e = new(
                "http://127.0.0.1:9/h",
                &["financial_connections.account.created", wildcard],
            )
            .unwrap_err();
            assert_eq!(e.param, "enabled_events[1]");
            // What the message offers must itself be accepted.
            assert!(e.message.contains("'*'"), "{}", e.message);
            let offered_wildcards = e.message.replace(&format!("'{wildcard}'"), "");
            assert!(!offered_wildcards.contains(".*"), "{}", e.message);
            for offered in ["financial_connections.account.created", "customer.updated", "*"] {
                assert!(e.message.contains(offered), "{}", e.message);
                assert!(new("http://127.0.0.1:9/h", &[offered]).is_ok(), "{offered}");
            }
        }
    }

    #[test]
    fn secrets_and_matching() {
        let e = new("https://example.com/h", &["financial_connections.account.created"]).unwrap();
        assert!(e.secret.starts_with("whsec_") && e.secret.len() == 38);
        assert!(e.id.starts_with("we_"));
        assert!(e.wants("financial_connections.account.created"));
        assert!(!e.wants("financial_connections.account.disconnected"));
        assert!(e.to_json(false).get("secret").is_none());
        assert_eq!(e.to_json(true)["secret"], e.secret.as_str());
    }
}
