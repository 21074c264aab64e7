//! This process's incarnation: a random name written beside every idempotency claim it makes,
//! so another process (or its own successor) can tell a claim whose holder died from one still
//! running, and retry the first at once instead of waiting out the lease.
//!
//! On Postgres each incarnation holds a session advisory lock named after it, on a connection
//! of its own, for as long as it lives; the server drops the lock when the process dies (the
//! socket closes). Anyone who can take that lock knows the holder is gone. If the connection
//! is lost while the process lives, the lock is retaken on reconnect; meanwhile a claim may be
//! taken over early, which costs the old request its commit (its claim token no longer
//! matches), never a second effect.

use std::sync::OnceLock;
use std::time::Duration;

use sqlx::Connection;
use tokio::sync::oneshot;

use crate::domain::ids::random_base62;

/// The advisory-lock class of incarnations (the second key is `hashtext(incarnation)`).
const LOCK_CLASS: i32 = 23_325;

/// Takes (inside the caller's transaction, released at its end) the lock of the incarnation
/// `$1` (class [`LOCK_CLASS`]): true means nobody holds it, so that process is gone.
pub(crate) const TRY_LOCK_SQL: &str = "SELECT pg_try_advisory_xact_lock(23325, hashtext($1)) AS gone";

pub(crate) struct Incarnation {
    id: String,
    /// Dropping it ends the Postgres lock holder.
    _stop: Option<oneshot::Sender<()>>,
}

impl Incarnation {
    /// An incarnation that needs no lock: SQLite's file belongs to one process, so this
    /// process's stores share one name (a claim by another name is a dead predecessor's).
    pub(crate) fn local() -> Self {
        static PROCESS: OnceLock<String> = OnceLock::new();
        Self {
            id: PROCESS.get_or_init(new_id).clone(),
            _stop: None,
        }
    }

    /// An incarnation whose life Postgres witnesses through an advisory lock. Waits (briefly)
    /// for the lock, so claims made right after start are seen alive by other processes.
    pub(crate) async fn on_postgres(url: &str) -> Self {
        let id = new_id();
        let (stop, stopped) = oneshot::channel();
        let (locked, first_lock) = oneshot::channel();
        tokio::spawn(hold_lock(url.to_owned(), id.clone(), stopped, locked));
        if tokio::time::timeout(Duration::from_secs(5), first_lock).await.is_err() {
            tracing::warn!(
                "the incarnation lock is not held yet; other processes may take over this one's claims early"
            );
        }
        Self { id, _stop: Some(stop) }
    }

    pub(crate) fn id(&self) -> &str {
        &self.id
    }
}

fn new_id() -> String {
    format!("inc_{}", random_base62(20))
}

async fn hold_lock(url: String, id: String, mut stopped: oneshot::Receiver<()>, locked: oneshot::Sender<()>) {
    let mut first_lock = Some(locked);
    loop {
        match sqlx::PgConnection::connect(&url).await {
            Ok(mut conn) => {
                let locked = sqlx::query_scalar::<_, bool>("SELECT pg_try_advisory_lock($1, hashtext($2))")
                    .bind(LOCK_CLASS)
                    .bind(&id)
                    .fetch_one(&mut conn)
                    .await;
                match locked {
                    Ok(true) => loop {
                        if let Some(first) = first_lock.take() {
                            let _ = first.send(());
                        }
                        tokio::select! {
                            _ = &mut stopped => return,
                            _ = tokio::time::sleep(Duration::from_secs(5)) => {
                                if conn.ping().await.is_err() {
                                    tracing::debug!("incarnation lock connection lost; retaking it");
                                    break;
                                }
                            }
                        }
                    },
                    // Held by someone else: only a hash collision, or our own claim check
                    // racing a reconnect. Try again shortly.
                    Ok(false) => {}
                    Err(e) => tracing::debug!(error = %e, "cannot take the incarnation lock"),
                }
            }
            Err(e) => tracing::debug!(error = %e, "incarnation lock cannot connect"),
        }
        tokio::select! {
            _ = &mut stopped => return,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}
