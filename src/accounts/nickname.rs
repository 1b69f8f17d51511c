//! Setting the filled-in nickname (after WeChat's content check passed it): the profile's one
//! write, apart from `profiles.rs` (what an account loads) as the phone binding is.

use super::db::Db;
use super::events::{self, AccountChange, AccountUpdated, Actor, EventData};
use super::identities::load_account;
use super::rows::now_ms;
use super::{Account, AccountError};

/// Set the account's nickname, recording `account.updated` (`profile`) by the person.
pub(super) async fn set_nickname(
    db: &Db,
    account_id: &str,
    nickname: &str,
) -> Result<Account, AccountError> {
    let mut tx = db.begin_write(&format!("account:{account_id}")).await?;
    let exists: Option<(String,)> = sqlx::query_as("SELECT id FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_none() {
        return Err(AccountError::UnknownAccount);
    }
    sqlx::query(
        "INSERT INTO profiles (account_id, nickname, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id) DO UPDATE SET nickname = excluded.nickname, \
         updated_at = excluded.updated_at",
    )
    .bind(account_id)
    .bind(nickname)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    let change = EventData::AccountUpdated(AccountUpdated::change(AccountChange::Profile));
    let actor = Actor::Account(account_id.to_owned());
    events::record(&mut tx, Some(account_id), &actor, &change).await?;
    let account = load_account(&mut tx, account_id)
        .await?
        .ok_or(AccountError::UnknownAccount)?;
    tx.commit().await?;
    Ok(account)
}
