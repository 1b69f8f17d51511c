//! getPhoneNumber as it is since 2023: each number WeChat gives is charged, so Saoma asks only
//! for an account without one, each address only so often, and the mini-program falls back to
//! SMS (with every SMS cap) when the quota is spent. The sandbox counts the calls.

use crate::support::helpers::{TestApp, error_code, spawn_app_with};
use serde_json::{Value, json};

const GET_USER_PHONE_NUMBER: &str = "wxa/business/getuserphonenumber";
const PHONE: &str = "+8613800138000";

/// A new mini-program user answers a new scene and the scene waits for a phone: `(scene, poll
/// token, the mini-program's access token)`.
async fn mp_scene_needing_phone(app: &TestApp) -> (String, String, String) {
    let user = app.new_user("小明").await;
    mp_scene_needing_phone_of(app, &user).await
}

async fn mp_scene_needing_phone_of(app: &TestApp, user: &str) -> (String, String, String) {
    let created = app.create_mp_scene().await;
    assert_eq!(app.scan(&created.scene).await.status(), 200);
    let code = app.wx_login(user).await;
    let login = app.mp_login(&code, Some(&created.scene), true).await;
    let login: Value = login.json().await.unwrap();
    assert_eq!(login["scene_status"], "need_phone", "{login}");
    let access = login["tokens"]["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    (created.scene, created.poll_token, access)
}

async fn mp_sms(app: &TestApp, access: &str, path: &str, body: Value) -> reqwest::Response {
    app.http
        .post(app.url(&format!("/api/v1/mini-program/phone/{path}")))
        .bearer_auth(access)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn phone_numbers_are_throttled_per_address_before_wechat_is_called() {
    let app = spawn_app_with(|c| c.limits.phone_numbers_per_ip_per_minute = 3).await;
    let user = app.new_user("小明").await;
    let (_, access) = app.mp_session(&user).await;

    let mut statuses = Vec::new();
    for i in 0..8 {
        let res = app
            .mp_phone(&access, &format!("not-a-code-{i}"), None)
            .await;
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            assert!(res.headers().contains_key("retry-after"));
            assert_eq!(error_code(res).await, "rate_limited");
        }
    }

    assert_eq!(statuses, [400, 400, 400, 429, 429, 429, 429, 429]);
    assert_eq!(app.calls(GET_USER_PHONE_NUMBER).await, 3);
}

#[tokio::test]
async fn an_account_with_a_verified_number_is_never_verified_again() {
    let app = spawn_app_with(|_| {}).await;
    let user = app.new_user("小明").await;
    let (account, access) = app.mp_session(&user).await;
    let first = app.phone_code(&user, Some(PHONE)).await;
    assert_eq!(app.mp_phone(&access, &first, None).await.status(), 200);
    let second = app.phone_code(&user, Some("+8613900139000")).await;

    let again = app.mp_phone(&access, &second, None).await;

    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["account"]["id"], account);
    assert_eq!(again["account"]["phone"], PHONE);
    assert_eq!(again["linked"], false);
    assert_eq!(app.calls(GET_USER_PHONE_NUMBER).await, 1);
    let metrics = app.http.get(app.url("/metrics")).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    let line =
        format!("saoma_wechat_calls_total{{endpoint=\"{GET_USER_PHONE_NUMBER}\",errcode=\"0\"}} 1");
    assert!(metrics.contains(&line), "{metrics}");
}

#[tokio::test]
async fn a_need_phone_scene_of_an_account_that_got_a_number_meanwhile_completes_without_wechat() {
    let app = spawn_app_with(|c| c.accounts.require_phone = true).await;
    let user = app.new_user("小明").await;
    let (scene, poll_token, access) = mp_scene_needing_phone_of(&app, &user).await;
    // The same account binds a number meanwhile (by the button, without the scene).
    let code = app.phone_code(&user, Some(PHONE)).await;
    assert_eq!(app.mp_phone(&access, &code, None).await.status(), 200);
    let again = app.phone_code(&user, Some(PHONE)).await;

    let res = app.mp_phone(&access, &again, Some(&scene)).await;

    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["scene_status"], "confirmed");
    assert_eq!(app.calls(GET_USER_PHONE_NUMBER).await, 1);
    let polled = app.poll_json(&scene, Some(&poll_token)).await;
    assert!(polled["tokens"]["access_token"].is_string(), "{polled}");
}

