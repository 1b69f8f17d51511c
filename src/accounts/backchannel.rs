//! Back-channel logout (OpenID Connect Back-Channel Logout 1.0) rides the webhook outbox as a
//! second kind of delivery, not a second queue: each client with a `backchannel_logout_uri` is
//! an endpoint row (`source = 'backchannel'`, id `bcl:<client id>`, no secret, subscribed to no
//! event type), and ending an SSO session queues its `session.revoked` event for the endpoint
//! of each client that got tokens under it, in the transaction that ends it. The worker sends
//! such a delivery as a signed logout token instead of a webhook body.

use super::outbox::{BACKCHANNEL_SOURCE as SOURCE, RETRY_FOR};
use super::rows::now_ms;
use super::{AccountError, SqlAccounts};
use sqlx::AnyConnection;

/// A client's back-channel endpoint id.
pub fn endpoint_id(client_id: &str) -> String {
    format!("bcl:{client_id}")
}

/// The client a back-channel endpoint id names.
pub fn client_of(endpoint_id: &str) -> Option<&str> {
    endpoint_id.strip_prefix("bcl:")
}

/// A client's logout URI, as the config (already checked) gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackchannelSpec {
    pub client_id: String,
    pub url: String,
}

impl SqlAccounts {
    /// Make the stored back-channel endpoints what `[[oidc.clients]]` says: added, URL updated,
    /// and disabled (reason `config`) when no longer configured; their deliveries then wait.
    pub async fn sync_backchannel_endpoints(
        &self,
        clients: &[BackchannelSpec],
    ) -> Result<(), AccountError> {
        let now = now_ms();
        let mut tx = self.db.begin_write("webhook_endpoints").await?;
        let mut ids = Vec::new();
        for spec in clients {
            let id = endpoint_id(&spec.client_id);
            sqlx::query(
                "INSERT INTO webhook_endpoints (id, url, source, secret, events, created_at) \
                 VALUES ($1, $2, $3, '', '', $4) \
                 ON CONFLICT (id) DO UPDATE SET url = excluded.url, \
                   disabled_at = CASE WHEN webhook_endpoints.disabled_reason = 'config' \
                     THEN NULL ELSE webhook_endpoints.disabled_at END, \
                   disabled_reason = CASE WHEN webhook_endpoints.disabled_reason = 'config' \
                     THEN NULL ELSE webhook_endpoints.disabled_reason END",
            )
            .bind(&id)
            .bind(&spec.url)
            .bind(SOURCE)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            ids.push(id);
        }
        let stored: Vec<(String,)> = sqlx::query_as(
            "SELECT id FROM webhook_endpoints WHERE source = $1 AND disabled_at IS NULL",
        )
        .bind(SOURCE)
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

/// Queue the ended session's event (`event_id`) for the back-channel endpoint of each client
/// that got tokens under it (those that have one, enabled).
pub(super) async fn enqueue(
    conn: &mut AnyConnection,
    event_id: &str,
    client_ids: &[String],
) -> Result<(), AccountError> {
    let now = now_ms();
    let until = now.saturating_add(i64::try_from(RETRY_FOR.as_millis()).unwrap_or(i64::MAX));
    for client_id in client_ids {
        sqlx::query(
            "INSERT INTO webhook_deliveries \
               (event_id, endpoint_id, state, attempts, next_attempt_at, retry_until, created_at) \
             SELECT $1, id, 'pending', 0, $2, $3, $2 FROM webhook_endpoints \
             WHERE id = $4 AND source = $5 AND disabled_at IS NULL",
        )
        .bind(event_id)
        .bind(now)
        .bind(until)
        .bind(endpoint_id(client_id))
        .bind(SOURCE)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
