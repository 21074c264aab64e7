//! The refresh job queue: claimed with a lease (`FOR UPDATE SKIP LOCKED` on Postgres, so
//! several processes share it), removed when finished, taken again when a lease lapses.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::domain::refresh::RefreshJob;
use crate::domain::session::Feature;
use crate::store::sql::SqlStore;
use crate::store::{StoreError, StoreResult};

fn feature_of(name: &str) -> StoreResult<Feature> {
    Feature::ALL
        .into_iter()
        .find(|f| f.as_str() == name)
        .ok_or_else(|| StoreError::Corrupt(format!("job feature {name}")))
}

fn from_row(row: &AnyRow) -> StoreResult<RefreshJob> {
    let feature: String = row.try_get("feature")?;
    Ok(RefreshJob {
        id: row.try_get("id")?,
        platform_id: row.try_get("platform_id")?,
        account_id: row.try_get("account_id")?,
        feature: feature_of(&feature)?,
        run_after: row.try_get("run_after")?,
        attempts: row.try_get("attempts")?,
    })
}

pub(super) async fn insert(tx: &mut Transaction<'_, Any>, job: &RefreshJob, now: i64) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO fc_refresh_jobs (id, platform_id, account_id, feature, run_after, attempts, created) \
         VALUES ($1, $2, $3, $4, $5, 0, $6)",
    )
    .bind(&job.id)
    .bind(&job.platform_id)
    .bind(&job.account_id)
    .bind(job.feature.as_str())
    .bind(job.run_after)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn claim(
    store: &SqlStore,
    worker: &str,
    now: i64,
    lease_secs: i64,
) -> StoreResult<Option<RefreshJob>> {
    let sql = format!(
        "UPDATE fc_refresh_jobs SET claimed_by = $1, claimed_until = $2, attempts = attempts + 1 \
         WHERE id = (SELECT id FROM fc_refresh_jobs WHERE run_after <= $3 \
                     AND (claimed_until IS NULL OR claimed_until <= $3) \
                     ORDER BY run_after, seq LIMIT 1{}) \
         RETURNING id, platform_id, account_id, feature, run_after, attempts",
        store.backend.skip_locked()
    );
    let row = sqlx::query(&sql)
        .bind(worker)
        .bind(now + lease_secs)
        .bind(now)
        .fetch_optional(&store.write)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub(super) async fn defer(store: &SqlStore, job: &RefreshJob, worker: &str, run_after: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE fc_refresh_jobs SET claimed_by = NULL, claimed_until = NULL, run_after = $3 \
         WHERE id = $1 AND claimed_by = $2",
    )
    .bind(&job.id)
    .bind(worker)
    .bind(run_after)
    .execute(&store.write)
    .await?;
    Ok(())
}

/// Removes a finished job; false if the job is no longer this worker's.
pub(super) async fn remove(tx: &mut Transaction<'_, Any>, job: &RefreshJob, worker: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM fc_refresh_jobs WHERE id = $1 AND claimed_by = $2")
        .bind(&job.id)
        .bind(worker)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Drops every waiting job of an account (it lost its consent or was disconnected).
pub(super) async fn remove_for_account(tx: &mut Transaction<'_, Any>, account_id: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM fc_refresh_jobs WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub(super) async fn count(store: &SqlStore) -> StoreResult<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM fc_refresh_jobs")
        .fetch_one(&store.read)
        .await?;
    Ok(row.try_get("n")?)
}
