//! The only code that knows axum: the router for every surface and its layers.

pub mod bank;
mod complete;
pub mod error;
pub mod html;
pub mod link;
mod ops;
pub mod request_id;
pub mod state;
pub mod stripe;
pub mod v1;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::get;
use tower_http::timeout::TimeoutLayer;

use self::error::ApiError;
use self::state::AppState;
use self::stripe::{auth, idempotency, rate_limit, version};

/// How long a request may run before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The whole HTTP surface of one server.
pub fn router(state: AppState) -> Router {
    // Layers run outermost-last: authenticate → rate limit → version → idempotency → handler.
    let v1 = v1::routes()
        .method_not_allowed_fallback(unrecognized)
        .layer(from_fn_with_state(state.clone(), idempotency::idempotent))
        .layer(from_fn(version::versioning))
        .layer(from_fn_with_state(state.clone(), rate_limit::limit))
        .layer(from_fn_with_state(state.clone(), auth::authenticate));
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .merge(v1)
        .merge(bank::routes())
        .merge(link::routes())
        .fallback(unrecognized)
        .layer(from_fn_with_state(state.clone(), complete::run_to_completion))
        .layer(DefaultBodyLimit::max(state.body_limit))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(from_fn(request_id::request_id))
        .with_state(state)
}

/// Stripe's answer for a URL or method it does not serve.
async fn unrecognized(req: Request) -> ApiError {
    ApiError::unrecognized_url(req.method().as_str(), req.uri().path())
}
