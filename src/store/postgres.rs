//! Postgres: the real store. One pool serves reads and writes; rows are locked with
//! `FOR UPDATE` (and, for job queues, `SKIP LOCKED`), so many server processes can share it.
//!
//! Opening first makes one connection, bounded in time, so a database that is down says why
//! at once (the caller decides whether to wait for it). Migrations then run under sqlx's
//! Postgres migrator, which holds a session advisory lock (`pg_advisory_lock`, keyed by the
//! database name) while it reads and applies them: replicas starting together apply each
//! migration once, the others wait and find it applied. After that a [`health`] monitor
//! watches the database so an outage fails requests fast.
//!
//! [`health`]: super::health

use std::sync::Arc;
use std::time::Duration;

use sqlx::Connection;
use sqlx::any::AnyPoolOptions;
use sqlx::postgres::{PgConnectOptions, PgConnection};

use super::StoreResult;
use super::health::{StoreHealth, spawn_monitor};
use super::sql::pool::GatedPool;
use super::sql::{Backend, SqlStore};
use crate::crypto::Cipher;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The first connection's bound: a database that does not answer by then is unavailable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a query waits for a pooled connection while the database answers (a busy pool);
/// while it is known down, queries do not wait at all.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

pub(super) async fn open(url: &str, max_connections: u32, cipher: Arc<Cipher>) -> StoreResult<SqlStore> {
    sqlx::any::install_default_drivers();
    let options: PgConnectOptions = url.parse()?;
    let first = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options))
        .await
        .map_err(|_| {
            sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "connecting to the database timed out",
            ))
        })??;
    let _ = first.close().await;
    let pool = AnyPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect(url)
        .await?;
    MIGRATOR.run(&pool).await?;
    let health = StoreHealth::new_up();
    spawn_monitor(options, &health);
    Ok(SqlStore {
        read: GatedPool::new(pool.clone(), Some(health.clone())),
        write: GatedPool::new(pool, Some(health)),
        backend: Backend::Postgres,
        cipher,
        incarnation: super::sql::incarnation::Incarnation::on_postgres(url).await,
    })
}
