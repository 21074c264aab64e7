//! A bank as an OAuth 2.0 client sees it: dynamic registration (RFC 7591), the authorization
//! URL with PKCE, code exchange, refresh, revocation, and the open-banking data API. Any server
//! speaking this contract can stand behind an institution; the sandbox's own banks do.

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RefreshToken, Scope, TokenResponse, TokenUrl,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::account::BankAccountInfo;
use crate::store::link::LinkClient;

/// The redirect URI the platform registers at every bank, below its public URL: the link
/// flow receives the code there, and refresh sends the same URI when it renews a token.
pub fn callback_path() -> &'static str {
    "/link/callback"
}

/// Why a bank call failed, in the terms the callers act on.
#[derive(Debug, thiserror::Error)]
pub enum BankError {
    /// The bank is down or unreachable (5xx, timeouts, connection errors).
    #[error("the bank is unavailable: {0}")]
    Unavailable(String),
    /// The grant is gone: a revoked consent or refresh token (`invalid_grant`, 401s).
    #[error("the bank no longer honours this authorization: {0}")]
    AccessRevoked(String),
    /// The token lacks a scope for this call.
    #[error("the bank refused the call for want of a scope")]
    InsufficientScope,
    /// Anything else the bank answered that this client does not expect.
    #[error("unexpected answer from the bank: {0}")]
    Protocol(String),
}

/// Tokens from the token endpoint.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// Seconds the access token lives.
    pub expires_in: i64,
}

/// The start of an authorization round trip: where to send the browser, and what to keep.
pub struct AuthorizationStart {
    pub url: String,
    pub state: String,
    pub pkce_verifier: String,
}

/// A bank's endpoints, derived from its base URL (`…/bank/{institution}`).
#[derive(Debug, Clone)]
pub struct Bank {
    base: String,
}

