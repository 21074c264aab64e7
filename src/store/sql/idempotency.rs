//! Idempotency keys: a claim row per (platform, key), completed with the first response. The
//! answer is recorded by the write it answers, in that write's transaction ([`record_in`]), so
//! a process that dies after committing leaves a replayable answer, never a claim that runs
//! the write again. Bodies are sealed: an answer may carry owner data (`expand[]=ownership`).

use sqlx::{Any, Row, Transaction};

use super::{Backend, SqlStore};
use crate::crypto::Cipher;
use crate::domain::idempotency::{
    IDEMPOTENCY_LOCK_SECS, IDEMPOTENCY_TTL_SECS, IdempotencyClaim, KeyClaim, PendingExpansion, Reply, StoredResponse,
};
use crate::domain::ids::random_base62;
use crate::store::{StoreError, StoreResult};

/// Binds a sealed body to its key, so it opens only in its own row.
fn body_context(platform_id: &str, key: &str) -> String {
    format!("idempotency_keys:{platform_id}:{key}:response_body")
}

fn seal_body(cipher: &Cipher, platform_id: &str, key: &str, body: &[u8]) -> Vec<u8> {
    // Bodies are JSON the server rendered, so UTF-8; a lossy read only guards the type.
    cipher
        .seal(&String::from_utf8_lossy(body), &body_context(platform_id, key))
        .into_bytes()
}

fn open_body(cipher: &Cipher, platform_id: &str, key: &str, stored: Option<Vec<u8>>) -> StoreResult<Vec<u8>> {
    let Some(stored) = stored else {
        return Ok(Vec::new());
    };
    let text = String::from_utf8(stored).map_err(|_| StoreError::Corrupt("idempotency response_body".into()))?;
    Ok(cipher.open(&text, &body_context(platform_id, key))?.into_bytes())
}

/// Whether the process that holds a claim is gone. Postgres knows: every process holds an
/// advisory lock named after its incarnation for as long as it lives (see `incarnation.rs`),
/// so a lock this transaction can take belongs to nobody. A SQLite file serves the one
/// process that opened it, so a claim from another incarnation is a predecessor's.
async fn holder_is_gone(
    store: &SqlStore,
    tx: &mut Transaction<'_, Any>,
    claimed_by: Option<&str>,
) -> StoreResult<bool> {
    let Some(holder) = claimed_by else {
        return Ok(false);
    };
    if holder == store.incarnation.id() {
        return Ok(false);
    }
    match store.backend {
        Backend::Sqlite => Ok(true),
        Backend::Postgres => {
            let row = sqlx::query(super::incarnation::TRY_LOCK_SQL)
                .bind(holder)
                .fetch_one(&mut **tx)
                .await?;
            Ok(row.try_get::<bool, _>("gone")?)
        }
    }
}

pub(super) async fn claim(
    store: &SqlStore,
    platform_id: &str,
    key: &str,
    fingerprint: &str,
    expand_pending: bool,
    now: i64,
) -> StoreResult<IdempotencyClaim> {
    let mut tx = store.write.begin().await?;
    let sql = format!(
        "SELECT fingerprint, locked_until, response_status, response_body, created, claimed_by, expand_pending, \
         recovery \
         FROM idempotency_keys WHERE platform_id = $1 AND idem_key = $2{}",
        store.backend.for_update()
    );
    let row = sqlx::query(&sql)
        .bind(platform_id)
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
    let locked_until = now + IDEMPOTENCY_LOCK_SECS;
    let mut claim = KeyClaim {
        platform_id: platform_id.to_owned(),
        key: key.to_owned(),
        token: random_base62(24),
        expand_pending,
        recovery: None,
    };
    let Some(row) = row else {
        // Two first requests can race here on Postgres: the loser inserts nothing and is told
        // the key is in use, which the SDKs retry (409) into a replay.
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (platform_id, idem_key, fingerprint, locked_until, created, \
             claim_token, claimed_by) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (platform_id, idem_key) DO NOTHING",
        )
        .bind(platform_id)
        .bind(key)
        .bind(fingerprint)
        .bind(locked_until)
        .bind(now)
        .bind(&claim.token)
        .bind(store.incarnation.id())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        return Ok(if inserted.rows_affected() == 1 {
            IdempotencyClaim::Claimed(claim)
        } else {
            IdempotencyClaim::InProgress
        });
    };
    let created: i64 = row.try_get("created")?;
    let stored_fingerprint: String = row.try_get("fingerprint")?;
    let status: Option<i64> = row.try_get("response_status")?;
    let held_until: Option<i64> = row.try_get("locked_until")?;
    let claimed_by: Option<String> = row.try_get("claimed_by")?;
    let expired = created <= now - IDEMPOTENCY_TTL_SECS;
    let abandoned = status.is_none()
        && (held_until.is_some_and(|t| t <= now) || holder_is_gone(store, &mut tx, claimed_by.as_deref()).await?);
    if expired || abandoned {
        // An expired key starts afresh; a claim whose process died is taken over. No write
        // committed under it (a committed write records its answer in the same transaction),
        // and the old holder's token no longer matches, so it can never record one now. What
        // the old holder noted it started is handed on, so the new one can resume it.
        if !expired && stored_fingerprint == fingerprint {
            claim.recovery = row.try_get("recovery")?;
        }
        sqlx::query(
            "UPDATE idempotency_keys SET fingerprint = $3, locked_until = $4, created = $5, \
             response_status = NULL, response_body = NULL, claim_token = $6, claimed_by = $7, \
             expand_pending = 0, recovery = $8 WHERE platform_id = $1 AND idem_key = $2",
        )
        .bind(platform_id)
        .bind(key)
        .bind(fingerprint)
        .bind(locked_until)
        .bind(if expired { now } else { created })
        .bind(&claim.token)
        .bind(store.incarnation.id())
        .bind(&claim.recovery)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        return Ok(IdempotencyClaim::Claimed(claim));
    }
    tx.commit().await?;
    if stored_fingerprint != fingerprint {
        return Ok(IdempotencyClaim::Mismatch);
    }
    let Some(status) = status else {
        return Ok(IdempotencyClaim::InProgress);
    };
    let stored = StoredResponse {
        status: u16::try_from(status).unwrap_or(500),
        body: open_body(&store.cipher, platform_id, key, row.try_get("response_body")?)?,
    };
    if row.try_get::<i64, _>("expand_pending")? != 0 {
        return Ok(IdempotencyClaim::Unexpanded(PendingExpansion(stored)));
    }
    Ok(IdempotencyClaim::Replay(stored))
}

