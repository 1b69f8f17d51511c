//! `accounts.require_phone`: need_phone -> SMS code -> bind -> confirmed, and every refusal.

use crate::support::helpers::{Created, TestApp, error_code, retry_after, spawn_app_with};
use saoma::config::Config;
use serde_json::Value;

const PHONE: &str = "+8613800138000";

async fn app_requiring_phone(configure: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_with(|c| {
        c.accounts.require_phone = true;
        configure(c);
    })
    .await
}

/// A new sandbox user answers a new scene on the mini-program: the scene waits for a phone.
async fn scene_needing_phone(app: &TestApp) -> Created {
    let created = app.create_mp_scene().await;
    let login = app.phone_answers(&created.scene, true).await;
    assert_eq!(login["scene_status"], "need_phone");
    created
}

async fn poll_json(app: &TestApp, created: &Created) -> Value {
    let res = app.poll(&created.scene, Some(&created.poll_token)).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn need_phone_then_sms_then_bind_confirms_and_the_poll_gets_tokens() {
    let app = app_requiring_phone(|_| {}).await;
    let created = scene_needing_phone(&app).await;
    let waiting = poll_json(&app, &created).await;
    assert_eq!(waiting["status"], "need_phone");
    assert!(waiting.get("tokens").is_none());

    let sent = app
        .send_sms(&created.scene, &created.poll_token, "138 0013 8000")
        .await;
    assert_eq!(sent.status(), 200);
    let sent: Value = sent.json().await.unwrap();
    assert_eq!(sent["phone"], PHONE);
    assert_eq!(sent["expires_in"], 300);
    let code = app.sms_code(PHONE).await;
    assert_eq!(code.len(), 6);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    let bound = app
        .bind_phone(&created.scene, &created.poll_token, PHONE, &code)
        .await;

    assert_eq!(bound.status(), 200);
    let bound: Value = bound.json().await.unwrap();
    assert_eq!(bound["status"], "confirmed");
    let confirmed = poll_json(&app, &created).await;
    let access = confirmed["tokens"]["access_token"].as_str().unwrap();
    let me: Value = app.me(access).await.json().await.unwrap();
    assert_eq!(me["phone"], PHONE);
    assert_eq!(me["identities"][0]["provider"], "mini_program");
}

#[tokio::test]
async fn without_require_phone_the_scene_is_confirmed_at_once() {
    let app = spawn_app_with(|_| {}).await;
    let created = app.create_mp_scene().await;

    let login = app.phone_answers(&created.scene, true).await;

    assert_eq!(login["scene_status"], "confirmed");
}

#[tokio::test]
async fn a_wrong_code_is_refused_and_says_how_many_attempts_are_left() {
    let app = app_requiring_phone(|_| {}).await;
    let created = scene_needing_phone(&app).await;
    app.send_sms(&created.scene, &created.poll_token, PHONE)
        .await;
    let code = app.sms_code(PHONE).await;
    let wrong = if code == "000000" { "000001" } else { "000000" };

    let res = app
        .bind_phone(&created.scene, &created.poll_token, PHONE, wrong)
        .await;

    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "invalid_sms_code");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("4 attempts left")
    );
    assert_eq!(poll_json(&app, &created).await["status"], "need_phone");
    // The right code still works after one wrong guess.
    let ok = app
        .bind_phone(&created.scene, &created.poll_token, PHONE, &code)
        .await;
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn too_many_wrong_codes_burn_the_code() {
    let app = app_requiring_phone(|c| c.sms.max_attempts = 3).await;
    let created = scene_needing_phone(&app).await;
    app.send_sms(&created.scene, &created.poll_token, PHONE)
        .await;
    let code = app.sms_code(PHONE).await;
    let wrong = if code == "000000" { "000001" } else { "000000" };

    let mut codes = Vec::new();
    for _ in 0..3 {
        let res = app
            .bind_phone(&created.scene, &created.poll_token, PHONE, wrong)
            .await;
        codes.push(error_code(res).await);
    }
    let right_too_late = app
        .bind_phone(&created.scene, &created.poll_token, PHONE, &code)
        .await;

    assert_eq!(
        codes,
        ["invalid_sms_code", "invalid_sms_code", "too_many_attempts"]
    );
    assert_eq!(error_code(right_too_late).await, "too_many_attempts");
    assert_eq!(poll_json(&app, &created).await["status"], "need_phone");
}

