//! The hosted link flow under `/link`: the user opens a session's `url`, picks an
//! institution, consents at its bank (an OAuth round trip with PKCE), and comes back here; the
//! accounts they chose are then linked and the user returns to the platform's `return_url`.

pub mod browser;
mod flow;
pub mod html;
mod pages;

use axum::Router;
use axum::routing::get;

use crate::app_state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/link/callback", get(flow::callback))
        .route("/link/{secret}", get(pages::pick_institution))
        .route("/link/{secret}/institutions/{institution}", get(flow::start))
        .route("/link/{secret}/done", get(pages::done))
        // Cancelling changes state, so only a POST does it; a GET (a prefetcher, a link
        // preview) gets a page asking to confirm.
        .route("/link/{secret}/cancel", get(pages::confirm_cancel).post(flow::cancel))
        .layer(axum::middleware::map_response(crate::http::html::page_headers))
}
