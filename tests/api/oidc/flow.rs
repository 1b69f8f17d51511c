//! The OpenID Provider end to end in Rust: discovery, a login on the hosted page, the code
//! exchange, the id_token, userinfo, refresh, single sign-on and logout.

use crate::support::oidc_helpers::*;
use serde_json::Value;

#[tokio::test]
async fn discovery_lists_every_endpoint_at_the_issuer() {
    let app = spawn_oidc_app().await;
    let doc: Value = app.get_json("/.well-known/openid-configuration").await;
    assert_eq!(doc["issuer"], app.base.as_str());
    for endpoint in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "revocation_endpoint",
        "end_session_endpoint",
    ] {
        assert!(
            doc[endpoint].as_str().unwrap().starts_with(&app.base),
            "{endpoint}"
        );
    }
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256", "EdDSA"])
    );
    let jwks: Value = app.get_json("/oidc/jwks").await;
    let kinds: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["alg"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["RS256", "EdDSA"]);
    assert!(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["kid"].is_string())
    );
}

#[tokio::test]
async fn a_scan_gives_the_client_a_code_then_tokens_an_id_token_and_userinfo() {
    let app = spawn_oidc_app().await;
    let browser = browser();
    let callback = log_in(&app, &browser, &grafana_params(&[])).await;
    assert_eq!(callback["state"], "st4te");
    assert_eq!(callback["iss"], app.base);
    let res = exchange(&app, &callback["code"]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let tokens: Value = res.json().await.unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    assert_eq!(header(id_token)["alg"], "RS256");
    let claims = payload(id_token);
    assert_eq!(claims["iss"], app.base);
    assert_eq!(claims["aud"], "grafana");
    assert_eq!(claims["nonce"], "n0nce");
    assert_eq!(claims["amr"], serde_json::json!(["wechat"]));
    for claim in ["sub", "exp", "iat", "auth_time", "at_hash"] {
        assert!(!claims[claim].is_null(), "{claim} in {claims}");
    }
    assert!(
        claims["wechat_identities"][0]["openid"].is_string(),
        "{claims}"
    );

    let info: Value = app
        .http
        .get(app.url("/oidc/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["sub"], claims["sub"]);
    assert_eq!(info["wechat_identities"], claims["wechat_identities"]);

    let res = token(
        &app,
        Some(("grafana", SECRET)),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let refreshed: Value = res.json().await.unwrap();
    assert_ne!(refreshed["refresh_token"], tokens["refresh_token"]);
}

#[tokio::test]
async fn the_phone_is_told_which_app_the_login_is_for() {
    let app = spawn_oidc_app().await;
    let browser = browser();
    let (page, request) = login_page(&app, &browser, &grafana_params(&[])).await;
    assert!(page.contains("登录到 Grafana"), "{page}");
    let created: Value = browser
        .post(app.url("/oidc/login/scene"))
        .json(&serde_json::json!({ "request": request }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let scanned: Value = app
        .scan(created["scene"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(scanned["requester"]["client_name"], "Grafana");
}

#[tokio::test]
async fn a_second_app_logs_in_without_a_scan_until_prompt_login_or_logout() {
    let app = spawn_oidc_app().await;
    let browser = browser();
    let first = log_in(&app, &browser, &grafana_params(&[])).await;
    let tokens: Value = exchange(&app, &first["code"]).await.json().await.unwrap();
    let challenge = challenge(VERIFIER);
    let spa = [
        ("client_id", "spa"),
        ("redirect_uri", SPA_CB),
        ("response_type", "code"),
        ("scope", "openid"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let res = authorize(&app, &browser, &spa).await;
    let (to, query) = location(&res);
    assert!(
        to.starts_with(SPA_CB),
        "single sign-on: straight back to the app, {to}"
    );
    let res = token(
        &app,
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
    assert_eq!(res.status(), 200);

    let mut again = spa.to_vec();
    again.push(("prompt", "login"));
    let res = authorize(&app, &browser, &again).await;
    assert_eq!(res.status(), 200, "prompt=login asks for a scan");
    assert!(res.text().await.unwrap().contains("id=\"oidc-login\""));

    let hint = tokens["id_token"].as_str().unwrap();
    let res = browser
        .get(app.url("/oidc/logout"))
        .query(&[
            ("id_token_hint", hint),
            ("post_logout_redirect_uri", GRAFANA_HOME),
            ("state", "bye"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res).0, format!("{GRAFANA_HOME}?state=bye"));
    let mut silent = spa.to_vec();
    silent.push(("prompt", "none"));
    let (_, query) = location(&authorize(&app, &browser, &silent).await);
    assert_eq!(query["error"], "login_required", "logged out");
}

#[tokio::test]
async fn an_eddsa_client_gets_eddsa_id_tokens() {
    let app = spawn_oidc_app().await;
    let browser = browser();
    let mut params = grafana_params(&[]);
    params[0] = ("client_id", "edapp");
    let callback = log_in(&app, &browser, &params).await;
    let res = token(
        &app,
        Some(("edapp", SECRET)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &callback["code"]),
            ("redirect_uri", GRAFANA_CB),
        ],
    )
    .await;
    let tokens: Value = res.json().await.unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    assert_eq!(header(id_token)["alg"], "EdDSA");
    assert_eq!(payload(id_token)["aud"], "edapp");
}

#[tokio::test]
async fn a_login_link_opened_in_another_browser_signs_nobody_in() {
    let app = spawn_oidc_app().await;
    let attacker = browser();
    let (_, request) = login_page(&app, &attacker, &grafana_params(&[])).await;
    let created: Value = attacker
        .post(app.url("/oidc/login/scene"))
        .json(&serde_json::json!({ "request": request }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let scene = created["scene"].as_str().unwrap();
    app.phone_answers(scene, true).await;
    let view = app
        .poll_json(scene, Some(created["poll_token"].as_str().unwrap()))
        .await;
    let ticket_url = view["redirect"].as_str().unwrap();

    let victim = browser();
    let res = victim.get(app.url(ticket_url)).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());
    assert!(res.headers().get("set-cookie").is_none(), "no session");
}

#[tokio::test]
async fn with_require_phone_the_login_page_binds_a_phone_and_the_phone_claim_carries_it() {
    let app = crate::support::helpers::spawn_app_with(|c| {
        configure(c);
        c.accounts.require_phone = true;
    })
    .await;
    let browser = browser();
    let (page, request) = login_page(&app, &browser, &grafana_params(&[])).await;
    assert!(page.contains("id=\"phone-form\""), "the card's phone form");
    let created: Value = browser
        .post(app.url("/oidc/login/scene"))
        .json(&serde_json::json!({ "request": request }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (scene, poll_token) = (
        created["scene"].as_str().unwrap(),
        created["poll_token"].as_str().unwrap(),
    );
    app.phone_answers(scene, true).await;
    assert_eq!(
        app.poll_json(scene, Some(poll_token)).await["status"],
        "need_phone"
    );
    let phone = "+8613800138000";
    assert!(
        app.send_sms(scene, poll_token, phone)
            .await
            .status()
            .is_success()
    );
    let code = app.sms_code(phone).await;
    assert!(
        app.bind_phone(scene, poll_token, phone, &code)
            .await
            .status()
            .is_success()
    );
    let view = app.poll_json(scene, Some(poll_token)).await;
    let res = browser
        .get(app.url(view["redirect"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    let callback = location(&res).1;
    let tokens: Value = exchange(&app, &callback["code"])
        .await
        .json()
        .await
        .unwrap();
    let claims = payload(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["phone_number"], phone);
    assert_eq!(claims["phone_number_verified"], true);
}
