//! The contract: the checked-in spec, error shapes, health, JWKS.

use crate::support::helpers::{error_code, spawn_app};
use serde_json::Value;

#[tokio::test]
async fn the_checked_in_openapi_document_matches_the_code() {
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .expect("openapi/openapi.json is checked in");
    let generated = saoma::app::spec_json();
    let checked_in: Value = serde_json::from_str(&checked_in).unwrap();
    let generated: Value = serde_json::from_str(&generated).unwrap();
    assert!(
        checked_in == generated,
        "openapi/openapi.json is stale: run `cargo run -- openapi > openapi/openapi.json`"
    );

    let app = spawn_app().await;
    let served: Value = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served["paths"], generated["paths"]);
}

#[tokio::test]
async fn every_error_code_is_listed_in_the_spec() {
    let spec: Value = serde_json::from_str(&saoma::app::spec_json()).unwrap();
    let codes = &spec["components"]["schemas"]["ErrorCode"]["enum"];
    for code in [
        "invalid_scene",
        "scene_exists",
        "scene_expired",
        "scene_consumed",
        "invalid_poll_token",
        "invalid_body",
        "invalid_code",
        "wechat_quota_exhausted",
        "store_unavailable",
    ] {
        assert!(
            codes.as_array().unwrap().iter().any(|c| c == code),
            "{code} missing from the spec"
        );
    }
    let statuses = &spec["components"]["schemas"]["SceneStatus"]["enum"];
    assert_eq!(statuses.as_array().unwrap().len(), 7);
}

#[tokio::test]
async fn health_readiness_docs_and_unknown_routes() {
    let app = spawn_app().await;
    let get = |p: &str| app.http.get(app.url(p)).send();
    assert_eq!(get("/healthz").await.unwrap().status(), 200);
    assert_eq!(get("/readyz").await.unwrap().status(), 200);
    let docs = get("/docs").await.unwrap();
    assert_eq!(docs.status(), 200);
    // Swagger UI shows the served document, links included (createScene's to getScene).
    let docs = docs.text().await.unwrap();
    let served = get("/openapi.json").await.unwrap().text().await.unwrap();
    assert!(served.contains("\"links\""));
    assert!(
        docs.contains(&served),
        "/docs inlines /openapi.json as served"
    );
    let res = get("/api/v1/nothing-here").await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(error_code(res).await, "not_found");
    let res = app
        .http
        .delete(app.url("/api/v1/scenes"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(error_code(res).await, "method_not_allowed");
}

#[tokio::test]
async fn access_tokens_verify_against_the_published_jwks() {
    let app = spawn_app().await;
    let created = app.create_mp_scene().await;
    app.phone_answers(&created.scene, true).await;
    let view: Value = app
        .poll_json(&created.scene, Some(&created.poll_token))
        .await;
    let token = view["tokens"]["access_token"].as_str().unwrap();

    let jwks: Value = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::EdDSA);
    assert_eq!(header.kid.as_deref(), key["kid"].as_str());

    let decoding =
        jsonwebtoken::DecodingKey::from_ed_components(key["x"].as_str().unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_audience(&["saoma"]);
    let claims = jsonwebtoken::decode::<Value>(token, &decoding, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["provider"], "mini_program");
    assert!(claims["sub"].is_string());

    let res = app
        .http
        .get(app.url("/api/v1/me"))
        .bearer_auth("not.a.jwt")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(error_code(res).await, "unauthenticated");
    let res = app.http.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn metrics_count_scenes_streams_and_wechat_calls() {
    let app = spawn_app().await;
    let created = app.create_mp_scene().await;
    let mut events = app.events(&created.scene, &created.poll_token).await;
    events.next_status().await.unwrap();
    let metrics = |app: &crate::support::helpers::TestApp| {
        let url = app.url("/metrics");
        let http = app.http.clone();
        async move { http.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let open = metrics(&app).await;
    assert!(open.contains("saoma_sse_streams 1"), "{open}");

    app.phone_answers(&created.scene, true).await;
    while events.next_status().await.is_some() {}
    let text = metrics(&app).await;
    for line in [
        r#"saoma_scenes_total{event="created",provider="mini_program"} 1"#,
        r#"saoma_scenes_total{event="confirmed",provider="mini_program"} 1"#,
        r#"saoma_scenes_total{event="consumed",provider="mini_program"} 1"#,
        r#"saoma_wechat_calls_total{endpoint="wxa/getwxacodeunlimit",errcode="0"} 1"#,
        r#"saoma_wechat_calls_total{endpoint="sns/jscode2session",errcode="0"} 1"#,
        "saoma_sse_streams 0",
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
    assert!(!text.contains("access_token"), "no secrets in metrics");
}
