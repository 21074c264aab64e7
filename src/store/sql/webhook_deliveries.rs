//! The delivery outbox as the dispatcher sees it: claim due rows under a lease, record each
//! attempt with the delivery's new state, and the endpoint's run of failed deliveries.
//!
//! Claims are one statement that commits at once: `FOR UPDATE SKIP LOCKED` on Postgres lets
//! processes claim side by side without waiting on each other, and `claimed_until` keeps a
//! row theirs after the statement's lock is gone. SQLite's single write connection makes the
//! plain `UPDATE … RETURNING` exclusive already. No transaction is open while a webhook is
//! sent: the send happens between the claim and the record.

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::events_read::{PENDING_WEBHOOKS, event_from_row};
use super::link::events;
use super::list::{FilterValue, ListSpec, fetch_page};
use super::webhooks::{self, fail_pending};
use super::{Backend, SqlStore};
use crate::crypto::Cipher;
use crate::domain::page::{Page, PageRequest};
use crate::domain::webhook::{EndpointStatus, WebhookAttempt, WebhookEndpoint};
use crate::store::events::StoredEvent;
use crate::store::sql::webhook_wake;
use crate::store::webhooks::{AttemptRecord, ClaimLimits, ClaimedDelivery, NextStep, WebhookStore};
use crate::store::{Modify, StoreResult};

const ATTEMPT_COLUMNS: &str = "id, platform_id, endpoint_id, event_id, created, attempt, url, status, status_code, \
                               duration_ms, response_body, error";

/// What a receiver answers is not ours to read in the clear: its excerpt is stored sealed,
/// like every body sandbank keeps (the idempotency store's answers too), bound to its attempt.
fn reply_context(attempt_id: &str) -> String {
    format!("webhook_attempts:{attempt_id}:response_body")
}

fn attempt_from_row(cipher: &Cipher, row: &AnyRow) -> StoreResult<WebhookAttempt> {
    let status: String = row.try_get("status")?;
    let id: String = row.try_get("id")?;
    let sealed: Option<String> = row.try_get("response_body")?;
    let response_body = cipher.open_opt(sealed.as_deref(), &reply_context(&id))?;
    Ok(WebhookAttempt {
        id,
        platform_id: row.try_get("platform_id")?,
        endpoint_id: row.try_get("endpoint_id")?,
        event_id: row.try_get("event_id")?,
        created: row.try_get("created")?,
        attempt: row.try_get("attempt")?,
        url: row.try_get("url")?,
        succeeded: status == "succeeded",
        status_code: row.try_get("status_code")?,
        duration_ms: row.try_get("duration_ms")?,
        response_body,
        error: row.try_get("error")?,
    })
}

fn placeholders(from: usize, n: usize) -> String {
    (0..n).map(|i| format!("${}", from + i)).collect::<Vec<_>>().join(", ")
}

/// Serialises claims across processes on one Postgres database, so each claim sees every
/// live lease the others took (the per-endpoint cap holds across dispatchers). Claims are one
/// short statement; sends and records do not take it.
const CLAIM_LOCK: i64 = 0x5a4e_4b57_4844;

