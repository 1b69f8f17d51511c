//! Binding a verified phone number, and linking accounts that turn out to share one.

use super::db::Db;
use super::events::{self, AccountChange, AccountUpdated, Actor, EventData};
use super::identities::load_account;
use super::merge::merge_into;
use super::{AccountError, Phone, PhoneBinding};

pub(super) async fn bind_phone(
    db: &Db,
    account_id: &str,
    phone: &Phone,
) -> Result<PhoneBinding, AccountError> {
    let mut tx = db.begin_write(&format!("phone:{phone}")).await?;
    let exists: Option<(String,)> = sqlx::query_as("SELECT id FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_none() {
        return Err(AccountError::UnknownAccount);
    }
    let owner: Option<(String,)> = sqlx::query_as("SELECT id FROM accounts WHERE phone = $1")
        .bind(phone.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    let (target, linked) = match owner {
        Some((owner,)) if owner == account_id => (owner, false),
        None => {
            sqlx::query("UPDATE accounts SET phone = $2 WHERE id = $1")
                .bind(account_id)
                .bind(phone.as_str())
                .execute(&mut *tx)
                .await?;
            let bound =
                EventData::AccountUpdated(AccountUpdated::change(AccountChange::PhoneBound));
            events::record(&mut tx, Some(account_id), &Actor::System, &bound).await?;
            (account_id.to_string(), false)
        }
        Some((owner,)) => {
            // The phone proves this is the owner's person: everything that logs into this
            // account moves there, sessions included, and this account is gone.
            merge_into(&mut tx, account_id, &owner).await?;
            (owner, true)
        }
    };
    // Whoever binds the number proved it: an admin's provisioned number is now the verified one.
    sqlx::query("UPDATE accounts SET phone_provisioned_at = NULL WHERE id = $1 AND phone = $2")
        .bind(&target)
        .bind(phone.as_str())
        .execute(&mut *tx)
        .await?;
    let account = load_account(&mut tx, &target)
        .await?
        .ok_or(AccountError::UnknownAccount)?;
    tx.commit().await?;
    Ok(PhoneBinding { account, linked })
}
