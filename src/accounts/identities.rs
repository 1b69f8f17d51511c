//! Identities and the accounts they log into: find or create, link by unionid, load.

use super::db::{Db, WriteTx};
use super::events::{
    self, AccountChange, AccountCreated, AccountUpdated, Actor, EventData, LoginDetails,
    LoginRefused, LoginSucceeded, NewEvent, RevokeCause,
};
use super::login_writes::{LoginWrite, LoginWriter};
use super::rows::{corrupt, from_ms, now_ms, parse_provider};
use super::{Account, AccountError, Admission, Disabled, Identity, NewIdentity, Profile};
use crate::config::SignUp;
use crate::ids::{AppId, OpenId, UnionId};
use crate::scene::Refusal;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// One attempt; `None` when another writer inserted the same identity first.
pub(super) async fn try_log_in(
    db: &Db,
    writer: &LoginWriter,
    policy: LoginPolicy,
    identity: &NewIdentity,
    login: &LoginDetails,
) -> Result<Option<Admission>, AccountError> {
    if let Some(account) = known_unchanged(db, identity).await? {
        // A returning user whose login changes nothing: the event is the only write, grouped
        // with the other logins' events of the moment (one transaction for all of them).
        let (admission, outcome) = admit(account, login);
        let event = NewEvent::new(admission.account_id(), &Actor::System, &outcome, now_ms())?;
        writer.write(db, LoginWrite::Event(event)).await?;
        return Ok(Some(admission));
    }
    let now = now_ms();
    let lock_key = match (&identity.unionid, policy.link_by_unionid) {
        (Some(unionid), true) => format!("unionid:{unionid}"),
        _ => format!("identity:{}:{}", identity.app_id, identity.openid),
    };
    let mut tx = db.begin_write(&lock_key).await?;
    let existing: Option<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT account_id, nickname, avatar FROM identities WHERE app_id = $1 AND openid = $2",
    )
    .bind(identity.app_id.as_str())
    .bind(identity.openid.as_str())
    .fetch_optional(&mut *tx)
    .await?;

    let (account_id, created) = match existing {
        Some((account_id, nickname, avatar)) => {
            sqlx::query(
                "UPDATE identities SET unionid = COALESCE(unionid, $3), \
                 nickname = COALESCE($4, nickname), avatar = COALESCE($5, avatar) \
                 WHERE app_id = $1 AND openid = $2",
            )
            .bind(identity.app_id.as_str())
            .bind(identity.openid.as_str())
            .bind(identity.unionid.as_ref().map(UnionId::as_str))
            .bind(identity.nickname.as_deref())
            .bind(identity.avatar.as_deref())
            .execute(&mut *tx)
            .await?;
            let news = |new: Option<&String>, known: Option<String>| {
                new.is_some() && new != known.as_ref()
            };
            if news(identity.nickname.as_ref(), nickname) || news(identity.avatar.as_ref(), avatar)
            {
                let change =
                    EventData::AccountUpdated(AccountUpdated::change(AccountChange::Profile));
                events::record(&mut tx, Some(&account_id), &Actor::System, &change).await?;
            }
            let account_id = if policy.link_by_unionid {
                join_by_unionid(&mut tx, identity, account_id).await?
            } else {
                account_id
            };
            (account_id, false)
        }
        None => {
            let linked = if policy.link_by_unionid {
                account_of_unionid(&mut tx, identity).await?
            } else {
                None
            };
            let (account_id, created) = match linked {
                Some(account_id) => (account_id, false),
                None if policy.sign_up == SignUp::ProvisionedOnly => {
                    let refused = EventData::LoginRefused(LoginRefused {
                        login: login.clone(),
                        reason: Refusal::NotProvisioned,
                    });
                    events::record(&mut tx, None, &Actor::System, &refused).await?;
                    tx.commit().await?;
                    return Ok(Some(Admission::Refused {
                        account_id: None,
                        reason: Refusal::NotProvisioned,
                    }));
                }
                None => {
                    let account_id = uuid::Uuid::new_v4().to_string();
                    sqlx::query(
                        "INSERT INTO accounts (id, phone, created_at) VALUES ($1, NULL, $2)",
                    )
                    .bind(&account_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    (account_id, true)
                }
            };
            let inserted = sqlx::query(
                "INSERT INTO identities \
                 (provider, app_id, openid, unionid, account_id, nickname, avatar, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (app_id, openid) DO NOTHING",
            )
            .bind(identity.provider.as_str())
            .bind(identity.app_id.as_str())
            .bind(identity.openid.as_str())
            .bind(identity.unionid.as_ref().map(UnionId::as_str))
            .bind(&account_id)
            .bind(identity.nickname.as_deref())
            .bind(identity.avatar.as_deref())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if inserted.rows_affected() == 0 {
                // Lost a race (possible where writers are not serialized, as on PostgreSQL):
                // drop the account we may have created and read the winner's.
                tx.rollback().await?;
                return Ok(None);
            }
            (account_id, created)
        }
    };
    if created {
        // What this transaction wrote is the whole account: nothing to read back. Its two
        // events are one insert (every statement here holds SQLite's one write turn).
        let account = first_account(account_id, identity, now)?;
        let account_created = EventData::AccountCreated(AccountCreated {
            login: Some(login.clone()),
            provisioned: false,
        });
        let succeeded = EventData::LoginSucceeded(LoginSucceeded {
            login: login.clone(),
        });
        let id = Some(account.id.as_str());
        events::record_all(
            &mut tx,
            &Actor::System,
            &[(id, &account_created), (id, &succeeded)],
        )
        .await?;
        tx.commit().await?;
        return Ok(Some(Admission::Admitted {
            account,
            created: true,
        }));
    }
    let Some(account) = load_account(&mut tx, &account_id).await? else {
        return Err(AccountError::Inconsistent(format!(
            "has an identity pointing at a missing account {account_id}"
        )));
    };
    let (admission, outcome) = admit(account, login);
    events::record(&mut tx, admission.account_id(), &Actor::System, &outcome).await?;
    tx.commit().await?;
    Ok(Some(admission))
}

