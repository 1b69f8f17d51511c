//! The admin plane's work: who is calling (an admin token), and what may be done to accounts.
//! Every call is recorded (`admin.called`) by the API layer through [`Saoma::admin_called`].

use super::{AccountView, Error, IdentityView, Saoma, SsoSessionView};
use crate::accounts::events::{Actor, AdminCalled, DeletedBy, EventData, EventType, StoredEvent};
use crate::accounts::{AccountError, Ended, EventQuery};
use crate::tokens::AdminTokenError;
use chrono::{DateTime, Utc};
use poem_openapi::Object;

/// An account as an admin sees it.
#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none, example)]
pub struct AdminAccount {
    /// The account's id.
    pub id: String,
    /// The verified phone number (E.164), once bound.
    pub phone: Option<String>,
    /// When the account was created (or provisioned).
    pub created_at: DateTime<Utc>,
    /// The WeChat identities linked to the account.
    pub identities: Vec<IdentityView>,
    /// Since when the account is disabled; absent: enabled.
    pub disabled_at: Option<DateTime<Utc>>,
    /// The reason given when it was disabled.
    pub disabled_reason: Option<String>,
    /// When an admin provisioned it ahead of its first login (`POST /admin/v1/accounts`).
    pub provisioned_at: Option<DateTime<Utc>>,
    /// The phone number it was provisioned with, until its owner proves it (then `phone`).
    pub provisioned_phone: Option<String>,
}

impl Saoma {
    /// The admin behind `token`: `Unauthenticated` (401) without a valid token of this
    /// server, `InsufficientScope` (403) for any other token (a user's, an OpenID client's),
    /// and for a person's admin token once they are no admin (removed from `[admin]`, their
    /// account disabled or deleted): asked at every call. (Without an admin plane, `/admin/*`
    /// is not mounted: 404.)
    pub async fn admin_actor(&self, token: &str) -> Result<Actor, Error> {
        let subject = match self.parts.signer.verify_admin(token) {
            Ok(subject) => subject,
            Err(AdminTokenError::MissingScope) => return Err(Error::InsufficientScope),
            Err(AdminTokenError::Invalid(_)) => return Err(Error::Unauthenticated),
        };
        match &subject {
            crate::tokens::AdminSubject::Account { account_id, .. } => {
                if !self.is_admin(account_id).await? {
                    return Err(Error::InsufficientScope);
                }
            }
            // A machine's token stands for a client the configuration allows now: one removed
            // (or no longer allowed client_credentials) is no one here.
            crate::tokens::AdminSubject::Client(client_id) => {
                if !self.parts.settings.admins.admits_machine(client_id) {
                    return Err(Error::Unauthenticated);
                }
            }
        }
        Ok(Actor::Admin(subject.sub()))
    }

    /// Record an admin call (`admin.called`). A failure is logged, not answered: the call
    /// itself is done.
    pub async fn admin_called(&self, actor: &Actor, method: &str, path: &str, status: u16) {
        let called = EventData::AdminCalled(AdminCalled {
            method: method.to_owned(),
            path: path.to_owned(),
            status,
        });
        if let Err(e) = self.parts.events.record_alone(None, actor, &called).await {
            tracing::error!(error = %crate::telemetry::chain(&e), "an admin call could not be recorded");
        }
    }

    pub async fn admin_account(&self, id: &str) -> Result<AdminAccount, Error> {
        let account = self
            .parts
            .accounts
            .get(id)
            .await?
            .ok_or(Error::AccountNotFound)?;
        Ok(admin_view(&account))
    }

