//! Reading events back (`GET /v1/events`), with the delivery state of each, and writing
//! synthetic ones for the test helper through the same outbox path as real changes.

use crate::domain::idempotency::Reply;
use async_trait::async_trait;

use super::StoreResult;
use crate::domain::event::Event;
use crate::domain::page::{Page, PageRequest, TimeRange};

/// An event and how many of its endpoints have not yet had it delivered (`pending_webhooks`).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub event: Event,
    pub pending_webhooks: i64,
}

/// Which events a list returns. `types` and `type_pattern` are exclusive (the API checks).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Exact types (`types[]`).
    pub types: Vec<String>,
    /// `type`, where `*` matches any run of characters.
    pub type_pattern: Option<String>,
    pub created: Option<TimeRange>,
    /// `true`: nothing left to deliver; `false`: some endpoint still pending or failed.
    pub delivery_success: Option<bool>,
}

#[async_trait]
pub trait EventStore: Send + Sync {
    async fn get_event(&self, platform_id: &str, id: &str) -> StoreResult<Option<StoredEvent>>;
    async fn list_events(
        &self,
        platform_id: &str,
        filter: &EventFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<StoredEvent>>;
    /// Writes the events, and their deliveries, in one transaction (with `reply`, for a keyed
    /// request, recorded under its key).
    async fn insert_events(&self, events: &[Event], reply: Option<&Reply<'_, [Event]>>) -> StoreResult<()>;
}
