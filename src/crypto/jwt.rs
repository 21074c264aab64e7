//! ES256 JWT access tokens (RFC 9068) and the key that signs them. One P-256 key serves every
//! bank (the issuer and audience claims tell the banks apart); it is made on first start and
//! kept sealed in the store, so tokens survive restarts and verify on every process.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use p256::ecdsa::SigningKey;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::store::SigningKeyRecord;

/// RFC 9068 §2.1: the `typ` header of an access token.
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    /// The bank user.
    pub sub: String,
    /// `{issuer}/data`: only the bank's data API accepts it.
    pub aud: String,
    pub client_id: String,
    /// Space-separated.
    pub scope: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub consent_id: String,
}

pub struct Signer {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    jwk: Value,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer {{ kid: {} }}", self.kid)
    }
}

/// A new random key in its stored form.
pub fn generate(now: i64) -> anyhow::Result<SigningKeyRecord> {
    let key = loop {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        // Almost every 32-byte string is a valid scalar; retry the rare one that is not.
        if let Ok(key) = SigningKey::from_bytes(&bytes.into()) {
            break key;
        }
    };
    let der = key
        .to_pkcs8_der()
        .map_err(|e| anyhow::anyhow!("cannot encode the signing key: {e}"))?;
    let (_, jwk) = public_jwk(&key);
    Ok(SigningKeyRecord {
        kid: thumbprint(&jwk),
        private_key: STANDARD.encode(der.as_bytes()),
        created: now,
    })
}

/// The public JWK of a key (without `kid`) and its coordinates.
fn public_jwk(key: &SigningKey) -> ((String, String), Value) {
    let point = key.verifying_key().to_encoded_point(false);
    let x = URL_SAFE_NO_PAD.encode(point.x().expect("an uncompressed point has x"));
    let y = URL_SAFE_NO_PAD.encode(point.y().expect("an uncompressed point has y"));
    let jwk = json!({"kty": "EC", "crv": "P-256", "x": x, "y": y});
    ((x, y), jwk)
}

/// RFC 7638 thumbprint: SHA-256 of the required members in lexicographic order.
fn thumbprint(jwk: &Value) -> String {
    let canonical = format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
        jwk["x"].as_str().unwrap_or_default(),
        jwk["y"].as_str().unwrap_or_default()
    );
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

impl Signer {
    pub fn from_record(record: &SigningKeyRecord) -> anyhow::Result<Self> {
        let der = STANDARD.decode(&record.private_key)?;
        let key = SigningKey::from_pkcs8_der(&der).map_err(|e| anyhow::anyhow!("stored signing key: {e}"))?;
        let ((x, y), mut jwk) = public_jwk(&key);
        let kid = thumbprint(&jwk);
        jwk["kid"] = json!(kid);
        jwk["use"] = json!("sig");
        jwk["alg"] = json!("ES256");
        Ok(Self {
            kid,
            encoding: EncodingKey::from_ec_der(&der),
            decoding: DecodingKey::from_ec_components(&x, &y)?,
            jwk,
        })
    }

    /// The JWK Set published at `jwks.json`.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.jwk] })
    }

    pub fn sign(&self, claims: &AccessClaims) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some(ACCESS_TOKEN_TYP.into());
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
    }

    /// The claims of a token this key signed for `issuer` (and, when given, `audience`), with
    /// the right `typ`, unexpired at `now` (the app clock, not the system's). `None` for
    /// anything else: callers answer every failure the same way.
    pub fn verify(&self, token: &str, issuer: &str, audience: Option<&str>, now: i64) -> Option<AccessClaims> {
        let claims = self.verify_ignoring_expiry(token, issuer, audience)?;
        (claims.exp > now).then_some(claims)
    }

    /// As [`Signer::verify`] without the expiry check (revocation accepts expired tokens).
    pub fn verify_ignoring_expiry(&self, token: &str, issuer: &str, audience: Option<&str>) -> Option<AccessClaims> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        let typ_ok = header
            .typ
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(ACCESS_TOKEN_TYP) || t.eq_ignore_ascii_case("application/at+jwt"));
        if header.alg != Algorithm::ES256 || !typ_ok || header.kid.as_deref() != Some(self.kid.as_str()) {
            return None;
        }
        let mut validation = Validation::new(Algorithm::ES256);
        // Expiry is checked against the app clock by the caller.
        validation.validate_exp = false;
        validation.leeway = 0;
        validation.set_issuer(&[issuer]);
        match audience {
            Some(aud) => validation.set_audience(&[aud]),
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation)
            .ok()
            .map(|data| data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> AccessClaims {
        AccessClaims {
            iss: "http://x/bank/fcinst_sandbank".into(),
            sub: "buser_jenny".into(),
            aud: "http://x/bank/fcinst_sandbank/data".into(),
            client_id: "bcli_1".into(),
            scope: "accounts".into(),
            exp,
            iat: 100,
            jti: "j1".into(),
            consent_id: "consent_1".into(),
        }
    }

    #[test]
    fn signs_and_verifies_with_the_stored_key() {
        let record = generate(0).unwrap();
        let signer = Signer::from_record(&record).unwrap();
        let again = Signer::from_record(&record).unwrap();
        let token = signer.sign(&claims(1000)).unwrap();
        let iss = "http://x/bank/fcinst_sandbank";
        let aud = "http://x/bank/fcinst_sandbank/data";
        assert_eq!(again.verify(&token, iss, Some(aud), 999), Some(claims(1000)));
        assert_eq!(again.verify(&token, iss, Some(aud), 1000), None, "expired");
        assert_eq!(again.verify(&token, "http://x/bank/other", Some(aud), 999), None);
        assert_eq!(again.verify(&token, iss, Some("http://elsewhere"), 999), None);
        let other = Signer::from_record(&generate(0).unwrap()).unwrap();
        assert_eq!(other.verify(&token, iss, Some(aud), 999), None, "another key");
        assert_eq!(signer.verify("not.a.jwt", iss, Some(aud), 0), None);
        assert_eq!(signer.jwks()["keys"][0]["kid"], record.kid);
    }
}
