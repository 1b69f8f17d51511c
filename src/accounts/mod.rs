//! Accounts and identities: an account is the person across providers; an identity is one
//! `(app id, openid)`, linked to others of the same person by WeChat's `unionid`. Durable, behind
//! small traits split by capability; [`SqlAccounts`] implements them on SQLite and PostgreSQL
//! (one implementation over sqlx's `Any` driver, one set of portable migrations).

mod avatars;
pub mod backchannel;
mod db;
mod event_log;
pub mod events;
mod group_commit;
mod identities;
mod lifecycle;
mod login_writes;
mod merge;
mod migrations;
mod nickname;
mod outbox;
mod phone_binding;
mod phone_number;
mod profiles;
mod provision;
mod refresh;
mod refresh_batch;
mod rows;
mod sql;
mod sso;
mod webhook_endpoints;

#[cfg(test)]
mod tests;

pub use event_log::{EventLog, EventQuery, spawn_retention};
pub use lifecycle::{Ended, Lifecycle};
pub use outbox::{DeliveryKind, DueDelivery, Outcome};
pub use phone_number::Phone;
pub use profiles::{AvatarStatus, Profile};
pub use sql::SqlAccounts;
pub use sso::{NewSso, SsoSession, SsoSessions, spawn_sso_sweep};
pub use webhook_endpoints::{DeliveryLogRow, Endpoint, EndpointSpec, WebhookEndpoints};

use crate::ids::{AppId, OpenId, UnionId};
use crate::scene::Provider;
use crate::secret::Secret;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// An identity as a login presents it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIdentity {
    pub provider: Provider,
    pub app_id: AppId,
    pub openid: OpenId,
    pub unionid: Option<UnionId>,
    pub nickname: Option<String>,
    pub avatar: Option<String>,
}

/// An identity as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub provider: Provider,
    pub app_id: AppId,
    pub openid: OpenId,
    pub unionid: Option<UnionId>,
    pub nickname: Option<String>,
    pub avatar: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A person, with every identity linked to them (oldest first). A provisioned account has no
/// identity until its first login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// A UUID v4.
    pub id: String,
    /// The verified phone number: one its owner proved (SMS or WeChat).
    pub phone: Option<String>,
    /// A number an admin provisioned that nobody proved yet: binding it joins this account,
    /// and only then is it `phone`.
    pub provisioned_phone: Option<String>,
    pub created_at: DateTime<Utc>,
    pub identities: Vec<Identity>,
    /// Set while the account is disabled: it completes no login.
    pub disabled: Option<Disabled>,
    /// When an admin provisioned it ahead of its first login.
    pub provisioned_at: Option<DateTime<Utc>>,
    /// What the person filled in (头像昵称填写).
    pub profile: Profile,
}

/// When and why an account was disabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disabled {
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
}

/// What a login's account lookup decided.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "one per login, moved once to its caller: a Box would only add an allocation"
)]
pub enum Admission {
    /// The person may log in to this account (created now when `created`).
    Admitted { account: Account, created: bool },
    /// The login is refused; `account_id` is absent when nothing was found (and nothing was
    /// created).
    Refused {
        account_id: Option<String>,
        reason: crate::scene::Refusal,
    },
}

