//! Liveness and readiness for orchestrators: `/healthz` answers while the process runs;
//! `/readyz` only while the store answers too. Both answer at once: a store known to be down
//! is reported without a round trip, and the round trip itself is bounded. Until the store
//! has opened (the database was down at start), [`starting_routes`] answer instead.

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::{Value, json};

use crate::app_state::AppState;
use crate::http::error::ApiError;

/// A readiness ping slower than this means not ready.
const READY_TIMEOUT: Duration = Duration::from_secs(1);

pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let store = state.store.backend().name();
    let answered = state.store.available()
        && match tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "store unreachable");
                false
            }
            Err(_) => {
                tracing::warn!("store ping timed out");
                false
            }
        };
    if answered {
        (StatusCode::OK, Json(json!({ "status": "ready", "store": store })))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "store": store })),
        )
    }
}

/// What the server answers while it waits for its database (`store`, the backend's name) at
/// start: alive, not ready, and every other request a 503 the SDKs retry.
pub fn starting_routes(store: &'static str) -> Router {
    let not_ready = move || async move {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "store": store })),
        )
    };
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(not_ready))
        .fallback(|| async { ApiError::store_unavailable() })
}
