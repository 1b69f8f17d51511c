//! The OpenID Provider's single sign-on sessions in SQL (`migrations/0011_sso_sessions.sql`):
//! keyed by the hash of the browser cookie's secret, named in public by a random `sid`, indexed
//! by account so that an admin can list and end them and the lifecycle ends them. Ending one
//! records `session.revoked` (kind `sso`) in the same transaction, and queues it there for the
//! back-channel logout endpoint of each client that got tokens under it (`backchannel.rs`).

use super::db::WriteTx;
use super::events::{self, Actor, EventData, RevokeCause, SessionKind, SessionRevoked};
use super::rows::hash_token;
use super::rows::{corrupt, now_ms, parse_provider};
use super::{AccountError, SqlAccounts};
use crate::ids::AppId;
use crate::scene::Provider;
use crate::secret::Secret;
use async_trait::async_trait;

/// A session to open: who logged in and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSso {
    pub account_id: String,
    pub provider: Provider,
    pub app_id: AppId,
    /// Unix seconds.
    pub auth_time: i64,
    /// Unix milliseconds.
    pub expires_at: i64,
}

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSession {
    pub sid: String,
    pub account_id: String,
    pub provider: Provider,
    pub app_id: AppId,
    /// Unix seconds.
    pub auth_time: i64,
    /// Unix milliseconds: opened, last used, ends.
    pub created_at: i64,
    pub last_used_at: i64,
    pub expires_at: i64,
    /// The OpenID clients that received tokens under it, in the order they did.
    pub client_ids: Vec<String>,
}

/// Single sign-on sessions.
#[async_trait]
pub trait SsoSessions: Send + Sync {
    /// Open a session for the browser holding `cookie`; its `sid`.
    async fn open(&self, cookie: &Secret, session: &NewSso) -> Result<String, AccountError>;
    /// The live (unexpired) session the cookie names.
    async fn find(&self, cookie: &Secret) -> Result<Option<SsoSession>, AccountError>;
    /// The session answered an authorization request now.
    async fn touch(&self, sid: &str) -> Result<(), AccountError>;
    /// `client_id` received tokens under the session (nothing if it has ended).
    async fn add_client(&self, sid: &str, client_id: &str) -> Result<(), AccountError>;
    /// End the session the cookie names (RP-initiated logout): `session.revoked`, cause
    /// `logout`, by its account. `false`: there was none.
    async fn end(&self, cookie: &Secret) -> Result<bool, AccountError>;
    /// The account's live sessions, oldest first.
    async fn of_account(&self, account_id: &str) -> Result<Vec<SsoSession>, AccountError>;
    /// Delete the sessions that expired before `now` (unix ms); how many.
    async fn prune_expired(&self, now: i64) -> Result<u64, AccountError>;
}

type Row = (String, String, String, String, i64, i64, i64, i64);

const COLUMNS: &str =
    "sid, account_id, provider, app_id, auth_time, created_at, last_used_at, expires_at";

async fn session(conn: &mut sqlx::AnyConnection, row: Row) -> Result<SsoSession, AccountError> {
    let (sid, account_id, provider, app_id, auth_time, created_at, last_used_at, expires_at) = row;
    let clients: Vec<(String,)> = sqlx::query_as(
        "SELECT client_id FROM sso_session_clients WHERE sid = $1 ORDER BY first_at, client_id",
    )
    .bind(&sid)
    .fetch_all(&mut *conn)
    .await?;
    Ok(SsoSession {
        sid,
        account_id,
        provider: parse_provider(&provider)?,
        app_id: AppId::parse(app_id).map_err(corrupt)?,
        auth_time,
        created_at,
        last_used_at,
        expires_at,
        client_ids: clients.into_iter().map(|(c,)| c).collect(),
    })
}

#[async_trait]
impl SsoSessions for SqlAccounts {
    async fn open(&self, cookie: &Secret, new: &NewSso) -> Result<String, AccountError> {
        let now = now_ms();
        let sid = uuid::Uuid::new_v4().simple().to_string();
        let _turn = self.db.write_turn().await;
        sqlx::query(&format!(
            "INSERT INTO sso_sessions (id_hash, {COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)"
        ))
        .bind(hash_token(cookie))
        .bind(&sid)
        .bind(&new.account_id)
        .bind(new.provider.as_str())
        .bind(new.app_id.as_str())
        .bind(new.auth_time)
        .bind(now)
        .bind(new.expires_at)
        .execute(&self.db.pool)
        .await?;
        Ok(sid)
    }

