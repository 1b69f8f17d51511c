//! Abuse limits, from `[limits]`: fixed-window counters kept by the store's `RateLimiter` (so
//! with Redis they hold for the whole cluster), per-instance counts of open SSE streams, which
//! peers may name the client in `X-Forwarded-For`, and which client an address counts as (an
//! IPv6 address by its /64).
//!
//! A rule is checked with [`check`]: any feature (scenes, polls, WeChat budgets, SMS sends)
//! names a key and a [`Rule`] and gets a [`Verdict`].

mod address;
mod client;
mod streams;

pub use address::AddressKeys;
pub use client::TrustedProxies;
pub use streams::StreamCounts;

use crate::config::LimitsConfig;
use crate::store::{RateLimiter, StoreError};
use std::time::Duration;

/// At most `max` hits per `window`; `max == 0` turns the rule off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub max: u64,
    pub window: Duration,
}

impl Rule {
    pub const fn new(max: u64, window: Duration) -> Self {
        Self { max, window }
    }

    pub const fn per_minute(max: u64) -> Self {
        Self::new(max, Duration::from_secs(60))
    }

    pub fn is_off(&self) -> bool {
        self.max == 0 || self.window.is_zero()
    }
}

/// What a counted hit learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Over the limit until the window resets, `retry_after` from now.
    Refused {
        retry_after: Duration,
    },
}

/// Count one hit on `key` and judge it against `rule` (an off rule counts nothing).
pub async fn check(
    limiter: &dyn RateLimiter,
    key: &str,
    rule: Rule,
) -> Result<Verdict, StoreError> {
    if rule.is_off() {
        return Ok(Verdict::Allowed);
    }
    let (hits, left) = limiter.hit(key, rule.window).await?;
    if hits > rule.max {
        Ok(Verdict::Refused { retry_after: left })
    } else {
        Ok(Verdict::Allowed)
    }
}

/// Whole seconds for a `Retry-After` header: rounded up, at least 1.
pub fn retry_after_secs(d: Duration) -> u64 {
    d.as_millis()
        .div_ceil(1000)
        .max(1)
        .try_into()
        .unwrap_or(u64::MAX)
}

/// Every limit, built once from the config.
#[derive(Debug)]
pub struct Limits {
    pub scenes_per_minute: Rule,
    /// Scenes created within one scene TTL: an upper bound of the ones still waiting (every
    /// scene created before the window began has expired), so it never lets more through.
    pub pending_scenes: Rule,
    /// One poll per scene per window; off when `poll_interval_ms = 0`.
    pub poll_pace: Rule,
    /// Rejected login codes per scene, within the scene's lifetime: the `max`-th cancels it.
    pub failed_logins: Rule,
    pub wxacode: Rule,
    /// Logins without a scene (native app, the mini-program's own login) per client address:
    /// each costs a WeChat code exchange.
    pub direct_logins: Rule,
    /// getuserphonenumber calls per client address (each success is charged).
    pub phone_numbers: Rule,
    pub streams: StreamCounts,
    pub proxies: TrustedProxies,
    /// The client a per-address limit counts (an IPv6 address by its network).
    pub addresses: AddressKeys,
}

/// A well-behaved browser polls every `interval` seconds by its own timer; a window a tenth
/// shorter than the interval keeps timer jitter from being taken for a fast poll.
const POLL_JITTER_NUMERATOR: u64 = 9;
const POLL_JITTER_DENOMINATOR: u64 = 10;

impl Limits {
    pub fn from_config(config: &LimitsConfig) -> anyhow::Result<Self> {
        let poll_window = config.poll_interval_ms * POLL_JITTER_NUMERATOR / POLL_JITTER_DENOMINATOR;
        Ok(Self {
            scenes_per_minute: Rule::per_minute(config.scenes_per_ip_per_minute),
            pending_scenes: Rule::new(
                config.pending_scenes_per_ip,
                Duration::from_secs(config.scene_ttl_seconds),
            ),
            poll_pace: Rule::new(1, Duration::from_millis(poll_window)),
            failed_logins: Rule::new(
                config.failed_logins_per_scene,
                Duration::from_secs(config.scene_ttl_seconds),
            ),
            wxacode: Rule::per_minute(config.wxacode_per_minute),
            direct_logins: Rule::per_minute(config.direct_logins_per_ip_per_minute),
            phone_numbers: Rule::per_minute(config.phone_numbers_per_ip_per_minute),
            streams: StreamCounts::new(config.max_sse_per_ip),
            proxies: TrustedProxies::parse(&config.trusted_proxies)?,
            addresses: AddressKeys::new(config.ipv6_prefix_length)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    #[tokio::test]
    async fn a_rule_refuses_past_its_max_until_the_window_resets() {
        let store = MemoryStore::new();
        let rule = Rule::new(2, Duration::from_millis(200));
        assert_eq!(check(&store, "k", rule).await.unwrap(), Verdict::Allowed);
        assert_eq!(check(&store, "k", rule).await.unwrap(), Verdict::Allowed);
        let Verdict::Refused { retry_after } = check(&store, "k", rule).await.unwrap() else {
            panic!("the third hit is refused");
        };
        assert!(retry_after <= Duration::from_millis(200));
        assert_eq!(
            check(&store, "other", rule).await.unwrap(),
            Verdict::Allowed
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(check(&store, "k", rule).await.unwrap(), Verdict::Allowed);
    }

    #[tokio::test]
    async fn a_zero_rule_is_off() {
        let store = MemoryStore::new();
        for _ in 0..10 {
            let off = Rule::per_minute(0);
            assert_eq!(check(&store, "k", off).await.unwrap(), Verdict::Allowed);
        }
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1_001)), 2);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }

    #[test]
    fn poll_interval_zero_turns_slow_down_off() {
        let config = LimitsConfig {
            poll_interval_ms: 0,
            ..LimitsConfig::default()
        };
        assert!(Limits::from_config(&config).unwrap().poll_pace.is_off());
        let on = Limits::from_config(&LimitsConfig::default()).unwrap();
        assert_eq!(on.poll_pace, Rule::new(1, Duration::from_millis(1_800)));
    }
}
