//! Consents, authorization codes and refresh tokens: their lifetimes and the checks a token
//! request must pass (RFC 6749 §4.1.3, RFC 7636 §4.6, RFC 9700 §4.14).

use super::pkce;
use super::scope::Scopes;

/// Codes live at most a minute (FAPI 2.0).
pub const CODE_TTL_SECS: i64 = 60;
pub const ACCESS_TOKEN_TTL_SECS: i64 = 900;
/// Absolute lifetime of a refresh token; each rotation starts a new one.
pub const REFRESH_TOKEN_TTL_SECS: i64 = 90 * 24 * 3600;
/// A bank browser session (login cookie).
pub const SESSION_TTL_SECS: i64 = 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentStatus {
    Active,
    Revoked,
}

impl ConsentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentStatus::Active => "active",
            ConsentStatus::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<ConsentStatus> {
        match s {
            "active" => Some(ConsentStatus::Active),
            "revoked" => Some(ConsentStatus::Revoked),
            _ => None,
        }
    }
}

/// A user's grant to one client: which scopes, over which accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    /// `consent_…`
    pub id: String,
    pub institution_id: String,
    pub user_id: String,
    pub client_id: String,
    pub scope: Scopes,
    pub account_ids: Vec<String>,
    pub status: ConsentStatus,
    pub created: i64,
    pub revoked_at: Option<i64>,
}

impl Consent {
    pub fn is_active(&self) -> bool {
        self.status == ConsentStatus::Active
    }

    pub fn covers_account(&self, account_id: &str) -> bool {
        self.account_ids.iter().any(|a| a == account_id)
    }
}

/// An issued authorization code as stored (the code itself only as a digest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthCode {
    pub hash: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub consent_id: String,
    /// The refresh-token family (and its access tokens) this code starts; revoked whole when
    /// the code is replayed.
    pub family_id: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// Why a token request is refused, as RFC 6749 §5.2 error codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantError {
    InvalidGrant(&'static str),
    InvalidScope(&'static str),
}

impl GrantError {
    pub fn code(&self) -> &'static str {
        match self {
            GrantError::InvalidGrant(_) => "invalid_grant",
            GrantError::InvalidScope(_) => "invalid_scope",
        }
    }

    pub fn description(&self) -> &'static str {
        match self {
            GrantError::InvalidGrant(d) | GrantError::InvalidScope(d) => d,
        }
    }
}

/// The checks of an (unused, client-matched) code against the token request.
pub fn check_code(
    code: &AuthCode,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
    now: i64,
) -> Result<(), GrantError> {
    if now >= code.expires_at {
        return Err(GrantError::InvalidGrant("the authorization code has expired"));
    }
    if redirect_uri != Some(code.redirect_uri.as_str()) {
        return Err(GrantError::InvalidGrant(
            "redirect_uri does not match the authorization request",
        ));
    }
    let verifier = verifier.ok_or(GrantError::InvalidGrant("code_verifier is required"))?;
    if !pkce::verify(verifier, &code.code_challenge) {
        return Err(GrantError::InvalidGrant(
            "code_verifier does not match the code challenge",
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshStatus {
    Active,
    /// Exchanged for a newer token; presenting it again is reuse.
    Rotated,
    Revoked,
}

impl RefreshStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RefreshStatus::Active => "active",
            RefreshStatus::Rotated => "rotated",
            RefreshStatus::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<RefreshStatus> {
        match s {
            "active" => Some(RefreshStatus::Active),
            "rotated" => Some(RefreshStatus::Rotated),
            "revoked" => Some(RefreshStatus::Revoked),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken {
    pub hash: String,
    pub family_id: String,
    pub consent_id: String,
    pub client_id: String,
    pub scope: Scopes,
    pub status: RefreshStatus,
    pub created: i64,
    pub expires_at: i64,
}

/// The scope a refresh grants: the requested one if it narrows the consent, else the
/// token's own (RFC 6749 §6: omitted means unchanged).
pub fn refresh_scope(token: &RefreshToken, consent: &Consent, requested: Option<&str>) -> Result<Scopes, GrantError> {
    let Some(requested) = requested.filter(|r| !r.trim().is_empty()) else {
        return Ok(token.scope.clone());
    };
    let scope = Scopes::parse(requested).map_err(|_| GrantError::InvalidScope("unknown scope requested"))?;
    if !scope.is_subset_of(&consent.scope) {
        return Err(GrantError::InvalidScope("the requested scope exceeds the consent"));
    }
    Ok(scope)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::bank::pkce::challenge_of;

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    fn code() -> AuthCode {
        AuthCode {
            hash: "h".into(),
            client_id: "bcli_1".into(),
            redirect_uri: "https://a.example/cb".into(),
            code_challenge: challenge_of(VERIFIER),
            consent_id: "consent_1".into(),
            family_id: "fam".into(),
            expires_at: 160,
            used_at: None,
        }
    }

    #[test]
    fn code_checks() {
        let c = code();
        let uri = Some("https://a.example/cb");
        assert_eq!(check_code(&c, uri, Some(VERIFIER), 100), Ok(()));
        assert_eq!(
            check_code(&c, uri, Some(VERIFIER), 160).unwrap_err().code(),
            "invalid_grant"
        );
        assert!(check_code(&c, Some("https://a.example/other"), Some(VERIFIER), 100).is_err());
        assert!(check_code(&c, None, Some(VERIFIER), 100).is_err());
        assert!(check_code(&c, uri, None, 100).is_err());
        assert!(check_code(&c, uri, Some(&"x".repeat(43)), 100).is_err());
    }

    #[test]
    fn refresh_scope_narrows_only() {
        let consent = Consent {
            id: "consent_1".into(),
            institution_id: "i".into(),
            user_id: "u".into(),
            client_id: "c".into(),
            scope: Scopes::parse("accounts balances").unwrap(),
            account_ids: vec![],
            status: ConsentStatus::Active,
            created: 0,
            revoked_at: None,
        };
        let token = RefreshToken {
            hash: "h".into(),
            family_id: "f".into(),
            consent_id: "consent_1".into(),
            client_id: "c".into(),
            scope: consent.scope.clone(),
            status: RefreshStatus::Active,
            created: 0,
            expires_at: 10,
        };
        assert_eq!(refresh_scope(&token, &consent, None).unwrap(), consent.scope);
        assert_eq!(
            refresh_scope(&token, &consent, Some("accounts")).unwrap().to_string(),
            "accounts"
        );
        assert_eq!(
            refresh_scope(&token, &consent, Some("ownership")).unwrap_err().code(),
            "invalid_scope"
        );
    }
}
