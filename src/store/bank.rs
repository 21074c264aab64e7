//! The emulated banks' own records: institutions, bank users, their accounts, owners and
//! transactions, OAuth clients, consents, authorization codes and tokens.

use async_trait::async_trait;

use super::StoreResult;
use crate::domain::bank::account::{
    BankAccount, BankUser, NewAccount, Owner, TestAccountCreated, TestAccountSpec, Transaction, TransactionCursor,
};
use crate::domain::bank::client::BankClient;
use crate::domain::bank::grant::{AuthCode, Consent, GrantError, RefreshToken};
use crate::domain::bank::request::{AuthRequest, BankSession, Stage};
use crate::domain::bank::throttle::Failures;
use crate::domain::institution::Institution;

/// An access token as recorded when issued (the JWT itself is never stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessTokenRecord {
    pub jti: String,
    pub family_id: String,
    pub consent_id: String,
    pub client_id: String,
    pub expires_at: i64,
}

/// The rows a successful token request writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedTokens {
    pub access: AccessTokenRecord,
    pub refresh: RefreshToken,
}

/// Decides, inside the store's transaction, whether a grant is honoured and what it issues.
pub type Issue<'a, T> = &'a mut (dyn FnMut(&T, &Consent) -> Result<IssuedTokens, GrantError> + Send);

/// The outcome of redeeming an authorization code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redemption {
    /// No such code for this client.
    Unknown,
    /// Used before: everything it issued has now been revoked.
    Replayed,
    /// The consent behind it was revoked.
    ConsentRevoked,
    Refused(GrantError),
    Issued,
}

/// The banks' JWT signing key as stored (the private key in the clear only in memory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeyRecord {
    pub kid: String,
    /// Base64 PKCS#8 DER of the P-256 private key.
    pub private_key: String,
    pub created: i64,
}

/// Storage of the emulated banks (the authorization server and the data API behind it).
#[async_trait]
pub trait BankStore: Send + Sync {
    /// Writes or refreshes an institution (seeding); `position` orders the list.
    async fn upsert_institution(&self, institution: &Institution, position: i64) -> StoreResult<()>;
    async fn list_institutions(&self) -> StoreResult<Vec<Institution>>;
    async fn get_institution(&self, id: &str) -> StoreResult<Option<Institution>>;

    /// Inserts a user unless one with that id exists; true if written.
    async fn insert_bank_user(&self, user: &BankUser, now: i64) -> StoreResult<bool>;
    /// Inserts an account with its owners and transactions unless it exists; true if written.
    async fn insert_bank_account(&self, account: &NewAccount, now: i64) -> StoreResult<bool>;
    async fn find_bank_user(&self, institution_id: &str, username: &str) -> StoreResult<Option<BankUser>>;
    async fn get_bank_user(&self, id: &str) -> StoreResult<Option<BankUser>>;
    /// A user's accounts in creation order.
    async fn list_bank_accounts(&self, user_id: &str) -> StoreResult<Vec<BankAccount>>;
    async fn get_bank_account(&self, id: &str) -> StoreResult<Option<BankAccount>>;
    async fn bank_account_owners(&self, account_id: &str) -> StoreResult<Vec<Owner>>;
    async fn bank_account_number(&self, account_id: &str) -> StoreResult<Option<String>>;
    /// Newest first, after `cursor`; the bool says whether more follow.
    async fn bank_transactions(
        &self,
        account_id: &str,
        cursor: Option<&TransactionCursor>,
        limit: i64,
    ) -> StoreResult<(Vec<Transaction>, bool)>;
    /// Counts one data API call answered for the account.
    async fn record_bank_data_call(&self, account_id: &str) -> StoreResult<()>;
    /// How many data API calls the account answered, across every process on the store.
    async fn bank_data_calls(&self, account_id: &str) -> StoreResult<i64>;
    /// A fresh user at `fcinst_test` (generated username, known password) with one account.
    async fn create_test_account(&self, spec: &TestAccountSpec, now: i64) -> StoreResult<TestAccountCreated>;

