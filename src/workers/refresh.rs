//! The refresh worker: claims due refresh jobs, reads the bank's data API with the stored
//! (sealed) tokens — renewing the access token with the refresh token when it has expired —
//! and stores the result with its `refreshed_*` event. A revoked consent deactivates the
//! authorization's accounts.

use std::time::Duration;

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::app_state::AppState;
use crate::clients::bank::callback_path;
use crate::clients::bank::{Bank, BankError};
use crate::domain::account::{Authorization, LinkedAccount};
use crate::domain::ownership::{BankOwner, Ownership};
use crate::domain::refresh::RefreshJob;
use crate::domain::session::Feature;
use crate::domain::transaction::BankTransaction;
use crate::store::StoreError;
use crate::store::refresh::{Fetched, Finished};
use crate::wire::objects::account_json;

/// Renew an access token this long before it expires.
const RENEW_MARGIN_SECS: i64 = 30;
/// How long one process may hold an authorization's token renewal.
const RENEWAL_CLAIM_SECS: i64 = 30;
/// Transactions are read in pages of this size, up to this many pages.
const TRANSACTION_PAGE: u32 = 100;
const MAX_TRANSACTION_PAGES: usize = 100;

/// What one `step` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// No job was due.
    Idle,
    /// A job ran to an end (stored, failed, dropped or deactivated).
    Ran,
    /// A job was put back for a moment (another process is renewing the bank tokens).
    Deferred,
}

/// Runs `workers` loops until `shutdown`; each wakes on `state.jobs_ready` or every poll.
pub async fn run(state: AppState, workers: usize, shutdown: CancellationToken) {
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (state, shutdown) = (state.clone(), shutdown.clone());
        tasks.push(tokio::spawn(async move { run_one(state, shutdown).await }));
    }
    for task in tasks {
        let _ = task.await;
    }
}

