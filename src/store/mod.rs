//! Ephemeral state: scenes, notifications, cached WeChat access tokens. Split by capability;
//! `memory` implements them all for one process, `redis` for many instances sharing one Redis
//! (or Redis Cluster).

mod memory;
mod peers;
pub mod redis;

pub use memory::MemoryStore;
pub use peers::{KeyClaim, KeyConflict, KeyKind, Peers};
pub use redis::RedisStore;

use crate::ids::AppId;
use crate::scene::{Scene, SceneRecord};
use crate::secret::Secret;
use async_trait::async_trait;
use futures::stream::BoxStream;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the scene already exists")]
    Exists,
    /// A Redis command failed (the connection, or the server's answer).
    #[error("Redis failed")]
    Redis(#[source] ::redis::RedisError),
    #[error("Redis did not answer within {} ms", .0.as_millis())]
    Timeout(std::time::Duration),
    /// Redis failed a moment ago: calls fail at once for a short while instead of waiting.
    #[error("Redis was unreachable a moment ago; not asking again yet")]
    BackingOff,
    /// `redis_url` names nothing Saoma can connect to (the message never holds the URL).
    #[error("redis_url is not usable: {0}")]
    BadUrl(&'static str),
    #[error("a scene could not be encoded")]
    Encoding(#[source] rmp_serde::encode::Error),
    /// The store holds what Saoma cannot read.
    #[error("the store holds data Saoma cannot read: {0}")]
    Corrupt(&'static str),
}

/// A record with the version a compare-and-set must name.
#[derive(Debug, Clone)]
pub struct Versioned {
    pub record: SceneRecord,
    pub version: u64,
}

/// Scenes with a time to live. Every change is a compare-and-set on the version read.
#[async_trait]
pub trait SceneStore: Send + Sync {
    /// Insert a new scene, kept until `keep_until` (unix ms). Never overwrites: `Exists`.
    async fn create(&self, record: &SceneRecord, keep_until: i64) -> Result<(), StoreError>;
    async fn get(&self, scene: &Scene) -> Result<Option<Versioned>, StoreError>;
    /// Replace the scene if it is still at `version`; `false` when another writer won.
    async fn replace(
        &self,
        record: &SceneRecord,
        version: u64,
        keep_until: i64,
    ) -> Result<bool, StoreError>;
    async fn delete(&self, scene: &Scene) -> Result<(), StoreError>;
    async fn ping(&self) -> Result<(), StoreError>;
}

/// "This scene changed": at-most-once hints; listeners re-read the scene.
#[async_trait]
pub trait Notifier: Send + Sync {
    async fn publish(&self, scene: &Scene) -> Result<(), StoreError>;
    /// A stream that yields once per published change of `scene` (changes may coalesce).
    fn subscribe(&self, scene: &Scene) -> BoxStream<'static, ()>;
}

/// A WeChat access token as cached, with its expiry (unix ms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedToken {
    pub token: Secret,
    pub expires_at: i64,
}

/// WeChat access tokens cached per app id.
#[async_trait]
pub trait TokenCache: Send + Sync {
    async fn get(&self, app_id: &AppId) -> Result<Option<CachedToken>, StoreError>;
    async fn put(&self, app_id: &AppId, token: &CachedToken) -> Result<(), StoreError>;
    /// Forget the cached token only if it is still `token` (compare-and-expire), so a caller
    /// holding a stale failure does not throw away a fresh token another caller just fetched.
    async fn expire_if(&self, app_id: &AppId, token: &Secret) -> Result<bool, StoreError>;
    /// Become the one refresher of the app's token for at most `ttl` (a crashed holder frees it
    /// by expiry): `None` while someone else holds it.
    async fn try_lock_refresh(
        &self,
        app_id: &AppId,
        ttl: std::time::Duration,
    ) -> Result<Option<RefreshLock>, StoreError>;
    /// Give the lock back, only if `lock` still holds it (not one taken after it expired).
    async fn unlock_refresh(&self, app_id: &AppId, lock: RefreshLock) -> Result<(), StoreError>;
}

/// Proof of holding an app's refresh lock: a random value only its holder knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshLock(String);

impl RefreshLock {
    pub fn generate() -> Self {
        Self(hex::encode(rand::random::<[u8; 16]>()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// "Have we handled this already?" across every instance (WeChat retries pushes).
#[async_trait]
pub trait Dedupe: Send + Sync {
    /// True the first time `key` is seen within `ttl`; false for every repeat in that time.
    async fn first_seen(&self, key: &str, ttl: std::time::Duration) -> Result<bool, StoreError>;
    /// Forget `key`, so that it is seen for the first time again (what it named failed, and
    /// its retry must be handled).
    async fn forget(&self, key: &str) -> Result<(), StoreError>;
}

/// Fixed-window counters for rate limits.
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Count one hit on `key` in its current window of length `window`. Returns the hits so far
    /// in this window (this one included) and the time until the window resets.
    async fn hit(
        &self,
        key: &str,
        window: std::time::Duration,
    ) -> Result<(u64, std::time::Duration), StoreError>;
}

/// Short-lived single values (OpenID authorization requests, codes, sign-on sessions): opaque
/// bytes under a key, gone after their TTL. `take` reads and deletes in one step, so a value
/// meant to be used once is used once, whatever the number of instances.
#[async_trait]
pub trait Ephemeral: Send + Sync {
    /// Store `value` under `key` for `ttl`, replacing what was there.
    async fn put_value(
        &self,
        key: &str,
        value: &[u8],
        ttl: std::time::Duration,
    ) -> Result<(), StoreError>;
    async fn get_value(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Read and delete atomically: of two takers, one gets the value.
    async fn take_value(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    async fn remove_value(&self, key: &str) -> Result<(), StoreError>;
}

/// One store seen through each capability, as `app` hands them out.
#[derive(Clone)]
pub struct Stores {
    pub scenes: Arc<dyn SceneStore>,
    pub notifier: Arc<dyn Notifier>,
    pub tokens: Arc<dyn TokenCache>,
    pub dedupe: Arc<dyn Dedupe>,
    pub limiter: Arc<dyn RateLimiter>,
    pub peers: Arc<dyn Peers>,
    pub ephemeral: Arc<dyn Ephemeral>,
}

impl Stores {
    /// Every capability served by the one `store`.
    pub fn all<S>(store: S) -> Self
    where
        S: SceneStore + Notifier + TokenCache + Dedupe + RateLimiter + Peers + Ephemeral + 'static,
    {
        let store = Arc::new(store);
        Self {
            scenes: store.clone(),
            notifier: store.clone(),
            tokens: store.clone(),
            dedupe: store.clone(),
            limiter: store.clone(),
            peers: store.clone(),
            ephemeral: store,
        }
    }
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
