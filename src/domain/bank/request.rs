//! A pending authorization request: what the client asked for, and how far the user got
//! through login, second factor and consent. Kept server-side so the pages carry only its
//! id (`areq_…`), never the client's parameters.

use super::scope::Scopes;

/// How long the user has to finish the pages.
pub const REQUEST_TTL_SECS: i64 = 600;
/// Wrong passwords or codes a request survives; the next one ends it.
pub const MAX_FAILED_ATTEMPTS: i64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Login,
    Mfa,
    Consent,
    /// Approved or denied: the answer went back to the client.
    Done,
    /// Too many wrong attempts.
    Dead,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Login => "login",
            Stage::Mfa => "mfa",
            Stage::Consent => "consent",
            Stage::Done => "done",
            Stage::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        [Stage::Login, Stage::Mfa, Stage::Consent, Stage::Done, Stage::Dead]
            .into_iter()
            .find(|st| st.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRequest {
    /// `areq_…`
    pub id: String,
    pub institution_id: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: Scopes,
    pub state: Option<String>,
    pub code_challenge: String,
    /// Set once the user logged in.
    pub user_id: Option<String>,
    /// Digest of the browser session cookie the request is bound to after login.
    pub session_hash: Option<String>,
    pub stage: Stage,
    pub failed_attempts: i64,
    pub expires_at: i64,
    pub created: i64,
}

/// A browser's login at one bank, found by the digest of its cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankSession {
    pub token_hash: String,
    pub institution_id: String,
    pub user_id: String,
    /// The second factor passed: the session may manage connected apps.
    pub mfa_passed: bool,
    pub expires_at: i64,
    pub created: i64,
}

/// What a page may do with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestState {
    /// Expired, answered, or unknown: show an error page.
    Gone,
    /// Too many failures: send the client `access_denied`.
    Dead,
    Live,
}

impl AuthRequest {
    pub fn state_at(&self, now: i64) -> RequestState {
        match self.stage {
            Stage::Dead => RequestState::Dead,
            Stage::Done => RequestState::Gone,
            _ if now >= self.expires_at => RequestState::Gone,
            _ => RequestState::Live,
        }
    }

    /// True when the browser's session cookie digest is the one bound at login.
    pub fn bound_to(&self, session_hash: Option<&str>) -> bool {
        match (self.session_hash.as_deref(), session_hash) {
            (Some(bound), Some(given)) => super::secret::constant_time_eq(bound.as_bytes(), given.as_bytes()),
            _ => false,
        }
    }
}

/// The stage after one more failed attempt, given the count the store recorded.
pub fn after_failure(failed_attempts: i64) -> Option<Stage> {
    (failed_attempts >= MAX_FAILED_ATTEMPTS).then_some(Stage::Dead)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> AuthRequest {
        AuthRequest {
            id: "areq_1".into(),
            institution_id: "fcinst_sandbank".into(),
            client_id: "bcli_1".into(),
            redirect_uri: "https://a.example/cb".into(),
            scope: Scopes::parse("accounts").unwrap(),
            state: None,
            code_challenge: "c".into(),
            user_id: None,
            session_hash: None,
            stage: Stage::Login,
            failed_attempts: 0,
            expires_at: 1000,
            created: 400,
        }
    }

    #[test]
    fn liveness() {
        let mut r = request();
        assert_eq!(r.state_at(999), RequestState::Live);
        assert_eq!(r.state_at(1000), RequestState::Gone);
        r.stage = Stage::Dead;
        assert_eq!(r.state_at(500), RequestState::Dead);
        assert_eq!(after_failure(4), None);
        assert_eq!(after_failure(5), Some(Stage::Dead));
    }

    #[test]
    fn session_binding() {
        let mut r = request();
        assert!(!r.bound_to(Some("h")));
        r.session_hash = Some("h".into());
        assert!(r.bound_to(Some("h")));
        assert!(!r.bound_to(Some("g")));
        assert!(!r.bound_to(None));
    }
}
