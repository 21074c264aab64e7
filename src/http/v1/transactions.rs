//! `/v1/financial_connections/transactions`: list by account (with `transacted_at` and
//! `transaction_refresh[after]`) and retrieve.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

use super::resolver::respond;
use crate::app_state::AppState;
use crate::domain::transaction::TransactionFilter;
use crate::http::error::{ApiError, ApiResult};
use crate::http::stripe::auth::Caller;
use crate::http::stripe::list::{ListQuery, RangeParam, cursor_error, list_object};
use crate::http::stripe::params::NoParams;
use crate::http::stripe::params::Params;
use crate::store::StoreError;
use crate::wire::objects::transaction_json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/financial_connections/transactions", get(list))
        .route("/v1/financial_connections/transactions/{transaction}", get(retrieve))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListFilter {
    account: String,
    transacted_at: Option<RangeParam>,
    transaction_refresh: Option<RefreshFilter>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshFilter {
    after: String,
}

async fn list(State(state): State<AppState>, caller: Caller, query: ListQuery<ListFilter>) -> ApiResult<Json<Value>> {
    let f = query.filter;
    if state
        .store
        .get_account(&caller.platform_id, &f.account)
        .await?
        .is_none()
    {
        return Err(ApiError::no_such(
            "financial_connections.account",
            &f.account,
            "account",
        ));
    }
    let refreshed_after = f.transaction_refresh.map(|r| r.after);
    let filter = TransactionFilter {
        account_id: f.account,
        transacted_at: f.transacted_at.map(RangeParam::into_range),
        refreshed_after: refreshed_after.clone(),
    };
    let page = state
        .store
        .list_transactions(&caller.platform_id, &filter, &query.page)
        .await
        .map_err(|e| match (e, &refreshed_after) {
            (StoreError::UnknownCursor(id), Some(after)) if &id == after => ApiError::no_such(
                "financial_connections.transaction_refresh",
                after,
                "transaction_refresh[after]",
            )
            .with_status_400(),
            (e, _) => cursor_error("financial_connections.transaction", &query.page, e),
        })?;
    let body = list_object(
        "/v1/financial_connections/transactions",
        page.map(|t| transaction_json(&t)),
    );
    respond(&state, &caller, body, &query.expand).await
}

async fn retrieve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    req: Params<NoParams>,
) -> ApiResult<Json<Value>> {
    let transaction = state
        .store
        .get_transaction(&caller.platform_id, &id)
        .await?
        .ok_or_else(|| ApiError::no_such("financial_connections.transaction", &id, "transaction"))?;
    let body = transaction_json(&transaction);
    respond(&state, &caller, body, &req.expand).await
}
