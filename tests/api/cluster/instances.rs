//! Many instances, one Redis: any instance serves any request of any scene.

use crate::support::helpers::error_code;
use crate::support::redis_pair::{Pair, spawn_pair};
use crate::support::redis_server::{RedisCluster, RedisServer};
use serde_json::Value;

/// Scene made on A, scanned and confirmed on B; A's SSE stream hears every step and carries
/// the tokens, once.
async fn a_scene_made_on_a_is_confirmed_on_b_and_heard_on_a(pair: &Pair) {
    let created = pair.a.create_mp_scene().await;
    let mut events = pair.a.events(&created.scene, &created.poll_token).await;
    assert_eq!(events.next_status().await.unwrap()["status"], "pending");

    let user = pair.sandbox.new_user("两个实例").await;
    assert_eq!(pair.b.scan(&created.scene).await.status(), 200);
    assert_eq!(events.next_status().await.unwrap()["status"], "scanned");
    let code = pair.sandbox.wx_login(&user).await;
    let login = pair.b.mp_login(&code, Some(&created.scene), true).await;
    assert_eq!(login.status(), 200);
    let login: Value = login.json().await.unwrap();
    assert_eq!(login["scene_status"], "confirmed");

    let confirmed = events.next_status().await.unwrap();
    assert_eq!(confirmed["status"], "confirmed");
    let access = confirmed["tokens"]["access_token"].as_str().unwrap();
    let late = pair.b.poll(&created.scene, Some(&created.poll_token)).await;
    assert_eq!(error_code(late).await, "scene_consumed");
    let me = pair
        .b
        .http
        .get(pair.b.url("/api/v1/me"))
        .bearer_auth(access);
    let me: Value = me.send().await.unwrap().json().await.unwrap();
    assert_eq!(me["id"], login["account"]["id"]);
}

#[tokio::test]
async fn a_scene_made_on_one_instance_is_confirmed_on_another_and_heard_on_the_first() {
    let redis = RedisServer::start();
    let pair = spawn_pair(&redis.url()).await;
    a_scene_made_on_a_is_confirmed_on_b_and_heard_on_a(&pair).await;
}

#[tokio::test]
async fn on_a_redis_cluster_too_a_scene_made_on_one_instance_is_confirmed_on_another() {
    let cluster = RedisCluster::start();
    let pair = spawn_pair(&cluster.url()).await;
    a_scene_made_on_a_is_confirmed_on_b_and_heard_on_a(&pair).await;
    // Scenes land on several slots (and so nodes); every one still works from both sides.
    for _ in 0..3 {
        let created = pair.b.create_mp_scene().await;
        assert_eq!(pair.a.scan(&created.scene).await.status(), 200);
        let polled = pair.b.poll(&created.scene, Some(&created.poll_token)).await;
        let polled: Value = polled.json().await.unwrap();
        assert_eq!(polled["status"], "scanned");
    }
}

#[tokio::test]
async fn confirm_on_one_instance_and_cancel_on_another_at_once_give_one_outcome() {
    let redis = RedisServer::start();
    let pair = spawn_pair(&redis.url()).await;
    let user = pair.sandbox.new_user("犹豫的人").await;
    for _ in 0..5 {
        let created = pair.a.create_mp_scene().await;
        assert_eq!(pair.a.scan(&created.scene).await.status(), 200);
        let (yes, no) = (
            pair.sandbox.wx_login(&user).await,
            pair.sandbox.wx_login(&user).await,
        );
        let (confirm, cancel) = tokio::join!(
            pair.a.mp_login(&yes, Some(&created.scene), true),
            pair.b.mp_login(&no, Some(&created.scene), false),
        );
        let (confirm_status, cancel_status) = (confirm.status(), cancel.status());
        let (winner, loser, outcome) = match (confirm_status.as_u16(), cancel_status.as_u16()) {
            (200, 409) => (confirm, cancel, "confirmed"),
            (409, 200) => (cancel, confirm, "cancelled"),
            other => panic!("expected one 200 and one 409, got {other:?}"),
        };
        let winner: Value = winner.json().await.unwrap();
        assert_eq!(winner["scene_status"], outcome);
        assert_eq!(error_code(loser).await, "scene_conflict");
        let polled = pair.b.poll(&created.scene, Some(&created.poll_token)).await;
        let polled: Value = polled.json().await.unwrap();
        assert_eq!(polled["status"], outcome);
    }
}

#[tokio::test]
async fn two_instances_creating_many_scenes_fetch_the_wechat_token_once() {
    let redis = RedisServer::start();
    let pair = spawn_pair(&redis.url()).await;
    let creates = (0..12).map(|i| {
        let app = if i % 2 == 0 { &pair.a } else { &pair.b };
        app.create_scene(serde_json::json!({"provider": "mini_program"}))
    });
    for res in futures::future::join_all(creates).await {
        assert_eq!(res.status(), 201);
    }
    assert_eq!(pair.sandbox.calls("wxa/getwxacodeunlimit").await, 12);
    assert_eq!(pair.sandbox.calls("cgi-bin/stable_token").await, 1);
}

#[tokio::test]
async fn after_wechat_rejects_the_shared_token_both_instances_refetch_it_once() {
    let redis = RedisServer::start();
    let pair = spawn_pair(&redis.url()).await;
    pair.a.create_mp_scene().await; // warms the shared token cache
    pair.b.create_mp_scene().await;
    assert_eq!(pair.sandbox.calls("cgi-bin/stable_token").await, 1);

    // Another server force-refreshed: the shared token now answers 40001 everywhere.
    let invalidate = serde_json::json!({"app_id": crate::support::redis_pair::APP_ID});
    let res = pair
        .sandbox
        .post("/sandbox/api/invalidate-token", invalidate)
        .await;
    assert!(res.status().is_success());
    let creates = (0..8).map(|i| {
        let app = if i % 2 == 0 { &pair.a } else { &pair.b };
        app.create_scene(serde_json::json!({"provider": "mini_program"}))
    });
    for res in futures::future::join_all(creates).await {
        assert_eq!(res.status(), 201);
    }

    assert_eq!(
        pair.sandbox.calls("cgi-bin/stable_token").await,
        2,
        "one refetch for both instances"
    );
}

#[tokio::test]
async fn a_confirmed_scene_polled_on_both_instances_at_once_hands_its_tokens_out_once() {
    let redis = RedisServer::start();
    let pair = spawn_pair(&redis.url()).await;
    for _ in 0..3 {
        let created = pair.a.create_mp_scene().await;
        pair.phone_confirms(&created.scene).await;

        let polls = (0..6).map(|i| {
            let app = if i % 2 == 0 { &pair.a } else { &pair.b };
            app.poll(&created.scene, Some(&created.poll_token))
        });
        let mut handed_out = 0;
        for res in futures::future::join_all(polls).await {
            if res.status() == 200 {
                let body: Value = res.json().await.unwrap();
                assert!(body["tokens"]["access_token"].is_string(), "{body}");
                handed_out += 1;
            } else {
                assert_eq!(error_code(res).await, "scene_consumed");
            }
        }
        assert_eq!(handed_out, 1);
    }
}
