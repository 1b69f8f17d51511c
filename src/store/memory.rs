//! One process's store: maps behind mutexes, a sweeper that drops what outlived its TTL, and
//! per-scene broadcast channels for notifications.

use super::{CachedToken, Notifier, SceneStore, StoreError, TokenCache, Versioned, now_ms};
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
}
