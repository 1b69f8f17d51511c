//! Callback dedupe (`SET NX PX`) and fixed-window rate counters (`INCR` and `PEXPIRE` in one
//! script, so a counter never lives without its window).

use super::{RedisStore, keys, ms};
use crate::store::{Dedupe, RateLimiter, StoreError};
use async_trait::async_trait;
use std::sync::LazyLock;
use std::time::Duration;

/// KEYS[1] counter; ARGV[1] window ms. Returns {hits so far, ms until the window resets}.
static HIT: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local hits = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {hits, left}
",
    )
});

#[async_trait]
impl Dedupe for RedisStore {
    async fn first_seen(&self, key: &str, ttl: Duration) -> Result<bool, StoreError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(keys::seen(key))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(ms(ttl));
        Ok(self.cmd::<Option<String>>(cmd).await?.is_some())
    }

    async fn forget(&self, key: &str) -> Result<(), StoreError> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(keys::seen(key));
        self.cmd::<i64>(cmd).await.map(|_| ())
    }
}

#[async_trait]
impl RateLimiter for RedisStore {
    async fn hit(&self, key: &str, window: Duration) -> Result<(u64, Duration), StoreError> {
        let mut call = HIT.key(keys::counter(key));
        call.arg(ms(window));
        let (hits, left): (u64, i64) = self
            .run(|mut conn| async move { call.invoke_async(&mut conn).await })
            .await?;
        let left = u64::try_from(left).unwrap_or(0);
        Ok((hits, Duration::from_millis(left)))
    }
}
