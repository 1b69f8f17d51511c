//! Webhook endpoints, what the admin API manages: the configured ones kept in step with
//! `[[webhooks]]`, the ones an admin creates, secret rotation (the previous secret keeps
//! signing for an overlap), disabling, and each endpoint's delivery log and redelivery. The
//! delivery half (queue, claim, outcome) is `outbox.rs`. Schema: `migrations/0012_webhooks.sql`.
use super::outbox::{RETRY_FOR, ms};
use super::rows::now_ms;
use super::{AccountError, SqlAccounts};
use crate::secret::Secret;
use async_trait::async_trait;
use std::time::Duration;

/// What the admin API does to endpoints (`src/api/admin_webhooks.rs`). `None` and `false`:
/// no such endpoint (or delivery).
#[async_trait]
pub trait WebhookEndpoints: Send + Sync {
    /// Every endpoint, oldest first.
    async fn webhook_endpoints(&self) -> Result<Vec<Endpoint>, AccountError>;
    async fn webhook_endpoint(&self, id: &str) -> Result<Option<Endpoint>, AccountError>;
    /// A new `admin` endpoint.
    async fn create_webhook(&self, spec: &EndpointSpec) -> Result<Endpoint, AccountError>;
    /// A new secret; the current one keeps signing next to it for `overlap`.
    async fn rotate_webhook_secret(
        &self,
        id: &str,
        secret: &Secret,
        overlap: Duration,
    ) -> Result<Option<Endpoint>, AccountError>;
    /// Stop delivering to the endpoint (`reason`: `admin`); its waiting deliveries stay. An
    /// endpoint disabled already is unchanged.
    async fn disable_webhook(
        &self,
        id: &str,
        reason: &str,
    ) -> Result<Option<Endpoint>, AccountError>;
    /// Deliver again, whatever disabled it; its waiting deliveries go out.
    async fn enable_webhook(&self, id: &str) -> Result<Option<Endpoint>, AccountError>;
    /// The endpoint's deliveries, newest first, strictly older than `before` (`(created_at
    /// unix ms, event id)`, the last row of the previous page) when given.
    async fn webhook_deliveries(
        &self,
        endpoint_id: &str,
        before: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<DeliveryLogRow>, AccountError>;
    /// Deliver the event to the endpoint again, now, with a fresh schedule of retries
    /// (whether it was delivered, failed or still waiting). `false`: no such delivery.
    async fn redeliver(&self, endpoint_id: &str, event_id: &str) -> Result<bool, AccountError>;
}

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
    /// `config` or `admin` (back-channel rows are never read as endpoints).
    pub source: String,
    pub events: Option<Vec<String>>,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
    pub disabled_reason: Option<String>,
    /// The previous secret still signs until then (a rotation).
    pub previous_secret_until: Option<i64>,
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

/// Webhook endpoints, configured or created: not the back-channel logout rows that share the
/// table (`backchannel.rs`), which `[[oidc.clients]]` alone manages.
const WEBHOOKS: &str = "source IN ('config', 'admin')";

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
}

#[async_trait]
impl WebhookEndpoints for SqlAccounts {
    /// Every endpoint, oldest first.
    async fn webhook_endpoints(&self) -> Result<Vec<Endpoint>, AccountError> {
        let rows: Vec<EndpointRow> = sqlx::query_as(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE {WEBHOOKS} \
             ORDER BY created_at, id"
        ))
        .fetch_all(&self.db.pool)
        .await?;
        Ok(rows.into_iter().map(endpoint).collect())
    }

    async fn webhook_endpoint(&self, id: &str) -> Result<Option<Endpoint>, AccountError> {
        let row: Option<EndpointRow> = sqlx::query_as(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND {WEBHOOKS}"
        ))
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(row.map(endpoint))
    }

    /// A new `admin` endpoint.
    async fn create_webhook(&self, spec: &EndpointSpec) -> Result<Endpoint, AccountError> {
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
    async fn rotate_webhook_secret(
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
    async fn disable_webhook(
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

    async fn enable_webhook(&self, id: &str) -> Result<Option<Endpoint>, AccountError> {
        sqlx::query(
            "UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL WHERE id = $1",
        )
        .bind(id)
        .execute(&self.db.pool)
        .await?;
        self.webhook_endpoint(id).await
    }

    /// The endpoint's deliveries, newest first, older than `before` (`(created_at unix ms,
    /// event id)`, the last row of the previous page) when given.
    async fn webhook_deliveries(
        &self,
        endpoint_id: &str,
        before: Option<(i64, String)>,
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
             WHERE d.endpoint_id = $1 \
               AND (d.created_at < $2 OR (d.created_at = $2 AND d.event_id < $3)) \
             ORDER BY d.created_at DESC, d.event_id DESC LIMIT $4",
        )
        .bind(endpoint_id)
        .bind(before.as_ref().map_or(i64::MAX, |b| b.0))
        .bind(before.as_ref().map_or("", |b| b.1.as_str()))
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
    async fn redeliver(&self, endpoint_id: &str, event_id: &str) -> Result<bool, AccountError> {
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
}
