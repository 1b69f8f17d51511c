//! The management API under `/admin/v1` (`docs/admin.md`): accounts and the event log, for a
//! bearer of an admin token (scope `saoma:admin`, from `client_credentials` at `/oidc/token`).
//! Every call that names its admin is recorded as `admin.called`.

use crate::accounts::Ended;
use crate::accounts::events::{Actor, DeletedBy, EventType, StoredEvent};
use crate::edge::error::ApiError;
use crate::edge::op_error::{OpError, errors};
use crate::login::{AdminAccount, Error, EventFilter, Saoma, SessionView, SsoSessionView};
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::auth::Bearer;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, SecurityScheme, Tags};
use std::sync::Arc;

#[derive(Tags)]
pub(super) enum ApiTags {
    /// The management API: accounts, their lifecycle, the event log, the webhook endpoints
    /// (admin tokens only).
    Admin,
}

/// An admin token: `grant_type=client_credentials` at `/oidc/token` by a client configured
/// with `grant_types = ["client_credentials"]` and `scopes = ["saoma:admin"]`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT")]
pub struct AdminAuth(Bearer);

/// Why an account is disabled.
#[derive(Object, Debug, Default)]
#[oai(example)]
pub struct DisableRequest {
    /// Kept with the account and in the `account.disabled` event.
    #[oai(validator(max_length = 500))]
    pub reason: Option<String>,
}

/// What disabling (or ending the sessions) ended.
#[derive(Object, Debug)]
#[oai(example)]
pub struct Disabled {
    /// Refresh-token sessions revoked now (access tokens already issued expire on their own,
    /// within `tokens.access_ttl_seconds`).
    pub refresh_sessions_revoked: u64,
    /// OpenID SSO sessions ended now: the browser's next authorization request asks for a
    /// scan, and the clients that got tokens under them get a back-channel logout token.
    pub sso_sessions_ended: u64,
}

impl From<Ended> for Disabled {
    fn from(ended: Ended) -> Self {
        Disabled {
            refresh_sessions_revoked: ended.refresh,
            sso_sessions_ended: ended.sso,
        }
    }
}

/// An event of the log.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct EventView {
    /// `evt_` + 32 hex digits.
    pub id: String,
    /// What happened.
    #[oai(rename = "type")]
    pub event_type: EventType,
    /// The account it happened to (absent: an admin call, or a refused unknown person).
    pub account_id: Option<String>,
    /// `system`, `account:<id>`, `client:<id>` or `admin:<sub>`.
    pub actor: String,
    /// When it happened (millisecond precision).
    pub created_at: DateTime<Utc>,
    /// The payload of its type (schemas `AccountCreated`, `LoginSucceeded`, ...).
    pub data: serde_json::Value,
}

/// A page of events, newest first.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none, example)]
pub struct EventPage {
    /// At most `limit`, newest first.
    pub events: Vec<EventView>,
    /// Pass it as `cursor` for the next (older) page; absent on the last page. Events recorded
    /// meanwhile are newer, so they never shift a page.
    pub next_cursor: Option<String>,
}

/// An account's open sessions.
#[derive(Object, Debug)]
#[oai(example)]
pub struct Sessions {
    /// Live refresh-token families, oldest first.
    pub refresh: Vec<SessionView>,
    /// Live OpenID single sign-on sessions (browsers), oldest first.
    pub sso: Vec<SsoSessionView>,
}

impl poem_openapi::types::Example for Sessions {
    fn example() -> Self {
        Sessions {
            refresh: vec![poem_openapi::types::Example::example()],
            sso: vec![poem_openapi::types::Example::example()],
        }
    }
}

impl From<crate::login::AdminSessions> for Sessions {
    fn from(s: crate::login::AdminSessions) -> Self {
        Sessions {
            refresh: s.refresh,
            sso: s.sso,
        }
    }
}

