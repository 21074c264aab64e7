//! Outbound HTTP: the bank client (OAuth with the `oauth2` crate, and the data API) shared by
//! the link flow and the refresh jobs. Knows no axum handler.

pub mod bank;
pub mod webhook;
