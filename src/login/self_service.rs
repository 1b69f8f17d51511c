//! What a person may do to their own account: take their data, and erase the account (PIPL's
//! 注销), with a recent login.

use super::{AccountView, Error, Saoma};
use crate::accounts::EventQuery;
use crate::accounts::events::{Actor, DeletedBy, EventType};
use chrono::{DateTime, Utc};
use poem_openapi::Object;

/// How recent a login must be to erase the account.
const RECENT_LOGIN_SECS: u64 = 600;
/// The events an export carries at most (newest first).
const EXPORT_EVENTS: u32 = 10_000;

/// Everything Saoma holds about the person.
#[derive(Object, Debug)]
#[oai(example)]
pub struct AccountExport {
    /// The account, its identities and phone.
    pub account: AccountView,
    /// The account's events, newest first (logins with address and user agent, changes).
    pub events: Vec<ExportedEvent>,
}

/// One event of the account.
#[derive(Object, Debug)]
pub struct ExportedEvent {
    /// What happened.
    #[oai(rename = "type")]
    pub event_type: EventType,
    /// When it happened.
    pub created_at: DateTime<Utc>,
    /// The payload of its type.
    pub data: serde_json::Value,
}

impl Saoma {
    /// The bearer's account and its events.
    pub async fn export_me(&self, bearer: &str) -> Result<AccountExport, Error> {
        let account = self.me(Some(bearer)).await?;
        let events = self
            .parts
            .events
            .events(&EventQuery {
                account_id: Some(account.id.clone()),
                limit: EXPORT_EVENTS,
                ..EventQuery::default()
            })
            .await?;
        Ok(AccountExport {
            account: AccountView::from(&account),
            events: events
                .into_iter()
                .map(|e| ExportedEvent {
                    event_type: e.event_type,
                    created_at: DateTime::from_timestamp_millis(e.created_at).unwrap_or_default(),
                    data: serde_json::from_str(&e.data).unwrap_or_default(),
                })
                .collect(),
        })
    }

    /// Erase the bearer's account, if the bearer's tokens come from a login of the last 10
    /// minutes (a refreshed token does not count).
    pub async fn delete_me(&self, bearer: &str) -> Result<(), Error> {
        let claims = self
            .parts
            .signer
            .verify(bearer)
            .map_err(|_| Error::Unauthenticated)?;
        let now = jsonwebtoken::get_current_timestamp();
        let recent = claims
            .auth_time
            .is_some_and(|at| now.saturating_sub(at) <= RECENT_LOGIN_SECS);
        if !recent {
            return Err(Error::ReauthenticationRequired);
        }
        let actor = Actor::Account(claims.sub.clone());
        self.parts
            .lifecycle
            .delete(&claims.sub, DeletedBy::Owner, &actor)
            .await?;
        tracing::info!("an account was deleted by its owner");
        Ok(())
    }
}
