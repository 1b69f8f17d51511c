//! The webhook endpoints' contract as the admin API uses it.

use super::*;
use crate::accounts::{EndpointSpec, WebhookEndpoints};
use crate::secret::Secret;

/// Events of one login share a millisecond: a page boundary between them skips none.
pub(super) async fn the_delivery_log_pages_through_deliveries_of_one_millisecond(
    store: SqlAccounts,
) {
    let spec = EndpointSpec {
        url: "https://every.example/".into(),
        secret: Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        events: None,
    };
    store
        .sync_configured_webhooks(&[spec], Duration::ZERO)
        .await
        .unwrap();
    let endpoint = store.webhook_endpoints().await.unwrap()[0].id.clone();
    let now = chrono::Utc::now().timestamp_millis();
    let mut recorded = Vec::new();
    for _ in 0..4 {
        recorded.push(super::outbox::record_at(&store, "login.succeeded", now).await);
    }
    let mut seen = Vec::new();
    let mut before = None;
    for _ in 0..10 {
        let page = store
            .webhook_deliveries(&endpoint, before.clone(), 1)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        before = Some((last.created_at, last.event_id.clone()));
        seen.push(last.event_id.clone());
    }
    recorded.sort();
    recorded.reverse();
    assert_eq!(
        seen, recorded,
        "newest first, by event id within a millisecond"
    );
}
