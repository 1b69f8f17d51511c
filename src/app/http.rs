//! The HTTP server's settings and hooks, from `[limits]`.

use crate::config::LimitsConfig;
use crate::limits::{AddressKeys, TrustedProxies};
use crate::metrics::Metrics;
use crate::web;
use std::sync::Arc;
use std::time::Duration;

/// File descriptors kept for what is not a client connection (the listener, the store's and
/// the database's pools, WeChat, logs).
const RESERVED_FDS: u64 = 256;

/// `[limits]`' bounds on connections. The size caps and time bounds cannot be off (0 is
/// refused): the server reads each head and body whole, and a connection must end.
pub(super) fn limits(config: &LimitsConfig) -> anyhow::Result<saoma_http::ConnectionLimits> {
    for (key, value) in [
        ("max_header_bytes", config.max_header_bytes as u64),
        ("max_body_bytes", config.max_body_bytes as u64),
        ("idle_timeout_seconds", config.idle_timeout_seconds),
        ("head_timeout_seconds", config.head_timeout_seconds),
        ("body_timeout_seconds", config.body_timeout_seconds),
        ("write_timeout_seconds", config.write_timeout_seconds),
    ] {
        anyhow::ensure!(
            value > 0,
            "limits.{key} must be above 0 (a size cap or time bound cannot be turned off)"
        );
    }
    Ok(saoma_http::ConnectionLimits {
        idle_timeout: Duration::from_secs(config.idle_timeout_seconds),
        head_timeout: Duration::from_secs(config.head_timeout_seconds),
        body_timeout: Duration::from_secs(config.body_timeout_seconds),
        write_timeout: Duration::from_secs(config.write_timeout_seconds),
        max_connections: max_connections(config.max_connections),
        max_connections_per_ip: config.max_connections_per_ip,
        ..saoma_http::ConnectionLimits::new(config.max_header_bytes, config.max_body_bytes)
    })
}

/// `configured`, lowered to what the soft file-descriptor limit leaves for connections.
fn max_connections(configured: usize) -> usize {
    let Ok((soft, _)) = rlimit::getrlimit(rlimit::Resource::NOFILE) else {
        return configured;
    };
    let room = soft.saturating_sub(RESERVED_FDS);
    let room = usize::try_from(room).unwrap_or(usize::MAX).max(1);
    if configured == 0 || configured > room {
        tracing::info!(
            configured,
            used = room,
            file_limit = soft,
            "limits.max_connections lowered to what the file-descriptor limit allows"
        );
        room
    } else {
        configured
    }
}

/// Refusals look like the API's own errors; refused connections are counted; trusted
/// proxies carry many clients, so they are not capped per address; an IPv6 peer is counted by
/// its network, as every per-address limit counts it.
pub(super) fn hooks(
    metrics: Arc<Metrics>,
    proxies: TrustedProxies,
    addresses: AddressKeys,
) -> saoma_http::Hooks {
    let on_error: saoma_http::OnError = Arc::new(|e| {
        Box::pin(async move {
            let mut response = crate::edge::json_errors(e).await;
            web::base_headers(&mut response);
            response
        })
    });
    saoma_http::Hooks {
        on_error,
        on_refused: Arc::new(move |refused| metrics.connection_refused(refused.as_str())),
        per_address: Arc::new(move |ip| (!proxies.trusts(ip)).then(|| addresses.client(ip))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_size_cap_or_time_bound_of_0_is_refused_at_start() {
        for zero in [
            |c: &mut LimitsConfig| c.max_body_bytes = 0,
            |c: &mut LimitsConfig| c.max_header_bytes = 0,
            |c: &mut LimitsConfig| c.idle_timeout_seconds = 0,
            |c: &mut LimitsConfig| c.write_timeout_seconds = 0,
        ] {
            let mut config = LimitsConfig::default();
            zero(&mut config);
            let err = limits(&config).unwrap_err().to_string();
            assert!(err.contains("must be above 0"), "{err}");
        }
    }

    #[test]
    fn the_time_bounds_and_caps_come_from_limits() {
        let config = LimitsConfig {
            idle_timeout_seconds: 7,
            body_timeout_seconds: 9,
            max_connections: 10,
            max_connections_per_ip: 3,
            ..LimitsConfig::default()
        };
        let limits = limits(&config).unwrap();
        assert_eq!(limits.idle_timeout, Duration::from_secs(7));
        assert_eq!(limits.body_timeout, Duration::from_secs(9));
        assert_eq!(limits.max_connections, 10);
        assert_eq!(limits.max_connections_per_ip, 3);
    }
}
