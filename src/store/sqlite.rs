//! SQLite: the embedded default. WAL mode lets readers run beside the one writer; all writes
//! go through a single-connection pool so transactions queue instead of failing busy.

use std::path::Path;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

use super::sql::pool::GatedPool;
use super::sql::{Backend, SqlStore};
use std::sync::Arc;

use super::{StoreError, StoreResult};
use crate::crypto::Cipher;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Readers beside the single writer.
const READ_CONNECTIONS: u32 = 8;

pub(super) async fn open(path: &Path, cipher: Arc<Cipher>) -> StoreResult<SqlStore> {
    sqlx::any::install_default_drivers();
    // Owner-only from the start: SQLite gives the -wal and -shm files the database file's
    // mode, so creating the database 0600 before SQLite opens it covers all three.
    if let Some(dir) = path.parent() {
        crate::private_files::create_dir(dir)
            .map_err(|e| StoreError::Corrupt(format!("cannot create {}: {e}", dir.display())))?;
    }
    crate::private_files::create_file(path)
        .map_err(|e| StoreError::Corrupt(format!("cannot create {}: {e}", path.display())))?;
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let write = pool(&url, 1).await?;
    MIGRATOR.run(&write).await?;
    let read = pool(&url, READ_CONNECTIONS).await?;
    Ok(SqlStore {
        read: GatedPool::new(read, None),
        write: GatedPool::new(write, None),
        backend: Backend::Sqlite,
        cipher,
        incarnation: super::sql::incarnation::Incarnation::local(),
    })
}

async fn pool(url: &str, max_connections: u32) -> StoreResult<AnyPool> {
    Ok(AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
                )
                .await?;
                Ok(())
            })
        })
        .connect(url)
        .await?)
}
