//! A push is deduplicated only once it was handled: when handling it fails (503: the database
//! refused), WeChat's retry of the same push is handled again and logs the user in, instead of
//! being answered `success` as a repeat and losing the login.

use crate::scenes::no_login_lost::{BrokenDatabase, on_redis};
use crate::support::helpers::{TestApp, spawn_app_with};
use crate::support::oa_helpers::{event_xml, now, reply_text, sign};
use crate::support::redis_server::RedisServer;
use saoma::config::CallbackMode;

async fn a_failed_push_is_handled_again_when_retried(app: TestApp) {
    let created = app.create_oa_scene().await;
    let xml = event_xml(
        "o_retried_follower",
        now(),
        "SCAN",
        Some(created.scene.as_str()),
    );
    let push = sign(CallbackMode::Safe, &xml, now(), "7001");
    let broken = BrokenDatabase::refuse_inserts(&app, "accounts").await;

    let failed = app.push(&push).await;
    assert_eq!(failed.status(), 503);
    assert_eq!(app.status_of(&created).await, "pending");
    broken.heal().await;

    // WeChat retries the very same push (same query, same body).
    let retried = app.push(&push).await;
    assert_eq!(retried.status(), 200);
    let body = retried.text().await.unwrap();
    assert_eq!(reply_text(&body).as_deref(), Some("登录成功"), "{body}");
    assert_eq!(app.status_of(&created).await, "confirmed");

    // Handled now: a further retry is a repeat.
    let repeat = app.push(&push).await;
    assert_eq!(repeat.status(), 200);
    assert_eq!(repeat.text().await.unwrap(), "success");
}

#[tokio::test]
async fn a_push_that_failed_is_handled_when_retried_memory() {
    let app = spawn_app_with(|c| c.official_account.mode = Some(CallbackMode::Safe)).await;
    a_failed_push_is_handled_again_when_retried(app).await;
}

#[tokio::test]
async fn a_push_that_failed_is_handled_when_retried_redis() {
    let redis = RedisServer::start();
    a_failed_push_is_handled_again_when_retried(on_redis(&redis).await).await;
}
