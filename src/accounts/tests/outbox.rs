//! The webhook outbox's contract: what is queued, how a delivery is claimed and leased, and
//! what each outcome leaves.

use super::*;
use crate::accounts::outbox::{Outcome, enqueue};
use crate::accounts::{DueDelivery, EndpointSpec, WebhookEndpoints};
use crate::secret::Secret;
use std::collections::HashSet;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub(super) const DAY: Duration = Duration::from_secs(24 * 3600);

pub(super) fn spec(url: &str, events: Option<&[&str]>) -> EndpointSpec {
    EndpointSpec {
        url: url.into(),
        secret: Secret::new(SECRET),
        events: events.map(|e| e.iter().map(|s| s.to_string()).collect()),
    }
}

/// An event recorded the way the events module records one: in a write transaction, with its
/// deliveries.
pub(super) async fn record(store: &SqlAccounts, event_type: &str) -> String {
    record_at(store, event_type, chrono::Utc::now().timestamp_millis()).await
}

/// [`record`] at a given time (unix ms).
pub(super) async fn record_at(store: &SqlAccounts, event_type: &str, now: i64) -> String {
    let id = format!("evt_{}", uuid::Uuid::new_v4().simple());
    let mut tx = store.db.begin_write("events").await.unwrap();
    sqlx::query(
        "INSERT INTO events (id, type, account_id, actor, created_at, data) \
         VALUES ($1, $2, NULL, 'system', $3, '{}')",
    )
    .bind(&id)
    .bind(event_type)
    .bind(now)
    .execute(&mut *tx)
    .await
    .unwrap();
    enqueue(&mut tx, &[id.as_str()], now).await.unwrap();
    tx.commit().await.unwrap();
    id
}

async fn claim(store: &SqlAccounts, lease: Duration) -> Vec<DueDelivery> {
    store.claim_deliveries(100, lease).await.unwrap()
}

fn targets(due: &[DueDelivery]) -> HashSet<(String, String)> {
    due.iter()
        .map(|d| (d.event_type.clone(), d.url.clone()))
        .collect()
}

pub(super) async fn an_event_is_queued_for_each_enabled_endpoint_subscribed_to_it(
    store: SqlAccounts,
) {
    let every = "https://every.example/";
    let logins = "https://logins.example/";
    store
        .sync_configured_webhooks(
            &[
                spec(every, None),
                spec(logins, Some(&["login.succeeded", "login.refused"])),
                spec("https://off.example/", None),
            ],
            DAY,
        )
        .await
        .unwrap();
    let endpoints = store.webhook_endpoints().await.unwrap();
    let off = &endpoints
        .iter()
        .find(|e| e.url == "https://off.example/")
        .unwrap()
        .id;
    store.disable_webhook(off, "admin").await.unwrap();
    record(&store, "account.created").await;
    record(&store, "login.succeeded").await;
    let due = claim(&store, DAY).await;
    let expected: HashSet<(String, String)> = [
        ("account.created", every),
        ("login.succeeded", every),
        ("login.succeeded", logins),
    ]
    .into_iter()
    .map(|(t, u)| (t.to_string(), u.to_string()))
    .collect();
    assert_eq!(targets(&due), expected);
    assert_eq!(due.len(), 3);
}

pub(super) async fn a_claimed_delivery_waits_for_its_lease_and_a_late_outcome_is_ignored(
    store: SqlAccounts,
) {
    store
        .sync_configured_webhooks(&[spec("https://a.example/", None)], DAY)
        .await
        .unwrap();
    record(&store, "account.created").await;
    let lease = Duration::from_millis(300);
    let first = claim(&store, lease).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].attempt, 1);
    assert!(
        claim(&store, lease).await.is_empty(),
        "claimed twice within the lease"
    );
    tokio::time::sleep(lease + Duration::from_millis(100)).await;
    // The first worker died (or hung past its lease): the delivery is claimed again.
    let second = claim(&store, DAY).await;
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].attempt, 2);
    // The first attempt's outcome comes late: it must not overwrite the second's claim.
    store
        .record_delivery(&first[0], &Outcome::Delivered { status: 200 })
        .await
        .unwrap();
    let log = store
        .webhook_deliveries(&first[0].endpoint_id, None, 10)
        .await
        .unwrap();
    assert_eq!(log[0].state, "pending");
    store
        .record_delivery(&second[0], &Outcome::Delivered { status: 204 })
        .await
        .unwrap();
    let log = store
        .webhook_deliveries(&first[0].endpoint_id, None, 10)
        .await
        .unwrap();
    assert_eq!(
        (log[0].state.as_str(), log[0].last_status),
        ("delivered", Some(204))
    );
    assert_eq!(store.webhook_backlog().await.unwrap().pending, 0);
}

pub(super) async fn concurrent_workers_never_claim_one_delivery_twice(store: SqlAccounts) {
    store
        .sync_configured_webhooks(&[spec("https://a.example/", None)], DAY)
        .await
        .unwrap();
    for _ in 0..60 {
        record(&store, "login.succeeded").await;
    }
    let worker = |store: SqlAccounts| async move {
        let mut mine = Vec::new();
        loop {
            let due = store.claim_deliveries(7, DAY).await.unwrap();
            if due.is_empty() {
                return mine;
            }
            mine.extend(due.into_iter().map(|d| d.event_id));
        }
    };
    let (a, b) = tokio::join!(
        tokio::spawn(worker(store.clone())),
        tokio::spawn(worker(store.clone()))
    );
    let all: Vec<String> = a.unwrap().into_iter().chain(b.unwrap()).collect();
    let distinct: HashSet<&String> = all.iter().collect();
    assert_eq!(all.len(), 60);
    assert_eq!(distinct.len(), 60);
}

