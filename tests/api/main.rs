//! One integration binary: every test drives the real app over HTTP on 127.0.0.1:0.

mod harness;

mod accounts;
mod auth;
mod bank_oauth;
mod bank_pages;
mod bank_sdk;
mod bank_storage;
mod bank_sign_in;
mod bank_support;
mod bank_tokens;
mod browser;
mod customers;
mod events;
mod idempotency;
mod link_flow;
mod lists;
mod operations;
mod ownership_match;
mod ownership_match_privacy;
mod params;
mod refresh;
mod restricted_keys;
mod score_cli;
mod sdk;
mod sdk_accounts;
mod sdk_node;
mod sessions;
mod store_conformance;
mod versions;
mod webhooks;
mod webhooks_delivery;
mod webhooks_listen;
mod webhooks_processes;
mod webhooks_support;
mod data_files;
