//! What happened to accounts: one typed payload per event type, written by [`record`] in the
//! same SQL transaction as the change that caused it (so an event exists exactly when its
//! change does), and read back by the admin event log ([`EventLog`]). The webhook outbox
//! delivers the same rows.

use super::AccountError;
use super::db::WriteTx;
use super::group_commit::placeholders;
use super::rows::now_ms;
use crate::scene::Refusal;
use poem_openapi::types::Example;
use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

/// The type of an event; its wire name is the event's `type`.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    #[oai(rename = "account.created")]
    #[serde(rename = "account.created")]
    AccountCreated,
    #[oai(rename = "login.succeeded")]
    #[serde(rename = "login.succeeded")]
    LoginSucceeded,
    #[oai(rename = "login.refused")]
    #[serde(rename = "login.refused")]
    LoginRefused,
    #[oai(rename = "account.updated")]
    #[serde(rename = "account.updated")]
    AccountUpdated,
    #[oai(rename = "account.disabled")]
    #[serde(rename = "account.disabled")]
    AccountDisabled,
    #[oai(rename = "account.enabled")]
    #[serde(rename = "account.enabled")]
    AccountEnabled,
    #[oai(rename = "account.deleted")]
    #[serde(rename = "account.deleted")]
    AccountDeleted,
    #[oai(rename = "session.revoked")]
    #[serde(rename = "session.revoked")]
    SessionRevoked,
    #[oai(rename = "admin.called")]
    #[serde(rename = "admin.called")]
    AdminCalled,
}

impl EventType {
    pub const ALL: [EventType; 9] = [
        EventType::AccountCreated,
        EventType::LoginSucceeded,
        EventType::LoginRefused,
        EventType::AccountUpdated,
        EventType::AccountDisabled,
        EventType::AccountEnabled,
        EventType::AccountDeleted,
        EventType::SessionRevoked,
        EventType::AdminCalled,
    ];

    /// The wire name, as stored in `events.type`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::AccountCreated => "account.created",
            EventType::LoginSucceeded => "login.succeeded",
            EventType::LoginRefused => "login.refused",
            EventType::AccountUpdated => "account.updated",
            EventType::AccountDisabled => "account.disabled",
            EventType::AccountEnabled => "account.enabled",
            EventType::AccountDeleted => "account.deleted",
            EventType::SessionRevoked => "session.revoked",
            EventType::AdminCalled => "admin.called",
        }
    }

    pub fn parse(name: &str) -> Option<EventType> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// Who caused an event; stored as `system`, `account:<id>` or `admin:<sub>` (a machine admin's
/// sub is `client:<client id>`, a person's `account:<account id>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// Saoma itself: a login, a merge, a retention sweep.
    System,
    /// The person, acting on their own account (self-service deletion).
    Account(String),
    /// An administrator: `client:<client id>` for a machine with an admin token,
    /// `account:<account id>` for a person named in `[admin]` (the console).
    Admin(String),
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::System => f.write_str("system"),
            Actor::Account(id) => write!(f, "account:{id}"),
            Actor::Admin(sub) => write!(f, "admin:{sub}"),
        }
    }
}

/// Where a login came from: provider, WeChat app, OpenID client, client address, user agent.
#[derive(Object, Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[oai(skip_serializing_if_is_none, example)]
pub struct LoginDetails {
    /// `mini_program`, `official_account`, `website`, `in_wechat` or `mobile_app`.
    pub provider: String,
    /// The WeChat app (AppID) the person logged in through.
    pub app_id: String,
    /// The OpenID client the login was for (hosted login page); absent: Saoma's own API.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The browser's (or app's) address, as Saoma saw it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The browser's (or app's) User-Agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

impl Example for LoginDetails {
    fn example() -> Self {
        LoginDetails {
            provider: "mini_program".into(),
            app_id: "wx0123456789abcdef".into(),
            client_id: None,
            ip: Some("203.0.113.7".into()),
            user_agent: Some("Mozilla/5.0".into()),
        }
    }
}

/// `account.created`: a login created an account, or an admin provisioned one.
#[derive(Object, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[oai(skip_serializing_if_is_none, example)]
pub struct AccountCreated {
    /// The login that created it; absent for a provisioned account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<LoginDetails>,
    /// Created ahead of its first login (`POST /admin/v1/accounts`).
    pub provisioned: bool,
}

impl Example for AccountCreated {
    fn example() -> Self {
        AccountCreated {
            login: Some(LoginDetails::example()),
            provisioned: false,
        }
    }
}

/// `login.succeeded`: WeChat identified the person and the account may log in.
#[derive(Object, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[oai(example)]
pub struct LoginSucceeded {
    /// The login.
    pub login: LoginDetails,
}

impl Example for LoginSucceeded {
    fn example() -> Self {
        LoginSucceeded {
            login: LoginDetails::example(),
        }
    }
}

/// `login.refused`: WeChat identified the person, and Saoma refused the login. The event's
/// `account_id` is absent for `not_provisioned` (nothing was created).
#[derive(Object, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[oai(example)]
pub struct LoginRefused {
    /// The login that was refused.
    pub login: LoginDetails,
    /// Why it was refused.
    pub reason: Refusal,
}

impl Example for LoginRefused {
    fn example() -> Self {
        LoginRefused {
            login: LoginDetails::example(),
            reason: Refusal::AccountDisabled,
        }
    }
}

/// What changed on an updated account.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum AccountChange {
    /// A verified phone number was bound.
    PhoneBound,
    /// Nickname or avatar changed.
    Profile,
    /// Another account turned out to be the same person and joined this one.
    Merged,
}

