//! The OpenAPI document's validators hold at the door, each with a stable code; a scene keeps
//! its own code (`invalid_scene`) while the document states its pattern.

use crate::support::helpers::{error_code, spawn_app};
use serde_json::{Value, json};

#[tokio::test]
async fn the_scene_pattern_and_lengths_are_in_the_document() {
    let spec: Value = serde_json::from_str(&saoma::app::spec_json()).unwrap();
    let scene = &spec["components"]["schemas"]["CreateSceneRequest"]["properties"]["scene"];
    assert_eq!(scene["pattern"], saoma::SCENE_PATTERN);
    assert_eq!(
        (scene["minLength"].as_u64(), scene["maxLength"].as_u64()),
        (Some(8), Some(32))
    );
    let poll = &spec["paths"]["/api/v1/scenes/{scene}"]["get"]["parameters"];
    let path_scene = poll
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "scene")
        .unwrap();
    assert_eq!(path_scene["schema"]["pattern"], saoma::SCENE_PATTERN);
}

#[tokio::test]
async fn an_overlong_login_code_is_400_invalid_body() {
    let app = spawn_app().await;
    let res = app.mp_login(&"c".repeat(257), None, true).await;
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "invalid_body");
}

#[tokio::test]
async fn an_overlong_poll_token_is_400_invalid_request() {
    let app = spawn_app().await;
    let created = app.create_mp_scene().await;
    let res = app.poll(&created.scene, Some(&"t".repeat(129))).await;
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "invalid_request");
}

#[tokio::test]
async fn an_overlong_callback_signature_is_400_invalid_request() {
    let app = spawn_app().await;
    let url = format!(
        "/api/v1/official-account/callback?signature={}&timestamp=1&nonce=n&echostr=e",
        "s".repeat(129)
    );
    let res = app.http.get(app.url(&url)).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "invalid_request");
}

#[tokio::test]
async fn an_overlong_scene_keeps_its_own_codes() {
    let app = spawn_app().await;
    let long = "a".repeat(5_000);
    let res = app
        .create_scene(json!({"provider": "mini_program", "scene": long}))
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "invalid_scene");
    let res = app.poll(&"a".repeat(300), Some("token")).await;
    assert_eq!(res.status(), 404);
    assert_eq!(error_code(res).await, "scene_not_found");
    let res = app.scan(&"a".repeat(300)).await;
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "invalid_scene");
}
