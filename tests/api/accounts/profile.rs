//! The profile a person fills in from the mini-program (头像昵称填写): WeChat's content check
//! (the sandbox's `msg_sec_check`, which refuses a text containing "违规") passes a nickname
//! before `/api/v1/me`, the OpenID `name` claim and the events show it.

use crate::accounts::avatar::{encoded, put_avatar, wechat_answers};
use crate::providers::placeholder_profile::app_login;
use crate::providers::website::me;
use crate::support::helpers::{TestApp, error_code, spawn_app};
use crate::support::oidc_helpers::{
    browser, exchange, grafana_params, location, login_page, spawn_oidc_app,
};
use image::ImageFormat;
use serde_json::{Value, json};

async fn put_nickname(app: &TestApp, bearer: Option<&str>, nickname: &str) -> reqwest::Response {
    let mut req = app
        .http
        .put(app.url("/api/v1/me/profile"))
        .json(&json!({ "nickname": nickname }));
    if let Some(bearer) = bearer {
        req = req.bearer_auth(bearer);
    }
    req.send().await.unwrap()
}

async fn profile_events(app: &TestApp, token: &str) -> usize {
    let res = app
        .http
        .get(app.url("/api/v1/me/export"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let export: Value = res.json().await.unwrap();
    export["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "account.updated" && e["data"]["change"] == "profile")
        .count()
}

#[tokio::test]
async fn a_nickname_wechat_passes_shows_in_me_and_is_an_account_updated_event() {
    let app = spawn_app().await;
    let user = app.new_user("微信用户").await;
    let (account_id, token) = app.mp_session(&user).await;

    let res = put_nickname(&app, Some(&token), "  小明  ").await;

    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["id"], account_id.as_str());
    assert_eq!(body["profile"]["nickname"], "小明");
    assert_eq!(me(&app, &token).await["profile"]["nickname"], "小明");
    assert_eq!(app.calls("wxa/msg_sec_check").await, 1);
    assert_eq!(profile_events(&app, &token).await, 1);
}

#[tokio::test]
async fn a_nickname_wechat_refuses_is_403_and_changes_nothing() {
    let app = spawn_app().await;
    let user = app.new_user("小红").await;
    let (_, token) = app.mp_session(&user).await;
    assert_eq!(put_nickname(&app, Some(&token), "小红").await.status(), 200);

    let res = put_nickname(&app, Some(&token), "我是违规昵称").await;

    assert_eq!(res.status(), 403);
    assert_eq!(error_code(res).await, "nickname_refused");
    assert_eq!(me(&app, &token).await["profile"]["nickname"], "小红");
    assert_eq!(profile_events(&app, &token).await, 1);
}

#[tokio::test]
async fn an_invalid_nickname_is_400_and_wechat_is_not_asked() {
    let app = spawn_app().await;
    let user = app.new_user("小刚").await;
    let (_, token) = app.mp_session(&user).await;
    let long = "名".repeat(33);

    for bad in ["", "   ", "微信用户", "a\u{7}b", long.as_str()] {
        let res = put_nickname(&app, Some(&token), bad).await;
        assert_eq!(res.status(), 400, "{bad:?}");
        assert_eq!(error_code(res).await, "invalid_nickname", "{bad:?}");
    }
    assert_eq!(app.calls("wxa/msg_sec_check").await, 0);
    assert!(me(&app, &token).await.get("profile").is_none());
}

#[tokio::test]
async fn a_nickname_needs_a_token_of_the_mini_program() {
    let app = spawn_app().await;
    let res = put_nickname(&app, None, "小明").await;
    assert_eq!(res.status(), 401);
    assert_eq!(error_code(res).await, "unauthenticated");

    let res = put_nickname(&app, Some("not-a-token"), "小明").await;
    assert_eq!(res.status(), 401);
    assert_eq!(error_code(res).await, "unauthenticated");

    let user = app.new_user("App 用户").await;
    let app_tokens = app_login(&app, &user).await;
    let res = put_nickname(&app, app_tokens["tokens"]["access_token"].as_str(), "小明").await;
    assert_eq!(res.status(), 403);
    assert_eq!(error_code(res).await, "token_not_accepted");
    assert_eq!(app.calls("wxa/msg_sec_check").await, 0);
}

#[tokio::test]
async fn a_wechat_failure_of_the_check_is_502_and_changes_nothing() {
    let app = spawn_app().await;
    let user = app.new_user("小李").await;
    let (_, token) = app.mp_session(&user).await;
    app.inject_fault(json!({"endpoint": "wxa/msg_sec_check", "errcode": 40003}))
        .await;

    let res = put_nickname(&app, Some(&token), "小李").await;

    assert_eq!(res.status(), 502);
    assert_eq!(error_code(res).await, "wechat_error");
    assert!(me(&app, &token).await.get("profile").is_none());
}

#[tokio::test]
async fn the_openid_name_and_picture_claims_are_the_filled_in_profile_once_accepted() {
    let app = spawn_oidc_app().await;
    let browser = browser();
    let (_, request) = login_page(&app, &browser, &grafana_params(&[])).await;
    let created: Value = browser
        .post(app.url("/oidc/login/scene"))
        .json(&json!({ "request": request }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let scene = created["scene"].as_str().unwrap();
    let phone = app.phone_answers(scene, true).await;
    let mp_token = phone["tokens"]["access_token"].as_str().unwrap();
    assert_eq!(
        put_nickname(&app, Some(mp_token), "填写的名字")
            .await
            .status(),
        200
    );
    let jpeg = encoded(80, 80, ImageFormat::Jpeg);
    let res = put_avatar(&app, Some(mp_token), "image/jpeg", jpeg).await;
    let avatar = res.json::<Value>().await.unwrap()["profile"]["avatar"]
        .as_str()
        .unwrap()
        .to_string();
    wechat_answers(&app, "pass").await;
    let view = app.poll_json(scene, created["poll_token"].as_str()).await;
    let resume = view["redirect"].as_str().unwrap();
    let callback = location(&browser.get(app.url(resume)).send().await.unwrap()).1;

    let tokens: Value = exchange(&app, &callback["code"])
        .await
        .json()
        .await
        .unwrap();
    let info: Value = app
        .http
        .get(app.url("/oidc/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(info["name"], "填写的名字", "{info}");
    assert_eq!(info["picture"], app.url(&avatar).as_str(), "{info}");
    let picture = app
        .http
        .get(info["picture"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(picture.status(), 200);
}
