//! Group commit. SQLite has one writer, and each statement is a round trip to sqlx's worker
//! thread (~150 µs on a busy 2-core machine), so writes that every login makes (a new
//! session, a returning person's `login.succeeded`) would queue for the write turn one after
//! another. Here, whoever gets the turn writes every row queued meanwhile in one transaction
//! of multi-row statements, however many there are; each caller resolves once its row is
//! committed (BENCHMARKS.md, "full-login").
//!
//! The write runs in its own task: a caller that goes away (its client disconnected) never
//! leaves the others it was writing for without an answer. Should a batch fail, each of its
//! rows is retried alone, so that one bad row (an account merged away meanwhile) fails only
//! its own caller.

use super::AccountError;
use super::db::Db;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Rows that are written in groups: how a group is written, in one transaction holding the
/// write turn.
#[async_trait::async_trait]
pub(super) trait GroupRows: Sized + Send + Sync + 'static {
    /// What the rows are, for the log.
    const WHAT: &'static str;
    async fn insert(db: &Db, rows: &[Self]) -> Result<(), AccountError>;
}

type Answer = oneshot::Sender<Result<(), AccountError>>;

/// Rows per transaction: at most 7 parameters each stays far below SQLite's and PostgreSQL's
/// limits.
const MAX_BATCH: usize = 256;

/// Rows waiting to be written, and the turn of the one writing them.
pub(super) struct GroupWriter<T> {
    queued: Mutex<Vec<(T, Answer)>>,
    leader: Arc<tokio::sync::Mutex<()>>,
}

impl<T> Default for GroupWriter<T> {
    fn default() -> Self {
        GroupWriter {
            queued: Mutex::default(),
            leader: Arc::default(),
        }
    }
}

impl<T> std::fmt::Debug for GroupWriter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupWriter").finish_non_exhaustive()
    }
}

impl<T: GroupRows> GroupWriter<T> {
    fn waiting(&self) -> std::sync::MutexGuard<'_, Vec<(T, Answer)>> {
        self.queued.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Write `row`, with whatever else is queued; resolves once it is committed.
    pub(super) async fn write(&self, db: &Db, row: T) -> Result<(), AccountError> {
        let (answer, mut answered) = oneshot::channel();
        self.waiting().push((row, answer));
        // Either an earlier leader writes ours along (and we leave the line), or we lead.
        let leader = tokio::select! {
            biased;
            written = &mut answered => return stopped_if_dropped(written),
            leader = Arc::clone(&self.leader).lock_owned() => leader,
        };
        let batch = std::mem::take(&mut *self.waiting());
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
}

/// A row queued by [`GroupWriter::queue`]: written with the next group whether or not this
/// is waited for; wait for it before answering, so that what the answer reports is committed.
#[must_use = "wait for the row before answering"]
pub struct Queued(tokio::task::JoinHandle<Result<(), AccountError>>);

impl Queued {
    pub(super) async fn wait(self) -> Result<(), AccountError> {
        self.0
            .await
            .map_err(|e| AccountError::Inconsistent(format!("a group write stopped: {e}")))?
    }
}

impl<T: GroupRows> GroupWriter<T> {
    /// Queue `row` now and go on: the caller does its other work while the row's group is
    /// written, then waits (a login's event beside its session, instead of one after the
    /// other on SQLite's write turn).
    pub(super) fn queue(self: &Arc<Self>, db: &Db, row: T) -> Queued {
        let writer = Arc::clone(self);
        let db = db.clone();
        Queued(tokio::spawn(async move { writer.write(&db, row).await }))
    }
}

fn stopped_if_dropped(
    answer: Result<Result<(), AccountError>, oneshot::error::RecvError>,
) -> Result<(), AccountError> {
    answer.map_err(|_| AccountError::Inconsistent("a group writer stopped".into()))?
}

async fn write_batches<T: GroupRows>(db: &Db, mut queued: Vec<(T, Answer)>) {
    while !queued.is_empty() {
        let rest = queued.split_off(queued.len().min(MAX_BATCH));
        let (rows, answers): (Vec<_>, Vec<_>) = queued.into_iter().unzip();
        match T::insert(db, &rows).await {
            Ok(()) => answers.into_iter().for_each(|a| {
                let _ = a.send(Ok(()));
            }),
            Err(e) if rows.len() == 1 => {
                if let Some(answer) = answers.into_iter().next() {
                    let _ = answer.send(Err(e));
                }
            }
            Err(e) => {
                tracing::warn!(error = %crate::telemetry::chain(&e), rows = rows.len(), what = T::WHAT, "a batch failed; writing each row alone");
                for (row, answer) in rows.into_iter().zip(answers) {
                    let _ = answer.send(T::insert(db, std::slice::from_ref(&row)).await);
                }
            }
        }
        queued = rest;
    }
}

/// `($1, $2), ($3, $4)` for 2 rows of 2 columns.
pub(super) fn placeholders(rows: usize, columns: usize) -> String {
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
