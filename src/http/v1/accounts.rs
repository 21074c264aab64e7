//! `/v1/financial_connections/accounts`: list, retrieve (expand `ownership`,
//! `account_holder.customer`), disconnect, refresh, subscribe and unsubscribe.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

use super::resolver::respond;
use crate::app_state::AppState;
use crate::clients::bank::Bank;
use crate::domain::account::LinkedAccount;
use crate::domain::refresh;
use crate::domain::session::Feature;
use crate::http::error::{ApiError, ApiResult};
use crate::http::stripe::auth::Caller;
use crate::http::stripe::idempotency::Keyed;
use crate::http::stripe::list::{ListQuery, cursor_error, list_object};
use crate::http::stripe::params::NoParams;
use crate::http::stripe::params::Params;
use crate::store::link::AccountFilter;
use crate::wire::objects::account_json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/financial_connections/accounts", get(list))
        .route("/v1/financial_connections/accounts/{account}", get(retrieve))
        .route(
            "/v1/financial_connections/accounts/{account}/disconnect",
            post(disconnect),
        )
        .route(
            "/v1/financial_connections/accounts/{account}/refresh",
            post(refresh_account),
        )
        .route(
            "/v1/financial_connections/accounts/{account}/subscribe",
            post(subscribe),
        )
        .route(
            "/v1/financial_connections/accounts/{account}/unsubscribe",
            post(unsubscribe),
        )
}

pub fn no_such_account(id: &str) -> ApiError {
    ApiError::no_such("financial_connections.account", id, "account")
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListFilter {
    account_holder: Option<HolderFilter>,
    session: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HolderFilter {
    customer: Option<String>,
    account: Option<String>,
    customer_account: Option<String>,
}

async fn list(State(state): State<AppState>, caller: Caller, query: ListQuery<ListFilter>) -> ApiResult<Json<Value>> {
    let holder = query.filter.account_holder.unwrap_or(HolderFilter {
        customer: None,
        account: None,
        customer_account: None,
    });
    if holder.customer_account.is_some() {
        return Err(ApiError::invalid(
            "parameter_invalid",
            "account_holder[customer_account]",
            "Filtering by account_holder[customer_account] is not supported by sandbank; use account_holder[customer].",
        ));
    }
    let given = [
        holder.customer.is_some(),
        holder.account.is_some(),
        query.filter.session.is_some(),
    ];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(ApiError::bad_request(
            "You may only specify one of these parameters: account_holder[account], account_holder[customer], session.",
        ));
    }
    let filter = AccountFilter {
        session_id: query.filter.session,
        customer_id: holder.customer,
        account_id: holder.account,
    };
    let page = state
        .store
        .list_accounts(&caller.platform_id, &filter, &query.page)
        .await
        .map_err(|e| cursor_error("financial_connections.account", &query.page, e))?;
    let body = list_object("/v1/financial_connections/accounts", page.map(|a| account_json(&a)));
    respond(&state, &caller, body, &query.expand).await
}

async fn load(state: &AppState, caller: &Caller, id: &str) -> ApiResult<LinkedAccount> {
    state
        .store
        .get_account(&caller.platform_id, id)
        .await?
        .ok_or_else(|| no_such_account(id))
}

async fn respond_account(
    state: &AppState,
    caller: &Caller,
    account: &LinkedAccount,
    expand: &[String],
) -> ApiResult<Json<Value>> {
    let body = account_json(account);
    respond(state, caller, body, expand).await
}

async fn retrieve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    req: Params<NoParams>,
) -> ApiResult<Json<Value>> {
    let account = load(&state, &caller, &id).await?;
    respond_account(&state, &caller, &account, &req.expand).await
}

/// Disconnecting keeps the data already fetched readable (see the README); the bank consent
/// is revoked once no account under it is still connected.
async fn disconnect(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    keyed: Keyed,
    req: Params<NoParams>,
) -> ApiResult<Json<Value>> {
    let render = |a: &LinkedAccount| account_json(a);
    // The disconnect and its answer commit together; revoking the bank consent follows it.
    // A crash in between leaves the consent active, as an unreachable bank does (the account
    // stays disconnected, and no data is fetched for it again); a retry replays the answer.
    let (account, last) = state
        .store
        .disconnect_account(
            &caller.platform_id,
            &id,
            state.clock.now(),
            &render,
            keyed.reply(&render).as_ref(),
        )
        .await?
        .ok_or_else(|| no_such_account(&id))?;
    if last {
        revoke_consent(&state, &caller, &account).await;
    }
    respond_account(&state, &caller, &account, &req.expand).await
}

