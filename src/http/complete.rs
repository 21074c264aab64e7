//! Writes run to completion even when the client goes away. Dropping a handler's future
//! mid-way (hyper does when the connection closes: a client timeout, a killed script) would
//! roll back its transaction but leave an `Idempotency-Key` claimed until its lease runs out,
//! so the client's retry got 409s, and a link flow half done. Stripe finishes a request it
//! has received; so does sandbank: every non-GET request runs in its own task, which
//! shutdown waits for.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use super::error::ApiError;
use crate::app_state::AppState;

pub async fn run_to_completion(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Reads have nothing to finish, and are the hot path: they stay on the connection's task.
    if req.method().is_safe() {
        return next.run(req).await;
    }
    // The task keeps the request's span, so what it logs still carries the request id.
    match state.writes.spawn(next.run(req).in_current_span()).await {
        Ok(response) => response,
        // A panicking handler is answered as Stripe answers its own failures.
        Err(failed) => ApiError::internal(&failed).into_response(),
    }
}
