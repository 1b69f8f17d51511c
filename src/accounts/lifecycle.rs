//! The account lifecycle an admin (or the person) drives: disable, enable, delete. Each is one
//! write transaction with its events.

use super::events::{
    self, AccountDeleted, AccountDisabled, AccountEnabled, Actor, DeletedBy, EventData,
    RevokeCause, SessionKind, SessionRevoked,
};
use super::rows::now_ms;
use super::sso;
use super::{AccountError, SqlAccounts};
use async_trait::async_trait;

/// What an admin may do to an account.
#[async_trait]
pub trait Lifecycle: Send + Sync {
    /// Disable: no login completes any more, and every refresh-token and SSO session ends now
    /// (access tokens already issued live out their few minutes). `UnknownAccount`;
    /// `AlreadyDisabled` changes nothing. How many sessions ended.
    async fn disable(
        &self,
        account_id: &str,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<Ended, AccountError>;
    /// Enable a disabled account. `UnknownAccount`; `NotDisabled` changes nothing.
    async fn enable(&self, account_id: &str, actor: &Actor) -> Result<(), AccountError>;
    /// Erase: the account, its identities, phone, sessions and tokens, and its events; one
    /// `account.deleted` event (the id, when, who asked) remains, with a `session.revoked`
    /// (cause `deleted`, no personal data) per SSO session it ended.
    /// `UnknownAccount` for an account that does not exist (or was deleted already).
    async fn delete(
        &self,
        account_id: &str,
        by: DeletedBy,
        actor: &Actor,
    ) -> Result<(), AccountError>;
    /// An account ahead of its first login, holding `phone` and/or `unionid` (at least one),
    /// `account.created` by `actor`. `AccountExists` when an account holds either: nothing
    /// is created (`provision.rs`).
    async fn provision(
        &self,
        phone: Option<&super::Phone>,
        unionid: Option<&crate::ids::UnionId>,
        actor: &Actor,
    ) -> Result<super::Account, AccountError>;
    /// The account's live refresh-token sessions (a token neither used nor expired), oldest
    /// first. `UnknownAccount`.
    async fn sessions(&self, account_id: &str) -> Result<Vec<RefreshSession>, AccountError>;
    /// End them all, and the account's SSO sessions (`session.revoked` each, cause `admin`);
    /// how many. `UnknownAccount`.
    async fn end_sessions(&self, account_id: &str, actor: &Actor) -> Result<Ended, AccountError>;
    /// Accounts whose id, phone, openid or unionid is `query`, or whose nickname contains it
    /// (every account for an empty query), newest first, strictly before the cursor
    /// `(created_at, id)`, at most `limit`.
    async fn search(
        &self,
        query: &str,
        before: Option<(i64, String)>,
        limit: u32,
    ) -> Result<Vec<super::Account>, AccountError>;
}

/// How many sessions of each kind ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ended {
    pub refresh: u64,
    pub sso: u64,
}

/// A live refresh-token family: one login session of Saoma's API or of an OpenID client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshSession {
    pub id: String,
    /// The OpenID client it was issued to; `None`: Saoma's own API.
    pub client_id: Option<String>,
    pub provider: String,
    pub app_id: String,
    /// Unix milliseconds: the login, and the last rotation.
    pub created_at: i64,
    pub last_used_at: i64,
}