/// An account and its open sessions.
#[derive(Object, Debug)]
#[oai(example)]
pub struct AccountDetail {
    #[oai(flatten)]
    pub account: AdminAccount,
    /// Its open sessions (as `GET /admin/v1/accounts/{id}/sessions`).
    pub sessions: Sessions,
}

impl poem_openapi::types::Example for AccountDetail {
    fn example() -> Self {
        AccountDetail {
            account: poem_openapi::types::Example::example(),
            sessions: poem_openapi::types::Example::example(),
        }
    }
}

/// A page of accounts, newest first.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none, example)]
pub struct AccountPage {
    /// At most `limit`, newest first.
    pub accounts: Vec<AdminAccount>,
    /// Pass it as `cursor` for the next (older) page; absent on the last page. Accounts
    /// created meanwhile are newer, so they never shift a page.
    pub next_cursor: Option<String>,
}

impl poem_openapi::types::Example for AccountPage {
    fn example() -> Self {
        AccountPage {
            accounts: vec![poem_openapi::types::Example::example()],
            next_cursor: Some("1767323045000.0b9e3c52-6c8f-4d1e-8f0a-3a7b6c5d4e21".into()),
        }
    }
}

#[derive(ApiResponse)]
pub enum Done {
    /// Done.
    #[oai(status = 204)]
    Done,
}

errors!(
    /// `adminSearchAccounts`' errors.
    SearchErrors = "adminSearchAccounts", json: false,
    [Unauthenticated, InsufficientScope, InvalidCursor, DatabaseUnavailable]
);
errors!(
    /// `adminGetAccount`'s errors.
    GetErrors = "adminGetAccount", json: false,
    [Unauthenticated, InsufficientScope, AccountNotFound, DatabaseUnavailable]
);
errors!(
    /// `adminDisableAccount`'s errors.
    DisableErrors = "adminDisableAccount", json: true,
    [Unauthenticated, InsufficientScope, AccountNotFound, AccountAlreadyDisabled,
     DatabaseUnavailable]
);
errors!(
    /// `adminEnableAccount`'s errors.
    EnableErrors = "adminEnableAccount", json: false,
    [Unauthenticated, InsufficientScope, AccountNotFound, AccountNotDisabled,
     DatabaseUnavailable]
);
errors!(
    /// `adminDeleteAccount`'s errors.
    DeleteErrors = "adminDeleteAccount", json: false,
    [Unauthenticated, InsufficientScope, AccountNotFound, DatabaseUnavailable]
);
errors!(
    /// `adminListSessions`' errors.
    SessionsErrors = "adminListSessions", json: false,
    [Unauthenticated, InsufficientScope, AccountNotFound, DatabaseUnavailable]
);
errors!(
    /// `adminEndSessions`' errors.
    EndSessionsErrors = "adminEndSessions", json: false,
    [Unauthenticated, InsufficientScope, AccountNotFound, DatabaseUnavailable]
);
errors!(
    /// `adminListEvents`' errors.
    EventsErrors = "adminListEvents", json: false,
    [Unauthenticated, InsufficientScope, InvalidCursor, DatabaseUnavailable]
);

/// The largest page of `adminListEvents`.
pub const MAX_LIMIT: u32 = 100;

#[derive(Default)]
pub struct AdminApi;

