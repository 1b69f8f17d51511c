//! Persons as admins: `[admin]` names them (account ids, phone numbers); they get
//! `saoma:admin` only through Saoma's own OpenID login with the built-in `saoma-console`
//! client, and only while they are admins; the management API asks again at every call.

use crate::accounts::admin::{admin_token, with_admin};
use crate::support::helpers::{TestApp, error_code, spawn_app_with, spawn_stoppable_with};
use crate::support::oidc_helpers::{
    SPA_CB, VERIFIER, browser, challenge, location, login_page, payload,
};
use serde_json::{Value, json};
use std::collections::HashMap;

pub const ADMIN_PHONE: &str = "+8613800138000";

/// `[admin] phones = [ADMIN_PHONE]`, nothing else: no `[[oidc.clients]]` at all.
pub fn with_admin_phone(config: &mut saoma::config::Config) {
    config.admin.phones = vec![ADMIN_PHONE.into()];
}

pub fn console_redirect(app: &TestApp) -> String {
    format!("{}/admin/", app.base)
}

/// A sandbox user with `phone` bound to their account (None: no phone): (user, account id).
pub async fn person(app: &TestApp, nickname: &str, phone: Option<&str>) -> (String, String) {
    let user = app.new_user(nickname).await;
    let (account, access) = app.mp_session(&user).await;
    if let Some(phone) = phone {
        let code = app.phone_code(&user, Some(phone)).await;
        assert_eq!(app.mp_phone(&access, &code, None).await.status(), 200);
    }
    (user, account)
}

