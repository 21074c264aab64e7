//! SQL for the emulated banks: accounts and their data (`accounts`), OAuth clients, requests,
//! sessions and the signing key (`oauth`), consents, codes and tokens (`grants`), sign-in
//! throttling and used TOTP steps (`guard`).

mod accounts;
mod grants;
mod guard;
mod oauth;

use async_trait::async_trait;

use super::SqlStore;
use crate::domain::bank::account::{
    BankAccount, BankUser, NewAccount, Owner, TestAccountCreated, TestAccountSpec, Transaction, TransactionCursor,
};
use crate::domain::bank::client::BankClient;
use crate::domain::bank::grant::{AuthCode, Consent, RefreshToken};
use crate::domain::bank::request::{AuthRequest, BankSession, Stage};
use crate::domain::bank::test_account;
use crate::domain::bank::throttle::Failures;
use crate::domain::institution::Institution;
use crate::store::bank::{AccessTokenRecord, Issue, Redemption, SigningKeyRecord};
use crate::store::{BankStore, StoreResult};

#[async_trait]
impl BankStore for SqlStore {
    async fn upsert_institution(&self, institution: &Institution, position: i64) -> StoreResult<()> {
        accounts::upsert_institution(self, institution, position).await
    }

    async fn list_institutions(&self) -> StoreResult<Vec<Institution>> {
        accounts::list_institutions(self).await
    }

    async fn get_institution(&self, id: &str) -> StoreResult<Option<Institution>> {
        accounts::get_institution(self, id).await
    }

    async fn insert_bank_user(&self, user: &BankUser, now: i64) -> StoreResult<bool> {
        accounts::insert_user(self, user, now).await
    }

    async fn insert_bank_account(&self, account: &NewAccount, now: i64) -> StoreResult<bool> {
        accounts::insert_account(self, account, now).await
    }

    async fn find_bank_user(&self, institution_id: &str, username: &str) -> StoreResult<Option<BankUser>> {
        accounts::find_user(self, institution_id, username).await
    }

    async fn get_bank_user(&self, id: &str) -> StoreResult<Option<BankUser>> {
        accounts::get_user(self, id).await
    }

    async fn list_bank_accounts(&self, user_id: &str) -> StoreResult<Vec<BankAccount>> {
        accounts::list_accounts(self, user_id).await
    }

    async fn get_bank_account(&self, id: &str) -> StoreResult<Option<BankAccount>> {
        accounts::get_account(self, id).await
    }

    async fn bank_account_owners(&self, account_id: &str) -> StoreResult<Vec<Owner>> {
        accounts::owners(self, account_id).await
    }

    async fn bank_account_number(&self, account_id: &str) -> StoreResult<Option<String>> {
        accounts::account_number(self, account_id).await
    }

    async fn bank_transactions(
        &self,
        account_id: &str,
        cursor: Option<&TransactionCursor>,
        limit: i64,
    ) -> StoreResult<(Vec<Transaction>, bool)> {
        accounts::transactions(self, account_id, cursor, limit).await
    }

    async fn record_bank_data_call(&self, account_id: &str) -> StoreResult<()> {
        accounts::record_data_call(self, account_id).await
    }

    async fn bank_data_calls(&self, account_id: &str) -> StoreResult<i64> {
        accounts::data_calls(self, account_id).await
    }

    async fn create_test_account(&self, spec: &TestAccountSpec, now: i64) -> StoreResult<TestAccountCreated> {
        let prepared = test_account::prepare(spec);
        accounts::insert_user(self, &prepared.user, now).await?;
        accounts::insert_account(self, &prepared.account, now).await?;
        Ok(prepared.created)
    }

    async fn insert_bank_client(&self, client: &BankClient) -> StoreResult<()> {
        oauth::insert_client(self, client).await
    }

    async fn get_bank_client(&self, institution_id: &str, client_id: &str) -> StoreResult<Option<BankClient>> {
        oauth::get_client(self, institution_id, client_id).await
    }

