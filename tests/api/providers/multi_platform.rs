//! A multi-platform (多端) app's login: `wx.getMiniProgramCode` (played by the sandbox's
//! `/sandbox/api/mini-program-code`) hands the app a code that the mini-program's
//! `jscode2session` resolves; the app is the person's mini-program account, linked by unionid
//! to their other WeChat identities.

use crate::support::helpers::{TestApp, error_code, spawn_app, spawn_app_with};
use serde_json::{Value, json};

const MOBILE_APP_ID: &str = "wxsaomasandboxapp1";

/// What `wx.getMiniProgramCode` returns `user`'s multi-platform app.
async fn multi_platform_code(app: &TestApp, user: &str) -> String {
    let res = app
        .post("/sandbox/api/mini-program-code", json!({"user": user}))
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["code"].as_str().unwrap().to_string()
}

async fn login(app: &TestApp, code: &str) -> reqwest::Response {
    app.post(
        "/api/v1/mobile-app/multi-platform-login",
        json!({"code": code}),
    )
    .await
}

#[tokio::test]
async fn the_app_logs_into_the_persons_mini_program_account_and_a_code_works_once() {
    let app = spawn_app().await;
    let user = app.new_user("多端用户").await;
    let (mp_account, _) = app.mp_session(&user).await;

    let code = multi_platform_code(&app, &user).await;
    let res = login(&app, &code).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["account"]["id"], mp_account.as_str());
    let me: Value = app
        .me(body["tokens"]["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], mp_account.as_str());
    let identities = me["identities"].as_array().unwrap();
    assert_eq!(identities.len(), 1, "the mini-program's own identity: {me}");
    assert_eq!(identities[0]["provider"], "mini_program");

    let reused = login(&app, &code).await;
    assert_eq!(reused.status(), 400);
    assert_eq!(error_code(reused).await, "invalid_code");
}

#[tokio::test]
async fn the_app_links_by_unionid_to_the_native_app_account() {
    let app = spawn_app().await;
    let user = app.new_user("同一个人").await;
    let res = app
        .post(
            "/sandbox/api/mobile-app/auth",
            json!({"user": user, "appid": MOBILE_APP_ID}),
        )
        .await;
    let sdk_code: Value = res.json().await.unwrap();
    let native: Value = app
        .post(
            "/api/v1/mobile-app/login",
            json!({"code": sdk_code["code"]}),
        )
        .await
        .json()
        .await
        .unwrap();

    let res = login(&app, &multi_platform_code(&app, &user).await).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["account"]["id"], native["account"]["id"]);
    let providers: Vec<&str> = body["account"]["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["provider"].as_str().unwrap())
        .collect();
    assert_eq!(providers.len(), 2, "{body}");
    assert!(providers.contains(&"mobile_app") && providers.contains(&"mini_program"));
}

#[tokio::test]
async fn a_native_sdk_code_or_nonsense_is_invalid_code_and_bad_bodies_call_nobody() {
    let app = spawn_app().await;
    let user = app.new_user("u").await;
    let res = app
        .post(
            "/sandbox/api/mobile-app/auth",
            json!({"user": user, "appid": MOBILE_APP_ID}),
        )
        .await;
    let sdk: Value = res.json().await.unwrap();
    let res = login(&app, sdk["code"].as_str().unwrap()).await;
    assert_eq!(
        (res.status().as_u16(), error_code(res).await),
        (400, "invalid_code".into())
    );
    let res = login(&app, "nonsense").await;
    assert_eq!(error_code(res).await, "invalid_code");

    let before = app.calls("sns/jscode2session").await;
    for bad in [json!({}), json!({"code": ""})] {
        let res = app
            .post("/api/v1/mobile-app/multi-platform-login", bad)
            .await;
        assert_eq!(res.status(), 400);
    }
    assert_eq!(app.calls("sns/jscode2session").await, before);
}

#[tokio::test]
async fn with_require_phone_the_app_gets_the_phone_step_first() {
    let app = spawn_app_with(|c| c.accounts.require_phone = true).await;
    let user = app.new_user("u").await;
    let res = login(&app, &multi_platform_code(&app, &user).await).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert!(body.get("tokens").is_none(), "no tokens before a phone");
    let step = &body["need_phone"];
    let (scene, token) = (
        step["scene"].as_str().unwrap(),
        step["poll_token"].as_str().unwrap(),
    );
    assert_eq!(
        app.send_sms(scene, token, "13900139001").await.status(),
        200
    );
    let code = app.sms_code("+8613900139001").await;
    let bound = app.bind_phone(scene, token, "13900139001", &code).await;
    assert_eq!(bound.status(), 200);
    let view = app.poll_json(scene, Some(token)).await;
    assert_eq!(view["status"], "confirmed");
    assert!(view["tokens"]["access_token"].is_string());
}
