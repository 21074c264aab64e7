//! The emulated banks' rules: scopes, PKCE, second factor, passwords, clients, authorization
//! requests, consents, codes and refresh tokens, and the accounts behind the data API. Pure:
//! `now` is always a parameter.

pub mod account;
pub mod client;
pub mod grant;
pub mod password;
pub mod pkce;
pub mod request;
pub mod scope;
pub mod secret;
pub mod test_account;
pub mod throttle;
pub mod totp;