    async fn find(&self, cookie: &Secret) -> Result<Option<SsoSession>, AccountError> {
        let mut conn = self.db.pool.acquire().await?;
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM sso_sessions WHERE id_hash = $1 AND expires_at > $2"
        ))
        .bind(hash_token(cookie))
        .bind(now_ms())
        .fetch_optional(&mut *conn)
        .await?;
        match row {
            Some(row) => Ok(Some(session(&mut conn, row).await?)),
            None => Ok(None),
        }
    }

    async fn touch(&self, sid: &str) -> Result<(), AccountError> {
        let _turn = self.db.write_turn().await;
        sqlx::query("UPDATE sso_sessions SET last_used_at = $2 WHERE sid = $1")
            .bind(sid)
            .bind(now_ms())
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    async fn add_client(&self, sid: &str, client_id: &str) -> Result<(), AccountError> {
        let _turn = self.db.write_turn().await;
        sqlx::query(
            "INSERT INTO sso_session_clients (sid, client_id, first_at) \
             SELECT sid, $2, $3 FROM sso_sessions WHERE sid = $1 \
             ON CONFLICT (sid, client_id) DO NOTHING",
        )
        .bind(sid)
        .bind(client_id)
        .bind(now_ms())
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    async fn end(&self, cookie: &Secret) -> Result<bool, AccountError> {
        let hash = hash_token(cookie);
        let mut tx = self.db.begin_write(&format!("sso:{hash}")).await?;
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM sso_sessions WHERE id_hash = $1"
        ))
        .bind(&hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(false);
        };
        let found = session(&mut tx, row).await?;
        let actor = Actor::Account(found.account_id.clone());
        if delete_rows(&mut tx, "sid", &found.sid).await?.is_empty() {
            // Ended meanwhile by an admin or the lifecycle, which recorded it.
            return Ok(false);
        }
        record_ended(
            &mut tx,
            std::slice::from_ref(&found),
            RevokeCause::Logout,
            &actor,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn of_account(&self, account_id: &str) -> Result<Vec<SsoSession>, AccountError> {
        let mut conn = self.db.pool.acquire().await?;
        live_of(&mut conn, account_id).await
    }

    async fn prune_expired(&self, now: i64) -> Result<u64, AccountError> {
        let _turn = self.db.write_turn().await;
        let done = sqlx::query("DELETE FROM sso_sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.db.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

async fn live_of(
    conn: &mut sqlx::AnyConnection,
    account_id: &str,
) -> Result<Vec<SsoSession>, AccountError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM sso_sessions WHERE account_id = $1 AND expires_at > $2 \
         ORDER BY created_at, sid"
    ))
    .bind(account_id)
    .bind(now_ms())
    .fetch_all(&mut *conn)
    .await?;
    let mut sessions = Vec::with_capacity(rows.len());
    for row in rows {
        sessions.push(session(conn, row).await?);
    }
    Ok(sessions)
}

/// Take every session of the account out inside `tx` (expired ones too); the live ones, for
/// [`record_ended`].
pub(super) async fn take_all(
    tx: &mut WriteTx,
    account_id: &str,
) -> Result<Vec<SsoSession>, AccountError> {
    let mut live = live_of(tx, account_id).await?;
    let deleted = delete_rows(tx, "account_id", account_id).await?;
    // A session a concurrent logout ended first is its to record.
    live.retain(|s| deleted.contains(&s.sid));
    Ok(live)
}

/// Take the account's sessions that logged in through `app_id` out inside `tx` (an identity
/// unlinked); the live ones, for [`record_ended`].
pub(super) async fn take_of_app(
    tx: &mut WriteTx,
    account_id: &str,
    app_id: &str,
) -> Result<Vec<SsoSession>, AccountError> {
    let mut live = live_of(tx, account_id).await?;
    let deleted: Vec<(String,)> = sqlx::query_as(
        "DELETE FROM sso_sessions WHERE account_id = $1 AND app_id = $2 RETURNING sid",
    )
    .bind(account_id)
    .bind(app_id)
    .fetch_all(&mut **tx)
    .await?;
    live.retain(|s| deleted.iter().any(|(sid,)| *sid == s.sid));
    Ok(live)
}

/// Delete the sessions whose `column` is `value`; the sids this transaction deleted.
async fn delete_rows(
    tx: &mut WriteTx,
    column: &str,
    value: &str,
) -> Result<Vec<String>, AccountError> {
    let deleted: Vec<(String,)> = sqlx::query_as(&format!(
        "DELETE FROM sso_sessions WHERE {column} = $1 RETURNING sid"
    ))
    .bind(value)
    .fetch_all(&mut **tx)
    .await?;
    Ok(deleted.into_iter().map(|(sid,)| sid).collect())
}

/// One `session.revoked` (kind `sso`) per ended session; how many.
pub(super) async fn record_ended(
    tx: &mut WriteTx,
    ended: &[SsoSession],
    cause: RevokeCause,
    actor: &Actor,
) -> Result<u64, AccountError> {
    for session in ended {
        let revoked = EventData::SessionRevoked(SessionRevoked {
            kind: SessionKind::Sso,
            session_id: session.sid.clone(),
            client_ids: session.client_ids.clone(),
            cause,
        });
        let event_id = events::record(tx, Some(&session.account_id), actor, &revoked).await?;
        super::backchannel::enqueue(tx, &event_id, &session.client_ids).await?;
    }
    Ok(u64::try_from(ended.len()).unwrap_or(u64::MAX))
}

/// How often expired sessions are swept out.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// Delete expired sessions every ten minutes (an expired row answers nothing meanwhile).
pub fn spawn_sso_sweep(sessions: std::sync::Arc<dyn SsoSessions>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        loop {
            every.tick().await;
            match sessions.prune_expired(now_ms()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "expired SSO sessions deleted"),
                Err(e) => {
                    tracing::warn!(error = %crate::telemetry::chain(&e), "the SSO session sweep failed; next time again");
                }
            }
        }
    });
}
