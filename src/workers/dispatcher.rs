//! The webhook dispatcher: claims due deliveries from the outbox, signs and sends each, and
//! records the attempt with what happens next (done, retry at a time, or given up).
//!
//! At-least-once: a claim is a lease (`claimed_until`), taken in a statement that commits at
//! once; the send happens with no transaction open (SQLite's single write connection would
//! otherwise stall every API write behind a slow receiver); the record is a second short
//! transaction. A process killed between claim and record leaves a lease that expires, and
//! any dispatcher takes the delivery again — so receivers may see an event twice, never zero
//! times. Sends run in parallel up to `concurrency`, and at most `per_endpoint` per endpoint
//! (the claim enforces it, across processes), taken round-robin across endpoints: a receiver
//! that hangs holds only its own slots until its timeout, never another endpoint's. New
//! commits ring a doorbell ([`DeliveryWaker`]), a finished send wakes the loop (its
//! endpoint may now take another), and polling paces retries. All times come from
//! `state.clock`.

use std::sync::Arc;

use rand::Rng;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::app_state::AppState;
use crate::clients::webhook::{SendOutcome, WebhookSender};
use crate::domain::ids::random_base62;
use crate::domain::webhook::WebhookAttempt;
use crate::domain::webhook_policy::signature_header;
use crate::store::webhooks::{AttemptRecord, ClaimLimits, ClaimedDelivery, DeliveryWaker, NextStep};
use crate::store::{StoreLocation, StoreResult};
use crate::wire::event::event_json;
use crate::wire::version::DEFAULT_API_VERSION;

pub struct Dispatcher {
    state: AppState,
    sender: WebhookSender,
    /// This dispatcher's name in claims.
    worker: String,
    waker: Option<DeliveryWaker>,
}

impl Dispatcher {
    /// A dispatcher for `state`; it sends only when [`step`](Self::step) or `run` is called.
    pub fn new(state: AppState) -> anyhow::Result<Self> {
        let config = &state.delivery;
        let sender = WebhookSender::new(config.destination, config.timeout)?;
        Ok(Self {
            state,
            sender,
            worker: format!("dispatch_{}", random_base62(12)),
            waker: None,
        })
    }

    /// The server's dispatcher, listening for new deliveries; `None` when the settings say
    /// this process does not send.
    pub async fn for_app(state: &AppState, location: &StoreLocation) -> anyhow::Result<Option<Self>> {
        if !state.delivery.run_dispatcher {
            return Ok(None);
        }
        let mut dispatcher = Self::new(state.clone())?;
        dispatcher.waker = Some(DeliveryWaker::for_location(location).await);
        Ok(Some(dispatcher))
    }

    /// Claims one batch of due deliveries (up to the concurrency), sends them all and records
    /// each; returns how many were attempted. Tests drive delivery with this.
    pub async fn step(&self) -> StoreResult<usize> {
        let batch = self.claim(self.state.delivery.concurrency).await?;
        let n = batch.len();
        let mut set = JoinSet::new();
        for d in batch {
            set.spawn(deliver(self.state.clone(), self.sender.clone(), self.worker.clone(), d));
        }
        while let Some(done) = set.join_next().await {
            if let Ok(Err(e)) = done {
                tracing::warn!(error = %e, "recording a webhook attempt failed");
            }
        }
        Ok(n)
    }

    async fn claim(&self, limit: usize) -> StoreResult<Vec<ClaimedDelivery>> {
        let now = self.state.clock.now();
        let lease_until = now + self.state.delivery.lease_secs();
        let limits = ClaimLimits {
            total: limit as i64,
            per_endpoint: self.state.delivery.per_endpoint as i64,
        };
        self.state
            .store
            .claim_deliveries(&self.worker, now, lease_until, limits)
            .await
    }

