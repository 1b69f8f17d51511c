//! What the browser clients rely on: the provider list, CORS for the SDK on other origins, the
//! demo page's CSP, and the phone simulator's scene lookup.

use crate::support::helpers::{error_code, spawn_app, spawn_app_with};
use serde_json::Value;

const ALLOWED: &str = "https://shop.example.com";

#[tokio::test]
async fn the_provider_list_names_every_sandboxed_provider() {
    let app = spawn_app().await;

    let res = app
        .http
        .get(app.url("/api/v1/providers"))
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["providers"],
        serde_json::json!(["mini_program", "official_account", "website"])
    );
    assert_eq!(body["sandbox"], true);
}

#[tokio::test]
async fn without_credentials_or_sandbox_no_provider_is_offered() {
    let app = spawn_app_with(|c| c.sandbox = Some(false)).await;

    let body: Value = app
        .http
        .get(app.url("/api/v1/providers"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(body["providers"], serde_json::json!([]));
    assert_eq!(body["sandbox"], false);
}

#[tokio::test]
async fn an_allowed_origin_gets_cors_headers_with_credentials() {
    let app = spawn_app_with(|c| c.web.cors_origins = vec![format!("{ALLOWED}/")]).await;

    let preflight = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/scenes"))
        .header("Origin", ALLOWED)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    let created = app
        .http
        .post(app.url("/api/v1/scenes"))
        .header("Origin", ALLOWED)
        .json(&serde_json::json!({"provider": "mini_program"}))
        .send()
        .await
        .unwrap();

    assert!(preflight.status().is_success(), "{}", preflight.status());
    let h = preflight.headers();
    assert_eq!(h["access-control-allow-origin"], ALLOWED);
    assert_eq!(h["access-control-allow-credentials"], "true");
    let allowed_headers = h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        allowed_headers.contains("x-poll-token"),
        "{allowed_headers}"
    );
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["access-control-allow-origin"], ALLOWED);
    assert_eq!(
        created.headers()["access-control-allow-credentials"],
        "true"
    );
}

#[tokio::test]
async fn another_origin_gets_no_cors_headers_but_is_still_served() {
    let app = spawn_app_with(|c| c.web.cors_origins = vec![ALLOWED.into()]).await;

    let created = app
        .http
        .post(app.url("/api/v1/scenes"))
        .header("Origin", "https://evil.example.net")
        .json(&serde_json::json!({"provider": "mini_program"}))
        .send()
        .await
        .unwrap();
    let same_origin = app
        .http
        .get(app.url("/api/v1/providers"))
        .header("Origin", app.base.clone())
        .send()
        .await
        .unwrap();

    // Served (the browser, not the server, withholds the answer from the other origin).
    assert_eq!(created.status(), 201);
    assert!(
        created
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    assert_eq!(same_origin.status(), 200);
    assert!(
        same_origin
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn with_no_allow_list_there_are_no_cors_headers() {
    let app = spawn_app().await;

    let res = app
        .http
        .get(app.url("/api/v1/providers"))
        .header("Origin", ALLOWED)
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), 200);
    assert!(res.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn a_cors_origin_with_a_path_is_refused_at_start() {
    let data = tempfile::tempdir().unwrap();
    let config = saoma::config::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data.path().to_path_buf(),
        web: saoma::config::WebConfig {
            cors_origins: vec!["https://shop.example.com/login".into()],
        },
        ..Default::default()
    };

    let built = saoma::app::Application::build(config).await;

    let message = format!("{:#}", built.err().expect("a bad origin is refused"));
    assert!(message.contains("cors_origins"), "{message}");
}

#[tokio::test]
async fn the_demo_page_has_a_strict_csp_and_the_sdk_is_served() {
    let app = spawn_app().await;

    let page = app.http.get(app.url("/")).send().await.unwrap();
    let sdk = app.http.get(app.url("/saoma.js")).send().await.unwrap();

    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(page.text().await.unwrap().contains("/demo.js"));
    assert!(
        sdk.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(
        sdk.text()
            .await
            .unwrap()
            .contains("export async function login")
    );
}

#[tokio::test]
async fn the_phone_simulator_learns_a_scenes_provider_and_requester() {
    let app = spawn_app().await;
    let created = app.create_mp_scene().await;

    let res = app
        .http
        .get(app.url(&format!("/sandbox/api/scenes/{}", created.scene)))
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["provider"], "mini_program");
    assert_eq!(body["status"], "pending");
    assert!(
        body["requester"]["user_agent"]
            .as_str()
            .unwrap()
            .contains("SaomaTest")
    );
    assert!(body.get("poll_token").is_none());
}

#[tokio::test]
async fn the_phone_simulator_lookup_of_an_unknown_scene_is_404() {
    let app = spawn_app().await;

    let unknown = app
        .http
        .get(app.url("/sandbox/api/scenes/nosuchscene1"))
        .send()
        .await
        .unwrap();
    let malformed = app
        .http
        .get(app.url("/sandbox/api/scenes/%25bad"))
        .send()
        .await
        .unwrap();

    assert_eq!(unknown.status(), 404);
    assert_eq!(error_code(unknown).await, "scene_not_found");
    assert_eq!(malformed.status(), 404);
    assert_eq!(error_code(malformed).await, "scene_not_found");
}

#[tokio::test]
async fn a_preflight_from_a_refused_origin_gets_no_permission() {
    let app = spawn_app_with(|c| c.web.cors_origins = vec![ALLOWED.into()]).await;

    let preflight = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/scenes"))
        .header("Origin", "https://evil.example.net")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "content-type, x-poll-token",
        )
        .send()
        .await
        .unwrap();

    let h = preflight.headers();
    assert!(h.get("access-control-allow-origin").is_none(), "{h:?}");
    assert!(h.get("access-control-allow-credentials").is_none());
    assert!(h.get("access-control-allow-headers").is_none());
    assert_eq!(h["x-content-type-options"], "nosniff");
}
