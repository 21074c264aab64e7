//! A scripted browser for the hosted flow: it opens the session's institution link, logs in
//! at the bank, passes the second factor, and approves or denies consent — by following the
//! same redirects and posting the same forms a person's browser would. It only ever talks to
//! this server: any address of another origin (the platform's `return_url`, or anything a
//! page might send it to) ends the flow unfetched.

use reqwest::{Client, Response, StatusCode, Url};

use crate::http::error::ApiError;

/// The fixed second-factor code the sandbox banks accept unless turned off.
pub const TEST_CODE: &str = "000000";

/// What the user does on the consent page.
pub enum Decision {
    /// Approve these bank account ids (`None`: every account offered).
    Approve(Option<Vec<String>>),
    Deny,
    /// The bank fails after the user leaves for it (it redirects back with `server_error`).
    BankFailure,
}

#[derive(Debug, thiserror::Error)]
pub enum BrowseError {
    #[error("the bank refused the username or password")]
    BadCredentials,
    #[error("the bank refused the second factor")]
    BadSecondFactor,
    #[error("the bank refused the consent: {0}")]
    ConsentRefused(String),
    #[error("the bank refuses sign-in for now after too many failed attempts; retry in {0} s")]
    Throttled(u64),
    #[error("the flow did not behave as expected: {0}")]
    Unexpected(String),
}

impl BrowseError {
    pub fn into_api_error(self) -> ApiError {
        match self {
            BrowseError::BadCredentials => ApiError::invalid("bank_login_failed", "password", self.to_string()),
            BrowseError::BadSecondFactor => ApiError::invalid("bank_login_failed", "username", self.to_string()),
            BrowseError::ConsentRefused(_) => ApiError::invalid("parameter_invalid", "accounts", self.to_string()),
            BrowseError::Throttled(secs) => ApiError::rate_limited(secs, self.to_string()),
            BrowseError::Unexpected(_) => ApiError::internal(&self),
        }
    }
}

pub struct Browser {
    base: Url,
    client: Client,
    /// What it types on the second-factor page.
    code: String,
}

fn unexpected(e: impl std::fmt::Display) -> BrowseError {
    BrowseError::Unexpected(e.to_string())
}

impl Browser {
    /// A browser for the server at `public_url` that answers the second factor with `code`.
    pub fn new(public_url: &str, code: &str) -> Result<Self, BrowseError> {
        let base = Url::parse(public_url).map_err(unexpected)?;
        let client = Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(unexpected)?;
        Ok(Self {
            base,
            client,
            code: code.to_owned(),
        })
    }

    /// A page's `Location` resolved the way a browser does (relative, absolute, `//host`).
    fn absolute(&self, location: &str) -> Result<Url, BrowseError> {
        self.base.join(location).map_err(unexpected)
    }

    /// Same scheme, host and port as this server: compared parsed, never as string prefixes
    /// (`http://127.0.0.1:80@elsewhere/` starts with `http://127.0.0.1:80` but is elsewhere).
    fn is_ours(&self, url: &Url) -> bool {
        url.scheme() == self.base.scheme()
            && url.host() == self.base.host()
            && url.port_or_known_default() == self.base.port_or_known_default()
    }

    /// `path` on this server, under the public URL's own path if it has one.
    fn ours(&self, path: &str) -> Result<Url, BrowseError> {
        Url::parse(&format!("{}{path}", self.base.as_str().trim_end_matches('/'))).map_err(unexpected)
    }

