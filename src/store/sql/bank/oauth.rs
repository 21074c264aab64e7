//! OAuth clients, pending authorization requests, bank browser sessions and the signing key.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::domain::bank::client::{AuthMethod, BankClient};
use crate::domain::bank::request::{AuthRequest, BankSession, Stage};
use crate::domain::bank::scope::Scopes;
use crate::store::bank::SigningKeyRecord;
use crate::store::sql::SqlStore;
use crate::store::{StoreError, StoreResult};

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} holds an unknown value"))
}

pub(super) async fn insert_client(store: &SqlStore, c: &BankClient) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO bank_clients (id, institution_id, secret_hash, auth_method, name, redirect_uris, \
         grant_types, scope, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&c.id)
    .bind(&c.institution_id)
    .bind(&c.secret_hash)
    .bind(c.auth_method.as_str())
    .bind(&c.name)
    .bind(serde_json::to_string(&c.redirect_uris).expect("strings serialise"))
    .bind(serde_json::to_string(&c.grant_types).expect("strings serialise"))
    .bind(c.scope.to_string())
    .bind(c.created)
    .execute(&store.write)
    .await?;
    Ok(())
}

fn client_from(row: &AnyRow) -> StoreResult<BankClient> {
    let uris: String = row.try_get("redirect_uris")?;
    let grants: String = row.try_get("grant_types")?;
    let method: String = row.try_get("auth_method")?;
    let scope: String = row.try_get("scope")?;
    Ok(BankClient {
        id: row.try_get("id")?,
        institution_id: row.try_get("institution_id")?,
        secret_hash: row.try_get("secret_hash")?,
        auth_method: AuthMethod::parse(&method).ok_or_else(|| corrupt("bank_clients.auth_method"))?,
        name: row.try_get("name")?,
        redirect_uris: serde_json::from_str(&uris).map_err(|_| corrupt("bank_clients.redirect_uris"))?,
        grant_types: serde_json::from_str(&grants).map_err(|_| corrupt("bank_clients.grant_types"))?,
        scope: Scopes::parse(&scope).map_err(|_| corrupt("bank_clients.scope"))?,
        created: row.try_get("created")?,
    })
}

pub(super) async fn get_client(store: &SqlStore, institution_id: &str, id: &str) -> StoreResult<Option<BankClient>> {
    let row = sqlx::query(
        "SELECT id, institution_id, secret_hash, auth_method, name, redirect_uris, grant_types, scope, created \
         FROM bank_clients WHERE institution_id = $1 AND id = $2",
    )
    .bind(institution_id)
    .bind(id)
    .fetch_optional(&store.read)
    .await?;
    row.as_ref().map(client_from).transpose()
}

pub(super) async fn insert_request(store: &SqlStore, r: &AuthRequest) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO bank_auth_requests (id, institution_id, client_id, redirect_uri, scope, state, \
         code_challenge, user_id, session_hash, stage, failed_attempts, expires_at, created) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&r.id)
    .bind(&r.institution_id)
    .bind(&r.client_id)
    .bind(&r.redirect_uri)
    .bind(r.scope.to_string())
    .bind(&r.state)
    .bind(&r.code_challenge)
    .bind(&r.user_id)
    .bind(&r.session_hash)
    .bind(r.stage.as_str())
    .bind(r.failed_attempts)
    .bind(r.expires_at)
    .bind(r.created)
    .execute(&store.write)
    .await?;
    Ok(())
}

