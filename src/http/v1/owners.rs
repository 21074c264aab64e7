//! `GET /v1/financial_connections/accounts/{account}/owners?ownership=fcaowns_…`.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

use super::accounts::no_such_account;
use super::resolver::respond;
use crate::app_state::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::stripe::auth::Caller;
use crate::http::stripe::list::{ListQuery, cursor_error, list_object};
use crate::wire::objects::{owner_json, owners_url};

pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/financial_connections/accounts/{account}/owners", get(list))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnersFilter {
    ownership: String,
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(account_id): Path<String>,
    query: ListQuery<OwnersFilter>,
) -> ApiResult<Json<Value>> {
    let account = state
        .store
        .get_account(&caller.platform_id, &account_id)
        .await?
        .ok_or_else(|| no_such_account(&account_id))?;
    let ownership_id = query.filter.ownership;
    let ownership = state.store.get_ownership(&caller.platform_id, &ownership_id).await?;
    if ownership.is_none_or(|o| o.account_id != account.id) {
        return Err(ApiError::no_such(
            "financial_connections.account_ownership",
            &ownership_id,
            "ownership",
        ));
    }
    let page = state
        .store
        .list_owners(&caller.platform_id, &ownership_id, &query.page)
        .await
        .map_err(|e| cursor_error("financial_connections.account_owner", &query.page, e))?;
    let body = list_object(&owners_url(&account.id), page.map(|o| owner_json(&o)));
    respond(&state, &caller, body, &query.expand).await
}
