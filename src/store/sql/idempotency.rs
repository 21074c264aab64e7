//! Idempotency keys: a claim row per (platform, key), completed with the first response.

use sqlx::Row;

use super::SqlStore;
use crate::domain::idempotency::{IDEMPOTENCY_LOCK_SECS, IDEMPOTENCY_TTL_SECS, IdempotencyClaim, StoredResponse};
use crate::store::StoreResult;

pub(super) async fn claim(
    store: &SqlStore,
    platform_id: &str,
    key: &str,
    fingerprint: &str,
    now: i64,
) -> StoreResult<IdempotencyClaim> {
    let mut tx = store.write.begin().await?;
    let sql = format!(
        "SELECT fingerprint, locked_until, response_status, response_body, created \
         FROM idempotency_keys WHERE platform_id = $1 AND idem_key = $2{}",
        store.backend.for_update()
    );
    let row = sqlx::query(&sql)
        .bind(platform_id)
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
    let locked_until = now + IDEMPOTENCY_LOCK_SECS;
    let Some(row) = row else {
        // Two first requests can race here on Postgres: the loser inserts nothing and is told
        // the key is in use, which the SDKs retry (409) into a replay.
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (platform_id, idem_key, fingerprint, locked_until, created) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (platform_id, idem_key) DO NOTHING",
        )
        .bind(platform_id)
        .bind(key)
        .bind(fingerprint)
        .bind(locked_until)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        return Ok(if inserted.rows_affected() == 1 {
            IdempotencyClaim::Claimed
        } else {
            IdempotencyClaim::InProgress
        });
    };
    let created: i64 = row.try_get("created")?;
    let stored_fingerprint: String = row.try_get("fingerprint")?;
    let status: Option<i64> = row.try_get("response_status")?;
    let held_until: Option<i64> = row.try_get("locked_until")?;
    let expired = created <= now - IDEMPOTENCY_TTL_SECS;
    let abandoned = status.is_none() && held_until.is_some_and(|t| t <= now);
    if expired || abandoned {
        // An expired key starts afresh; a claim whose process died is taken over.
        sqlx::query(
            "UPDATE idempotency_keys SET fingerprint = $3, locked_until = $4, created = $5, \
             response_status = NULL, response_body = NULL WHERE platform_id = $1 AND idem_key = $2",
        )
        .bind(platform_id)
        .bind(key)
        .bind(fingerprint)
        .bind(locked_until)
        .bind(if expired { now } else { created })
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        return Ok(IdempotencyClaim::Claimed);
    }
    tx.commit().await?;
    if stored_fingerprint != fingerprint {
        return Ok(IdempotencyClaim::Mismatch);
    }
    match status {
        None => Ok(IdempotencyClaim::InProgress),
        Some(status) => Ok(IdempotencyClaim::Replay(StoredResponse {
            status: u16::try_from(status).unwrap_or(500),
            body: row.try_get::<Option<Vec<u8>>, _>("response_body")?.unwrap_or_default(),
        })),
    }
}

pub(super) async fn complete(
    store: &SqlStore,
    platform_id: &str,
    key: &str,
    response: &StoredResponse,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE idempotency_keys SET response_status = $3, response_body = $4, locked_until = NULL \
         WHERE platform_id = $1 AND idem_key = $2",
    )
    .bind(platform_id)
    .bind(key)
    .bind(i64::from(response.status))
    .bind(response.body.clone())
    .execute(&store.write)
    .await?;
    Ok(())
}

pub(super) async fn release(store: &SqlStore, platform_id: &str, key: &str) -> StoreResult<()> {
    sqlx::query(
        "DELETE FROM idempotency_keys WHERE platform_id = $1 AND idem_key = $2 \
         AND response_status IS NULL",
    )
    .bind(platform_id)
    .bind(key)
    .execute(&store.write)
    .await?;
    Ok(())
}

pub(super) async fn purge(store: &SqlStore, before: i64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM idempotency_keys WHERE created < $1")
        .bind(before)
        .execute(&store.write)
        .await?;
    Ok(done.rows_affected())
}
