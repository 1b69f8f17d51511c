//! One cluster, one truth: instances on one Redis must share the account database and accept
//! each other's signing keys. An instance whose database differs from its peers', or whose
//! signing key they do not accept (or that does not accept theirs), never becomes ready, and
//! `/readyz` says which; a key rotation rolled out one instance at a time keeps all ready.

use crate::support::helpers::{TestApp, spawn_app_with, spawn_stoppable_with};
use crate::support::oidc_helpers::configure;
use crate::support::redis_server::{RedisCluster, RedisServer};
use saoma::config::StoreKind;
use saoma::store::{KeyClaim, KeyConflict, KeyKind, Peers, RedisStore};
use saoma::tokens::{RsaKey, Signer, TokenSettings};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

async fn on(redis: &RedisServer, data_dir: &Path, database_url: Option<String>) -> TestApp {
    let url = redis.url();
    let data_dir = data_dir.to_path_buf();
    spawn_app_with(move |c| {
        c.store = StoreKind::Redis;
        c.redis_url = Some(url);
        c.data_dir = data_dir;
        c.database_url = database_url;
    })
    .await
}

async fn readiness(app: &TestApp) -> (u16, Value) {
    let res = app.http.get(app.url("/readyz")).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn an_instance_with_another_database_is_not_ready_and_says_so() {
    let redis = RedisServer::start();
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = on(&redis, first.path(), None).await;
    let b = on(&redis, second.path(), None).await;

    let (status, body) = readiness(&b).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["cluster"], "database_differs");
    assert_eq!(body["store"], "ok");
    assert_eq!(body["database"], "ok");
    let (status, body) = readiness(&a).await;
    assert_eq!((status, &body["cluster"]), (200, &Value::from("ok")));
}

#[tokio::test]
async fn an_instance_with_another_signing_key_is_not_ready_and_says_so() {
    let redis = RedisServer::start();
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let shared_db = format!("sqlite://{}", first.path().join("saoma.db").display());
    let a = on(&redis, first.path(), None).await;
    // The same database, but a key of its own (in its own data directory).
    let b = on(&redis, second.path(), Some(shared_db)).await;

    let (status, body) = readiness(&b).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["cluster"], "signing_key_differs");
    // The instance already running keeps serving.
    let (status, body) = readiness(&a).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn instances_that_share_database_and_key_are_both_ready() {
    let redis = RedisServer::start();
    let shared = tempfile::tempdir().unwrap();
    let a = on(&redis, shared.path(), None).await;
    let b = on(&redis, shared.path(), None).await;

    for app in [&a, &b] {
        let (status, body) = readiness(app).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["cluster"], "ok");
    }
}

/// The two keys that rotate, each checked among the instances that have it.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// The access-token key; no OpenID Provider.
    Ed25519,
    /// The id_token key, with OpenID clients configured (the Ed25519 key shared).
    Rsa,
}

/// One instance's key of `Kind`: the file it signs with, and the ones it publishes.
#[derive(Clone)]
struct KeyFiles {
    signing: PathBuf,
    published: Vec<PathBuf>,
}

fn files(signing: &Path, published: &[&Path]) -> KeyFiles {
    KeyFiles {
        signing: signing.to_path_buf(),
        published: published.iter().map(|p| p.to_path_buf()).collect(),
    }
}

fn make_key(dir: &Path, name: &str, kind: Kind) -> PathBuf {
    let path = dir.join(format!("{name}_{kind:?}.pem"));
    match kind {
        Kind::Rsa => drop(RsaKey::load_or_generate(&path, true).unwrap()),
        Kind::Ed25519 => {
            let settings = TokenSettings {
                issuer: "https://unused.test".into(),
                audience: "unused".into(),
                access_ttl: Duration::from_secs(60),
            };
            drop(Signer::load_or_generate(&path, true, settings).unwrap());
        }
    }
    path
}

/// What every instance of a test shares: the account database, and the Ed25519 key when the
/// RSA key is the one under test.
struct Shared {
    dir: tempfile::TempDir,
    ed25519: PathBuf,
}

impl Shared {
    fn new() -> Shared {
        let dir = tempfile::tempdir().unwrap();
        let ed25519 = make_key(dir.path(), "shared", Kind::Ed25519);
        Shared { dir, ed25519 }
    }

    fn database_url(&self) -> String {
        format!("sqlite://{}", self.dir.path().join("saoma.db").display())
    }
}

/// An instance on `redis`, on the shared database, with `keys` for the key of `kind`.
async fn with_keys(redis: &RedisServer, shared: &Shared, kind: Kind, keys: &KeyFiles) -> TestApp {
    stoppable_with_keys(redis, shared, kind, keys).await.0
}

