//! SQL for sessions, the hosted flow's OAuth state, linked accounts and events.

mod accounts;
pub(super) mod events;
mod flow;
mod jobs;
mod ownership;
mod refresh;
mod sessions;
mod transactions;

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use super::SqlStore;
use crate::domain::account::{Authorization, LinkedAccount};
use crate::domain::event::Event;
use crate::domain::idempotency::Reply;
use crate::domain::page::{Page, PageRequest};
use crate::domain::refresh::RefreshJob;
use crate::domain::session::{Session, SessionStatus};
use crate::store::link::{AccountFilter, LinkAttempt, LinkClient};
use crate::store::{LinkStore, StoreResult};

/// Lookup key for a secret that is itself never stored in the clear.
pub(super) fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[async_trait]
impl LinkStore for SqlStore {
    async fn insert_session(&self, session: &Session, reply: Option<&Reply<'_, Session>>) -> StoreResult<()> {
        sessions::insert(self, session, reply).await
    }

    async fn get_session(&self, platform_id: &str, id: &str) -> StoreResult<Option<Session>> {
        sessions::get(self, platform_id, id).await
    }

    async fn session_by_secret(&self, client_secret: &str) -> StoreResult<Option<Session>> {
        sessions::by_secret(self, client_secret).await
    }

    async fn end_session(&self, session_id: &str, status: SessionStatus, reason: Option<&str>) -> StoreResult<bool> {
        sessions::end(self, session_id, status, reason).await
    }

    async fn get_link_client(&self, institution_id: &str, redirect_uri: &str) -> StoreResult<Option<LinkClient>> {
        flow::get_client(self, institution_id, redirect_uri).await
    }

    async fn link_client_by_id(&self, institution_id: &str, client_id: &str) -> StoreResult<Option<LinkClient>> {
        flow::client_by_id(self, institution_id, client_id).await
    }

    async fn insert_link_client(
        &self,
        institution_id: &str,
        redirect_uri: &str,
        client: &LinkClient,
        now: i64,
    ) -> StoreResult<()> {
        flow::insert_client(self, institution_id, redirect_uri, client, now).await
    }

    async fn insert_link_attempt(&self, state: &str, attempt: &LinkAttempt, now: i64) -> StoreResult<()> {
        flow::insert_attempt(self, state, attempt, now).await
    }

    async fn take_link_attempt(&self, state: &str, now: i64) -> StoreResult<Option<LinkAttempt>> {
        flow::take_attempt(self, state, now).await
    }

    async fn complete_link(
        &self,
        session_id: &str,
        authorization: &Authorization,
        accounts: &[LinkedAccount],
        events: &[Event],
        jobs: &[RefreshJob],
        now: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.write.begin().await?;
        if !sessions::succeed(&mut tx, self.backend, session_id).await? {
            return Ok(false);
        }
        accounts::insert_authorization(&mut tx, &self.cipher, authorization).await?;
        for account in accounts {
            accounts::insert(&mut tx, account).await?;
        }
        for event in events {
            events::insert(&mut tx, event).await?;
        }
        for job in jobs {
            jobs::insert(&mut tx, job, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn get_account(&self, platform_id: &str, id: &str) -> StoreResult<Option<LinkedAccount>> {
        accounts::get(self, platform_id, id).await
    }

    async fn list_accounts(
        &self,
        platform_id: &str,
        filter: &AccountFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<LinkedAccount>> {
        accounts::list(self, platform_id, filter, page).await
    }

    async fn get_authorization(&self, platform_id: &str, id: &str) -> StoreResult<Option<Authorization>> {
        accounts::get_authorization(self, platform_id, id).await
    }
}
