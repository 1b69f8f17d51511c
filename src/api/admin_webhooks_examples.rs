//! The examples of the webhook endpoints' bodies (`#[oai(example)]`).

use super::admin_webhooks::{
    CreateWebhook, DeliveryPage, DeliveryState, DeliveryView, RotateSecret, WebhookList,
    WebhookView, WebhookWithSecret,
};
use crate::accounts::events::EventType;
use chrono::DateTime;
use poem_openapi::types::Example;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const URL: &str = "https://app.example.com/saoma/webhooks";

impl Example for WebhookView {
    fn example() -> Self {
        Self {
            id: "whe_6a1f0c2b9d3e4f5a8b7c6d5e4f3a2b1c".into(),
            url: URL.into(),
            configured: false,
            events: Some(vec![EventType::AccountCreated, EventType::AccountDeleted]),
            created_at: DateTime::from_timestamp(1_767_323_045, 0).unwrap_or_default(),
            disabled_at: None,
            disabled_reason: None,
            previous_secret_until: DateTime::from_timestamp(1_767_409_445, 0),
        }
    }
}

impl Example for WebhookList {
    fn example() -> Self {
        Self {
            endpoints: vec![WebhookView::example()],
        }
    }
}

impl Example for CreateWebhook {
    fn example() -> Self {
        Self {
            url: URL.into(),
            events: Some(vec![EventType::AccountCreated, EventType::AccountDeleted]),
            secret: None,
        }
    }
}

impl Example for RotateSecret {
    fn example() -> Self {
        Self { secret: None }
    }
}

impl Example for WebhookWithSecret {
    fn example() -> Self {
        Self {
            endpoint: WebhookView::example(),
            secret: SECRET.into(),
        }
    }
}

impl Example for DeliveryView {
    fn example() -> Self {
        let at = DateTime::from_timestamp(1_767_323_045, 0);
        Self {
            event_id: "evt_6a1f0c2b9d3e4f5a8b7c6d5e4f3a2b1c".into(),
            event_type: Some(EventType::AccountCreated),
            state: DeliveryState::Pending,
            attempts: 2,
            created_at: at.unwrap_or_default(),
            next_attempt_at: DateTime::from_timestamp(1_767_323_180, 0),
            last_attempt_at: DateTime::from_timestamp(1_767_323_080, 0),
            last_status: Some(503),
            last_error: Some("the receiver answered 503".into()),
            delivered_at: None,
        }
    }
}

impl Example for DeliveryPage {
    fn example() -> Self {
        Self {
            deliveries: vec![DeliveryView::example()],
            next_cursor: Some("1767323045000.evt_6a1f0c2b9d3e4f5a8b7c6d5e4f3a2b1c".into()),
        }
    }
}