/// Records `reply` for `value` under its key inside the write's transaction `tx`. Fails (and so
/// rolls the write back) if the claim is no longer this request's: another request took it
/// over, and only one of them may have an effect.
pub(crate) async fn record_in<T: ?Sized>(
    tx: &mut Transaction<'_, Any>,
    cipher: &Cipher,
    reply: Option<&Reply<'_, T>>,
    value: &T,
) -> StoreResult<()> {
    let Some(reply) = reply else {
        return Ok(());
    };
    let claim = reply.claim;
    let body = serde_json::to_vec(&(reply.render)(value)).expect("a JSON value serialises");
    let done = sqlx::query(
        "UPDATE idempotency_keys SET response_status = 200, response_body = $4, locked_until = NULL, \
         expand_pending = $5 WHERE platform_id = $1 AND idem_key = $2 AND claim_token = $3 \
         AND response_status IS NULL",
    )
    .bind(&claim.platform_id)
    .bind(&claim.key)
    .bind(&claim.token)
    .bind(seal_body(cipher, &claim.platform_id, &claim.key, &body))
    .bind(i64::from(claim.expand_pending))
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::KeyClaimLost);
    }
    Ok(())
}

/// A write of one statement, with its answer recorded beside it when the request carries an
/// `Idempotency-Key`. Without a key there is nothing to record, and the statement runs on its
/// own: a transaction would add a BEGIN and a COMMIT round trip to every unkeyed create.
pub(crate) async fn execute_recording<'q, T: ?Sized>(
    store: &SqlStore,
    statement: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    reply: Option<&Reply<'_, T>>,
    value: &T,
) -> StoreResult<()> {
    if reply.is_none() {
        statement.execute(&store.write).await?;
        return Ok(());
    }
    let mut tx = store.write.begin().await?;
    statement.execute(&mut *tx).await?;
    record_in(&mut tx, &store.cipher, reply, value).await?;
    tx.commit().await?;
    Ok(())
}

/// Notes under the key what the request started (e.g. the session it links through), for a
/// successor to resume if this process dies before the key has an answer.
pub(super) async fn note_recovery(store: &SqlStore, claim: &KeyClaim, recovery: &str) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE idempotency_keys SET recovery = $4 WHERE platform_id = $1 AND idem_key = $2 \
         AND claim_token = $3 AND response_status IS NULL",
    )
    .bind(&claim.platform_id)
    .bind(&claim.key)
    .bind(&claim.token)
    .bind(recovery)
    .execute(&store.write)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::KeyClaimLost);
    }
    Ok(())
}

/// Stores the answer the client gets. It replaces an answer the write recorded (which may
/// still lack its `expand[]`); it does nothing if the claim was taken over.
pub(super) async fn complete(store: &SqlStore, claim: &KeyClaim, response: &StoredResponse) -> StoreResult<()> {
    sqlx::query(
        "UPDATE idempotency_keys SET response_status = $4, response_body = $5, locked_until = NULL, \
         expand_pending = 0 WHERE platform_id = $1 AND idem_key = $2 AND claim_token = $3",
    )
    .bind(&claim.platform_id)
    .bind(&claim.key)
    .bind(&claim.token)
    .bind(i64::from(response.status))
    .bind(seal_body(&store.cipher, &claim.platform_id, &claim.key, &response.body))
    .execute(&store.write)
    .await?;
    Ok(())
}

/// Stores the expansion of an answer recorded without it (the replay after a crash).
pub(super) async fn complete_expansion(
    store: &SqlStore,
    platform_id: &str,
    key: &str,
    response: &StoredResponse,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE idempotency_keys SET response_body = $3, expand_pending = 0 \
         WHERE platform_id = $1 AND idem_key = $2 AND expand_pending <> 0",
    )
    .bind(platform_id)
    .bind(key)
    .bind(seal_body(&store.cipher, platform_id, key, &response.body))
    .execute(&store.write)
    .await?;
    Ok(())
}

/// Forgets a claim whose request had no effect worth keeping. An answer its write recorded
/// stays: the write committed, so a retry must replay it.
pub(super) async fn release(store: &SqlStore, claim: &KeyClaim) -> StoreResult<()> {
    sqlx::query(
        "DELETE FROM idempotency_keys WHERE platform_id = $1 AND idem_key = $2 AND claim_token = $3 \
         AND response_status IS NULL",
    )
    .bind(&claim.platform_id)
    .bind(&claim.key)
    .bind(&claim.token)
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
