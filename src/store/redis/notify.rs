//! Scene notifications across instances with ONE pub/sub connection per instance: every
//! instance publishes changed scene ids on one channel ([`keys::CHANGES`]) and listens to it
//! once, then fans each id out to the local SSE streams watching that scene.
//!
//! Pub/sub is at-most-once: whatever is published while the listener is disconnected is lost.
//! So after every (re)subscription the listener wakes every local stream, and each re-reads its
//! scene from the store: a confirmation that happened during a blip is delivered after it.
//!
//! In a cluster a classic `PUBLISH` reaches subscribers on every node, so the listener may
//! subscribe on any seed. One channel costs every instance one small message per transition
//! (a scene id); sharded pub/sub would save that at login volumes only by subscribing on every
//! shard and following slot moves, so one channel it is.

use super::target::RedisTarget;
use super::{OP_TIMEOUT, RedisStore, conn::Conn, keys, unavailable};
use crate::scene::Scene;
use crate::store::{Notifier, StoreError};
use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use redis::aio::{PubSubSink, PubSubStream};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;

/// How often the listener checks that its connection still answers (a silent half-open
/// connection would otherwise go unnoticed until the SSE safety net).
const PING_EVERY: Duration = Duration::from_secs(3);
/// How often scenes that nobody watches any more are forgotten.
const SWEEP_EVERY: Duration = Duration::from_secs(30);
const MAX_RETRY_DELAY: Duration = Duration::from_secs(1);

/// The local side: scene id -> the streams of this instance watching it.
#[derive(Default)]
pub(super) struct Hub {
    channels: Mutex<HashMap<String, broadcast::Sender<()>>>,
}

impl Hub {
    fn channels(&self) -> MutexGuard<'_, HashMap<String, broadcast::Sender<()>>> {
        // A poisoned lock only means a panic mid-insert; the map is still usable.
        self.channels.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn subscribe(&self, scene: String) -> BoxStream<'static, ()> {
        let rx = self
            .channels()
            .entry(scene)
            .or_insert_with(|| broadcast::channel(4).0)
            .subscribe();
        // A lagged receiver missed hints, not data: it still yields and the reader re-reads.
        BroadcastStream::new(rx).map(|_| ()).boxed()
    }

    fn wake(&self, scene: &str) {
        if let Some(tx) = self.channels().get(scene) {
            let _ = tx.send(());
        }
    }

    fn wake_all(&self) -> usize {
        let channels = self.channels();
        for tx in channels.values() {
            let _ = tx.send(());
        }
        channels.len()
    }

    fn sweep(&self) {
        self.channels().retain(|_, tx| tx.receiver_count() > 0);
    }
}

#[async_trait]
impl Notifier for RedisStore {
    async fn publish(&self, scene: &Scene) -> Result<(), StoreError> {
        let mut cmd = redis::cmd("PUBLISH");
        cmd.arg(keys::CHANGES).arg(scene.to_string());
        self.cmd::<i64>(cmd).await.map(|_| ())
    }

    fn subscribe(&self, scene: &Scene) -> BoxStream<'static, ()> {
        self.hub.subscribe(scene.to_string())
    }
}

/// Start the listener; it stops once the store (its hub) is dropped.
pub(super) fn spawn_listener(store: &RedisStore, target: &RedisTarget) -> Result<(), StoreError> {
    let clients = target
        .urls()
        .iter()
        .map(|url| redis::Client::open(url.as_str()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(unavailable)?;
    let hub = Arc::downgrade(&store.hub);
    tokio::spawn(listen(hub, clients, store.conn.clone()));
    Ok(())
}

async fn listen(hub: Weak<Hub>, clients: Vec<redis::Client>, probe: Conn) {
    let mut failures: u32 = 0;
    for client in clients.iter().cycle() {
        if hub.strong_count() == 0 {
            return;
        }
        match tokio::time::timeout(OP_TIMEOUT, subscribe(client)).await {
            Ok(Ok((sink, stream))) => {
                if failures > 0 {
                    tracing::info!("redis pub/sub listener subscribed again");
                }
                failures = 0;
                wake_all_when_readable(&hub, &probe).await;
                if !pump(&hub, sink, stream).await {
                    return;
                }
                tracing::warn!("lost the redis pub/sub connection; subscribing again");
            }
            Ok(Err(e)) if failures == 0 => {
                tracing::warn!(error = %crate::telemetry::chain(&e), "redis pub/sub listener cannot subscribe; retrying");
            }
            Err(_) if failures == 0 => {
                tracing::warn!("redis pub/sub listener timed out subscribing; retrying");
            }
            _ => {}
        }
        failures = failures.saturating_add(1);
        let delay = Duration::from_millis(50u64.saturating_mul(1 << failures.min(5)));
        tokio::time::sleep(delay.min(MAX_RETRY_DELAY)).await;
    }
}

async fn subscribe(client: &redis::Client) -> redis::RedisResult<(PubSubSink, PubSubStream)> {
    let (mut sink, stream) = client.get_async_pubsub().await?.split();
    sink.subscribe(keys::CHANGES).await?;
    Ok((sink, stream))
}

/// Changes published while nobody listened are lost: every local stream re-reads its scene.
/// Wait (briefly) until the store answers first, so that the re-read finds Redis back.
async fn wake_all_when_readable(hub: &Weak<Hub>, probe: &Conn) {
    for _ in 0..10 {
        let mut conn = probe.clone();
        let cmd = redis::cmd("PING");
        let ping = cmd.query_async::<String>(&mut conn);
        if matches!(tokio::time::timeout(OP_TIMEOUT, ping).await, Ok(Ok(_))) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if let Some(hub) = hub.upgrade() {
        let woken = hub.wake_all();
        tracing::debug!(woken, "woke every watched scene after subscribing");
    }
}

/// Fan messages out until the connection is lost (`true`) or the store is gone (`false`).
async fn pump(hub: &Weak<Hub>, mut sink: PubSubSink, mut stream: PubSubStream) -> bool {
    let mut ping = tokio::time::interval(PING_EVERY);
    let mut sweep = tokio::time::interval(SWEEP_EVERY);
    loop {
        tokio::select! {
            message = stream.next() => {
                let Some(message) = message else { return true };
                let Some(hub) = hub.upgrade() else { return false };
                if let Ok(scene) = message.get_payload::<String>() {
                    hub.wake(&scene);
                }
            }
            _ = ping.tick() => {
                let answered = tokio::time::timeout(OP_TIMEOUT, sink.ping::<redis::Value>()).await;
                if !matches!(answered, Ok(Ok(_))) {
                    return true;
                }
            }
            _ = sweep.tick() => {
                let Some(hub) = hub.upgrade() else { return false };
                hub.sweep();
            }
        }
    }
}