/// Fair claiming: each endpoint's due deliveries are ranked oldest first, and an endpoint
/// gets no more than `per_endpoint` live leases (those already held count), so a slow or dead
/// receiver queues behind itself and never takes the slots of others. The batch is taken
/// round-robin over endpoints (every endpoint's first, then every endpoint's second…), so a
/// busy endpoint's backlog does not push another endpoint's fresh events back either.
/// The outer conditions are checked again on the row itself, so a delivery recorded or failed
/// since the ranking read it is not claimed.
async fn claim(
    store: &SqlStore,
    worker: &str,
    now: i64,
    lease_until: i64,
    limits: ClaimLimits,
) -> StoreResult<Vec<ClaimedDelivery>> {
    let sql = "UPDATE webhook_deliveries SET claimed_until = $1, claimed_by = $2 \
         WHERE status = 'pending' AND (claimed_until IS NULL OR claimed_until <= $3) AND id IN (\
         WITH busy AS (SELECT endpoint_id, COUNT(*) AS held FROM webhook_deliveries \
         WHERE status = 'pending' AND claimed_until > $3 GROUP BY endpoint_id), \
         due AS (SELECT id, endpoint_id, next_attempt_at, \
         ROW_NUMBER() OVER (PARTITION BY endpoint_id ORDER BY next_attempt_at, id) AS place \
         FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $3 \
         AND (claimed_until IS NULL OR claimed_until <= $3)) \
         SELECT due.id FROM due LEFT JOIN busy ON busy.endpoint_id = due.endpoint_id \
         WHERE due.place + COALESCE(busy.held, 0) <= $5 \
         ORDER BY due.place, due.next_attempt_at, due.id LIMIT $4) \
         RETURNING id";
    let mut tx = store.write.begin().await?;
    if store.backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(CLAIM_LOCK)
            .execute(&mut *tx)
            .await?;
    }
    let ids: Vec<i64> = sqlx::query(sql)
        .bind(lease_until)
        .bind(worker)
        .bind(now)
        .bind(limits.total)
        .bind(limits.per_endpoint)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, _>>()?;
    tx.commit().await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT dl.id AS delivery_id, dl.attempts, dl.endpoint_id, events.id, events.platform_id, events.created, \
         events.type, events.data, events.request_id, events.idempotency_key, events.api_version, \
         {PENDING_WEBHOOKS} AS pending_webhooks \
         FROM webhook_deliveries dl JOIN events ON events.id = dl.event_id WHERE dl.id IN ({})",
        placeholders(1, ids.len())
    );
    let mut query = sqlx::query(&sql);
    for id in &ids {
        query = query.bind(*id);
    }
    let rows = query.fetch_all(&store.read).await?;
    let endpoint_ids: Vec<String> = {
        let mut v: Vec<String> = rows
            .iter()
            .map(|r| r.try_get("endpoint_id"))
            .collect::<Result<_, _>>()?;
        v.sort();
        v.dedup();
        v
    };
    let endpoints = load_endpoints(store, &endpoint_ids).await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in &rows {
        let delivery_id: i64 = row.try_get("delivery_id")?;
        let endpoint_id: String = row.try_get("endpoint_id")?;
        match endpoints.get(&endpoint_id) {
            Some(endpoint) if endpoint.status == EndpointStatus::Enabled => claimed.push(ClaimedDelivery {
                delivery_id,
                attempt: row.try_get::<i64, _>("attempts")? + 1,
                event: StoredEvent {
                    event: event_from_row(row)?,
                    pending_webhooks: row.try_get("pending_webhooks")?,
                },
                endpoint: endpoint.clone(),
            }),
            // Disabled or deleted since the delivery was queued: it ends here, unsent.
            _ => {
                let mut tx = store.write.begin().await?;
                fail_pending(&mut tx, &endpoint_id, "endpoint disabled or deleted").await?;
                tx.commit().await?;
            }
        }
    }
    Ok(claimed)
}

/// Live endpoints by id (deleted ones are left out).
async fn load_endpoints(store: &SqlStore, ids: &[String]) -> StoreResult<HashMap<String, WebhookEndpoint>> {
    let sql = format!(
        "SELECT {} FROM webhook_endpoints WHERE deleted_at IS NULL AND id IN ({})",
        webhooks::COLUMNS,
        placeholders(1, ids.len())
    );
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(id);
    }
    let mut out = HashMap::new();
    for row in query.fetch_all(&store.read).await? {
        let e = webhooks::from_row(&row, &store.cipher)?;
        out.insert(e.id.clone(), e);
    }
    Ok(out)
}

