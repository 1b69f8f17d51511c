//! One process's store: maps behind mutexes, a sweeper that drops what outlived its TTL, and
//! per-scene broadcast channels for notifications.

use super::{
    CachedToken, Dedupe, Ephemeral, KeyClaim, KeyConflict, KeyKind, Notifier, Peers, RateLimiter,
    RefreshLock, SceneStore, StoreError, TokenCache, Versioned, now_ms,
};
use crate::ids::AppId;
use crate::scene::{Scene, SceneRecord};
use crate::secret::Secret;
use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;

struct Entry {
    record: SceneRecord,
    version: u64,
    keep_until: i64,
}

#[derive(Default)]
struct Inner {
    scenes: Mutex<HashMap<Scene, Entry>>,
    channels: Mutex<HashMap<Scene, broadcast::Sender<()>>>,
    tokens: Mutex<HashMap<AppId, CachedToken>>,
    /// app id -> (lock value, unix ms until which it is held).
    refresh_locks: Mutex<HashMap<AppId, (RefreshLock, i64)>>,
    /// key -> unix ms until which it counts as seen.
    seen: Mutex<HashMap<String, i64>>,
    /// key -> (hits, unix ms at which the window resets).
    counters: Mutex<HashMap<String, (u64, i64)>>,
    /// key -> (value, unix ms until which it lives).
    values: Mutex<HashMap<String, (Vec<u8>, i64)>>,
}

#[derive(Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

// A poisoned lock only means another thread panicked mid-update of a plain map; the map is
// still usable, so recover it rather than propagate the panic.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Drop scenes past their TTL and channels nobody listens to. Returns how many scenes went.
    pub fn sweep(&self, now: i64) -> usize {
        let mut scenes = lock(&self.inner.scenes);
        let before = scenes.len();
        scenes.retain(|_, e| e.keep_until > now);
        let removed = before - scenes.len();
        drop(scenes);
        lock(&self.inner.channels).retain(|_, tx| tx.receiver_count() > 0);
        lock(&self.inner.seen).retain(|_, until| *until > now);
        lock(&self.inner.counters).retain(|_, (_, reset)| *reset > now);
        lock(&self.inner.values).retain(|_, (_, until)| *until > now);
        removed
    }

    /// Sweep every `period` for as long as the store lives.
    pub fn spawn_sweeper(&self, period: Duration) {
        let weak = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                tick.tick().await;
                let Some(inner) = weak.upgrade() else { break };
                let removed = MemoryStore { inner }.sweep(now_ms());
                if removed > 0 {
                    tracing::debug!(removed, "swept expired scenes");
                }
            }
        });
    }

    pub fn scene_count(&self) -> usize {
        lock(&self.inner.scenes).len()
    }
}

#[async_trait]
impl SceneStore for MemoryStore {
    async fn create(&self, record: &SceneRecord, keep_until: i64) -> Result<(), StoreError> {
        let mut scenes = lock(&self.inner.scenes);
        let now = now_ms();
        if let Some(existing) = scenes.get(&record.scene)
            && existing.keep_until > now
        {
            return Err(StoreError::Exists);
        }
        scenes.insert(
            record.scene.clone(),
            Entry {
                record: record.clone(),
                version: 1,
                keep_until,
            },
        );
        Ok(())
    }

    async fn get(&self, scene: &Scene) -> Result<Option<Versioned>, StoreError> {
        let scenes = lock(&self.inner.scenes);
        Ok(scenes
            .get(scene)
            .filter(|e| e.keep_until > now_ms())
            .map(|e| Versioned {
                record: e.record.clone(),
                version: e.version,
            }))
    }

