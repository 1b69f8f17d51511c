//! The avatar a person fills in from the mini-program: type and size checked, re-encoded,
//! served by Saoma, `pending` until WeChat's asynchronous content check (the sandbox's
//! `media_check_async`) pushes its verdict (`wxa_media_check`, delivered by the sandbox's tool)
//! through the callback: `accepted` is shown, `refused` never.

use crate::support::helpers::{TestApp, error_code, spawn_app, spawn_app_with};
use image::{DynamicImage, ImageFormat, RgbImage};
use serde_json::{Value, json};
use std::io::Cursor;

pub fn encoded(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let image = DynamicImage::ImageRgb8(RgbImage::from_pixel(width, height, [200, 40, 40].into()));
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

pub async fn put_avatar(
    app: &TestApp,
    token: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    let mut req = app
        .http
        .put(app.url("/api/v1/me/avatar"))
        .header("content-type", content_type)
        .body(body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.send().await.unwrap()
}

async fn profile(app: &TestApp, token: &str) -> Value {
    let me: Value = app.me(token).await.json().await.unwrap();
    me["profile"].clone()
}

/// The sandbox's tool: WeChat pushes its verdict on every pending check.
pub async fn wechat_answers(app: &TestApp, suggest: &str) -> Value {
    let res = app
        .post(
            "/sandbox/api/media-checks/deliver",
            json!({ "suggest": suggest }),
        )
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn an_avatar_is_re_encoded_served_pending_then_accepted_by_wechats_push() {
    let app = spawn_app().await;
    let user = app.new_user("有头像的人").await;
    let (_, token) = app.mp_session(&user).await;
    let mut upload = encoded(600, 300, ImageFormat::Png);
    upload.extend_from_slice(b"TRAILING-BYTES-OF-THE-UPLOAD");

    let res = put_avatar(&app, Some(&token), "image/png", upload).await;

    assert_eq!(res.status(), 200);
    let account: Value = res.json().await.unwrap();
    let path = account["profile"]["avatar"].as_str().unwrap().to_string();
    assert!(
        path.starts_with("/avatars/") && path.ends_with(".png"),
        "{path}"
    );
    assert_eq!(account["profile"]["avatar_status"], "pending");
    assert_eq!(app.calls("wxa/media_check_async").await, 1);

    let served = app.http.get(app.url(&path)).send().await.unwrap();
    assert_eq!(served.status(), 200, "WeChat fetches it while pending");
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        served.headers()["content-security-policy"],
        "default-src 'none'"
    );
    let bytes = served.bytes().await.unwrap();
    let stored = image::load_from_memory_with_format(&bytes, ImageFormat::Png).unwrap();
    assert_eq!((stored.width(), stored.height()), (256, 128));
    assert!(
        !bytes.windows(8).any(|w| w == b"TRAILING"),
        "a new encoding"
    );

    let pushed = wechat_answers(&app, "pass").await;
    assert_eq!(pushed["delivered"].as_array().unwrap().len(), 1, "{pushed}");
    let now = profile(&app, &token).await;
    assert_eq!(now["avatar"], path.as_str());
    assert_eq!(now["avatar_status"], "accepted");
    let export: Value = app
        .http
        .get(app.url("/api/v1/me/export"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let changes = export["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "account.updated" && e["data"]["change"] == "profile")
        .count();
    assert_eq!(changes, 1, "account.updated (profile) once accepted");
}

#[tokio::test]
async fn an_avatar_wechat_refuses_is_never_served() {
    let app = spawn_app().await;
    let user = app.new_user("头像违规的人").await;
    let (_, token) = app.mp_session(&user).await;
    let res = put_avatar(
        &app,
        Some(&token),
        "image/jpeg",
        encoded(64, 64, ImageFormat::Jpeg),
    )
    .await;
    assert_eq!(res.status(), 200);
    let path = profile(&app, &token).await["avatar"]
        .as_str()
        .unwrap()
        .to_string();

    wechat_answers(&app, "risky").await;

    assert_eq!(profile(&app, &token).await["avatar_status"], "refused");
    let res = app.http.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(error_code(res).await, "avatar_not_found");
}

#[tokio::test]
async fn uploads_that_are_not_an_image_of_their_type_are_refused_and_change_nothing() {
    let app = spawn_app_with(|c| c.limits.max_body_bytes = 64 * 1024).await;
    let user = app.new_user("传错图的人").await;
    let (_, token) = app.mp_session(&user).await;
    let jpeg = encoded(16, 16, ImageFormat::Jpeg);

    let res = put_avatar(&app, Some(&token), "image/png", jpeg.clone()).await;
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "invalid_avatar");

    let res = put_avatar(
        &app,
        Some(&token),
        "image/webp",
        b"RIFF....WEBPVP8 junk".to_vec(),
    )
    .await;
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "invalid_avatar");

    let res = put_avatar(&app, Some(&token), "image/gif", jpeg.clone()).await;
    assert_eq!(res.status(), 415);
    assert_eq!(error_code(res).await, "unsupported_media_type");

    let res = put_avatar(&app, Some(&token), "image/png", vec![0; 65 * 1024]).await;
    assert_eq!(res.status(), 413);
    assert_eq!(error_code(res).await, "body_too_large");

    let res = put_avatar(&app, None, "image/jpeg", jpeg).await;
    assert_eq!(res.status(), 401);
    assert_eq!(error_code(res).await, "unauthenticated");

    assert_eq!(app.calls("wxa/media_check_async").await, 0);
    assert!(profile(&app, &token).await.is_null());
}

#[tokio::test]
async fn a_check_wechat_cannot_start_is_502_and_leaves_no_avatar() {
    let app = spawn_app().await;
    let user = app.new_user("检测失败的人").await;
    let (_, token) = app.mp_session(&user).await;
    app.inject_fault(json!({"endpoint": "wxa/media_check_async", "errcode": 40003}))
        .await;

    let res = put_avatar(
        &app,
        Some(&token),
        "image/jpeg",
        encoded(32, 32, ImageFormat::Jpeg),
    )
    .await;

    assert_eq!(res.status(), 502);
    assert_eq!(error_code(res).await, "wechat_error");
    assert!(profile(&app, &token).await.is_null());
}

#[tokio::test]
async fn an_unknown_avatar_is_404() {
    let app = spawn_app().await;
    for path in [
        "/avatars/nope.png",
        "/avatars/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.png",
    ] {
        let res = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
        assert_eq!(error_code(res).await, "avatar_not_found");
    }
}
