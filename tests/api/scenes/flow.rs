//! The whole mini-program login, as a browser and a phone live it.

use crate::support::helpers::{error_code, spawn_app, spawn_app_with};
use base64::Engine;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn whole_flow_by_poll_logs_the_browser_in() {
    let app = spawn_app().await;
    let created = app.create_mp_scene().await;
    assert_eq!(created.body["status"], "pending");
    assert_eq!(created.body["provider"], "mini_program");
    assert_eq!(created.body["expires_in"], 300);
    assert!(created.body["interval"].as_u64().unwrap() >= 1);

    let pending: Value = app
        .poll_json(&created.scene, Some(&created.poll_token))
        .await;
    assert_eq!(pending["status"], "pending");
    assert!(pending.get("tokens").is_none());

    // The phone opens the code and sees who is asking.
    let user = app.new_user("小明").await;
    let scan = app.scan(&created.scene).await;
    assert_eq!(scan.status(), 200);
    let scan: Value = scan.json().await.unwrap();
    assert_eq!(scan["requester"]["ip"], "127.0.0.1");
    assert!(
        scan["requester"]["user_agent"]
            .as_str()
            .unwrap()
            .contains("SaomaTest")
    );
    assert!(scan["requester"]["created_at"].is_string());
    let scanned: Value = app
        .poll_json(&created.scene, Some(&created.poll_token))
        .await;
    assert_eq!(scanned["status"], "scanned");

    // The user confirms: the mini-program gets its own session too.
    let code = app.wx_login(&user).await;
    let login = app.mp_login(&code, Some(&created.scene), true).await;
    assert_eq!(login.status(), 200);
    let login: Value = login.json().await.unwrap();
    assert_eq!(login["scene_status"], "confirmed");
    assert_eq!(login["tokens"]["token_type"], "Bearer");
    let account_id = login["account"]["id"].as_str().unwrap().to_string();

    // The browser's next poll carries the tokens, once.
    let confirmed: Value = app
        .poll_json(&created.scene, Some(&created.poll_token))
        .await;
    assert_eq!(confirmed["status"], "confirmed");
    let access = confirmed["tokens"]["access_token"].as_str().unwrap();
    assert!(confirmed["tokens"]["refresh_token"].is_string());
    assert_eq!(confirmed["tokens"]["expires_in"], 900);

    let me = app
        .http
        .get(app.url("/api/v1/me"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["id"], account_id.as_str());
    assert_eq!(me["identities"][0]["provider"], "mini_program");
    assert_eq!(
        me["identities"][0]["app_id"],
        saoma::config::SANDBOX_MINI_PROGRAM_APP_ID
    );
}

#[tokio::test]
async fn whole_flow_by_sse_delivers_one_event_per_transition() {
    let app = spawn_app().await;
    let created = app.create_mp_scene().await;
    let mut events = app.events(&created.scene, &created.poll_token).await;
    assert_eq!(events.next_status().await.unwrap()["status"], "pending");

    let user = app.new_user("小红").await;
    app.scan(&created.scene).await;
    assert_eq!(events.next_status().await.unwrap()["status"], "scanned");

    let code = app.wx_login(&user).await;
    assert_eq!(
        app.mp_login(&code, Some(&created.scene), true)
            .await
            .status(),
        200
    );
    let confirmed = events.next_status().await.unwrap();
    assert_eq!(confirmed["status"], "confirmed");
    assert!(confirmed["tokens"]["access_token"].is_string());
    assert!(
        events.next_status().await.is_none(),
        "the stream closes after the final state"
    );

    // The stream was the first reader: a poll now finds the tokens gone.
    let res = app.poll(&created.scene, Some(&created.poll_token)).await;
    assert_eq!(res.status(), 410);
    assert_eq!(error_code(res).await, "scene_consumed");
}

#[tokio::test]
async fn a_cancel_on_the_phone_reaches_the_browser_and_mints_nothing() {
    let app = spawn_app().await;
    let created = app.create_mp_scene().await;
    let mut events = app.events(&created.scene, &created.poll_token).await;
    assert_eq!(events.next_status().await.unwrap()["status"], "pending");

    let answer = app.phone_answers(&created.scene, false).await;
    assert_eq!(answer["scene_status"], "cancelled");
    assert_eq!(events.next_status().await.unwrap()["status"], "scanned");
    let cancelled = events.next_status().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled.get("tokens").is_none());
    assert!(events.next_status().await.is_none());

    let polled: Value = app
        .poll_json(&created.scene, Some(&created.poll_token))
        .await;
    assert_eq!(polled["status"], "cancelled");
    assert!(polled.get("tokens").is_none());

    // A late confirmation cannot revive it.
    let user = app.new_user("迟到").await;
    let code = app.wx_login(&user).await;
    let res = app.mp_login(&code, Some(&created.scene), true).await;
    assert_eq!(res.status(), 409);
    assert_eq!(error_code(res).await, "scene_conflict");
}

