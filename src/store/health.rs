//! Whether the database answers, known without asking it on the request's path. A monitor
//! (Postgres only) keeps one connection of its own and pings it; when a ping fails the store
//! is marked down at once, queries waiting for a connection are cut short, and new ones fail
//! fast as unavailable (503, retry) instead of each waiting out the pool's acquire timeout.
//! While down the monitor reconnects with capped exponential backoff and marks the store up
//! when the database answers again. SQLite is embedded: it is never "down" in this sense.

use std::sync::{Arc, Weak};
use std::time::Duration;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use tokio::sync::watch;

/// How often a healthy database is pinged.
const PROBE_EVERY: Duration = Duration::from_millis(500);
/// A ping or connect slower than this counts as a failure.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);
const RECONNECT_MIN: Duration = Duration::from_millis(100);
const RECONNECT_MAX: Duration = Duration::from_secs(1);

/// Up or down, with a way to wait for the change.
#[derive(Debug)]
pub struct StoreHealth {
    up: watch::Sender<bool>,
}

impl StoreHealth {
    pub fn new_up() -> Arc<Self> {
        Arc::new(Self {
            up: watch::Sender::new(true),
        })
    }

    pub fn is_up(&self) -> bool {
        *self.up.borrow()
    }

    fn set(&self, up: bool, why: &str) {
        let changed = self.up.send_if_modified(|now| std::mem::replace(now, up) != up);
        if changed && up {
            tracing::info!("the database answers again; the store is available");
        } else if changed {
            tracing::warn!(reason = why, "the database does not answer; failing fast until it does");
        }
    }

    /// Resolves when the store is (or becomes) down.
    pub async fn went_down(&self) {
        let mut rx = self.up.subscribe();
        let _ = rx.wait_for(|up| !*up).await;
    }
}

/// Watches the database behind `health` until the last holder of `health` drops it.
pub fn spawn_monitor(options: PgConnectOptions, health: &Arc<StoreHealth>) {
    tokio::spawn(monitor(options, Arc::downgrade(health)));
}

async fn monitor(options: PgConnectOptions, health: Weak<StoreHealth>) {
    let mut conn: Option<PgConnection> = None;
    let mut backoff = RECONNECT_MIN;
    loop {
        let wait = match conn.as_mut() {
            Some(c) => match tokio::time::timeout(PROBE_TIMEOUT, c.ping()).await {
                Ok(Ok(())) => {
                    let Some(h) = health.upgrade() else { return };
                    h.set(true, "");
                    PROBE_EVERY
                }
                failed => {
                    let why = match failed {
                        Ok(Err(e)) => e.to_string(),
                        _ => "a ping timed out".to_owned(),
                    };
                    conn = None;
                    let Some(h) = health.upgrade() else { return };
                    h.set(false, &why);
                    Duration::ZERO
                }
            },
            None => match tokio::time::timeout(PROBE_TIMEOUT, PgConnection::connect_with(&options)).await {
                Ok(Ok(c)) => {
                    conn = Some(c);
                    backoff = RECONNECT_MIN;
                    Duration::ZERO
                }
                failed => {
                    let why = match failed {
                        Ok(Err(e)) => e.to_string(),
                        _ => "connecting timed out".to_owned(),
                    };
                    let Some(h) = health.upgrade() else { return };
                    h.set(false, &why);
                    let wait = backoff;
                    backoff = (backoff * 2).min(RECONNECT_MAX);
                    wait
                }
            },
        };
        tokio::time::sleep(wait).await;
        if health.strong_count() == 0 {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn going_down_wakes_waiters_and_coming_back_is_seen() {
        let health = StoreHealth::new_up();
        assert!(health.is_up());
        let waiter = tokio::spawn({
            let h = health.clone();
            async move { h.went_down().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        health.set(false, "test");
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();
        assert!(!health.is_up());
        health.set(true, "");
        assert!(health.is_up());
    }
}
