//! The event object, as `/v1/events` answers it and the dispatcher delivers it.

use serde_json::{Value, json};

use crate::domain::event::Event;
use crate::store::events::StoredEvent;
use crate::wire::version::DEFAULT_API_VERSION;

/// The event in Stripe's shape, labelled with the API version it is rendered for.
pub fn event_json(e: &Event, pending_webhooks: i64, api_version: &str) -> Value {
    json!({
        "id": e.id,
        "object": "event",
        "api_version": api_version,
        "created": e.created,
        "data": { "object": e.object },
        "livemode": false,
        "pending_webhooks": pending_webhooks,
        "request": { "id": e.request.id, "idempotency_key": e.request.idempotency_key },
        "type": e.kind,
    })
}

pub fn stored_event_json(s: &StoredEvent) -> Value {
    let version = s.event.api_version.as_deref().unwrap_or(DEFAULT_API_VERSION);
    event_json(&s.event, s.pending_webhooks, version)
}