/// The account a first login has just created: no phone, this one identity, nothing filled in.
fn first_account(id: String, identity: &NewIdentity, now: i64) -> Result<Account, AccountError> {
    let created_at = from_ms(now)?;
    Ok(Account {
        id,
        phone: None,
        provisioned_phone: None,
        created_at,
        identities: vec![Identity {
            provider: identity.provider,
            app_id: identity.app_id.clone(),
            openid: identity.openid.clone(),
            unionid: identity.unionid.clone(),
            nickname: identity.nickname.clone(),
            avatar: identity.avatar.clone(),
            created_at,
        }],
        disabled: None,
        provisioned_at: None,
        profile: Profile::default(),
    })
}

/// How logins find their account: `accounts.link_by_unionid` and `accounts.sign_up`.
#[derive(Debug, Clone, Copy)]
pub(super) struct LoginPolicy {
    pub(super) link_by_unionid: bool,
    pub(super) sign_up: SignUp,
}

/// The account is found: a disabled one is refused, any other logs in; the event says which.
fn admit(account: Account, login: &LoginDetails) -> (Admission, EventData) {
    if account.disabled.is_some() {
        let reason = Refusal::AccountDisabled;
        let refused = EventData::LoginRefused(LoginRefused {
            login: login.clone(),
            reason,
        });
        let admission = Admission::Refused {
            account_id: Some(account.id),
            reason,
        };
        return (admission, refused);
    }
    let succeeded = EventData::LoginSucceeded(LoginSucceeded {
        login: login.clone(),
    });
    let admission = Admission::Admitted {
        account,
        created: false,
    };
    (admission, succeeded)
}

