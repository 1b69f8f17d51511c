//! [`AccountStore`] on SQLite. Queries are portable SQL with `$n` parameters, so the PostgreSQL
//! implementation can share them.

use super::{Account, AccountError, AccountStore, Identity, NewIdentity, migrations};
use crate::ids::{AppId, OpenId, UnionId};
use crate::scene::Provider;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Accounts, identities and refresh tokens in SQLite.
#[derive(Debug, Clone)]
pub struct SqlAccounts {
    pub(super) pool: SqlitePool,
    /// One writing transaction at a time in this process. SQLite has one writer anyway; a
    /// second `BEGIN IMMEDIATE` would get SQLITE_BUSY and sleep in SQLite's busy handler
    /// (1, 2, 5, ... 100 ms), which under load made logins wait ~100 ms. Queued here, a
    /// writer starts the moment the previous one commits.
    write_turn: Arc<tokio::sync::Mutex<()>>,
}

/// A writing transaction holding this process's write turn (released after it ends).
pub(super) struct WriteTx {
    // Declared first, dropped first: the transaction ends (rolls back if not committed)
    // before the turn passes on.
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl WriteTx {
    pub(super) async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub(super) async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }
}

// Every writing transaction starts with `BEGIN IMMEDIATE`: it takes SQLite's write lock up front,
// so a read-then-write (find the unionid's account, then insert) cannot interleave with another
// writer, and a reader never fails to upgrade to a writer with SQLITE_BUSY.
pub(super) const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

const MAX_CONNECTIONS: u32 = 8;

