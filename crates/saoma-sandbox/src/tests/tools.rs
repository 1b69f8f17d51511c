use poem::http::StatusCode;
use poem::test::TestClient;
use serde_json::{Value, json};
use std::time::Instant;

use super::{APP, Harness, OTHER_APP, OTHER_SECRET, SECRET, errcode, open};

#[tokio::test]
async fn new_user_gets_a_default_nickname_and_a_28_char_unionid() {
    let h = Harness::new();
    let user = h.new_user().await;
    let nickname = user["nickname"].as_str().unwrap();
    assert!(nickname.starts_with("微信用户"), "{nickname}");
    assert_eq!(nickname.chars().count(), 8);
    let unionid = user["unionid"].as_str().unwrap();
    assert_eq!(unionid.len(), 28);
    assert!(unionid.starts_with('o'));
    let resp = h
        .cli
        .post("/api/users")
        .body_json(&json!({"nickname": "小明"}))
        .send()
        .await;
    resp.assert_status(StatusCode::CREATED);
    let named: Value = resp.json().await.value().deserialize();
    assert_eq!(named["nickname"], "小明");
}

#[tokio::test]
async fn openid_is_stable_across_reopen_and_differs_per_app() {
    let h = Harness::new();
    h.stable_token(APP, SECRET, false).await;
    h.stable_token(OTHER_APP, OTHER_SECRET, false).await;
    let user = h.new_user().await;
    let id = user["id"].as_str().unwrap();
    let openid = user["openids"][APP].as_str().unwrap().to_owned();
    assert_eq!(openid.len(), 28);
    assert!(openid.starts_with('o'));
    assert_ne!(user["openids"][OTHER_APP].as_str().unwrap(), openid);
    assert_ne!(user["unionid"].as_str().unwrap(), openid);

    let reopened = open(h.dir.path());
    let cli = TestClient::new(reopened.routes());
    let users: Value = cli
        .get("/api/users")
        .send()
        .await
        .json()
        .await
        .value()
        .deserialize();
    assert_eq!(users.as_array().unwrap().len(), 1);
    assert_eq!(users[0]["id"], id);
    assert_eq!(users[0]["unionid"], user["unionid"]);
    assert_eq!(reopened.state.openid(id, APP), openid);

    let elsewhere = Harness::new();
    assert_ne!(elsewhere.sandbox.state.openid(id, APP), openid);
}

#[tokio::test]
async fn stats_count_calls_per_endpoint_and_app_and_reset() {
    let h = Harness::new();
    let token = h.token().await;
    h.token().await;
    h.stable_token(OTHER_APP, OTHER_SECRET, false).await;
    h.wxacode_errcode(&token, json!({"scene": "s"})).await;
    h.wxacode_errcode("bogus", json!({"scene": "s"})).await;
    h.cgi_bin_token(APP, SECRET, "client_credential").await;
    let stats = h.stats().await;
    assert_eq!(
        stats,
        json!({"calls": {
            "cgi-bin/stable_token": {APP: 2, OTHER_APP: 1},
            "cgi-bin/token": {APP: 1},
            "wxa/getwxacodeunlimit": {APP: 1, "unknown": 1},
        }})
    );
    let resp = h.cli.delete("/api/stats").send().await;
    resp.assert_status(StatusCode::NO_CONTENT);
    assert_eq!(h.stats().await, json!({"calls": {}}));
}

async fn add_fault(h: &Harness, fault: Value) {
    let resp = h.cli.post("/api/faults").body_json(&fault).send().await;
    resp.assert_status(StatusCode::CREATED);
}

#[tokio::test]
async fn wechat_returns_40001_once_then_succeeds() {
    let h = Harness::new();
    let token = h.token().await;
    add_fault(
        &h,
        json!({"endpoint": "wxa/getwxacodeunlimit", "errcode": 40001}),
    )
    .await;
    let body = json!({"scene": "s"});
    assert_eq!(h.wxacode_errcode(&token, body.clone()).await, 40001);
    assert_eq!(h.wxacode_errcode(&token, body.clone()).await, 0);
    let stats = h.stats().await;
    assert_eq!(stats["calls"]["wxa/getwxacodeunlimit"][APP], 2);
}

