//! The OpenID Provider's SSO sessions as an admin and a browser notice them: listed with the
//! clients that got tokens under them, named by the id_tokens' `sid`, and ended by an admin,
//! by disabling or deleting the account, and by logout (the browser's next authorization
//! request asks for a scan again).

use crate::accounts::admin::{admin_token, with_admin};
use crate::support::helpers::{TestApp, spawn_app_with};
use crate::support::oidc_helpers::{
    GRAFANA_HOME, SPA_CB, VERIFIER, authorize, browser, challenge, exchange, grafana_params,
    location, log_in, payload, token,
};
use serde_json::{Value, json};

async fn admin(app: &TestApp, method: reqwest::Method, path: &str, bearer: &str) -> Value {
    let mut req = app
        .http
        .request(method.clone(), app.url(path))
        .bearer_auth(bearer);
    if method == reqwest::Method::POST {
        req = req.json(&json!({}));
    }
    let res = req.send().await.unwrap();
    assert!(
        res.status().is_success(),
        "{method} {path}: {}",
        res.status()
    );
    if res.status() == 204 {
        return Value::Null;
    }
    res.json().await.unwrap()
}

/// A browser logged in to `grafana` (a scan), then to `spa` without one: the id_token's claims
/// of each.
async fn logged_in_to_two_clients(app: &TestApp, browser: &reqwest::Client) -> (Value, Value) {
    let callback = log_in(app, browser, &grafana_params(&[])).await;
    let tokens: Value = exchange(app, &callback["code"]).await.json().await.unwrap();
    let grafana = payload(tokens["id_token"].as_str().unwrap());
    let challenge = challenge(VERIFIER);
    let spa = [
        ("client_id", "spa"),
        ("redirect_uri", SPA_CB),
        ("response_type", "code"),
        ("scope", "openid"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let (to, query) = location(&authorize(app, browser, &spa).await);
    assert!(to.starts_with(SPA_CB), "single sign-on: {to}");
    let res = token(
        app,
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &query["code"]),
            ("redirect_uri", SPA_CB),
            ("client_id", "spa"),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    let tokens: Value = res.json().await.unwrap();
    (grafana, payload(tokens["id_token"].as_str().unwrap()))
}

/// Whether the browser's next authorization request asks for a scan (the hosted login page)
/// rather than answering with a code at once.
async fn asks_for_a_scan(app: &TestApp, browser: &reqwest::Client) -> bool {
    let res = authorize(app, browser, &grafana_params(&[])).await;
    match res.status().as_u16() {
        200 => res.text().await.unwrap().contains("id=\"oidc-login\""),
        303 | 302 => false,
        other => panic!("authorize answered {other}"),
    }
}

/// The account's `session.revoked` events of kind `sso`: (sid, client ids, cause, actor).
async fn sso_revocations(app: &TestApp, bearer: &str, account: &str) -> Vec<Value> {
    let path = format!("/admin/v1/events?account={account}&type=session.revoked");
    let page = admin(app, reqwest::Method::GET, &path, bearer).await;
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["data"]["kind"] == "sso")
        .cloned()
        .collect()
}

#[tokio::test]
async fn id_tokens_of_one_browser_session_carry_its_sid_and_the_admin_sees_it_with_its_clients() {
    let app = spawn_app_with(with_admin).await;
    let bearer = admin_token(&app).await;
    let browser = browser();

    let (grafana, spa) = logged_in_to_two_clients(&app, &browser).await;
    let sid = grafana["sid"].as_str().expect("a sid claim");
    assert_eq!(spa["sid"], sid, "one session, one sid");
    let account = grafana["sub"].as_str().unwrap();

    let detail = admin(
        &app,
        reqwest::Method::GET,
        &format!("/admin/v1/accounts/{account}"),
        &bearer,
    )
    .await;
    assert_eq!(detail["id"], account);
    let sso = detail["sessions"]["sso"].as_array().unwrap();
    assert_eq!(sso.len(), 1, "{detail}");
    assert_eq!(sso[0]["sid"], sid);
    assert_eq!(sso[0]["client_ids"], json!(["grafana", "spa"]));
    assert!(sso[0]["created_at"].is_string() && sso[0]["last_used_at"].is_string());
    assert!(
        sso[0]["last_used_at"].as_str() >= sso[0]["created_at"].as_str(),
        "{sso:?}"
    );
    let listed = admin(
        &app,
        reqwest::Method::GET,
        &format!("/admin/v1/accounts/{account}/sessions"),
        &bearer,
    )
    .await;
    assert_eq!(listed["sso"], detail["sessions"]["sso"]);
    // The phone's own mini-program session, and one per client.
    assert_eq!(listed["refresh"].as_array().unwrap().len(), 3, "{listed}");
}

#[tokio::test]
async fn an_admin_ending_the_sessions_makes_the_browser_scan_again() {
    let app = spawn_app_with(with_admin).await;
    let bearer = admin_token(&app).await;
    let browser = browser();
    let (grafana, _) = logged_in_to_two_clients(&app, &browser).await;
    let account = grafana["sub"].as_str().unwrap();
    assert!(!asks_for_a_scan(&app, &browser).await, "signed in");

    let path = format!("/admin/v1/accounts/{account}/sessions");
    let ended = admin(&app, reqwest::Method::DELETE, &path, &bearer).await;
    assert_eq!(ended["sso_sessions_ended"], 1);
    assert_eq!(
        ended["refresh_sessions_revoked"], 3,
        "the phone's, grafana's, spa's"
    );

    assert!(asks_for_a_scan(&app, &browser).await, "the session is over");
    let listed = admin(&app, reqwest::Method::GET, &path, &bearer).await;
    assert_eq!(listed, json!({"refresh": [], "sso": []}));
    let revoked = sso_revocations(&app, &bearer, account).await;
    assert_eq!(revoked.len(), 1, "one event per session: {revoked:?}");
    assert_eq!(revoked[0]["data"]["session_id"], grafana["sid"]);
    assert_eq!(revoked[0]["data"]["client_ids"], json!(["grafana", "spa"]));
    assert_eq!(revoked[0]["data"]["cause"], "admin");
    assert_eq!(revoked[0]["actor"], "admin:client:ops");
}

#[tokio::test]
async fn disabling_the_account_ends_its_browser_session() {
    let app = spawn_app_with(with_admin).await;
    let bearer = admin_token(&app).await;
    let browser = browser();
    let (grafana, _) = logged_in_to_two_clients(&app, &browser).await;
    let account = grafana["sub"].as_str().unwrap();

    let path = format!("/admin/v1/accounts/{account}/disable");
    let ended = admin(&app, reqwest::Method::POST, &path, &bearer).await;
    assert_eq!(ended["sso_sessions_ended"], 1);

    assert!(asks_for_a_scan(&app, &browser).await);
    let revoked = sso_revocations(&app, &bearer, account).await;
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["data"]["cause"], "disabled");
}

