//! Filled-in avatars: stored re-encoded, `pending` until WeChat's asynchronous content check
//! answers, then `accepted` (shown) or `refused` (never shown). An account keeps its newest
//! pending avatar and its newest accepted one.

use super::db::Db;
use super::events::{self, AccountChange, AccountUpdated, Actor, EventData};
use super::rows::now_ms;
use super::{AccountError, AvatarStatus};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Store a new pending avatar (replacing the account's earlier pending or refused ones).
pub(super) async fn add(
    db: &Db,
    account_id: &str,
    id: &str,
    png: &[u8],
) -> Result<(), AccountError> {
    let mut tx = db.begin_write(&format!("account:{account_id}")).await?;
    let exists: Option<(String,)> = sqlx::query_as("SELECT id FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_none() {
        return Err(AccountError::UnknownAccount);
    }
    sqlx::query("DELETE FROM avatars WHERE account_id = $1 AND status <> 'accepted'")
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO avatars (id, account_id, png, status, trace_id, created_at) \
         VALUES ($1, $2, $3, 'pending', NULL, $4)",
    )
    .bind(id)
    .bind(account_id)
    .bind(STANDARD.encode(png))
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Remember the content check's trace id for the avatar.
pub(super) async fn set_trace(db: &Db, id: &str, trace_id: &str) -> Result<(), AccountError> {
    let mut tx = db.begin_write(&format!("avatar:{id}")).await?;
    sqlx::query("UPDATE avatars SET trace_id = $2 WHERE id = $1")
        .bind(id)
        .bind(trace_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Forget an avatar whose check could not be started.
pub(super) async fn remove(db: &Db, id: &str) -> Result<(), AccountError> {
    let mut tx = db.begin_write(&format!("avatar:{id}")).await?;
    sqlx::query("DELETE FROM avatars WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The check's verdict for `trace_id`: a pending avatar becomes accepted (the account's other
/// accepted avatars go, `account.updated` (`profile`) is recorded) or refused. `None` when no
/// pending avatar has this trace id (unknown, superseded, or already settled).
pub(super) async fn settle(
    db: &Db,
    trace_id: &str,
    accepted: bool,
) -> Result<Option<String>, AccountError> {
    let mut tx = db.begin_write(&format!("avatar-trace:{trace_id}")).await?;
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT id, account_id FROM avatars WHERE trace_id = $1 AND status = 'pending'",
    )
    .bind(trace_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id, account_id)) = row else {
        return Ok(None);
    };
    let status = if accepted {
        AvatarStatus::Accepted
    } else {
        AvatarStatus::Refused
    };
    if accepted {
        sqlx::query("DELETE FROM avatars WHERE account_id = $1 AND status = 'accepted'")
            .bind(&account_id)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("UPDATE avatars SET status = $2 WHERE id = $1")
        .bind(&id)
        .bind(status.as_str())
        .execute(&mut *tx)
        .await?;
    if accepted {
        let change = EventData::AccountUpdated(AccountUpdated::change(AccountChange::Profile));
        events::record(&mut tx, Some(&account_id), &Actor::System, &change).await?;
    }
    tx.commit().await?;
    Ok(Some(account_id))
}

/// The avatar's PNG and status; `None` when there is no such avatar.
pub(super) async fn image(
    db: &Db,
    id: &str,
) -> Result<Option<(Vec<u8>, AvatarStatus)>, AccountError> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT png, status FROM avatars WHERE id = $1")
            .bind(id)
            .fetch_optional(&db.pool)
            .await?;
    let Some((png, status)) = row else {
        return Ok(None);
    };
    let png = STANDARD
        .decode(png)
        .map_err(|e| AccountError::Inconsistent(format!("avatar {id} is not base64: {e}")))?;
    Ok(Some((png, AvatarStatus::parse(&status)?)))
}
