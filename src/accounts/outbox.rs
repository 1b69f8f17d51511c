//! The webhook outbox: one delivery row per (event, endpoint) inserted in the same transaction
//! as the event ([`enqueue`]), so an event that happened is an event that will be delivered.
//! The worker (`crate::webhooks`) claims due rows with a lease, delivers, and writes the
//! outcome here. The endpoints themselves: `webhook_endpoints.rs`. Schema:
//! `migrations/0012_webhooks.sql`.

use super::rows::now_ms;
use super::{AccountError, SqlAccounts};
use crate::secret::Secret;
use sqlx::AnyConnection;
use std::time::Duration;

/// What a delivery sends: a signed webhook, or a logout token (an endpoint row of
/// `backchannel.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryKind {
    Webhook,
    /// OpenID Connect Back-Channel Logout to the client the endpoint names.
    BackchannelLogout,
}

/// A claimed delivery: what the worker needs to send it once.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub kind: DeliveryKind,
    pub event_id: String,
    pub event_type: String,
    pub event_created_at: i64,
    pub account_id: Option<String>,
    pub actor: String,
    /// The event's JSON payload, as recorded.
    pub data: String,
    pub endpoint_id: String,
    pub url: String,
    /// The secrets to sign with: the current one, then the previous one during a rotation.
    pub secrets: Vec<Secret>,
    /// This attempt's number (1 for the first); the outcome is written only if it is still
    /// the row's latest attempt.
    pub attempt: i64,
    pub retry_until: i64,
}

/// What an attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx.
    Delivered { status: u16 },
    /// Failed; tried again at `next_attempt_at` (unix ms).
    Retry {
        next_attempt_at: i64,
        status: Option<u16>,
        error: String,
    },
    /// Failed after the last try: kept, redeliverable.
    Failed { status: Option<u16>, error: String },
    /// The receiver answered 410 Gone: the endpoint is disabled; the delivery waits (it goes
    /// out if the endpoint is enabled again).
    Gone { next_attempt_at: i64 },
}

/// How many deliveries wait (to enabled endpoints), and since when the oldest (unix ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    pub pending: i64,
    pub oldest_created_at: Option<i64>,
}

/// The `source` of a back-channel endpoint row.
pub const BACKCHANNEL_SOURCE: &str = "backchannel";

/// How long a failing delivery is retried, from its event (or its redelivery).
pub const RETRY_FOR: Duration = Duration::from_secs(3 * 24 * 3600);

const ENABLED: &str = "endpoint_id IN (SELECT id FROM webhook_endpoints WHERE disabled_at IS NULL)";

/// Queue a delivery of each of these events (just recorded in this transaction) to every
/// enabled endpoint whose filter takes its type: one statement for all of them.
pub(super) async fn enqueue(
    conn: &mut AnyConnection,
    event_ids: &[&str],
    now: i64,
) -> Result<(), AccountError> {
    let params: Vec<String> = (0..event_ids.len())
        .map(|i| format!("${}", i + 3))
        .collect();
    let sql = format!(
        "INSERT INTO webhook_deliveries \
           (event_id, endpoint_id, state, attempts, next_attempt_at, retry_until, created_at) \
         SELECT e.id, w.id, 'pending', 0, $1, $2, $1 FROM events e JOIN webhook_endpoints w \
           ON w.disabled_at IS NULL AND (w.events = ' * ' OR w.events LIKE '% ' || e.type || ' %') \
         WHERE e.id IN ({})",
        params.join(", ")
    );
    let mut insert = sqlx::query(&sql).bind(now).bind(now + ms(RETRY_FOR));
    for id in event_ids {
        insert = insert.bind(*id);
    }
    insert.execute(conn).await?;
    Ok(())
}

