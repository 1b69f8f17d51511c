//! The webhook outbox: endpoints, and one delivery row per (event, endpoint) inserted in the
//! same transaction as the event ([`enqueue`]), so an event that happened is an event that will
//! be delivered. The worker (`crate::webhooks`) claims due rows with a lease, delivers, and
//! writes the outcome here. Schema: `migrations/0012_webhooks.sql`.
// Until issue 24's admin API is merged, only the worker's half is called outside tests.
#![allow(dead_code)]

use super::rows::now_ms;
use super::{AccountError, SqlAccounts};
use crate::secret::Secret;
use sqlx::AnyConnection;
use std::time::Duration;

/// An endpoint of `[[webhooks]]`, as the config (already checked) gives it.
#[derive(Debug, Clone)]
pub struct EndpointSpec {
    pub url: String,
    pub secret: Secret,
    /// The event types delivered; `None`: every type.
    pub events: Option<Vec<String>>,
}

/// An endpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: String,
    pub url: String,
    /// `config` or `admin`.
    pub source: String,
    pub events: Option<Vec<String>>,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
    pub disabled_reason: Option<String>,
    /// The previous secret still signs until then (a rotation).
    pub previous_secret_until: Option<i64>,
}

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

/// One row of an endpoint's delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryLogRow {
    pub event_id: String,
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub attempts: i64,
    pub created_at: i64,
    pub next_attempt_at: Option<i64>,
    pub last_attempt_at: Option<i64>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
}

/// How many deliveries wait (to enabled endpoints), and since when the oldest (unix ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    pub pending: i64,
    pub oldest_created_at: Option<i64>,
}

/// How long a failing delivery is retried, from its event (or its redelivery).
pub const RETRY_FOR: Duration = Duration::from_secs(3 * 24 * 3600);

const ENABLED: &str = "endpoint_id IN (SELECT id FROM webhook_endpoints WHERE disabled_at IS NULL)";