    /// Runs the flow to its end and returns where it ended: the platform's `return_url`, or
    /// the end page.
    pub async fn link(
        &self,
        secret: &str,
        institution: &str,
        username: &str,
        password: &str,
        decision: Decision,
    ) -> Result<String, BrowseError> {
        let mut url = self.ours(&format!("/link/{secret}/institutions/{institution}"))?;
        if let Decision::BankFailure = decision {
            // Leave for the bank, then come back the way a failing bank sends users back.
            let authorize = self.location(self.client.get(url.clone()).send().await.map_err(unexpected)?)?;
            let state = query_param(&authorize, "state").ok_or_else(|| unexpected("authorize URL without state"))?;
            url = self.ours("/link/callback?error=server_error")?;
            url.query_pairs_mut().append_pair("state", &state);
        }
        for _ in 0..16 {
            if !self.is_ours(&url) {
                return Ok(url.into()); // the platform's return_url: the flow is over, unfetched
            }
            let path = url.path().to_owned();
            let request = query_param(&url, "request");
            let response = match (path.rsplit('/').next(), request) {
                (Some("login"), Some(r)) => {
                    self.post(
                        &url,
                        &[("request", r.as_str()), ("username", username), ("password", password)],
                    )
                    .await?
                }
                (Some("mfa"), Some(r)) => {
                    self.post(&url, &[("request", r.as_str()), ("code", &self.code)])
                        .await?
                }
                (Some("consent"), Some(r)) => self.consent(&url, &r, &decision).await?,
                _ => self.client.get(url.clone()).send().await.map_err(unexpected)?,
            };
            match response.status() {
                s if s.is_redirection() => url = self.location(response)?,
                StatusCode::OK => return Ok(url.into()), // the end page
                StatusCode::TOO_MANY_REQUESTS => {
                    let secs = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(1);
                    return Err(BrowseError::Throttled(secs));
                }
                StatusCode::UNAUTHORIZED if path.ends_with("/login") => return Err(BrowseError::BadCredentials),
                StatusCode::UNAUTHORIZED if path.ends_with("/mfa") => return Err(BrowseError::BadSecondFactor),
                StatusCode::BAD_REQUEST if path.ends_with("/consent") => {
                    return Err(BrowseError::ConsentRefused("no eligible account was selected".into()));
                }
                other => return Err(unexpected(format!("{other} from {path}"))),
            }
        }
        Err(unexpected("too many redirects"))
    }

    async fn post(&self, url: &Url, form: &[(&str, &str)]) -> Result<Response, BrowseError> {
        self.client
            .post(action(url))
            .form(form)
            .send()
            .await
            .map_err(unexpected)
    }

    async fn consent(&self, url: &Url, request: &str, decision: &Decision) -> Result<Response, BrowseError> {
        let mut form = vec![("request".to_owned(), request.to_owned())];
        match decision {
            Decision::Deny | Decision::BankFailure => form.push(("decision".into(), "deny".into())),
            Decision::Approve(chosen) => {
                form.push(("decision".into(), "approve".into()));
                let accounts = match chosen {
                    Some(ids) => ids.clone(),
                    None => {
                        let page = self
                            .client
                            .get(url.clone())
                            .send()
                            .await
                            .map_err(unexpected)?
                            .text()
                            .await
                            .map_err(unexpected)?;
                        offered_accounts(&page)
                    }
                };
                form.extend(accounts.into_iter().map(|a| ("accounts".to_owned(), a)));
            }
        }
        // Repeated `accounts=` fields, exactly as a browser posts a group of checkboxes.
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        self.client
            .post(action(url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(unexpected)
    }

    fn location(&self, response: Response) -> Result<Url, BrowseError> {
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| unexpected(format!("{} without a Location", response.status())))?;
        self.absolute(location)
    }
}

/// Where a page's form posts: the page itself without its query.
fn action(url: &Url) -> Url {
    let mut action = url.clone();
    action.set_query(None);
    action
}

fn query_param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// The account checkboxes on a consent page (`name="accounts" value="…"`).
fn offered_accounts(page: &str) -> Vec<String> {
    page.split("<input")
        .filter(|tag| tag.contains("name=\"accounts\""))
        .filter_map(|tag| {
            let start = tag.find("value=\"")? + 7;
            let len = tag[start..].find('"')?;
            Some(tag[start..start + len].to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_offered_accounts_from_checkboxes() {
        let page = r#"<form><input type="checkbox" name="accounts" value="bacct_1" checked>
            <input type="hidden" name="request" value="areq_x"><input name="accounts" type="checkbox" value="bacct_2"></form>"#;
        assert_eq!(offered_accounts(page), vec!["bacct_1", "bacct_2"]);
    }

    #[test]
    fn reads_query_parameters() {
        let url = Url::parse("http://x/a?request=areq_1&b=2").unwrap();
        assert_eq!(query_param(&url, "request").as_deref(), Some("areq_1"));
        assert_eq!(query_param(&Url::parse("http://x/a").unwrap(), "request"), None);
    }

    #[test]
    fn only_this_origin_is_ours() {
        let b = Browser::new("http://127.0.0.1:4000", TEST_CODE).unwrap();
        let ours = |l: &str| b.is_ours(&b.absolute(l).unwrap());
        assert!(ours("/link/x"));
        assert!(ours("http://127.0.0.1:4000/bank/y?request=1"));
        assert!(!ours("http://127.0.0.1:4000@elsewhere.example/x"));
        assert!(!ours("http://127.0.0.1:40000/x"));
        assert!(!ours("https://127.0.0.1:4000/x"));
        assert!(!ours("//elsewhere.example/x"));
        assert!(!ours("http://127.0.0.1.elsewhere.example:4000/"));
    }
}