async fn run_one(state: AppState, shutdown: CancellationToken) {
    let poll = Duration::from_millis(state.refresh.poll_ms);
    loop {
        let outcome = tokio::select! {
            () = shutdown.cancelled() => return,
            outcome = step(&state) => outcome,
        };
        match outcome {
            Ok(Step::Ran) => continue,
            Ok(Step::Idle | Step::Deferred) => {}
            Err(e) => tracing::warn!(error = %e, "refresh step failed"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = state.jobs_ready.notified() => {}
            () = tokio::time::sleep(poll) => {}
        }
    }
}

/// Claims and runs one due job.
pub async fn step(state: &AppState) -> Result<Step, StoreError> {
    let now = state.clock.now();
    let Some(job) = state
        .store
        .claim_refresh_job(&state.worker_id, now, state.refresh.lease_secs)
        .await?
    else {
        return Ok(Step::Idle);
    };
    run_job(state, &job).await
}

/// Runs jobs until none is due (tests).
pub async fn drain(state: &AppState) -> Result<usize, StoreError> {
    let mut ran = 0;
    loop {
        match step(state).await? {
            Step::Idle => return Ok(ran),
            Step::Ran | Step::Deferred => ran += 1,
        }
        if ran > 10_000 {
            return Ok(ran);
        }
    }
}

async fn run_job(state: &AppState, job: &RefreshJob) -> Result<Step, StoreError> {
    let account = state.store.get_account(&job.platform_id, &job.account_id).await?;
    let authorization = match &account {
        Some(a) => {
            state
                .store
                .get_authorization(&a.platform_id, &a.authorization_id)
                .await?
        }
        None => None,
    };
    let (Some(account), Some(authorization)) = (account, authorization) else {
        finish(state, job, Fetched::Failed).await?;
        return Ok(Step::Ran);
    };
    let token = match access_token(state, &authorization).await {
        Ok(token) => token,
        Err(Renewal::Busy) => {
            state
                .store
                .defer_refresh_job(job, &state.worker_id, state.clock.now() + 1)
                .await?;
            return Ok(Step::Deferred);
        }
        Err(Renewal::Failed(e)) => return conclude(state, job, &authorization, Err(e)).await,
    };
    let fetched = fetch(state, &authorization, &account, job.feature, &token).await;
    conclude(state, job, &authorization, fetched).await
}

async fn conclude(
    state: &AppState,
    job: &RefreshJob,
    auth: &Authorization,
    fetched: Result<Fetched, BankError>,
) -> Result<Step, StoreError> {
    match fetched {
        Ok(fetched) => {
            finish(state, job, fetched).await?;
        }
        Err(BankError::AccessRevoked(reason)) => {
            tracing::info!(authorization = %auth.id, reason = %reason, "bank consent gone; deactivating");
            let now = state.clock.now();
            let render = |a: &LinkedAccount| account_json(a);
            state
                .store
                .deactivate_authorization(&auth.platform_id, &auth.id, "access_denied", now, &render)
                .await?;
            // Deactivation removed the account's jobs, this one included.
        }
        Err(e) => {
            tracing::warn!(error = %e, feature = job.feature.as_str(), "refresh failed at the bank");
            finish(state, job, Fetched::Failed).await?;
        }
    }
    state.jobs_ready.notify_waiters();
    Ok(Step::Ran)
}

async fn finish(state: &AppState, job: &RefreshJob, fetched: Fetched) -> Result<Finished, StoreError> {
    let render = |a: &LinkedAccount| account_json(a);
    let now = state.clock.now();
    state
        .store
        .finish_refresh(
            job,
            &state.worker_id,
            fetched,
            now,
            state.refresh.cooldown_secs,
            &render,
        )
        .await
}

enum Renewal {
    Busy,
    Failed(BankError),
}

fn bank_for(state: &AppState, institution_id: &str) -> Bank {
    Bank::at(format!("{}/bank/{institution_id}", state.public_url))
}

/// A usable access token, renewed with the refresh token (by one process at a time, since the
/// bank rotates refresh tokens and treats a reused one as theft).
async fn access_token(state: &AppState, auth: &Authorization) -> Result<String, Renewal> {
    let now = state.clock.now();
    if auth.access_expires_at > now + RENEW_MARGIN_SECS {
        return Ok(auth.access_token.clone());
    }
    let claimed = state
        .store
        .claim_token_renewal(&auth.id, now, now + RENEWAL_CLAIM_SECS)
        .await;
    if !matches!(claimed, Ok(true)) {
        return Err(Renewal::Busy);
    }
    // Re-read: another process may have renewed between our read and our claim.
    let current = match state.store.get_authorization(&auth.platform_id, &auth.id).await {
        Ok(Some(a)) => a,
        _ => return Err(Renewal::Busy),
    };
    if current.access_expires_at > now + RENEW_MARGIN_SECS {
        let _ = state
            .store
            .store_bank_tokens(&current.id, &current.access_token, current.access_expires_at, None)
            .await;
        return Ok(current.access_token);
    }
    let Some(refresh_token) = current.refresh_token.as_deref() else {
        return Err(Renewal::Failed(BankError::AccessRevoked("no refresh token".into())));
    };
    let client = match state
        .store
        .link_client_by_id(&current.institution_id, &current.bank_client_id)
        .await
    {
        Ok(Some(c)) => c,
        _ => {
            return Err(Renewal::Failed(BankError::AccessRevoked(
                "the link client is gone".into(),
            )));
        }
    };
    let redirect = format!("{}{}", state.public_url, callback_path());
    let tokens = bank_for(state, &current.institution_id)
        .refresh(&state.http, &client, &redirect, refresh_token)
        .await
        .map_err(Renewal::Failed)?;
    let expires = state.clock.now() + tokens.expires_in;
    state
        .store
        .store_bank_tokens(
            &current.id,
            &tokens.access_token,
            expires,
            tokens.refresh_token.as_deref(),
        )
        .await
        .map_err(|e| Renewal::Failed(BankError::Protocol(e.to_string())))?;
    Ok(tokens.access_token)
}

async fn fetch(
    state: &AppState,
    auth: &Authorization,
    account: &LinkedAccount,
    feature: Feature,
    token: &str,
) -> Result<Fetched, BankError> {
    let bank = bank_for(state, &auth.institution_id);
    let base = format!("/data/v1/accounts/{}", account.bank.id);
    let now = state.clock.now();
    match feature {
        Feature::Ownership => {
            #[derive(serde::Deserialize)]
            struct Owners {
                owners: Vec<BankOwner>,
            }
            let owners: Owners = bank.data(&state.http, token, &format!("{base}/owners")).await?;
            Ok(Fetched::Ownership(Ownership::from_bank(
                &account.platform_id,
                &account.id,
                owners.owners,
                now,
            )))
        }
        Feature::Balance => {
            let balance: Value = bank.data(&state.http, token, &format!("{base}/balances")).await?;
            Ok(Fetched::Balance(stripe_balance(&balance)))
        }
        Feature::Transactions => {
            let mut all = Vec::new();
            let mut cursor: Option<String> = None;
            for _ in 0..MAX_TRANSACTION_PAGES {
                #[derive(serde::Deserialize)]
                struct PageOf {
                    transactions: Vec<BankTransaction>,
                    next_cursor: Option<String>,
                }
                let path = match &cursor {
                    Some(c) => format!("{base}/transactions?limit={TRANSACTION_PAGE}&cursor={}", urlencode(c)),
                    None => format!("{base}/transactions?limit={TRANSACTION_PAGE}"),
                };
                let page: PageOf = bank.data(&state.http, token, &path).await?;
                all.extend(page.transactions);
                cursor = page.next_cursor;
                if cursor.is_none() {
                    break;
                }
            }
            Ok(Fetched::Transactions(all))
        }
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The bank's balance in Stripe's shape: cash balances carry `available`, credit ones `used`.
fn stripe_balance(bank: &Value) -> Value {
    let kind = bank["type"].as_str().unwrap_or("cash");
    let mut balance = json!({
        "as_of": bank["as_of"],
        "current": bank["current"],
        "type": kind,
    });
    if kind == "credit" {
        balance["credit"] = json!({ "used": bank["used"] });
    } else {
        balance["cash"] = json!({ "available": bank["available"] });
    }
    balance
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balances_take_stripes_shape() {
        let cash = stripe_balance(
            &json!({"as_of": 5, "type": "cash", "current": {"usd": 100}, "available": {"usd": 90}, "used": null}),
        );
        assert_eq!(
            cash,
            json!({"as_of": 5, "type": "cash", "current": {"usd": 100}, "cash": {"available": {"usd": 90}}})
        );
        let credit = stripe_balance(
            &json!({"as_of": 5, "type": "credit", "current": {"usd": -100}, "available": null, "used": {"usd": 100}}),
        );
        assert_eq!(credit["credit"], json!({"used": {"usd": 100}}));
    }
}