impl Admission {
    /// The account the login reached, admitted or refused.
    pub fn account_id(&self) -> Option<&str> {
        match self {
            Admission::Admitted { account, .. } => Some(&account.id),
            Admission::Refused { account_id, .. } => account_id.as_deref(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// A query failed; callers fail closed (503).
    #[error("the account database failed")]
    Database(#[from] sqlx::Error),
    #[error("database_url must start with sqlite: or postgres://")]
    BadUrl,
    /// The database could not be opened (the message names the backend, never the URL).
    #[error("could not open the {backend} account database")]
    Connect {
        backend: &'static str,
        #[source]
        source: sqlx::Error,
    },
    /// The migrations could not be read or applied.
    #[error("the account database's migrations failed")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The database holds what Saoma cannot read, or the store cannot go on (callers fail
    /// closed, 503): the message says what.
    #[error("the account store {0}")]
    Inconsistent(String),
    /// The refresh token is unknown, expired or revoked.
    #[error("the refresh token is unknown, expired or revoked")]
    RefreshInvalid,
    /// The refresh token was already rotated: it leaked or was replayed, so its family is revoked.
    #[error("the refresh token was already used; its session is revoked")]
    RefreshReused,
    /// No account has this id (it was merged into another, deleted, or never existed).
    #[error("no such account")]
    UnknownAccount,
    /// Disabling an account that is disabled already: nothing changed.
    #[error("the account is disabled already")]
    AlreadyDisabled,
    /// Enabling an account that is not disabled: nothing changed.
    #[error("the account is not disabled")]
    NotDisabled,
    /// Provisioning a phone number or unionid that an account holds already: nothing created.
    #[error("an account holds this phone number or unionid already")]
    AccountExists,
}

/// Accounts and the identities that log into them.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// A login by this `(app_id, openid)`: its account, created on first sight (unless
    /// `accounts.sign_up = "provisioned_only"`). If the identity is new but its unionid is
    /// already known on another identity, or was provisioned, it joins that account (link by
    /// unionid); an identity first seen without unionid gets it recorded when a later login
    /// reveals it. Nickname and avatar are updated when given. A disabled account is refused.
    /// Records `account.created`, `login.succeeded` or `login.refused` with the change.
    async fn log_in(
        &self,
        identity: &NewIdentity,
        login: &events::LoginDetails,
    ) -> Result<Admission, AccountError>;
    async fn get(&self, account_id: &str) -> Result<Option<Account>, AccountError>;
    async fn ping(&self) -> Result<(), AccountError>;
    /// The account this phone number is bound to (the contract tests read bindings with it).
    #[cfg(test)]
    async fn find_by_phone(&self, phone: &Phone) -> Result<Option<Account>, AccountError>;
    /// Bind a phone number the caller has verified (SMS code, or WeChat's getPhoneNumber).
    /// A free number is set on the account (replacing its previous one). A number already bound
    /// to another account means the same person: this account's identities and refresh-token
    /// sessions join that account, this one is deleted, and the answer is that account with
    /// `linked: true`. Phone numbers stay unique per account.
    async fn bind_phone(
        &self,
        account_id: &str,
        phone: &Phone,
    ) -> Result<PhoneBinding, AccountError>;
    /// Forget the identity `(app_id, openid)` (its user unfollowed the official account, with
    /// `accounts.unfollow = "unlink"`): the sessions logged in through that app end, and an
    /// account left with no identity is deleted, phone binding and all (an account always has
    /// an identity: nothing could log into it). `false`: no such identity.
    async fn unlink(&self, app_id: &AppId, openid: &OpenId) -> Result<bool, AccountError>;
    /// Set the filled-in nickname (the caller had WeChat check it); records `account.updated`
    /// (`profile`) by the person.
    async fn set_nickname(&self, account_id: &str, nickname: &str)
    -> Result<Account, AccountError>;
    /// Store a new pending avatar `id` (a PNG) for the account, replacing its earlier pending
    /// or refused ones.
    async fn add_avatar(&self, account_id: &str, id: &str, png: &[u8]) -> Result<(), AccountError>;
    /// Remember the content check's trace id for avatar `id`.
    async fn set_avatar_trace(&self, id: &str, trace_id: &str) -> Result<(), AccountError>;
    /// Forget avatar `id` (its content check could not be started).
    async fn remove_avatar(&self, id: &str) -> Result<(), AccountError>;
    /// The content check's verdict on the pending avatar of `trace_id`: accepted (recorded as
    /// `account.updated`, `profile`) or refused. `None`: no pending avatar has this trace id.
    async fn settle_avatar(
        &self,
        trace_id: &str,
        accepted: bool,
    ) -> Result<Option<String>, AccountError>;
    /// Avatar `id`'s PNG and status.
    async fn avatar(&self, id: &str) -> Result<Option<(Vec<u8>, AvatarStatus)>, AccountError>;
}

/// The account a phone number ended up on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneBinding {
    pub account: Account,
    /// The number belonged to another account, which the caller's identities joined.
    pub linked: bool,
}

/// A newly issued refresh token. Shown to the client once; only its hash is stored.
#[derive(Debug, Clone)]
pub struct IssuedRefresh {
    /// Opaque: 256 random bits, base64url without padding.
    pub token: Secret,
}

/// Whom a refresh token was issued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshSubject {
    pub account_id: String,
    pub provider: Provider,
    pub app_id: AppId,
    /// The OpenID client the family was issued to; `None`: Saoma's own API.
    pub client_id: Option<String>,
    /// The scopes granted to that client (space-separated).
    pub scope: Option<String>,
}

/// Refresh tokens, rotated on every use. A family is one login session.
#[async_trait]
pub trait RefreshTokens: Send + Sync {
    /// A token of a new family.
    async fn issue(
        &self,
        account_id: &str,
        provider: Provider,
        app_id: &AppId,
        ttl: Duration,
    ) -> Result<IssuedRefresh, AccountError>;
    /// Rotate: the presented token must be live; it is marked used and a new token of the same
    /// family returned, with whom it was issued for. Presenting an already-rotated token revokes
    /// the whole family and answers `RefreshReused`. Unknown, expired or revoked:
    /// `RefreshInvalid`.
    async fn rotate(
        &self,
        token: &Secret,
        ttl: Duration,
    ) -> Result<(IssuedRefresh, RefreshSubject), AccountError>;
    /// Revoke the token's family (logout). An unknown token is not an error.
    async fn revoke(&self, token: &Secret) -> Result<(), AccountError>;
    /// A token of a new family bound to an OpenID client; also returns the family's id.
    async fn issue_for_client(
        &self,
        subject: &RefreshSubject,
        ttl: Duration,
    ) -> Result<(IssuedRefresh, String), AccountError>;
    /// Revoke a family by its id (an authorization code was replayed).
    async fn revoke_family(&self, family_id: &str) -> Result<(), AccountError>;
    /// Whom the token's family was issued to, without spending it: `None` for an unknown
    /// token, `Some(None)` for Saoma's own API, `Some(Some(client))` for an OpenID client.
    async fn holder(&self, token: &Secret) -> Result<Option<Option<String>>, AccountError>;
}
