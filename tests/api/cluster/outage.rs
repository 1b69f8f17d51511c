//! Redis going away: state-changing calls answer 503 `store_unavailable` with Retry-After in
//! seconds (never hang), readiness fails while liveness holds, and when Redis is back the same
//! processes heal by themselves and lose no confirmation.

use crate::support::helpers::{TestApp, error_code};
use crate::support::redis_pair::{spawn_pair, wait_ready};
use crate::support::redis_server::RedisServer;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A state-changing call while Redis is gone: 503, the stable code, Retry-After, and an answer
/// within a few seconds rather than a hang.
async fn refuses_quickly_while_redis_is_gone(app: &TestApp) {
    let started = Instant::now();
    let res = app.create_scene(json!({"provider": "mini_program"})).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered in {:?}",
        started.elapsed()
    );
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(error_code(res).await, "store_unavailable");
    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let ready: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(ready["status"], "unavailable");
    assert_eq!(ready["store"], "unavailable");
    assert_eq!(ready["database"], "ok");
    assert_eq!(
        ready["cluster"], "unknown",
        "peers cannot be compared without the store"
    );
    let alive = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(alive.status(), 200);
}

#[tokio::test]
async fn redis_killed_mid_flow_then_restarted_loses_no_confirmation() {
    let mut redis = RedisServer::start_durable();
    let pair = spawn_pair(&redis.url()).await;
    let user = pair.sandbox.new_user("断线").await;

    // One scene confirmed before the outage, not yet picked up.
    let early = pair.a.create_mp_scene().await;
    let code = pair.sandbox.wx_login(&user).await;
    assert_eq!(pair.b.scan(&early.scene).await.status(), 200);
    let confirm = pair.b.mp_login(&code, Some(&early.scene), true).await;
    assert_eq!(confirm.status(), 200);
    // One scene scanned, its browser watching on A across the outage.
    let watched = pair.a.create_mp_scene().await;
    let mut events = pair.a.events(&watched.scene, &watched.poll_token).await;
    assert_eq!(events.next_status().await.unwrap()["status"], "pending");
    assert_eq!(pair.b.scan(&watched.scene).await.status(), 200);
    assert_eq!(events.next_status().await.unwrap()["status"], "scanned");

    redis.kill();
    refuses_quickly_while_redis_is_gone(&pair.a).await;
    refuses_quickly_while_redis_is_gone(&pair.b).await;

    redis.restart();
    wait_ready(&pair.a, Duration::from_secs(15)).await;
    wait_ready(&pair.b, Duration::from_secs(15)).await;

    // The stream opened before the outage hears the confirmation made after it on B.
    let code = pair.sandbox.wx_login(&user).await;
    let confirm = pair.b.mp_login(&code, Some(&watched.scene), true).await;
    assert_eq!(confirm.status(), 200);
    let confirmed = events.next_status().await.unwrap();
    assert_eq!(confirmed["status"], "confirmed");
    assert!(confirmed["tokens"]["access_token"].is_string());
    // The scene confirmed before the outage is still delivered after it.
    let polled = pair.a.poll(&early.scene, Some(&early.poll_token)).await;
    let polled: Value = polled.json().await.unwrap();
    assert_eq!(polled["status"], "confirmed");
    assert!(polled["tokens"]["access_token"].is_string());
}

#[tokio::test]
async fn a_hung_redis_is_answered_with_503_in_seconds_and_healed_when_it_wakes() {
    let redis = RedisServer::start();
    let pair = spawn_pair(&redis.url()).await;
    let created = pair.a.create_mp_scene().await;
    let mut events = pair.a.events(&created.scene, &created.poll_token).await;
    assert_eq!(events.next_status().await.unwrap()["status"], "pending");

    redis.pause(true);
    refuses_quickly_while_redis_is_gone(&pair.a).await;
    let scan = pair.b.scan(&created.scene).await;
    assert_eq!(error_code(scan).await, "store_unavailable");

    redis.pause(false);
    wait_ready(&pair.a, Duration::from_secs(15)).await;
    wait_ready(&pair.b, Duration::from_secs(15)).await;
    assert_eq!(pair.b.scan(&created.scene).await.status(), 200);
    assert_eq!(events.next_status().await.unwrap()["status"], "scanned");
}

#[tokio::test]
async fn saoma_starts_while_redis_is_down_and_serves_once_it_is_up() {
    let port = crate::support::redis_server::free_port();
    let app = crate::support::helpers::spawn_app_with(|c| {
        c.store = saoma::config::StoreKind::Redis;
        c.redis_url = Some(format!("redis://127.0.0.1:{port}"));
    })
    .await;
    refuses_quickly_while_redis_is_gone(&app).await;

    let _redis = RedisServer::start_on(port);
    wait_ready(&app, Duration::from_secs(15)).await;

    let created = app.create_mp_scene().await;
    assert_eq!(created.body["status"], "pending");
}

#[tokio::test]
async fn the_redis_store_without_a_url_refuses_to_start() {
    let data = tempfile::tempdir().unwrap();
    let config = saoma::config::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data.path().to_path_buf(),
        store: saoma::config::StoreKind::Redis,
        ..Default::default()
    };
    let refused = saoma::app::Application::build(config).await;
    let message = format!("{:#}", refused.err().expect("no redis_url, no start"));
    assert!(message.contains("redis_url"), "{message}");
}
