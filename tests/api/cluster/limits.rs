//! With Redis, the counted limits hold for the whole cluster: two instances share one
//! `getwxacodeunlimit` budget, one poll pace per scene, and one SMS budget and per-account
//! SMS cap.

use crate::accounts::phone_sms_caps::need_phone_scene;
use crate::support::helpers::{TestApp, error_code, spawn_app_with};
use crate::support::redis_server::RedisServer;
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

#[tokio::test]
async fn two_instances_share_one_sms_budget_and_one_per_account_cap() {
    let redis = RedisServer::start();
    let phone_on_redis = |c: &mut saoma::config::Config| {
        c.accounts.require_phone = true;
        c.sms.budget_per_hour = 3;
        c.sms.max_per_account_per_day = 1;
    };
    let a = instance(&redis, phone_on_redis).await;
    let b = instance(&redis, |c| {
        phone_on_redis(c);
        // One account database, so that a user is one account on both instances.
        c.database_url = Some(a.database_url());
    })
    .await;
    let user = a.new_user("both").await;
    let (scene, token) = need_phone_scene(&a, &user).await;
    assert_eq!(
        a.send_sms(&scene, &token, "+8613800000001").await.status(),
        200
    );

    // The same account's next code, asked on the other instance, is over its cap.
    let again = b.send_sms(&scene, &token, "+8613800000002").await;
    assert_eq!(again.status(), 429);
    assert_eq!(error_code(again).await, "rate_limited");

    // Two more accounts spend the budget (the refused send above spent none of it).
    for (app, name) in [(&a, "second"), (&b, "third")] {
        let user = app.new_user(name).await;
        let (scene, token) = need_phone_scene(app, &user).await;
        let sent = app
            .send_sms(&scene, &token, &format!("+86139{:08}", name.len()))
            .await;
        assert_eq!(sent.status(), 200, "{name}");
    }
    let user = b.new_user("fourth").await;
    let (scene, token) = need_phone_scene(&b, &user).await;
    let over = b.send_sms(&scene, &token, "+8613700000004").await;
    assert_eq!(over.status(), 503);
    assert_eq!(error_code(over).await, "sms_budget_exhausted");
}
