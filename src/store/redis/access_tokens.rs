//! The WeChat access token, shared by every instance: `<expires_at>|<token>` with the token's
//! own expiry as TTL; compare-and-expire in Lua; one refresher per app id through a lock key
//! (`SET NX PX`, released only by the holder of its random value).

use super::{RedisStore, keys, ms, ttl_ms};
use crate::ids::AppId;
use crate::secret::Secret;
use crate::store::{CachedToken, RefreshLock, StoreError, TokenCache};
use async_trait::async_trait;
use std::sync::LazyLock;
use std::time::Duration;

/// KEYS[1] token; ARGV[1] the token the caller saw rejected. Deletes only that very token.
static EXPIRE_IF: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local bar = string.find(current, '|', 1, true)
if bar and string.sub(current, bar + 1) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
",
    )
});

/// KEYS[1] lock; ARGV[1] the holder's value. Deletes the lock only if still held by it.
static UNLOCK: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
",
    )
});

#[async_trait]
impl TokenCache for RedisStore {
    async fn get(&self, app_id: &AppId) -> Result<Option<CachedToken>, StoreError> {
        let mut cmd = redis::cmd("GET");
        cmd.arg(keys::token(app_id));
        let stored: Option<String> = self.cmd(cmd).await?;
        let Some(stored) = stored else {
            return Ok(None);
        };
        let corrupt = || StoreError::Corrupt("a cached token is not `<expiry>|<token>`");
        let (expires_at, token) = stored.split_once('|').ok_or_else(corrupt)?;
        Ok(Some(CachedToken {
            token: Secret::new(token),
            expires_at: expires_at.parse().map_err(|_| corrupt())?,
        }))
    }

    async fn put(&self, app_id: &AppId, token: &CachedToken) -> Result<(), StoreError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(keys::token(app_id))
            .arg(format!("{}|{}", token.expires_at, token.token.expose()))
            .arg("PX")
            .arg(ttl_ms(token.expires_at));
        self.cmd::<String>(cmd).await.map(|_| ())
    }

    async fn expire_if(&self, app_id: &AppId, token: &Secret) -> Result<bool, StoreError> {
        let mut call = EXPIRE_IF.key(keys::token(app_id));
        call.arg(token.expose());
        let expired: i64 = self
            .run(|mut conn| async move { call.invoke_async(&mut conn).await })
            .await?;
        Ok(expired == 1)
    }

    async fn try_lock_refresh(
        &self,
        app_id: &AppId,
        ttl: Duration,
    ) -> Result<Option<RefreshLock>, StoreError> {
        let held = RefreshLock::generate();
        let mut cmd = redis::cmd("SET");
        cmd.arg(keys::token_lock(app_id))
            .arg(held.as_str())
            .arg("NX")
            .arg("PX")
            .arg(ms(ttl));
        let taken: Option<String> = self.cmd(cmd).await?;
        Ok(taken.map(|_| held))
    }

    async fn unlock_refresh(&self, app_id: &AppId, held: RefreshLock) -> Result<(), StoreError> {
        let mut call = UNLOCK.key(keys::token_lock(app_id));
        call.arg(held.as_str());
        self.run(|mut conn| async move { call.invoke_async::<i64>(&mut conn).await })
            .await
            .map(|_| ())
    }
}
