//! The open-banking data API. Every call verifies the bearer JWT (signature, `typ`, issuer,
//! audience, expiry by the app clock), that its `jti` is not revoked, and that its consent is
//! still active, then the scope and that the account is one the user consented to.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Bank;
use super::errors::DataError;
use crate::app_state::AppState;
use crate::domain::bank::account::{Balance, BankAccount, MAX_TRANSACTIONS_PAGE, Scenario, TransactionCursor};
use crate::domain::bank::grant::Consent;
use crate::domain::bank::scope::{Scope, Scopes};

type DataResult = Result<Json<Value>, DataError>;

/// A verified caller: its consent and the scopes of its token.
struct Caller {
    bank: Bank,
    consent: Consent,
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

async fn caller(state: &AppState, institution: &str, headers: &HeaderMap, need: Scope) -> Result<Caller, DataError> {
    let bank = Bank::find(state, institution).await?.ok_or(DataError::NotFound)?;
    if bank.is_down() {
        return Err(DataError::Unavailable);
    }
    bank.pace(state).await;
    let token = bearer(headers).ok_or(DataError::InvalidToken)?;
    let now = state.clock.now();
    let claims = state
        .bank
        .signer
        .verify(token, &bank.issuer, Some(&bank.audience()), now)
        .ok_or(DataError::InvalidToken)?;
    // The denylist and the consent are read on every call, so revocation is immediate.
    state
        .store
        .live_access_token(&claims.jti)
        .await?
        .ok_or(DataError::InvalidToken)?;
    let consent = state
        .store
        .get_consent(&claims.consent_id)
        .await?
        .filter(|c| c.is_active() && c.institution_id == bank.id() && c.client_id == claims.client_id)
        .ok_or(DataError::InvalidToken)?;
    let scopes = Scopes::parse(&claims.scope).map_err(|_| DataError::InvalidToken)?;
    if !scopes.contains(need) {
        return Err(DataError::InsufficientScope(need.as_str()));
    }
    Ok(Caller { bank, consent })
}

/// A consented account of the caller, counted as one bank call.
async fn consented(state: &AppState, caller: &Caller, account_id: &str) -> Result<BankAccount, DataError> {
    if !caller.consent.covers_account(account_id) {
        return Err(DataError::NotFound);
    }
    let account = state
        .store
        .get_bank_account(account_id)
        .await?
        .filter(|a| a.institution_id == caller.bank.id())
        .ok_or(DataError::NotFound)?;
    state.store.record_bank_data_call(account_id).await?;
    Ok(account)
}

/// The failing test scenario answers 500 for everything but the account itself.
fn failing(account: &BankAccount) -> Result<(), DataError> {
    if account.scenario == Scenario::RefreshFails {
        return Err(DataError::BankFailure);
    }
    Ok(())
}

fn account_json(bank: &Bank, a: &BankAccount) -> Value {
    json!({
        "id": a.id,
        "display_name": a.display_name,
        "institution_name": bank.institution.name,
        "category": a.category.as_str(),
        "subcategory": a.subcategory.as_str(),
        "last4": a.last4,
        "currency": a.currency,
        "status": a.status,
    })
}

pub async fn accounts(
    State(state): State<AppState>,
    Path(institution): Path<String>,
    headers: HeaderMap,
) -> DataResult {
    let caller = caller(&state, &institution, &headers, Scope::Accounts).await?;
    let mut list = Vec::new();
    for id in &caller.consent.account_ids {
        match consented(&state, &caller, id).await {
            Ok(account) => list.push(account_json(&caller.bank, &account)),
            Err(DataError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Json(json!({ "accounts": list })))
}

pub async fn account(
    State(state): State<AppState>,
    Path((institution, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> DataResult {
    let caller = caller(&state, &institution, &headers, Scope::Accounts).await?;
    let account = consented(&state, &caller, &id).await?;
    Ok(Json(account_json(&caller.bank, &account)))
}

pub async fn balances(
    State(state): State<AppState>,
    Path((institution, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> DataResult {
    let caller = caller(&state, &institution, &headers, Scope::Balances).await?;
    let account = consented(&state, &caller, &id).await?;
    failing(&account)?;
    let b = account.balance;
    let cur = &account.currency;
    let money = |v: Option<i64>| v.map(|v| json!({ cur: v }));
    Ok(Json(json!({
        "as_of": state.clock.now(),
        "type": Balance::kind(account.category),
        "current": { cur: b.current },
        "available": money(b.available),
        "used": money(b.used),
    })))
}

#[derive(Deserialize)]
pub struct Paging {
    limit: Option<String>,
    cursor: Option<String>,
}

pub async fn transactions(
    State(state): State<AppState>,
    Path((institution, id)): Path<(String, String)>,
    Query(paging): Query<Paging>,
    headers: HeaderMap,
) -> Result<Json<Value>, DataError> {
    let caller = caller(&state, &institution, &headers, Scope::Transactions).await?;
    let account = consented(&state, &caller, &id).await?;
    failing(&account)?;
    let limit = match paging.limit.as_deref() {
        None => MAX_TRANSACTIONS_PAGE,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_TRANSACTIONS_PAGE).contains(n))
            .ok_or(DataError::BadRequest("limit must be between 1 and 100"))?,
    };
    let cursor = match paging.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(text) => Some(TransactionCursor::decode(text).ok_or(DataError::BadRequest("cursor is not valid"))?),
    };
    let (list, more) = state
        .store
        .bank_transactions(&account.id, cursor.as_ref(), limit)
        .await?;
    let next = more.then(|| list.last()).flatten().map(|t| {
        TransactionCursor {
            transacted_at: t.transacted_at,
            id: t.id.clone(),
        }
        .encode()
    });
    Ok(Json(json!({ "transactions": list, "next_cursor": next })))
}

pub async fn owners(
    State(state): State<AppState>,
    Path((institution, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> DataResult {
    let caller = caller(&state, &institution, &headers, Scope::Ownership).await?;
    let account = consented(&state, &caller, &id).await?;
    failing(&account)?;
    let owners = state.store.bank_account_owners(&account.id).await?;
    Ok(Json(json!({ "owners": owners })))
}

pub async fn numbers(
    State(state): State<AppState>,
    Path((institution, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> DataResult {
    let caller = caller(&state, &institution, &headers, Scope::PaymentMethod).await?;
    let account = consented(&state, &caller, &id).await?;
    let number = state
        .store
        .bank_account_number(&account.id)
        .await?
        .ok_or(DataError::NotFound)?;
    Ok(Json(
        json!({ "routing_number": account.routing_number, "account_number": number }),
    ))
}
