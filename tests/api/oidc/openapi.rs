//! The OAuth operations against their lists in the document: each request drives one into an
//! error (RFC 6749 5.2 `{error, error_description}`, or Saoma's `{code, message}` where the
//! HTTP layer answers first), and the answer's status and code must be listed for it there.

use crate::contract::openapi_doc::{answered_code, documented_codes, spec};
use crate::support::helpers::spawn_app;
use crate::support::oidc_helpers::{GRAFANA_CB, SECRET, spawn_oidc_app};
use serde_json::{Value, json};

const TOKEN: &str = "/oidc/token";
const REVOKE: &str = "/oidc/revoke";
const USERINFO: &str = "/oidc/userinfo";

async fn check(spec: &Value, path: &str, method: &str, request: reqwest::RequestBuilder) {
    let res = request.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let code = answered_code(&body);
    assert!(status >= 400, "{method} {path}: {status} {text}");
    let listed = documented_codes(spec, path, method, status);
    assert!(
        listed.contains(&code) && status != 500,
        "{method} {path} answered {status} {text}; the document lists {listed:?} at {status}"
    );
}

#[tokio::test]
async fn the_oauth_errors_are_the_ones_the_document_lists() {
    let app = spawn_oidc_app().await;
    let spec = spec();
    let http = &app.http;
    let token = || http.post(app.url(TOKEN));
    let code_form = [
        ("grant_type", "authorization_code"),
        ("code", "no-such-code"),
        ("redirect_uri", GRAFANA_CB),
    ];
    let cases: Vec<(&str, &str, reqwest::RequestBuilder)> = vec![
        // invalid_client 401: a wrong secret by Basic, by the form; an unknown client.
        (
            TOKEN,
            "post",
            token()
                .basic_auth("grafana", Some("wrong"))
                .form(&code_form),
        ),
        (
            TOKEN,
            "post",
            token().form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", "x"),
                ("client_id", "grafana"),
                ("client_secret", "wrong"),
            ]),
        ),
        (
            TOKEN,
            "post",
            token().form(&[("grant_type", "refresh_token"), ("client_id", "nobody")]),
        ),
        // invalid_grant 400: an unknown code, an unknown refresh token.
        (
            TOKEN,
            "post",
            token().basic_auth("grafana", Some(SECRET)).form(&code_form),
        ),
        (
            TOKEN,
            "post",
            token().form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", "nope"),
                ("client_id", "spa"),
            ]),
        ),
        // unsupported_grant_type 400.
        (
            TOKEN,
            "post",
            token()
                .basic_auth("grafana", Some(SECRET))
                .form(&[("grant_type", "password")]),
        ),
        // invalid_request 400: no grant_type; Basic and client_secret both; a parameter twice.
        (
            TOKEN,
            "post",
            token()
                .basic_auth("grafana", Some(SECRET))
                .form(&[("code", "c")]),
        ),
        (
            TOKEN,
            "post",
            token()
                .basic_auth("grafana", Some(SECRET))
                .form(&[("grant_type", "refresh_token"), ("client_secret", SECRET)]),
        ),
        (
            TOKEN,
            "post",
            token()
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body("grant_type=refresh_token&grant_type=authorization_code&client_id=spa"),
        ),
        // The HTTP layer's 415 `unsupported_media_type`: not a form.
        (
            TOKEN,
            "post",
            token().json(&json!({"grant_type": "refresh_token"})),
        ),
        // Revocation: invalid_client 401, invalid_request 400 (no token).
        (
            REVOKE,
            "post",
            http.post(app.url(REVOKE))
                .basic_auth("grafana", Some("wrong"))
                .form(&[("token", "t")]),
        ),
        (
            REVOKE,
            "post",
            http.post(app.url(REVOKE)).form(&[("client_id", "spa")]),
        ),
        // Userinfo: invalid_token 401, without a token and with a bad one, GET and POST.
        (USERINFO, "get", http.get(app.url(USERINFO))),
        (
            USERINFO,
            "get",
            http.get(app.url(USERINFO)).bearer_auth("not.a.jwt"),
        ),
        (
            USERINFO,
            "post",
            http.post(app.url(USERINFO)).bearer_auth("not.a.jwt"),
        ),
        // The browser's endpoints: the HTTP layer's `{code, message}` next to their pages.
        (
            "/oidc/authorize",
            "post",
            http.post(app.url("/oidc/authorize"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body("a".repeat(20_000)),
        ),
        (
            "/oidc/logout",
            "get",
            http.get(app.url("/oidc/logout"))
                .header("X-Padding", "a".repeat(17_000)),
        ),
    ];
    for (path, method, request) in cases {
        check(&spec, path, method, request).await;
    }
}

/// Without `[[oidc.clients]]` the discovery document is the operation's own 404 `not_found`.
#[tokio::test]
async fn discovery_without_a_provider_is_a_listed_not_found() {
    let app = spawn_app().await;
    let path = "/.well-known/openid-configuration";
    check(&spec(), path, "get", app.http.get(app.url(path))).await;
}

/// The 401s name their scheme, as the document says.
#[tokio::test]
async fn a_failed_authentication_names_its_scheme() {
    let app = spawn_oidc_app().await;
    let res = app
        .http
        .post(app.url(TOKEN))
        .basic_auth("grafana", Some("wrong"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Basic realm=\"saoma\"");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let res = app.http.get(app.url(USERINFO)).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer realm=\"saoma\"");
    let res = app
        .http
        .get(app.url(USERINFO))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.headers()["www-authenticate"],
        "Bearer realm=\"saoma\", error=\"invalid_token\""
    );
}
