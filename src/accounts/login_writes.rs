//! What every login writes, in one group commit (`group_commit.rs`): its new session (a
//! refresh-token family) and, for a returning person, its `login.succeeded` (the only other
//! write of that login). Sessions and events of the logins of the moment share one
//! transaction, so a login's two waits for SQLite's write turn are for the same few groups.

use super::AccountError;
use super::db::Db;
use super::events::{self, NewEvent};
use super::group_commit::{GroupRows, GroupWriter};
use super::refresh_batch::{self, NewSession};

/// One row of a login's writes.
pub(super) enum LoginWrite {
    Session(NewSession),
    Event(NewEvent),
}

/// The writes waiting for the write turn.
pub(super) type LoginWriter = GroupWriter<LoginWrite>;

#[async_trait::async_trait]
impl GroupRows for LoginWrite {
    const WHAT: &'static str = "login writes (sessions, events)";

    async fn insert(db: &Db, rows: &[LoginWrite]) -> Result<(), AccountError> {
        let (mut sessions, mut new_events) = (Vec::new(), Vec::new());
        for row in rows {
            match row {
                LoginWrite::Session(session) => sessions.push(session),
                LoginWrite::Event(event) => new_events.push(event),
            }
        }
        let mut tx = db.begin_holding_turn().await?;
        refresh_batch::insert(&mut tx, &sessions).await?;
        events::insert(&mut tx, &new_events).await?;
        tx.commit().await?;
        Ok(())
    }
}
