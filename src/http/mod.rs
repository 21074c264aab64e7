//! The only code that knows axum: the router for every surface and its layers.

pub mod bank;
mod complete;
pub mod error;
pub mod html;
pub mod link;
mod ops;
pub mod parse_errors;
pub mod request_id;
mod server_errors;
pub mod stripe;
pub mod v1;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

use self::error::ApiError;
use self::stripe::{auth, idempotency, rate_limit, version};
use crate::app_state::AppState;

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
    let routes = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .merge(v1)
        .merge(bank::routes())
        .merge(link::routes())
        .fallback(unrecognized)
        .layer(from_fn_with_state(state.clone(), complete::run_to_completion));
    around_every_request(routes, state.body_limit).with_state(state)
}

/// The router served while the store is not yet open (see [`ops::starting_routes`]).
pub fn router_while_starting(body_limit: usize, store: &'static str) -> Router {
    around_every_request(ops::starting_routes(store), body_limit)
}

/// What wraps every route: the body limit, the request timeout, a Stripe 500 instead of a
/// dropped connection if a handler panics, Stripe's JSON for the framework's own errors, and
/// the request id (outermost, so every answer carries one).
fn around_every_request<S: Clone + Send + Sync + 'static>(routes: Router<S>, body_limit: usize) -> Router<S> {
    routes
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(CatchPanicLayer::custom(panicked))
        .layer(from_fn(server_errors::stripe_shaped))
        .layer(from_fn(request_id::request_id))
}

/// A handler panicked: the client gets Stripe's `api_error`, the log gets no payload (it may
/// hold personal data).
fn panicked(_payload: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    use axum::response::IntoResponse;
    ApiError::internal(&"a handler panicked").into_response()
}

/// Stripe's answer for a URL or method it does not serve.
async fn unrecognized(req: Request) -> ApiError {
    ApiError::unrecognized_url(req.method().as_str(), req.uri().path())
}

#[cfg(test)]
mod tests {
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_is_a_stripe_500_with_a_request_id() {
        async fn boom() -> &'static str {
            panic!("a bug")
        }
        let app = around_every_request(Router::new().route("/boom", get(boom)), 1024);
        let response = app
            .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), 500);
        assert!(response.headers()["request-id"].to_str().unwrap().starts_with("req_"));
        let body = to_bytes(response.into_body(), 4096).await.unwrap();
        let error: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(error["error"]["type"], "api_error");
    }

    /// The timeout and framework errors, answered as Stripe's JSON with a request id. Time
    /// is paused: the 30 s timeout passes at once, without waiting.
    #[tokio::test(start_paused = true)]
    async fn framework_errors_are_stripe_json_with_a_request_id() {
        async fn slow() -> &'static str {
            tokio::time::sleep(REQUEST_TIMEOUT * 2).await;
            "late"
        }
        async fn takes_a_form(_: axum::Form<std::collections::HashMap<String, String>>) -> &'static str {
            "ok"
        }
        let routes = Router::new()
            .route("/slow", get(slow))
            .route("/form", axum::routing::post(takes_a_form));
        let app = around_every_request(routes, 16);
        let cases = [
            (Request::get("/slow").body(Body::empty()).unwrap(), 408),
            (Request::delete("/slow").body(Body::empty()).unwrap(), 405),
            (
                Request::post("/form")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(Body::from("a=".to_owned() + &"x".repeat(64)))
                    .unwrap(),
                413,
            ),
            (Request::post("/form").body(Body::from("a=1")).unwrap(), 415),
        ];
        for (request, status) in cases {
            let response = app.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status(), status);
            assert!(response.headers()["request-id"].to_str().unwrap().starts_with("req_"));
            assert_eq!(response.headers()["content-type"], "application/json");
            let body = to_bytes(response.into_body(), 4096).await.unwrap();
            let error: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(error["error"]["type"], "invalid_request_error", "{status}");
            assert!(error["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
    }
}