#[tokio::test]
async fn the_second_pickup_of_tokens_is_410() {
    let app = spawn_app().await;
    let created = app.create_mp_scene().await;
    app.phone_answers(&created.scene, true).await;

    let first = app.poll(&created.scene, Some(&created.poll_token)).await;
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    assert!(first["tokens"].is_object());

    let second = app.poll(&created.scene, Some(&created.poll_token)).await;
    assert_eq!(second.status(), 410);
    assert_eq!(error_code(second).await, "scene_consumed");
}

#[tokio::test]
async fn concurrent_readers_of_a_confirmed_scene_get_the_tokens_once() {
    let app = spawn_app().await;
    let created = app.create_mp_scene().await;
    app.phone_answers(&created.scene, true).await;

    let polls = (0..10).map(|_| app.poll(&created.scene, Some(&created.poll_token)));
    let statuses: Vec<u16> = futures::future::join_all(polls)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 410).count(),
        9,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn an_unanswered_scene_expires_for_poll_and_sse() {
    let app = spawn_app_with(|c| c.limits.scene_ttl_seconds = 1).await;
    let created = app.create_mp_scene().await;
    let mut events = app.events(&created.scene, &created.poll_token).await;
    assert_eq!(events.next_status().await.unwrap()["status"], "pending");
    let expired = events.next_status().await.unwrap();
    assert_eq!(expired["status"], "expired");
    assert!(events.next_status().await.is_none());

    let res = app.poll(&created.scene, Some(&created.poll_token)).await;
    assert_eq!(res.status(), 410);
    assert_eq!(error_code(res).await, "scene_expired");

    // The phone is too late as well, and its code is not spent on a dead scene.
    let res = app.scan(&created.scene).await;
    assert_eq!(res.status(), 410);
    let user = app.new_user("太晚").await;
    let code = app.wx_login(&user).await;
    let res = app.mp_login(&code, Some(&created.scene), true).await;
    assert_eq!(res.status(), 410);
    assert_eq!(error_code(res).await, "scene_expired");
    assert_eq!(app.calls("sns/jscode2session").await, 0);
}

#[tokio::test]
async fn the_code_image_is_a_qr_pointing_the_phone_at_the_scene() {
    let app = spawn_app().await;
    let res = app
        .create_scene(json!({"provider": "mini_program", "scene": "ab+c/d=e&f?g#h"}))
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    let data_url = body["qr"]["image"].as_str().unwrap();
    let b64 = data_url
        .strip_prefix("data:image/jpeg;base64,")
        .expect("a JPEG data URL");
    let jpeg = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let img = image::load_from_memory(&jpeg).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, payload) = grids[0].decode().unwrap();
    let url = url::Url::parse(&payload).unwrap();
    assert_eq!(url.path(), "/sandbox/phone");
    let scene: String = url
        .query_pairs()
        .find(|(k, _)| k == "scene")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert_eq!(scene, "ab+c/d=e&f?g#h");
    assert!(payload.starts_with(&app.base));
}

#[tokio::test]
async fn the_mini_program_can_log_in_without_a_scene() {
    let app = spawn_app().await;
    let user = app.new_user("只用小程序").await;
    let code = app.wx_login(&user).await;
    let res = app.mp_login(&code, None, true).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert!(body.get("scene_status").is_none());
    assert!(body["tokens"]["access_token"].is_string());

    // The same WeChat user again is the same account.
    let code = app.wx_login(&user).await;
    let again: Value = app.mp_login(&code, None, true).await.json().await.unwrap();
    assert_eq!(again["account"]["id"], body["account"]["id"]);
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_is_refused() {
    let app = spawn_app().await;
    let user = app.new_user("刷新").await;
    let code = app.wx_login(&user).await;
    let body: Value = app.mp_login(&code, None, true).await.json().await.unwrap();
    let first = body["tokens"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();

    let res = app
        .post("/api/v1/tokens/refresh", json!({"refresh_token": first}))
        .await;
    assert_eq!(res.status(), 200);
    let rotated: Value = res.json().await.unwrap();
    let second = rotated["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(first, second);

    let reused = app
        .post("/api/v1/tokens/refresh", json!({"refresh_token": first}))
        .await;
    assert_eq!(reused.status(), 401);
    assert_eq!(error_code(reused).await, "invalid_refresh_token");
    // Reuse revoked the family: the newest token is dead too.
    let res = app
        .post("/api/v1/tokens/refresh", json!({"refresh_token": second}))
        .await;
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn logs_never_need_a_slow_browser_sse_keepalive_to_finish() {
    // A scene streamed by SSE and confirmed quickly closes promptly (no waiting for keep-alive).
    let app = spawn_app().await;
    let created = app.create_mp_scene().await;
    let mut events = app.events(&created.scene, &created.poll_token).await;
    events.next_status().await.unwrap();
    app.phone_answers(&created.scene, true).await;
    let done = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(ev) = events.next_status().await {
            if ev["status"] == "confirmed" {
                return true;
            }
        }
        false
    })
    .await
    .unwrap();
    assert!(done);
}
