//! `/v1/events`: list (by type with `*`, `types[]`, `created`, `delivery_success`) and
//! retrieve. The event's shape (`wire::event`) is also what the dispatcher sends.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

use super::resolver::respond;
use crate::app_state::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::stripe::auth::Caller;
use crate::http::stripe::list::{ListQuery, RangeParam, cursor_error, list_object};
use crate::http::stripe::params::NoParams;
use crate::http::stripe::params::Params;
use crate::http::stripe::params::lenient::Bool;
use crate::store::events::EventFilter;
use crate::wire::event::stored_event_json;

/// Stripe's limit on `types[]`.
pub const MAX_TYPES: usize = 20;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/events", get(list))
        .route("/v1/events/{id}", get(retrieve))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListFilter {
    #[serde(rename = "type")]
    kind: Option<String>,
    types: Option<Vec<String>>,
    created: Option<RangeParam>,
    delivery_success: Option<Bool>,
}

fn check_filter(f: ListFilter) -> Result<EventFilter, ApiError> {
    let types = f.types.unwrap_or_default();
    if f.kind.as_deref().is_some_and(|k| !k.is_empty()) && !types.is_empty() {
        return Err(ApiError::invalid(
            "parameter_invalid",
            "types",
            "You may pass either `type` or `types`, but not both.",
        ));
    }
    if types.len() > MAX_TYPES {
        return Err(ApiError::invalid(
            "parameter_invalid",
            "types",
            format!(
                "Invalid types: at most {MAX_TYPES} event types may be given, got {}.",
                types.len()
            ),
        ));
    }
    if let Some(i) = types.iter().position(|t| t.is_empty() || t.contains('*')) {
        return Err(ApiError::invalid(
            "parameter_invalid",
            format!("types[{i}]"),
            format!("Invalid types[{i}]: give an exact event type; use `type` for a pattern with `*`."),
        ));
    }
    Ok(EventFilter {
        types,
        type_pattern: f.kind.filter(|k| !k.is_empty()),
        created: f.created.map(RangeParam::into_range),
        delivery_success: f.delivery_success.map(|b| b.0),
    })
}

async fn list(State(state): State<AppState>, caller: Caller, query: ListQuery<ListFilter>) -> ApiResult<Json<Value>> {
    let filter = check_filter(query.filter)?;
    let page = state
        .store
        .list_events(&caller.platform_id, &filter, &query.page)
        .await
        .map_err(|e| cursor_error("event", &query.page, e))?;
    let body = list_object("/v1/events", page.map(|e| stored_event_json(&e)));
    respond(&state, &caller, body, &query.expand).await
}

async fn retrieve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    req: Params<NoParams>,
) -> ApiResult<Json<Value>> {
    let event = state
        .store
        .get_event(&caller.platform_id, &id)
        .await?
        .ok_or_else(|| ApiError::no_such("event", &id, "id"))?;
    let body = stored_event_json(&event);
    respond(&state, &caller, body, &req.expand).await
}
