//! An independent OAuth client: Python's Authlib registers dynamically and runs code + PKCE,
//! data reads, refresh, introspection and revocation against a bank (tests/sdk/oauth_authlib.py).

use crate::both_stores;
use crate::harness::{Backend, TestApp};
use crate::sdk::run_sdk_script;

both_stores!(authlib_client_runs_the_whole_grant);

async fn authlib_client_runs_the_whole_grant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    run_sdk_script(&app, "oauth_authlib.py").await;
}