async fn stoppable_with_keys(
    redis: &RedisServer,
    shared: &Shared,
    kind: Kind,
    keys: &KeyFiles,
) -> (TestApp, tokio::sync::oneshot::Sender<()>) {
    let (url, database_url, ed25519) = (redis.url(), shared.database_url(), &shared.ed25519);
    let (keys, ed25519) = (keys.clone(), ed25519.clone());
    spawn_stoppable_with(move |c| {
        c.store = StoreKind::Redis;
        c.redis_url = Some(url);
        c.database_url = Some(database_url);
        match kind {
            Kind::Ed25519 => {
                c.tokens.signing_key_file = Some(keys.signing);
                c.tokens.published_key_files = keys.published;
            }
            Kind::Rsa => {
                configure(c);
                c.tokens.signing_key_file = Some(ed25519);
                c.oidc.signing_key_file = Some(keys.signing);
                c.oidc.published_key_files = keys.published;
            }
        }
    })
    .await
}

async fn all_ready(live: &[TestApp], when: &str) {
    for (n, app) in live.iter().enumerate() {
        let (status, body) = readiness(app).await;
        assert_eq!(status, 200, "{when}, instance {n}: {body}");
        assert_eq!(body["cluster"], "ok", "{when}, instance {n}");
    }
}

/// docs/oidc.md's three steps (publish the next key, swap, drop the old one), each rolled out
/// one instance at a time over two instances: every instance stays ready throughout.
async fn each_rotation_step_rolls_one_instance_at_a_time(kind: Kind) {
    let shared = Shared::new();
    let old = make_key(shared.dir.path(), "old", kind);
    let next = make_key(shared.dir.path(), "next", kind);
    let configs = [
        files(&old, &[]),
        files(&old, &[&next]),
        files(&next, &[&old]),
        files(&next, &[]),
    ];
    for (step, pair) in configs.windows(2).enumerate() {
        // One Redis per step: between steps docs/oidc.md waits minutes, so the claims of the
        // step before last are gone by then.
        let redis = RedisServer::start();
        let mut live = Vec::new();
        for _ in 0..2 {
            live.push(with_keys(&redis, &shared, kind, &pair[0]).await);
        }
        all_ready(&live, &format!("{kind:?} step {}, before", step + 1)).await;
        for restarted in 1..=2 {
            // The restarted instance's former self keeps running here: in production its
            // claim outlives it for up to 30 s, and must not block anyone either.
            live.push(with_keys(&redis, &shared, kind, &pair[1]).await);
            let when = format!("{kind:?} step {}, {restarted} of 2 restarted", step + 1);
            all_ready(&live, &when).await;
        }
    }
}

#[tokio::test]
async fn the_ed25519_key_rotates_one_instance_at_a_time_with_every_instance_ready() {
    each_rotation_step_rolls_one_instance_at_a_time(Kind::Ed25519).await;
}

#[tokio::test]
async fn the_rsa_key_rotates_one_instance_at_a_time_with_every_instance_ready() {
    each_rotation_step_rolls_one_instance_at_a_time(Kind::Rsa).await;
}

/// `first` runs, then `second` joins: `second` is not ready, `first` still is.
async fn second_is_refused(kind: Kind, first: KeyFiles, second: KeyFiles, shared: &Shared) {
    let redis = RedisServer::start();
    let a = with_keys(&redis, shared, kind, &first).await;
    let b = with_keys(&redis, shared, kind, &second).await;
    let (status, body) = readiness(&b).await;
    assert_eq!(status, 503, "{kind:?}: {body}");
    assert_eq!(body["cluster"], "signing_key_differs", "{kind:?}");
    assert_eq!(
        (body["store"].as_str(), body["database"].as_str()),
        (Some("ok"), Some("ok"))
    );
    all_ready(&[a], &format!("{kind:?}: the instance already running")).await;
}

#[tokio::test]
async fn an_unrelated_rsa_key_with_openid_clients_is_not_ready() {
    let shared = Shared::new();
    let one = make_key(shared.dir.path(), "one", Kind::Rsa);
    let other = make_key(shared.dir.path(), "other", Kind::Rsa);
    second_is_refused(Kind::Rsa, files(&one, &[]), files(&other, &[]), &shared).await;
}

#[tokio::test]
async fn a_step_skipped_on_one_instance_is_refused_both_ways() {
    let shared = Shared::new();
    let old = make_key(shared.dir.path(), "old", Kind::Ed25519);
    let next = make_key(shared.dir.path(), "next", Kind::Ed25519);
    // Swapped in before it was published: the running instance does not accept `next`.
    second_is_refused(
        Kind::Ed25519,
        files(&old, &[]),
        files(&next, &[&old]),
        &shared,
    )
    .await;
    // Dropped while another instance still signs with it.
    second_is_refused(
        Kind::Ed25519,
        files(&old, &[&next]),
        files(&next, &[]),
        &shared,
    )
    .await;
}

