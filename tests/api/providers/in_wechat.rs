//! Login inside WeChat's browser (公众号网页授权): the page sends the browser to the official
//! account's `connect/oauth2/authorize`, WeChat sends it back to Saoma's callback with a code,
//! and the state must be the one this very browser started. The sandbox plays WeChat.

use crate::providers::website::browser;
use crate::support::helpers::{TestApp, error_code, spawn_app, spawn_app_with};
use serde_json::{Value, json};

const OA_APP_ID: &str = "wxsaomasandbox0002";
const MOBILE_APP_ID: &str = "wxsaomasandboxapp1";

/// A browser's in-WeChat scene: what the page holds, and the cookie the browser holds.
pub struct InWechatScene {
    pub scene: String,
    pub poll_token: String,
    pub cookie: String,
    pub body: Value,
}

pub async fn create_in_wechat_scene(app: &TestApp) -> InWechatScene {
    let res = app.create_scene(json!({"provider": "in_wechat"})).await;
    assert_eq!(res.status(), 201);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("saoma_in_wechat="))
        .expect("the in-WeChat cookie")
        .to_string();
    assert!(
        cookie.contains("Path=/api/v1/in-wechat/callback"),
        "{cookie}"
    );
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    let body: Value = res.json().await.unwrap();
    InWechatScene {
        scene: body["scene"].as_str().unwrap().to_string(),
        poll_token: body["poll_token"].as_str().unwrap().to_string(),
        cookie: cookie.split(';').next().unwrap().to_string(),
        body,
    }
}

/// What WeChat sends the browser to once `user` authorized `app_id` (the sandbox's tool).
pub async fn authorized(
    app: &TestApp,
    user: &str,
    app_id: &str,
    scope: &str,
    state: &str,
) -> String {
    authorized_as(
        app,
        json!({"user": user, "appid": app_id, "scope": scope, "state": state}),
    )
    .await
}

async fn authorized_as(app: &TestApp, mut body: Value) -> String {
    body["redirect_uri"] = json!(app.url("/api/v1/in-wechat/callback"));
    let res = app.post("/sandbox/api/in-wechat/authorize", body).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["redirect"].as_str().unwrap().to_string()
}

/// The browser follows WeChat's redirect, with its cookie (or another).
pub async fn follow(redirect: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut req = browser().get(redirect);
    if let Some(cookie) = cookie {
        req = req.header("Cookie", cookie);
    }
    req.send().await.unwrap()
}

async fn page_error(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let html = res.text().await.unwrap();
    let code = html
        .split("<code id=\"error-code\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_default()
        .to_string();
    (status, code)
}

async fn status_of(app: &TestApp, s: &InWechatScene) -> String {
    let body = app.poll_json(&s.scene, Some(&s.poll_token)).await;
    body["status"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn in_wechat_login_confirms_the_browser_that_started_it_and_hands_tokens_once() {
    let app = spawn_app().await;
    let s = create_in_wechat_scene(&app).await;
    assert_eq!(s.body["provider"], "in_wechat");
    assert!(
        s.scene.chars().all(|c| c.is_ascii_alphanumeric()),
        "WeChat's state charset"
    );
    let url = url::Url::parse(s.body["qr"]["url"].as_str().unwrap()).unwrap();
    assert_eq!(url.path(), "/sandbox/wechat/connect/oauth2/authorize");
    assert_eq!(url.fragment(), Some("wechat_redirect"));
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["appid"], OA_APP_ID, "the official account's app id");
    assert_eq!(q["redirect_uri"], app.url("/api/v1/in-wechat/callback"));
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["scope"], "snsapi_base", "silent by default");
    assert_eq!(q["state"], s.scene);

    let user = app.new_user("微信里的人").await;
    let redirect = authorized(&app, &user, OA_APP_ID, "snsapi_base", &s.scene).await;
    let res = follow(&redirect, Some(&s.cookie)).await;
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], app.url("/").as_str());

    let first = app.poll_json(&s.scene, Some(&s.poll_token)).await;
    assert_eq!(first["status"], "confirmed");
    let token = first["tokens"]["access_token"].as_str().unwrap();
    let me: Value = app.me(token).await.json().await.unwrap();
    assert_eq!(me["identities"][0]["provider"], "in_wechat");
    assert_eq!(me["identities"][0]["app_id"], OA_APP_ID);
    let again = app.poll(&s.scene, Some(&s.poll_token)).await;
    assert_eq!(again.status(), 410, "tokens once");
    // A replayed callback URL mints nothing.
    let replay = follow(&redirect, Some(&s.cookie)).await;
    assert_eq!(replay.status(), 400);
}

