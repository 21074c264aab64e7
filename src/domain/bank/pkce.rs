//! PKCE (RFC 7636), S256 only: `plain` is refused so a client cannot be downgraded.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// The only method accepted.
pub const S256: &str = "S256";

/// Why an authorization request's PKCE parameters are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeError {
    Missing,
    /// `plain`, or anything but `S256`.
    UnsupportedMethod,
    Malformed,
}

/// Checks `code_challenge` and `code_challenge_method` of an authorization request. A missing
/// method defaults to `plain` in RFC 7636, so it is refused too.
pub fn check_challenge(challenge: Option<&str>, method: Option<&str>) -> Result<(), ChallengeError> {
    let challenge = challenge.filter(|c| !c.is_empty()).ok_or(ChallengeError::Missing)?;
    if method != Some(S256) {
        return Err(ChallengeError::UnsupportedMethod);
    }
    // base64url of a SHA-256 digest is always 43 characters.
    let well_formed = challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if well_formed {
        Ok(())
    } else {
        Err(ChallengeError::Malformed)
    }
}

/// The S256 challenge of a verifier.
pub fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// True when `verifier` is well formed (43–128 unreserved characters) and hashes to
/// `challenge`.
pub fn verify(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    well_formed
        && crate::domain::bank::secret::constant_time_eq(challenge_of(verifier).as_bytes(), challenge.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(challenge_of(verifier), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert!(verify(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        assert!(!verify("short", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
    }

    #[test]
    fn only_s256_challenges() {
        let c = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(check_challenge(Some(c), Some("S256")), Ok(()));
        assert_eq!(
            check_challenge(Some(c), Some("plain")),
            Err(ChallengeError::UnsupportedMethod)
        );
        assert_eq!(check_challenge(Some(c), None), Err(ChallengeError::UnsupportedMethod));
        assert_eq!(check_challenge(None, Some("S256")), Err(ChallengeError::Missing));
        assert_eq!(
            check_challenge(Some("abc"), Some("S256")),
            Err(ChallengeError::Malformed)
        );
    }
}
