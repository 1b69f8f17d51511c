//! The event log as the admin API reads it: a page of events newest first, by filters and a
//! cursor, on the indexes of migration 0010; and the retention sweep.

use super::events::{self, Actor, EventData, EventType, StoredEvent};
use super::{AccountError, SqlAccounts};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;

/// Which events to list, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventQuery {
    pub account_id: Option<String>,
    pub event_type: Option<EventType>,
    /// Unix milliseconds: only events at or after it.
    pub since: Option<i64>,
    /// Only events strictly older than this `(created_at, id)` (the previous page's last).
    pub before: Option<(i64, String)>,
    pub limit: u32,
}

/// The event log, read by the admin API.
#[async_trait]
pub trait EventLog: Send + Sync {
    /// Events matching `query`, newest first (`created_at`, then `id`, descending), at most
    /// `query.limit`.
    async fn events(&self, query: &EventQuery) -> Result<Vec<StoredEvent>, AccountError>;
    /// Record an event that is a change of its own (an admin call, a login that changed
    /// nothing else).
    async fn record_alone(
        &self,
        account_id: Option<&str>,
        actor: &Actor,
        data: &EventData,
    ) -> Result<(), AccountError>;
    /// Delete events older than `before` (unix ms), at most `batch` of them; how many went.
    async fn prune_events(&self, before: i64, batch: u32) -> Result<u64, AccountError>;
}

type EventRow = (String, String, Option<String>, String, i64, String);

fn event_from_row(row: EventRow) -> Result<StoredEvent, AccountError> {
    let (id, event_type, account_id, actor, created_at, data) = row;
    let event_type = EventType::parse(&event_type)
        .ok_or_else(|| AccountError::Inconsistent(format!("holds an event type {event_type:?}")))?;
    Ok(StoredEvent {
        id,
        event_type,
        account_id,
        actor,
        created_at,
        data,
    })
}

#[async_trait]
impl EventLog for SqlAccounts {
    async fn events(&self, query: &EventQuery) -> Result<Vec<StoredEvent>, AccountError> {
        let sql = events_sql(query);
        let mut q = sqlx::query_as::<_, EventRow>(&sql);
        if let Some(account_id) = &query.account_id {
            q = q.bind(account_id);
        }
        if let Some(event_type) = query.event_type {
            q = q.bind(event_type.as_str());
        }
        if let Some(since) = query.since {
            q = q.bind(since);
        }
        if let Some((at, id)) = &query.before {
            q = q.bind(*at).bind(id);
        }
        q = q.bind(i64::from(query.limit));
        let rows = q.fetch_all(&self.db.pool).await?;
        rows.into_iter().map(event_from_row).collect()
    }

    async fn record_alone(
        &self,
        account_id: Option<&str>,
        actor: &Actor,
        data: &EventData,
    ) -> Result<(), AccountError> {
        let mut tx = self.db.begin_write("events").await?;
        events::record(&mut tx, account_id, actor, data).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn prune_events(&self, before: i64, batch: u32) -> Result<u64, AccountError> {
        let mut tx = self.db.begin_write("events").await?;
        let done = sqlx::query(
            "DELETE FROM events WHERE id IN \
             (SELECT id FROM events WHERE created_at < $1 ORDER BY created_at LIMIT $2)",
        )
        .bind(before)
        .bind(i64::from(batch))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}

/// The listing's SQL: only the conditions of the filters given, so that each shape is served
/// by its index (`events_account`, `events_type`, `events_created`; migration 0010), walked
/// backwards from the cursor.
fn events_sql(query: &EventQuery) -> String {
    let mut conditions = Vec::new();
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    if query.account_id.is_some() {
        conditions.push(format!("account_id = {}", next()));
    }
    if query.event_type.is_some() {
        conditions.push(format!("type = {}", next()));
    }
    if query.since.is_some() {
        conditions.push(format!("created_at >= {}", next()));
    }
    if query.before.is_some() {
        // A row-value comparison: both PostgreSQL and SQLite (3.15+) seek the index with it.
        let (at, id) = (next(), next());
        conditions.push(format!("(created_at, id) < ({at}, {id})"));
    }
    let limit = next();
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {} ", conditions.join(" AND "))
    };
    format!(
        "SELECT id, type, account_id, actor, created_at, data FROM events {filter}\
         ORDER BY created_at DESC, id DESC LIMIT {limit}"
    )
}

/// How many events one sweep deletes at most per statement (a short write lock each).
const PRUNE_BATCH: u32 = 10_000;
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// `accounts.event_retention_days`: every hour, events older than `keep` are deleted, in
/// batches. Every instance sweeps; the deletes are idempotent.
pub fn spawn_retention(log: Arc<dyn EventLog>, keep: Duration) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(PRUNE_EVERY);
        loop {
            every.tick().await;
            let keep_ms = i64::try_from(keep.as_millis()).unwrap_or(i64::MAX);
            let before = chrono::Utc::now()
                .timestamp_millis()
                .saturating_sub(keep_ms);
            loop {
                match log.prune_events(before, PRUNE_BATCH).await {
                    Ok(n) if n == u64::from(PRUNE_BATCH) => continue,
                    Ok(n) => {
                        if n > 0 {
                            tracing::info!(deleted = n, "events past their retention deleted");
                        }
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(error = %crate::telemetry::chain(&e), "the event retention sweep failed; next hour again");
                        break;
                    }
                }
            }
        }
    });
}
