//! Ownership matches: a quota check and the insert under one lock on the bank account, so
//! concurrent guesses (through one link or several) cannot slip past the limit.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Backend, SqlStore};
use crate::domain::matching::{MatchResults, MatchType, OwnerInformation, OwnershipMatch};
use crate::store::matching::{MatchRecord, MatchStore, Quota};
use crate::store::{StoreError, StoreResult};

const COLUMNS: &str =
    "id, platform_id, account_id, created, type, customer_id, ownership_id, owner_information, results";

/// The same input against the same ownership within the window.
const SAME_INPUT: &str =
    "platform_id = $1 AND account_id = $2 AND input_hash = $3 AND ownership_id = $4 AND created > $5";

fn context(id: &str) -> String {
    format!("fc_ownership_matches:{id}:owner_information")
}

fn from_row(store: &SqlStore, row: &AnyRow) -> StoreResult<OwnershipMatch> {
    let id: String = row.try_get("id")?;
    let sealed: String = row.try_get("owner_information")?;
    let info: OwnerInformation = serde_json::from_str(&store.cipher.open(&sealed, &context(&id))?)
        .map_err(|_| StoreError::Corrupt("ownership match input".into()))?;
    let results: String = row.try_get("results")?;
    let kind: String = row.try_get("type")?;
    Ok(OwnershipMatch {
        platform_id: row.try_get("platform_id")?,
        account_id: row.try_get("account_id")?,
        created: row.try_get("created")?,
        kind: if kind == "customer" {
            MatchType::Customer
        } else {
            MatchType::OwnerInformation
        },
        owner_information: info,
        customer_id: row.try_get("customer_id")?,
        ownership_id: row.try_get("ownership_id")?,
        results: serde_json::from_str::<MatchResults>(&results)
            .map_err(|_| StoreError::Corrupt("match results".into()))?,
        id,
    })
}

#[async_trait]
impl MatchStore for SqlStore {
    async fn record_match(
        &self,
        made: &OwnershipMatch,
        fingerprint: &str,
        quota: Quota<'_>,
        request_id: Option<&str>,
    ) -> StoreResult<MatchRecord> {
        let mut tx = self.write.begin().await?;
        // Serialises matches per bank account, across all its links (SQLite's single writer
        // does so already).
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind(format!("ownership_match:{}:{}", made.platform_id, quota.bank_account))
                .execute(&mut *tx)
                .await?;
        }

        let sql = format!("SELECT {COLUMNS} FROM fc_ownership_matches WHERE {SAME_INPUT} ORDER BY seq DESC LIMIT 1");
        let existing = sqlx::query(&sql)
            .bind(&made.platform_id)
            .bind(&made.account_id)
            .bind(fingerprint)
            .bind(&made.ownership_id)
            .bind(quota.since)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = existing {
            tx.commit().await?;
            return Ok(MatchRecord::Existing(from_row(self, &row)?));
        }

        let seen = sqlx::query(
            "SELECT input_hash, MIN(created) AS first FROM fc_ownership_matches WHERE platform_id = $1 AND bank_account = $2 \
             AND created > $3 GROUP BY input_hash",
        )
        .bind(&made.platform_id)
        .bind(quota.bank_account)
        .bind(quota.since)
        .fetch_all(&mut *tx)
        .await?;
        let already_counted = seen
            .iter()
            .any(|r| r.try_get::<String, _>("input_hash").is_ok_and(|h| h == fingerprint));
        if !already_counted && seen.len() as i64 >= quota.limit {
            let mut firsts: Vec<i64> = seen.iter().filter_map(|r| r.try_get::<i64, _>("first").ok()).collect();
            firsts.sort_unstable();
            // A slot frees when the oldest counted input leaves the window.
            let frees_at = firsts.first().copied().unwrap_or(quota.since) + quota.window_secs;
            let retry_after = (frees_at - made.created).max(1);
            sqlx::query(
                "INSERT INTO audit_events (platform_id, created, action, subject, request_id, detail) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&made.platform_id)
            .bind(made.created)
            .bind("ownership_match.quota_exceeded")
            .bind(&made.account_id)
            .bind(request_id)
            .bind(serde_json::json!({ "distinct_inputs": seen.len(), "limit": quota.limit, "retry_after": retry_after }).to_string())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok(MatchRecord::QuotaExceeded { retry_after });
        }

        let info = serde_json::to_string(&made.owner_information).expect("owner information serialises");
        sqlx::query(
            "INSERT INTO fc_ownership_matches (id, platform_id, account_id, created, type, customer_id, ownership_id, \
             input_hash, owner_information, results, bank_account) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&made.id)
        .bind(&made.platform_id)
        .bind(&made.account_id)
        .bind(made.created)
        .bind(made.kind.as_str())
        .bind(&made.customer_id)
        .bind(&made.ownership_id)
        .bind(fingerprint)
        .bind(self.cipher.seal(&info, &context(&made.id)))
        .bind(serde_json::to_string(&made.results).expect("results serialise"))
        .bind(quota.bank_account)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(MatchRecord::Created(made.clone()))
    }

    async fn find_match(
        &self,
        platform_id: &str,
        account_id: &str,
        fingerprint: &str,
        since: i64,
    ) -> StoreResult<Option<OwnershipMatch>> {
        let columns: Vec<String> = COLUMNS.split(", ").map(|c| format!("m.{c}")).collect();
        // Joined to the account so only a match against its current ownership data counts.
        let sql = format!(
            "SELECT {} FROM fc_ownership_matches m JOIN fc_accounts a \
             ON a.platform_id = m.platform_id AND a.id = m.account_id AND a.ownership_id = m.ownership_id \
             WHERE m.platform_id = $1 AND m.account_id = $2 AND m.input_hash = $3 AND m.created > $4 \
             ORDER BY m.seq DESC LIMIT 1",
            columns.join(", ")
        );
        let row = sqlx::query(&sql)
            .bind(platform_id)
            .bind(account_id)
            .bind(fingerprint)
            .bind(since)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| from_row(self, &r)).transpose()
    }

    async fn get_match(&self, platform_id: &str, id: &str) -> StoreResult<Option<OwnershipMatch>> {
        let sql = format!("SELECT {COLUMNS} FROM fc_ownership_matches WHERE platform_id = $1 AND id = $2");
        let row = sqlx::query(&sql)
            .bind(platform_id)
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| from_row(self, &r)).transpose()
    }

    async fn match_refusals(&self, platform_id: &str, account_id: &str) -> StoreResult<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM audit_events WHERE platform_id = $1 AND subject = $2 AND action = 'ownership_match.quota_exceeded'",
        )
        .bind(platform_id)
        .bind(account_id)
        .fetch_one(&self.read)
        .await?;
        Ok(row.try_get("n")?)
    }
}