    async fn insert_bank_client(&self, client: &BankClient) -> StoreResult<()>;
    async fn get_bank_client(&self, institution_id: &str, client_id: &str) -> StoreResult<Option<BankClient>>;

    async fn insert_auth_request(&self, request: &AuthRequest) -> StoreResult<()>;
    async fn get_auth_request(&self, id: &str) -> StoreResult<Option<AuthRequest>>;
    /// Binds a request to the user and a new browser session; moves it to the second factor.
    async fn login_auth_request(&self, request_id: &str, session: &BankSession) -> StoreResult<()>;
    async fn set_auth_request_stage(&self, request_id: &str, stage: Stage) -> StoreResult<()>;
    /// Counts a wrong password or code; returns the new count.
    async fn record_auth_failure(&self, request_id: &str) -> StoreResult<i64>;
    async fn insert_bank_session(&self, session: &BankSession) -> StoreResult<()>;
    async fn get_bank_session(&self, token_hash: &str) -> StoreResult<Option<BankSession>>;
    async fn mark_session_mfa(&self, token_hash: &str) -> StoreResult<()>;

    /// In one transaction: the request (at the consent stage) is marked done, the consent and
    /// the code are written. False, and nothing written, if the request was not at consent.
    async fn approve_auth_request(&self, request_id: &str, consent: &Consent, code: &AuthCode) -> StoreResult<bool>;
    async fn get_consent(&self, id: &str) -> StoreResult<Option<Consent>>;
    /// A user's active consents, newest first, with each client's name.
    async fn list_active_consents(&self, user_id: &str) -> StoreResult<Vec<(Consent, String)>>;
    /// Revokes a consent and every token under it; false if it was not active.
    async fn revoke_consent(&self, consent_id: &str, now: i64) -> StoreResult<bool>;

    /// Redeems a code once: a second redemption revokes everything the first issued.
    async fn redeem_code(
        &self,
        code_hash: &str,
        client_id: &str,
        now: i64,
        issue: Issue<'_, AuthCode>,
    ) -> StoreResult<Redemption>;
    /// Rotates a refresh token: presenting an already rotated one revokes its whole family.
    async fn rotate_refresh_token(
        &self,
        token_hash: &str,
        client_id: &str,
        now: i64,
        issue: Issue<'_, RefreshToken>,
    ) -> StoreResult<Redemption>;
    async fn get_refresh_token(&self, token_hash: &str) -> StoreResult<Option<RefreshToken>>;
    /// The access token's record unless it was revoked.
    async fn live_access_token(&self, jti: &str) -> StoreResult<Option<AccessTokenRecord>>;
    async fn revoke_access_token(&self, jti: &str, now: i64) -> StoreResult<()>;

    /// The signing key: `candidate` is stored if none is yet, then the stored one is returned,
    /// so processes starting together agree on one key.
    async fn signing_key(&self, candidate: &SigningKeyRecord) -> StoreResult<SigningKeyRecord>;

    /// The failed sign-ins recorded against a throttle key (a digest), if any.
    async fn sign_in_failures(&self, key_hash: &str) -> StoreResult<Option<Failures>>;
    /// Counts one failed sign-in against a key at `now` (starting again from one when the
    /// last failure is `forget_secs` old); returns the new record.
    async fn record_sign_in_failure(&self, key_hash: &str, now: i64, forget_secs: i64) -> StoreResult<Failures>;
    async fn clear_sign_in_failures(&self, key_hash: &str) -> StoreResult<()>;
    /// Takes one failure back off a key (an attempt counted up front that succeeded), and
    /// puts back the time of the last real failure when there was one.
    async fn forgive_sign_in_failure(&self, key_hash: &str, last_failure_at: Option<i64>) -> StoreResult<()>;
    /// Marks a user's TOTP time step used; false if that step or a later one already was.
    async fn use_totp_step(&self, user_id: &str, step: i64) -> StoreResult<bool>;
    /// The last TOTP time step the user signed in with.
    async fn last_totp_step(&self, user_id: &str) -> StoreResult<Option<i64>>;
}
