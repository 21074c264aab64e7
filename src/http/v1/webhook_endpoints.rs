//! `/v1/webhook_endpoints`: create (the only response with the `whsec_` secret), retrieve,
//! update (including `disabled`), list and delete.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use crate::app_state::AppState;
use crate::domain::webhook::{EndpointChanges, NewEndpoint, WebhookEndpoint};
use crate::http::error::{ApiError, ApiResult};
use crate::http::stripe::auth::Caller;
use crate::http::stripe::idempotency::Keyed;
use crate::http::stripe::list::{ListQuery, cursor_error, list_object};
use crate::http::stripe::params::NoParams;
use crate::http::stripe::params::Params;
use crate::http::stripe::params::lenient::{Bool, Clearable, MetadataParam};
use crate::http::stripe::version::ApiVersion;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/webhook_endpoints", get(list).post(create))
        .route(
            "/v1/webhook_endpoints/{webhook_endpoint}",
            get(retrieve).post(update).delete(delete),
        )
}

/// `enabled_events[]=…` (an array), or one bare value.
#[derive(Debug)]
struct EventList(Vec<String>);

impl<'de> Deserialize<'de> for EventList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        match Raw::deserialize(d).map_err(|_| {
            serde::de::Error::custom("parameter_invalid|Invalid enabled_events: must be an array of event types")
        })? {
            Raw::One(s) => Ok(EventList(vec![s])),
            Raw::Many(v) => Ok(EventList(v)),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateParams {
    url: String,
    // Optional here only so its absence is reported as Stripe does (a derive would call our
    // deserializer on a missing value and lose the name).
    enabled_events: Option<EventList>,
    description: Option<String>,
    #[serde(default)]
    metadata: MetadataParam,
    api_version: Option<String>,
    connect: Option<Bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateParams {
    url: Option<String>,
    enabled_events: Option<EventList>,
    #[serde(default)]
    description: Clearable<String>,
    #[serde(default)]
    metadata: MetadataParam,
    disabled: Option<Bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoFilter {}

fn check_api_version(v: &str) -> Result<(), ApiError> {
    match ApiVersion::parse(v) {
        Some(parsed) if parsed.betas.is_empty() => Ok(()),
        _ => Err(ApiError::invalid(
            "parameter_invalid",
            "api_version",
            format!("Invalid api_version: {v}. Use a version such as 2026-07-29.dahlia."),
        )),
    }
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    keyed: Keyed,
    req: Params<CreateParams>,
) -> ApiResult<Json<Value>> {
    let p = req.params;
    if p.connect.is_some_and(|c| c.0) {
        return Err(ApiError::invalid(
            "parameter_invalid",
            "connect",
            "Connect webhook endpoints are not supported by sandbank; omit connect or pass false.",
        ));
    }
    if let Some(v) = &p.api_version {
        check_api_version(v)?;
    }
    let new = NewEndpoint {
        url: p.url,
        enabled_events: p
            .enabled_events
            .ok_or_else(|| ApiError::missing_parameter("enabled_events"))?
            .0,
        description: p.description,
        metadata: p.metadata.0,
        api_version: p.api_version,
    };
    let endpoint = WebhookEndpoint::create(&caller.platform_id, new, &state.delivery.destination, state.clock.now())?;
    // The signing secret is shown only here, so a replay must be this answer, not a read.
    let render = |e: &WebhookEndpoint| e.to_json(true);
    state
        .store
        .insert_webhook_endpoint(&endpoint, keyed.reply(&render).as_ref())
        .await?;
    Ok(Json(endpoint.to_json(true)))
}

async fn retrieve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    _: Params<NoParams>,
) -> ApiResult<Json<Value>> {
    let endpoint = state
        .store
        .get_webhook_endpoint(&caller.platform_id, &id)
        .await?
        .ok_or_else(|| no_such_endpoint(&id))?;
    Ok(Json(endpoint.to_json(false)))
}

async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    keyed: Keyed,
    req: Params<UpdateParams>,
) -> ApiResult<Json<Value>> {
    let p = req.params;
    let mut changes = Some(EndpointChanges {
        url: p.url,
        enabled_events: p.enabled_events.map(|e| e.0),
        description: p.description.0,
        metadata: p.metadata.0,
        disabled: p.disabled.map(|b| b.0),
    });
    let policy = state.delivery.destination;
    let mut apply = |e: &mut WebhookEndpoint| e.update(changes.take().unwrap_or_default(), &policy);
    let render = |e: &WebhookEndpoint| e.to_json(false);
    let endpoint = state
        .store
        .modify_webhook_endpoint(&caller.platform_id, &id, &mut apply, keyed.reply(&render).as_ref())
        .await?
        .ok_or_else(|| no_such_endpoint(&id))?;
    Ok(Json(endpoint.to_json(false)))
}

async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    _: Params<NoParams>,
) -> ApiResult<Json<Value>> {
    if !state
        .store
        .delete_webhook_endpoint(&caller.platform_id, &id, state.clock.now())
        .await?
    {
        return Err(no_such_endpoint(&id));
    }
    Ok(Json(json!({ "id": id, "object": "webhook_endpoint", "deleted": true })))
}

async fn list(State(state): State<AppState>, caller: Caller, query: ListQuery<NoFilter>) -> ApiResult<Json<Value>> {
    let page = state
        .store
        .list_webhook_endpoints(&caller.platform_id, &query.page)
        .await
        .map_err(|e| cursor_error("webhook_endpoint", &query.page, e))?;
    Ok(Json(list_object(
        "/v1/webhook_endpoints",
        page.map(|e| e.to_json(false)),
    )))
}

pub fn no_such_endpoint(id: &str) -> ApiError {
    ApiError::no_such("webhook_endpoint", id, "webhook_endpoint")
}
