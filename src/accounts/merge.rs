//! Two accounts that turn out to be one person (a shared phone, or a unionid learnt late)
//! become one: the survivor takes the other's identities, refresh-token and SSO sessions (its
//! logins go on), its events (the person's history: exported and erased with the survivor),
//! and its phone when the survivor has none; the other account is deleted.
//! When both have a phone, the survivor keeps its own and the other's is released.

use super::AccountError;
use super::db::WriteTx;
use super::events::{self, AccountChange, AccountUpdated, Actor, EventData};

/// Records `account.updated` (`merged`, both ids) on the survivor.
pub(super) async fn merge_into(
    tx: &mut WriteTx,
    from: &str,
    into: &str,
) -> Result<(), AccountError> {
    let conn = &mut **tx;
    let phones: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT id, phone FROM accounts WHERE id = $1 OR id = $2")
            .bind(from)
            .bind(into)
            .fetch_all(&mut *conn)
            .await?;
    let phone_of = |id: &str| {
        phones
            .iter()
            .find(|(account, _)| account == id)
            .and_then(|(_, phone)| phone.clone())
    };
    let inherited = phone_of(from).filter(|_| phone_of(into).is_none());
    for statement in [
        "UPDATE identities SET account_id = $2 WHERE account_id = $1",
        "UPDATE refresh_families SET account_id = $2 WHERE account_id = $1",
        "UPDATE sso_sessions SET account_id = $2 WHERE account_id = $1",
        "UPDATE events SET account_id = $2 WHERE account_id = $1",
    ] {
        sqlx::query(statement)
            .bind(from)
            .bind(into)
            .execute(&mut *conn)
            .await?;
    }
    // Deleted before the phone moves: a number is bound to one account at a time.
    sqlx::query("DELETE FROM accounts WHERE id = $1")
        .bind(from)
        .execute(&mut *conn)
        .await?;
    if let Some(phone) = inherited {
        sqlx::query("UPDATE accounts SET phone = $2 WHERE id = $1")
            .bind(into)
            .bind(phone)
            .execute(&mut *conn)
            .await?;
    }
    let merged = EventData::AccountUpdated(AccountUpdated {
        change: AccountChange::Merged,
        merged_from: Some(from.to_owned()),
        merged_into: Some(into.to_owned()),
    });
    events::record(tx, Some(into), &Actor::System, &merged).await?;
    Ok(())
}
