//! Bad input on the scene API: each refused with a stable code, and nothing lost.

use crate::support::helpers::{error_code, spawn_app};
use serde_json::json;

#[tokio::test]
async fn each_kind_of_invalid_scene_is_400_invalid_scene() {
    let app = spawn_app().await;
    for bad in [
        "short",
        "",
        &"a".repeat(33),
        "has space1",
        "percent%20x",
        "引号引号引号引号",
        "abc<def>g",
    ] {
        let res = app
            .create_scene(json!({"provider": "mini_program", "scene": bad}))
            .await;
        assert_eq!(res.status(), 400, "scene {bad:?}");
        assert_eq!(error_code(res).await, "invalid_scene", "scene {bad:?}");
    }
    assert_eq!(
        app.calls("wxa/getwxacodeunlimit").await,
        0,
        "no WeChat call for a bad scene"
    );
}

#[tokio::test]
async fn a_browser_chosen_scene_with_every_allowed_character_works() {
    let app = spawn_app().await;
    let scene = "Az09!#$&'()*+,/:;=?@-._~";
    let res = app
        .create_scene(json!({"provider": "mini_program", "scene": scene}))
        .await;
    assert_eq!(res.status(), 201);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["scene"], scene);
    let token = body["poll_token"].as_str().unwrap();
    let polled = app.poll(scene, Some(token)).await;
    assert_eq!(polled.status(), 200);
    assert_eq!(app.scan(scene).await.status(), 200);
}

#[tokio::test]
async fn generated_scenes_are_long_random_and_distinct() {
    let app = spawn_app().await;
    let a = app.create_mp_scene().await;
    let b = app.create_mp_scene().await;
    assert!(a.scene.len() >= 22);
    assert_ne!(a.scene, b.scene);
    assert_ne!(a.poll_token, b.poll_token);
    assert!(a.poll_token.len() >= 43, "256-bit poll token");
}

#[tokio::test]
async fn an_existing_scene_is_409_and_the_first_browser_keeps_it() {
    let app = spawn_app().await;
    let body = json!({"provider": "mini_program", "scene": "collide-0001"});
    let first = app.create_scene(body.clone()).await;
    assert_eq!(first.status(), 201);
    let first: serde_json::Value = first.json().await.unwrap();

    let second = app.create_scene(body).await;
    assert_eq!(second.status(), 409);
    assert_eq!(error_code(second).await, "scene_exists");

    let token = first["poll_token"].as_str().unwrap();
    assert_eq!(app.poll("collide-0001", Some(token)).await.status(), 200);
}

#[tokio::test]
async fn malformed_json_is_400_invalid_body() {
    let app = spawn_app().await;
    for (body, content_type) in [
        ("{\"provider\": \"mini_program\"", "application/json"),
        ("not json", "application/json"),
        ("{\"provider\": \"carrier_pigeon\"}", "application/json"),
        ("{}", "application/json"),
        ("[1,2]", "application/json"),
    ] {
        let res = app
            .http
            .post(app.url("/api/v1/scenes"))
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{body}");
        assert_eq!(error_code(res).await, "invalid_body", "{body}");
    }
    let res = app
        .http
        .post(app.url("/api/v1/mini-program/login"))
        .header("Content-Type", "application/json")
        .body("{\"approve\": true}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "invalid_body");
}

#[tokio::test]
async fn a_body_of_the_wrong_type_or_too_large_is_refused() {
    let app = spawn_app().await;
    let res = app
        .http
        .post(app.url("/api/v1/scenes"))
        .header("Content-Type", "text/plain")
        .body("{\"provider\":\"mini_program\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    assert_eq!(error_code(res).await, "unsupported_media_type");

    let huge = format!(
        "{{\"provider\":\"mini_program\",\"pad\":\"{}\"}}",
        "x".repeat(100_000)
    );
    let res = app
        .http
        .post(app.url("/api/v1/scenes"))
        .header("Content-Type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(error_code(res).await, "body_too_large");
}

#[tokio::test]
async fn polling_needs_the_right_poll_token() {
    let app = spawn_app().await;
    let created = app.create_mp_scene().await;

    let missing = app.poll(&created.scene, None).await;
    assert_eq!(missing.status(), 401);
    assert_eq!(error_code(missing).await, "invalid_poll_token");

    let wrong = app
        .poll(
            &created.scene,
            Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        )
        .await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(error_code(wrong).await, "invalid_poll_token");

    let res = app
        .http
        .get(format!("{}/events", app.scene_url(&created.scene)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "SSE needs the token as well");

    // The rightful holder is unaffected by the failed attempts.
    assert_eq!(
        app.poll(&created.scene, Some(&created.poll_token))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn an_unknown_scene_is_404() {
    let app = spawn_app().await;
    let res = app.poll("unknown-scene-1", Some("some-token")).await;
    assert_eq!(res.status(), 404);
    assert_eq!(error_code(res).await, "scene_not_found");
    let res = app.scan("unknown-scene-1").await;
    assert_eq!(res.status(), 404);
    assert_eq!(error_code(res).await, "scene_not_found");
}

#[tokio::test]
async fn the_poll_token_cookie_is_httponly_and_scoped_to_the_scene() {
    let app = spawn_app().await;
    let res = app
        .create_scene(json!({"provider": "mini_program", "scene": "cookie-a/b+c"}))
        .await;
    assert_eq!(res.status(), 201);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    let body: serde_json::Value = res.json().await.unwrap();
    let token = body["poll_token"].as_str().unwrap();
    assert!(
        cookie.starts_with(&format!("saoma_poll={token};")),
        "{cookie}"
    );
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Strict"));
    assert!(
        cookie.contains("Path=/api/v1/scenes/cookie-a%2Fb%2Bc;"),
        "{cookie}"
    );

    // The cookie alone authorises the scene (what a same-origin EventSource sends).
    let res = app
        .http
        .get(app.scene_url("cookie-a/b+c"))
        .header("Cookie", format!("saoma_poll={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
