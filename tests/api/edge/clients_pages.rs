//! The pages people open: the demo page's CSP frames only the website QR page, the phone
//! simulator is served under a strict CSP, and it learns whether a fake user follows the
//! official account (to offer "follow and log in" or "log in").

use crate::support::helpers::{TestApp, spawn_app, spawn_app_with};
use serde_json::{Value, json};

async fn csp_of(app: &TestApp, path: &str) -> String {
    let res = app.http.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string()
}

fn frame_src(csp: &str) -> Option<String> {
    csp.split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix("frame-src "))
        .map(str::to_string)
}

#[tokio::test]
async fn in_the_sandbox_the_demo_page_frames_its_own_origin_only() {
    let app = spawn_app().await;

    let csp = csp_of(&app, "/").await;

    assert_eq!(frame_src(&csp).as_deref(), Some("'self'"), "{csp}");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
}

#[tokio::test]
async fn with_wechats_qr_page_the_demo_page_frames_wechat_only() {
    let app = spawn_app_with(|c| {
        c.website.connect_base = Some("https://open.weixin.qq.com/".parse().unwrap());
    })
    .await;

    let csp = csp_of(&app, "/").await;

    assert_eq!(
        frame_src(&csp).as_deref(),
        Some("https://open.weixin.qq.com"),
        "{csp}"
    );
}

#[tokio::test]
async fn without_the_website_provider_the_demo_page_frames_nothing() {
    let app = spawn_app_with(|c| c.sandbox = Some(false)).await;

    let csp = csp_of(&app, "/").await;

    assert_eq!(frame_src(&csp), None, "{csp}");
    assert!(csp.contains("default-src 'none'"), "{csp}");
}

#[tokio::test]
async fn the_phone_simulator_and_its_files_are_served_under_a_strict_csp() {
    let app = spawn_app().await;

    for path in ["/sandbox/phone", "/sandbox/phone.js", "/sandbox/phone.css"] {
        let csp = csp_of(&app, path).await;
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
    }
    let page = app.http.get(app.url("/sandbox/phone")).send().await;
    let html = page.unwrap().text().await.unwrap();
    assert!(html.contains("src=\"phone.js\"") && !html.contains("<script>"));
    let js = app.http.get(app.url("/sandbox/phone.js")).send().await;
    let js = js.unwrap();
    assert!(
        js.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
}

async fn follows(app: &TestApp, user: &str) -> Value {
    let users: Value = app
        .http
        .get(app.url("/sandbox/api/users"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let found = users.as_array().unwrap().iter().find(|u| u["id"] == user);
    found.unwrap()["follows_official_account"].clone()
}

#[tokio::test]
async fn the_sandbox_users_say_whether_they_follow_the_official_account() {
    let app = spawn_app().await;
    let user = app.new_user("阿明").await;
    let created = app.create_oa_scene().await;
    let before = follows(&app, &user).await;

    app.oa_scan(&user, &created.scene, true).await;
    let after_follow = follows(&app, &user).await;
    let unfollowed = app
        .post(
            "/sandbox/api/official-account/unfollow",
            json!({"user": user}),
        )
        .await;
    let after_unfollow = follows(&app, &user).await;

    assert_eq!(before, json!(false));
    assert_eq!(after_follow, json!(true));
    assert_eq!(unfollowed.status(), 200);
    assert_eq!(after_unfollow, json!(false));
}