impl Bank {
    pub fn at(base: impl Into<String>) -> Self {
        Self {
            base: base.into().trim_end_matches('/').to_owned(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn oauth(
        &self,
        client: &LinkClient,
        redirect_uri: &str,
    ) -> Result<
        BasicClient<
            oauth2::EndpointSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointSet,
        >,
        BankError,
    > {
        let bad = |e: oauth2::url::ParseError| BankError::Protocol(format!("bad bank URL: {e}"));
        Ok(BasicClient::new(ClientId::new(client.client_id.clone()))
            .set_client_secret(ClientSecret::new(client.client_secret.clone()))
            .set_auth_uri(AuthUrl::new(self.url("/oauth/authorize")).map_err(bad)?)
            .set_token_uri(TokenUrl::new(self.url("/oauth/token")).map_err(bad)?)
            .set_redirect_uri(RedirectUrl::new(redirect_uri.to_owned()).map_err(bad)?))
    }

    /// Registers a confidential client for `redirect_uri` (RFC 7591).
    pub async fn register(
        &self,
        http: &reqwest::Client,
        redirect_uri: &str,
        name: &str,
    ) -> Result<LinkClient, BankError> {
        #[derive(Deserialize)]
        struct Registered {
            client_id: String,
            client_secret: Option<String>,
        }
        let res = http
            .post(self.url("/oauth/register"))
            .json(&json!({
                "redirect_uris": [redirect_uri],
                "client_name": name,
                "token_endpoint_auth_method": "client_secret_basic",
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
            }))
            .send()
            .await
            .map_err(transport)?;
        let registered: Registered = read_json(res).await?;
        let client_secret = registered
            .client_secret
            .ok_or_else(|| BankError::Protocol("registration returned no client_secret".into()))?;
        Ok(LinkClient {
            client_id: registered.client_id,
            client_secret,
        })
    }

    /// The authorization URL with PKCE (S256) and a fresh `state`.
    pub fn authorize(
        &self,
        client: &LinkClient,
        redirect_uri: &str,
        scopes: &[String],
    ) -> Result<AuthorizationStart, BankError> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = self
            .oauth(client, redirect_uri)?
            .authorize_url(CsrfToken::new_random)
            .add_scopes(scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge)
            .url();
        Ok(AuthorizationStart {
            url: url.to_string(),
            state: state.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges an authorization code (with its PKCE verifier) for tokens.
    pub async fn exchange_code(
        &self,
        http: &reqwest::Client,
        client: &LinkClient,
        redirect_uri: &str,
        code: &str,
        verifier: &str,
    ) -> Result<Tokens, BankError> {
        let token = self
            .oauth(client, redirect_uri)?
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
            .request_async(http)
            .await
            .map_err(token_error)?;
        Ok(tokens(&token))
    }

    /// Trades a refresh token for fresh tokens (the bank rotates the refresh token).
    pub async fn refresh(
        &self,
        http: &reqwest::Client,
        client: &LinkClient,
        redirect_uri: &str,
        refresh_token: &str,
    ) -> Result<Tokens, BankError> {
        let token = self
            .oauth(client, redirect_uri)?
            .exchange_refresh_token(&RefreshToken::new(refresh_token.to_owned()))
            .request_async(http)
            .await
            .map_err(token_error)?;
        Ok(tokens(&token))
    }

    /// Revokes a refresh token, which ends the consent at the bank (RFC 7009). Sent by hand:
    /// the `oauth2` crate refuses revocation endpoints that are not https, and a sandbox on
    /// localhost is plain http.
    pub async fn revoke(
        &self,
        http: &reqwest::Client,
        client: &LinkClient,
        refresh_token: &str,
    ) -> Result<(), BankError> {
        let res = http
            .post(self.url("/oauth/revoke"))
            .basic_auth(&client.client_id, Some(&client.client_secret))
            .form(&[("token", refresh_token), ("token_type_hint", "refresh_token")])
            .send()
            .await
            .map_err(transport)?;
        match res.status().as_u16() {
            200 => Ok(()),
            401 => Err(BankError::AccessRevoked("invalid_client".into())),
            500..=599 => Err(BankError::Unavailable(format!("HTTP {}", res.status()))),
            other => Err(BankError::Protocol(format!("revocation answered HTTP {other}"))),
        }
    }

    /// The consented accounts.
    pub async fn accounts(
        &self,
        http: &reqwest::Client,
        access_token: &str,
    ) -> Result<Vec<BankAccountInfo>, BankError> {
        #[derive(Deserialize)]
        struct Accounts {
            accounts: Vec<BankAccountInfo>,
        }
        let list: Accounts = self.data(http, access_token, "/data/v1/accounts").await?;
        Ok(list.accounts)
    }

    /// A GET on the data API, decoded as `T`.
    pub async fn data<T: serde::de::DeserializeOwned>(
        &self,
        http: &reqwest::Client,
        access_token: &str,
        path: &str,
    ) -> Result<T, BankError> {
        let res = http
            .get(self.url(path))
            .bearer_auth(access_token)
            .send()
            .await
            .map_err(transport)?;
        read_json(res).await
    }
}

fn tokens(token: &oauth2::basic::BasicTokenResponse) -> Tokens {
    Tokens {
        access_token: token.access_token().secret().clone(),
        refresh_token: token.refresh_token().map(|r| r.secret().clone()),
        expires_in: token.expires_in().map(|d| d.as_secs() as i64).unwrap_or(900),
    }
}

fn transport(e: reqwest::Error) -> BankError {
    BankError::Unavailable(if e.is_timeout() {
        "timed out".into()
    } else {
        "connection failed".into()
    })
}

type OAuthError = oauth2::RequestTokenError<oauth2::HttpClientError<reqwest::Error>, oauth2::basic::BasicErrorResponse>;

fn token_error(e: OAuthError) -> BankError {
    use oauth2::basic::BasicErrorResponseType as Kind;
    match e {
        oauth2::RequestTokenError::ServerResponse(r) => match r.error() {
            Kind::InvalidGrant | Kind::InvalidClient | Kind::UnauthorizedClient => {
                BankError::AccessRevoked(r.error().as_ref().to_owned())
            }
            Kind::Extension(code) if code == "temporarily_unavailable" || code == "server_error" => {
                BankError::Unavailable(code.clone())
            }
            other => BankError::Protocol(other.as_ref().to_owned()),
        },
        oauth2::RequestTokenError::Request(_) => BankError::Unavailable("token endpoint unreachable".into()),
        oauth2::RequestTokenError::Parse(_, _) => BankError::Unavailable("token endpoint answered garbage".into()),
        oauth2::RequestTokenError::Other(e) => BankError::Protocol(e),
    }
}

/// Maps a data-API or registration answer to `T` or to the error callers act on.
async fn read_json<T: serde::de::DeserializeOwned>(res: reqwest::Response) -> Result<T, BankError> {
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    match status.as_u16() {
        200..=299 => serde_json::from_value(body).map_err(|e| BankError::Protocol(format!("unexpected body: {e}"))),
        401 => Err(BankError::AccessRevoked(
            body["error"].as_str().unwrap_or("invalid_token").to_owned(),
        )),
        403 => Err(BankError::InsufficientScope),
        500..=599 => Err(BankError::Unavailable(format!("HTTP {status}"))),
        _ => Err(BankError::Protocol(format!(
            "HTTP {status}: {}",
            body["error"].as_str().unwrap_or("")
        ))),
    }
}
