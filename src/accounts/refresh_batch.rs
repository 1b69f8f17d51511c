//! Group commit for new sessions. Every login writes a refresh-token family and its first token;
//! SQLite has one writer, and each statement is a round trip to sqlx's worker thread (~150 µs
//! on a busy 2-core machine), so one login after another capped logins near 1,300/s with the
//! rest of the process idle (BENCHMARKS.md). Here, whoever gets the turn writes every session
//! queued meanwhile in one transaction of two multi-row statements, however many there are.
//!
//! The write runs in its own task: a caller that goes away (its client disconnected) never
//! leaves the others it was writing for without an answer. Should a batch fail, each of its
//! sessions is retried alone, so that one bad row (an account merged away meanwhile) fails
//! only its own login.

use super::AccountError;
use super::db::Db;
use crate::ids::AppId;
use crate::scene::Provider;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// One new session: a family and its first token (already hashed).
pub(super) struct NewSession {
    pub family_id: String,
    pub account_id: String,
    pub provider: Provider,
    pub app_id: AppId,
    pub created_at: i64,
    pub expires_at: i64,
    pub token_hash: String,
    /// The OpenID client the session was issued to, and the scopes it was granted.
    pub client_id: Option<String>,
    pub client_scope: Option<String>,
}

type Answer = oneshot::Sender<Result<(), AccountError>>;

/// Rows per transaction: at most 7 parameters each stays far below SQLite's and PostgreSQL's limits.
const MAX_BATCH: usize = 256;

/// Sessions waiting to be written, and the turn of the one writing them.
#[derive(Default)]
pub(super) struct SessionWriter {
    queued: Mutex<Vec<(NewSession, Answer)>>,
    leader: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for SessionWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionWriter").finish_non_exhaustive()
    }
}

impl SessionWriter {
    fn queue(&self) -> std::sync::MutexGuard<'_, Vec<(NewSession, Answer)>> {
        self.queued.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Write `session`, with whatever else is queued; resolves once it is committed.
pub(super) async fn write(
    db: &Db,
    sessions: &SessionWriter,
    session: NewSession,
) -> Result<(), AccountError> {
    let (answer, mut answered) = oneshot::channel();
    sessions.queue().push((session, answer));
    // Either an earlier leader writes ours along (and we leave the line), or we lead.
    let leader = tokio::select! {
        biased;
        written = &mut answered => return stopped_if_dropped(written),
        leader = Arc::clone(&sessions.leader).lock_owned() => leader,
    };
    let batch = std::mem::take(&mut *sessions.queue());
    if !batch.is_empty() {
        let db = db.clone();
        tokio::spawn(async move {
            let _leader = leader;
            let _turn = db.write_turn().await;
            write_batches(&db, batch).await;
        });
    }
    stopped_if_dropped(answered.await)
}

fn stopped_if_dropped(
    answer: Result<Result<(), AccountError>, oneshot::error::RecvError>,
) -> Result<(), AccountError> {
    answer.map_err(|_| AccountError::Inconsistent("session writer stopped".into()))?
}

async fn write_batches(db: &Db, mut queued: Vec<(NewSession, Answer)>) {
    while !queued.is_empty() {
        let rest = queued.split_off(queued.len().min(MAX_BATCH));
        let (sessions, answers): (Vec<_>, Vec<_>) = queued.into_iter().unzip();
        match insert(db, &sessions).await {
            Ok(()) => answers.into_iter().for_each(|a| {
                let _ = a.send(Ok(()));
            }),
            Err(e) if sessions.len() == 1 => {
                if let Some(answer) = answers.into_iter().next() {
                    let _ = answer.send(Err(e));
                }
            }
            Err(e) => {
                tracing::warn!(error = %crate::telemetry::chain(&e), sessions = sessions.len(), "a batch of new sessions failed; writing each alone");
                for (session, answer) in sessions.into_iter().zip(answers) {
                    let _ = answer.send(insert(db, std::slice::from_ref(&session)).await);
                }
            }
        }
        queued = rest;
    }
}

/// The families, then their tokens, in one transaction.
async fn insert(db: &Db, sessions: &[NewSession]) -> Result<(), AccountError> {
    let mut tx = db.begin_holding_turn().await?;
    let sql = format!(
        "INSERT INTO refresh_families \
         (id, account_id, provider, app_id, created_at, client_id, client_scope) VALUES {}",
        placeholders(sessions.len(), 7)
    );
    let mut families = sqlx::query(&sql);
    for s in sessions {
        families = families
            .bind(s.family_id.as_str())
            .bind(s.account_id.as_str())
            .bind(s.provider.as_str())
            .bind(s.app_id.as_str())
            .bind(s.created_at)
            .bind(s.client_id.as_deref())
            .bind(s.client_scope.as_deref());
    }
    families.execute(&mut *tx).await?;
    let sql = format!(
        "INSERT INTO refresh_tokens (token_hash, family_id, created_at, expires_at) VALUES {}",
        placeholders(sessions.len(), 4)
    );
    let mut tokens = sqlx::query(&sql);
    for s in sessions {
        tokens = tokens
            .bind(s.token_hash.as_str())
            .bind(s.family_id.as_str())
            .bind(s.created_at)
            .bind(s.expires_at);
    }
    tokens.execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// `($1, $2), ($3, $4)` for 2 rows of 2 columns.
fn placeholders(rows: usize, columns: usize) -> String {
    let row = |r: usize| {
        let params: Vec<String> = (1..=columns)
            .map(|c| format!("${}", r * columns + c))
            .collect();
        format!("({})", params.join(", "))
    };
    (0..rows).map(row).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::placeholders;

    #[test]
    fn placeholders_number_every_row_on() {
        assert_eq!(placeholders(1, 3), "($1, $2, $3)");
        assert_eq!(placeholders(2, 2), "($1, $2), ($3, $4)");
    }
}