async fn record(store: &SqlStore, r: &AttemptRecord) -> StoreResult<()> {
    let a = &r.attempt;
    let mut tx = store.write.begin().await?;
    sqlx::query(&format!(
        "INSERT INTO webhook_attempts ({ATTEMPT_COLUMNS}, delivery_id, worker) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    ))
    .bind(&a.id)
    .bind(&a.platform_id)
    .bind(&a.endpoint_id)
    .bind(&a.event_id)
    .bind(a.created)
    .bind(a.attempt)
    .bind(&a.url)
    .bind(if a.succeeded { "succeeded" } else { "failed" })
    .bind(a.status_code)
    .bind(a.duration_ms)
    .bind(store.cipher.seal_opt(a.response_body.as_deref(), &reply_context(&a.id)))
    .bind(&a.error)
    .bind(r.delivery_id)
    .bind(&r.worker)
    .execute(&mut *tx)
    .await?;
    let (status, next_at) = match r.next {
        NextStep::Succeeded => ("succeeded", a.created),
        NextStep::RetryAt(at) => ("pending", at),
        NextStep::GiveUp => ("failed", a.created),
    };
    // Only the claimant moves the delivery on; a worker whose lease ran out just logs.
    let moved = sqlx::query(
        "UPDATE webhook_deliveries SET status = $3, attempts = $4, next_attempt_at = $5, claimed_until = NULL, \
         claimed_by = NULL, last_attempt_at = $6, last_status_code = $7, last_error = $8 \
         WHERE id = $1 AND claimed_by = $2 AND status = 'pending'",
    )
    .bind(r.delivery_id)
    .bind(&r.worker)
    .bind(status)
    .bind(a.attempt)
    .bind(next_at)
    .bind(a.created)
    .bind(a.status_code)
    .bind(&a.error)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if moved == 1 {
        match r.next {
            NextStep::Succeeded => {
                sqlx::query(
                    "UPDATE webhook_endpoints SET consecutive_failures = 0 WHERE id = $1 AND consecutive_failures <> 0",
                )
                .bind(&a.endpoint_id)
                .execute(&mut *tx)
                .await?;
            }
            NextStep::GiveUp => count_failed_delivery(&mut tx, &a.endpoint_id, r.disable_after).await?,
            NextStep::RetryAt(_) => {}
        }
    }
    tx.commit().await?;
    Ok(())
}

/// A delivery whose schedule is spent extends the endpoint's failure run; at the limit the
/// endpoint is disabled (Stripe: no more deliveries until it is enabled again).
async fn count_failed_delivery(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    endpoint_id: &str,
    disable_after: i64,
) -> StoreResult<()> {
    let row = sqlx::query(
        "UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1 WHERE id = $1 \
         RETURNING consecutive_failures, status",
    )
    .bind(endpoint_id)
    .fetch_one(&mut **tx)
    .await?;
    let run: i64 = row.try_get("consecutive_failures")?;
    let status: String = row.try_get("status")?;
    if disable_after > 0 && run >= disable_after && status == "enabled" {
        sqlx::query("UPDATE webhook_endpoints SET status = 'disabled' WHERE id = $1")
            .bind(endpoint_id)
            .execute(&mut **tx)
            .await?;
        fail_pending(tx, endpoint_id, "endpoint disabled after repeated failures").await?;
        tracing::warn!(endpoint = endpoint_id, failures = run, "webhook endpoint disabled");
    }
    Ok(())
}

async fn resend(
    store: &SqlStore,
    platform_id: &str,
    event_id: &str,
    endpoint_id: Option<&str>,
    now: i64,
) -> StoreResult<Option<u64>> {
    let mut tx = store.write.begin().await?;
    let row = sqlx::query(
        "SELECT id, platform_id, created, type, data, request_id, idempotency_key, api_version FROM events \
         WHERE platform_id = $1 AND id = $2",
    )
    .bind(platform_id)
    .bind(event_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let event = event_from_row(&row)?;
    let queued = events::fan_out(&mut tx, &event, endpoint_id, now).await?;
    if queued > 0 {
        webhook_wake::announce(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(Some(queued))
}

#[async_trait]
impl WebhookStore for SqlStore {
    async fn insert_webhook_endpoint(
        &self,
        endpoint: &WebhookEndpoint,
        reply: Option<&crate::domain::idempotency::Reply<'_, WebhookEndpoint>>,
    ) -> StoreResult<()> {
        webhooks::insert(self, endpoint, reply).await
    }

    async fn get_webhook_endpoint(&self, platform_id: &str, id: &str) -> StoreResult<Option<WebhookEndpoint>> {
        webhooks::get(self, platform_id, id).await
    }

    async fn modify_webhook_endpoint(
        &self,
        platform_id: &str,
        id: &str,
        change: Modify<'_, WebhookEndpoint>,
        reply: Option<&crate::domain::idempotency::Reply<'_, WebhookEndpoint>>,
    ) -> StoreResult<Option<WebhookEndpoint>> {
        webhooks::modify(self, platform_id, id, change, reply).await
    }

    async fn delete_webhook_endpoint(&self, platform_id: &str, id: &str, now: i64) -> StoreResult<bool> {
        webhooks::delete(self, platform_id, id, now).await
    }

    async fn list_webhook_endpoints(
        &self,
        platform_id: &str,
        page: &PageRequest,
    ) -> StoreResult<Page<WebhookEndpoint>> {
        webhooks::list(self, platform_id, page).await
    }

    async fn claim_deliveries(
        &self,
        worker: &str,
        now: i64,
        lease_until: i64,
        limits: ClaimLimits,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        claim(self, worker, now, lease_until, limits).await
    }

    async fn record_attempt(&self, record: &AttemptRecord) -> StoreResult<()> {
        self::record(self, record).await
    }

    async fn list_webhook_attempts(
        &self,
        platform_id: &str,
        endpoint_id: &str,
        event_id: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Page<WebhookAttempt>> {
        let spec = ListSpec {
            table: "webhook_attempts",
            columns: ATTEMPT_COLUMNS,
            filter: "AND endpoint_id = $2 AND ($3 IS NULL OR event_id = $3)",
            filter_values: vec![
                FilterValue::Text(Some(endpoint_id.to_owned())),
                FilterValue::Text(event_id.map(str::to_owned)),
            ],
        };
        fetch_page(&self.read, spec, platform_id, page, |row| {
            attempt_from_row(&self.cipher, row)
        })
        .await
    }

    async fn resend_event(
        &self,
        platform_id: &str,
        event_id: &str,
        endpoint_id: Option<&str>,
        now: i64,
    ) -> StoreResult<Option<u64>> {
        resend(self, platform_id, event_id, endpoint_id, now).await
    }

    async fn webhook_endpoint_existed(&self, platform_id: &str, id: &str) -> StoreResult<bool> {
        webhooks::exists(self, platform_id, id).await
    }
}