#[async_trait]
impl Lifecycle for SqlAccounts {
    async fn disable(
        &self,
        account_id: &str,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<Ended, AccountError> {
        let mut tx = self
            .db
            .begin_write(&format!("account:{account_id}"))
            .await?;
        if disabled_at(&mut tx, account_id).await?.is_some() {
            return Err(AccountError::AlreadyDisabled);
        }
        let now = now_ms();
        sqlx::query("UPDATE accounts SET disabled_at = $2, disabled_reason = $3 WHERE id = $1")
            .bind(account_id)
            .bind(now)
            .bind(reason)
            .execute(&mut *tx)
            .await?;
        let ended = end_all(&mut tx, account_id, RevokeCause::Disabled, actor).await?;
        let disabled = EventData::AccountDisabled(AccountDisabled {
            reason: reason.map(str::to_owned),
            refresh_sessions_revoked: ended.refresh,
        });
        events::record(&mut tx, Some(account_id), actor, &disabled).await?;
        tx.commit().await?;
        Ok(ended)
    }

    async fn enable(&self, account_id: &str, actor: &Actor) -> Result<(), AccountError> {
        let mut tx = self
            .db
            .begin_write(&format!("account:{account_id}"))
            .await?;
        if disabled_at(&mut tx, account_id).await?.is_none() {
            return Err(AccountError::NotDisabled);
        }
        sqlx::query("UPDATE accounts SET disabled_at = NULL, disabled_reason = NULL WHERE id = $1")
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        let enabled = EventData::AccountEnabled(AccountEnabled { was_disabled: true });
        events::record(&mut tx, Some(account_id), actor, &enabled).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete(
        &self,
        account_id: &str,
        by: DeletedBy,
        actor: &Actor,
    ) -> Result<(), AccountError> {
        let mut tx = self
            .db
            .begin_write(&format!("account:{account_id}"))
            .await?;
        // Identities, refresh families and their tokens go with it (ON DELETE CASCADE); the
        // phone is a column of the account. SSO sessions are taken out first, to be recorded
        // as ended once the account's own events are erased.
        let sso_ended = sso::take_all(&mut tx, account_id).await?;
        let deleted = sqlx::query("DELETE FROM accounts WHERE id = $1")
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(AccountError::UnknownAccount);
        }
        // Its events name its logins' addresses and user agents: personal data, erased too,
        // with the deliveries still waiting for them (there is nothing left to send).
        sqlx::query(
            "DELETE FROM webhook_deliveries WHERE event_id IN \
             (SELECT id FROM events WHERE account_id = $1)",
        )
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM events WHERE account_id = $1")
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        sso::record_ended(&mut tx, &sso_ended, RevokeCause::Deleted, actor).await?;
        let deleted = EventData::AccountDeleted(AccountDeleted { by });
        events::record(&mut tx, Some(account_id), actor, &deleted).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn sessions(&self, account_id: &str) -> Result<Vec<RefreshSession>, AccountError> {
        let mut conn = self.db.pool.acquire().await?;
        let known: Option<(String,)> = sqlx::query_as("SELECT id FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&mut *conn)
            .await?;
        if known.is_none() {
            return Err(AccountError::UnknownAccount);
        }
        let rows: Vec<(String, Option<String>, String, String, i64, i64)> = sqlx::query_as(
            "SELECT f.id, f.client_id, f.provider, f.app_id, f.created_at, MAX(t.created_at) \
             FROM refresh_families f JOIN refresh_tokens t ON t.family_id = f.id \
             WHERE f.account_id = $1 AND f.revoked_at IS NULL \
             GROUP BY f.id, f.client_id, f.provider, f.app_id, f.created_at \
             HAVING MAX(CASE WHEN t.used_at IS NULL AND t.expires_at > $2 THEN 1 ELSE 0 END) = 1 \
             ORDER BY f.created_at, f.id",
        )
        .bind(account_id)
        .bind(now_ms())
        .fetch_all(&mut *conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, client_id, provider, app_id, created_at, last_used_at)| RefreshSession {
                    id,
                    client_id,
                    provider,
                    app_id,
                    created_at,
                    last_used_at,
                },
            )
            .collect())
    }

    async fn provision(
        &self,
        phone: Option<&super::Phone>,
        unionid: Option<&crate::ids::UnionId>,
        actor: &Actor,
    ) -> Result<super::Account, AccountError> {
        super::provision::provision(&self.db, phone, unionid, actor).await
    }

    async fn search(
        &self,
        query: &str,
        before: Option<(i64, String)>,
        limit: u32,
    ) -> Result<Vec<super::Account>, AccountError> {
        let phone = super::Phone::parse(query)
            .map(|p| p.as_str().to_owned())
            .ok();
        // No cursor: before every account (no account is created at i64::MAX).
        let (at, id) = before.unwrap_or((i64::MAX, String::new()));
        let sql = "SELECT a.id, a.created_at FROM accounts a WHERE ($1 = '' OR a.id = $1 \
             OR a.phone = $2 OR a.provisioned_unionid = $1 \
             OR EXISTS (SELECT 1 FROM identities i WHERE i.account_id = a.id \
             AND (i.openid = $1 OR i.unionid = $1 OR i.nickname LIKE $3))) \
             AND (a.created_at, a.id) < ($4, $5) \
             ORDER BY a.created_at DESC, a.id DESC LIMIT $6";
        let like = format!("%{}%", query.replace(['\\', '%', '_'], ""));
        let mut conn = self.db.pool.acquire().await?;
        let ids: Vec<(String, i64)> = sqlx::query_as(sql)
            .bind(query)
            .bind(phone.unwrap_or_else(|| query.to_owned()))
            .bind(like)
            .bind(at)
            .bind(id)
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await?;
        let mut accounts = Vec::with_capacity(ids.len());
        for (id, _) in ids {
            if let Some(account) = super::identities::load_account(&mut conn, &id).await? {
                accounts.push(account);
            }
        }
        Ok(accounts)
    }

    async fn end_sessions(&self, account_id: &str, actor: &Actor) -> Result<Ended, AccountError> {
        let mut tx = self
            .db
            .begin_write(&format!("account:{account_id}"))
            .await?;
        if !exists(&mut tx, account_id).await? {
            return Err(AccountError::UnknownAccount);
        }
        let ended = end_all(&mut tx, account_id, RevokeCause::Admin, actor).await?;
        tx.commit().await?;
        Ok(ended)
    }
}

async fn exists(tx: &mut super::db::WriteTx, account_id: &str) -> Result<bool, AccountError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT id FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.is_some())
}

