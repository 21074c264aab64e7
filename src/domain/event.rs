//! Events (`event`): one row per change, written in the same transaction as the change, so
//! delivery can never miss one.

use serde_json::Value;

use super::ids::{DEFAULT_TAIL, new_id};

/// The request that caused an event, if any (`event.request`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventRequest {
    pub id: Option<String>,
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: String,
    pub platform_id: String,
    pub created: i64,
    /// e.g. `financial_connections.account.created`.
    pub kind: String,
    /// The object as of the change (`data.object`).
    pub object: Value,
    pub request: EventRequest,
    pub api_version: Option<String>,
}

impl Event {
    pub fn new(
        platform_id: &str,
        kind: &str,
        object: Value,
        request: EventRequest,
        api_version: Option<String>,
        now: i64,
    ) -> Self {
        Self {
            id: new_id("evt", DEFAULT_TAIL),
            platform_id: platform_id.to_owned(),
            created: now,
            kind: kind.to_owned(),
            object,
            request,
            api_version,
        }
    }
}