/// Revokes the bank consent (RFC 7009 on the refresh token). A bank that cannot be reached
/// now leaves the authorization marked active; the account stays disconnected either way.
async fn revoke_consent(state: &AppState, caller: &Caller, account: &LinkedAccount) {
    let Ok(Some(auth)) = state
        .store
        .get_authorization(&caller.platform_id, &account.authorization_id)
        .await
    else {
        return;
    };
    let Ok(Some(client)) = state
        .store
        .link_client_by_id(&auth.institution_id, &auth.bank_client_id)
        .await
    else {
        return;
    };
    let bank = Bank::at(format!("{}/bank/{}", state.public_url, auth.institution_id));
    let Some(refresh_token) = auth.refresh_token.as_deref() else {
        return;
    };
    match bank.revoke(&state.http, &client, refresh_token).await {
        Ok(()) => {
            if let Err(e) = state
                .store
                .mark_authorization_disconnected(&caller.platform_id, &auth.id)
                .await
            {
                tracing::warn!(error = %e, "could not mark the authorization disconnected");
            }
        }
        Err(e) => tracing::warn!(error = %e, "bank consent revocation failed"),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshParams {
    features: Vec<Feature>,
}

async fn refresh_account(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    keyed: Keyed,
    req: Params<RefreshParams>,
) -> ApiResult<Json<Value>> {
    let features = req.params.features;
    if features.is_empty() {
        return Err(ApiError::missing_parameter("features"));
    }
    let now = state.clock.now();
    let mut plan = |a: &mut LinkedAccount| refresh::request(a, &features, now);
    let account = start(&state, &caller, &keyed, &id, &mut plan).await?;
    respond_account(&state, &caller, &account, &req.expand).await
}

/// Only `transactions` can be subscribed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SubscriptionFeature {
    Transactions,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubscriptionParams {
    features: Vec<SubscriptionFeature>,
}

/// Subscribing keeps transactions fresh: it starts a transaction refresh now.
async fn subscribe(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    keyed: Keyed,
    req: Params<SubscriptionParams>,
) -> ApiResult<Json<Value>> {
    if req.params.features.is_empty() {
        return Err(ApiError::missing_parameter("features"));
    }
    let now = state.clock.now();
    let mut plan = |a: &mut LinkedAccount| {
        if !a.subscriptions.iter().any(|s| s == "transactions") {
            a.subscriptions.push("transactions".to_owned());
        }
        let pending = refresh::refresh_of(a, Feature::Transactions)
            .is_some_and(|r| r.status == crate::domain::account::RefreshStatus::Pending);
        let cooling = refresh::refresh_of(a, Feature::Transactions)
            .and_then(|r| r.next_refresh_available_at)
            .is_some_and(|t| t > now);
        if pending || cooling {
            // Subscribed; the next refresh comes when the window opens.
            return refresh::request(a, &[], now);
        }
        refresh::request(a, &[Feature::Transactions], now)
    };
    let account = start(&state, &caller, &keyed, &id, &mut plan).await?;
    respond_account(&state, &caller, &account, &req.expand).await
}

async fn unsubscribe(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    keyed: Keyed,
    req: Params<SubscriptionParams>,
) -> ApiResult<Json<Value>> {
    if req.params.features.is_empty() {
        return Err(ApiError::missing_parameter("features"));
    }
    let mut plan = |a: &mut LinkedAccount| {
        a.subscriptions.retain(|s| s != "transactions");
        Ok(Vec::new())
    };
    let account = start(&state, &caller, &keyed, &id, &mut plan).await?;
    respond_account(&state, &caller, &account, &req.expand).await
}

async fn start(
    state: &AppState,
    caller: &Caller,
    keyed: &Keyed,
    id: &str,
    plan: &mut (dyn FnMut(&mut LinkedAccount) -> Result<Vec<Feature>, crate::domain::fields::Invalid> + Send),
) -> ApiResult<LinkedAccount> {
    let render = |a: &LinkedAccount| account_json(a);
    let account = state
        .store
        .start_refresh(
            &caller.platform_id,
            id,
            plan,
            state.clock.now(),
            &render,
            keyed.reply(&render).as_ref(),
        )
        .await?
        .ok_or_else(|| no_such_account(id))?;
    state.jobs_ready.notify_waiters();
    Ok(account)
}
