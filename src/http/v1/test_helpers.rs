//! `/v1/test_helpers/financial_connections/…`: drive the hosted flow without a browser. The
//! helper plays the user's browser against this server's own `/link` and `/bank` pages over
//! HTTP, so a test links accounts through exactly the consent path a person would.

use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

use super::sessions::render_session;
use crate::app_state::AppState;
use crate::domain::bank::totp;
use crate::domain::session::SessionStatus;
use crate::http::error::{ApiError, ApiResult};
use crate::http::link::browser::{Browser, Decision, TEST_CODE};
use crate::http::stripe::auth::Caller;
use crate::http::stripe::idempotency::Keyed;
use crate::http::stripe::params::Params;

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/v1/test_helpers/financial_connections/sessions/{session}/complete",
        post(complete),
    )
}

#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Outcome {
    #[default]
    Success,
    Cancel,
    Failure,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CompleteParams {
    institution: Option<String>,
    username: Option<String>,
    password: Option<String>,
    accounts: Option<Vec<String>>,
    #[serde(default)]
    outcome: Outcome,
}

/// The sandbox user each institution logs in by default (see docs/banks.md).
fn default_username(institution: &str) -> &'static str {
    match institution {
        "fcinst_ownership" => "joint",
        "fcinst_slow" => "slow",
        _ => "jenny",
    }
}

/// What the scripted user types as second factor: the fixed code while the banks accept it,
/// otherwise the user's next unused TOTP (each code passes once, so consecutive helper runs
/// within one 30 s step take the next step's code).
pub(super) async fn second_factor_code(state: &AppState, institution: &str, username: &str) -> ApiResult<String> {
    if state.bank.fixed_code_allowed() {
        return Ok(TEST_CODE.to_owned());
    }
    let Some(user) = state.store.find_bank_user(institution, username).await? else {
        // The bank refuses the password first; no code is typed.
        return Ok(TEST_CODE.to_owned());
    };
    let last_used = state.store.last_totp_step(&user.id).await?;
    totp::next_unused_code(&user.totp_secret, state.clock.now(), last_used).ok_or_else(|| {
        ApiError::rate_limited(
            totp::STEP_SECS as u64,
            "Every second-factor code of this user's current time window was used; retry in 30 seconds.",
        )
    })
}

/// The documented password of every seeded sandbox user.
pub const SANDBOX_PASSWORD: &str = "password123";

/// The link commits in this server's own `/link` callback, not in this request, and the bank
/// is called before it: no one transaction can hold both. With an `Idempotency-Key` the
/// helper notes under the key that it is linking this session before it starts. If the
/// process dies before the link commits, the session is still pending and a retry links it
/// (the bank grant of the first try is left unreferenced: no account points at it). If it
/// dies after, the retry finds the note and a session no longer pending, and answers with
/// the session as linked instead of linking again.
async fn complete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    keyed: Keyed,
    req: Params<CompleteParams>,
) -> ApiResult<Json<Value>> {
    let p = req.params;
    let session = state
        .store
        .get_session(&caller.platform_id, &id)
        .await?
        .ok_or_else(|| ApiError::no_such("financial_connections.session", &id, "session"))?;
    if keyed.recovery() == Some(session.id.as_str()) && session.status != SessionStatus::Pending {
        return Ok(Json(render_session(&state, &session).await?));
    }
    if session.status != SessionStatus::Pending {
        return Err(ApiError::invalid(
            "session_not_pending",
            "session",
            format!(
                "Session {id} is already {}; create a new session to link again.",
                session.status.as_str()
            ),
        ));
    }
    let institution = p.institution.unwrap_or_else(|| "fcinst_sandbank".to_owned());
    if state.store.get_institution(&institution).await?.is_none() {
        return Err(
            ApiError::no_such("financial_connections.institution", &institution, "institution").with_status_400(),
        );
    }
    let username = p.username.unwrap_or_else(|| default_username(&institution).to_owned());
    let password = p.password.unwrap_or_else(|| SANDBOX_PASSWORD.to_owned());
    let decision = match p.outcome {
        Outcome::Success => Decision::Approve(p.accounts),
        Outcome::Cancel => Decision::Deny,
        Outcome::Failure => Decision::BankFailure,
    };
    let code = second_factor_code(&state, &institution, &username).await?;
    let browser = Browser::new(&state.public_url, &code).map_err(|e| e.into_api_error())?;
    keyed.note_recovery(&state, &session.id).await?;
    browser
        .link(&session.client_secret, &institution, &username, &password, decision)
        .await
        .map_err(|e| e.into_api_error())?;
    let session = state
        .store
        .get_session(&caller.platform_id, &id)
        .await?
        .unwrap_or(session);
    Ok(Json(render_session(&state, &session).await?))
}