#[tokio::test]
async fn a_missing_or_tampered_state_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let user = app.new_user("u").await;
    let mine = create_in_wechat_scene(&app).await;
    let other = create_in_wechat_scene(&app).await;
    let callback = app.url("/api/v1/in-wechat/callback");

    let no_state = follow(&format!("{callback}?code=abc"), Some(&mine.cookie)).await;
    assert_eq!(page_error(no_state).await, (400, "invalid_state".into()));
    let unknown = follow(
        &format!("{callback}?code=abc&state=nosuchscene0"),
        Some(&mine.cookie),
    )
    .await;
    assert_eq!(page_error(unknown).await, (400, "invalid_state".into()));

    // The other browser's state with my cookie, and my state with no cookie: refused before
    // the code is spent.
    let redirect = authorized(&app, &user, OA_APP_ID, "snsapi_base", &other.scene).await;
    let tampered = follow(&redirect, Some(&mine.cookie)).await;
    assert_eq!(page_error(tampered).await, (400, "invalid_state".into()));
    let cookieless = follow(&redirect, None).await;
    assert_eq!(page_error(cookieless).await, (400, "invalid_state".into()));
    assert_eq!(
        app.calls("sns/oauth2/access_token").await,
        0,
        "no code spent"
    );
    assert_eq!(status_of(&app, &other).await, "pending");
    assert_eq!(status_of(&app, &mine).await, "pending");

    // The rightful browser still logs in with the same code.
    let res = follow(&redirect, Some(&other.cookie)).await;
    assert_eq!(res.status(), 302);
    assert_eq!(status_of(&app, &other).await, "confirmed");
}

#[tokio::test]
async fn codes_wechat_refuses_are_invalid_code_pages_and_the_scene_waits() {
    let app = spawn_app().await;
    let user = app.new_user("u").await;

    // A code of another app (the mobile app's): 40029.
    let s = create_in_wechat_scene(&app).await;
    let redirect = authorized(&app, &user, MOBILE_APP_ID, "snsapi_base", &s.scene).await;
    assert_eq!(
        page_error(follow(&redirect, Some(&s.cookie)).await).await,
        (400, "invalid_code".into())
    );
    assert_eq!(status_of(&app, &s).await, "pending");

    // A used code: 40163.
    let redirect = authorized(&app, &user, OA_APP_ID, "snsapi_base", &s.scene).await;
    assert_eq!(follow(&redirect, Some(&s.cookie)).await.status(), 302);
    let s2 = create_in_wechat_scene(&app).await;
    let reused = redirect.replace(&s.scene, &s2.scene);
    let res = follow(&reused, Some(&s2.cookie)).await;
    let html = res.text().await.unwrap();
    assert!(
        html.contains("invalid_code") && html.contains("40163"),
        "{html}"
    );
    assert_eq!(status_of(&app, &s2).await, "pending");

    // WeChat's own 40029.
    app.inject_fault(json!({"endpoint": "sns/oauth2/access_token", "errcode": 40029}))
        .await;
    let redirect = authorized(&app, &user, OA_APP_ID, "snsapi_base", &s2.scene).await;
    assert_eq!(
        page_error(follow(&redirect, Some(&s2.cookie)).await).await,
        (400, "invalid_code".into())
    );
}

