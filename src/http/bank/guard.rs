//! Sign-in throttling on the bank pages: every place a password or second-factor code is
//! checked (consent login, second factor, connected-apps sign-in) asks here first, and
//! reports each failure and success. Failures count per user (institution and username,
//! known or not) and per client address, in the store, so the limits hold across requests,
//! processes and replicas. The numbers are in `domain::bank::throttle` and docs/banks.md.

use std::net::{IpAddr, SocketAddr};

use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::serve::{IncomingStream, Listener};

use super::Bank;
use super::errors::PageError;
use super::html;
use crate::app_state::AppState;
use crate::domain::bank::secret;
use crate::domain::bank::throttle::{ADDRESS, USER, Wait};

/// The TCP peer of a connection, as the server records it for every request it serves
/// (`into_make_service_with_connect_info::<PeerAddr>()`); works over any listener whose
/// addresses are socket addresses.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// The listeners the server may run on: socket-addressed ones (a wrapper listener adds one
/// line here).
pub trait SocketListener: Listener<Addr = SocketAddr> {}

impl SocketListener for tokio::net::TcpListener {}
impl SocketListener for crate::http::parse_errors::StripeListener {}

impl<L: SocketListener> Connected<IncomingStream<'_, L>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, L>) -> Self {
        Self(*stream.remote_addr())
    }
}

/// The TCP peer of a request (no forwarding header is trusted: any client can send one).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<PeerAddr>>()
                .map(|ConnectInfo(PeerAddr(addr))| addr.ip()),
        ))
    }
}

/// The throttle keys of one sign-in attempt.
pub struct SignIn {
    user: String,
    address: String,
    /// The user's last failure before `begin` counted this attempt, restored by `passed`.
    user_last_failure: Option<i64>,
}

impl SignIn {
    pub fn new(bank: &Bank, username: &str, address: ClientAddress) -> Self {
        let address = address.0.map(address_key).unwrap_or_default();
        Self {
            user: secret::digest(&format!("user\0{}\0{username}", bank.id())),
            address: secret::digest(&format!("address\0{address}")),
            user_last_failure: None,
        }
    }

    /// Starts an attempt, before any password or code is checked: refused with the wait page
    /// while a wait is in force. The attempt is counted against the user up front (`passed`
    /// gives it back), so concurrent guesses cannot all slip past the back-off: past the free
    /// failures, an attempt that finds another one got in since it looked is refused too.
    pub async fn begin(&mut self, state: &AppState, bank: &Bank) -> Result<(), Response> {
        let now = state.clock.now();
        let mut longest: Option<Wait> = None;
        let mut user_count = 0;
        for (key, policy) in [(self.user.clone(), USER), (self.address.clone(), ADDRESS)] {
            let failures = state.store.sign_in_failures(&key).await.map_err(page_error)?;
            if key == self.user {
                self.user_last_failure = failures.map(|f| f.last_at);
                user_count = failures
                    .filter(|f| now - f.last_at < policy.forget_secs)
                    .map_or(0, |f| f.count);
            }
            if let Some(wait) = policy.wait(failures, now)
                && longest.is_none_or(|w| wait.until > w.until)
            {
                longest = Some(wait);
            }
        }
        if let Some(wait) = longest {
            return Err(wait_page(bank, wait, now));
        }
        let reserved = state
            .store
            .record_sign_in_failure(&self.user, now, USER.forget_secs)
            .await
            .map_err(page_error)?;
        let before = reserved.count - 1;
        if before != user_count && USER.wait_secs(before) > 0 {
            let wait = Wait {
                until: now + USER.wait_secs(before),
                locked: before >= USER.lock_after,
            };
            return Err(wait_page(bank, wait, now));
        }
        Ok(())
    }

    /// A wrong password or code: the user's count already has it (from `begin`); the
    /// address's is taken now. (Not reserved up front: many people and jobs share an address
    /// and sign in at once; its burst can overshoot the back-off by the burst, not the lock.)
    pub async fn failed(&self, state: &AppState) -> Result<(), Response> {
        state
            .store
            .record_sign_in_failure(&self.address, state.clock.now(), ADDRESS.forget_secs)
            .await
            .map_err(page_error)?;
        tracing::info!("bank sign-in failed");
        Ok(())
    }

    /// A right password or code: gives back the attempt `begin` counted.
    pub async fn passed(&self, state: &AppState) -> Result<(), Response> {
        state
            .store
            .forgive_sign_in_failure(&self.user, self.user_last_failure)
            .await
            .map_err(page_error)
    }

    /// A completed sign-in (password and second factor) clears the user's failures. The
    /// address keeps its own: signing in to one's own account must not reset a count run up
    /// against other users.
    pub async fn succeeded(&self, state: &AppState) -> Result<(), Response> {
        state.store.clear_sign_in_failures(&self.user).await.map_err(page_error)
    }
}

/// An IPv4 address as itself; an IPv6 one by its /64, the block one subscriber usually holds
/// (counting single IPv6 addresses would let one client pick a fresh address per guess).
fn address_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

fn page_error(e: crate::store::StoreError) -> Response {
    PageError::from(e).into_response()
}

/// 429 with `Retry-After`: the status says "not now" to scripts and the page says until when
/// to people (browsers show a 429's page like any other).
fn wait_page(bank: &Bank, wait: Wait, now: i64) -> Response {
    let secs = (wait.until - now).max(1);
    let when = if secs < 120 {
        format!("{secs} seconds")
    } else {
        format!("{} minutes", (secs + 59) / 60)
    };
    let (title, message) = if wait.locked {
        (
            "Sign-in locked",
            format!(
                "Sign-in is locked after too many failed attempts. Try again in {when} (at {}).",
                utc_time(wait.until)
            ),
        )
    } else {
        (
            "Too many attempts",
            format!("Too many failed attempts. Wait {when} before trying again."),
        )
    };
    let body = format!(
        "{}{}<p class=\"muted\">Sandbox: see docs/banks.md, \"Sign-in limits\".</p>",
        html::heading(&bank.institution.name, title),
        html::notice(Some(&message)),
    );
    let mut res = html::page(StatusCode::TOO_MANY_REQUESTS, title, &body);
    res.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_str(&secs.to_string()).expect("digits are a valid header value"),
    );
    res
}

/// `HH:MM UTC` of a unix time.
fn utc_time(at: i64) -> String {
    let of_day = at.rem_euclid(86_400);
    format!("{:02}:{:02} UTC", of_day / 3600, (of_day % 3600) / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_count_by_their_64_block() {
        let key = |s: &str| address_key(s.parse().unwrap());
        assert_eq!(key("203.0.113.7"), "203.0.113.7");
        assert_eq!(key("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
    }

    #[test]
    fn utc_time_of_day() {
        assert_eq!(utc_time(0), "00:00 UTC");
        assert_eq!(utc_time(1_700_000_000), "22:13 UTC");
    }
}
