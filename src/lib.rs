//! sandbank: a stateful, Stripe-compatible Financial Connections sandbox.
//!
//! The layers and the one dependency rule: `http → domain ← store`. `http` is the only code
//! that knows axum; `domain` is pure (no I/O, no clock reads); `store` speaks SQL and returns
//! domain types; `wire` writes Stripe's JSON shapes for handlers and workers alike; `clock`
//! and `app_state` sit below both `http` and `workers`; `startup` wires them together. Nothing
//! below `http` imports it (`tests/api/repository.rs` checks).

pub mod app_state;
pub mod cli;
pub mod clients;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod http;
pub mod listen;
pub mod private_files;
pub mod sandbox;
pub mod scoring;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod wire;
pub mod workers;
