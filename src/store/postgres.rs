//! Postgres: the real store. One pool serves reads and writes; rows are locked with
//! `FOR UPDATE` (and, for job queues, `SKIP LOCKED`), so many server processes can share it.

use std::time::Duration;

use sqlx::any::AnyPoolOptions;

use std::sync::Arc;

use super::StoreResult;
use super::sql::{Backend, SqlStore};
use crate::crypto::Cipher;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

pub(super) async fn open(url: &str, max_connections: u32, cipher: Arc<Cipher>) -> StoreResult<SqlStore> {
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .connect(url)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(SqlStore {
        read: pool.clone(),
        write: pool,
        backend: Backend::Postgres,
        cipher,
        incarnation: super::sql::incarnation::Incarnation::on_postgres(url).await,
    })
}
