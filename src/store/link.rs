//! The platform's side of linking: Financial Connections sessions, the hosted flow's OAuth
//! state, linked accounts with their bank authorizations, and the event rows written with
//! every change.

use async_trait::async_trait;

use super::StoreResult;
use crate::domain::account::{Authorization, LinkedAccount};
use crate::domain::event::Event;
use crate::domain::idempotency::Reply;
use crate::domain::page::{Page, PageRequest};
use crate::domain::refresh::RefreshJob;
use crate::domain::session::{Session, SessionStatus};

/// The link flow's registration at one bank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkClient {
    pub client_id: String,
    pub client_secret: String,
}

/// One OAuth round trip of the hosted flow, found again by its `state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkAttempt {
    pub platform_id: String,
    pub session_id: String,
    pub institution_id: String,
    pub pkce_verifier: String,
}

/// A hosted-flow round trip must come back within this many seconds.
pub const LINK_ATTEMPT_TTL_SECS: i64 = 15 * 60;

/// The filters of `GET /v1/financial_connections/accounts` (at most one is set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountFilter {
    pub session_id: Option<String>,
    pub customer_id: Option<String>,
    pub account_id: Option<String>,
}

/// Storage of sessions, linked accounts and events.
#[async_trait]
pub trait LinkStore: Send + Sync {
    /// `reply`, for a keyed request, is recorded under its key in the same transaction.
    async fn insert_session(&self, session: &Session, reply: Option<&Reply<'_, Session>>) -> StoreResult<()>;
    async fn get_session(&self, platform_id: &str, id: &str) -> StoreResult<Option<Session>>;
    /// The session a hosted-flow URL names.
    async fn session_by_secret(&self, client_secret: &str) -> StoreResult<Option<Session>>;
    /// Ends a pending session without accounts; false if it was no longer pending.
    async fn end_session(&self, session_id: &str, status: SessionStatus, reason: Option<&str>) -> StoreResult<bool>;

    async fn get_link_client(&self, institution_id: &str, redirect_uri: &str) -> StoreResult<Option<LinkClient>>;
    /// The registration a stored authorization was issued to, whatever redirect URI it had.
    async fn link_client_by_id(&self, institution_id: &str, client_id: &str) -> StoreResult<Option<LinkClient>>;
    async fn insert_link_client(
        &self,
        institution_id: &str,
        redirect_uri: &str,
        client: &LinkClient,
        now: i64,
    ) -> StoreResult<()>;
    async fn insert_link_attempt(&self, state: &str, attempt: &LinkAttempt, now: i64) -> StoreResult<()>;
    /// Takes an attempt once: a second take of the same `state`, or a late one, finds nothing.
    async fn take_link_attempt(&self, state: &str, now: i64) -> StoreResult<Option<LinkAttempt>>;

    /// In one transaction: the authorization, its accounts, their events, their prefetch
    /// jobs, and the session marked succeeded. False (and nothing written) if the session was no longer pending.
    async fn complete_link(
        &self,
        session_id: &str,
        authorization: &Authorization,
        accounts: &[LinkedAccount],
        events: &[Event],
        jobs: &[RefreshJob],
        now: i64,
    ) -> StoreResult<bool>;

    async fn get_account(&self, platform_id: &str, id: &str) -> StoreResult<Option<LinkedAccount>>;
    async fn list_accounts(
        &self,
        platform_id: &str,
        filter: &AccountFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<LinkedAccount>>;
    async fn get_authorization(&self, platform_id: &str, id: &str) -> StoreResult<Option<Authorization>>;
}