#[tokio::test]
async fn of_two_instances_starting_at_once_with_unrelated_keys_one_is_ready() {
    let redis = RedisServer::start();
    let shared = Shared::new();
    let one = make_key(shared.dir.path(), "one", Kind::Ed25519);
    let other = make_key(shared.dir.path(), "other", Kind::Ed25519);
    let (one, other) = (files(&one, &[]), files(&other, &[]));
    // A fresh database too: both run its migrations at once (accounts::db retries).
    let (a, b) = tokio::join!(
        with_keys(&redis, &shared, Kind::Ed25519, &one),
        with_keys(&redis, &shared, Kind::Ed25519, &other),
    );
    let (a, b) = (readiness(&a).await, readiness(&b).await);
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 503], "{} {}", a.1, b.1);
}

#[tokio::test]
async fn a_claim_no_longer_renewed_stops_counting() {
    let redis = RedisServer::start();
    // An instance with an unrelated key, running (renewing its claim), then gone.
    let store = RedisStore::open(&redis.url()).unwrap();
    let gone = KeyClaim {
        instance: "gone".into(),
        signing: "an-unrelated-kid".into(),
        published: Vec::new(),
    };
    let ttl = Duration::from_millis(1000);
    assert_eq!(
        store
            .claim_keys(KeyKind::AccessToken, &gone, ttl)
            .await
            .unwrap(),
        None
    );
    let renewing = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            store
                .claim_keys(KeyKind::AccessToken, &gone, ttl)
                .await
                .unwrap();
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let app = on(&redis, dir.path(), None).await;
    let (status, body) = readiness(&app).await;
    assert_eq!(
        (status, &body["cluster"]),
        (503, &Value::from("signing_key_differs"))
    );

    renewing.abort();
    tokio::time::sleep(ttl + Duration::from_millis(300)).await;
    let (status, body) = readiness(&app).await;
    assert_eq!(status, 200, "{body}");
}

fn claim(instance: &str, signing: &str, published: &[&str]) -> KeyClaim {
    KeyClaim {
        instance: instance.into(),
        signing: signing.into(),
        published: published.iter().map(|k| k.to_string()).collect(),
    }
}

#[tokio::test]
async fn key_claims_name_the_kid_and_who_refuses_it_on_a_redis_cluster_too() {
    let cluster = RedisCluster::start();
    let store = RedisStore::open(&cluster.url()).unwrap();
    let ttl = Duration::from_secs(30);
    let kind = KeyKind::IdToken;
    let a = claim("a", "k1", &["k2"]);
    assert_eq!(store.claim_keys(kind, &a, ttl).await.unwrap(), None);
    // Swapped: accepted both ways.
    let b = claim("b", "k2", &["k1"]);
    assert_eq!(store.claim_keys(kind, &b, ttl).await.unwrap(), None);
    // Signs with a key nobody publishes.
    let c = claim("c", "k3", &["k1", "k2"]);
    let refused = store.claim_keys(kind, &c, ttl).await.unwrap();
    let expected = KeyConflict::OursNotAccepted {
        peer: "a".into(),
        kid: "k3".into(),
    };
    assert_eq!(refused, Some(expected));
    // Does not accept what `a` signs with; `c`, refused, does not count.
    let d = claim("d", "k2", &[]);
    let refused = store.claim_keys(kind, &d, ttl).await.unwrap();
    let expected = KeyConflict::TheirsNotAccepted {
        peer: "a".into(),
        kid: "k1".into(),
    };
    assert_eq!(refused, Some(expected));
    // The other kind is claimed apart.
    assert_eq!(
        store
            .claim_keys(KeyKind::AccessToken, &d, ttl)
            .await
            .unwrap(),
        None
    );
    // Renewing one's own claim never conflicts with itself.
    assert_eq!(store.claim_keys(kind, &a, ttl).await.unwrap(), None);
}

#[tokio::test]
async fn an_instance_stopped_cleanly_withdraws_its_claims_at_once() {
    let redis = RedisServer::start();
    let shared = Shared::new();
    let one = make_key(shared.dir.path(), "one", Kind::Ed25519);
    let other = make_key(shared.dir.path(), "other", Kind::Ed25519);
    let (a, stop_a) = stoppable_with_keys(&redis, &shared, Kind::Ed25519, &files(&one, &[])).await;
    let b = with_keys(&redis, &shared, Kind::Ed25519, &files(&other, &[])).await;
    assert_eq!(readiness(&a).await.0, 200);
    let (status, body) = readiness(&b).await;
    assert_eq!(
        (status, &body["cluster"]),
        (503, &Value::from("signing_key_differs"))
    );

    // A replaced by B's key (a key changed without rotating, one instance): B is compared
    // with the live claims at once, not when A's claim would have lapsed (30 s).
    stop_a.send(()).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (status, body) = readiness(&b).await;
        if status == 200 {
            assert_eq!(body["cluster"], "ok");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still {body}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
