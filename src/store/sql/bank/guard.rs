//! SQL for sign-in throttling and single-use TOTP steps (`bank_sign_in_failures`,
//! `bank_totp_steps`).

use sqlx::Row;

use super::super::SqlStore;
use crate::domain::bank::throttle::Failures;
use crate::store::StoreResult;

pub(super) async fn failures(store: &SqlStore, key_hash: &str) -> StoreResult<Option<Failures>> {
    let row = sqlx::query("SELECT failures, last_failure_at FROM bank_sign_in_failures WHERE key_hash = $1")
        .bind(key_hash)
        .fetch_optional(&store.write)
        .await?;
    row.map(|r| {
        Ok(Failures {
            count: r.try_get("failures")?,
            last_at: r.try_get("last_failure_at")?,
        })
    })
    .transpose()
}

/// One statement, so concurrent failures (on any replica) each count.
pub(super) async fn record_failure(
    store: &SqlStore,
    key_hash: &str,
    now: i64,
    forget_secs: i64,
) -> StoreResult<Failures> {
    let row = sqlx::query(
        "INSERT INTO bank_sign_in_failures (key_hash, failures, last_failure_at) VALUES ($1, 1, $2) \
         ON CONFLICT (key_hash) DO UPDATE SET \
         failures = CASE WHEN $2 - bank_sign_in_failures.last_failure_at >= $3 THEN 1 \
         ELSE bank_sign_in_failures.failures + 1 END, \
         last_failure_at = $2 \
         RETURNING failures, last_failure_at",
    )
    .bind(key_hash)
    .bind(now)
    .bind(forget_secs)
    .fetch_one(&store.write)
    .await?;
    Ok(Failures {
        count: row.try_get("failures")?,
        last_at: row.try_get("last_failure_at")?,
    })
}

pub(super) async fn clear(store: &SqlStore, key_hash: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM bank_sign_in_failures WHERE key_hash = $1")
        .bind(key_hash)
        .execute(&store.write)
        .await?;
    Ok(())
}

pub(super) async fn forgive(store: &SqlStore, key_hash: &str, last_failure_at: Option<i64>) -> StoreResult<()> {
    sqlx::query(
        "UPDATE bank_sign_in_failures SET failures = failures - 1, \
         last_failure_at = COALESCE($2, last_failure_at) WHERE key_hash = $1 AND failures > 0",
    )
    .bind(key_hash)
    .bind(last_failure_at)
    .execute(&store.write)
    .await?;
    Ok(())
}

/// Records `step` as used unless it (or a later one) already was; true if recorded.
pub(super) async fn use_totp_step(store: &SqlStore, user_id: &str, step: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO bank_totp_steps (user_id, last_step) VALUES ($1, $2) \
         ON CONFLICT (user_id) DO UPDATE SET last_step = excluded.last_step \
         WHERE bank_totp_steps.last_step < excluded.last_step",
    )
    .bind(user_id)
    .bind(step)
    .execute(&store.write)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn last_totp_step(store: &SqlStore, user_id: &str) -> StoreResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT last_step FROM bank_totp_steps WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&store.write)
            .await?,
    )
}
