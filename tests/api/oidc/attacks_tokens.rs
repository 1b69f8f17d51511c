//! Issue 27, the token findings of the outside attack: each test sends the reproduction.
//! H1 (a client's refresh token at Saoma's own API), M2 (a client's access token at
//! `/api/v1/me`), L7 (an access token as `id_token_hint`), L8 (one client revoking another's
//! token), and the header details (RFC 6750 3.1, RFC 7235 case-insensitive schemes, the JWKS'
//! caching).

use crate::support::helpers::{TestApp, error_code};
use crate::support::oidc_helpers::*;
use serde_json::{Value, json};

async fn grafana_tokens(app: &TestApp) -> Value {
    logged_in_tokens(app, &browser()).await
}

/// Saoma's own tokens: a mini-program login without a scene.
async fn own_tokens(app: &TestApp) -> Value {
    let user = app.new_user("own").await;
    let code = app.wx_login(&user).await;
    let res = app.mp_login(&code, None, true).await;
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["tokens"].clone()
}

async fn revoke_as(app: &TestApp, client: &str, token: &str) -> reqwest::Response {
    app.http
        .post(app.url("/oidc/revoke"))
        .basic_auth(client, Some(SECRET))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
}

async fn refresh_at_oidc(app: &TestApp, client: &str, refresh: &str) -> reqwest::Response {
    token(
        app,
        Some((client, SECRET)),
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await
}

#[tokio::test]
async fn an_oidc_clients_refresh_token_is_refused_at_the_api_and_its_session_ends() {
    let app = spawn_oidc_app().await;
    let tokens = grafana_tokens(&app).await;
    let refresh = tokens["refresh_token"].as_str().unwrap();

    let res = app
        .post(
            "/api/v1/tokens/refresh",
            json!({ "refresh_token": refresh }),
        )
        .await;

    assert_eq!(res.status(), 401, "bound to its client (RFC 9700 4.14)");
    assert_eq!(error_code(res).await, "invalid_refresh_token");
    let res = refresh_at_oidc(&app, "grafana", refresh).await;
    assert_eq!(
        oauth_error(res).await,
        "invalid_grant",
        "the leaked family is revoked, as at /oidc/token"
    );
}

#[tokio::test]
async fn an_oidc_clients_access_token_is_refused_at_api_v1_me() {
    let app = spawn_oidc_app().await;
    let tokens = grafana_tokens(&app).await;
    let access = tokens["access_token"].as_str().unwrap();

    let res = app.me(access).await;

    assert_eq!(
        res.status(),
        401,
        "Saoma's own API is not for client tokens"
    );
    assert_eq!(error_code(res).await, "unauthenticated");
}

#[tokio::test]
async fn access_tokens_are_typed_at_jwt_and_id_tokens_are_not() {
    let app = spawn_oidc_app().await;
    let tokens = grafana_tokens(&app).await;
    assert_eq!(
        header(tokens["access_token"].as_str().unwrap())["typ"],
        "at+jwt"
    );
    assert_eq!(header(tokens["id_token"].as_str().unwrap())["typ"], "JWT");
    let own = own_tokens(&app).await;
    assert_eq!(
        header(own["access_token"].as_str().unwrap())["typ"],
        "at+jwt"
    );
    assert_eq!(
        app.me(own["access_token"].as_str().unwrap()).await.status(),
        200
    );
}

#[tokio::test]
async fn an_access_token_is_not_an_id_token_hint() {
    let app = spawn_oidc_app().await;
    let browser = browser();
    let tokens = logged_in_tokens(&app, &browser).await;

    let res = browser
        .get(app.url("/oidc/logout"))
        .query(&[("id_token_hint", tokens["access_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), 400, "an access token names no client session");
    assert!(res.headers().get("location").is_none());
    let (to, _) =
        location(&authorize(&app, &browser, &grafana_params(&[("prompt", "none")])).await);
    assert!(to.contains("code="), "still signed in: {to}");
}

#[tokio::test]
async fn a_client_cannot_revoke_another_clients_refresh_token() {
    let app = spawn_oidc_app().await;
    let tokens = grafana_tokens(&app).await;
    let refresh = tokens["refresh_token"].as_str().unwrap();

    let res = revoke_as(&app, "edapp", refresh).await;

    assert_eq!(res.status(), 400, "RFC 7009 2.1: not edapp's token");
    assert_eq!(oauth_error(res).await, "unauthorized_client");
    let res = refresh_at_oidc(&app, "grafana", refresh).await;
    assert_eq!(res.status(), 200, "grafana's session lives on");
}

#[tokio::test]
async fn a_client_revokes_its_own_refresh_token() {
    let app = spawn_oidc_app().await;
    let tokens = grafana_tokens(&app).await;
    let refresh = tokens["refresh_token"].as_str().unwrap();

    let res = revoke_as(&app, "grafana", refresh).await;

    assert_eq!(res.status(), 200);
    let res = refresh_at_oidc(&app, "grafana", refresh).await;
    assert_eq!(oauth_error(res).await, "invalid_grant");
}

#[tokio::test]
async fn userinfo_without_credentials_names_no_error_in_www_authenticate() {
    let app = spawn_oidc_app().await;

    let res = app
        .http
        .get(app.url("/oidc/userinfo"))
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), 401);
    let challenge = res.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    assert!(
        !challenge.contains("error="),
        "RFC 6750 3.1: no error code when no credentials were sent: {challenge}"
    );
}

#[tokio::test]
async fn auth_schemes_are_case_insensitive() {
    let app = spawn_oidc_app().await;
    let tokens = grafana_tokens(&app).await;
    let access = tokens["access_token"].as_str().unwrap();

    let res = app
        .http
        .get(app.url("/oidc/userinfo"))
        .header("Authorization", format!("BEARER {access}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "BEARER at userinfo");

    let own = own_tokens(&app).await;
    let res = app
        .http
        .get(app.url("/api/v1/me"))
        .header(
            "Authorization",
            format!("bEaReR {}", own["access_token"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "bEaReR at /api/v1/me");

    let basic = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("grafana:{SECRET}"),
    );
    let res = app
        .http
        .post(app.url("/oidc/token"))
        .header("Authorization", format!("BASIC {basic}"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "BASIC at the token endpoint");
}

#[tokio::test]
async fn both_jwks_addresses_are_cached_alike() {
    let app = spawn_oidc_app().await;
    let cache = |res: reqwest::Response| {
        res.headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap().to_string())
    };

    let oidc = cache(app.http.get(app.url("/oidc/jwks")).send().await.unwrap());
    let api = cache(
        app.http
            .get(app.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap(),
    );

    assert_eq!(oidc.as_deref(), Some("public, max-age=300"));
    assert_eq!(api, oidc);
}
