//! What `redis_url` names: one server, or a cluster given by its seed nodes.
//!
//! - `redis://[user:password@]host:port[/db]` (or `unix:///path/to/redis.sock`): one server
//!   (a primary, or a proxy in front of one).
//! - `redis+cluster://[user:password@]host1:port1,host2:port2,...`: a Redis Cluster. The hosts
//!   are seeds only: the client learns every node and slot from them. One is enough; list more
//!   so that start-up and the pub/sub listener survive a seed being down.

use super::super::StoreError;

const CLUSTER_SCHEME: &str = "redis+cluster://";

/// A parsed `redis_url`. `Debug` never shows a password.
#[derive(Clone, PartialEq, Eq)]
pub enum RedisTarget {
    Single(String),
    Cluster(Vec<String>),
}

impl RedisTarget {
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        let url = url.trim();
        let Some(rest) = url.strip_prefix(CLUSTER_SCHEME) else {
            if url.starts_with("redis://") || url.starts_with("unix://") {
                return Ok(Self::Single(url.to_string()));
            }
            return Err(invalid("expected redis://, unix:// or redis+cluster://"));
        };
        let (auth, hosts) = match rest.rsplit_once('@') {
            Some((auth, hosts)) => (format!("{auth}@"), hosts),
            None => (String::new(), rest),
        };
        let hosts = hosts.trim_end_matches('/');
        let seeds: Vec<String> = hosts
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(|h| format!("redis://{auth}{h}"))
            .collect();
        if seeds.is_empty() || hosts.contains('/') {
            return Err(invalid(
                "a cluster URL lists host:port seeds and nothing else",
            ));
        }
        Ok(Self::Cluster(seeds))
    }

    /// Every URL to try for a plain connection (the pub/sub listener), in order.
    pub fn urls(&self) -> &[String] {
        match self {
            Self::Single(url) => std::slice::from_ref(url),
            Self::Cluster(seeds) => seeds,
        }
    }
}

impl std::fmt::Debug for RedisTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Single(_) => write!(f, "RedisTarget::Single([redacted])"),
            Self::Cluster(seeds) => write!(f, "RedisTarget::Cluster({} seeds)", seeds.len()),
        }
    }
}

fn invalid(why: &'static str) -> StoreError {
    StoreError::BadUrl(why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_url_is_one_server() {
        let t = RedisTarget::parse("redis://127.0.0.1:6379/0").unwrap();
        assert_eq!(t, RedisTarget::Single("redis://127.0.0.1:6379/0".into()));
    }

    #[test]
    fn a_cluster_url_lists_seeds_sharing_the_credentials() {
        let t = RedisTarget::parse("redis+cluster://u:p@10.0.0.1:7000, 10.0.0.2:7001").unwrap();
        assert_eq!(
            t,
            RedisTarget::Cluster(vec![
                "redis://u:p@10.0.0.1:7000".into(),
                "redis://u:p@10.0.0.2:7001".into()
            ])
        );
        assert!(!format!("{t:?}").contains("p@"));
    }

    #[test]
    fn other_schemes_and_empty_clusters_are_refused() {
        assert!(RedisTarget::parse("http://127.0.0.1:6379").is_err());
        assert!(RedisTarget::parse("redis+cluster://").is_err());
        assert!(RedisTarget::parse("redis+cluster://h:1/0").is_err());
    }
}
