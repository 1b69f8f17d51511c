//! Issue 27, the browser findings of the outside attack: each test sends the reproduction.
//! M1 (login CSRF at `/oidc/resume`), L1 (a ticket spent before the browser check), M4
//! (unbounded `state`/`nonce`, unthrottled authorization requests), L2/L3 (logout without
//! asking, POST logout), L4 (POST authorize ignoring `request`), L5/L6 (`prompt` and
//! `id_token_hint` against a live session).

use crate::support::helpers::{TestApp, spawn_app_with};
use crate::support::oidc_helpers::*;
use serde_json::{Value, json};
use std::collections::HashMap;

/// `browser` starts the hosted page's scene for `request`, as the page's script does.
async fn start_scene(app: &TestApp, browser: &reqwest::Client, request: &str) -> (String, String) {
    let res = browser
        .post(app.url("/oidc/login/scene"))
        .json(&json!({ "request": request }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    (
        created["scene"].as_str().unwrap().to_string(),
        created["poll_token"].as_str().unwrap().to_string(),
    )
}

/// A login confirmed on the phone in `browser`, up to (not including) `/oidc/resume`: its
/// resume link.
async fn confirmed_resume_link(app: &TestApp, browser: &reqwest::Client) -> (String, String) {
    let (_, request) = login_page(app, browser, &grafana_params(&[])).await;
    let (scene, poll_token) = start_scene(app, browser, &request).await;
    app.phone_answers(&scene, true).await;
    let view = app.poll_json(&scene, Some(&poll_token)).await;
    let resume = view["redirect"]
        .as_str()
        .expect("a resume link")
        .to_string();
    (request, resume)
}

fn sets_session(res: &reqwest::Response) -> bool {
    res.headers().get_all("set-cookie").iter().any(|v| {
        v.to_str().unwrap().starts_with("saoma_sso=") && !v.to_str().unwrap().contains("Max-Age=0")
    })
}

#[tokio::test]
async fn a_confirmed_login_cannot_be_planted_in_a_browser_that_loaded_its_request() {
    let app = spawn_oidc_app().await;
    let attacker = browser();
    let (request, resume) = confirmed_resume_link(&app, &attacker).await;
    let victim = browser();
    let res = victim
        .get(app.url("/oidc/login"))
        .query(&[("request", request.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "anyone may load the page of a request");
    start_scene(&app, &victim, &request).await;

    let res = victim.get(app.url(&resume)).send().await.unwrap();

    assert_eq!(
        res.status(),
        400,
        "the attacker's login is not the victim's"
    );
    assert!(!sets_session(&res), "no session for the attacker's account");
    assert!(res.text().await.unwrap().contains("login_elsewhere"));
}

#[tokio::test]
async fn a_resume_link_opened_elsewhere_does_not_spend_the_real_login() {
    let app = spawn_oidc_app().await;
    let real = browser();
    let (_, resume) = confirmed_resume_link(&app, &real).await;

    let elsewhere = browser().get(app.url(&resume)).send().await.unwrap();
    assert_eq!(elsewhere.status(), 400);
    let res = real.get(app.url(&resume)).send().await.unwrap();

    assert_eq!(res.status(), 303, "the real browser still logs in");
    let (to, query) = location(&res);
    assert!(to.starts_with(GRAFANA_CB), "{to}");
    assert!(query.contains_key("code"));
}

#[tokio::test]
async fn an_oversized_state_or_nonce_is_invalid_request() {
    let app = spawn_oidc_app().await;
    let big = "s".repeat(15_000);

    let res = authorize(
        &app,
        &browser(),
        &grafana_params(&[])
            .into_iter()
            .map(|(k, v)| {
                if k == "state" {
                    (k, big.as_str())
                } else {
                    (k, v)
                }
            })
            .collect::<Vec<_>>(),
    )
    .await;
    assert_eq!(res.status(), 303);
    let (to, query) = location(&res);
    assert_eq!(query["error"], "invalid_request");
    assert!(
        to.len() < 1_000,
        "the state is not echoed back: {} bytes",
        to.len()
    );

    let long_nonce = "n".repeat(513);
    let params: Vec<(&str, &str)> = grafana_params(&[])
        .into_iter()
        .map(|(k, v)| {
            if k == "nonce" {
                (k, long_nonce.as_str())
            } else {
                (k, v)
            }
        })
        .collect();
    let (_, query) = location(&authorize(&app, &browser(), &params).await);
    assert_eq!(query["error"], "invalid_request");
    assert_eq!(query["state"], "st4te");
}

#[tokio::test]
async fn authorization_requests_from_one_address_are_throttled_like_scenes() {
    let app = spawn_app_with(|config| {
        configure(config);
        config.limits.scenes_per_ip_per_minute = 3;
    })
    .await;
    for _ in 0..3 {
        login_page(&app, &browser(), &grafana_params(&[])).await;
    }

    let res = authorize(&app, &browser(), &grafana_params(&[])).await;

    assert_eq!(res.status(), 303, "nothing more is stored for this address");
    let (_, query) = location(&res);
    assert_eq!(query["error"], "temporarily_unavailable");
    assert_eq!(query["state"], "st4te");
}

#[tokio::test]
async fn codes_answered_from_a_session_are_throttled_too() {
    let app = spawn_app_with(|config| {
        configure(config);
        config.limits.scenes_per_ip_per_minute = 3;
    })
    .await;
    let browser = browser();
    log_in(&app, &browser, &grafana_params(&[])).await;
    let big = "s".repeat(512);
    let params: Vec<(&str, &str)> = grafana_params(&[])
        .into_iter()
        .map(|(k, v)| {
            if k == "state" {
                (k, big.as_str())
            } else {
                (k, v)
            }
        })
        .collect();
    for _ in 0..2 {
        let (_, query) = location(&authorize(&app, &browser, &params).await);
        assert!(query.contains_key("code"), "single sign-on: {query:?}");
    }

    let (_, query) = location(&authorize(&app, &browser, &params).await);

    assert_eq!(query["error"], "temporarily_unavailable", "no code stored");
}

/// The hidden fields of the logout confirmation page's form, and the form's action.
fn confirm_form(html: &str) -> (String, Vec<(String, String)>) {
    let form = html
        .split("<form id=\"logout-confirm\"")
        .nth(1)
        .unwrap_or_else(|| panic!("a confirmation form: {html}"));
    let action = form
        .split("action=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let fields = form
        .split("<input type=\"hidden\" ")
        .skip(1)
        .map(|input| {
            let attr = |name: &str| {
                input
                    .split(&format!("{name}=\""))
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .unwrap()
                    .replace("&amp;", "&")
                    .replace("&quot;", "\"")
            };
            (attr("name"), attr("value"))
        })
        .collect();
    (action, fields)
}

async fn signed_in(app: &TestApp, browser: &reqwest::Client) -> bool {
    let (to, _) = location(&authorize(app, browser, &grafana_params(&[("prompt", "none")])).await);
    to.contains("code=")
}

#[tokio::test]
async fn a_logout_without_id_token_hint_asks_the_user_first() {
    let app = spawn_oidc_app().await;
    let browser = browser();
    log_in(&app, &browser, &grafana_params(&[])).await;

    let res = browser
        .get(app.url("/oidc/logout"))
        .query(&[
            ("client_id", "grafana"),
            ("post_logout_redirect_uri", GRAFANA_HOME),
            ("state", "bye"),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), 200, "RP-Initiated Logout 1.0 section 2: ask");
    let html = res.text().await.unwrap();
    assert!(
        signed_in(&app, &browser).await,
        "nothing ended before the user answers"
    );
    let (action, fields) = confirm_form(&html);
    let cross_site = browser
        .post(app.url(&action))
        .header("Origin", "https://evil.example")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403, "a confirmation from another site");
    let hidden = browser
        .post(app.url(&action))
        .header("Origin", "null")
        .header("Sec-Fetch-Site", "cross-site")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), 403, "an origin hidden by another site");
    assert!(signed_in(&app, &browser).await);
    // What Chromium sends from the page itself: its Referrer-Policy (no-referrer) makes the
    // Origin of a form post `null`; Sec-Fetch-Site says where it comes from.
    let res = browser
        .post(app.url(&action))
        .header("Origin", "null")
        .header("Sec-Fetch-Site", "same-origin")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res).0, format!("{GRAFANA_HOME}?state=bye"));
    assert!(
        !signed_in(&app, &browser).await,
        "logged out once confirmed"
    );
}

