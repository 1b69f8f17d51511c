//! The OpenID Provider's single sign-on sessions (kept in SQL, `accounts::SsoSessions`): opened
//! when a hosted-page login completes, found by the browser's cookie, ended by logout, the
//! admin plane and the account lifecycle.

use super::{Error, Saoma, random_token};
use crate::accounts::{NewSso, SsoSession};
use crate::ids::AppId;
use crate::scene::Provider;
use crate::secret::Secret;
use chrono::{DateTime, Utc};
use poem_openapi::Object;
use std::time::Duration;

/// Who logged in, for a new session.
#[derive(Debug, Clone)]
pub struct SsoLogin {
    pub account_id: String,
    pub provider: Provider,
    pub app_id: AppId,
    /// Unix seconds.
    pub auth_time: i64,
}

impl Saoma {
    /// Open a session that lasts `ttl`: the cookie's secret (the browser's only) and the
    /// session's public `sid`.
    pub async fn open_sso_session(
        &self,
        login: SsoLogin,
        ttl: Duration,
    ) -> Result<(Secret, String), Error> {
        let cookie = random_token();
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        let new = NewSso {
            account_id: login.account_id,
            provider: login.provider,
            app_id: login.app_id,
            auth_time: login.auth_time,
            expires_at: chrono::Utc::now().timestamp_millis().saturating_add(ttl_ms),
        };
        let sid = self.parts.sso.open(&cookie, &new).await?;
        Ok((cookie, sid))
    }

    /// The live session the cookie names.
    pub async fn sso_session(&self, cookie: &str) -> Result<Option<SsoSession>, Error> {
        Ok(self.parts.sso.find(&Secret::new(cookie)).await?)
    }

    /// The session answered an authorization request (its last use, for the admin plane).
    pub async fn sso_session_used(&self, sid: &str) -> Result<(), Error> {
        Ok(self.parts.sso.touch(sid).await?)
    }

    /// `client_id` received tokens under the session: it is told when the session ends.
    pub async fn sso_client_got_tokens(&self, sid: &str, client_id: &str) -> Result<(), Error> {
        Ok(self.parts.sso.add_client(sid, client_id).await?)
    }

    /// End the session the cookie names (logout); `false`: there was none.
    pub async fn end_sso_session(&self, cookie: &str) -> Result<bool, Error> {
        Ok(self.parts.sso.end(&Secret::new(cookie)).await?)
    }
}

/// A live single sign-on session of the OpenID Provider (a browser's `saoma_sso` cookie).
#[derive(Object, Debug, Clone)]
#[oai(example)]
pub struct SsoSessionView {
    /// The session's public id (the id_token's `sid`).
    pub sid: String,
    /// The OpenID clients that received tokens under it, in the order they did.
    pub client_ids: Vec<String>,
    /// The provider the person logged in with.
    pub provider: String,
    /// The WeChat app the person logged in through.
    pub app_id: String,
    /// When the person scanned (the id_token's `auth_time`).
    pub auth_time: DateTime<Utc>,
    /// The login that opened it.
    pub created_at: DateTime<Utc>,
    /// The last authorization request it answered without a scan (or the login).
    pub last_used_at: DateTime<Utc>,
    /// When it ends unless ended before.
    pub expires_at: DateTime<Utc>,
}

impl poem_openapi::types::Example for SsoSessionView {
    fn example() -> Self {
        let at = DateTime::from_timestamp(1_767_323_045, 0).unwrap_or_default();
        SsoSessionView {
            sid: "6f1c0b8e2a4d4c39a1e7b5d2c9f08a13".into(),
            client_ids: vec!["grafana".into(), "shop".into()],
            provider: "website".into(),
            app_id: "wx0123456789abcdef".into(),
            auth_time: at,
            created_at: at,
            last_used_at: at,
            expires_at: at + chrono::Duration::hours(8),
        }
    }
}
