//! `Stripe-Version`: `YYYY-MM-DD[.name]` with optional beta flags (`; flag=v1`). Accepted,
//! validated for shape, kept in the request for handlers that gate on a beta, and echoed.

use axum::extract::{FromRequestParts, Request};
use axum::http::HeaderValue;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;

use crate::http::error::ApiError;
use crate::wire::version::DEFAULT_API_VERSION;

/// A request's API version and the betas it opted into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiVersion {
    pub version: String,
    pub betas: Vec<(String, String)>,
    pub header: String,
}

impl ApiVersion {
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split(';').map(str::trim);
        let version = parts.next()?;
        let (date, name) = version.split_once('.').unwrap_or((version, ""));
        if !is_date(date) || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return None;
        }
        let betas = parts
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (flag, ver) = p.split_once('=')?;
                let ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                (ok(flag.trim()) && ok(ver.trim())).then(|| (flag.trim().to_owned(), ver.trim().to_owned()))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Self {
            version: version.to_owned(),
            betas,
            header: text.trim().to_owned(),
        })
    }

    /// Whether the request carries `flag=version`, e.g. the ownership-match preview.
    pub fn has_beta(&self, flag: &str, version: &str) -> bool {
        self.betas.iter().any(|(f, v)| f == flag && v == version)
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && matches!(s[5..7].parse::<u8>(), Ok(1..=12))
        && matches!(s[8..10].parse::<u8>(), Ok(1..=31))
}

impl<S: Send + Sync> FromRequestParts<S> for ApiVersion {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(parts
            .extensions
            .get::<ApiVersion>()
            .cloned()
            .unwrap_or_else(default_version))
    }
}

fn default_version() -> ApiVersion {
    ApiVersion {
        version: DEFAULT_API_VERSION.to_owned(),
        betas: Vec::new(),
        header: DEFAULT_API_VERSION.to_owned(),
    }
}

pub async fn versioning(mut req: Request, next: Next) -> Result<Response, ApiError> {
    let version = match req.headers().get("stripe-version") {
        None => default_version(),
        Some(raw) => {
            let text = raw.to_str().unwrap_or("");
            ApiVersion::parse(text).ok_or_else(|| {
                ApiError::invalid(
                    "parameter_invalid",
                    "Stripe-Version",
                    format!("Invalid Stripe API version: {text}. Use a version such as {DEFAULT_API_VERSION}, optionally followed by beta flags like '; feature_beta=v1'."),
                )
            })?
        }
    };
    let echo = HeaderValue::from_str(&version.header).ok();
    req.extensions_mut().insert(version);
    let mut response = next.run(req).await;
    if let Some(v) = echo {
        response.headers_mut().insert("stripe-version", v);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions_with_betas() {
        let v = ApiVersion::parse("2026-07-29.dahlia; financial_connections_ownership_match_api_preview=v1").unwrap();
        assert_eq!(v.version, "2026-07-29.dahlia");
        assert!(v.has_beta("financial_connections_ownership_match_api_preview", "v1"));
        assert!(ApiVersion::parse("2020-08-27").is_some());
        assert!(ApiVersion::parse("2024-06-20; beta=v1").unwrap().has_beta("beta", "v1"));
    }

    #[test]
    fn rejects_malformed_versions() {
        for bad in [
            "",
            "latest",
            "2020-13-01",
            "2020-1-01",
            "2020-01-01; beta",
            "2020-01-01.da hlia",
        ] {
            assert!(ApiVersion::parse(bad).is_none(), "{bad}");
        }
    }
}