/// Queue the event for every enabled endpoint subscribed to its type: called by the one
/// function that records events, inside its write transaction.
pub(super) async fn enqueue(
    conn: &mut AnyConnection,
    event_id: &str,
    event_type: &str,
    now: i64,
) -> Result<(), AccountError> {
    sqlx::query(
        "INSERT INTO webhook_deliveries \
           (event_id, endpoint_id, state, attempts, next_attempt_at, retry_until, created_at) \
         SELECT $1, id, 'pending', 0, $2, $3, $2 FROM webhook_endpoints \
         WHERE disabled_at IS NULL AND (events = ' * ' OR events LIKE $4)",
    )
    .bind(event_id)
    .bind(now)
    .bind(now + ms(RETRY_FOR))
    .bind(format!("% {event_type} %"))
    .execute(conn)
    .await?;
    Ok(())
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn events_column(events: &Option<Vec<String>>) -> String {
    match events {
        None => " * ".into(),
        Some(types) => format!(" {} ", types.join(" ")),
    }
}

fn events_from_column(column: &str) -> Option<Vec<String>> {
    match column.trim() {
        "*" => None,
        types => Some(types.split_whitespace().map(str::to_string).collect()),
    }
}

/// `whe_` + 32 hex digits; a configured endpoint's is derived from its URL, so that it keeps
/// its id (and its delivery log) across restarts.
fn endpoint_id(configured_url: Option<&str>) -> String {
    use sha2::Digest;
    match configured_url {
        Some(url) => {
            let hash = sha2::Sha256::digest(format!("config:{url}").as_bytes());
            format!("whe_{}", &hex::encode(hash)[..32])
        }
        None => format!("whe_{}", uuid::Uuid::new_v4().simple()),
    }
}

type EndpointRow = (
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<String>,
    Option<i64>,
);

const ENDPOINT_COLUMNS: &str = "id, url, source, events, created_at, disabled_at, \
                                disabled_reason, previous_secret_until";

fn endpoint(row: EndpointRow) -> Endpoint {
    let (id, url, source, events, created_at, disabled_at, disabled_reason, until) = row;
    Endpoint {
        id,
        url,
        source,
        events: events_from_column(&events),
        created_at,
        disabled_at,
        disabled_reason,
        previous_secret_until: until,
    }
}

impl SqlAccounts {
    /// Make the stored `config` endpoints what `[[webhooks]]` says: new ones added, changed
    /// ones updated (a changed secret keeps signing next to the new one for `overlap`), ones
    /// no longer configured disabled. An endpoint the receiver disabled (410) stays disabled.
    pub async fn sync_configured_webhooks(
        &self,
        endpoints: &[EndpointSpec],
        overlap: Duration,
    ) -> Result<(), AccountError> {
        let now = now_ms();
        let mut tx = self.db.begin_write("webhook_endpoints").await?;
        let mut ids = Vec::new();
        for spec in endpoints {
            let id = endpoint_id(Some(&spec.url));
            sqlx::query(
                "INSERT INTO webhook_endpoints (id, url, source, secret, events, created_at) \
                 VALUES ($1, $2, 'config', $3, $4, $5) \
                 ON CONFLICT (id) DO UPDATE SET \
                   previous_secret = CASE WHEN webhook_endpoints.secret <> excluded.secret \
                     THEN webhook_endpoints.secret ELSE webhook_endpoints.previous_secret END, \
                   previous_secret_until = CASE WHEN webhook_endpoints.secret <> excluded.secret \
                     THEN $6 ELSE webhook_endpoints.previous_secret_until END, \
                   secret = excluded.secret, events = excluded.events, \
                   disabled_at = CASE WHEN webhook_endpoints.disabled_reason = 'config' \
                     THEN NULL ELSE webhook_endpoints.disabled_at END, \
                   disabled_reason = CASE WHEN webhook_endpoints.disabled_reason = 'config' \
                     THEN NULL ELSE webhook_endpoints.disabled_reason END",
            )
            .bind(&id)
            .bind(&spec.url)
            .bind(spec.secret.expose())
            .bind(events_column(&spec.events))
            .bind(now)
            .bind(now + ms(overlap))
            .execute(&mut *tx)
            .await?;
            ids.push(id);
        }
        let stored: Vec<(String,)> = sqlx::query_as(
            "SELECT id FROM webhook_endpoints WHERE source = 'config' AND disabled_at IS NULL",
        )
        .fetch_all(&mut *tx)
        .await?;
        for (id,) in stored.into_iter().filter(|(id,)| !ids.contains(id)) {
            sqlx::query(
                "UPDATE webhook_endpoints SET disabled_at = $2, disabled_reason = 'config' \
                 WHERE id = $1",
            )
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every endpoint, oldest first.
    pub async fn webhook_endpoints(&self) -> Result<Vec<Endpoint>, AccountError> {
        let rows: Vec<EndpointRow> = sqlx::query_as(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY created_at, id"
        ))
        .fetch_all(&self.db.pool)
        .await?;
        Ok(rows.into_iter().map(endpoint).collect())
    }

    pub async fn webhook_endpoint(&self, id: &str) -> Result<Option<Endpoint>, AccountError> {
        let row: Option<EndpointRow> = sqlx::query_as(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(row.map(endpoint))
    }

    /// A new `admin` endpoint.
    pub async fn create_webhook(&self, spec: &EndpointSpec) -> Result<Endpoint, AccountError> {
        let id = endpoint_id(None);
        sqlx::query(
            "INSERT INTO webhook_endpoints (id, url, source, secret, events, created_at) \
             VALUES ($1, $2, 'admin', $3, $4, $5)",
        )
        .bind(&id)
        .bind(&spec.url)
        .bind(spec.secret.expose())
        .bind(events_column(&spec.events))
        .bind(now_ms())
        .execute(&self.db.pool)
        .await?;
        self.webhook_endpoint(&id)
            .await?
            .ok_or_else(|| AccountError::Inconsistent("lost the endpoint it created".into()))
    }

    /// A new secret; the current one keeps signing next to it for `overlap`. `None`: no such
    /// endpoint.
    pub async fn rotate_webhook_secret(
        &self,
        id: &str,
        secret: &Secret,
        overlap: Duration,
    ) -> Result<Option<Endpoint>, AccountError> {
        let done = sqlx::query(
            "UPDATE webhook_endpoints SET previous_secret = secret, \
             previous_secret_until = $3, secret = $2 WHERE id = $1",
        )
        .bind(id)
        .bind(secret.expose())
        .bind(now_ms() + ms(overlap))
        .execute(&self.db.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        self.webhook_endpoint(id).await
    }

    /// Stop delivering to the endpoint (`reason`: `admin`, `gone`); its waiting deliveries
    /// stay. `None`: no such endpoint.
    pub async fn disable_webhook(
        &self,
        id: &str,
        reason: &str,
    ) -> Result<Option<Endpoint>, AccountError> {
        sqlx::query(
            "UPDATE webhook_endpoints SET disabled_at = $2, disabled_reason = $3 \
             WHERE id = $1 AND disabled_at IS NULL",
        )
        .bind(id)
        .bind(now_ms())
        .bind(reason)
        .execute(&self.db.pool)
        .await?;
        self.webhook_endpoint(id).await
    }

    /// The endpoint's deliveries, newest first, older than `before` (unix ms) when given.
    pub async fn webhook_deliveries(
        &self,
        endpoint_id: &str,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<DeliveryLogRow>, AccountError> {
        type Row = (
            String,
            String,
            String,
            i64,
            i64,
            i64,
            Option<i64>,
            Option<i64>,
            Option<String>,
            Option<i64>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT d.event_id, e.type, d.state, d.attempts, d.created_at, d.next_attempt_at, \
                    d.last_attempt_at, d.last_status, d.last_error, d.delivered_at \
             FROM webhook_deliveries d JOIN events e ON e.id = d.event_id \
             WHERE d.endpoint_id = $1 AND d.created_at < $2 \
             ORDER BY d.created_at DESC, d.event_id DESC LIMIT $3",
        )
        .bind(endpoint_id)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| DeliveryLogRow {
                next_attempt_at: (r.2 == "pending").then_some(r.5),
                event_id: r.0,
                event_type: r.1,
                state: r.2,
                attempts: r.3,
                created_at: r.4,
                last_attempt_at: r.6,
                last_status: r.7,
                last_error: r.8,
                delivered_at: r.9,
            })
            .collect())
    }

    /// Deliver the event to the endpoint again, now, with a fresh schedule of retries
    /// (whether it was delivered, failed or still waiting). `false`: no such delivery.
    pub async fn redeliver(&self, endpoint_id: &str, event_id: &str) -> Result<bool, AccountError> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, \
             next_attempt_at = $3, retry_until = $4, delivered_at = NULL \
             WHERE endpoint_id = $1 AND event_id = $2",
        )
        .bind(endpoint_id)
        .bind(event_id)
        .bind(now)
        .bind(now + ms(RETRY_FOR))
        .execute(&self.db.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

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
                tracing::warn!(%event_id, %endpoint_id, "a webhook delivery names an event or endpoint that is gone");
                continue;
            };
            let mut secrets = vec![Secret::new(secret)];
            if let (Some(previous), Some(until)) = (previous, until)
                && until > now
            {
                secrets.push(Secret::new(previous));
            }
            let kind = if source == super::backchannel::SOURCE {
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