/// `account.updated`.
#[derive(Object, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[oai(skip_serializing_if_is_none, example)]
pub struct AccountUpdated {
    /// What changed.
    pub change: AccountChange,
    /// `merged`: the account that joined this one and no longer exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<String>,
    /// `merged`: the surviving account (the event's account).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<String>,
}

impl AccountUpdated {
    pub fn change(change: AccountChange) -> Self {
        AccountUpdated {
            change,
            merged_from: None,
            merged_into: None,
        }
    }
}

impl Example for AccountUpdated {
    fn example() -> Self {
        AccountUpdated {
            change: AccountChange::Merged,
            merged_from: Some("5c1d0f7e-2d8b-4b7a-9a57-0f1e8c2b9d31".into()),
            merged_into: Some("0b9e3c52-6c8f-4d1e-8f0a-3a7b6c5d4e21".into()),
        }
    }
}

/// `account.disabled`.
#[derive(Object, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[oai(skip_serializing_if_is_none, example)]
pub struct AccountDisabled {
    /// The reason the admin gave.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Refresh-token sessions revoked with it.
    pub refresh_sessions_revoked: u64,
}

impl Example for AccountDisabled {
    fn example() -> Self {
        AccountDisabled {
            reason: Some("abuse report 1234".into()),
            refresh_sessions_revoked: 2,
        }
    }
}

/// `account.enabled`.
#[derive(Object, Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AccountEnabled {
    /// Whether the account was disabled until now (always `true`: enabling an enabled account
    /// records nothing).
    pub was_disabled: bool,
}

/// Who asked for an erasure.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum DeletedBy {
    /// An administrator (`DELETE /admin/v1/accounts/{id}`).
    Admin,
    /// The person (`DELETE /api/v1/me`).
    Owner,
}

/// `account.deleted`: the account is erased. The event keeps no personal data: the account
/// id (a random UUID), when, and who asked.
#[derive(Object, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[oai(example)]
pub struct AccountDeleted {
    /// Who asked for the erasure.
    pub by: DeletedBy,
}

impl Example for AccountDeleted {
    fn example() -> Self {
        AccountDeleted {
            by: DeletedBy::Owner,
        }
    }
}

/// Which kind of session ended.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    /// A refresh-token family (Saoma's API or an OpenID client).
    Refresh,
    /// An OpenID Provider SSO session (the browser's `saoma_sso` cookie).
    Sso,
}

/// Why sessions ended.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum RevokeCause {
    /// The person logged out (RP-initiated logout).
    Logout,
    /// An admin ended them.
    Admin,
    /// The account was disabled.
    Disabled,
    /// The account was deleted.
    Deleted,
    /// The person unfollowed the official account the session logged in through, with
    /// `accounts.unfollow = "unlink"`.
    Unlinked,
}

/// `session.revoked`: one session ended.
#[derive(Object, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[oai(example)]
pub struct SessionRevoked {
    /// Which kind of session it was.
    pub kind: SessionKind,
    /// The family id (refresh) or the `sid` (SSO).
    pub session_id: String,
    /// The OpenID clients that held it (an SSO session: every client that received an
    /// id_token through it; a refresh family: its client, if any).
    pub client_ids: Vec<String>,
    /// Why it ended.
    pub cause: RevokeCause,
}

impl Example for SessionRevoked {
    fn example() -> Self {
        SessionRevoked {
            kind: SessionKind::Sso,
            session_id: "Qm9vdHN0cmFwIHNpZCBleGFtcGxl".into(),
            client_ids: vec!["shop".into()],
            cause: RevokeCause::Admin,
        }
    }
}

/// `admin.called`: every call to the admin API, with who made it (the event's actor).
#[derive(Object, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[oai(example)]
pub struct AdminCalled {
    /// The HTTP method.
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// The status answered.
    pub status: u16,
}

impl Example for AdminCalled {
    fn example() -> Self {
        AdminCalled {
            method: "POST".into(),
            path: "/admin/v1/accounts/0b9e3c52-6c8f-4d1e-8f0a-3a7b6c5d4e21/disable".into(),
            status: 200,
        }
    }
}

/// An event's payload; its variant is its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventData {
    AccountCreated(AccountCreated),
    LoginSucceeded(LoginSucceeded),
    LoginRefused(LoginRefused),
    AccountUpdated(AccountUpdated),
    AccountDisabled(AccountDisabled),
    AccountEnabled(AccountEnabled),
    AccountDeleted(AccountDeleted),
    SessionRevoked(SessionRevoked),
    AdminCalled(AdminCalled),
}

