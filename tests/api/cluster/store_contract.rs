//! One contract for every ephemeral store: the memory store, Redis, and Redis Cluster all pass
//! the same suite (plus what only a shared store can do: two handles, one truth).

use crate::support::redis_server::{RedisCluster, RedisServer};
use futures::StreamExt;
use saoma::ids::AppId;
use saoma::scene::{Provider, Requester, Scene, SceneRecord, SceneStatus};
use saoma::secret::Secret;
use saoma::store::{
    CachedToken, Dedupe, Ephemeral, MemoryStore, Notifier, RateLimiter, RedisStore, RefreshLock,
    SceneStore, StoreError, TokenCache, now_ms,
};
use std::time::Duration;

pub trait Store:
    SceneStore + Notifier + TokenCache + Dedupe + RateLimiter + Ephemeral + 'static
{
}
impl<S: SceneStore + Notifier + TokenCache + Dedupe + RateLimiter + Ephemeral + 'static> Store
    for S
{
}

fn record(scene: &Scene) -> SceneRecord {
    SceneRecord {
        scene: scene.clone(),
        provider: Provider::MiniProgram,
        status: SceneStatus::Pending,
        poll_token_hash: "h".repeat(64),
        requester: Requester {
            ip: "203.0.113.7".into(),
            user_agent: "Mozilla/5.0 contract".into(),
            created_at: now_ms(),
            for_client: None,
        },
        expires_at: now_ms() + 60_000,
        scanned_by: None,
        outcome: None,
        return_url: None,
        phone_check: None,
        refused: None,
    }
}

fn app(name: &str) -> AppId {
    AppId::parse(format!("wx{name}{}", rand_suffix())).unwrap()
}

fn rand_suffix() -> String {
    Scene::generate().to_string()
}

async fn scenes_are_created_once_and_replaced_by_compare_and_set(store: &impl Store) {
    let scene = Scene::generate();
    let keep = now_ms() + 60_000;
    assert!(SceneStore::get(store, &scene).await.unwrap().is_none());
    let created = record(&scene);
    store.create(&created, keep).await.unwrap();
    let taken = store.create(&record(&scene), keep).await;
    assert!(matches!(taken, Err(StoreError::Exists)), "never a takeover");

    let read = SceneStore::get(store, &scene).await.unwrap().unwrap();
    assert_eq!(read.record, created);
    let mut scanned = read.record.clone();
    scanned.status = SceneStatus::Scanned;
    assert!(store.replace(&scanned, read.version, keep).await.unwrap());
    assert!(
        !store.replace(&scanned, read.version, keep).await.unwrap(),
        "a stale version loses"
    );
    let again = SceneStore::get(store, &scene).await.unwrap().unwrap();
    assert_eq!(again.record.status, SceneStatus::Scanned);
    assert_ne!(again.version, read.version);

    store.delete(&scene).await.unwrap();
    assert!(SceneStore::get(store, &scene).await.unwrap().is_none());
    let missing = store.replace(&scanned, again.version, keep).await.unwrap();
    assert!(!missing, "a deleted scene cannot be replaced");
}

async fn racing_writers_produce_one_outcome(store: &(impl Store + Clone)) {
    let scene = Scene::generate();
    let keep = now_ms() + 60_000;
    store.create(&record(&scene), keep).await.unwrap();
    let read = SceneStore::get(store, &scene).await.unwrap().unwrap();
    let writers = [SceneStatus::Scanned, SceneStatus::Cancelled].repeat(8);
    let tasks = writers.into_iter().map(|status| {
        let (store, mut next) = (store.clone(), read.record.clone());
        next.status = status;
        tokio::spawn(async move { store.replace(&next, read.version, keep).await.unwrap() })
    });
    let won = futures::future::join_all(tasks).await;
    assert_eq!(won.into_iter().filter(|w| *w.as_ref().unwrap()).count(), 1);
}