impl SqlAccounts {
    /// Opens `database_url` (`sqlite:///path/saoma.db`, created if missing, in WAL mode; or
    /// `sqlite::memory:`) and runs the migrations.
    pub async fn connect(database_url: &str) -> Result<Self, AccountError> {
        let in_memory = database_url.contains(":memory:") || database_url.contains("mode=memory");
        let mut options = SqliteConnectOptions::from_str(database_url)?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let mut pool = SqlitePoolOptions::new();
        if in_memory {
            // An in-memory database lives as long as its last connection, and shared-cache
            // connections fail with SQLITE_LOCKED instead of waiting: keep exactly one, forever.
            pool = pool
                .max_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        } else {
            // WAL with synchronous=NORMAL: a commit is an append to the WAL without an fsync
            // (the WAL is synced at checkpoints). The database never corrupts; a power cut (not
            // a crash of Saoma) may lose the last commits, i.e. refresh tokens just issued,
            // whose holders then log in again. FULL costs an fsync per login.
            options = options
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal);
            pool = pool.max_connections(MAX_CONNECTIONS);
        }
        let pool = pool.connect_with(options).await?;
        migrations::migrator()
            .await
            .map_err(|e| AccountError::Database(format!("migrations: {e}")))?
            .run(&pool)
            .await
            .map_err(|e| AccountError::Database(format!("migrations: {e}")))?;
        Ok(Self {
            pool,
            write_turn: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// `BEGIN IMMEDIATE` once this process's previous writer is done.
    pub(super) async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        let turn = Arc::clone(&self.write_turn).lock_owned().await;
        let tx = self.pool.begin_with(BEGIN_WRITE).await?;
        Ok(WriteTx { tx, _turn: turn })
    }

    /// One attempt; `None` when another writer inserted the same identity first.
    async fn try_find_or_create(
        &self,
        identity: &NewIdentity,
    ) -> Result<Option<Account>, AccountError> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let existing: Option<(String,)> =
            sqlx::query_as("SELECT account_id FROM identities WHERE app_id = $1 AND openid = $2")
                .bind(identity.app_id.as_str())
                .bind(identity.openid.as_str())
                .fetch_optional(&mut *tx)
                .await?;

        let account_id = match existing {
            Some((account_id,)) => {
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
                account_id
            }
            None => {
                let account_id = match account_of_unionid(&mut tx, identity).await? {
                    Some(account_id) => account_id,
                    None => {
                        let account_id = uuid::Uuid::new_v4().to_string();
                        sqlx::query(
                            "INSERT INTO accounts (id, phone, created_at) VALUES ($1, NULL, $2)",
                        )
                        .bind(&account_id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                        account_id
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
                account_id
            }
        };
        let account = load_account(&mut tx, &account_id).await?;
        tx.commit().await?;
        match account {
            Some(account) => Ok(Some(account)),
            None => Err(AccountError::Database(format!(
                "identity points at missing account {account_id}"
            ))),
        }
    }
}

#[async_trait]
impl AccountStore for SqlAccounts {
    async fn find_or_create(&self, identity: &NewIdentity) -> Result<Account, AccountError> {
        for _ in 0..3 {
            if let Some(account) = self.try_find_or_create(identity).await? {
                return Ok(account);
            }
        }
        Err(AccountError::Database(
            "the identity kept being created concurrently".into(),
        ))
    }

    async fn get(&self, account_id: &str) -> Result<Option<Account>, AccountError> {
        let mut conn = self.pool.acquire().await?;
        load_account(&mut conn, account_id).await
    }

    async fn ping(&self) -> Result<(), AccountError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// The account already holding this identity's unionid, if any. Should two accounts hold it (an
/// identity that learnt its unionid after another identity had created an account for it), the
/// oldest wins, so the answer is stable.
async fn account_of_unionid(
    conn: &mut SqliteConnection,
    identity: &NewIdentity,
) -> Result<Option<String>, AccountError> {
    let Some(unionid) = &identity.unionid else {
        return Ok(None);
    };
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT i.account_id FROM identities i JOIN accounts a ON a.id = i.account_id \
         WHERE i.unionid = $1 ORDER BY a.created_at, a.id LIMIT 1",
    )
    .bind(unionid.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(account_id,)| account_id))
}

type IdentityRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
);

async fn load_account(
    conn: &mut SqliteConnection,
    account_id: &str,
) -> Result<Option<Account>, AccountError> {
    let account: Option<(String, Option<String>, i64)> =
        sqlx::query_as("SELECT id, phone, created_at FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((id, phone, created_at)) = account else {
        return Ok(None);
    };
    let rows: Vec<IdentityRow> = sqlx::query_as(
        "SELECT provider, app_id, openid, unionid, nickname, avatar, created_at \
         FROM identities WHERE account_id = $1 ORDER BY created_at, app_id, openid",
    )
    .bind(account_id)
    .fetch_all(&mut *conn)
    .await?;
    let identities = rows
        .into_iter()
        .map(identity_from_row)
        .collect::<Result<_, _>>()?;
    Ok(Some(Account {
        id,
        phone,
        created_at: from_ms(created_at)?,
        identities,
    }))
}

fn identity_from_row(row: IdentityRow) -> Result<Identity, AccountError> {
    let (provider, app_id, openid, unionid, nickname, avatar, created_at) = row;
    Ok(Identity {
        provider: parse_provider(&provider)?,
        app_id: AppId::parse(app_id).map_err(corrupt)?,
        openid: OpenId::parse(openid).map_err(corrupt)?,
        unionid: unionid.map(UnionId::parse).transpose().map_err(corrupt)?,
        nickname,
        avatar,
        created_at: from_ms(created_at)?,
    })
}

pub(super) fn parse_provider(value: &str) -> Result<Provider, AccountError> {
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|_| AccountError::Database(format!("unknown provider {value:?} in the database")))
}

pub(super) fn corrupt(error: impl std::fmt::Display) -> AccountError {
    AccountError::Database(format!("invalid data in the database: {error}"))
}

pub(super) fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

pub(super) fn from_ms(ms: i64) -> Result<DateTime<Utc>, AccountError> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| corrupt(format!("timestamp {ms}")))
}