#[tokio::test]
async fn a_spent_trial_quota_makes_the_button_answer_1400001() {
    let app = spawn_app_with(|c| c.wechat.sandbox_phone_trial_quota = 1).await;
    let user = app.new_user("小明").await;
    let (_, access) = app.mp_session(&user).await;
    let code = app.phone_code(&user, Some(PHONE)).await;
    assert_eq!(app.mp_phone(&access, &code, None).await.status(), 200);

    let tap = app
        .post("/sandbox/api/phone-code", json!({"user": user}))
        .await;

    assert_eq!(tap.status(), 403);
    let tap: Value = tap.json().await.unwrap();
    assert_eq!(tap["errno"], 1_400_001);
    assert_eq!(tap["code"], "no_quota");
    let quota = app.get_json("/sandbox/api/phone-quota").await;
    assert_eq!(quota, json!({"trial": 1, "left": 0, "used": 1}));
    // A tester gives calls back (or spends them) from the phone page.
    let res = app
        .post("/sandbox/api/phone-quota", json!({"left": 5}))
        .await;
    assert_eq!(res.status(), 200);
    let tap = app
        .post("/sandbox/api/phone-code", json!({"user": user}))
        .await;
    assert_eq!(tap.status(), 200);
}

#[tokio::test]
async fn without_quota_the_mini_program_binds_by_sms_and_the_scene_completes() {
    let app = spawn_app_with(|c| {
        c.accounts.require_phone = true;
        c.wechat.sandbox_phone_trial_quota = 0;
    })
    .await;
    let (scene, poll_token, access) = mp_scene_needing_phone(&app).await;

    let sent = mp_sms(
        &app,
        &access,
        "sms",
        json!({"scene": scene, "phone": "13800138000"}),
    )
    .await;
    assert_eq!(sent.status(), 200);
    let sent: Value = sent.json().await.unwrap();
    assert_eq!(sent["phone"], PHONE);
    let code = app.sms_code(PHONE).await;
    let bound = mp_sms(
        &app,
        &access,
        "sms/bind",
        json!({"scene": scene, "phone": PHONE, "code": code}),
    )
    .await;

    assert_eq!(bound.status(), 200);
    let bound: Value = bound.json().await.unwrap();
    assert_eq!(bound["status"], "confirmed");
    let polled = app.poll_json(&scene, Some(&poll_token)).await;
    let tokens = polled["tokens"]["access_token"].as_str().unwrap();
    let me: Value = app.me(tokens).await.json().await.unwrap();
    assert_eq!(me["phone"], PHONE);
    assert_eq!(app.calls(GET_USER_PHONE_NUMBER).await, 0);
}

#[tokio::test]
async fn the_mini_programs_sms_goes_through_the_sms_caps_and_its_own_scene_only() {
    let app = spawn_app_with(|c| {
        c.accounts.require_phone = true;
        c.sms.max_per_scene = 1;
    })
    .await;
    let (scene, _, access) = mp_scene_needing_phone(&app).await;
    let (other_scene, _, other_access) = mp_scene_needing_phone(&app).await;
    let body = json!({"scene": scene, "phone": PHONE});

    let no_bearer = app
        .post("/api/v1/mini-program/phone/sms", body.clone())
        .await;
    let foreign = mp_sms(&app, &other_access, "sms", body.clone()).await;
    let first = mp_sms(&app, &access, "sms", body.clone()).await;
    let second = mp_sms(
        &app,
        &access,
        "sms",
        json!({"scene": scene, "phone": "+8613900139000"}),
    )
    .await;
    let abroad = mp_sms(
        &app,
        &other_access,
        "sms",
        json!({"scene": other_scene, "phone": "+447700900123"}),
    )
    .await;

    assert_eq!(no_bearer.status(), 401);
    assert_eq!(foreign.status(), 403);
    assert_eq!(error_code(foreign).await, "token_not_accepted");
    assert_eq!(first.status(), 200);
    assert_eq!(second.status(), 429);
    assert_eq!(error_code(second).await, "rate_limited");
    assert_eq!(abroad.status(), 400);
    assert_eq!(error_code(abroad).await, "phone_country_not_allowed");
    let inbox = app.get_json("/sandbox/api/sms").await;
    assert_eq!(inbox["messages"].as_array().unwrap().len(), 1);
}
