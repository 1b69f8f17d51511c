//! Single values with a TTL (`SET PX`), read once with `GETDEL` (Redis 6.2+).

use super::{RedisStore, keys, ms};
use crate::store::{Ephemeral, StoreError};
use async_trait::async_trait;
use std::time::Duration;

#[async_trait]
impl Ephemeral for RedisStore {
    async fn put_value(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(keys::value(key)).arg(value).arg("PX").arg(ms(ttl));
        self.cmd::<()>(cmd).await
    }

    async fn get_value(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut cmd = redis::cmd("GET");
        cmd.arg(keys::value(key));
        self.cmd(cmd).await
    }

    async fn take_value(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut cmd = redis::cmd("GETDEL");
        cmd.arg(keys::value(key));
        self.cmd(cmd).await
    }

    async fn remove_value(&self, key: &str) -> Result<(), StoreError> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(keys::value(key));
        self.cmd::<()>(cmd).await
    }
}
