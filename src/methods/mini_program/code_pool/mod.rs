//! Mini-program codes drawn ahead of time. When the browser sends no scene, Saoma picks the
//! scene itself, so it can fetch the code for it before anyone asks: creating a scene then
//! costs no WeChat round trip, only the store write.
//!
//! - Each pooled entry is a scene id Saoma generated (128 random bits, never shown to anyone
//!   before it is handed out) and the code WeChat drew for it. An entry leaves the pool once,
//!   under the lock, so no code is ever handed out twice.
//! - The scene itself is created in the store at hand-out time, so the scene TTL starts then;
//!   only the code's own age matters. WeChat's codes never expire, but the code carries the
//!   page and `env_version` of the day, so entries older than `max_age` are dropped unused.
//! - The background refill spends WeChat's getwxacodeunlimit quota (5,000 calls a minute per
//!   app, shared with browser-chosen scenes) through a token bucket: at most `size` at once
//!   (the initial fill), then `refill_per_minute`. Each draw also counts in the cluster-wide
//!   `limits.wxacode_per_minute` budget ([`SharedBudget`]), like a browser-chosen scene's; when
//!   that is spent the refill waits for the next window. On an error it backs off, and on a
//!   quota error (45009/45011) it waits a whole minute.
//! - With Redis, every instance keeps its own pool: entries are process memory, the scene ids
//!   are random, and the scene is written to the shared store only at hand-out.

mod refill;

pub use refill::SharedBudget;

use super::MiniProgram;
use crate::login::wxacode_key;
use crate::methods::Setup;
use crate::scene::Scene;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the pool is sized and paced (`mini_program.pool_*`).
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    /// Codes kept ready; 0 turns the pool off.
    pub size: usize,
    /// Entries older than this are dropped unused.
    pub max_age: Duration,
    /// The refill's share of the getwxacodeunlimit quota, in calls a minute.
    pub refill_per_minute: u32,
}

/// A code drawn for a scene nobody has seen yet, kept as the `data:` URL the browser gets (so
/// the base64 encoding is done ahead of time too).
#[derive(Clone)]
pub struct PooledCode {
    pub scene: Scene,
    pub data_url: String,
    pub drawn_at: Instant,
}

impl std::fmt::Debug for PooledCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PooledCode")
            .field("scene", &self.scene)
            .field("data_url_len", &self.data_url.len())
            .field("drawn_at", &self.drawn_at)
            .finish()
    }
}

/// The pooled codes, oldest first.
pub struct CodePool {
    settings: PoolSettings,
    entries: Mutex<VecDeque<PooledCode>>,
    /// Wakes the refill when an entry was taken (a permit is kept if it is not waiting).
    taken: Arc<tokio::sync::Notify>,
    /// Kept at the number of entries (`saoma_code_pool_codes`).
    gauge: Option<prometheus::IntGauge>,
}

