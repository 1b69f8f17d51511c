//! WeChat's placeholder profile (the nickname "微信用户", the grey default avatar) names nobody:
//! whichever way it arrives, Saoma shows and stores no name or avatar for it. The sandbox
//! answers the placeholder pair for a user named "微信用户", as WeChat does.

use crate::providers::in_wechat::{authorized, create_in_wechat_scene, follow};
use crate::providers::website::{approved_redirect, browser, create_website_scene, me};
use crate::support::helpers::{TestApp, spawn_app, spawn_app_with};
use serde_json::{Value, json};

const PLACEHOLDER: &str = "微信用户";

fn assert_no_profile(identity: &Value) {
    assert!(identity["nickname"].is_null(), "{identity}");
    assert!(identity["avatar"].is_null(), "{identity}");
}

#[tokio::test]
async fn a_website_login_with_the_placeholder_profile_shows_and_stores_no_name() {
    let app = spawn_app().await;
    let user = app.new_user(PLACEHOLDER).await;
    let created = create_website_scene(&app, json!({"provider": "website"})).await;

    let redirect = approved_redirect(&app, &created, &user).await;
    assert_eq!(browser().get(&redirect).send().await.unwrap().status(), 302);

    let view = app
        .poll_json(&created.scene, Some(&created.poll_token))
        .await;
    assert_eq!(view["status"], "confirmed");
    assert_no_profile(&view["scanned_by"]);
    let account = me(&app, view["tokens"]["access_token"].as_str().unwrap()).await;
    assert_no_profile(&account["identities"][0]);
}

#[tokio::test]
async fn an_in_wechat_login_with_the_placeholder_profile_shows_and_stores_no_name() {
    let app = spawn_app_with(|c| c.in_wechat.fetch_profile = true).await;
    let user = app.new_user(PLACEHOLDER).await;
    let s = create_in_wechat_scene(&app).await;

    let redirect = authorized(
        &app,
        &user,
        "wxsaomasandbox0002",
        "snsapi_userinfo",
        &s.scene,
    )
    .await;
    assert_eq!(follow(&redirect, Some(&s.cookie)).await.status(), 302);

    let view = app.poll_json(&s.scene, Some(&s.poll_token)).await;
    assert_eq!(view["status"], "confirmed");
    assert_no_profile(&view["scanned_by"]);
    let account = me(&app, view["tokens"]["access_token"].as_str().unwrap()).await;
    assert_no_profile(&account["identities"][0]);
}

/// A mobile-app login of `user`: its answer, tokens included.
pub async fn app_login(app: &TestApp, user: &str) -> Value {
    let body = json!({"user": user, "appid": "wxsaomasandboxapp1"});
    let res = app.post("/sandbox/api/mobile-app/auth", body).await;
    assert_eq!(res.status(), 200);
    let code: Value = res.json().await.unwrap();
    let res = app
        .post("/api/v1/mobile-app/login", json!({"code": code["code"]}))
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_mobile_app_login_with_the_placeholder_profile_stores_no_name() {
    let app = spawn_app().await;
    let user = app.new_user(PLACEHOLDER).await;

    let login = app_login(&app, &user).await;

    assert_no_profile(&login["account"]["identities"][0]);
    let account = me(&app, login["tokens"]["access_token"].as_str().unwrap()).await;
    assert_no_profile(&account["identities"][0]);
}