    async fn insert_auth_request(&self, request: &AuthRequest) -> StoreResult<()> {
        oauth::insert_request(self, request).await
    }

    async fn get_auth_request(&self, id: &str) -> StoreResult<Option<AuthRequest>> {
        oauth::get_request(self, id).await
    }

    async fn login_auth_request(&self, request_id: &str, session: &BankSession) -> StoreResult<()> {
        oauth::login_request(self, request_id, session).await
    }

    async fn set_auth_request_stage(&self, request_id: &str, stage: Stage) -> StoreResult<()> {
        oauth::set_stage(self, request_id, stage).await
    }

    async fn record_auth_failure(&self, request_id: &str) -> StoreResult<i64> {
        oauth::record_failure(self, request_id).await
    }

    async fn insert_bank_session(&self, session: &BankSession) -> StoreResult<()> {
        oauth::insert_session(self, session).await
    }

    async fn get_bank_session(&self, token_hash: &str) -> StoreResult<Option<BankSession>> {
        oauth::get_session(self, token_hash).await
    }

    async fn mark_session_mfa(&self, token_hash: &str) -> StoreResult<()> {
        oauth::mark_session_mfa(self, token_hash).await
    }

    async fn approve_auth_request(&self, request_id: &str, consent: &Consent, code: &AuthCode) -> StoreResult<bool> {
        grants::approve(self, request_id, consent, code).await
    }

    async fn get_consent(&self, id: &str) -> StoreResult<Option<Consent>> {
        grants::get_consent(self, id).await
    }

    async fn list_active_consents(&self, user_id: &str) -> StoreResult<Vec<(Consent, String)>> {
        grants::list_active(self, user_id).await
    }

    async fn revoke_consent(&self, consent_id: &str, now: i64) -> StoreResult<bool> {
        grants::revoke_consent(self, consent_id, now).await
    }

    async fn redeem_code(
        &self,
        code_hash: &str,
        client_id: &str,
        now: i64,
        issue: Issue<'_, AuthCode>,
    ) -> StoreResult<Redemption> {
        grants::redeem_code(self, code_hash, client_id, now, issue).await
    }

    async fn rotate_refresh_token(
        &self,
        token_hash: &str,
        client_id: &str,
        now: i64,
        issue: Issue<'_, RefreshToken>,
    ) -> StoreResult<Redemption> {
        grants::rotate_refresh(self, token_hash, client_id, now, issue).await
    }

    async fn get_refresh_token(&self, token_hash: &str) -> StoreResult<Option<RefreshToken>> {
        grants::get_refresh(self, token_hash).await
    }

    async fn live_access_token(&self, jti: &str) -> StoreResult<Option<AccessTokenRecord>> {
        grants::live_access(self, jti).await
    }

    async fn revoke_access_token(&self, jti: &str, now: i64) -> StoreResult<()> {
        grants::revoke_access(self, jti, now).await
    }

    async fn signing_key(&self, candidate: &SigningKeyRecord) -> StoreResult<SigningKeyRecord> {
        oauth::signing_key(self, candidate).await
    }

    async fn sign_in_failures(&self, key_hash: &str) -> StoreResult<Option<Failures>> {
        guard::failures(self, key_hash).await
    }

    async fn record_sign_in_failure(&self, key_hash: &str, now: i64, forget_secs: i64) -> StoreResult<Failures> {
        guard::record_failure(self, key_hash, now, forget_secs).await
    }

    async fn clear_sign_in_failures(&self, key_hash: &str) -> StoreResult<()> {
        guard::clear(self, key_hash).await
    }

    async fn forgive_sign_in_failure(&self, key_hash: &str, last_failure_at: Option<i64>) -> StoreResult<()> {
        guard::forgive(self, key_hash, last_failure_at).await
    }

    async fn use_totp_step(&self, user_id: &str, step: i64) -> StoreResult<bool> {
        guard::use_totp_step(self, user_id, step).await
    }

    async fn last_totp_step(&self, user_id: &str) -> StoreResult<Option<i64>> {
        guard::last_totp_step(self, user_id).await
    }
}
