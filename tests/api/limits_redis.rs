//! With Redis, the counted limits hold for the whole cluster: two instances share one
//! `getwxacodeunlimit` budget and one poll pace per scene.

use crate::helpers::{TestApp, error_code, spawn_app_with};
use crate::redis_server::RedisServer;
use saoma::config::StoreKind;
use serde_json::json;

async fn instance(
    redis: &RedisServer,
    configure: impl FnOnce(&mut saoma::config::Config),
) -> TestApp {
    let url = redis.url();
    spawn_app_with(move |c| {
        c.store = StoreKind::Redis;
        c.redis_url = Some(url);
        configure(c);
    })
    .await
}

#[tokio::test]
async fn two_instances_share_one_wxacode_budget() {
    let redis = RedisServer::start();
    let a = instance(&redis, |c| c.limits.wxacode_per_minute = 2).await;
    let b = instance(&redis, |c| c.limits.wxacode_per_minute = 2).await;

    a.create_mp_scene().await;
    b.create_mp_scene().await;
    let refused_on_a = a.create_scene(json!({"provider": "mini_program"})).await;
    let refused_on_b = b.create_scene(json!({"provider": "mini_program"})).await;

    assert_eq!(refused_on_a.status(), 503);
    assert_eq!(error_code(refused_on_a).await, "wechat_quota_exhausted");
    assert_eq!(refused_on_b.status(), 503);
    assert_eq!(error_code(refused_on_b).await, "wechat_quota_exhausted");
}

#[tokio::test]
async fn a_poll_on_one_instance_paces_the_next_on_the_other() {
    let redis = RedisServer::start();
    let a = instance(&redis, |c| c.limits.poll_interval_ms = 10_000).await;
    let b = instance(&redis, |c| c.limits.poll_interval_ms = 10_000).await;
    let created = a.create_mp_scene().await;
    let token = Some(created.poll_token.as_str());

    assert_eq!(a.poll(&created.scene, token).await.status(), 200);
    let fast = b.poll(&created.scene, token).await;

    assert_eq!(fast.status(), 429);
    assert_eq!(error_code(fast).await, "slow_down");
}