    /// Disable; how many sessions ended.
    pub async fn disable_account(
        &self,
        id: &str,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<Ended, Error> {
        self.parts
            .lifecycle
            .disable(id, reason, actor)
            .await
            .map_err(not_found)
    }

    pub async fn enable_account(&self, id: &str, actor: &Actor) -> Result<(), Error> {
        self.parts
            .lifecycle
            .enable(id, actor)
            .await
            .map_err(not_found)
    }

    pub async fn delete_account(
        &self,
        id: &str,
        by: DeletedBy,
        actor: &Actor,
    ) -> Result<(), Error> {
        self.parts
            .lifecycle
            .delete(id, by, actor)
            .await
            .map_err(not_found)?;
        tracing::info!(account = %id, "account deleted");
        Ok(())
    }

    /// A page of events, newest first, and the cursor of the next page (if it may hold more).
    pub async fn events(
        &self,
        filter: EventFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<StoredEvent>, Option<String>), Error> {
        let before = cursor.map(parse_cursor).transpose()?;
        let query = EventQuery {
            account_id: filter.account_id,
            event_type: filter.event_type,
            since: filter.since.map(|t| t.timestamp_millis()),
            before,
            limit,
        };
        let events = self.parts.events.events(&query).await?;
        let next = match events.last() {
            Some(last) if events.len() == usize::try_from(limit).unwrap_or(usize::MAX) => {
                Some(format!("{}.{}", last.created_at, last.id))
            }
            _ => None,
        };
        Ok((events, next))
    }
}

/// A live refresh-token session of an account, as an admin sees it.
#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none, example)]
pub struct SessionView {
    /// The refresh-token family's id.
    pub id: String,
    /// The OpenID client it was issued to; absent: Saoma's own API.
    pub client_id: Option<String>,
    /// The provider the person logged in with.
    pub provider: String,
    /// The WeChat app the person logged in through.
    pub app_id: String,
    /// The login that opened it.
    pub created_at: DateTime<Utc>,
    /// The last refresh (or the login).
    pub last_used_at: DateTime<Utc>,
}

impl poem_openapi::types::Example for SessionView {
    fn example() -> Self {
        let at = DateTime::from_timestamp(1_767_323_045, 0).unwrap_or_default();
        SessionView {
            id: "3c7f1a2e-9b4d-4e8a-8f1c-2d3e4f5a6b7c".into(),
            client_id: Some("shop".into()),
            provider: "mini_program".into(),
            app_id: "wx0123456789abcdef".into(),
            created_at: at,
            last_used_at: at,
        }
    }
}

/// An account's open sessions of both kinds.
#[derive(Debug, Clone)]
pub struct AdminSessions {
    pub refresh: Vec<SessionView>,
    pub sso: Vec<SsoSessionView>,
}

impl Saoma {
    /// The account's live refresh-token and SSO sessions.
    pub async fn admin_sessions(&self, id: &str) -> Result<AdminSessions, Error> {
        let sessions = self.parts.lifecycle.sessions(id).await.map_err(not_found)?;
        let sso = self.parts.sso.of_account(id).await?;
        let at = |ms| DateTime::from_timestamp_millis(ms).unwrap_or_default();
        let refresh = sessions
            .into_iter()
            .map(|s| SessionView {
                id: s.id,
                client_id: s.client_id,
                provider: s.provider,
                app_id: s.app_id,
                created_at: at(s.created_at),
                last_used_at: at(s.last_used_at),
            })
            .collect();
        let sso = sso
            .into_iter()
            .map(|s| SsoSessionView {
                sid: s.sid,
                client_ids: s.client_ids,
                provider: s.provider.as_str().to_owned(),
                app_id: s.app_id.to_string(),
                auth_time: DateTime::from_timestamp(s.auth_time, 0).unwrap_or_default(),
                created_at: at(s.created_at),
                last_used_at: at(s.last_used_at),
                expires_at: at(s.expires_at),
            })
            .collect();
        Ok(AdminSessions { refresh, sso })
    }

    /// End them all; how many.
    pub async fn end_admin_sessions(&self, id: &str, actor: &Actor) -> Result<Ended, Error> {
        self.parts
            .lifecycle
            .end_sessions(id, actor)
            .await
            .map_err(not_found)
    }
}

impl Saoma {
    /// A page of accounts matching `query`, newest first, and the next page's cursor.
    pub async fn search_accounts(
        &self,
        query: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<AdminAccount>, Option<String>), Error> {
        let before = cursor.map(parse_account_cursor).transpose()?;
        let accounts = self
            .parts
            .lifecycle
            .search(query.trim(), before, limit)
            .await?;
        let next = match accounts.last() {
            Some(last) if accounts.len() == usize::try_from(limit).unwrap_or(usize::MAX) => Some(
                format!("{}.{}", last.created_at.timestamp_millis(), last.id),
            ),
            _ => None,
        };
        Ok((accounts.iter().map(admin_view).collect(), next))
    }
}

pub(super) fn admin_view(account: &crate::accounts::Account) -> AdminAccount {
    let view = AccountView::from(account);
    AdminAccount {
        id: view.id,
        phone: view.phone,
        created_at: view.created_at,
        identities: view.identities,
        disabled_at: account.disabled.as_ref().map(|d| d.at),
        disabled_reason: account.disabled.as_ref().and_then(|d| d.reason.clone()),
        provisioned_at: account.provisioned_at,
        provisioned_phone: account.provisioned_phone.clone(),
    }
}

/// `<created_at ms>.<account id>`, as [`Saoma::search_accounts`] writes it.
fn parse_account_cursor(cursor: &str) -> Result<(i64, String), Error> {
    let (at, id) = cursor.split_once('.').ok_or(Error::InvalidCursor)?;
    let at: i64 = at.parse().map_err(|_| Error::InvalidCursor)?;
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(Error::InvalidCursor);
    }
    Ok((at, id.to_owned()))
}

/// The filters of `GET /admin/v1/events`.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub account_id: Option<String>,
    pub event_type: Option<EventType>,
    pub since: Option<DateTime<Utc>>,
}

/// `<created_at ms>.<event id>`, as [`Saoma::events`] writes it.
pub(super) fn parse_cursor(cursor: &str) -> Result<(i64, String), Error> {
    let (at, id) = cursor.split_once('.').ok_or(Error::InvalidCursor)?;
    let at: i64 = at.parse().map_err(|_| Error::InvalidCursor)?;
    let well_formed =
        id.len() == 36 && id.starts_with("evt_") && id[4..].bytes().all(|b| b.is_ascii_hexdigit());
    if !well_formed {
        return Err(Error::InvalidCursor);
    }
    Ok((at, id.to_owned()))
}

/// An admin names an account: an unknown one is a 404, not the API's 401.
fn not_found(e: AccountError) -> Error {
    match e {
        AccountError::UnknownAccount => Error::AccountNotFound,
        other => other.into(),
    }
}
