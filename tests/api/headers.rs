//! Security headers on every response, a CSP on every HTML page (allowing exactly its own
//! inline code), the header cap, and readiness per component.

use crate::helpers::{error_code, spawn_app};
use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn sha256_source(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

fn assert_basic_headers(res: &reqwest::Response) {
    let h = res.headers();
    assert_eq!(h["x-content-type-options"], "nosniff", "{}", res.url());
    assert_eq!(h["referrer-policy"], "no-referrer", "{}", res.url());
}

#[tokio::test]
async fn json_answers_and_errors_carry_nosniff_and_no_referrer() {
    let app = spawn_app().await;
    for path in [
        "/api/v1/providers",
        "/api/v1/nothing-here",
        "/metrics",
        "/openapi.json",
    ] {
        let res = app.http.get(app.url(path)).send().await.unwrap();
        assert_basic_headers(&res);
    }
    let created = app.create_scene(json!({"provider": "mini_program"})).await;
    assert_basic_headers(&created);
}

#[tokio::test]
async fn the_phone_page_gets_a_csp_allowing_exactly_its_inline_script_and_style() {
    let app = spawn_app().await;

    let res = app
        .http
        .get(app.url("/sandbox/phone?scene=abcd1234"))
        .send()
        .await
        .unwrap();

    assert_basic_headers(&res);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let html = res.text().await.unwrap();
    let inline = |tag: &str| {
        let start = html.find(&format!("<{tag}>")).unwrap() + tag.len() + 2;
        let end = start + html[start..].find(&format!("</{tag}>")).unwrap();
        html[start..end].to_string()
    };
    assert!(
        csp.contains(&format!("script-src {};", sha256_source(&inline("script")))),
        "{csp}"
    );
    assert!(
        csp.contains(&format!("style-src {};", sha256_source(&inline("style")))),
        "{csp}"
    );
    assert!(csp.contains("default-src 'none'"));
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"));
}

#[tokio::test]
async fn every_html_page_has_a_csp_and_pages_keep_their_own() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/docs",
        "/api/v1/website/callback?state=unknown-1&code=x",
    ] {
        let res = app.http.get(app.url(path)).send().await.unwrap();
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        assert_basic_headers(&res);
        let csp = res.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
    }
    let demo = app.http.get(app.url("/")).send().await.unwrap();
    assert_eq!(
        demo.headers()["content-security-policy"],
        saoma::web::PAGE_CSP
    );
}

#[tokio::test]
async fn headers_over_the_cap_are_431_headers_too_large() {
    let app = spawn_app().await;

    let res = app
        .http
        .get(app.url("/api/v1/providers"))
        .header("X-Padding", "a".repeat(20 * 1024))
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), 431);
    assert_eq!(error_code(res).await, "headers_too_large");
}

#[tokio::test]
async fn readyz_names_each_component() {
    let app = spawn_app().await;

    let res = app.http.get(app.url("/readyz")).send().await.unwrap();

    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        json!({"status": "ok", "store": "ok", "database": "ok"})
    );
}
