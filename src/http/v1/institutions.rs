//! `/v1/financial_connections/institutions` (preview): the sandbox's banks.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use crate::app_state::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::stripe::auth::Caller;
use crate::http::stripe::list::{ListQuery, list_object, paginate_in_memory};
use crate::http::stripe::params::NoParams;
use crate::http::stripe::params::Params;
use crate::wire::objects::institution_json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/financial_connections/institutions", get(list))
        .route("/v1/financial_connections/institutions/{institution}", get(retrieve))
}

async fn list(State(state): State<AppState>, _caller: Caller, query: ListQuery<NoParams>) -> ApiResult<Json<Value>> {
    let institutions = state.store.list_institutions().await?;
    let page = paginate_in_memory(
        institutions,
        |i| i.id.as_str(),
        &query.page,
        "financial_connections.institution",
    )?;
    Ok(Json(list_object(
        "/v1/financial_connections/institutions",
        page.map(|i| institution_json(&i)),
    )))
}

async fn retrieve(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
    _req: Params<NoParams>,
) -> ApiResult<Json<Value>> {
    let institution = state
        .store
        .get_institution(&id)
        .await?
        .ok_or_else(|| ApiError::no_such("financial_connections.institution", &id, "institution"))?;
    Ok(Json(institution_json(&institution)))
}
