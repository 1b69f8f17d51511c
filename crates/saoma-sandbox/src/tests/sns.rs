use poem::http::StatusCode;
use serde_json::json;

use super::{APP, Harness, OTHER_APP, OTHER_SECRET, SECRET, errcode};

async fn user_id(h: &Harness) -> String {
    h.new_user().await["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn jscode2session_gives_openid_unionid_and_session_key() {
    let h = Harness::new();
    let user = h.new_user().await;
    let id = user["id"].as_str().unwrap();
    let code = h.wx_login(id, Some(APP)).await;
    let session = h.jscode2session(APP, SECRET, &code).await;
    assert_eq!(errcode(&session), 0);
    assert!(session.get("errmsg").is_none());
    assert_eq!(session["unionid"], user["unionid"]);
    assert_eq!(session["openid"], h.sandbox.state.openid(id, APP));
    assert!(!session["session_key"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn reused_code_is_40163() {
    let h = Harness::new();
    let code = h.wx_login(&user_id(&h).await, None).await;
    assert_eq!(errcode(&h.jscode2session(APP, SECRET, &code).await), 0);
    assert_eq!(errcode(&h.jscode2session(APP, SECRET, &code).await), 40163);
}

#[tokio::test]
async fn concurrent_redemptions_of_one_code_succeed_once() {
    let h = Harness::new();
    let code = h.wx_login(&user_id(&h).await, None).await;
    let (a, b) = tokio::join!(
        h.jscode2session(APP, SECRET, &code),
        h.jscode2session(APP, SECRET, &code)
    );
    let mut codes = [errcode(&a), errcode(&b)];
    codes.sort();
    assert_eq!(codes, [0, 40163]);
}

#[tokio::test]
async fn unknown_code_is_40029() {
    let h = Harness::new();
    assert_eq!(errcode(&h.jscode2session(APP, SECRET, "nope").await), 40029);
    assert_eq!(errcode(&h.jscode2session(APP, SECRET, "").await), 40029);
}

#[tokio::test]
async fn code_older_than_5_minutes_is_40029() {
    let h = Harness::new();
    let code = h.wx_login(&user_id(&h).await, None).await;
    h.advance(300);
    assert_eq!(errcode(&h.jscode2session(APP, SECRET, &code).await), 40029);
}

#[tokio::test]
async fn code_minted_for_another_app_is_40029() {
    let h = Harness::new();
    let code = h.wx_login(&user_id(&h).await, Some(OTHER_APP)).await;
    assert_eq!(errcode(&h.jscode2session(APP, SECRET, &code).await), 40029);
    // Not consumed by the wrong app.
    let session = h.jscode2session(OTHER_APP, OTHER_SECRET, &code).await;
    assert_eq!(errcode(&session), 0);
}

#[tokio::test]
async fn code_without_app_is_valid_for_the_first_app_only() {
    let h = Harness::new();
    let code = h.wx_login(&user_id(&h).await, None).await;
    let session = h.jscode2session(OTHER_APP, OTHER_SECRET, &code).await;
    assert_eq!(errcode(&session), 0);
    assert_eq!(errcode(&h.jscode2session(APP, SECRET, &code).await), 40163);
}

#[tokio::test]
async fn jscode2session_with_a_wrong_secret_is_40125_and_keeps_the_code() {
    let h = Harness::new();
    h.stable_token(APP, SECRET, false).await;
    let code = h.wx_login(&user_id(&h).await, Some(APP)).await;
    assert_eq!(errcode(&h.jscode2session(APP, "wrong", &code).await), 40125);
    assert_eq!(errcode(&h.jscode2session(APP, SECRET, &code).await), 0);
}

#[tokio::test]
async fn jscode2session_with_a_bad_appid_is_40013_and_bad_grant_type_40002() {
    let h = Harness::new();
    let code = h.wx_login(&user_id(&h).await, None).await;
    assert_eq!(errcode(&h.jscode2session("", SECRET, &code).await), 40013);
    let resp = h
        .cli
        .get("/wechat/sns/jscode2session")
        .query("appid", &APP)
        .query("secret", &SECRET)
        .query("js_code", &code)
        .query("grant_type", &"client_credential")
        .send()
        .await;
    assert_eq!(errcode(&super::wechat_json(resp).await), 40002);
}

#[tokio::test]
async fn wx_login_for_an_unknown_user_is_404() {
    let h = Harness::new();
    let resp = h
        .cli
        .post("/api/wx-login")
        .body_json(&json!({"user": "u-nobody"}))
        .send()
        .await;
    resp.assert_status(StatusCode::NOT_FOUND);
    resp.json()
        .await
        .value()
        .object()
        .get("code")
        .assert_string("unknown_user");
}

#[tokio::test]
async fn expired_codes_are_pruned() {
    let h = Harness::new();
    let user = user_id(&h).await;
    h.wx_login(&user, None).await;
    h.advance(301);
    h.wx_login(&user, None).await;
    assert_eq!(h.sandbox.state.codes.remembered(), 1);
}
