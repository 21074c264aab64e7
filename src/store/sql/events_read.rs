//! `events` read back with their delivery state; synthetic events written through the same
//! insert (and so the same outbox fan-out) as real changes.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::SqlStore;
use super::link::events;
use super::list::{FilterValue, ListSpec, fetch_page};
use crate::domain::event::{Event, EventRequest};
use crate::domain::page::{Page, PageRequest};
use crate::store::events::{EventFilter, EventStore, StoredEvent};
use crate::store::{StoreError, StoreResult};

/// Endpoints of the event with no succeeded delivery: a resend that succeeds after a failed
/// delivery clears the endpoint, so this counts endpoints, not delivery rows.
pub(super) const PENDING_WEBHOOKS: &str = "(SELECT COUNT(DISTINCT d.endpoint_id) FROM webhook_deliveries d \
     WHERE d.event_id = events.id AND NOT EXISTS (SELECT 1 FROM webhook_deliveries s \
     WHERE s.event_id = d.event_id AND s.endpoint_id = d.endpoint_id AND s.status = 'succeeded'))";

const UNDELIVERED: &str = "EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = events.id \
     AND NOT EXISTS (SELECT 1 FROM webhook_deliveries s WHERE s.event_id = d.event_id \
     AND s.endpoint_id = d.endpoint_id AND s.status = 'succeeded'))";

fn columns() -> &'static str {
    static COLUMNS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    COLUMNS.get_or_init(|| {
        format!(
            "id, platform_id, created, type, data, request_id, idempotency_key, api_version, \
             {PENDING_WEBHOOKS} AS pending_webhooks"
        )
    })
}

pub(super) fn event_from_row(row: &AnyRow) -> StoreResult<Event> {
    let data: String = row.try_get("data")?;
    Ok(Event {
        id: row.try_get("id")?,
        platform_id: row.try_get("platform_id")?,
        created: row.try_get("created")?,
        kind: row.try_get("type")?,
        object: serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(format!("event data: {e}")))?,
        request: EventRequest {
            id: row.try_get("request_id")?,
            idempotency_key: row.try_get("idempotency_key")?,
        },
        api_version: row.try_get("api_version")?,
    })
}

fn from_row(row: &AnyRow) -> StoreResult<StoredEvent> {
    Ok(StoredEvent {
        event: event_from_row(row)?,
        pending_webhooks: row.try_get("pending_webhooks")?,
    })
}

/// `type=financial_connections.account.*` as a LIKE pattern: `*` is the only wildcard, so
/// LIKE's own (`%`, `_` — every event type has underscores) are escaped.
fn like_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 4);
    for c in pattern.chars() {
        match c {
            '\\' | '%' | '_' => {
                out.push('\\');
                out.push(c);
            }
            '*' => out.push('%'),
            c => out.push(c),
        }
    }
    out
}

#[async_trait]
impl EventStore for SqlStore {
    async fn get_event(&self, platform_id: &str, id: &str) -> StoreResult<Option<StoredEvent>> {
        let sql = format!("SELECT {} FROM events WHERE platform_id = $1 AND id = $2", columns());
        let row = sqlx::query(&sql)
            .bind(platform_id)
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    async fn list_events(
        &self,
        platform_id: &str,
        filter: &EventFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<StoredEvent>> {
        let (low, high) = filter.created.clone().unwrap_or_default().bounds();
        let mut sql = String::from("AND created >= $2 AND created <= $3 AND ($4 IS NULL OR type LIKE $4 ESCAPE '\\')");
        let mut values = vec![
            FilterValue::Int(low),
            FilterValue::Int(high),
            FilterValue::Text(filter.type_pattern.as_deref().map(like_pattern)),
        ];
        if !filter.types.is_empty() {
            let first = values.len() + 2;
            let slots: Vec<String> = (0..filter.types.len()).map(|i| format!("${}", first + i)).collect();
            sql.push_str(&format!(" AND type IN ({})", slots.join(", ")));
            values.extend(filter.types.iter().map(|t| FilterValue::Text(Some(t.clone()))));
        }
        match filter.delivery_success {
            Some(true) => sql.push_str(&format!(" AND NOT {UNDELIVERED}")),
            Some(false) => sql.push_str(&format!(" AND {UNDELIVERED}")),
            None => {}
        }
        let spec = ListSpec {
            table: "events",
            columns: columns(),
            filter: &sql,
            filter_values: values,
        };
        fetch_page(&self.read, spec, platform_id, page, from_row).await
    }

    async fn insert_events(
        &self,
        list: &[Event],
        reply: Option<&crate::domain::idempotency::Reply<'_, [Event]>>,
    ) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        for e in list {
            events::insert(&mut tx, e).await?;
        }
        super::record_reply(&mut tx, &self.cipher, reply, list).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn wildcards_become_like_patterns() {
        assert_eq!(
            super::like_pattern("financial_connections.account.*"),
            "financial\\_connections.account.%"
        );
        assert_eq!(super::like_pattern("a%b"), "a\\%b");
    }
}
