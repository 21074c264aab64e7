//! Event rows, written inside the transaction of the change they record, together with their
//! outbox rows.
//!
//! Fan-out happens here, in that same transaction: one `webhook_deliveries` row per enabled
//! endpoint whose `enabled_events` match. The alternative — one outbox row per event that the
//! dispatcher later fans out — adds a second hop and a second transaction per event for no
//! gain in safety. Fanning out at commit fixes the recipients the way Stripe does (an
//! endpoint created later does not receive older events), makes `pending_webhooks` right from
//! the first read, and the cost is one indexed `INSERT … SELECT` over a platform's few
//! endpoints. Either way, a crash after the commit loses nothing: the rows are there.

use sqlx::{Any, Transaction};

use crate::domain::event::Event;
use crate::store::StoreResult;
use crate::store::sql::webhook_wake;

pub(crate) async fn insert(tx: &mut Transaction<'_, Any>, e: &Event) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO events (id, platform_id, created, type, data, request_id, idempotency_key, api_version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&e.id)
    .bind(&e.platform_id)
    .bind(e.created)
    .bind(&e.kind)
    .bind(e.object.to_string())
    .bind(&e.request.id)
    .bind(&e.request.idempotency_key)
    .bind(&e.api_version)
    .execute(&mut **tx)
    .await?;
    let queued = fan_out(tx, e, None, e.created).await?;
    if queued > 0 {
        webhook_wake::announce(tx).await?;
    }
    Ok(())
}

/// Queues a delivery of `e` to each enabled, live endpoint of its platform that wants its type
/// (or only to `endpoint_id`), due at `at`; returns how many.
pub(crate) async fn fan_out(
    tx: &mut Transaction<'_, Any>,
    e: &Event,
    endpoint_id: Option<&str>,
    at: i64,
) -> StoreResult<u64> {
    let done = sqlx::query(
        "INSERT INTO webhook_deliveries (event_id, endpoint_id, platform_id, status, attempts, next_attempt_at, created) \
         SELECT $1, w.id, w.platform_id, 'pending', 0, $3, $3 FROM webhook_endpoints w \
         WHERE w.platform_id = $2 AND w.status = 'enabled' AND w.deleted_at IS NULL \
         AND ($5 IS NULL OR w.id = $5) \
         AND EXISTS (SELECT 1 FROM webhook_endpoint_events t WHERE t.endpoint_id = w.id AND t.event_type IN ('*', $4))",
    )
    .bind(&e.id)
    .bind(&e.platform_id)
    .bind(at)
    .bind(&e.kind)
    .bind(endpoint_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}