#[tokio::test]
async fn deleting_the_account_ends_its_browser_session() {
    let app = spawn_app_with(with_admin).await;
    let bearer = admin_token(&app).await;
    let browser = browser();
    let (grafana, _) = logged_in_to_two_clients(&app, &browser).await;
    let account = grafana["sub"].as_str().unwrap();

    let path = format!("/admin/v1/accounts/{account}");
    admin(&app, reqwest::Method::DELETE, &path, &bearer).await;

    assert!(asks_for_a_scan(&app, &browser).await);
    let revoked = sso_revocations(&app, &bearer, account).await;
    assert_eq!(revoked.len(), 1, "recorded without personal data");
    assert_eq!(revoked[0]["data"]["cause"], "deleted");
}

#[tokio::test]
async fn logout_ends_the_sessions_row_and_records_it() {
    let app = spawn_app_with(with_admin).await;
    let bearer = admin_token(&app).await;
    let browser = browser();
    let callback = log_in(&app, &browser, &grafana_params(&[])).await;
    let tokens: Value = exchange(&app, &callback["code"])
        .await
        .json()
        .await
        .unwrap();
    let hint = tokens["id_token"].as_str().unwrap();
    let claims = payload(hint);
    let account = claims["sub"].as_str().unwrap();

    let res = browser
        .get(app.url("/oidc/logout"))
        .query(&[
            ("id_token_hint", hint),
            ("post_logout_redirect_uri", GRAFANA_HOME),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);

    let path = format!("/admin/v1/accounts/{account}/sessions");
    let listed = admin(&app, reqwest::Method::GET, &path, &bearer).await;
    assert_eq!(listed["sso"], json!([]));
    let revoked = sso_revocations(&app, &bearer, account).await;
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["data"]["session_id"], claims["sid"]);
    assert_eq!(revoked[0]["data"]["cause"], "logout");
    assert_eq!(revoked[0]["actor"], format!("account:{account}"));
}