#[tokio::test]
async fn sending_is_rate_limited_per_phone_and_per_scene() {
    let app = app_requiring_phone(|c| c.sms.max_per_scene = 3).await;
    let created = scene_needing_phone(&app).await;
    let first = app
        .send_sms(&created.scene, &created.poll_token, PHONE)
        .await;
    assert_eq!(first.status(), 200);

    let again = app
        .send_sms(&created.scene, &created.poll_token, PHONE)
        .await;
    let other_phone = app
        .send_sms(&created.scene, &created.poll_token, "+8613900139000")
        .await;
    let third_phone = app
        .send_sms(&created.scene, &created.poll_token, "+8613700137000")
        .await;

    assert_eq!(again.status(), 429);
    assert!((1..=60).contains(&retry_after(&again)));
    assert_eq!(error_code(again).await, "rate_limited");
    // Another phone may get a code; the refused resend still counted for the scene, so the
    // fourth request is over the scene's limit of three.
    assert_eq!(other_phone.status(), 200);
    assert_eq!(third_phone.status(), 429);
    assert_eq!(error_code(third_phone).await, "rate_limited");
}

#[tokio::test]
async fn a_phone_bound_to_another_account_links_this_identity_to_it() {
    let app = app_requiring_phone(|c| c.sms.resend_interval_seconds = 0).await;
    let first = scene_needing_phone(&app).await;
    app.send_sms(&first.scene, &first.poll_token, PHONE).await;
    let code = app.sms_code(PHONE).await;
    app.bind_phone(&first.scene, &first.poll_token, PHONE, &code)
        .await;
    let owner = poll_json(&app, &first).await;
    let owner_token = owner["tokens"]["access_token"].as_str().unwrap();
    let owner_me: Value = app.me(owner_token).await.json().await.unwrap();

    // Another WeChat user proves the same phone.
    let second = scene_needing_phone(&app).await;
    app.send_sms(&second.scene, &second.poll_token, PHONE).await;
    let code = app.sms_code(PHONE).await;
    let bound = app
        .bind_phone(&second.scene, &second.poll_token, PHONE, &code)
        .await;
    assert_eq!(bound.status(), 200);
    let linked = poll_json(&app, &second).await;

    let access = linked["tokens"]["access_token"].as_str().unwrap();
    let me: Value = app.me(access).await.json().await.unwrap();
    assert_eq!(me["id"], owner_me["id"]);
    assert_eq!(me["phone"], PHONE);
    assert_eq!(me["identities"].as_array().unwrap().len(), 2);
    assert_ne!(me["identities"][0]["openid"], me["identities"][1]["openid"]);
}

#[tokio::test]
async fn bad_requests_get_stable_codes() {
    let app = app_requiring_phone(|c| c.sms.code_ttl_seconds = 1).await;
    let created = scene_needing_phone(&app).await;
    let (scene, token) = (&created.scene, &created.poll_token);

    let invalid_phone = app.send_sms(scene, token, "12345").await;
    let no_token = app.send_sms(scene, "", PHONE).await;
    let wrong_token = app.send_sms(scene, "not-the-token", PHONE).await;
    let nothing_sent = app.bind_phone(scene, token, PHONE, "123456").await;
    let invalid_bind_phone = app.bind_phone(scene, token, "+86123", "123456").await;
    let unknown_scene = app.send_sms("nosuchscene1", token, PHONE).await;

    assert_eq!(invalid_phone.status(), 400);
    assert_eq!(error_code(invalid_phone).await, "invalid_phone");
    assert_eq!(error_code(no_token).await, "invalid_poll_token");
    assert_eq!(error_code(wrong_token).await, "invalid_poll_token");
    assert_eq!(error_code(nothing_sent).await, "sms_code_expired");
    assert_eq!(error_code(invalid_bind_phone).await, "invalid_phone");
    assert_eq!(error_code(unknown_scene).await, "scene_not_found");

    // A code sent to one phone does not bind another; an expired code is refused.
    app.send_sms(scene, token, PHONE).await;
    let code = app.sms_code(PHONE).await;
    let other_phone = app.bind_phone(scene, token, "+8613900139000", &code).await;
    assert_eq!(error_code(other_phone).await, "sms_code_expired");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let expired = app.bind_phone(scene, token, PHONE, &code).await;
    assert_eq!(error_code(expired).await, "sms_code_expired");
}

#[tokio::test]
async fn a_scene_that_does_not_wait_for_a_phone_refuses_sms() {
    let app = app_requiring_phone(|_| {}).await;
    let created = app.create_mp_scene().await;

    let res = app
        .send_sms(&created.scene, &created.poll_token, PHONE)
        .await;

    assert_eq!(res.status(), 409);
    assert_eq!(error_code(res).await, "scene_conflict");
}

#[tokio::test]
async fn an_over_long_poll_token_is_an_invalid_request_and_sends_nothing() {
    let app = app_requiring_phone(|_| {}).await;
    let created = scene_needing_phone(&app).await;
    let long = "t".repeat(129);

    let send = app.send_sms(&created.scene, &long, PHONE).await;
    let bind = app.bind_phone(&created.scene, &long, PHONE, "123456").await;

    assert_eq!(send.status(), 400);
    assert_eq!(error_code(send).await, "invalid_request");
    assert_eq!(bind.status(), 400);
    assert_eq!(error_code(bind).await, "invalid_request");
    assert_eq!(poll_json(&app, &created).await["status"], "need_phone");
}
