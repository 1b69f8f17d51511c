//! [`RefreshTokens`] in SQL: opaque random tokens, stored as SHA-256 hashes, rotated on use,
//! grouped in families so that a replayed token revokes its whole session.

use super::login_writes::LoginWrite;
use super::refresh_batch::NewSession;
use super::rows::{corrupt, hash_token, now_ms, parse_provider};
use super::sql::SqlAccounts;
use super::{AccountError, IssuedRefresh, RefreshSubject, RefreshTokens};
use crate::ids::AppId;
use crate::scene::Provider;
use crate::secret::Secret;
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore;
use rand::rngs::OsRng;
use sqlx::AnyConnection;
use std::time::Duration;

#[async_trait]
impl RefreshTokens for SqlAccounts {
    async fn issue(
        &self,
        account_id: &str,
        provider: Provider,
        app_id: &AppId,
        ttl: Duration,
    ) -> Result<IssuedRefresh, AccountError> {
        let now = now_ms();
        let token = new_token()?;
        let expires_at = now.saturating_add(ttl_ms(ttl));
        let session = NewSession {
            family_id: uuid::Uuid::new_v4().to_string(),
            account_id: account_id.to_owned(),
            provider,
            app_id: app_id.clone(),
            created_at: now,
            expires_at,
            token_hash: hash_token(&token),
            client_id: None,
            client_scope: None,
        };
        self.writes
            .write(&self.db, LoginWrite::Session(session))
            .await?;
        Ok(IssuedRefresh { token })
    }

    async fn rotate(
        &self,
        token: &Secret,
        ttl: Duration,
    ) -> Result<(IssuedRefresh, RefreshSubject), AccountError> {
        let now = now_ms();
        let hash = hash_token(token);
        let mut tx = self.db.begin_write(&format!("refresh:{hash}")).await?;
        let row: Option<(
            String,
            i64,
            Option<i64>,
            Option<i64>,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
        )> = sqlx::query_as(
            "SELECT t.family_id, t.expires_at, t.used_at, f.revoked_at, \
                 f.account_id, f.provider, f.app_id, f.client_id, f.client_scope \
                 FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id \
                 WHERE t.token_hash = $1",
        )
        .bind(&hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((
            family_id,
            expires_at,
            used_at,
            revoked_at,
            account_id,
            provider,
            app_id,
            client_id,
            scope,
        )) = row
        else {
            return Err(AccountError::RefreshInvalid);
        };
        if revoked_at.is_some() {
            return Err(AccountError::RefreshInvalid);
        }
        // Reuse is checked before expiry: an old token coming back means it was copied.
        if used_at.is_some() {
            revoke_family(&mut tx, &family_id, now).await?;
            tx.commit().await?;
            return Err(AccountError::RefreshReused);
        }
        if expires_at <= now {
            return Err(AccountError::RefreshInvalid);
        }
        // Conditional, so that two rotations of one token have one winner even where writers are
        // not serialized by the transaction (PostgreSQL, READ COMMITTED).
        let marked = sqlx::query(
            "UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL",
        )
        .bind(&hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if marked.rows_affected() != 1 {
            revoke_family(&mut tx, &family_id, now).await?;
            tx.commit().await?;
            return Err(AccountError::RefreshReused);
        }
        let issued = insert_token(&mut tx, &family_id, now, ttl).await?;
        tx.commit().await?;
        let subject = RefreshSubject {
            account_id,
            provider: parse_provider(&provider)?,
            app_id: AppId::parse(app_id).map_err(corrupt)?,
            client_id,
            scope,
        };
        Ok((issued, subject))
    }

    async fn revoke(&self, token: &Secret) -> Result<(), AccountError> {
        sqlx::query(
            "UPDATE refresh_families SET revoked_at = $2 WHERE revoked_at IS NULL AND id = \
             (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)",
        )
        .bind(hash_token(token))
        .bind(now_ms())
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    async fn issue_for_client(
        &self,
        subject: &RefreshSubject,
        ttl: Duration,
    ) -> Result<(IssuedRefresh, String), AccountError> {
        // Through the same group commit as every other new session.
        let now = now_ms();
        let token = new_token()?;
        let expires_at = now.saturating_add(ttl_ms(ttl));
        let family_id = uuid::Uuid::new_v4().to_string();
        let session = NewSession {
            family_id: family_id.clone(),
            account_id: subject.account_id.clone(),
            provider: subject.provider,
            app_id: subject.app_id.clone(),
            created_at: now,
            expires_at,
            token_hash: hash_token(&token),
            client_id: subject.client_id.clone(),
            client_scope: subject.scope.clone(),
        };
        self.writes
            .write(&self.db, LoginWrite::Session(session))
            .await?;
        let issued = IssuedRefresh { token };
        Ok((issued, family_id))
    }

    async fn revoke_family(&self, family_id: &str) -> Result<(), AccountError> {
        sqlx::query(
            "UPDATE refresh_families SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(family_id)
        .bind(now_ms())
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    async fn holder(&self, token: &Secret) -> Result<Option<Option<String>>, AccountError> {
        let row: Option<(Option<String>,)> = sqlx::query_as(
            "SELECT f.client_id FROM refresh_tokens t \
             JOIN refresh_families f ON f.id = t.family_id WHERE t.token_hash = $1",
        )
        .bind(hash_token(token))
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(row.map(|(client,)| client))
    }
}

async fn insert_token(
    conn: &mut AnyConnection,
    family_id: &str,
    now: i64,
    ttl: Duration,
) -> Result<IssuedRefresh, AccountError> {
    let token = new_token()?;
    let expires_at = now.saturating_add(ttl_ms(ttl));
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, family_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(hash_token(&token))
    .bind(family_id)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(IssuedRefresh { token })
}

async fn revoke_family(
    conn: &mut AnyConnection,
    family_id: &str,
    now: i64,
) -> Result<(), AccountError> {
    sqlx::query("UPDATE refresh_families SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
        .bind(family_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn ttl_ms(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX)
}

/// 256 bits from the operating system, base64url without padding.
fn new_token() -> Result<Secret, AccountError> {
    let mut bytes = [0u8; 32];
    OsRng.try_fill_bytes(&mut bytes).map_err(|e| {
        AccountError::Inconsistent(format!("has no randomness for a refresh token: {e}"))
    })?;
    Ok(Secret::new(URL_SAFE_NO_PAD.encode(bytes)))
}