    async fn replace(
        &self,
        record: &SceneRecord,
        version: u64,
        keep_until: i64,
    ) -> Result<bool, StoreError> {
        let mut scenes = lock(&self.inner.scenes);
        match scenes.get_mut(&record.scene) {
            Some(e) if e.version == version && e.keep_until > now_ms() => {
                e.record = record.clone();
                e.version += 1;
                e.keep_until = keep_until;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn delete(&self, scene: &Scene) -> Result<(), StoreError> {
        lock(&self.inner.scenes).remove(scene);
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

#[async_trait]
impl Notifier for MemoryStore {
    async fn publish(&self, scene: &Scene) -> Result<(), StoreError> {
        if let Some(tx) = lock(&self.inner.channels).get(scene) {
            // No receiver is fine: nobody is watching this scene right now.
            let _ = tx.send(());
        }
        Ok(())
    }

    fn subscribe(&self, scene: &Scene) -> BoxStream<'static, ()> {
        let rx = lock(&self.inner.channels)
            .entry(scene.clone())
            .or_insert_with(|| broadcast::channel(4).0)
            .subscribe();
        // A lagged receiver missed hints, not data: it still yields and the reader re-reads.
        BroadcastStream::new(rx).map(|_| ()).boxed()
    }
}

#[async_trait]
impl TokenCache for MemoryStore {
    async fn get(&self, app_id: &AppId) -> Result<Option<CachedToken>, StoreError> {
        Ok(lock(&self.inner.tokens).get(app_id).cloned())
    }

    async fn put(&self, app_id: &AppId, token: &CachedToken) -> Result<(), StoreError> {
        lock(&self.inner.tokens).insert(app_id.clone(), token.clone());
        Ok(())
    }

    async fn expire_if(&self, app_id: &AppId, token: &Secret) -> Result<bool, StoreError> {
        let mut tokens = lock(&self.inner.tokens);
        if tokens.get(app_id).is_some_and(|c| &c.token == token) {
            tokens.remove(app_id);
            return Ok(true);
        }
        Ok(false)
    }

    async fn try_lock_refresh(
        &self,
        app_id: &AppId,
        ttl: Duration,
    ) -> Result<Option<RefreshLock>, StoreError> {
        let now = now_ms();
        let mut locks = lock(&self.inner.refresh_locks);
        if locks.get(app_id).is_some_and(|(_, until)| *until > now) {
            return Ok(None);
        }
        let held = RefreshLock::generate();
        let until = now + i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        locks.insert(app_id.clone(), (held.clone(), until));
        Ok(Some(held))
    }

    async fn unlock_refresh(&self, app_id: &AppId, held: RefreshLock) -> Result<(), StoreError> {
        let mut locks = lock(&self.inner.refresh_locks);
        if locks
            .get(app_id)
            .is_some_and(|(current, _)| *current == held)
        {
            locks.remove(app_id);
        }
        Ok(())
    }
}

#[async_trait]
impl Dedupe for MemoryStore {
    async fn first_seen(&self, key: &str, ttl: Duration) -> Result<bool, StoreError> {
        let now = now_ms();
        let until = now + i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        let mut seen = lock(&self.inner.seen);
        match seen.get(key) {
            Some(&t) if t > now => Ok(false),
            _ => {
                seen.insert(key.to_string(), until);
                Ok(true)
            }
        }
    }

    async fn forget(&self, key: &str) -> Result<(), StoreError> {
        lock(&self.inner.seen).remove(key);
        Ok(())
    }
}

/// One process, one store: nobody to disagree with.
#[async_trait]
impl Peers for MemoryStore {
    async fn agree(
        &self,
        _name: &str,
        _value: &str,
        _ttl: Duration,
    ) -> Result<Option<String>, StoreError> {
        Ok(None)
    }

    async fn claim_keys(
        &self,
        _kind: KeyKind,
        _claim: &KeyClaim,
        _ttl: Duration,
    ) -> Result<Option<KeyConflict>, StoreError> {
        Ok(None)
    }

    async fn release_keys(&self, _kind: KeyKind, _instance: &str) -> Result<(), StoreError> {
        Ok(())
    }
}

#[async_trait]
impl RateLimiter for MemoryStore {
    async fn hit(&self, key: &str, window: Duration) -> Result<(u64, Duration), StoreError> {
        let now = now_ms();
        let length = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
        let mut counters = lock(&self.inner.counters);
        let entry = counters.entry(key.to_string()).or_insert((0, now + length));
        if entry.1 <= now {
            *entry = (0, now + length);
        }
        entry.0 += 1;
        let left = u64::try_from(entry.1 - now).unwrap_or(0);
        Ok((entry.0, Duration::from_millis(left)))
    }
}

#[async_trait]
impl Ephemeral for MemoryStore {
    async fn put_value(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        let until = now_ms().saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
        lock(&self.inner.values).insert(key.to_string(), (value.to_vec(), until));
        Ok(())
    }

    async fn get_value(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let now = now_ms();
        Ok(lock(&self.inner.values)
            .get(key)
            .filter(|(_, until)| *until > now)
            .map(|(value, _)| value.clone()))
    }

    async fn take_value(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let now = now_ms();
        Ok(lock(&self.inner.values)
            .remove(key)
            .filter(|(_, until)| *until > now)
            .map(|(value, _)| value))
    }

    async fn remove_value(&self, key: &str) -> Result<(), StoreError> {
        lock(&self.inner.values).remove(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{Provider, Requester, SceneStatus};

    fn record(scene: &str) -> SceneRecord {
        SceneRecord {
            scene: Scene::parse(scene).unwrap(),
            provider: Provider::MiniProgram,
            status: SceneStatus::Pending,
            poll_token_hash: String::new(),
            requester: Requester {
                ip: "127.0.0.1".into(),
                user_agent: String::new(),
                created_at: 0,
                for_client: None,
            },
            expires_at: 0,
            scanned_by: None,
            outcome: None,
            return_url: None,
            phone_check: None,
            refused: None,
        }
    }

    #[tokio::test]
    async fn expired_scenes_are_removed_from_memory() {
        let store = MemoryStore::new();
        let now = now_ms();
        store
            .create(&record("short-lived"), now + 50)
            .await
            .unwrap();
        store
            .create(&record("long-lived1"), now + 60_000)
            .await
            .unwrap();
        assert_eq!(store.sweep(now), 0);
        assert_eq!(store.sweep(now + 100), 1);
        assert_eq!(store.scene_count(), 1);
        let gone = Scene::parse("short-lived").unwrap();
        assert!(SceneStore::get(&store, &gone).await.unwrap().is_none());
    }

    // The rest of the store's behaviour is the contract every store passes:
    // tests/api/cluster/store_contract.rs runs it on memory, Redis and Redis Cluster.
}
