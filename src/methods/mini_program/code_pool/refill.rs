//! The refill: keeps the pool full in the background, within the local pace and the
//! cluster's getwxacodeunlimit budget, backing off on WeChat's errors.

use super::{CodePool, MiniProgram, PooledCode};
use crate::limits::{self, Rule, Verdict};
use crate::scene::Scene;
use crate::store::RateLimiter;
use crate::wechat::{WeChatClient, WeChatError, WxaCodeRequest};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// The cluster-wide `getwxacodeunlimit` budget (`limits.wxacode_per_minute`), which the refill
/// spends from like every browser-chosen scene does: with Redis, all instances' pools and
/// scenes count together.
#[derive(Clone)]
pub struct SharedBudget {
    pub limiter: Arc<dyn RateLimiter>,
    pub key: String,
    pub rule: Rule,
}

impl CodePool {
    /// Keep the pool full in the background, for as long as the pool exists.
    pub fn spawn_refill(
        self: &Arc<Self>,
        wechat: WeChatClient,
        mp: MiniProgram,
        shared: SharedBudget,
    ) {
        if self.settings.size == 0 {
            return;
        }
        tokio::spawn(refill(Arc::downgrade(self), wechat, mp, shared));
    }
}

/// How long to wait after a failed draw: doubling from 1 s to 1 min; a quota error waits as
/// long as WeChat said.
fn backoff(failures: u32, error: &WeChatError) -> Duration {
    if let WeChatError::QuotaExhausted { retry_after } = error {
        return *retry_after;
    }
    Duration::from_secs(1u64 << failures.min(6)).min(Duration::from_secs(60))
}

/// A token bucket over the quota share: starts full (`size` draws at once), then
/// `per_minute` draws a minute.
struct Budget {
    tokens: f64,
    capacity: f64,
    per_sec: f64,
    at: Instant,
}

impl Budget {
    fn new(capacity: usize, per_minute: u32, now: Instant) -> Budget {
        let capacity = capacity.max(1) as f64;
        Budget {
            tokens: capacity,
            capacity,
            per_sec: f64::from(per_minute.max(1)) / 60.0,
            at: now,
        }
    }

    /// Spend one draw now, or say how long until one is available.
    fn spend(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.capacity);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.per_sec))
        }
    }
}

/// Spend one call from the cluster's budget; `Err` is how long to wait first.
async fn spend_shared(shared: &SharedBudget) -> Result<(), Duration> {
    match limits::check(shared.limiter.as_ref(), &shared.key, shared.rule).await {
        Ok(Verdict::Allowed) => Ok(()),
        Ok(Verdict::Refused { retry_after }) => Err(retry_after.max(Duration::from_secs(1))),
        Err(e) => {
            tracing::warn!(error = %crate::telemetry::chain(&e), "code pool: the store did not count a draw; waiting");
            Err(STORE_RETRY)
        }
    }
}

const STORE_RETRY: Duration = Duration::from_secs(2);

async fn refill(pool: Weak<CodePool>, wechat: WeChatClient, mp: MiniProgram, shared: SharedBudget) {
    let Some(settings) = pool.upgrade().map(|p| p.settings) else {
        return;
    };
    let mut budget = Budget::new(settings.size, settings.refill_per_minute, Instant::now());
    let mut failures = 0u32;
    loop {
        let Some(strong) = pool.upgrade() else {
            return;
        };
        let now = Instant::now();
        if strong.len(now) >= settings.size {
            // Full: wait for a hand-out, or for the oldest entry to go stale.
            let oldest = strong.lock().front().map(|e| e.drawn_at);
            let stale_in = oldest.map_or(settings.max_age, |at| {
                (at + settings.max_age).saturating_duration_since(now)
            });
            let taken = Arc::clone(&strong.taken);
            drop(strong);
            tokio::select! {
                _ = taken.notified() => {}
                _ = tokio::time::sleep(stale_in.max(Duration::from_millis(10))) => {}
            }
            continue;
        }
        if let Err(wait) = budget.spend(now) {
            drop(strong);
            tokio::time::sleep(wait).await;
            continue;
        }
        drop(strong);
        if let Err(wait) = spend_shared(&shared).await {
            tokio::time::sleep(wait).await;
            continue;
        }
        let scene = Scene::generate();
        let request = WxaCodeRequest {
            scene: scene.to_string(),
            page: mp.page.clone(),
            check_path: mp.check_path,
            env_version: mp.env_version.clone(),
            width: mp.width,
        };
        match wechat.wxacode_unlimit(&mp.app, &request).await {
            Ok(image) => {
                failures = 0;
                let code = PooledCode {
                    scene,
                    data_url: image.data_url(),
                    drawn_at: Instant::now(),
                };
                let Some(strong) = pool.upgrade() else {
                    return;
                };
                // Full meanwhile (cannot happen with one refill task): the code is dropped.
                let _ = strong.put(code);
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                let wait = backoff(failures, &e);
                tracing::warn!(error = %crate::telemetry::chain(&e), retry_in_ms = wait.as_millis() as u64, "code pool: drawing a code failed");
                tokio::time::sleep(wait).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_allows_a_burst_of_size_then_the_rate() {
        let t0 = Instant::now();
        let mut b = Budget::new(3, 60, t0);
        assert!(b.spend(t0).is_ok());
        assert!(b.spend(t0).is_ok());
        assert!(b.spend(t0).is_ok());
        let wait = b.spend(t0).unwrap_err();
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1));
        assert!(b.spend(t0 + Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn a_quota_error_waits_what_wechat_said_others_back_off() {
        let quota = WeChatError::QuotaExhausted {
            retry_after: Duration::from_secs(60),
        };
        assert_eq!(backoff(1, &quota), Duration::from_secs(60));
        let other = WeChatError::Transport("refused".into());
        assert_eq!(backoff(1, &other), Duration::from_secs(2));
        assert_eq!(backoff(30, &other), Duration::from_secs(60));
    }
}