/// See [`super::AccountStore::unlink`].
pub(super) async fn unlink(db: &Db, app_id: &AppId, openid: &OpenId) -> Result<bool, AccountError> {
    let mut tx = db
        .begin_write(&format!("identity:{app_id}:{openid}"))
        .await?;
    let owner: Option<(String,)> = sqlx::query_as(
        "DELETE FROM identities WHERE app_id = $1 AND openid = $2 RETURNING account_id",
    )
    .bind(app_id.as_str())
    .bind(openid.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let Some((account_id,)) = owner else {
        return Ok(false);
    };
    sqlx::query(
        "UPDATE refresh_families SET revoked_at = $3 \
         WHERE account_id = $1 AND app_id = $2 AND revoked_at IS NULL",
    )
    .bind(&account_id)
    .bind(app_id.as_str())
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    // Its SSO sessions through that app end; all of them when the account goes.
    let left: Option<(String,)> =
        sqlx::query_as("SELECT account_id FROM identities WHERE account_id = $1 LIMIT 1")
            .bind(&account_id)
            .fetch_optional(&mut *tx)
            .await?;
    let ended = match left {
        Some(_) => super::sso::take_of_app(&mut tx, &account_id, app_id.as_str()).await?,
        None => super::sso::take_all(&mut tx, &account_id).await?,
    };
    super::sso::record_ended(&mut tx, &ended, RevokeCause::Unlinked, &Actor::System).await?;
    sqlx::query(
        "DELETE FROM accounts WHERE id = $1 \
         AND NOT EXISTS (SELECT 1 FROM identities WHERE account_id = $1)",
    )
    .bind(&account_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The account already holding this identity's unionid, if any. Should two accounts hold it (an
/// identity that learnt its unionid after another identity had created an account for it), the
/// oldest wins, so the answer is stable.
async fn account_of_unionid(
    conn: &mut AnyConnection,
    identity: &NewIdentity,
) -> Result<Option<String>, AccountError> {
    let Some(unionid) = &identity.unionid else {
        return Ok(None);
    };
    // One statement (it runs in the write turn): an identity's account first, else the one
    // provisioned ahead of its first login (`POST /admin/v1/accounts`).
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT account_id FROM ( \
           SELECT i.account_id, 0 AS provisioned, a.created_at FROM identities i \
             JOIN accounts a ON a.id = i.account_id WHERE i.unionid = $1 \
           UNION ALL \
           SELECT id, 1, created_at FROM accounts WHERE provisioned_unionid = $1 \
         ) holders ORDER BY provisioned, created_at, account_id LIMIT 1",
    )
    .bind(unionid.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(account_id,)| account_id))
}

/// A login revealed this identity's unionid: every account holding it is the same person, and
/// they become one, the oldest surviving (the account `account_of_unionid` links new
/// identities to). See `merge.rs` for what moves. The survivor's id.
async fn join_by_unionid(
    conn: &mut WriteTx,
    identity: &NewIdentity,
    account_id: String,
) -> Result<String, AccountError> {
    let Some(unionid) = &identity.unionid else {
        return Ok(account_id);
    };
    let holders: Vec<(String, i64)> = sqlx::query_as(
        "SELECT DISTINCT a.id, a.created_at FROM identities i JOIN accounts a \
         ON a.id = i.account_id WHERE i.unionid = $1 ORDER BY a.created_at, a.id",
    )
    .bind(unionid.as_str())
    .fetch_all(&mut **conn)
    .await?;
    let Some(((survivor, _), others)) = holders.split_first() else {
        return Ok(account_id);
    };
    for (other, _) in others {
        tracing::info!(
            into = %survivor,
            from = %other,
            "accounts joined: a login revealed that they share a unionid"
        );
        super::merge::merge_into(conn, other, survivor).await?;
    }
    Ok(survivor.clone())
}

/// An account and its identities, one row per identity (one row of NULL identity columns for
/// a provisioned account that has none yet), with its filled-in profile, for the accounts
/// `$which` selects: one statement (a returning person's login reads only this). A literal, so
/// no SQL is built per call on the login path. The newest avatar comes first: an upload
/// deletes the account's avatars that are not accepted, so one that is not is the newest (a
/// millisecond clock cannot tell two quick uploads apart).
macro_rules! account_rows {
    ($which:literal) => {
        concat!(
            "SELECT a.id, a.phone, a.created_at, a.disabled_at, a.disabled_reason, ",
            "a.provisioned_at, ",
            "i.provider, i.app_id, i.openid, i.unionid, i.nickname, i.avatar, i.created_at, ",
            "a.phone_provisioned_at, ",
            "(SELECT nickname FROM profiles WHERE account_id = a.id), ",
            "(SELECT id FROM avatars WHERE account_id = a.id ",
            "ORDER BY CASE WHEN status = 'accepted' THEN 1 ELSE 0 END, created_at DESC, id LIMIT 1), ",
            "(SELECT status FROM avatars WHERE account_id = a.id ",
            "ORDER BY CASE WHEN status = 'accepted' THEN 1 ELSE 0 END, created_at DESC, id LIMIT 1), ",
            "(SELECT id FROM avatars WHERE account_id = a.id AND status = 'accepted' ",
            "ORDER BY created_at DESC, id LIMIT 1) ",
            "FROM accounts a LEFT JOIN identities i ON i.account_id = a.id WHERE a.id = ",
            $which,
            " ORDER BY i.created_at, i.app_id, i.openid"
        )
    };
}

/// A row of [`account_rows`].
struct AccountRow {
    id: String,
    phone: Option<String>,
    created_at: i64,
    disabled_at: Option<i64>,
    disabled_reason: Option<String>,
    provisioned_at: Option<i64>,
    provider: Option<String>,
    app_id: Option<String>,
    openid: Option<String>,
    unionid: Option<String>,
    nickname: Option<String>,
    avatar: Option<String>,
    identity_created_at: Option<i64>,
    phone_provisioned_at: Option<i64>,
    profile_nickname: Option<String>,
    newest_avatar: Option<String>,
    newest_avatar_status: Option<String>,
    shown_avatar: Option<String>,
}

impl sqlx::FromRow<'_, AnyRow> for AccountRow {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(AccountRow {
            id: row.try_get(0)?,
            phone: row.try_get(1)?,
            created_at: row.try_get(2)?,
            disabled_at: row.try_get(3)?,
            disabled_reason: row.try_get(4)?,
            provisioned_at: row.try_get(5)?,
            provider: row.try_get(6)?,
            app_id: row.try_get(7)?,
            openid: row.try_get(8)?,
            unionid: row.try_get(9)?,
            nickname: row.try_get(10)?,
            avatar: row.try_get(11)?,
            identity_created_at: row.try_get(12)?,
            phone_provisioned_at: row.try_get(13)?,
            profile_nickname: row.try_get(14)?,
            newest_avatar: row.try_get(15)?,
            newest_avatar_status: row.try_get(16)?,
            shown_avatar: row.try_get(17)?,
        })
    }
}