#[tokio::test]
async fn fault_for_one_app_leaves_other_apps_alone_and_counts_times() {
    let h = Harness::new();
    let fault =
        json!({"endpoint": "cgi-bin/stable_token", "app_id": APP, "errcode": -1, "times": 2});
    add_fault(&h, fault).await;
    let other = h.stable_token(OTHER_APP, OTHER_SECRET, false).await;
    assert_eq!(errcode(&other), 0);
    assert_eq!(errcode(&h.stable_token(APP, SECRET, false).await), -1);
    assert_eq!(errcode(&h.stable_token(APP, SECRET, false).await), -1);
    assert_eq!(errcode(&h.stable_token(APP, SECRET, false).await), 0);
}

#[tokio::test]
async fn slow_fault_delays_the_reply() {
    let h = Harness::new();
    add_fault(
        &h,
        json!({"endpoint": "cgi-bin/stable_token", "delay_ms": 200}),
    )
    .await;
    let started = Instant::now();
    assert_eq!(errcode(&h.stable_token(APP, SECRET, false).await), 0);
    assert!(started.elapsed().as_millis() >= 200);
}

#[tokio::test]
async fn cleared_faults_no_longer_apply() {
    let h = Harness::new();
    add_fault(
        &h,
        json!({"endpoint": "sns/jscode2session", "errcode": 45011}),
    )
    .await;
    let resp = h.cli.delete("/api/faults").send().await;
    resp.assert_status(StatusCode::NO_CONTENT);
    let user = h.new_user().await;
    let code = h.wx_login(user["id"].as_str().unwrap(), None).await;
    assert_eq!(errcode(&h.jscode2session(APP, SECRET, &code).await), 0);
}

#[tokio::test]
async fn fault_for_an_unknown_endpoint_is_400() {
    let h = Harness::new();
    let resp = h
        .cli
        .post("/api/faults")
        .body_json(&json!({"endpoint": "wxa/nope", "errcode": -1}))
        .send()
        .await;
    resp.assert_status(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn clock_api_ages_codes() {
    let h = Harness::new();
    let user = h.new_user().await;
    let code = h.wx_login(user["id"].as_str().unwrap(), None).await;
    let resp = h
        .cli
        .post("/api/clock")
        .body_json(&json!({"seconds": 301}))
        .send()
        .await;
    resp.assert_status_is_ok();
    assert_eq!(errcode(&h.jscode2session(APP, SECRET, &code).await), 40029);
}

#[tokio::test]
async fn phone_page_has_the_controls_browser_tests_drive() {
    let h = Harness::new();
    let resp = h.cli.get("/phone").query("scene", &"abc").send().await;
    resp.assert_status_is_ok();
    resp.assert_content_type("text/html; charset=utf-8");
    let html = resp.0.into_body().into_string().await.unwrap();
    for id in ["user-select", "new-user", "confirm", "cancel", "result"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "#{id}");
    }
}

#[tokio::test]
async fn routes_work_when_nested_at_sandbox() {
    let h = Harness::new();
    let app = poem::Route::new().nest("/sandbox", h.sandbox.routes());
    let cli = TestClient::new(app);
    cli.get("/sandbox/api/users")
        .send()
        .await
        .assert_status_is_ok();
    cli.get("/sandbox/phone").send().await.assert_status_is_ok();
    let resp = cli
        .post("/sandbox/wechat/cgi-bin/stable_token")
        .body_json(&json!({"grant_type": "client_credential", "appid": APP, "secret": SECRET}))
        .send()
        .await;
    let body: Value = resp.json().await.value().deserialize();
    assert_eq!(body["expires_in"], 7200);
}