#[tokio::test]
async fn a_snapshot_page_user_is_not_logged_in_and_is_told_to_use_the_full_service() {
    let app = spawn_app_with(|c| c.in_wechat.fetch_profile = true).await;
    let user = app.new_user("u").await;
    let s = create_in_wechat_scene(&app).await;
    assert!(
        s.body["qr"]["url"]
            .as_str()
            .unwrap()
            .contains("scope=snsapi_userinfo")
    );
    let redirect = authorized_as(
        &app,
        json!({"user": user, "appid": OA_APP_ID, "scope": "snsapi_userinfo", "state": s.scene, "snapshot": true}),
    )
    .await;
    let res = follow(&redirect, Some(&s.cookie)).await;
    assert_eq!(res.status(), 403);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("snapshot_user") && html.contains("使用完整服务"),
        "{html}"
    );
    assert_eq!(status_of(&app, &s).await, "pending");
    assert_eq!(app.calls("sns/userinfo").await, 0);
}

#[tokio::test]
async fn with_fetch_profile_the_profile_is_read_and_48001_is_a_wechat_error() {
    let app = spawn_app_with(|c| c.in_wechat.fetch_profile = true).await;
    let user = app.new_user("有头像的人").await;
    let s = create_in_wechat_scene(&app).await;
    app.inject_fault(json!({"endpoint": "sns/userinfo", "errcode": 48001}))
        .await;
    let redirect = authorized(&app, &user, OA_APP_ID, "snsapi_userinfo", &s.scene).await;
    assert_eq!(
        page_error(follow(&redirect, Some(&s.cookie)).await).await,
        (502, "wechat_error".into())
    );
    assert_eq!(status_of(&app, &s).await, "pending");

    let redirect = authorized(&app, &user, OA_APP_ID, "snsapi_userinfo", &s.scene).await;
    assert_eq!(follow(&redirect, Some(&s.cookie)).await.status(), 302);
    let view = app.poll_json(&s.scene, Some(&s.poll_token)).await;
    assert_eq!(view["scanned_by"]["nickname"], "有头像的人");
}

#[tokio::test]
async fn in_wechat_links_by_unionid_and_honours_require_phone() {
    let app = spawn_app_with(|c| c.accounts.require_phone = true).await;
    let user = app.new_user("同一个人").await;
    let (mp_account, _) = app.mp_session(&user).await;
    let s = create_in_wechat_scene(&app).await;
    let redirect = authorized(&app, &user, OA_APP_ID, "snsapi_base", &s.scene).await;
    assert_eq!(follow(&redirect, Some(&s.cookie)).await.status(), 302);
    assert_eq!(status_of(&app, &s).await, "need_phone");
    assert_eq!(
        app.send_sms(&s.scene, &s.poll_token, "13800138000")
            .await
            .status(),
        200
    );
    let code = app.sms_code("+8613800138000").await;
    let bound = app
        .bind_phone(&s.scene, &s.poll_token, "13800138000", &code)
        .await;
    assert_eq!(bound.status(), 200);
    let view = app.poll_json(&s.scene, Some(&s.poll_token)).await;
    let me: Value = app
        .me(view["tokens"]["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], mp_account.as_str(), "one account by unionid");
}

#[tokio::test]
async fn an_in_wechat_scene_refuses_a_browser_chosen_id() {
    let app = spawn_app().await;
    let res = app
        .create_scene(json!({"provider": "in_wechat", "scene": "abcdefgh1234"}))
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "scene_not_allowed");
}

#[tokio::test]
async fn a_redirect_without_code_cancels_only_for_the_browser_that_started_it() {
    let app = spawn_app().await;
    let s = create_in_wechat_scene(&app).await;
    let refused = format!(
        "{}?state={}",
        app.url("/api/v1/in-wechat/callback"),
        s.scene
    );
    let elsewhere = follow(&refused, None).await;
    assert_eq!(page_error(elsewhere).await, (400, "invalid_state".into()));
    assert_eq!(status_of(&app, &s).await, "pending");
    let res = follow(&refused, Some(&s.cookie)).await;
    assert_eq!(res.status(), 302);
    assert_eq!(status_of(&app, &s).await, "cancelled");
}