/// End every refresh family and SSO session of the account, one `session.revoked` each.
async fn end_all(
    tx: &mut super::db::WriteTx,
    account_id: &str,
    cause: RevokeCause,
    actor: &Actor,
) -> Result<Ended, AccountError> {
    let refresh = revoke_families(tx, account_id, cause, actor).await?;
    let taken = sso::take_all(tx, account_id).await?;
    let sso = sso::record_ended(tx, &taken, cause, actor).await?;
    Ok(Ended { refresh, sso })
}

/// Revoke every live refresh family of the account, one `session.revoked` each.
async fn revoke_families(
    tx: &mut super::db::WriteTx,
    account_id: &str,
    cause: RevokeCause,
    actor: &Actor,
) -> Result<u64, AccountError> {
    let live: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT id, client_id FROM refresh_families WHERE account_id = $1 AND revoked_at IS NULL",
    )
    .bind(account_id)
    .fetch_all(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE refresh_families SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL",
    )
    .bind(account_id)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    for (family, client_id) in &live {
        let revoked = EventData::SessionRevoked(SessionRevoked {
            kind: SessionKind::Refresh,
            session_id: family.clone(),
            client_ids: client_id.iter().cloned().collect(),
            cause,
        });
        events::record(tx, Some(account_id), actor, &revoked).await?;
    }
    Ok(u64::try_from(live.len()).unwrap_or(u64::MAX))
}

/// When the account was disabled (`None`: it is not); an unknown account is an error.
async fn disabled_at(
    tx: &mut super::db::WriteTx,
    account_id: &str,
) -> Result<Option<i64>, AccountError> {
    let state: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT disabled_at FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&mut **tx)
            .await?;
    state
        .map(|(disabled_at,)| disabled_at)
        .ok_or(AccountError::UnknownAccount)
}
