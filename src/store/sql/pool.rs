//! A pool that knows whether its database answers ([`StoreHealth`]): every query and
//! transaction through it fails at once as unavailable while the database is known down, and
//! one waiting when it goes down is cut short, rather than each waiting out the acquire
//! timeout. Statements run exactly as on a plain pool otherwise (one connection per call).

use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use sqlx::any::{Any, AnyQueryResult, AnyRow, AnyStatement, AnyTypeInfo};
use sqlx::{AnyPool, Describe, Either, Execute, Executor, Transaction};

use crate::store::health::StoreHealth;

#[derive(Debug, Clone)]
pub(crate) struct GatedPool {
    pool: AnyPool,
    /// `None`: an embedded database, always there.
    health: Option<Arc<StoreHealth>>,
}

/// What a call gets while the database is known down.
pub(crate) fn known_down() -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::new(
        std::io::ErrorKind::NotConnected,
        "the database is not answering (waiting for it to come back)",
    ))
}

impl GatedPool {
    pub(crate) fn new(pool: AnyPool, health: Option<Arc<StoreHealth>>) -> Self {
        Self { pool, health }
    }

    pub(crate) fn is_up(&self) -> bool {
        self.health.as_ref().is_none_or(|h| h.is_up())
    }

    /// Runs `work` unless the database is known down, and stops it if it goes down meanwhile.
    async fn guard<T>(&self, work: impl Future<Output = Result<T, sqlx::Error>>) -> Result<T, sqlx::Error> {
        let Some(health) = &self.health else { return work.await };
        if !health.is_up() {
            return Err(known_down());
        }
        tokio::select! {
            biased;
            result = work => result,
            () = health.went_down() => Err(known_down()),
        }
    }

    /// A transaction on a connection of the pool, as `Pool::begin`.
    pub(crate) async fn begin(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        self.guard(async {
            let conn = self.pool.acquire().await?;
            Transaction::begin(conn, None).await
        })
        .await
    }
}

impl<'p> Executor<'p> for &'p GatedPool {
    type Database = Any;

    /// Over a watched database, collects the results before yielding them: every caller reads
    /// them all anyway, and the guard then covers the whole statement.
    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, Result<Either<AnyQueryResult, AnyRow>, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Any>,
    {
        // An embedded database has no health to watch: its rows stream as from a plain pool.
        if self.health.is_none() {
            return (&self.pool).fetch_many(query);
        }
        let run = self.guard(async move {
            let mut conn = self.pool.acquire().await?;
            conn.fetch_many(query).try_collect::<Vec<_>>().await
        });
        stream::once(run)
            .map(|result| match result {
                Ok(items) => stream::iter(items.into_iter().map(Ok)).left_stream(),
                Err(e) => stream::once(async move { Err(e) }).right_stream(),
            })
            .flatten()
            .boxed()
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<AnyRow>, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Any>,
    {
        Box::pin(self.guard(async move { self.pool.acquire().await?.fetch_optional(query).await }))
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [AnyTypeInfo],
    ) -> BoxFuture<'e, Result<AnyStatement<'q>, sqlx::Error>>
    where
        'p: 'e,
    {
        Box::pin(self.guard(async move { self.pool.acquire().await?.prepare_with(sql, parameters).await }))
    }

    fn describe<'e, 'q: 'e>(self, sql: &'q str) -> BoxFuture<'e, Result<Describe<Any>, sqlx::Error>>
    where
        'p: 'e,
    {
        Box::pin(self.guard(async move { self.pool.acquire().await?.describe(sql).await }))
    }
}