impl EventData {
    pub fn event_type(&self) -> EventType {
        match self {
            EventData::AccountCreated(_) => EventType::AccountCreated,
            EventData::LoginSucceeded(_) => EventType::LoginSucceeded,
            EventData::LoginRefused(_) => EventType::LoginRefused,
            EventData::AccountUpdated(_) => EventType::AccountUpdated,
            EventData::AccountDisabled(_) => EventType::AccountDisabled,
            EventData::AccountEnabled(_) => EventType::AccountEnabled,
            EventData::AccountDeleted(_) => EventType::AccountDeleted,
            EventData::SessionRevoked(_) => EventType::SessionRevoked,
            EventData::AdminCalled(_) => EventType::AdminCalled,
        }
    }

    /// The payload as JSON (the `data` column, and `data` of a webhook body).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        match self {
            EventData::AccountCreated(d) => serde_json::to_string(d),
            EventData::LoginSucceeded(d) => serde_json::to_string(d),
            EventData::LoginRefused(d) => serde_json::to_string(d),
            EventData::AccountUpdated(d) => serde_json::to_string(d),
            EventData::AccountDisabled(d) => serde_json::to_string(d),
            EventData::AccountEnabled(d) => serde_json::to_string(d),
            EventData::AccountDeleted(d) => serde_json::to_string(d),
            EventData::SessionRevoked(d) => serde_json::to_string(d),
            EventData::AdminCalled(d) => serde_json::to_string(d),
        }
    }
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// `evt_` + 32 hex digits.
    pub id: String,
    pub event_type: EventType,
    pub account_id: Option<String>,
    /// `system`, `account:<id>`, `client:<id>` or `admin:<sub>`.
    pub actor: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// The payload, as JSON text.
    pub data: String,
}

/// Record one event inside the transaction of the change that caused it: it commits or rolls
/// back with that change. Returns the event's id. See [`record_all`].
pub(super) async fn record(
    tx: &mut WriteTx,
    account_id: Option<&str>,
    actor: &Actor,
    data: &EventData,
) -> Result<String, AccountError> {
    let mut ids = record_all(tx, actor, &[(account_id, data)]).await?;
    ids.pop()
        .ok_or_else(|| AccountError::Inconsistent("an event was not recorded".to_owned()))
}

/// Record events, in this order, inside the transaction of the change that caused them, and
/// queue their webhook deliveries: with [`NewEvent`]'s group writer, the one place an event is
/// written. Two statements however many events (a first login records two inside SQLite's
/// one write turn, where every statement counts: BENCHMARKS.md, "full-login"). Returns the
/// events' ids.
pub(super) async fn record_all(
    tx: &mut WriteTx,
    actor: &Actor,
    events: &[(Option<&str>, &EventData)],
) -> Result<Vec<String>, AccountError> {
    let now = now_ms();
    let rows = events
        .iter()
        .map(|(account_id, data)| NewEvent::new(*account_id, actor, data, now))
        .collect::<Result<Vec<_>, _>>()?;
    insert(tx, &rows.iter().collect::<Vec<_>>()).await?;
    Ok(rows.into_iter().map(|row| row.id).collect())
}

/// An event ready to be written: on its own by the group writer (a returning person's login,
/// [`super::group_commit`]), or with the change that caused it ([`record_all`]).
pub(super) struct NewEvent {
    /// `evt_` + a UUID v7: ordered by creation within this process (the uuid crate's
    /// guarantee), so the events of one millisecond list in the order they happened (the log's
    /// cursor is (created_at, id)).
    id: String,
    event_type: EventType,
    account_id: Option<String>,
    actor: String,
    created_at: i64,
    data: String,
}

impl NewEvent {
    pub(super) fn new(
        account_id: Option<&str>,
        actor: &Actor,
        data: &EventData,
        now: i64,
    ) -> Result<NewEvent, AccountError> {
        let json = data
            .to_json()
            .map_err(|e| AccountError::Inconsistent(format!("could not encode an event: {e}")))?;
        Ok(NewEvent {
            id: format!("evt_{}", uuid::Uuid::now_v7().simple()),
            event_type: data.event_type(),
            account_id: account_id.map(str::to_owned),
            actor: actor.to_string(),
            created_at: now,
            data: json,
        })
    }
}

/// The events in one multi-row insert, then their webhook deliveries in one more.
pub(super) async fn insert(
    conn: &mut AnyConnection,
    events: &[&NewEvent],
) -> Result<(), AccountError> {
    if events.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO events (id, type, account_id, actor, created_at, data) VALUES {}",
        placeholders(events.len(), 6)
    );
    let mut insert = sqlx::query(&sql);
    for e in events {
        insert = insert
            .bind(e.id.as_str())
            .bind(e.event_type.as_str())
            .bind(e.account_id.as_deref())
            .bind(e.actor.as_str())
            .bind(e.created_at)
            .bind(e.data.as_str());
    }
    insert.execute(&mut *conn).await?;
    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    super::outbox::enqueue(conn, &ids, now_ms()).await?;
    Ok(())
}
