//! Webhook endpoints, the delivery outbox the dispatcher claims from, and the attempt log.

use async_trait::async_trait;

use super::events::StoredEvent;
use super::{Modify, StoreResult};
use crate::domain::idempotency::Reply;
use crate::domain::page::{Page, PageRequest};
use crate::domain::webhook::{WebhookAttempt, WebhookEndpoint};

/// A due delivery this worker now holds until `claimed_until`, with what sending it needs.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub delivery_id: i64,
    /// The number of the attempt about to be made (1 for the first).
    pub attempt: i64,
    pub event: StoredEvent,
    pub endpoint: WebhookEndpoint,
}

/// How much one claim may take: `total` deliveries, and no more than `per_endpoint` live
/// leases on any one endpoint (leases already held, by any dispatcher, count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimLimits {
    pub total: i64,
    pub per_endpoint: i64,
}

/// What a delivery becomes after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    Succeeded,
    RetryAt(i64),
    /// The schedule is spent.
    GiveUp,
}

/// One attempt's result, recorded in one transaction with the delivery's new state and the
/// endpoint's failure run.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub delivery_id: i64,
    /// The claimant; a worker whose lease ran out logs its attempt but changes nothing else.
    pub worker: String,
    pub attempt: WebhookAttempt,
    pub next: NextStep,
    /// Consecutive failures after which the endpoint is disabled.
    pub disable_after: i64,
}

#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// `reply`, for a keyed request, is recorded under its key in the same transaction.
    async fn insert_webhook_endpoint(
        &self,
        endpoint: &WebhookEndpoint,
        reply: Option<&Reply<'_, WebhookEndpoint>>,
    ) -> StoreResult<()>;
    /// A live (not deleted) endpoint of this platform.
    async fn get_webhook_endpoint(&self, platform_id: &str, id: &str) -> StoreResult<Option<WebhookEndpoint>>;
    /// Locks a live endpoint, applies `change`, saves it; disabling it fails its pending
    /// deliveries in the same transaction (a disabled endpoint gets nothing, not later).
    async fn modify_webhook_endpoint(
        &self,
        platform_id: &str,
        id: &str,
        change: Modify<'_, WebhookEndpoint>,
        reply: Option<&Reply<'_, WebhookEndpoint>>,
    ) -> StoreResult<Option<WebhookEndpoint>>;
    async fn delete_webhook_endpoint(&self, platform_id: &str, id: &str, now: i64) -> StoreResult<bool>;
    async fn list_webhook_endpoints(&self, platform_id: &str, page: &PageRequest)
    -> StoreResult<Page<WebhookEndpoint>>;

    /// Claims due deliveries for `worker` until `lease_until`, within `limits`, fairly across
    /// endpoints (round-robin, oldest first within each). Rows another live claim holds are
    /// skipped and count against their endpoint's cap; an expired claim (a crashed process)
    /// is taken over.
    async fn claim_deliveries(
        &self,
        worker: &str,
        now: i64,
        lease_until: i64,
        limits: ClaimLimits,
    ) -> StoreResult<Vec<ClaimedDelivery>>;
    async fn record_attempt(&self, record: &AttemptRecord) -> StoreResult<()>;
    /// The attempt log of one endpoint (deleted ones included), newest first.
    async fn list_webhook_attempts(
        &self,
        platform_id: &str,
        endpoint_id: &str,
        event_id: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Page<WebhookAttempt>>;
    /// A new delivery of the event to each enabled endpoint that wants it, or to the one
    /// named; returns how many were queued, or `None` if the platform has no such event.
    async fn resend_event(
        &self,
        platform_id: &str,
        event_id: &str,
        endpoint_id: Option<&str>,
        now: i64,
    ) -> StoreResult<Option<u64>>;
    /// Whether the platform has, or had, this endpoint (the attempt log outlives it).
    async fn webhook_endpoint_existed(&self, platform_id: &str, id: &str) -> StoreResult<bool>;
}

pub use super::sql::webhook_wake::DeliveryWaker;
