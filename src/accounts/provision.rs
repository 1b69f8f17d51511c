//! Provisioning: an account made by an admin ahead of its first login (`POST
//! /admin/v1/accounts`), holding a phone number and/or a unionid. The first login with that
//! unionid links to it (`identities.rs`, `account_of_unionid`); binding that phone number
//! joins it (`phone_binding.rs`). Under `accounts.sign_up = "provisioned_only"`, a unionid
//! provisioned here lets its person in.

use super::db::Db;
use super::events::{self, AccountCreated, Actor, EventData};
use super::identities::load_account;
use super::rows::now_ms;
use super::{Account, AccountError, Phone};
use crate::ids::UnionId;

/// One new account holding `phone` and/or `unionid`, recorded as `account.created`
/// (`provisioned: true`) by `actor`. `AccountExists` when an account holds either already:
/// nothing is created.
pub(super) async fn provision(
    db: &Db,
    phone: Option<&Phone>,
    unionid: Option<&UnionId>,
    actor: &Actor,
) -> Result<Account, AccountError> {
    // The key logins by this unionid take (identities.rs), else the phone binding's.
    let key = match (unionid, phone) {
        (Some(unionid), _) => format!("unionid:{unionid}"),
        (None, Some(phone)) => format!("phone:{phone}"),
        (None, None) => return Err(AccountError::Inconsistent("provisioned nothing".into())),
    };
    let mut tx = db.begin_write(&key).await?;
    if let Some(phone) = phone {
        let owner: Option<(String,)> = sqlx::query_as("SELECT id FROM accounts WHERE phone = $1")
            .bind(phone.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if owner.is_some() {
            return Err(AccountError::AccountExists);
        }
    }
    if let Some(unionid) = unionid {
        let holder: Option<(String,)> = sqlx::query_as(
            "SELECT account_id FROM identities WHERE unionid = $1 \
             UNION SELECT id FROM accounts WHERE provisioned_unionid = $1",
        )
        .bind(unionid.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        if holder.is_some() {
            return Err(AccountError::AccountExists);
        }
    }
    let id = uuid::Uuid::new_v4().to_string();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO accounts \
         (id, phone, created_at, provisioned_at, provisioned_unionid, phone_provisioned_at) \
         VALUES ($1, $2, $3, $3, $4, $5)",
    )
    .bind(&id)
    .bind(phone.map(Phone::as_str))
    .bind(now)
    .bind(unionid.map(UnionId::as_str))
    .bind(phone.map(|_| now))
    .execute(&mut *tx)
    .await?;
    let created = EventData::AccountCreated(AccountCreated {
        login: None,
        provisioned: true,
    });
    events::record(&mut tx, Some(&id), actor, &created).await?;
    let account = load_account(&mut tx, &id)
        .await?
        .ok_or_else(|| AccountError::Inconsistent(format!("lost the account {id} it created")))?;
    tx.commit().await?;
    Ok(account)
}
