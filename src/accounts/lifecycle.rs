//! The account lifecycle an admin (or the person) drives: disable, enable, delete. Each is one
//! write transaction with its events.

use super::events::{
    self, AccountDeleted, AccountDisabled, AccountEnabled, Actor, DeletedBy, EventData,
    RevokeCause, SessionKind, SessionRevoked,
};
use super::rows::now_ms;
use super::{AccountError, SqlAccounts};
use async_trait::async_trait;

/// What an admin may do to an account.
#[async_trait]
pub trait Lifecycle: Send + Sync {
    /// Disable: no login completes any more, and every refresh-token session is revoked now
    /// (access tokens already issued live out their few minutes). `UnknownAccount`;
    /// `AlreadyDisabled` changes nothing. How many sessions were revoked.
    async fn disable(
        &self,
        account_id: &str,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<u64, AccountError>;
    /// Enable a disabled account. `UnknownAccount`; `NotDisabled` changes nothing.
    async fn enable(&self, account_id: &str, actor: &Actor) -> Result<(), AccountError>;
    /// Erase: the account, its identities, phone, sessions and tokens, and its events; one
    /// `account.deleted` event (the id, when, who asked) is all that remains.
    /// `UnknownAccount` for an account that does not exist (or was deleted already).
    async fn delete(
        &self,
        account_id: &str,
        by: DeletedBy,
        actor: &Actor,
    ) -> Result<(), AccountError>;
}

#[async_trait]
impl Lifecycle for SqlAccounts {
    async fn disable(
        &self,
        account_id: &str,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<u64, AccountError> {
        let mut tx = self
            .db
            .begin_write(&format!("account:{account_id}"))
            .await?;
        let state: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT disabled_at FROM accounts WHERE id = $1")
                .bind(account_id)
                .fetch_optional(&mut *tx)
                .await?;
        match state {
            None => return Err(AccountError::UnknownAccount),
            Some((Some(_),)) => return Err(AccountError::AlreadyDisabled),
            Some((None,)) => {}
        }
        let now = now_ms();
        sqlx::query("UPDATE accounts SET disabled_at = $2, disabled_reason = $3 WHERE id = $1")
            .bind(account_id)
            .bind(now)
            .bind(reason)
            .execute(&mut *tx)
            .await?;
        let revoked = revoke_families(&mut tx, account_id, RevokeCause::Disabled, actor).await?;
        let disabled = EventData::AccountDisabled(AccountDisabled {
            reason: reason.map(str::to_owned),
            refresh_sessions_revoked: revoked,
        });
        events::record(&mut tx, Some(account_id), actor, &disabled).await?;
        tx.commit().await?;
        Ok(revoked)
    }

    async fn enable(&self, account_id: &str, actor: &Actor) -> Result<(), AccountError> {
        let mut tx = self
            .db
            .begin_write(&format!("account:{account_id}"))
            .await?;
        let state: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT disabled_at FROM accounts WHERE id = $1")
                .bind(account_id)
                .fetch_optional(&mut *tx)
                .await?;
        match state {
            None => return Err(AccountError::UnknownAccount),
            Some((None,)) => return Err(AccountError::NotDisabled),
            Some((Some(_),)) => {}
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
        // phone is a column of the account.
        let deleted = sqlx::query("DELETE FROM accounts WHERE id = $1")
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(AccountError::UnknownAccount);
        }
        // Its events name its logins' addresses and user agents: personal data, erased too.
        sqlx::query("DELETE FROM events WHERE account_id = $1")
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        let deleted = EventData::AccountDeleted(AccountDeleted { by });
        events::record(&mut tx, Some(account_id), actor, &deleted).await?;
        tx.commit().await?;
        Ok(())
    }
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