pub(super) async fn failures_retry_then_fail_and_stay_redeliverable(store: SqlAccounts) {
    store
        .sync_configured_webhooks(&[spec("https://a.example/", None)], DAY)
        .await
        .unwrap();
    let event = record(&store, "account.deleted").await;
    let due = claim(&store, DAY).await.remove(0);
    let later = chrono::Utc::now().timestamp_millis() + 60_000;
    store
        .record_delivery(
            &due,
            &Outcome::Retry {
                next_attempt_at: later,
                status: Some(500),
                error: "the receiver answered 500".into(),
            },
        )
        .await
        .unwrap();
    assert!(
        claim(&store, DAY).await.is_empty(),
        "retried before its time"
    );
    let backlog = store.webhook_backlog().await.unwrap();
    assert_eq!(backlog.pending, 1);
    assert!(backlog.oldest_created_at.is_some());
    let log = store
        .webhook_deliveries(&due.endpoint_id, None, 10)
        .await
        .unwrap();
    assert_eq!(log[0].next_attempt_at, Some(later));
    assert_eq!(
        log[0].last_error.as_deref(),
        Some("the receiver answered 500")
    );
    // The schedule is spent: the next outcome is final.
    assert!(store.redeliver(&due.endpoint_id, &event).await.unwrap());
    let due = claim(&store, DAY).await.remove(0);
    assert_eq!(due.attempt, 1, "a redelivery starts a fresh schedule");
    store
        .record_delivery(
            &due,
            &Outcome::Failed {
                status: None,
                error: "timed out".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(store.webhook_backlog().await.unwrap().pending, 0);
    let log = store
        .webhook_deliveries(&due.endpoint_id, None, 10)
        .await
        .unwrap();
    assert_eq!(log[0].state, "failed");
    assert!(store.redeliver(&due.endpoint_id, &event).await.unwrap());
    assert_eq!(claim(&store, DAY).await.len(), 1);
    assert!(
        !store
            .redeliver(&due.endpoint_id, "evt_unknown")
            .await
            .unwrap()
    );
}

pub(super) async fn a_410_disables_the_endpoint_and_its_deliveries_wait(store: SqlAccounts) {
    let url = "https://gone.example/";
    store
        .sync_configured_webhooks(&[spec(url, None)], DAY)
        .await
        .unwrap();
    record(&store, "account.created").await;
    let due = claim(&store, Duration::from_millis(1)).await.remove(0);
    store
        .record_delivery(&due, &Outcome::Gone { next_attempt_at: 0 })
        .await
        .unwrap();
    let endpoint = store
        .webhook_endpoint(&due.endpoint_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(endpoint.disabled_reason.as_deref(), Some("gone"));
    record(&store, "account.created").await;
    assert!(claim(&store, DAY).await.is_empty());
    assert_eq!(store.webhook_backlog().await.unwrap().pending, 0);
    // Still configured after a restart: the receiver's 410 stands.
    store
        .sync_configured_webhooks(&[spec(url, None)], DAY)
        .await
        .unwrap();
    assert!(claim(&store, DAY).await.is_empty());
}

pub(super) async fn a_changed_secret_signs_next_to_the_previous_one_for_the_overlap(
    store: SqlAccounts,
) {
    let url = "https://a.example/";
    store
        .sync_configured_webhooks(&[spec(url, None)], DAY)
        .await
        .unwrap();
    let new = "whsec_c2Vjb25kIHNlY3JldCBvZiB0d2VudHktZm91ciBieXRlcw==";
    let rotated = EndpointSpec {
        secret: Secret::new(new),
        ..spec(url, None)
    };
    store
        .sync_configured_webhooks(std::slice::from_ref(&rotated), DAY)
        .await
        .unwrap();
    record(&store, "account.created").await;
    let due = claim(&store, DAY).await.remove(0);
    let secrets: Vec<&str> = due.secrets.iter().map(Secret::expose).collect();
    assert_eq!(secrets, [new, SECRET]);
    // Past the overlap only the new one signs.
    let rotated_again = store
        .rotate_webhook_secret(&due.endpoint_id, &Secret::new(SECRET), Duration::ZERO)
        .await
        .unwrap();
    assert!(rotated_again.is_some());
    store
        .redeliver(&due.endpoint_id, &due.event_id)
        .await
        .unwrap();
    let due = claim(&store, DAY).await.remove(0);
    let secrets: Vec<&str> = due.secrets.iter().map(Secret::expose).collect();
    assert_eq!(secrets, [SECRET]);
}

pub(super) async fn an_endpoint_no_longer_configured_is_disabled_until_it_is_again(
    store: SqlAccounts,
) {
    let url = "https://a.example/";
    store
        .sync_configured_webhooks(&[spec(url, None)], DAY)
        .await
        .unwrap();
    store.sync_configured_webhooks(&[], DAY).await.unwrap();
    record(&store, "account.created").await;
    assert!(claim(&store, DAY).await.is_empty());
    let endpoints = store.webhook_endpoints().await.unwrap();
    assert_eq!(endpoints[0].disabled_reason.as_deref(), Some("config"));
    store
        .sync_configured_webhooks(&[spec(url, None)], DAY)
        .await
        .unwrap();
    assert_eq!(
        store.webhook_endpoints().await.unwrap()[0].disabled_at,
        None
    );
    record(&store, "account.created").await;
    assert_eq!(claim(&store, DAY).await.len(), 1);
}
