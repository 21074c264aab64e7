//! A scripted browser for the hosted flow: it opens the session's institution link, logs in
//! at the bank, passes the second factor, and approves or denies consent — by following the
//! same redirects and posting the same forms a person's browser would.

use reqwest::{Client, Response, StatusCode};

use crate::http::error::ApiError;

/// The fixed second-factor code every sandbox bank accepts.
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
    #[error("the flow did not behave as expected: {0}")]
    Unexpected(String),
}

impl BrowseError {
    pub fn into_api_error(self) -> ApiError {
        match self {
            BrowseError::BadCredentials => ApiError::invalid("bank_login_failed", "password", self.to_string()),
            BrowseError::BadSecondFactor => ApiError::invalid("bank_login_failed", "username", self.to_string()),
            BrowseError::ConsentRefused(_) => ApiError::invalid("parameter_invalid", "accounts", self.to_string()),
            BrowseError::Unexpected(_) => ApiError::internal(&self),
        }
    }
}

pub struct Browser {
    base: String,
    client: Client,
}

fn unexpected(e: impl std::fmt::Display) -> BrowseError {
    BrowseError::Unexpected(e.to_string())
}

impl Browser {
    pub fn new(public_url: &str) -> Result<Self, reqwest::Error> {
        let client = Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(60))
            .build()?;
        Ok(Self {
            base: public_url.trim_end_matches('/').to_owned(),
            client,
        })
    }

    fn absolute(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_owned()
        } else {
            format!("{}{location}", self.base)
        }
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
        let mut url = format!("{}/link/{secret}/institutions/{institution}", self.base);
        if let Decision::BankFailure = decision {
            // Leave for the bank, then come back the way a failing bank sends users back.
            let authorize = self.location(self.client.get(&url).send().await.map_err(unexpected)?)?;
            let state = query_param(&authorize, "state").ok_or_else(|| unexpected("authorize URL without state"))?;
            url = format!("{}/link/callback?error=server_error&state={state}", self.base);
        }
        for _ in 0..16 {
            if !url.starts_with(&self.base) {
                return Ok(url); // the platform's return_url: the flow is over
            }
            let path = url[self.base.len()..].split('?').next().unwrap_or("").to_owned();
            let request = query_param(&url, "request");
            let response = match (path.rsplit('/').next(), request) {
                (Some("login"), Some(r)) => {
                    self.post(
                        &url,
                        &[("request", r.as_str()), ("username", username), ("password", password)],
                    )
                    .await?
                }
                (Some("mfa"), Some(r)) => self.post(&url, &[("request", r.as_str()), ("code", TEST_CODE)]).await?,
                (Some("consent"), Some(r)) => self.consent(&url, &r, &decision).await?,
                _ => self.client.get(&url).send().await.map_err(unexpected)?,
            };
            match response.status() {
                s if s.is_redirection() => url = self.location(response)?,
                StatusCode::OK => return Ok(url), // the end page
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

    async fn post(&self, url: &str, form: &[(&str, &str)]) -> Result<Response, BrowseError> {
        let action = url.split('?').next().unwrap_or(url);
        self.client.post(action).form(form).send().await.map_err(unexpected)
    }

    async fn consent(&self, url: &str, request: &str, decision: &Decision) -> Result<Response, BrowseError> {
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
                            .get(url)
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
        let action = url.split('?').next().unwrap_or(url);
        // Repeated `accounts=` fields, exactly as a browser posts a group of checkboxes.
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        self.client
            .post(action)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(unexpected)
    }

    fn location(&self, response: Response) -> Result<String, BrowseError> {
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| unexpected(format!("{} without a Location", response.status())))?;
        Ok(self.absolute(location))
    }
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
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
        assert_eq!(
            query_param("http://x/a?request=areq_1&b=2", "request").as_deref(),
            Some("areq_1")
        );
        assert_eq!(query_param("http://x/a", "request"), None);
    }
}
