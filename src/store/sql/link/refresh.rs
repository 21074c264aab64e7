//! The refresh lifecycle in SQL: requests queue jobs, workers claim and finish them, a lost
//! consent deactivates an authorization — each change with its event in one transaction.

use async_trait::async_trait;
use sqlx::Row;

use super::{accounts, events, jobs, ownership, transactions};
use crate::domain::account::{AccountStatus, AuthorizationStatus, LinkedAccount, RefreshStatus};
use crate::domain::event::{Event, EventRequest};
use crate::domain::idempotency::Reply;
use crate::domain::ownership::{Owner, Ownership};
use crate::domain::page::{Page, PageRequest};
use crate::domain::refresh::{self, RefreshJob};
use crate::domain::session::Feature;
use crate::domain::transaction::{Transaction, TransactionFilter};
use crate::store::StoreResult;
use crate::store::refresh::{Fetched, Finished, Plan, RefreshStore, Render};
use crate::store::sql::SqlStore;

fn event(account: &LinkedAccount, kind: &str, render: Render<'_>, now: i64) -> Event {
    Event::new(
        &account.platform_id,
        kind,
        render(account),
        EventRequest::default(),
        None,
        now,
    )
}

#[async_trait]
impl RefreshStore for SqlStore {
    async fn start_refresh(
        &self,
        platform_id: &str,
        account_id: &str,
        plan: Plan<'_>,
        run_after: i64,
        _render: Render<'_>,
        reply: Option<&Reply<'_, LinkedAccount>>,
    ) -> StoreResult<Option<LinkedAccount>> {
        let mut tx = self.write.begin().await?;
        let Some(mut account) = accounts::lock(&mut tx, self.backend, platform_id, account_id).await? else {
            return Ok(None);
        };
        let features = plan(&mut account)?;
        for feature in features {
            jobs::insert(&mut tx, &RefreshJob::new(&account, feature, run_after), run_after).await?;
        }
        accounts::update(&mut tx, &account).await?;
        crate::store::sql::record_reply(&mut tx, &self.cipher, reply, &account).await?;
        tx.commit().await?;
        Ok(Some(account))
    }

    async fn claim_refresh_job(&self, worker: &str, now: i64, lease_secs: i64) -> StoreResult<Option<RefreshJob>> {
        jobs::claim(self, worker, now, lease_secs).await
    }

    async fn defer_refresh_job(&self, job: &RefreshJob, worker: &str, run_after: i64) -> StoreResult<()> {
        jobs::defer(self, job, worker, run_after).await
    }

    async fn finish_refresh(
        &self,
        job: &RefreshJob,
        worker: &str,
        fetched: Fetched,
        now: i64,
        cooldown: i64,
        render: Render<'_>,
    ) -> StoreResult<Finished> {
        let mut tx = self.write.begin().await?;
        // Account first, then its job: the order every lifecycle change takes, so two
        // processes finishing or deactivating one account's jobs cannot deadlock.
        let account = accounts::lock(&mut tx, self.backend, &job.platform_id, &job.account_id).await?;
        if !jobs::remove(&mut tx, job, worker).await? {
            return Ok(Finished::Lost);
        }
        let Some(mut account) = account.filter(|a| a.status == AccountStatus::Active) else {
            tx.commit().await?;
            return Ok(Finished::Dropped);
        };
        let succeeded = !matches!(fetched, Fetched::Failed);
        match fetched {
            Fetched::Ownership(o) => {
                ownership::insert(&mut tx, &self.cipher, &o).await?;
                account.ownership_id = Some(o.id);
            }
            Fetched::Balance(balance) => account.balance = Some(balance),
            Fetched::Transactions(list) => {
                let refresh_id = refresh::refresh_of(&account, Feature::Transactions)
                    .and_then(|r| r.id.clone())
                    .unwrap_or_else(|| crate::domain::ids::new_id("fctxnref", crate::domain::ids::DEFAULT_TAIL));
                transactions::apply_refresh(&mut tx, &account.platform_id, &account.id, &refresh_id, list, now).await?;
            }
            Fetched::Failed => {}
        }
        refresh::finish(&mut account, job.feature, succeeded, now, cooldown);
        accounts::update(&mut tx, &account).await?;
        events::insert(&mut tx, &event(&account, refresh::event_type(job.feature), render, now)).await?;
        tx.commit().await?;
        Ok(Finished::Stored)
    }