async fn scenes_live_until_keep_until(store: &impl Store) {
    let scene = Scene::generate();
    store.create(&record(&scene), now_ms() + 150).await.unwrap();
    assert!(SceneStore::get(store, &scene).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(SceneStore::get(store, &scene).await.unwrap().is_none());
    // Once gone, the id may be used again.
    store
        .create(&record(&scene), now_ms() + 60_000)
        .await
        .unwrap();
    let read = SceneStore::get(store, &scene).await.unwrap().unwrap();
    // A replace sets the new keep_until.
    assert!(
        store
            .replace(&read.record, read.version, now_ms() + 150)
            .await
            .unwrap()
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(SceneStore::get(store, &scene).await.unwrap().is_none());
}

async fn a_subscriber_hears_a_publish(store: &impl Store, publisher: &impl Store) {
    let scene = Scene::generate();
    let mut notes = store.subscribe(&scene);
    publisher.publish(&scene).await.unwrap();
    let heard = tokio::time::timeout(Duration::from_secs(5), notes.next()).await;
    assert_eq!(heard.expect("a wake-up within 5 s"), Some(()));
}

async fn tokens_expire_only_if_still_the_same(store: &impl Store, other: &impl Store) {
    let app = app("tok");
    assert!(TokenCache::get(store, &app).await.unwrap().is_none());
    let cached = CachedToken {
        token: Secret::new("token-A"),
        expires_at: now_ms() + 60_000,
    };
    store.put(&app, &cached).await.unwrap();
    assert_eq!(TokenCache::get(other, &app).await.unwrap(), Some(cached));
    assert!(
        !other
            .expire_if(&app, &Secret::new("token-B"))
            .await
            .unwrap()
    );
    assert!(TokenCache::get(store, &app).await.unwrap().is_some());
    assert!(
        other
            .expire_if(&app, &Secret::new("token-A"))
            .await
            .unwrap()
    );
    assert!(TokenCache::get(store, &app).await.unwrap().is_none());
}

async fn one_refresher_holds_the_lock(store: &impl Store, other: &impl Store) {
    let app = app("lock");
    let ttl = Duration::from_secs(30);
    let held = store.try_lock_refresh(&app, ttl).await.unwrap().unwrap();
    assert!(other.try_lock_refresh(&app, ttl).await.unwrap().is_none());
    other
        .unlock_refresh(&app, RefreshLock::generate())
        .await
        .unwrap();
    assert!(
        other.try_lock_refresh(&app, ttl).await.unwrap().is_none(),
        "only the holder releases"
    );
    store.unlock_refresh(&app, held).await.unwrap();
    let short = other.try_lock_refresh(&app, Duration::from_millis(150));
    assert!(short.await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        store.try_lock_refresh(&app, ttl).await.unwrap().is_some(),
        "an abandoned lock expires"
    );
}

async fn dedupe_and_counters_forget_after_their_time(store: &impl Store, other: &impl Store) {
    let key = format!("evt-{}", rand_suffix());
    let ttl = Duration::from_millis(200);
    assert!(store.first_seen(&key, ttl).await.unwrap());
    assert!(!other.first_seen(&key, ttl).await.unwrap());
    let (hits, left) = store.hit(&key, ttl).await.unwrap();
    assert_eq!(hits, 1);
    assert!(left <= ttl && !left.is_zero());
    assert_eq!(other.hit(&key, ttl).await.unwrap().0, 2);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(other.first_seen(&key, ttl).await.unwrap());
    assert_eq!(store.hit(&key, ttl).await.unwrap().0, 1);
}

/// The whole contract. `other` is a second handle on the same data (for memory: a clone).
async fn values_are_taken_once_and_forgotten_after_their_time(
    store: &impl Store,
    other: &impl Store,
) {
    let key = format!("contract:{}", rand_suffix());
    store
        .put_value(&key, b"one", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        other.get_value(&key).await.unwrap().as_deref(),
        Some(&b"one"[..])
    );
    assert_eq!(
        other.take_value(&key).await.unwrap().as_deref(),
        Some(&b"one"[..])
    );
    assert_eq!(store.take_value(&key).await.unwrap(), None, "taken once");
    assert_eq!(store.get_value(&key).await.unwrap(), None);

    store
        .put_value(&key, b"two", Duration::from_secs(60))
        .await
        .unwrap();
    other.remove_value(&key).await.unwrap();
    assert_eq!(store.get_value(&key).await.unwrap(), None, "removed");

    store
        .put_value(&key, b"short", Duration::from_millis(50))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(other.take_value(&key).await.unwrap(), None, "expired");
}

async fn contract(store: impl Store + Clone, other: impl Store) {
    store.ping().await.unwrap();
    scenes_are_created_once_and_replaced_by_compare_and_set(&store).await;
    racing_writers_produce_one_outcome(&store).await;
    scenes_live_until_keep_until(&store).await;
    a_subscriber_hears_a_publish(&store, &store).await;
    a_subscriber_hears_a_publish(&store, &other).await;
    tokens_expire_only_if_still_the_same(&store, &other).await;
    one_refresher_holds_the_lock(&store, &other).await;
    dedupe_and_counters_forget_after_their_time(&store, &other).await;
    values_are_taken_once_and_forgotten_after_their_time(&store, &other).await;
}

#[tokio::test]
async fn the_memory_store_passes_the_contract() {
    let store = MemoryStore::new();
    contract(store.clone(), store).await;
}

#[tokio::test]
async fn the_redis_store_passes_the_contract() {
    let redis = RedisServer::start();
    let store = RedisStore::open(&redis.url()).unwrap();
    let other = RedisStore::open(&redis.url()).unwrap();
    contract(store, other).await;
}

#[tokio::test]
async fn the_redis_cluster_store_passes_the_contract() {
    let cluster = RedisCluster::start();
    let store = RedisStore::open(&cluster.url()).unwrap();
    let other = RedisStore::open(&cluster.url()).unwrap();
    contract(store, other).await;
}

#[tokio::test]
async fn a_redis_url_of_another_scheme_is_refused() {
    let refused = RedisStore::open("http://127.0.0.1:6379");
    assert!(matches!(refused, Err(StoreError::BadUrl(_))));
}

#[tokio::test]
async fn when_its_pubsub_connection_drops_every_local_subscriber_is_woken_to_re_read() {
    let redis = RedisServer::start();
    let store = RedisStore::open(&redis.url()).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !redis
        .cli(&["PUBSUB", "NUMSUB", "saoma:changes"])
        .ends_with("1\n")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the listener never subscribed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Let the wake-up that follows the first subscription pass.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut notes = store.subscribe(&Scene::generate());

    // Nothing is published: only the reconnect can wake the subscriber.
    redis.cli(&["CLIENT", "KILL", "TYPE", "pubsub"]);

    let woken = tokio::time::timeout(Duration::from_secs(5), notes.next()).await;
    assert_eq!(
        woken.expect("woken after the listener re-subscribed"),
        Some(())
    );
}
