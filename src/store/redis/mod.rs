//! The Redis store: every Saoma instance pointed at one Redis (or Redis Cluster) shares scenes,
//! scene notifications, the WeChat access token (and who refreshes it), dedupe marks and rate
//! counters, so any instance can serve any request of any scene.
//!
//! Failure model: every call is bounded by [`OP_TIMEOUT`]; after a call finds Redis unreachable,
//! calls fail at once for [`BACK_OFF`] (so a request that needs several calls answers 503 in
//! about a second, never hangs), then the next call probes again. The connection re-dials by
//! itself, so the process heals without a restart.
//!
//! Keys (see [`keys`]) are hash-tagged by scene or app id, so that in a cluster each scene's (and
//! each app's) keys share one slot and every Lua script touches one slot.

mod access_tokens;
mod conn;
mod counters;
mod keys;
mod notify;
mod peers;
mod scenes;
mod target;
mod values;

pub use target::RedisTarget;

use super::StoreError;
use conn::Conn;
use redis::FromRedisValue;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// The longest any one Redis call may take before it counts as a failure.
pub const OP_TIMEOUT: Duration = Duration::from_secs(1);
/// How long calls fail fast after Redis was found unreachable.
const BACK_OFF: Duration = Duration::from_millis(500);

/// Cheap to clone: clones share the connection and the notification listener.
#[derive(Clone)]
pub struct RedisStore {
    conn: Conn,
    /// Unix ms before which calls fail without trying (Redis was just found unreachable).
    down_until: Arc<AtomicI64>,
    hub: Arc<notify::Hub>,
}

impl RedisStore {
    /// Open the store named by `redis_url` and start this instance's one pub/sub listener.
    /// Must run inside a Tokio runtime; does not wait for Redis to be up.
    pub fn open(redis_url: &str) -> Result<Self, StoreError> {
        let target = RedisTarget::parse(redis_url)?;
        let conn = Conn::open(&target, OP_TIMEOUT).map_err(unavailable)?;
        let store = Self {
            conn,
            down_until: Arc::default(),
            hub: Arc::default(),
        };
        notify::spawn_listener(&store, &target)?;
        Ok(store)
    }

    /// Run one command (or script invocation) with the timeout and the fast-fail window.
    async fn run<T, F, Fut>(&self, call: F) -> Result<T, StoreError>
    where
        T: FromRedisValue,
        F: FnOnce(Conn) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let now = super::now_ms();
        if now < self.down_until.load(Ordering::Relaxed) {
            return Err(StoreError::BackingOff);
        }
        let outcome = tokio::time::timeout(OP_TIMEOUT, call(self.conn.clone())).await;
        let err = match outcome {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(e)) if !is_connection_error(&e) => return Err(unavailable(e)),
            Ok(Err(e)) => unavailable(e),
            Err(_) => StoreError::Timeout(OP_TIMEOUT),
        };
        let until = super::now_ms() + i64::try_from(BACK_OFF.as_millis()).unwrap_or(0);
        self.down_until.fetch_max(until, Ordering::Relaxed);
        Err(err)
    }

    /// A plain command.
    async fn cmd<T: FromRedisValue>(&self, cmd: redis::Cmd) -> Result<T, StoreError> {
        self.run(|mut conn| async move { cmd.query_async(&mut conn).await })
            .await
    }

    /// `PING` (every primary, in a cluster).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.cmd::<String>(redis::cmd("PING")).await.map(|_| ())
    }
}

fn is_connection_error(e: &redis::RedisError) -> bool {
    e.is_io_error()
        || e.is_timeout()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_unrecoverable_error()
        || e.is_cluster_error()
}

fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::Redis(e)
}

/// Milliseconds from now until `until` (unix ms), at least 1: Redis refuses a zero TTL.
fn ttl_ms(until: i64) -> i64 {
    (until - super::now_ms()).max(1)
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX).max(1)
}
