//! Waking the dispatcher as soon as deliveries are committed, so latency is not the poll
//! interval. Postgres: `pg_notify` inside the event's transaction is delivered at commit, to
//! every process (a `LISTEN`ing connection per dispatcher). SQLite: one process owns the file;
//! the event's writer wakes local dispatchers directly — their claim runs on the same single
//! write connection, so it cannot start before the event's transaction has committed.
//! Polling stays as the backstop (retries fall due without any notification).

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use sqlx::{Any, Transaction};
use tokio::sync::Notify;

use crate::store::{StoreLocation, StoreResult};

pub(crate) const CHANNEL: &str = "sandbank_deliveries";

static LOCAL: Mutex<Vec<Weak<Notify>>> = Mutex::new(Vec::new());

/// Called inside the transaction that queued deliveries.
pub(crate) async fn announce(tx: &mut Transaction<'_, Any>) -> StoreResult<()> {
    if tx.backend_name().to_ascii_lowercase().starts_with("postgres") {
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(CHANNEL)
            .execute(&mut **tx)
            .await?;
    } else {
        wake_local();
    }
    Ok(())
}

fn wake_local() {
    let mut subscribers = LOCAL.lock().unwrap_or_else(|e| e.into_inner());
    subscribers.retain(|w| match w.upgrade() {
        Some(n) => {
            // notify_one keeps a permit when the dispatcher is busy, so no wake-up is lost.
            n.notify_one();
            true
        }
        None => false,
    });
}

/// A dispatcher's doorbell.
pub struct DeliveryWaker {
    notify: Arc<Notify>,
}

impl DeliveryWaker {
    /// Subscribes to local wake-ups and, on Postgres, starts a `LISTEN` task that rings on
    /// every commit of new deliveries by any process. The task ends with the waker.
    pub async fn for_location(location: &StoreLocation) -> Self {
        let notify = Arc::new(Notify::new());
        LOCAL
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::downgrade(&notify));
        if let StoreLocation::Postgres { url, .. } = location {
            tokio::spawn(listen(url.clone(), Arc::downgrade(&notify)));
        }
        Self { notify }
    }

    /// Returns when rung, or after `max`.
    pub async fn wait(&self, max: Duration) {
        let _ = tokio::time::timeout(max, self.notify.notified()).await;
    }
}

async fn listen(url: String, target: Weak<Notify>) {
    loop {
        match sqlx::postgres::PgListener::connect(&url).await {
            Ok(mut listener) => {
                if let Err(e) = listener.listen(CHANNEL).await {
                    tracing::warn!(error = %e, "webhook LISTEN failed; polling only");
                } else {
                    loop {
                        // A timeout lets the task notice that its dispatcher is gone.
                        match tokio::time::timeout(Duration::from_secs(5), listener.recv()).await {
                            Ok(Ok(_)) => match target.upgrade() {
                                Some(n) => n.notify_one(),
                                None => return,
                            },
                            Ok(Err(e)) => {
                                tracing::debug!(error = %e, "webhook LISTEN connection lost");
                                break;
                            }
                            Err(_) if target.strong_count() == 0 => return,
                            Err(_) => {}
                        }
                    }
                }
            }
            Err(e) => tracing::debug!(error = %e, "webhook LISTEN cannot connect"),
        }
        if target.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
