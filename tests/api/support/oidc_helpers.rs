//! An OpenID relying party's and a browser's view of Saoma: clients in the config, a browser
//! that keeps cookies and does not follow redirects, and the steps of a login.

use crate::support::helpers::{TestApp, spawn_app_with};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use saoma::config::{Config, OidcClientConfig};
use saoma::secret::Secret;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::Duration;

pub const SECRET: &str = "grafana-secret";
pub const GRAFANA_CB: &str = "https://grafana.example.com/login/generic_oauth";
pub const GRAFANA_HOME: &str = "https://grafana.example.com/";
pub const SPA_CB: &str = "http://localhost:3000/callback";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mJ0kyZ3RR2ihtVSHOSDmS9kN2XxCjc5Yvqt8Gz";

pub fn client(id: &str, secret: Option<&str>, redirect: &str, name: &str) -> OidcClientConfig {
    OidcClientConfig {
        client_id: id.into(),
        client_secret: secret.map(Secret::new),
        client_secret_file: None,
        redirect_uris: vec![redirect.into()],
        post_logout_redirect_uris: vec![GRAFANA_HOME.into()],
        name: name.into(),
        id_token_signed_response_alg: None,
        grant_types: Vec::new(),
        scopes: Vec::new(),
        backchannel_logout_uri: None,
        backchannel_logout_session_required: false,
    }
}

/// Three clients: `grafana` (confidential), `spa` (public: PKCE), `edapp` (EdDSA id_tokens).
pub fn configure(config: &mut Config) {
    let mut ed = client("edapp", Some(SECRET), GRAFANA_CB, "Ed App");
    ed.id_token_signed_response_alg = Some("EdDSA".into());
    config.oidc.clients = vec![
        client("grafana", Some(SECRET), GRAFANA_CB, "Grafana"),
        client("spa", None, SPA_CB, "Single Page App"),
        ed,
    ];
}

pub async fn spawn_oidc_app() -> TestApp {
    spawn_app_with(configure).await
}

pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A browser: keeps cookies, shows redirects instead of following them.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .user_agent("Mozilla/5.0 (Windows NT 10.0) Chrome/130.0 OidcTest")
        .build()
        .unwrap()
}

/// Where a redirect points, and its query.
pub fn location(res: &reqwest::Response) -> (String, HashMap<String, String>) {
    let to = res
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location in a {}", res.status()))
        .to_str()
        .unwrap()
        .to_string();
    let query = url::Url::parse(&to)
        .or_else(|_| url::Url::parse("http://saoma.invalid").and_then(|b| b.join(&to)))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    (to, query)
}

/// The standard authorization request of the `grafana` client, with `extra` parameters.
pub fn grafana_params<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        ("client_id", "grafana"),
        ("redirect_uri", GRAFANA_CB),
        ("response_type", "code"),
        ("scope", "openid profile phone wechat"),
        ("state", "st4te"),
        ("nonce", "n0nce"),
    ];
    params.extend_from_slice(extra);
    params
}

pub async fn authorize(
    app: &TestApp,
    browser: &reqwest::Client,
    params: &[(&str, &str)],
) -> reqwest::Response {
    browser
        .get(app.url("/oidc/authorize"))
        .query(params)
        .send()
        .await
        .unwrap()
}

/// Authorize in `browser` when a scan is needed: the hosted login page, answered by
/// `/oidc/authorize` itself (no redirect), and the id of the stored request it is for.
pub async fn login_page(
    app: &TestApp,
    browser: &reqwest::Client,
    params: &[(&str, &str)],
) -> (String, String) {
    let res = authorize(app, browser, params).await;
    assert_eq!(res.status(), 200, "the login page");
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert!(res.headers().contains_key("content-security-policy"));
    let html = res.text().await.unwrap();
    let request = html
        .split("data-request=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no data-request: {html}"))
        .to_string();
    (html, request)
}

/// The whole login in a fresh browser: authorize, the hosted page's scene, the phone confirms,
/// the page picks up its redirect, resume. Returns the client's callback query.
pub async fn log_in(
    app: &TestApp,
    browser: &reqwest::Client,
    params: &[(&str, &str)],
) -> HashMap<String, String> {
    let user = app.new_user("测试用户").await;
    log_in_as(app, browser, params, &user).await
}

/// [`log_in`] with the sandbox user `user` scanning.
pub async fn log_in_as(
    app: &TestApp,
    browser: &reqwest::Client,
    params: &[(&str, &str)],
    user: &str,
) -> HashMap<String, String> {
    let (_, request) = login_page(app, browser, params).await;
    let created: Value = browser
        .post(app.url("/oidc/login/scene"))
        .json(&json!({ "request": request }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let scene = created["scene"].as_str().unwrap();
    let poll_token = created["poll_token"].as_str().unwrap();
    assert_eq!(app.scan(scene).await.status(), 200);
    let code = app.wx_login(user).await;
    assert_eq!(app.mp_login(&code, Some(scene), true).await.status(), 200);
    let view = app.poll_json(scene, Some(poll_token)).await;
    assert!(
        view.get("tokens").is_none(),
        "no tokens reach the browser: {view}"
    );
    let resume = view["redirect"].as_str().expect("a redirect").to_string();
    let res = browser.get(app.url(&resume)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    location(&res).1
}

/// `grafana`'s tokens (`id_token` and all) after a whole login in `browser`.
pub async fn logged_in_tokens(app: &TestApp, browser: &reqwest::Client) -> Value {
    let callback = log_in(app, browser, &grafana_params(&[])).await;
    exchange(app, &callback["code"]).await.json().await.unwrap()
}

/// `POST /oidc/token` with Basic authentication of `grafana` (unless `form` has client_id).
pub async fn token(
    app: &TestApp,
    client: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = app.http.post(app.url("/oidc/token")).form(form);
    if let Some((id, secret)) = client {
        req = req.basic_auth(id, Some(secret));
    }
    req.send().await.unwrap()
}

pub async fn exchange(app: &TestApp, code: &str) -> reqwest::Response {
    token(
        app,
        Some(("grafana", SECRET)),
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", GRAFANA_CB),
        ],
    )
    .await
}

/// The JSON payload of a JWT (not verified: the tests that need it verify separately).
pub fn payload(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

pub fn header(jwt: &str) -> Value {
    let part = jwt.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

pub async fn oauth_error(res: reqwest::Response) -> String {
    assert_eq!(
        res.headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
    let body: Value = res.json().await.unwrap();
    body["error"].as_str().unwrap_or_default().to_string()
}