    /// Sends until `shutdown`: claims as many as there are free slots, starts each send as its
    /// own task, and sleeps on the doorbell (or the poll interval) when nothing is due. On
    /// shutdown it stops claiming and gives sends in flight one timeout to finish.
    pub async fn run(self, shutdown: CancellationToken) {
        let config = self.state.delivery.clone();
        let slots = Arc::new(Semaphore::new(config.concurrency));
        // Rung when a send finishes: its endpoint may be under its cap again.
        let finished = Arc::new(Notify::new());
        tracing::info!(worker = %self.worker, "webhook dispatcher started");
        while !shutdown.is_cancelled() {
            let free = slots.available_permits();
            if free == 0 {
                tokio::select! {
                    permit = slots.clone().acquire_owned() => drop(permit),
                    () = shutdown.cancelled() => break,
                }
                continue;
            }
            let claimed = match self.claim(free).await {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming webhook deliveries failed");
                    Vec::new()
                }
            };
            let full = claimed.len() == free;
            for d in claimed {
                let permit = slots
                    .clone()
                    .try_acquire_owned()
                    .expect("claimed no more than the free slots");
                let (state, sender, worker) = (self.state.clone(), self.sender.clone(), self.worker.clone());
                let finished = finished.clone();
                tokio::spawn(async move {
                    if let Err(e) = deliver(state, sender, worker, d).await {
                        tracing::warn!(error = %e, "recording a webhook attempt failed");
                    }
                    drop(permit);
                    finished.notify_one();
                });
            }
            if full {
                continue;
            }
            let wait = async {
                match &self.waker {
                    Some(w) => w.wait(config.poll).await,
                    None => tokio::time::sleep(config.poll).await,
                }
            };
            tokio::select! {
                () = wait => {}
                () = finished.notified() => {}
                () = shutdown.cancelled() => break,
            }
        }
        let drain = config.timeout + std::time::Duration::from_secs(1);
        let all = u32::try_from(config.concurrency).unwrap_or(u32::MAX);
        let _ = tokio::time::timeout(drain, slots.acquire_many(all)).await;
        tracing::info!(worker = %self.worker, "webhook dispatcher stopped");
    }
}

/// One attempt of one delivery: render, sign, send, record.
async fn deliver(state: AppState, sender: WebhookSender, worker: String, d: ClaimedDelivery) -> StoreResult<()> {
    let version = d
        .endpoint
        .api_version
        .as_deref()
        .or(d.event.event.api_version.as_deref())
        .unwrap_or(DEFAULT_API_VERSION);
    let payload = serde_json::to_vec(&event_json(&d.event.event, d.event.pending_webhooks, version))
        .expect("event JSON serialises");
    let signed_at = state.clock.now();
    let signature = signature_header(&d.endpoint.secret, signed_at, &payload);
    let outcome = sender.send(&d.endpoint.url, payload, &signature).await;
    let now = state.clock.now();
    let next = next_step(&state, &outcome, d.attempt, now);
    if !outcome.succeeded() {
        tracing::info!(
            event = %d.event.event.id, endpoint = %d.endpoint.id, attempt = d.attempt,
            status = ?outcome.status, error = ?outcome.error, next = ?next,
            "webhook attempt failed"
        );
    }
    let record = AttemptRecord {
        delivery_id: d.delivery_id,
        worker,
        attempt: WebhookAttempt {
            id: WebhookAttempt::new_id(),
            platform_id: d.endpoint.platform_id.clone(),
            endpoint_id: d.endpoint.id.clone(),
            event_id: d.event.event.id.clone(),
            created: now,
            attempt: d.attempt,
            url: d.endpoint.url.clone(),
            succeeded: outcome.succeeded(),
            status_code: outcome.status.map(i64::from),
            duration_ms: outcome.duration_ms,
            response_body: outcome.body,
            error: outcome.error,
        },
        next,
        disable_after: state.delivery.disable_after,
    };
    state.store.record_attempt(&record).await
}

fn next_step(state: &AppState, outcome: &SendOutcome, attempt: i64, now: i64) -> NextStep {
    if outcome.succeeded() {
        return NextStep::Succeeded;
    }
    let jitter = rand::rng().random_range(0.8..=1.2);
    match state
        .delivery
        .retry
        .delay_after(attempt as usize, outcome.retry_after, jitter)
    {
        Some(delay) => NextStep::RetryAt(now + delay as i64),
        None => NextStep::GiveUp,
    }
}
