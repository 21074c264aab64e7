//! Test helpers for webhooks: produce events on demand, resend one, and read an endpoint's
//! delivery attempts.
//!
//! `POST /v1/test_helpers/events` writes `count` (1–1000) events in one transaction through
//! the same insert as real changes, so they reach the outbox exactly as account changes do.
//! `type` is `test_helper.event` (the default: `data.object` is a small synthetic object, and
//! only `*` endpoints receive it) or a `financial_connections.account.*` type with `account`
//! naming one of the caller's linked accounts (`data.object` is that account as it is now).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::webhook_endpoints::no_such_endpoint;
use crate::app_state::AppState;
use crate::domain::event::{Event, EventRequest};
use crate::domain::ids::random_base62;
use crate::domain::key_permissions::{Access, Resource};
use crate::domain::webhook::{EndpointStatus, FC_EVENT_TYPES, TEST_HELPER_EVENT_TYPE};
use crate::http::error::{ApiError, ApiResult};
use crate::http::request_id::RequestId;
use crate::http::stripe::auth::Caller;
use crate::http::stripe::idempotency::Keyed;
use crate::http::stripe::list::{ListQuery, cursor_error, list_object};
use crate::http::stripe::params::Params;
use crate::http::stripe::params::lenient::Int;
use crate::store::events::StoredEvent;
use crate::wire::event::stored_event_json;
use crate::wire::objects::account_json;

/// Most events one request may create.
pub const MAX_COUNT: i64 = 1000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/test_helpers/events", post(create_events))
        .route("/v1/test_helpers/events/{id}/resend", post(resend))
        .route("/v1/test_helpers/webhook_endpoints/{id}/attempts", get(attempts))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateParams {
    #[serde(rename = "type")]
    kind: Option<String>,
    count: Option<Int>,
    account: Option<String>,
}

async fn create_events(
    State(state): State<AppState>,
    caller: Caller,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
    keyed: Keyed,
    req: Params<CreateParams>,
) -> ApiResult<Json<Value>> {
    let p = req.params;
    let count = match p.count {
        None => 1,
        Some(Int(n)) if (1..=MAX_COUNT).contains(&n) => n,
        Some(Int(n)) => {
            return Err(ApiError::invalid(
                "parameter_invalid_integer",
                "count",
                format!("Invalid count: must be between 1 and {MAX_COUNT}, got {n}"),
            ));
        }
    };
    let kind = p.kind.unwrap_or_else(|| TEST_HELPER_EVENT_TYPE.to_owned());
    let object = |i: i64| -> Value {
        json!({ "id": format!("thobj_{}", random_base62(14)), "object": TEST_HELPER_EVENT_TYPE, "sequence": i })
    };
    let account = if kind == TEST_HELPER_EVENT_TYPE {
        None
    } else if kind.starts_with("financial_connections.account.") && FC_EVENT_TYPES.contains(&kind.as_str()) {
        let id = p.account.ok_or_else(|| ApiError::missing_parameter("account"))?;
        // The events carry the account as it is: reading it needs the account permission.
        caller.require(Resource::FinancialConnectionsAccount, Access::Read)?;
        let account = state
            .store
            .get_account(&caller.platform_id, &id)
            .await?
            .ok_or_else(|| ApiError::no_such("financial_connections.account", &id, "account").with_status_400())?;
        Some(account_json(&account))
    } else {
        return Err(ApiError::invalid(
            "parameter_invalid",
            "type",
            format!("Invalid type: {kind}. Use {TEST_HELPER_EVENT_TYPE} or a financial_connections.account.* type."),
        ));
    };
    let request = EventRequest {
        id: Some(request_id.0),
        idempotency_key: headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    let now = state.clock.now();
    let events: Vec<Event> = (0..count)
        .map(|i| {
            let data = account.clone().unwrap_or_else(|| object(i));
            Event::new(&caller.platform_id, &kind, data, request.clone(), None, now)
        })
        .collect();
    let render = |events: &[Event]| created_events_json(events);
    state
        .store
        .insert_events(&events, keyed.reply(&render).as_ref())
        .await?;
    Ok(Json(created_events_json(&events)))
}

/// The answer to creating test events: the list as written.
fn created_events_json(events: &[Event]) -> Value {
    let data: Vec<Value> = events
        .iter()
        .map(|event| {
            stored_event_json(&StoredEvent {
                event: event.clone(),
                pending_webhooks: 0,
            })
        })
        .collect();
    json!({
        "object": "list",
        "data": data,
        "has_more": false,
        "url": "/v1/test_helpers/events",
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResendParams {
    webhook_endpoint: Option<String>,
}

/// Resend keeps the layer's own answer store (no answer is recorded in its transaction): a
/// crash between queueing and answering, then a retry, queues the event once more. The same
/// event id reaches the receiver again, as any webhook may arrive more than once.
async fn resend(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    req: Params<ResendParams>,
) -> ApiResult<Json<Value>> {
    let endpoint = req.params.webhook_endpoint.filter(|e| !e.is_empty());
    if let Some(endpoint_id) = &endpoint {
        let found = state
            .store
            .get_webhook_endpoint(&caller.platform_id, endpoint_id)
            .await?
            .ok_or_else(|| no_such_endpoint(endpoint_id).with_status_400())?;
        if found.status != EndpointStatus::Enabled {
            return Err(ApiError::invalid(
                "parameter_invalid",
                "webhook_endpoint",
                format!("Webhook endpoint {endpoint_id} is disabled; enable it to resend events to it."),
            ));
        }
    }
    state
        .store
        .resend_event(&caller.platform_id, &id, endpoint.as_deref(), state.clock.now())
        .await?
        .ok_or_else(|| ApiError::no_such("event", &id, "id"))?;
    let event = state
        .store
        .get_event(&caller.platform_id, &id)
        .await?
        .ok_or_else(|| ApiError::no_such("event", &id, "id"))?;
    Ok(Json(stored_event_json(&event)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttemptFilter {
    event: Option<String>,
}

async fn attempts(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    query: ListQuery<AttemptFilter>,
) -> ApiResult<Json<Value>> {
    if !state.store.webhook_endpoint_existed(&caller.platform_id, &id).await? {
        return Err(no_such_endpoint(&id));
    }
    let page = state
        .store
        .list_webhook_attempts(&caller.platform_id, &id, query.filter.event.as_deref(), &query.page)
        .await
        .map_err(|e| cursor_error("webhook_endpoint.attempt", &query.page, e))?;
    let url = format!("/v1/test_helpers/webhook_endpoints/{id}/attempts");
    Ok(Json(list_object(&url, page.map(|a| a.to_json()))))
}
