//! A `Request-Id: req_…` on every response, a tracing span per request carrying it, and one
//! structured log event per request: method, route template, status, duration. Never the
//! query, body, headers or raw path, which may carry personal data or secrets.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::domain::ids::random_base62;

/// The request's id, readable by handlers (events record it as `request.id`).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub async fn request_id(mut req: Request, next: Next) -> Response {
    let id = format!("req_{}", random_base62(14));
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, method = %method, route = %route);
    let mut response = next.run(req).instrument(span.clone()).await;
    let status = response.status().as_u16();
    span.in_scope(|| {
        tracing::info!(
            status,
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            "handled"
        );
    });
    response
        .headers_mut()
        .insert("request-id", HeaderValue::from_str(&id).expect("ids are ASCII"));
    response
}
