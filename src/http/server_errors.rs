//! Errors the framework produces rather than a handler — axum's 405 for a known path, its
//! rejections (a body over the limit: 413; an unreadable body: 400; a wrong content type:
//! 415), tower's 408 when a request runs out of time — come with an empty or plain-text
//! body. This layer answers each as Stripe's JSON error object of the same status, so every
//! status the server produces is one the SDKs can read. Responses with a body of their own
//! kind (Stripe's JSON, the banks' OAuth JSON, HTML pages) are left as they are.

use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::http::error::ApiError;

pub async fn stripe_shaped(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let framework_made = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| ct.starts_with("text/plain"));
    if !framework_made {
        return response;
    }
    let mut answer = ApiError::from_server(status).into_response();
    // Keep what the framework said about retrying or allowed methods.
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(value) = response.headers().get(&name) {
            answer.headers_mut().insert(name, value.clone());
        }
    }
    answer
}
