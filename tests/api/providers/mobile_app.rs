//! Native-app login: the app posts the code of WeChat's mobile SDK, Saoma exchanges it with the
//! mobile app's id and secret and answers tokens. The sandbox plays WeChat and the SDK.

use crate::support::helpers::{TestApp, error_code, spawn_app, spawn_app_with};
use serde_json::{Value, json};

const MOBILE_APP_ID: &str = "wxsaomasandboxapp1";
const OA_APP_ID: &str = "wxsaomasandbox0002";

/// What WeChat's SDK hands the app of `app_id` once `user` agreed.
async fn sdk_code(app: &TestApp, user: &str, app_id: &str) -> String {
    let res = app
        .post(
            "/sandbox/api/mobile-app/auth",
            json!({"user": user, "appid": app_id}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["code"].as_str().unwrap().to_string()
}

async fn app_login(app: &TestApp, code: &str) -> reqwest::Response {
    app.post("/api/v1/mobile-app/login", json!({"code": code}))
        .await
}

#[tokio::test]
async fn a_good_code_logs_in_and_a_reused_one_is_refused() {
    let app = spawn_app().await;
    let user = app.new_user("App 用户").await;
    let code = sdk_code(&app, &user, MOBILE_APP_ID).await;

    let res = app_login(&app, &code).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["tokens"]["token_type"], "Bearer");
    assert!(body.get("need_phone").is_none());
    let me: Value = app
        .me(body["tokens"]["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], body["account"]["id"]);
    assert_eq!(me["identities"][0]["provider"], "mobile_app");
    assert_eq!(me["identities"][0]["app_id"], MOBILE_APP_ID);
    assert_eq!(
        me["identities"][0]["nickname"], "App 用户",
        "sns/userinfo was read"
    );

    let reused = app_login(&app, &code).await;
    assert_eq!(reused.status(), 400);
    let message: Value = reused.json().await.unwrap();
    assert_eq!(message["code"], "invalid_code");
    assert!(message["message"].as_str().unwrap().contains("40163"));
}

#[tokio::test]
async fn a_code_of_another_app_or_an_unknown_code_is_invalid_code() {
    let app = spawn_app().await;
    let user = app.new_user("u").await;
    let foreign = sdk_code(&app, &user, OA_APP_ID).await;
    let res = app_login(&app, &foreign).await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "invalid_code");
    assert!(body["message"].as_str().unwrap().contains("40029"));

    let mp_code = app.wx_login(&user).await;
    assert_eq!(
        error_code(app_login(&app, &mp_code).await).await,
        "invalid_code"
    );
    assert_eq!(
        error_code(app_login(&app, "nonsense").await).await,
        "invalid_code"
    );
}

#[tokio::test]
async fn wechat_errors_map_to_their_statuses() {
    let app = spawn_app().await;
    let user = app.new_user("u").await;
    for (errcode, status, code) in [
        (40029, 400, "invalid_code"),
        (40163, 400, "invalid_code"),
        (40013, 502, "wechat_error"),
    ] {
        app.inject_fault(json!({"endpoint": "sns/oauth2/access_token", "errcode": errcode}))
            .await;
        let res = app_login(&app, &sdk_code(&app, &user, MOBILE_APP_ID).await).await;
        assert_eq!(res.status(), status, "{errcode}");
        assert_eq!(error_code(res).await, code, "{errcode}");
    }
    app.inject_fault(json!({"endpoint": "sns/userinfo", "errcode": 48001}))
        .await;
    let res = app_login(&app, &sdk_code(&app, &user, MOBILE_APP_ID).await).await;
    assert_eq!(
        (res.status().as_u16(), error_code(res).await),
        (502, "wechat_error".into())
    );
}

#[tokio::test]
async fn bad_bodies_are_refused() {
    let app = spawn_app().await;
    let res = app.post("/api/v1/mobile-app/login", json!({})).await;
    assert_eq!(res.status(), 400);
    let res = app
        .post("/api/v1/mobile-app/login", json!({"code": ""}))
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(app.calls("sns/oauth2/access_token").await, 0);
}

#[tokio::test]
async fn the_app_links_by_unionid_to_the_mini_program_account() {
    let app = spawn_app().await;
    let user = app.new_user("同一个人").await;
    let (mp_account, _) = app.mp_session(&user).await;
    let res = app_login(&app, &sdk_code(&app, &user, MOBILE_APP_ID).await).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["account"]["id"], mp_account.as_str());
    assert_eq!(body["account"]["identities"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn with_require_phone_the_app_binds_a_phone_then_polls_for_tokens() {
    let app = spawn_app_with(|c| c.accounts.require_phone = true).await;
    let user = app.new_user("u").await;
    let res = app_login(&app, &sdk_code(&app, &user, MOBILE_APP_ID).await).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert!(body.get("tokens").is_none(), "no tokens before a phone");
    let step = &body["need_phone"];
    assert_eq!(step["status"], "need_phone");
    let (scene, token) = (
        step["scene"].as_str().unwrap(),
        step["poll_token"].as_str().unwrap(),
    );
    assert_eq!(
        app.send_sms(scene, token, "13900139000").await.status(),
        200
    );
    let code = app.sms_code("+8613900139000").await;
    assert_eq!(
        app.bind_phone(scene, token, "13900139000", &code)
            .await
            .status(),
        200
    );
    let view = app.poll_json(scene, Some(token)).await;
    assert_eq!(view["status"], "confirmed");
    let me: Value = app
        .me(view["tokens"]["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["phone"], "+8613900139000");
}

#[tokio::test]
async fn a_scene_cannot_be_created_for_the_mobile_app_provider() {
    let app = spawn_app().await;
    // The app logs in by POST /api/v1/mobile-app/login; there is no browser scene to create.
    let res = app.create_scene(json!({"provider": "mobile_app"})).await;
    assert_eq!(res.status(), 404);
    assert_eq!(error_code(res).await, "provider_unavailable");
}
