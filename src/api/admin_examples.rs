//! The examples of the management API's and the self-service bodies (`#[oai(example)]`).

use super::admin::{DisableRequest, Disabled, EventPage, EventView};
use crate::accounts::events::EventType;
use crate::login::{AccountExport, AccountView, AdminAccount, ExportedEvent};
use chrono::DateTime;
use poem_openapi::types::Example;
use serde_json::json;

const ACCOUNT: &str = "0b9e3c52-6c8f-4d1e-8f0a-3a7b6c5d4e21";

impl Example for AdminAccount {
    fn example() -> Self {
        let view = AccountView::example();
        Self {
            id: view.id,
            phone: view.phone,
            created_at: view.created_at,
            identities: view.identities,
            disabled_at: DateTime::from_timestamp(1_767_323_045, 0),
            disabled_reason: Some("abuse report 1234".into()),
            provisioned_at: None,
            provisioned_phone: None,
        }
    }
}

impl Example for DisableRequest {
    fn example() -> Self {
        Self {
            reason: Some("abuse report 1234".into()),
        }
    }
}

impl Example for Disabled {
    fn example() -> Self {
        Self {
            refresh_sessions_revoked: 2,
            sso_sessions_ended: 1,
        }
    }
}

impl Example for EventPage {
    fn example() -> Self {
        Self {
            events: vec![EventView {
                id: "evt_3f2a9c1e8b7d4a6f9e0c1b2a3d4e5f60".into(),
                event_type: EventType::LoginSucceeded,
                account_id: Some(ACCOUNT.into()),
                actor: "system".into(),
                created_at: DateTime::from_timestamp(1_767_323_045, 0).unwrap_or_default(),
                data: json!({"login": {"provider": "mini_program", "app_id": "wx0123456789abcdef",
                    "ip": "203.0.113.7", "user_agent": "Mozilla/5.0"}}),
            }],
            next_cursor: Some("1767323045000.evt_3f2a9c1e8b7d4a6f9e0c1b2a3d4e5f60".into()),
        }
    }
}

impl Example for AccountExport {
    fn example() -> Self {
        Self {
            account: AccountView::example(),
            events: vec![ExportedEvent {
                event_type: EventType::AccountCreated,
                created_at: DateTime::from_timestamp(1_767_323_045, 0).unwrap_or_default(),
                data: json!({"login": {"provider": "mini_program", "app_id": "wx0123456789abcdef"},
                    "provisioned": false}),
            }],
        }
    }
}
