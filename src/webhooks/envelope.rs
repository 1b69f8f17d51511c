//! The body of a delivery: the event as recorded, in the Standard Webhooks shape (`type`,
//! `timestamp`, `data`) with the event's id, account and actor beside them.

use crate::accounts::DueDelivery;
use serde::Serialize;

#[derive(Serialize)]
struct Envelope<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    event_type: &'a str,
    /// When the event happened (RFC 3339), not when this attempt was made.
    timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
    actor: &'a str,
    data: serde_json::Value,
}

/// The JSON body sent for the delivery.
pub fn body(delivery: &DueDelivery) -> Result<Vec<u8>, serde_json::Error> {
    let timestamp = chrono::DateTime::from_timestamp_millis(delivery.event_created_at)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    serde_json::to_vec(&Envelope {
        id: &delivery.event_id,
        event_type: &delivery.event_type,
        timestamp,
        account_id: delivery.account_id.as_deref(),
        actor: &delivery.actor,
        data: serde_json::from_str(&delivery.data)?,
    })
}