/// `user` logs in through the hosted page for the authorization request `params`, in a fresh
/// browser (the phone confirms): where the browser is sent back, and its query.
async fn log_in_as(
    app: &TestApp,
    user: &str,
    params: &[(&str, &str)],
) -> (String, HashMap<String, String>) {
    let browser = browser();
    let (_, request) = login_page(app, &browser, params).await;
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
    assert_eq!(app.scan(scene).await.status(), 200);
    let code = app.wx_login(user).await;
    assert_eq!(app.mp_login(&code, Some(scene), true).await.status(), 200);
    let view = app.poll_json(scene, created["poll_token"].as_str()).await;
    let resume = view["redirect"].as_str().expect("a redirect").to_string();
    let res = browser.get(app.url(&resume)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    location(&res)
}

/// A public client's code exchange, with [`VERIFIER`].
async fn exchange_public(
    app: &TestApp,
    client_id: &str,
    redirect: &str,
    code: &str,
) -> reqwest::Response {
    app.http
        .post(app.url("/oidc/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("code", code),
            ("redirect_uri", redirect),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap()
}

/// `user` logs in to the console and the console exchanges the code: the token endpoint's
/// answer.
pub async fn console_login(app: &TestApp, user: &str) -> reqwest::Response {
    let redirect = console_redirect(app);
    let challenge = challenge(VERIFIER);
    let params = [
        ("client_id", "saoma-console"),
        ("redirect_uri", redirect.as_str()),
        ("response_type", "code"),
        ("scope", "openid saoma:admin"),
        ("state", "console-state"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let (to, query) = log_in_as(app, user, &params).await;
    assert!(to.starts_with(&redirect), "{to}");
    assert_eq!(query["state"], "console-state");
    exchange_public(app, "saoma-console", &redirect, &query["code"]).await
}

async fn get(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.http
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_listed_phone_gets_the_admin_scope_through_the_console_login() {
    let app = spawn_app_with(with_admin_phone).await;
    let (user, account) = person(&app, "管理员", Some("13800138000")).await;

    let res = console_login(&app, &user).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["scope"], "openid saoma:admin");
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert_eq!(payload(body["id_token"].as_str().unwrap())["sub"], account);
    let token = body["access_token"].as_str().unwrap();
    assert!(body["expires_in"].as_u64().unwrap() <= 900);

    let found = get(&app, "/admin/v1/accounts", token).await;
    assert_eq!(found.status(), 200);
    let page: Value = found.json().await.unwrap();
    assert_eq!(page["accounts"][0]["id"], account);
    // The console's login is a single sign-on session like any other, naming its client.
    let sessions: Value = get(
        &app,
        &format!("/admin/v1/accounts/{account}/sessions"),
        token,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        sessions["sso"][0]["client_ids"],
        json!(["saoma-console"]),
        "{sessions}"
    );
    assert_eq!(app.me(token).await.status(), 401, "not a user's token");

    let events: Value = get(&app, "/admin/v1/events?type=admin.called", token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        events["events"][0]["actor"],
        format!("admin:account:{account}")
    );
}

#[tokio::test]
async fn a_person_not_listed_gets_a_token_without_the_scope_that_opens_nothing() {
    let app = spawn_app_with(with_admin_phone).await;
    let (user, _) = person(&app, "路人", Some("13900139000")).await;

    let res = console_login(&app, &user).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["scope"], "openid");
    let token = body["access_token"].as_str().unwrap();
    let refused = get(&app, "/admin/v1/accounts", token).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(error_code(refused).await, "insufficient_scope");
}

#[tokio::test]
async fn the_console_client_is_public_and_comes_back_only_to_its_own_page() {
    let app = spawn_app_with(|c| {
        with_admin(c);
        with_admin_phone(c);
    })
    .await;
    let browser = browser();
    let challenge = challenge(VERIFIER);
    // The console is a public client: PKCE is required, and its one redirect URI is its own.
    let redirect = console_redirect(&app);
    let no_pkce = browser
        .get(app.url("/oidc/authorize"))
        .query(&[
            ("client_id", "saoma-console"),
            ("redirect_uri", redirect.as_str()),
            ("response_type", "code"),
            ("scope", "openid saoma:admin"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(no_pkce.status(), 303);
    assert_eq!(location(&no_pkce).1["error"], "invalid_request");
    let elsewhere = browser
        .get(app.url("/oidc/authorize"))
        .query(&[
            ("client_id", "saoma-console"),
            ("redirect_uri", "https://evil.example/admin/"),
            ("response_type", "code"),
            ("scope", "openid saoma:admin"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 400, "never redirected to another URI");
}

#[tokio::test]
async fn disabling_an_admin_ends_their_access_at_the_next_call() {
    let app = spawn_app_with(|c| {
        with_admin(c);
        with_admin_phone(c);
    })
    .await;
    let (user, account) = person(&app, "管理员", Some(ADMIN_PHONE)).await;
    let body: Value = console_login(&app, &user).await.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(get(&app, "/admin/v1/accounts", token).await.status(), 200);

    let ops = admin_token(&app).await;
    let disabled = app
        .http
        .post(app.url(&format!("/admin/v1/accounts/{account}/disable")))
        .bearer_auth(&ops)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), 200);
    let refused = get(&app, "/admin/v1/accounts", token).await;
    assert_eq!(refused.status(), 403, "the same token, now refused");
    assert_eq!(error_code(refused).await, "insufficient_scope");

    let deleted_after_enable = app
        .http
        .post(app.url(&format!("/admin/v1/accounts/{account}/enable")))
        .bearer_auth(&ops)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted_after_enable.status(), 204);
    assert_eq!(get(&app, "/admin/v1/accounts", token).await.status(), 200);
    let deleted = app
        .http
        .delete(app.url(&format!("/admin/v1/accounts/{account}")))
        .bearer_auth(&ops)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(get(&app, "/admin/v1/accounts", token).await.status(), 403);
}

#[tokio::test]
async fn an_account_id_in_the_config_is_an_admin_and_off_the_list_is_not() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_path_buf();
    // First start: no admin yet (and so no admin plane); a person logs in.
    let (first, stop) = spawn_stoppable_with(|c| c.data_dir = dir.clone()).await;
    assert_eq!(
        first
            .http
            .get(first.url("/admin/v1/accounts"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let user = first.new_user("运维").await;
    let (account, _) = first.mp_session(&user).await;
    stop.send(()).unwrap();

    // Every start has its own port: one issuer for all, so the token is ours to each.
    const ISSUER: &str = "https://saoma.test";
    // Restarted with that account id in `[admin] accounts`.
    let (app, stop) = spawn_stoppable_with(|c| {
        c.data_dir = dir.clone();
        c.tokens.issuer = Some(ISSUER.into());
        c.admin.accounts = vec![account.clone()];
    })
    .await;
    let body: Value = console_login(&app, &user).await.json().await.unwrap();
    assert_eq!(body["scope"], "openid saoma:admin");
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(get(&app, "/admin/v1/accounts", token).await.status(), 200);
    stop.send(()).unwrap();

    // Restarted with another admin: the same (unexpired) token opens nothing any more.
    let other = spawn_app_with(|c| {
        c.data_dir = dir.clone();
        c.tokens.issuer = Some(ISSUER.into());
        c.admin.accounts = vec![uuid::Uuid::new_v4().to_string()];
    })
    .await;
    let refused = get(&other, "/admin/v1/accounts", token).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(error_code(refused).await, "insufficient_scope");
}

#[tokio::test]
async fn the_console_page_is_served_with_its_redirect_uri_and_a_strict_policy() {
    let app = spawn_app_with(with_admin_phone).await;
    let res = app.http.get(app.url("/admin/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self';") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(res.headers()["referrer-policy"], "no-referrer");
    let html = res.text().await.unwrap();
    assert!(
        html.contains(&format!("data-redirect-uri=\"{}\"", console_redirect(&app))),
        "{html}"
    );
    assert!(!html.contains("<script>"), "no inline script");
    for asset in ["/admin/console.js", "/admin/console.css"] {
        let res = app.http.get(app.url(asset)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{asset}");
    }
    let bare = crate::support::oidc_helpers::browser()
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.headers()["location"], "/admin/");

    let off = crate::support::helpers::spawn_app().await;
    let res = off.http.get(off.url("/admin/")).send().await.unwrap();
    assert_eq!(res.status(), 404, "no admin plane, no console");
}

/// Start the binary with `env`: its start log, once it answers.
async fn start_log(env: &[(&str, &str)]) -> String {
    use crate::contract::cli::{Running, free_port, serve, wait_for};
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let log_path = data.path().join("stderr.log");
    let _serve = Running(
        serve(port, data.path())
            .envs(env.iter().copied())
            .env_remove("RUST_LOG")
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log_path).unwrap())
            .spawn()
            .unwrap(),
    );
    wait_for(&format!("http://127.0.0.1:{port}/healthz")).await;
    std::fs::read_to_string(&log_path).unwrap()
}

#[tokio::test]
async fn the_start_log_says_whether_the_admin_plane_is_on() {
    let off = start_log(&[]).await;
    assert!(
        off.contains("admin API off (/admin/* answers 404)"),
        "{off}"
    );
    let on = start_log(&[("SAOMA_ADMIN__PHONES", "[\"+8613800138000\"]")]).await;
    assert!(on.contains("console at /admin/"), "{on}");
    assert!(!on.contains("admin API off"), "{on}");
}

#[tokio::test]
async fn another_client_asking_for_the_admin_scope_is_not_granted_it() {
    let app = spawn_app_with(|c| {
        crate::support::oidc_helpers::configure(c);
        with_admin_phone(c);
    })
    .await;
    let (user, _) = person(&app, "管理员", Some(ADMIN_PHONE)).await;
    let challenge = challenge(VERIFIER);
    let params = [
        ("client_id", "spa"),
        ("redirect_uri", SPA_CB),
        ("response_type", "code"),
        ("scope", "openid saoma:admin"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let (_, query) = log_in_as(&app, &user, &params).await;
    let body: Value = exchange_public(&app, "spa", SPA_CB, &query["code"])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["scope"], "openid",
        "an admin, but not through the console"
    );
    let token = body["access_token"].as_str().unwrap();
    let refused = get(&app, "/admin/v1/accounts", token).await;
    assert_eq!(refused.status(), 403);
}

/// Review finding: a machine's admin token outlived its client. Removed from
/// `[[oidc.clients]]` (or its `client_credentials` taken away) and restarted, the client's
/// unexpired token still opened the management API for up to five minutes; people were asked
/// again at every call, machines were not.
#[tokio::test]
async fn a_removed_admin_clients_token_opens_nothing_after_the_restart() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_path_buf();
    const ISSUER: &str = "https://saoma.test";
    let (app, stop) = spawn_stoppable_with(|c| {
        c.data_dir = dir.clone();
        c.tokens.issuer = Some(ISSUER.into());
        with_admin(c);
    })
    .await;
    let token = admin_token(&app).await;
    assert_eq!(get(&app, "/admin/v1/accounts", &token).await.status(), 200);
    stop.send(()).unwrap();

    // Restarted with a person as the only admin: the plane is on, the machine is gone.
    let other = spawn_app_with(|c| {
        c.data_dir = dir.clone();
        c.tokens.issuer = Some(ISSUER.into());
        c.admin.accounts = vec![uuid::Uuid::new_v4().to_string()];
    })
    .await;
    let refused = get(&other, "/admin/v1/accounts", &token).await;
    assert_eq!(refused.status(), 401);
    assert_eq!(error_code(refused).await, "unauthenticated");
}
