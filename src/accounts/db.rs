//! The database under [`super::SqlAccounts`]: one implementation for SQLite and PostgreSQL over
//! sqlx's `Any` driver. Queries are portable SQL with `$n` parameters; the backends differ only
//! in how a writing transaction serialises with other writers ([`Db::begin_write`]) and in
//! SQLite's connection pragmas.

use super::{AccountError, migrations};
use sqlx::AnyConnection;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Transaction};
use std::sync::Arc;
use std::time::Duration;

/// The pool, which backend it is, and this process's SQLite write turn.
#[derive(Debug, Clone)]
pub(super) struct Db {
    pub(super) pool: AnyPool,
    backend: Backend,
    /// SQLite: one writing transaction at a time in this process. SQLite has one writer anyway;
    /// a second `BEGIN IMMEDIATE` gets SQLITE_BUSY and sleeps in SQLite's busy handler (1, 2, 5,
    /// ... 100 ms), which under load made logins wait ~100 ms (BENCHMARKS.md). Queued here, a
    /// writer starts the moment the previous one commits.
    write_turn: Arc<tokio::sync::Mutex<()>>,
}

/// A writing transaction, holding this process's SQLite write turn until it ends.
pub(super) struct WriteTx {
    // Declared first, dropped first: the transaction ends (rolls back if not committed)
    // before the turn passes on.
    tx: Transaction<'static, Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
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
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

const MAX_CONNECTIONS: u32 = 8;

impl Db {
    /// Opens `database_url` and runs the migrations: `sqlite:///path/saoma.db` (created if
    /// missing, in WAL mode), `sqlite::memory:`, or `postgres://user:pass@host:port/db`.
    pub(super) async fn connect(database_url: &str) -> Result<Self, AccountError> {
        install_default_drivers();
        let (backend, url) = if database_url.starts_with("sqlite:") {
            (Backend::Sqlite, sqlite_url(database_url))
        } else if database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://")
        {
            (Backend::Postgres, database_url.to_string())
        } else {
            return Err(AccountError::BadUrl);
        };
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let mut pool = AnyPoolOptions::new();
        if backend == Backend::Sqlite {
            pool = pool.after_connect(move |conn, _meta| {
                Box::pin(async move {
                    sqlx::query("PRAGMA foreign_keys = ON")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA busy_timeout = 5000")
                        .execute(&mut *conn)
                        .await?;
                    if !in_memory {
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        // A commit appends to the WAL without an fsync (the WAL is synced at
                        // checkpoints). The database never corrupts; a power cut (not a crash
                        // of Saoma) may lose the last commits, i.e. refresh tokens just issued,
                        // whose holders log in again. FULL cost an fsync per login.
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            });
        }
        if in_memory {
            // An in-memory database lives as long as its last connection, and shared-cache
            // connections fail with SQLITE_LOCKED instead of waiting: keep exactly one, forever.
            pool = pool
                .max_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        } else {
            pool = pool
                .max_connections(MAX_CONNECTIONS)
                .acquire_timeout(Duration::from_secs(5));
        }
        // The URL may carry a password: name the backend, not the URL.
        let pool = pool
            .connect(&url)
            .await
            .map_err(|source| AccountError::Connect {
                backend: backend.name(),
                source,
            })?;
        let migrator = migrations::migrator().await?;
        // sqlx locks nothing on SQLite (PostgreSQL: an advisory lock), so instances starting at
        // once on one fresh file each find migrations pending, and one fails on the other's
        // tables once it gets the write lock. Each failure means the other applied one more:
        // running again rereads the applied list, so as many tries as there are migrations.
        let tries = if backend == Backend::Sqlite {
            migrator.iter().count() + 1
        } else {
            1
        };
        let mut tried = 1;
        while let Err(e) = migrator.run(&pool).await {
            if tried >= tries {
                return Err(e.into());
            }
            tracing::warn!(error = %e, "database migration failed; running it again (another instance migrating the same file?)");
            tried += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(Self {
            pool,
            backend,
            write_turn: Arc::default(),
        })
    }

    /// This database's name, given on first use: instances that share a Redis compare it to
    /// tell whether they share their accounts too (`login::cluster`).
    pub(super) async fn database_id(&self) -> Result<String, AccountError> {
        sqlx::query(
            "INSERT INTO saoma_meta (key, value) VALUES ('database_id', $1) \
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .execute(&self.pool)
        .await?;
        let (id,): (String,) =
            sqlx::query_as("SELECT value FROM saoma_meta WHERE key = 'database_id'")
                .fetch_one(&self.pool)
                .await?;
        Ok(id)
    }

    /// A transaction that serialises with every other writer touching `key`. SQLite: this
    /// process's write turn, then `BEGIN IMMEDIATE`, which takes the database's write lock up front, so a read-then-write cannot
    /// interleave with another writer and a reader never fails to upgrade with SQLITE_BUSY.
    /// PostgreSQL: a transaction-scoped advisory lock on the key (a unionid, an identity, a
    /// phone number), so that two first logins of one person cannot create two accounts.
    pub(super) async fn begin_write(&self, key: &str) -> Result<WriteTx, AccountError> {
        match self.backend {
            Backend::Sqlite => {
                let turn = self.write_turn().await;
                let tx = self.begin_holding_turn().await?;
                Ok(WriteTx { tx, _turn: turn })
            }
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                // Wrapped in a subquery: the lock function returns `void`, which the `Any`
                // driver cannot decode.
                sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtext($1))) AS l")
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
                Ok(WriteTx { tx, _turn: None })
            }
        }
    }

    /// A transaction for a caller holding the write turn. SQLite: `BEGIN IMMEDIATE`, which
    /// takes the database's write lock up front.
    pub(super) async fn begin_holding_turn(
        &self,
    ) -> Result<Transaction<'static, Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// PostgreSQL (row locks, `SKIP LOCKED`) rather than SQLite (one writer).
    pub(super) fn is_postgres(&self) -> bool {
        self.backend == Backend::Postgres
    }

    /// SQLite: this process's write turn (see the field); `begin_write` and the session writer
    /// take it. PostgreSQL needs none.
    pub(super) async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match self.backend {
            Backend::Sqlite => Some(Arc::clone(&self.write_turn).lock_owned().await),
            Backend::Postgres => None,
        }
    }
}

/// `sqlite://path` opens read-write and creates the file (`mode=rwc`) unless a mode is given.
fn sqlite_url(url: &str) -> String {
    if url.contains(":memory:") || url.contains("mode=") {
        return url.to_string();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}mode=rwc")
}
