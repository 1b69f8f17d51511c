//! What the instances sharing this Redis agree on: one key per fact, held by the first instance
//! to claim it and renewed by every instance that brings the same value.

use super::{RedisStore, keys, ms};
use crate::store::{Peers, StoreError};
use async_trait::async_trait;
use std::sync::LazyLock;
use std::time::Duration;

/// KEYS[1] the fact; ARGV[1] this instance's value, ARGV[2] ttl ms. Returns the other value
/// when it differs, else false (the key now holds ARGV[1] for the ttl).
static AGREE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local held = redis.call('GET', KEYS[1])
if held and held ~= ARGV[1] then
  return held
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
",
    )
});

#[async_trait]
impl Peers for RedisStore {
    async fn agree(
        &self,
        name: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<Option<String>, StoreError> {
        let mut call = AGREE.key(keys::peers(name));
        call.arg(value).arg(ms(ttl));
        self.run(|mut conn| async move { call.invoke_async(&mut conn).await })
            .await
    }
}