pub(super) async fn get_request(store: &SqlStore, id: &str) -> StoreResult<Option<AuthRequest>> {
    let row = sqlx::query(
        "SELECT id, institution_id, client_id, redirect_uri, scope, state, code_challenge, user_id, \
         session_hash, stage, failed_attempts, expires_at, created FROM bank_auth_requests WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&store.read)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let scope: String = row.try_get("scope")?;
    let stage: String = row.try_get("stage")?;
    Ok(Some(AuthRequest {
        id: row.try_get("id")?,
        institution_id: row.try_get("institution_id")?,
        client_id: row.try_get("client_id")?,
        redirect_uri: row.try_get("redirect_uri")?,
        scope: Scopes::parse(&scope).map_err(|_| corrupt("bank_auth_requests.scope"))?,
        state: row.try_get("state")?,
        code_challenge: row.try_get("code_challenge")?,
        user_id: row.try_get("user_id")?,
        session_hash: row.try_get("session_hash")?,
        stage: Stage::parse(&stage).ok_or_else(|| corrupt("bank_auth_requests.stage"))?,
        failed_attempts: row.try_get("failed_attempts")?,
        expires_at: row.try_get("expires_at")?,
        created: row.try_get("created")?,
    }))
}

pub(super) async fn login_request(store: &SqlStore, request_id: &str, session: &BankSession) -> StoreResult<()> {
    let mut tx = store.write.begin().await?;
    insert_session_in(&mut tx, session).await?;
    sqlx::query("UPDATE bank_auth_requests SET user_id = $2, session_hash = $3, stage = $4 WHERE id = $1")
        .bind(request_id)
        .bind(&session.user_id)
        .bind(&session.token_hash)
        .bind(Stage::Mfa.as_str())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn set_stage(store: &SqlStore, request_id: &str, stage: Stage) -> StoreResult<()> {
    sqlx::query("UPDATE bank_auth_requests SET stage = $2 WHERE id = $1")
        .bind(request_id)
        .bind(stage.as_str())
        .execute(&store.write)
        .await?;
    Ok(())
}

pub(super) async fn record_failure(store: &SqlStore, request_id: &str) -> StoreResult<i64> {
    let n: Option<i64> = sqlx::query_scalar(
        "UPDATE bank_auth_requests SET failed_attempts = failed_attempts + 1 WHERE id = $1 RETURNING failed_attempts",
    )
    .bind(request_id)
    .fetch_optional(&store.write)
    .await?;
    Ok(n.unwrap_or(i64::MAX))
}

async fn insert_session_in(tx: &mut sqlx::Transaction<'_, sqlx::Any>, s: &BankSession) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO bank_sessions (token_hash, institution_id, user_id, mfa_passed, expires_at, created) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&s.token_hash)
    .bind(&s.institution_id)
    .bind(&s.user_id)
    .bind(i64::from(s.mfa_passed))
    .bind(s.expires_at)
    .bind(s.created)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn insert_session(store: &SqlStore, s: &BankSession) -> StoreResult<()> {
    let mut tx = store.write.begin().await?;
    insert_session_in(&mut tx, s).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn get_session(store: &SqlStore, token_hash: &str) -> StoreResult<Option<BankSession>> {
    let row = sqlx::query(
        "SELECT token_hash, institution_id, user_id, mfa_passed, expires_at, created FROM bank_sessions \
         WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(&store.read)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mfa: i64 = row.try_get("mfa_passed")?;
    Ok(Some(BankSession {
        token_hash: row.try_get("token_hash")?,
        institution_id: row.try_get("institution_id")?,
        user_id: row.try_get("user_id")?,
        mfa_passed: mfa != 0,
        expires_at: row.try_get("expires_at")?,
        created: row.try_get("created")?,
    }))
}

pub(super) async fn mark_session_mfa(store: &SqlStore, token_hash: &str) -> StoreResult<()> {
    sqlx::query("UPDATE bank_sessions SET mfa_passed = 1 WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&store.write)
        .await?;
    Ok(())
}

/// Insert-if-absent, then read back: two processes starting at once end up with one key.
pub(super) async fn signing_key(store: &SqlStore, candidate: &SigningKeyRecord) -> StoreResult<SigningKeyRecord> {
    let sealed = store.cipher.seal(
        &candidate.private_key,
        &format!("bank_signing_keys:{}:private_key", candidate.kid),
    );
    sqlx::query(
        "INSERT INTO bank_signing_keys (slot, kid, private_key, created) VALUES ('active', $1, $2, $3) \
         ON CONFLICT (slot) DO NOTHING",
    )
    .bind(&candidate.kid)
    .bind(sealed)
    .bind(candidate.created)
    .execute(&store.write)
    .await?;
    let row = sqlx::query("SELECT kid, private_key, created FROM bank_signing_keys WHERE slot = 'active'")
        .fetch_one(&store.write)
        .await?;
    let kid: String = row.try_get("kid")?;
    let stored: String = row.try_get("private_key")?;
    Ok(SigningKeyRecord {
        private_key: store
            .cipher
            .open(&stored, &format!("bank_signing_keys:{kid}:private_key"))?,
        kid,
        created: row.try_get("created")?,
    })
}