pub(super) fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl SqlAccounts {
    /// Claim up to `limit` due deliveries to enabled endpoints for this worker: each one's
    /// next attempt moves `lease` ahead, so no other worker takes it meanwhile, and a worker
    /// killed mid-delivery leaves it due again once the lease has passed. PostgreSQL skips the
    /// rows another instance is claiming (`FOR UPDATE SKIP LOCKED`); SQLite has one writer.
    pub async fn claim_deliveries(
        &self,
        limit: i64,
        lease: Duration,
    ) -> Result<Vec<DueDelivery>, AccountError> {
        let now = now_ms();
        // A read first: an idle outbox costs no write (SQLite's write lock) per poll.
        let due: Option<(String,)> = sqlx::query_as(&format!(
            "SELECT event_id FROM webhook_deliveries \
             WHERE state = 'pending' AND next_attempt_at <= $1 AND {ENABLED} LIMIT 1"
        ))
        .bind(now)
        .fetch_optional(&self.db.pool)
        .await?;
        if due.is_none() {
            return Ok(Vec::new());
        }
        let lock = if self.db.is_postgres() {
            "FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let _turn = self.db.write_turn().await;
        let claimed: Vec<(String, String, i64, i64)> = sqlx::query_as(&format!(
            "UPDATE webhook_deliveries SET next_attempt_at = $2, attempts = attempts + 1, \
               last_attempt_at = $1 \
             WHERE (event_id, endpoint_id) IN ( \
               SELECT event_id, endpoint_id FROM webhook_deliveries \
               WHERE state = 'pending' AND next_attempt_at <= $1 AND {ENABLED} \
               ORDER BY next_attempt_at LIMIT $3 {lock}) \
             RETURNING event_id, endpoint_id, attempts, retry_until"
        ))
        .bind(now)
        .bind(now + ms(lease))
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        drop(_turn);
        let mut due = Vec::with_capacity(claimed.len());
        for (event_id, endpoint_id, attempt, retry_until) in claimed {
            type Row = (
                String,
                i64,
                Option<String>,
                String,
                String,
                String,
                String,
                Option<String>,
                Option<i64>,
                String,
            );
            let row: Option<Row> = sqlx::query_as(
                "SELECT e.type, e.created_at, e.account_id, e.actor, e.data, w.url, w.secret, \
                        w.previous_secret, w.previous_secret_until, w.source \
                 FROM events e, webhook_endpoints w WHERE e.id = $1 AND w.id = $2",
            )
            .bind(&event_id)
            .bind(&endpoint_id)
            .fetch_optional(&self.db.pool)
            .await?;
            let Some((
                event_type,
                created_at,
                account_id,
                actor,
                data,
                url,
                secret,
                previous,
                until,
                source,
            )) = row
            else {
                // Its event was pruned (accounts.event_retention_days) or its endpoint removed:
                // nothing to send, ever. Dropped, so that it is not claimed again at each lease.
                tracing::warn!(%event_id, %endpoint_id, "a webhook delivery names an event or endpoint that is gone: dropped");
                sqlx::query(
                    "DELETE FROM webhook_deliveries WHERE event_id = $1 AND endpoint_id = $2",
                )
                .bind(&event_id)
                .bind(&endpoint_id)
                .execute(&self.db.pool)
                .await?;
                continue;
            };
            let mut secrets = vec![Secret::new(secret)];
            if let (Some(previous), Some(until)) = (previous, until)
                && until > now
            {
                secrets.push(Secret::new(previous));
            }
            let kind = if source == BACKCHANNEL_SOURCE {
                DeliveryKind::BackchannelLogout
            } else {
                DeliveryKind::Webhook
            };
            due.push(DueDelivery {
                kind,
                event_id,
                event_type,
                event_created_at: created_at,
                account_id,
                actor,
                data,
                endpoint_id,
                url,
                secrets,
                attempt,
                retry_until,
            });
        }
        Ok(due)
    }

    /// Write what the attempt came to, unless a newer attempt has claimed the row since (this
    /// one outlived its lease).
    pub async fn record_delivery(
        &self,
        delivery: &DueDelivery,
        outcome: &Outcome,
    ) -> Result<(), AccountError> {
        let now = now_ms();
        let (state, next, status, error, delivered) = match outcome {
            Outcome::Delivered { status } => ("delivered", now, Some(*status), None, Some(now)),
            Outcome::Retry {
                next_attempt_at,
                status,
                error,
            } => (
                "pending",
                *next_attempt_at,
                *status,
                Some(error.as_str()),
                None,
            ),
            Outcome::Failed { status, error } => {
                ("failed", now, *status, Some(error.as_str()), None)
            }
            Outcome::Gone { next_attempt_at } => (
                "pending",
                *next_attempt_at,
                Some(410),
                Some("the receiver answered 410 Gone: endpoint disabled"),
                None,
            ),
        };
        let _turn = self.db.write_turn().await;
        sqlx::query(
            "UPDATE webhook_deliveries SET state = $3, next_attempt_at = $4, last_status = $5, \
               last_error = $6, delivered_at = $7 \
             WHERE event_id = $1 AND endpoint_id = $2 AND attempts = $8",
        )
        .bind(&delivery.event_id)
        .bind(&delivery.endpoint_id)
        .bind(state)
        .bind(next)
        .bind(status.map(i64::from))
        .bind(error)
        .bind(delivered)
        .bind(delivery.attempt)
        .execute(&self.db.pool)
        .await?;
        if matches!(outcome, Outcome::Gone { .. }) {
            sqlx::query(
                "UPDATE webhook_endpoints SET disabled_at = $2, disabled_reason = 'gone' \
                 WHERE id = $1 AND disabled_at IS NULL",
            )
            .bind(&delivery.endpoint_id)
            .bind(now)
            .execute(&self.db.pool)
            .await?;
        }
        Ok(())
    }

    /// The deliveries waiting for enabled endpoints, and the oldest one's creation.
    pub async fn webhook_backlog(&self) -> Result<Backlog, AccountError> {
        let (pending, oldest): (i64, Option<i64>) = sqlx::query_as(&format!(
            "SELECT COUNT(*), MIN(created_at) FROM webhook_deliveries \
             WHERE state = 'pending' AND {ENABLED}"
        ))
        .fetch_one(&self.db.pool)
        .await?;
        Ok(Backlog {
            pending,
            oldest_created_at: oldest,
        })
    }
}