impl std::fmt::Debug for CodePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodePool")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl CodePool {
    pub fn new(settings: PoolSettings) -> CodePool {
        CodePool {
            settings,
            entries: Mutex::new(VecDeque::with_capacity(settings.size)),
            taken: Arc::new(tokio::sync::Notify::new()),
            gauge: None,
        }
    }

    /// Report the number of ready entries in `gauge`.
    pub fn with_gauge(mut self, gauge: prometheus::IntGauge) -> CodePool {
        self.gauge = Some(gauge);
        self
    }

    fn report(&self, len: usize) {
        if let Some(gauge) = &self.gauge {
            gauge.set(i64::try_from(len).unwrap_or(i64::MAX));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<PooledCode>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The oldest fresh entry, taken out for good; stale entries met on the way are dropped.
    pub fn take(&self, now: Instant) -> Option<PooledCode> {
        let taken = {
            let mut entries = self.lock();
            drop_stale(&mut entries, now, self.settings.max_age);
            let taken = entries.pop_front();
            self.report(entries.len());
            taken
        };
        if taken.is_some() {
            self.taken.notify_one();
        }
        taken
    }

    /// How many fresh entries are ready.
    pub fn len(&self, now: Instant) -> usize {
        let mut entries = self.lock();
        drop_stale(&mut entries, now, self.settings.max_age);
        self.report(entries.len());
        entries.len()
    }

    /// Add a freshly drawn entry; refused (returned) when the pool is full.
    pub fn put(&self, code: PooledCode) -> Result<(), PooledCode> {
        let mut entries = self.lock();
        if entries.len() >= self.settings.size {
            return Err(code);
        }
        entries.push_back(code);
        self.report(entries.len());
        Ok(())
    }
}

/// The mini-program code pool, filling in the background; `None` when `pool_size` is 0. The
/// refill draws codes as `mp` says (its own `pool` is not needed).
pub(super) fn from_setup(setup: &Setup<'_>, mp: &MiniProgram) -> Option<Arc<CodePool>> {
    let config = setup.config;
    let settings = PoolSettings {
        size: config.mini_program.pool_size,
        max_age: Duration::from_secs(config.mini_program.pool_max_age_seconds),
        refill_per_minute: config.mini_program.pool_refill_per_minute,
    };
    if settings.size == 0 {
        return None;
    }
    if settings.max_age.is_zero() {
        tracing::warn!("mini_program.pool_max_age_seconds = 0 keeps no code: the pool is off");
        return None;
    }
    let pool = Arc::new(CodePool::new(settings).with_gauge(setup.metrics.code_pool_gauge()));
    let shared = SharedBudget {
        limiter: Arc::clone(setup.limiter),
        key: wxacode_key(&mp.app.app_id),
        rule: setup.limits.wxacode,
    };
    pool.spawn_refill(setup.wechat.clone(), mp.clone(), shared);
    Some(pool)
}

/// Entries are in drawing order, so the stale ones are at the front.
fn drop_stale(entries: &mut VecDeque<PooledCode>, now: Instant, max_age: Duration) {
    while entries
        .front()
        .is_some_and(|e| now.saturating_duration_since(e.drawn_at) >= max_age)
    {
        entries.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(size: usize, max_age_secs: u64) -> CodePool {
        CodePool::new(PoolSettings {
            size,
            max_age: Duration::from_secs(max_age_secs),
            refill_per_minute: 60,
        })
    }

    fn code(drawn_at: Instant) -> PooledCode {
        PooledCode {
            scene: Scene::generate(),
            data_url: "data:image/jpeg;base64,AQID".into(),
            drawn_at,
        }
    }

    #[test]
    fn entries_leave_the_pool_once_oldest_first() {
        let p = pool(3, 60);
        let t0 = Instant::now();
        let (a, b) = (code(t0), code(t0 + Duration::from_secs(1)));
        let (scene_a, scene_b) = (a.scene.clone(), b.scene.clone());
        p.put(a).unwrap();
        p.put(b).unwrap();
        let now = t0 + Duration::from_secs(2);
        assert_eq!(p.take(now).unwrap().scene, scene_a);
        assert_eq!(p.take(now).unwrap().scene, scene_b);
        assert!(p.take(now).is_none());
    }

    #[test]
    fn a_full_pool_refuses_more() {
        let p = pool(1, 60);
        let t0 = Instant::now();
        p.put(code(t0)).unwrap();
        assert!(p.put(code(t0)).is_err());
        assert_eq!(p.len(t0), 1);
    }

    #[test]
    fn entries_older_than_max_age_are_dropped_not_handed_out() {
        let p = pool(3, 10);
        let t0 = Instant::now();
        p.put(code(t0)).unwrap();
        let young = code(t0 + Duration::from_secs(5));
        let young_scene = young.scene.clone();
        p.put(young).unwrap();
        let now = t0 + Duration::from_secs(12);
        assert_eq!(p.len(now), 1, "the old entry is gone");
        assert_eq!(p.take(now).unwrap().scene, young_scene);
        assert!(p.take(t0 + Duration::from_secs(30)).is_none());
    }
}