#[tokio::test]
async fn a_logout_with_another_users_id_token_asks_the_user_first() {
    let app = spawn_oidc_app().await;
    let other = browser();
    let others = logged_in_tokens(&app, &other).await;
    let browser = browser();
    log_in(&app, &browser, &grafana_params(&[])).await;

    let res = browser
        .get(app.url("/oidc/logout"))
        .query(&[
            ("id_token_hint", others["id_token"].as_str().unwrap()),
            ("post_logout_redirect_uri", GRAFANA_HOME),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("logout-confirm"));
    assert!(
        signed_in(&app, &browser).await,
        "the session is not the hint's"
    );
}

#[tokio::test]
async fn logout_by_post_works_like_get() {
    let app = spawn_oidc_app().await;
    let browser = browser();
    let tokens = logged_in_tokens(&app, &browser).await;

    let res = browser
        .post(app.url("/oidc/logout"))
        .form(&[
            ("id_token_hint", tokens["id_token"].as_str().unwrap()),
            ("post_logout_redirect_uri", GRAFANA_HOME),
            ("state", "bye"),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(
        res.status(),
        303,
        "RP-Initiated Logout 1.0 section 2: GET and POST"
    );
    assert_eq!(location(&res).0, format!("{GRAFANA_HOME}?state=bye"));
    assert!(!signed_in(&app, &browser).await);

    let unreadable = browser
        .post(app.url("/oidc/logout"))
        .body("id_token_hint=x")
        .send()
        .await
        .unwrap();
    assert_eq!(
        unreadable.status(),
        400,
        "no form: the documented error page"
    );
    assert!(unreadable.text().await.unwrap().contains("invalid_request"));
}

#[tokio::test]
async fn post_authorize_refuses_request_objects_as_get_does() {
    let app = spawn_oidc_app().await;
    for (name, error) in [
        ("request", "request_not_supported"),
        ("request_uri", "request_uri_not_supported"),
    ] {
        let res = browser()
            .post(app.url("/oidc/authorize"))
            .form(&grafana_params(&[(name, "eyJhbGciOiJub25lIn0.e30.")]))
            .send()
            .await
            .unwrap();

        assert_eq!(res.status(), 303, "{name}");
        let (_, query) = location(&res);
        assert_eq!(query["error"], error);
    }
}

#[tokio::test]
async fn prompt_consent_and_select_account_ask_for_a_scan_despite_a_session() {
    let app = spawn_oidc_app().await;
    let browser = browser();
    log_in(&app, &browser, &grafana_params(&[])).await;
    for prompt in ["consent", "select_account", "login consent"] {
        let res = authorize(&app, &browser, &grafana_params(&[("prompt", prompt)])).await;

        assert_eq!(res.status(), 200, "prompt={prompt}: the login page");
        assert!(res.text().await.unwrap().contains("id=\"oidc-login\""));
    }
    let metadata = app.get_json("/.well-known/openid-configuration").await;
    assert_eq!(
        metadata["prompt_values_supported"],
        json!(["none", "login", "consent", "select_account"])
    );
}

#[tokio::test]
async fn prompt_none_for_another_user_than_the_session_is_login_required() {
    let app = spawn_oidc_app().await;
    let x = browser();
    let xs = logged_in_tokens(&app, &x).await;
    let hint = xs["id_token"].as_str().unwrap();
    let y = browser();
    log_in(&app, &y, &grafana_params(&[])).await;

    let res = authorize(
        &app,
        &y,
        &grafana_params(&[("prompt", "none"), ("id_token_hint", hint)]),
    )
    .await;
    let (_, query) = location(&res);
    assert_eq!(query["error"], "login_required", "{query:?}");

    let res = authorize(&app, &y, &grafana_params(&[("id_token_hint", hint)])).await;
    assert_eq!(res.status(), 200, "without prompt=none: the login page");
    let res = authorize(
        &app,
        &x,
        &grafana_params(&[("prompt", "none"), ("id_token_hint", hint)]),
    )
    .await;
    let (_, query): (String, HashMap<String, String>) = location(&res);
    assert!(
        query.contains_key("code"),
        "the hint's own session: {query:?}"
    );
}
