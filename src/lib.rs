//! sandbank: a stateful, Stripe-compatible Financial Connections sandbox.
//!
//! The layers and the one dependency rule: `http → domain ← store`. `http` is the only code
//! that knows axum; `domain` is pure (no I/O, no clock reads); `store` speaks SQL and returns
//! domain types; `startup` wires them together.

pub mod cli;
pub mod clients;
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
pub mod workers;