#[OpenApi(prefix_path = "/admin/v1", tag = "ApiTags::Admin")]
impl AdminApi {
    /// Find accounts by id, phone, openid, unionid or nickname, newest first
    #[oai(
        path = "/accounts",
        method = "get",
        operation_id = "adminSearchAccounts"
    )]
    async fn search(
        &self,
        saoma: Data<&Arc<Saoma>>,
        auth: AdminAuth,
        /// An account id, phone number, openid or unionid (exact), or part of a nickname;
        /// empty or absent: every account.
        #[oai(validator(max_length = 128))]
        query: Query<Option<String>>,
        /// `next_cursor` of the previous page.
        #[oai(validator(max_length = 128))]
        cursor: Query<Option<String>>,
        /// At most this many accounts (1 to 100, default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
    ) -> Result<Json<AccountPage>, OpError<SearchErrors>> {
        let limit = limit.0.unwrap_or(50).min(MAX_LIMIT);
        let query = query.0.unwrap_or_default();
        admin_call(
            &saoma,
            &auth,
            ("GET", "/admin/v1/accounts", 200),
            async |_| {
                let (accounts, next_cursor) = saoma
                    .search_accounts(&query, cursor.0.as_deref(), limit)
                    .await?;
                Ok(Json(AccountPage {
                    accounts,
                    next_cursor,
                }))
            },
        )
        .await
    }

    /// An account: identities, phone, disabled state, open sessions
    #[oai(
        path = "/accounts/:id",
        method = "get",
        operation_id = "adminGetAccount"
    )]
    async fn get_account(
        &self,
        saoma: Data<&Arc<Saoma>>,
        auth: AdminAuth,
        /// The account's id.
        #[oai(validator(max_length = 64))]
        id: Path<String>,
    ) -> Result<Json<AccountDetail>, OpError<GetErrors>> {
        let path = format!("/admin/v1/accounts/{}", id.0);
        admin_call(&saoma, &auth, ("GET", &path, 200), async |_| {
            let account = saoma.admin_account(&id.0).await?;
            let sessions = saoma.admin_sessions(&id.0).await?.into();
            Ok(Json(AccountDetail { account, sessions }))
        })
        .await
    }

    /// Disable an account: no login completes, its refresh tokens and SSO sessions end now
    #[oai(
        path = "/accounts/:id/disable",
        method = "post",
        operation_id = "adminDisableAccount"
    )]
    async fn disable(
        &self,
        saoma: Data<&Arc<Saoma>>,
        auth: AdminAuth,
        /// The account's id.
        #[oai(validator(max_length = 64))]
        id: Path<String>,
        body: Json<DisableRequest>,
    ) -> Result<Json<Disabled>, OpError<DisableErrors>> {
        let path = format!("/admin/v1/accounts/{}/disable", id.0);
        admin_call(&saoma, &auth, ("POST", &path, 200), async |actor| {
            let ended = saoma
                .disable_account(&id.0, body.0.reason.as_deref(), actor)
                .await?;
            Ok(Json(ended.into()))
        })
        .await
    }

    /// Enable a disabled account
    #[oai(
        path = "/accounts/:id/enable",
        method = "post",
        operation_id = "adminEnableAccount"
    )]
    async fn enable(
        &self,
        saoma: Data<&Arc<Saoma>>,
        auth: AdminAuth,
        /// The account's id.
        #[oai(validator(max_length = 64))]
        id: Path<String>,
    ) -> Result<Done, OpError<EnableErrors>> {
        let path = format!("/admin/v1/accounts/{}/enable", id.0);
        admin_call(&saoma, &auth, ("POST", &path, 204), async |actor| {
            saoma
                .enable_account(&id.0, actor)
                .await
                .map(|()| Done::Done)
        })
        .await
    }

    /// Erase an account: identities, phone, sessions, tokens and its events
    ///
    /// One `account.deleted` event remains, with the account's id and who asked: no personal
    /// data. A second delete is a 404.
    #[oai(
        path = "/accounts/:id",
        method = "delete",
        operation_id = "adminDeleteAccount"
    )]
    async fn delete(
        &self,
        saoma: Data<&Arc<Saoma>>,
        auth: AdminAuth,
        /// The account's id.
        #[oai(validator(max_length = 64))]
        id: Path<String>,
    ) -> Result<Done, OpError<DeleteErrors>> {
        let path = format!("/admin/v1/accounts/{}", id.0);
        admin_call(&saoma, &auth, ("DELETE", &path, 204), async |actor| {
            saoma
                .delete_account(&id.0, DeletedBy::Admin, actor)
                .await
                .map(|()| Done::Done)
        })
        .await
    }

    /// An account's open sessions (refresh-token families, SSO sessions), oldest first
    #[oai(
        path = "/accounts/:id/sessions",
        method = "get",
        operation_id = "adminListSessions"
    )]
    async fn sessions(
        &self,
        saoma: Data<&Arc<Saoma>>,
        auth: AdminAuth,
        /// The account's id.
        #[oai(validator(max_length = 64))]
        id: Path<String>,
    ) -> Result<Json<Sessions>, OpError<SessionsErrors>> {
        let path = format!("/admin/v1/accounts/{}/sessions", id.0);
        admin_call(&saoma, &auth, ("GET", &path, 200), async |_| {
            Ok(Json(saoma.admin_sessions(&id.0).await?.into()))
        })
        .await
    }

    /// End all of an account's sessions: its refresh tokens and SSO sessions end now
    #[oai(
        path = "/accounts/:id/sessions",
        method = "delete",
        operation_id = "adminEndSessions"
    )]
    async fn end_sessions(
        &self,
        saoma: Data<&Arc<Saoma>>,
        auth: AdminAuth,
        /// The account's id.
        #[oai(validator(max_length = 64))]
        id: Path<String>,
    ) -> Result<Json<Disabled>, OpError<EndSessionsErrors>> {
        let path = format!("/admin/v1/accounts/{}/sessions", id.0);
        admin_call(&saoma, &auth, ("DELETE", &path, 200), async |actor| {
            Ok(Json(saoma.end_admin_sessions(&id.0, actor).await?.into()))
        })
        .await
    }

    /// The event log, newest first
    #[oai(path = "/events", method = "get", operation_id = "adminListEvents")]
    #[allow(clippy::too_many_arguments)] // one per query parameter
    async fn events(
        &self,
        saoma: Data<&Arc<Saoma>>,
        auth: AdminAuth,
        /// Only this account's events.
        #[oai(validator(max_length = 64))]
        account: Query<Option<String>>,
        /// Only events of this type.
        #[oai(name = "type")]
        event_type: Query<Option<EventType>>,
        /// Only events at or after this time.
        since: Query<Option<DateTime<Utc>>>,
        /// `next_cursor` of the previous page.
        #[oai(validator(max_length = 128))]
        cursor: Query<Option<String>>,
        /// At most this many events (1 to 100, default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
    ) -> Result<Json<EventPage>, OpError<EventsErrors>> {
        let filter = EventFilter {
            account_id: account.0,
            event_type: event_type.0,
            since: since.0,
        };
        let limit = limit.0.unwrap_or(50).min(MAX_LIMIT);
        admin_call(
            &saoma,
            &auth,
            ("GET", "/admin/v1/events", 200),
            async |_| {
                let (events, next_cursor) =
                    saoma.events(filter, cursor.0.as_deref(), limit).await?;
                Ok(Json(EventPage {
                    events: events.into_iter().map(view).collect(),
                    next_cursor,
                }))
            },
        )
        .await
    }
}

/// Authenticate, run `work` as that admin, record the call with its status (`ok`: the
/// status of a success).
pub(super) async fn admin_call<T, L>(
    saoma: &Saoma,
    auth: &AdminAuth,
    (method, path, ok): (&str, &str, u16),
    work: impl AsyncFnOnce(&Actor) -> Result<T, Error>,
) -> Result<T, OpError<L>>
where
    OpError<L>: From<ApiError>,
{
    let actor = saoma
        .admin_actor(&auth.0.token)
        .await
        .map_err(|e| OpError::from(ApiError::from(e)))?;
    let result = work(&actor).await.map_err(ApiError::from);
    let status = match &result {
        Ok(_) => ok,
        Err(e) => e.code().status(),
    };
    saoma.admin_called(&actor, method, path, status).await;
    result.map_err(OpError::from)
}

fn view(event: StoredEvent) -> EventView {
    EventView {
        id: event.id,
        event_type: event.event_type,
        account_id: event.account_id,
        actor: event.actor,
        created_at: DateTime::from_timestamp_millis(event.created_at).unwrap_or_default(),
        data: serde_json::from_str(&event.data).unwrap_or(serde_json::Value::Null),
    }
}
