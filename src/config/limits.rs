//! `[limits]`: rate limits, caps and the trusted proxies (see docs/operations.md).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LimitsConfig {
    pub scene_ttl_seconds: u64,
    /// The fastest a browser may poll one scene (advertised as `interval`, rounded up to whole
    /// seconds); faster polls get 429 `slow_down`. 0 turns `slow_down` off (load tests).
    pub poll_interval_ms: u64,
    /// A request body past this is 413 and is not read. Must be above 0: the server reads a
    /// body whole, so this bounds its memory.
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
    /// Logins without a scene (`POST /api/v1/mobile-app/login`, the mini-program's own login)
    /// per client address per minute, counted before WeChat is called; 0: no limit.
    pub direct_logins_per_ip_per_minute: u64,
    /// Phone numbers asked of WeChat (`POST /api/v1/mini-program/phone`: each success costs
    /// money) per client address per minute, counted before WeChat is called; 0: no limit.
    pub phone_numbers_per_ip_per_minute: u64,
    /// The bits of an IPv6 address that name one client for every per-address limit (a /64 is
    /// what one subscriber is given); 1..=128, 128 counting each address alone.
    pub ipv6_prefix_length: u8,
    /// Total bytes of request header names and values (431 past it); the server also caps
    /// the whole head (request line and headers) at twice this plus 8 KiB (at least 16 KiB).
    /// Must be above 0.
    pub max_header_bytes: usize,
    /// Open connections in all; past it new ones get a bare 503 and are closed at once.
    /// Lowered at start to what the file-descriptor limit allows (less a reserve for the
    /// store, the database and WeChat); 0: only that limit.
    pub max_connections: usize,
    /// Open connections from one peer address (trusted proxies are not counted); past it,
    /// as `max_connections`. 0: no limit.
    pub max_connections_per_ip: usize,
    /// A connection with no request under way is closed after this many seconds.
    pub idle_timeout_seconds: u64,
    /// From a request's first byte to the end of its head; past it the connection closes.
    pub head_timeout_seconds: u64,
    /// For a request's whole body; past it the connection closes.
    pub body_timeout_seconds: u64,
    /// For each write of a response part; a peer that stops reading is dropped.
    pub write_timeout_seconds: u64,
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
            direct_logins_per_ip_per_minute: 60,
            phone_numbers_per_ip_per_minute: 10,
            ipv6_prefix_length: 64,
            max_header_bytes: 16 * 1024,
            max_connections: 100_000,
            max_connections_per_ip: 256,
            idle_timeout_seconds: 75,
            head_timeout_seconds: 30,
            body_timeout_seconds: 30,
            write_timeout_seconds: 30,
            trusted_proxies: Vec::new(),
        }
    }
}
