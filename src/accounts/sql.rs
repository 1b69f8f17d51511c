//! [`SqlAccounts`]: accounts, identities and refresh tokens in SQLite or PostgreSQL (the
//! database itself is `db.rs`; each feature's queries are in its own file).

use super::db::Db;
use super::events::LoginDetails;
use super::identities::LoginPolicy;
use super::login_writes::LoginWriter;
use super::{
    Account, AccountError, AccountStore, Admission, AvatarStatus, NewIdentity, Phone, PhoneBinding,
    avatars, identities, nickname, phone_binding,
};
use crate::config::SignUp;
use crate::ids::{AppId, OpenId};
use async_trait::async_trait;
use std::sync::Arc;

/// Accounts, identities and refresh tokens in SQLite or PostgreSQL.
#[derive(Debug, Clone)]
pub struct SqlAccounts {
    pub(super) db: Db,
    pub(super) policy: LoginPolicy,
    /// What logins write (new sessions, a returning person's event), in groups.
    pub(super) writes: Arc<LoginWriter>,
}

impl SqlAccounts {
    /// Opens `database_url` and runs the migrations: `sqlite:///path/saoma.db` (created if
    /// missing, in WAL mode), `sqlite::memory:`, or `postgres://user:pass@host:port/db`.
    pub async fn connect(database_url: &str) -> Result<Self, AccountError> {
        Ok(Self {
            db: Db::connect(database_url).await?,
            policy: LoginPolicy {
                link_by_unionid: true,
                sign_up: SignUp::Open,
            },
            writes: Arc::default(),
        })
    }

    /// This database's name, given on first use: instances that share a Redis compare it to
    /// tell whether they share their accounts too (`login::cluster`).
    pub async fn database_id(&self) -> Result<String, AccountError> {
        self.db.database_id().await
    }

    /// `accounts.link_by_unionid`: whether a new identity joins the account that already holds
    /// its unionid (default) or always gets an account of its own.
    pub fn link_by_unionid(mut self, on: bool) -> Self {
        self.policy.link_by_unionid = on;
        self
    }

    /// `accounts.sign_up`: whether a login may create an account.
    pub fn sign_up(mut self, sign_up: SignUp) -> Self {
        self.policy.sign_up = sign_up;
        self
    }
}

#[async_trait]
impl AccountStore for SqlAccounts {
    async fn log_in(
        &self,
        identity: &NewIdentity,
        login: &LoginDetails,
    ) -> Result<Admission, AccountError> {
        for _ in 0..3 {
            if let Some(admission) =
                identities::try_log_in(&self.db, &self.writes, self.policy, identity, login).await?
            {
                return Ok(admission);
            }
        }
        Err(AccountError::Inconsistent(
            "saw the identity created concurrently three times".into(),
        ))
    }

    async fn get(&self, account_id: &str) -> Result<Option<Account>, AccountError> {
        let mut conn = self.db.pool.acquire().await?;
        identities::load_account(&mut conn, account_id).await
    }

    async fn ping(&self) -> Result<(), AccountError> {
        sqlx::query("SELECT 1").execute(&self.db.pool).await?;
        Ok(())
    }

    #[cfg(test)]
    async fn find_by_phone(&self, phone: &Phone) -> Result<Option<Account>, AccountError> {
        let mut conn = self.db.pool.acquire().await?;
        let row: Option<(String,)> = sqlx::query_as("SELECT id FROM accounts WHERE phone = $1")
            .bind(phone.as_str())
            .fetch_optional(&mut *conn)
            .await?;
        match row {
            Some((id,)) => identities::load_account(&mut conn, &id).await,
            None => Ok(None),
        }
    }

    async fn bind_phone(
        &self,
        account_id: &str,
        phone: &Phone,
    ) -> Result<PhoneBinding, AccountError> {
        phone_binding::bind_phone(&self.db, account_id, phone).await
    }

    async fn unlink(&self, app_id: &AppId, openid: &OpenId) -> Result<bool, AccountError> {
        identities::unlink(&self.db, app_id, openid).await
    }

    async fn set_nickname(
        &self,
        account_id: &str,
        nickname: &str,
    ) -> Result<Account, AccountError> {
        nickname::set_nickname(&self.db, account_id, nickname).await
    }

    async fn add_avatar(&self, account_id: &str, id: &str, png: &[u8]) -> Result<(), AccountError> {
        avatars::add(&self.db, account_id, id, png).await
    }

    async fn set_avatar_trace(&self, id: &str, trace_id: &str) -> Result<(), AccountError> {
        avatars::set_trace(&self.db, id, trace_id).await
    }

    async fn remove_avatar(&self, id: &str) -> Result<(), AccountError> {
        avatars::remove(&self.db, id).await
    }

    async fn settle_avatar(
        &self,
        trace_id: &str,
        accepted: bool,
    ) -> Result<Option<String>, AccountError> {
        avatars::settle(&self.db, trace_id, accepted).await
    }

    async fn avatar(&self, id: &str) -> Result<Option<(Vec<u8>, AvatarStatus)>, AccountError> {
        avatars::image(&self.db, id).await
    }
}
