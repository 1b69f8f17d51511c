//! Security headers on every response, a CSP on every HTML page, the header cap, and readiness
//! per component.

use crate::support::helpers::{error_code, spawn_app};
use serde_json::{Value, json};

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
async fn the_phone_page_keeps_its_own_strict_csp_with_no_inline_code() {
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
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(
        !html.contains("<script>"),
        "the phone page's script is a file, not inline"
    );
    assert!(
        !html.contains("<style>"),
        "the phone page's style is a file, not inline"
    );
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
    // The demo page keeps its own policy (the middleware adds none over it): the base policy
    // plus the one frame the website tab embeds (the sandbox's QR page, so 'self').
    let demo = app.http.get(app.url("/")).send().await.unwrap();
    assert_eq!(
        demo.headers()["content-security-policy"],
        format!("{}; frame-src 'self'", saoma::PAGE_CSP).as_str()
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
        json!({"status": "ok", "store": "ok", "database": "ok", "cluster": "ok", "sandbox": true})
    );
}
