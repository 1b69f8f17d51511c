//! WeChat on a bad day, as the sandbox plays it.

use crate::support::helpers::{error_code, retry_after, spawn_app};
use serde_json::{Value, json};

#[tokio::test]
async fn a_reused_login_code_is_400_invalid_code() {
    let app = spawn_app().await;
    let user = app.new_user("重放").await;
    let code = app.wx_login(&user).await;
    assert_eq!(app.mp_login(&code, None, true).await.status(), 200);

    let created = app.create_mp_scene().await;
    let res = app.mp_login(&code, Some(&created.scene), true).await;
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "invalid_code");
    // Nothing moved: the scene still waits.
    let view: Value = app
        .poll_json(&created.scene, Some(&created.poll_token))
        .await;
    assert_eq!(view["status"], "pending");
    // A made-up code is refused the same way.
    let res = app.mp_login("made-up-code", None, true).await;
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "invalid_code");
}

#[tokio::test]
async fn wechat_returns_40001_once_then_succeeds() {
    let app = spawn_app().await;
    app.create_mp_scene().await; // warms the token cache
    assert_eq!(app.calls("cgi-bin/stable_token").await, 1);

    // Another server force-refreshed: our cached token is now invalid.
    let res = app
        .post(
            "/sandbox/api/invalidate-token",
            json!({"app_id": saoma::config::SANDBOX_MINI_PROGRAM_APP_ID}),
        )
        .await;
    assert!(res.status().is_success());
    let created = app.create_mp_scene().await;
    assert!(
        created.body["qr"]["image"]
            .as_str()
            .unwrap()
            .starts_with("data:image/jpeg;base64,")
    );
    assert_eq!(
        app.calls("cgi-bin/stable_token").await,
        2,
        "one refetch after 40001"
    );
    assert_eq!(
        app.calls("wxa/getwxacodeunlimit").await,
        3,
        "the failed call was retried once"
    );
}

#[tokio::test]
async fn an_injected_40001_is_retried_once_with_a_fresh_token() {
    let app = spawn_app().await;
    app.inject_fault(json!({"endpoint": "wxa/getwxacodeunlimit", "errcode": 40001, "times": 1}))
        .await;
    let res = app.create_scene(json!({"provider": "mini_program"})).await;
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn wechat_quota_exhausted_is_503_with_retry_after() {
    let app = spawn_app().await;
    app.inject_fault(json!({"endpoint": "wxa/getwxacodeunlimit", "errcode": 45009, "times": 5}))
        .await;
    let res = app
        .create_scene(json!({"provider": "mini_program", "scene": "quota-0001"}))
        .await;
    assert_eq!(res.status(), 503);
    assert!(retry_after(&res) >= 1);
    assert_eq!(error_code(res).await, "wechat_quota_exhausted");
    assert_eq!(
        app.calls("wxa/getwxacodeunlimit").await,
        1,
        "45009 is never hammered"
    );

    // The scene id was released, so the browser may try again with it once WeChat recovers.
    let _ = app
        .http
        .delete(app.url("/sandbox/api/faults"))
        .send()
        .await
        .unwrap();
    let res = app
        .create_scene(json!({"provider": "mini_program", "scene": "quota-0001"}))
        .await;
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn a_json_error_from_getwxacodeunlimit_is_502_with_the_errcode() {
    let app = spawn_app_with_page("pages/not/released").await;
    let res = app.create_scene(json!({"provider": "mini_program"})).await;
    assert_eq!(res.status(), 502);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "wechat_error");
    assert!(
        body["message"].as_str().unwrap().contains("41030"),
        "{body}"
    );
}

async fn spawn_app_with_page(page: &str) -> crate::support::helpers::TestApp {
    let page = page.to_string();
    crate::support::helpers::spawn_app_with(move |c| c.mini_program.page = page).await
}

#[tokio::test]
async fn a_slow_wechat_is_a_504_within_the_timeout() {
    // 3 s, not less: the warm-up below (token fetch + drawing) must fit in it on a busy machine.
    let app = crate::support::helpers::spawn_app_with(|c| c.wechat.timeout_ms = 3000).await;
    app.create_mp_scene().await;
    app.inject_fault(json!({"endpoint": "wxa/getwxacodeunlimit", "delay_ms": 10000, "times": 1}))
        .await;
    let res = app.create_scene(json!({"provider": "mini_program"})).await;
    assert_eq!(res.status(), 504);
    assert_eq!(error_code(res).await, "wechat_timeout");
}

#[tokio::test]
async fn a_hundred_concurrent_first_requests_cause_one_token_fetch() {
    // A hundred codes drawn at once by a debug build on a busy machine take longer than the
    // default timeout; what is asserted is the one token fetch, not the speed.
    let app = crate::support::helpers::spawn_app_with(|c| c.wechat.timeout_ms = 60_000).await;
    let creates = (0..100).map(|_| app.create_scene(json!({"provider": "mini_program"})));
    let results = futures::future::join_all(creates).await;
    let statuses: Vec<u16> = results.iter().map(|r| r.status().as_u16()).collect();
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    assert_eq!(app.calls("cgi-bin/stable_token").await, 1);
    assert_eq!(app.calls("wxa/getwxacodeunlimit").await, 100);
}
