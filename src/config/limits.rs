//! `[limits]`: rate limits, caps and the trusted proxies (see the README's Operations).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LimitsConfig {
    pub scene_ttl_seconds: u64,
    /// The fastest a browser may poll one scene (advertised as `interval`, rounded up to whole
    /// seconds); faster polls get 429 `slow_down`. 0 turns `slow_down` off (load tests).
    pub poll_interval_ms: u64,
    pub max_body_bytes: usize,
    /// Scenes one client address may create per minute (429 `rate_limited`); 0: no limit.
    pub scenes_per_ip_per_minute: u64,
    /// Scenes one client address may have waiting at once, counted as the scenes it created
    /// within one scene TTL (an upper bound of the waiting ones); 0: no limit.
    pub pending_scenes_per_ip: u64,
    /// Open SSE streams per client address, per instance; 0: no limit.
    pub max_sse_per_ip: u64,
    /// Rejected login codes against one scene before the scene is cancelled; 0: no limit.
    pub failed_logins_per_scene: u64,
    /// `getwxacodeunlimit` calls per minute for the whole cluster (WeChat allows 5,000); past
    /// it, 503 `wechat_quota_exhausted` without calling WeChat; 0: no budget.
    pub wxacode_per_minute: u64,
    /// Total bytes of request header names and values (431 past it). HTTP/2 header lists are
    /// capped at the same size by the server.
    pub max_header_bytes: usize,
    /// Proxies (IPs or CIDRs, `10.0.0.0/8`) whose `X-Forwarded-For` names the client.
    /// Requests from anyone else are attributed to their peer address.
    pub trusted_proxies: Vec<String>,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            scene_ttl_seconds: 300,
            poll_interval_ms: 2_000,
            max_body_bytes: 16 * 1024,
            scenes_per_ip_per_minute: 60,
            pending_scenes_per_ip: 200,
            max_sse_per_ip: 100,
            failed_logins_per_scene: 5,
            wxacode_per_minute: 4_000,
            max_header_bytes: 16 * 1024,
            trusted_proxies: Vec::new(),
        }
    }
}
