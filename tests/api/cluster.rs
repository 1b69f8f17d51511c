//! One cluster, one truth: instances on one Redis must share the account database and the
//! signing key. An instance whose database or key differs from its peers' never becomes ready,
//! and `/readyz` says which.

use crate::helpers::{TestApp, spawn_app_with};
use crate::redis_server::RedisServer;
use saoma::config::StoreKind;
use serde_json::Value;
use std::path::Path;

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
    let _a = on(&redis, first.path(), None).await;
    // The same database, but a key of its own (in its own data directory).
    let b = on(&redis, second.path(), Some(shared_db)).await;

    let (status, body) = readiness(&b).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["cluster"], "signing_key_differs");
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
