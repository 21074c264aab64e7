//! One cursor-pagination query for every list: newest first by insertion order (`seq`).

use sqlx::Row;
use sqlx::any::AnyRow;

use super::pool::GatedPool;

use crate::domain::page::{Cursor, Page, PageRequest};
use crate::store::{StoreError, StoreResult};

/// A value bound to a list filter.
pub(super) enum FilterValue {
    Text(Option<String>),
    Int(i64),
}

/// A list query over one table scoped to one platform.
pub(super) struct ListSpec<'a> {
    pub table: &'static str,
    pub columns: &'static str,
    /// Extra conditions after `platform_id = $1`, numbering their parameters from `$2`.
    pub filter: &'a str,
    pub filter_values: Vec<FilterValue>,
}

/// Runs one page of `spec` and maps its rows, newest first.
pub(super) async fn fetch_page<T>(
    pool: &GatedPool,
    spec: ListSpec<'_>,
    platform_id: &str,
    page: &PageRequest,
    map: impl Fn(&AnyRow) -> StoreResult<T>,
) -> StoreResult<Page<T>> {
    let cursor_param = spec.filter_values.len() + 2;
    let (cursor_id, cursor_clause, order) = match &page.cursor {
        Cursor::Start => (None, String::new(), "DESC"),
        Cursor::After(id) => (Some(id), format!("AND seq < ${cursor_param}"), "DESC"),
        Cursor::Before(id) => (Some(id), format!("AND seq > ${cursor_param}"), "ASC"),
    };
    let cursor_seq = match cursor_id {
        Some(id) => Some(
            seq_of(pool, spec.table, platform_id, id)
                .await?
                .ok_or_else(|| StoreError::UnknownCursor(id.clone()))?,
        ),
        None => None,
    };
    let sql = format!(
        "SELECT {columns} FROM {table} WHERE platform_id = $1 {filter} {cursor_clause} \
         ORDER BY seq {order} LIMIT {fetch}",
        columns = spec.columns,
        table = spec.table,
        filter = spec.filter,
        fetch = page.limit + 1,
    );
    let mut query = sqlx::query(&sql).bind(platform_id);
    for value in spec.filter_values {
        query = match value {
            FilterValue::Text(v) => query.bind(v),
            FilterValue::Int(v) => query.bind(v),
        };
    }
    if let Some(seq) = cursor_seq {
        query = query.bind(seq);
    }
    let rows = query.fetch_all(pool).await?;
    let has_more = rows.len() > page.limit as usize;
    let mut data = rows
        .iter()
        .take(page.limit as usize)
        .map(map)
        .collect::<StoreResult<Vec<T>>>()?;
    if matches!(page.cursor, Cursor::Before(_)) {
        data.reverse();
    }
    Ok(Page { data, has_more })
}

async fn seq_of(pool: &GatedPool, table: &str, platform_id: &str, id: &str) -> StoreResult<Option<i64>> {
    let sql = format!("SELECT seq FROM {table} WHERE platform_id = $1 AND id = $2");
    let row = sqlx::query(&sql)
        .bind(platform_id)
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|r| r.try_get("seq")).transpose()?)
}
