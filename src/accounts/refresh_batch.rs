//! New sessions, written in groups (`group_commit.rs`). Every login writes a refresh-token
//! family and its first token; one login after another capped logins near 1,300/s with the
//! rest of the process idle (BENCHMARKS.md), so the sessions queued meanwhile are written in
//! one transaction, two multi-row statements for all of them.

use super::AccountError;
use super::group_commit::placeholders;
use crate::ids::AppId;
use crate::scene::Provider;
use sqlx::AnyConnection;

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

/// The families, then their tokens, in the caller's transaction.
pub(super) async fn insert(
    tx: &mut AnyConnection,
    sessions: &[&NewSession],
) -> Result<(), AccountError> {
    if sessions.is_empty() {
        return Ok(());
    }
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
    Ok(())
}