/// A returning user's login: the identity exists and this login tells nothing new about it
/// (no unionid it lacks, no other nickname or avatar). One read, outside the write turn.
async fn known_unchanged(db: &Db, identity: &NewIdentity) -> Result<Option<Account>, AccountError> {
    let rows: Vec<AccountRow> = sqlx::query_as(account_rows!(
        "(SELECT account_id FROM identities WHERE app_id = $1 AND openid = $2)"
    ))
    .bind(identity.app_id.as_str())
    .bind(identity.openid.as_str())
    .fetch_all(&db.pool)
    .await?;
    let Some(account) = account_from_rows(rows)? else {
        return Ok(None);
    };
    let news = |new: Option<&str>, known: Option<&str>| new.is_some() && new != known;
    let unchanged = account.identities.iter().any(|known| {
        known.app_id == identity.app_id
            && known.openid == identity.openid
            && (identity.unionid.is_none() || known.unionid.is_some())
            && !news(identity.nickname.as_deref(), known.nickname.as_deref())
            && !news(identity.avatar.as_deref(), known.avatar.as_deref())
    });
    Ok(unchanged.then_some(account))
}

pub(super) async fn load_account(
    conn: &mut AnyConnection,
    account_id: &str,
) -> Result<Option<Account>, AccountError> {
    let rows: Vec<AccountRow> = sqlx::query_as(account_rows!("$1"))
        .bind(account_id)
        .fetch_all(&mut *conn)
        .await?;
    account_from_rows(rows)
}

fn account_from_rows(rows: Vec<AccountRow>) -> Result<Option<Account>, AccountError> {
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let (id, created_at) = (first.id.clone(), first.created_at);
    // A number an admin provisioned is no one's until proven (migration 0013).
    let (phone, provisioned_phone) = match first.phone_provisioned_at {
        None => (first.phone.clone(), None),
        Some(_) => (None, first.phone.clone()),
    };
    let disabled = match first.disabled_at {
        Some(at) => Some(Disabled {
            at: from_ms(at)?,
            reason: first.disabled_reason.clone(),
        }),
        None => None,
    };
    let provisioned_at = first.provisioned_at.map(from_ms).transpose()?;
    let profile = Profile::from_columns(
        first.profile_nickname.clone(),
        first.newest_avatar.clone(),
        first.newest_avatar_status.as_deref(),
        first.shown_avatar.clone(),
    )?;
    let identities = rows
        .into_iter()
        .filter_map(|row| identity_from_row(row).transpose())
        .collect::<Result<_, _>>()?;
    Ok(Some(Account {
        id,
        phone,
        provisioned_phone,
        created_at: from_ms(created_at)?,
        identities,
        disabled,
        provisioned_at,
        profile,
    }))
}

/// The row's identity; `None` for the row of an account without identities.
fn identity_from_row(row: AccountRow) -> Result<Option<Identity>, AccountError> {
    let (Some(provider), Some(app_id), Some(openid), Some(created_at)) = (
        row.provider,
        row.app_id,
        row.openid,
        row.identity_created_at,
    ) else {
        return Ok(None);
    };
    Ok(Some(Identity {
        provider: parse_provider(&provider)?,
        app_id: AppId::parse(app_id).map_err(corrupt)?,
        openid: OpenId::parse(openid).map_err(corrupt)?,
        unionid: row
            .unionid
            .map(UnionId::parse)
            .transpose()
            .map_err(corrupt)?,
        nickname: row.nickname,
        avatar: row.avatar,
        created_at: from_ms(created_at)?,
    }))
}