    async fn deactivate_authorization(
        &self,
        platform_id: &str,
        authorization_id: &str,
        cause: &str,
        now: i64,
        render: Render<'_>,
    ) -> StoreResult<Vec<LinkedAccount>> {
        let mut tx = self.write.begin().await?;
        sqlx::query("UPDATE fc_authorizations SET status = $3 WHERE platform_id = $1 AND id = $2")
            .bind(platform_id)
            .bind(authorization_id)
            .bind(AuthorizationStatus::Inactive.as_str())
            .execute(&mut *tx)
            .await?;
        let mut changed = Vec::new();
        for id in accounts::ids_of_authorization(&mut tx, platform_id, authorization_id).await? {
            let Some(mut account) = accounts::lock(&mut tx, self.backend, platform_id, &id).await? else {
                continue;
            };
            if account.status != AccountStatus::Active {
                continue;
            }
            refresh::deactivate(&mut account, cause, now);
            accounts::update(&mut tx, &account).await?;
            jobs::remove_for_account(&mut tx, &account.id).await?;
            events::insert(
                &mut tx,
                &event(&account, "financial_connections.account.deactivated", render, now),
            )
            .await?;
            changed.push(account);
        }
        tx.commit().await?;
        Ok(changed)
    }

    async fn disconnect_account(
        &self,
        platform_id: &str,
        account_id: &str,
        now: i64,
        render: Render<'_>,
        reply: Option<&Reply<'_, LinkedAccount>>,
    ) -> StoreResult<Option<(LinkedAccount, bool)>> {
        let mut tx = self.write.begin().await?;
        let Some(mut account) = accounts::lock(&mut tx, self.backend, platform_id, account_id).await? else {
            return Ok(None);
        };
        if account.status != AccountStatus::Disconnected {
            for feature in Feature::ALL {
                if refresh::refresh_of(&account, feature).is_some_and(|r| r.status == RefreshStatus::Pending) {
                    refresh::finish(&mut account, feature, false, now, 0);
                }
            }
            account.status = AccountStatus::Disconnected;
            account.subscriptions.clear();
            accounts::update(&mut tx, &account).await?;
            jobs::remove_for_account(&mut tx, &account.id).await?;
            events::insert(
                &mut tx,
                &event(&account, "financial_connections.account.disconnected", render, now),
            )
            .await?;
        }
        let remaining = sqlx::query(
            "SELECT COUNT(*) AS n FROM fc_accounts WHERE platform_id = $1 AND authorization_id = $2 AND status <> 'disconnected'",
        )
        .bind(platform_id)
        .bind(&account.authorization_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get::<i64, _>("n")?;
        crate::store::sql::record_reply(&mut tx, &self.cipher, reply, &account).await?;
        tx.commit().await?;
        Ok(Some((account, remaining == 0)))
    }

    async fn mark_authorization_disconnected(&self, platform_id: &str, authorization_id: &str) -> StoreResult<()> {
        sqlx::query("UPDATE fc_authorizations SET status = $3 WHERE platform_id = $1 AND id = $2")
            .bind(platform_id)
            .bind(authorization_id)
            .bind(AuthorizationStatus::Disconnected.as_str())
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn refresh_jobs_queued(&self) -> StoreResult<i64> {
        jobs::count(self).await
    }

    async fn claim_token_renewal(&self, authorization_id: &str, now: i64, until: i64) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE fc_authorizations SET refreshing_until = $3 WHERE id = $1 \
             AND (refreshing_until IS NULL OR refreshing_until <= $2)",
        )
        .bind(authorization_id)
        .bind(now)
        .bind(until)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn store_bank_tokens(
        &self,
        authorization_id: &str,
        access_token: &str,
        access_expires_at: i64,
        refresh_token: Option<&str>,
    ) -> StoreResult<()> {
        let context = |which: &str| format!("fc_authorizations:{authorization_id}:{which}");
        let current: Option<String> = sqlx::query("SELECT refresh_token FROM fc_authorizations WHERE id = $1")
            .bind(authorization_id)
            .fetch_optional(&self.write)
            .await?
            .map(|r| r.try_get::<Option<String>, _>("refresh_token"))
            .transpose()?
            .flatten();
        // A bank that does not rotate refresh tokens keeps the one already stored.
        let refresh = match refresh_token {
            Some(t) => Some(self.cipher.seal(t, &context("refresh"))),
            None => current,
        };
        sqlx::query(
            "UPDATE fc_authorizations SET access_token = $2, access_expires_at = $3, refresh_token = $4, \
             refreshing_until = NULL WHERE id = $1",
        )
        .bind(authorization_id)
        .bind(self.cipher.seal(access_token, &context("access")))
        .bind(access_expires_at)
        .bind(refresh)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn get_ownership(&self, platform_id: &str, id: &str) -> StoreResult<Option<Ownership>> {
        ownership::get(self, platform_id, id).await
    }

    async fn list_owners(&self, platform_id: &str, ownership_id: &str, page: &PageRequest) -> StoreResult<Page<Owner>> {
        ownership::list_owners(self, platform_id, ownership_id, page).await
    }

    async fn list_transactions(
        &self,
        platform_id: &str,
        filter: &TransactionFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Transaction>> {
        transactions::list(self, platform_id, filter, page).await
    }

    async fn get_transaction(&self, platform_id: &str, id: &str) -> StoreResult<Option<Transaction>> {
        transactions::get(self, platform_id, id).await
    }
}
