//! OAuth clients of a bank, registered dynamically (RFC 7591): the metadata rules.

use serde::{Deserialize, Serialize};
use url::Url;

use super::scope::Scopes;

/// How a client authenticates at the token, revocation and introspection endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    /// A public client (a native or browser app): PKCE is its only proof.
    None,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<AuthMethod> {
        [
            AuthMethod::ClientSecretBasic,
            AuthMethod::ClientSecretPost,
            AuthMethod::None,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }

    pub fn is_confidential(self) -> bool {
        self != AuthMethod::None
    }
}

/// A registered client as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankClient {
    /// `bcli_…`
    pub id: String,
    pub institution_id: String,
    /// SHA-256 of the secret (confidential clients only).
    pub secret_hash: Option<String>,
    pub auth_method: AuthMethod,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    /// The most a client may ask for; every scope when it registered none.
    pub scope: Scopes,
    pub created: i64,
}

/// RFC 7591 §3.2.2 error codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataError {
    InvalidRedirectUri(String),
    InvalidClientMetadata(String),
}

impl MetadataError {
    pub fn code(&self) -> &'static str {
        match self {
            MetadataError::InvalidRedirectUri(_) => "invalid_redirect_uri",
            MetadataError::InvalidClientMetadata(_) => "invalid_client_metadata",
        }
    }

    pub fn description(&self) -> &str {
        match self {
            MetadataError::InvalidRedirectUri(d) | MetadataError::InvalidClientMetadata(d) => d,
        }
    }
}

/// The grant types this bank issues.
pub const GRANT_TYPES: [&str; 2] = ["authorization_code", "refresh_token"];

/// Registration metadata as received (every field optional so missing ones are reported
/// as metadata errors, not as a JSON parse failure).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClientMetadata {
    pub redirect_uris: Option<Vec<String>>,
    pub client_name: Option<String>,
    pub token_endpoint_auth_method: Option<String>,
    pub grant_types: Option<Vec<String>>,
    pub response_types: Option<Vec<String>>,
    pub scope: Option<String>,
}

/// Validated metadata, ready to become a [`BankClient`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidMetadata {
    pub redirect_uris: Vec<String>,
    pub name: String,
    pub auth_method: AuthMethod,
    pub grant_types: Vec<String>,
    pub scope: Scopes,
}

impl ClientMetadata {
    pub fn validate(self) -> Result<ValidMetadata, MetadataError> {
        let uris = self.redirect_uris.unwrap_or_default();
        if uris.is_empty() || uris.len() > 10 {
            return Err(MetadataError::InvalidRedirectUri(
                "redirect_uris must list 1 to 10 URIs".into(),
            ));
        }
        for uri in &uris {
            check_redirect_uri(uri)?;
        }
        let auth_method = match self.token_endpoint_auth_method.as_deref() {
            None => AuthMethod::ClientSecretBasic,
            Some(m) => AuthMethod::parse(m).ok_or_else(|| {
                MetadataError::InvalidClientMetadata("token_endpoint_auth_method is not supported".into())
            })?,
        };
        let grant_types = self.grant_types.unwrap_or_else(|| vec!["authorization_code".into()]);
        if grant_types.is_empty() || grant_types.iter().any(|g| !GRANT_TYPES.contains(&g.as_str())) {
            return Err(MetadataError::InvalidClientMetadata(
                "grant_types may hold only authorization_code and refresh_token".into(),
            ));
        }
        if let Some(types) = &self.response_types
            && types.iter().any(|t| t != "code")
        {
            return Err(MetadataError::InvalidClientMetadata(
                "response_types may hold only code".into(),
            ));
        }
        let scope = match self.scope.as_deref() {
            None => Scopes::from_iter(super::scope::Scope::ALL),
            Some(s) => {
                Scopes::parse(s).map_err(|e| MetadataError::InvalidClientMetadata(format!("unknown scope {}", e.0)))?
            }
        };
        let name = self
            .client_name
            .unwrap_or_default()
            .trim()
            .chars()
            .take(100)
            .collect::<String>();
        Ok(ValidMetadata {
            redirect_uris: uris,
            name: if name.is_empty() { "Unnamed app".into() } else { name },
            auth_method,
            grant_types,
            scope,
        })
    }
}

/// An absolute `http(s)` URL without a fragment (RFC 6749 §3.1.2). Plain `http` is allowed
/// for any host: the sandbox itself often runs without TLS.
fn check_redirect_uri(uri: &str) -> Result<(), MetadataError> {
    let bad = |why: &str| MetadataError::InvalidRedirectUri(format!("redirect URI {why}"));
    if uri.len() > 2000 {
        return Err(bad("is too long"));
    }
    let parsed = Url::parse(uri).map_err(|_| bad("must be an absolute URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("must use http or https"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("must name a host"));
    }
    if parsed.fragment().is_some() {
        return Err(bad("must not contain a fragment"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(uris: &[&str]) -> ClientMetadata {
        ClientMetadata {
            redirect_uris: Some(uris.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        }
    }

    #[test]
    fn redirect_uris_are_checked() {
        assert!(meta(&["https://app.example/cb"]).validate().is_ok());
        assert!(meta(&["http://127.0.0.1:8000/cb?x=1"]).validate().is_ok());
        for bad in [
            "",
            "/cb",
            "ftp://x/cb",
            "https://app.example/cb#frag",
            "javascript:alert(1)",
        ] {
            let e = meta(&[bad]).validate().unwrap_err();
            assert_eq!(e.code(), "invalid_redirect_uri", "{bad}");
        }
        assert_eq!(meta(&[]).validate().unwrap_err().code(), "invalid_redirect_uri");
    }

    #[test]
    fn defaults_and_bad_metadata() {
        let v = meta(&["https://a.example/cb"]).validate().unwrap();
        assert_eq!(v.auth_method, AuthMethod::ClientSecretBasic);
        assert_eq!(
            v.scope.to_string(),
            "accounts balances ownership payment_method transactions"
        );
        let mut m = meta(&["https://a.example/cb"]);
        m.token_endpoint_auth_method = Some("private_key_jwt".into());
        assert_eq!(m.validate().unwrap_err().code(), "invalid_client_metadata");
        let mut m = meta(&["https://a.example/cb"]);
        m.grant_types = Some(vec!["password".into()]);
        assert_eq!(m.validate().unwrap_err().code(), "invalid_client_metadata");
    }
}
