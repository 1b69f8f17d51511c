//! Access tokens: `POST cgi-bin/stable_token`, cached per app id, one refresher per app id
//! (in this process, and across instances through the cache's refresh lock), and the "token
//! rejected: expire it, refetch, retry once" wrapper.

use super::client::WeChatClient;
use super::error::WeChatError;
use crate::ids::AppId;
use crate::secret::Secret;
use crate::store::{CachedToken, now_ms};
use std::future::Future;

use std::time::{Duration, Instant};

const STABLE_TOKEN: &str = "cgi-bin/stable_token";
/// Refresh this long before the platform's expiry (it overlaps old and new tokens for 5 min).
const REFRESH_MARGIN_MS: i64 = 120_000;
/// How often a caller waiting for another instance's refresh looks at the cache again.
const WAIT_STEP: Duration = Duration::from_millis(50);

/// An app's id and secret. `Debug` shows the id only.
#[derive(Clone, Debug)]
pub struct AppCredentials {
    pub app_id: AppId,
    pub secret: Secret,
}

#[derive(serde::Serialize)]
struct StableTokenRequest<'a> {
    grant_type: &'static str,
    appid: &'a str,
    secret: &'a str,
    force_refresh: bool,
}

#[derive(serde::Deserialize)]
struct StableTokenReply {
    access_token: Secret,
    expires_in: i64,
}

impl WeChatClient {
    /// The app's access token: from the cache while it has more than 2 minutes left, else
    /// fetched with `stable_token` (never `force_refresh`) by one caller per app id while the
    /// others wait and then take what it fetched. "One caller" holds twice: first this
    /// process's mutex, then the cache's refresh lock, shared by every instance on one Redis.
    /// The cache keeps the platform's expiry (`now + expires_in`); the 2-minute margin is
    /// applied when reading. WeChat's `expires_in` is always >= 300 s, so the margin is always
    /// under half the token's life.
    pub async fn access_token(&self, app: &AppCredentials) -> Result<Secret, WeChatError> {
        let seen = self.cached(&app.app_id).await;
        if let Some(cached) = &seen
            && is_fresh(cached, now_ms())
        {
            return Ok(cached.token.clone());
        }

        let lock = self.refresh_locks.for_app(&app.app_id);
        let _refreshing = lock.lock().await;
        let deadline = Instant::now() + self.refresh_lock_ttl;
        loop {
            // Whoever held a lock before us (here or on another instance) may have fetched.
            if let Some(token) = self.fetched_since(&app.app_id, seen.as_ref()).await {
                return Ok(token);
            }
            match self
                .cache
                .try_lock_refresh(&app.app_id, self.refresh_lock_ttl)
                .await
            {
                Ok(Some(held)) => {
                    let fetched = match self.fetched_since(&app.app_id, seen.as_ref()).await {
                        Some(token) => Ok(token),
                        None => self.fetch_and_cache(app).await,
                    };
                    if let Err(e) = self.cache.unlock_refresh(&app.app_id, held).await {
                        tracing::warn!(app_id = %app.app_id, error = %crate::telemetry::chain(&e), "could not release the token refresh lock");
                    }
                    return fetched;
                }
                // Another instance is fetching: wait for what it caches.
                Ok(None) if Instant::now() < deadline => tokio::time::sleep(WAIT_STEP).await,
                Ok(None) => {
                    tracing::warn!(app_id = %app.app_id, "the token refresher elsewhere did not deliver in time; fetching");
                    return self.fetch_and_cache(app).await;
                }
                // No shared lock to be had: fetch anyway. stable_token answers the same token
                // to every caller, so this costs a request, not correctness.
                Err(e) => {
                    tracing::warn!(app_id = %app.app_id, error = %crate::telemetry::chain(&e), "token refresh lock unavailable; fetching");
                    return self.fetch_and_cache(app).await;
                }
            }
        }
    }

    /// The cached token if it is fresh, or if it changed since `seen` (it was just fetched:
    /// take it even when its whole life is shorter than the margin, so that waiters do not
    /// refetch one by one).
    async fn fetched_since(&self, app_id: &AppId, seen: Option<&CachedToken>) -> Option<Secret> {
        let current = self.cached(app_id).await?;
        let now = now_ms();
        let fetched_meanwhile = seen != Some(&current) && now < current.expires_at;
        (is_fresh(&current, now) || fetched_meanwhile).then_some(current.token)
    }

    async fn fetch_and_cache(&self, app: &AppCredentials) -> Result<Secret, WeChatError> {
        let fetched = self.fetch_stable_token(app).await?;
        if let Err(err) = self.cache.put(&app.app_id, &fetched).await {
            tracing::warn!(app_id = %app.app_id, error = %crate::telemetry::chain(&err), "could not cache the access token");
        }
        Ok(fetched.token)
    }

    /// Run `call` with the app's access token. When WeChat rejects the token (40001, 40014,
    /// 42001), expire it only if the cache still holds that very token, get a token again and
    /// run `call` once more; a second rejection is returned as is.
    pub(super) async fn with_token<T, F, Fut>(
        &self,
        app: &AppCredentials,
        call: F,
    ) -> Result<T, WeChatError>
    where
        F: Fn(Secret) -> Fut,
        Fut: Future<Output = Result<T, WeChatError>>,
    {
        let token = self.access_token(app).await?;
        match call(token.clone()).await {
            Err(err) if err.is_token_rejected() => {
                tracing::info!(
                    app_id = %app.app_id,
                    errcode = err.errcode(),
                    "access token rejected, fetching it again"
                );
                if let Err(e) = self.cache.expire_if(&app.app_id, &token).await {
                    tracing::warn!(app_id = %app.app_id, error = %crate::telemetry::chain(&e), "could not expire the token");
                }
                let fresh = self.access_token(app).await?;
                call(fresh.clone()).await.map_err(|e| e.redact(&fresh))
            }
            other => other.map_err(|e| e.redact(&token)),
        }
    }

    async fn fetch_stable_token(&self, app: &AppCredentials) -> Result<CachedToken, WeChatError> {
        let body = StableTokenRequest {
            grant_type: "client_credential",
            appid: app.app_id.as_str(),
            secret: app.secret.expose(),
            force_refresh: false,
        };
        let reply: StableTokenReply = self
            .post_json(STABLE_TOKEN, &app.app_id, &[], &body)
            .await
            .map_err(|e| e.redact(&app.secret))?;
        if reply.access_token.is_empty() || reply.expires_in <= 0 {
            return Err(WeChatError::Decode(
                "stable_token answered without a usable token".into(),
            ));
        }
        Ok(CachedToken {
            token: reply.access_token,
            expires_at: now_ms().saturating_add(reply.expires_in.saturating_mul(1000)),
        })
    }

    /// The cached token, if any. A cache that fails is treated as empty (and logged): WeChat's
    /// stable_token answers the same token again, so this costs a request, not correctness.
    async fn cached(&self, app_id: &AppId) -> Option<CachedToken> {
        match self.cache.get(app_id).await {
            Ok(cached) => cached,
            Err(err) => {
                tracing::warn!(app_id = %app_id, error = %crate::telemetry::chain(&err), "token cache unavailable");
                None
            }
        }
    }
}

fn is_fresh(cached: &CachedToken, now: i64) -> bool {
    now < cached.expires_at.saturating_sub(REFRESH_MARGIN_MS)
}
