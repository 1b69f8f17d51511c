//! The OpenID Provider refuses every bad input of the issue, each with the answer a client
//! can act on: an error page where a redirect would be unsafe, else the RFC's error code.

use crate::support::helpers::spawn_app_with;
use crate::support::oidc_helpers::*;
use saoma::app::Application;
use saoma::config::Config;
use serde_json::{Value, json};

async fn a_code(app: &crate::support::helpers::TestApp, extra: &[(&str, &str)]) -> String {
    let browser = browser();
    log_in(app, &browser, &grafana_params(extra)).await["code"].clone()
}

#[tokio::test]
async fn an_unknown_client_or_unregistered_redirect_uri_gets_a_page_never_a_redirect() {
    let app = spawn_oidc_app().await;
    let mut unknown = grafana_params(&[]);
    unknown[0] = ("client_id", "nobody");
    let mut elsewhere = grafana_params(&[]);
    elsewhere[1] = ("redirect_uri", "https://evil.example/cb");
    let mut prefixed = grafana_params(&[]);
    prefixed[1] = (
        "redirect_uri",
        "https://grafana.example.com/login/generic_oauth/x",
    );
    for (params, code) in [
        (unknown, "invalid_client"),
        (elsewhere, "invalid_redirect_uri"),
        (prefixed, "invalid_redirect_uri"),
    ] {
        let res = authorize(&app, &browser(), &params).await;
        assert_eq!(res.status(), 400);
        assert!(res.headers().get("location").is_none());
        assert!(res.text().await.unwrap().contains(code));
    }
}

#[tokio::test]
async fn other_authorization_errors_go_back_to_the_client_with_state_and_iss() {
    let app = spawn_oidc_app().await;
    let mut no_openid = grafana_params(&[]);
    no_openid[3] = ("scope", "profile");
    let public_without_pkce = [
        ("client_id", "spa"),
        ("redirect_uri", SPA_CB),
        ("response_type", "code"),
        ("scope", "openid"),
        ("state", "st4te"),
    ];
    let cases = [
        (grafana_params(&[("prompt", "none")]), "login_required"),
        (no_openid, "invalid_scope"),
        (public_without_pkce.to_vec(), "invalid_request"),
        (
            grafana_params(&[
                ("code_challenge", "abc"),
                ("code_challenge_method", "plain"),
            ]),
            "invalid_request",
        ),
    ];
    for (params, error) in cases {
        let res = authorize(&app, &browser(), &params).await;
        assert_eq!(res.status(), 303);
        let (to, query) = location(&res);
        assert!(to.starts_with(params[1].1), "{to}");
        assert_eq!(query["error"], error, "{to}");
        assert_eq!(query["state"], "st4te");
        assert_eq!(query["iss"], app.base);
    }
}

#[tokio::test]
async fn a_cancel_on_the_phone_is_access_denied() {
    let app = spawn_oidc_app().await;
    let browser = browser();
    let (_, request) = login_page(&app, &browser, &grafana_params(&[])).await;
    let created: Value = browser
        .post(app.url("/oidc/login/scene"))
        .json(&json!({ "request": request }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    app.phone_answers(created["scene"].as_str().unwrap(), false)
        .await;
    let res = browser
        .get(app.url(&format!("/oidc/abort?request={request}&reason=cancelled")))
        .send()
        .await
        .unwrap();
    let (to, query) = location(&res);
    assert!(to.starts_with(GRAFANA_CB));
    assert_eq!(query["error"], "access_denied");
}

#[tokio::test]
async fn a_code_works_once_and_its_replay_revokes_its_tokens() {
    let app = spawn_oidc_app().await;
    let code = a_code(&app, &[]).await;
    let tokens: Value = exchange(&app, &code).await.json().await.unwrap();
    assert_eq!(
        oauth_error(exchange(&app, &code).await).await,
        "invalid_grant"
    );
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let res = token(
        &app,
        Some(("grafana", SECRET)),
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(
        oauth_error(res).await,
        "invalid_grant",
        "revoked by the replay"
    );
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let app = spawn_app_with(|c| {
        configure(c);
        c.oidc.code_ttl_seconds = 1;
    })
    .await;
    let code = a_code(&app, &[]).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        oauth_error(exchange(&app, &code).await).await,
        "invalid_grant"
    );
}

#[tokio::test]
async fn a_code_is_only_for_its_client_redirect_uri_and_verifier() {
    let app = spawn_oidc_app().await;
    let other_client = a_code(&app, &[]).await;
    let res = token(
        &app,
        Some(("edapp", SECRET)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &other_client),
            ("redirect_uri", GRAFANA_CB),
        ],
    )
    .await;
    assert_eq!(oauth_error(res).await, "invalid_grant");

    let wrong_uri = a_code(&app, &[]).await;
    let res = token(
        &app,
        Some(("grafana", SECRET)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &wrong_uri),
            ("redirect_uri", SPA_CB),
        ],
    )
    .await;
    assert_eq!(oauth_error(res).await, "invalid_grant");

    let challenge = challenge(VERIFIER);
    let pkce = [
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let missing = a_code(&app, &pkce).await;
    assert_eq!(
        oauth_error(exchange(&app, &missing).await).await,
        "invalid_grant"
    );
    let wrong = a_code(&app, &pkce).await;
    let res = token(
        &app,
        Some(("grafana", SECRET)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &wrong),
            ("redirect_uri", GRAFANA_CB),
            ("code_verifier", &VERIFIER.replace('d', "e")),
        ],
    )
    .await;
    assert_eq!(oauth_error(res).await, "invalid_grant");
    let right = a_code(&app, &pkce).await;
    let res = token(
        &app,
        Some(("grafana", SECRET)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &right),
            ("redirect_uri", GRAFANA_CB),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(res.status(), 200, "honoured for a confidential client");
}

#[tokio::test]
async fn a_wrong_secret_is_401_invalid_client_by_basic_and_by_form() {
    let app = spawn_oidc_app().await;
    let code = a_code(&app, &[]).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", GRAFANA_CB),
    ];
    let res = token(&app, Some(("grafana", "wrong")), &form).await;
    assert_eq!(res.status(), 401);
    assert!(res.headers().contains_key("www-authenticate"));
    assert_eq!(oauth_error(res).await, "invalid_client");
    let mut posted = form.to_vec();
    posted.extend([("client_id", "grafana"), ("client_secret", "wrong")]);
    let res = token(&app, None, &posted).await;
    assert_eq!(res.status(), 401);
    let body = res.text().await.unwrap();
    assert!(!body.contains(SECRET) && !body.contains("wrong"), "{body}");
}

#[tokio::test]
async fn a_refresh_token_of_another_client_is_refused() {
    let app = spawn_oidc_app().await;
    let code = a_code(&app, &[]).await;
    let tokens: Value = exchange(&app, &code).await.json().await.unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let res = token(
        &app,
        Some(("edapp", SECRET)),
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(oauth_error(res).await, "invalid_grant");
}

#[tokio::test]
async fn a_tampered_id_token_hint_ends_nothing() {
    let app = spawn_oidc_app().await;
    let browser = browser();
    let tokens = logged_in_tokens(&app, &browser).await;
    let hint = tokens["id_token"].as_str().unwrap();
    let mut parts: Vec<String> = hint.split('.').map(str::to_string).collect();
    let mut claims = payload(hint);
    claims["aud"] = json!("edapp");
    parts[1] = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        claims.to_string(),
    );
    let tampered = parts.join(".");
    let res = browser
        .get(app.url("/oidc/logout"))
        .query(&[
            ("id_token_hint", tampered.as_str()),
            ("post_logout_redirect_uri", GRAFANA_HOME),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());
    let (to, _) =
        location(&authorize(&app, &browser, &grafana_params(&[("prompt", "none")])).await);
    assert!(to.contains("code="), "still signed in: {to}");
}

#[tokio::test]
async fn an_invalid_client_list_stops_the_start_naming_client_and_field() {
    for (uri, words) in [
        ("http://grafana.example.com/cb", "loopback"),
        ("https://grafana.example.com/cb#frag", "fragment"),
    ] {
        let mut config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            ..Config::default()
        };
        let data = tempfile::tempdir().unwrap();
        config.data_dir = data.path().to_path_buf();
        config.oidc.clients = vec![client("grafana", Some(SECRET), uri, "Grafana")];
        let error = format!(
            "{:#}",
            Application::build(config).await.err().expect("refused")
        );
        assert!(
            error.contains("\"grafana\"")
                && error.contains("redirect_uris")
                && error.contains(words),
            "{error}"
        );
    }
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Config::default()
    };
    let data = tempfile::tempdir().unwrap();
    config.data_dir = data.path().to_path_buf();
    config.oidc.clients = vec![
        client("a", None, SPA_CB, "A"),
        client("a", None, SPA_CB, "A2"),
    ];
    let error = format!(
        "{:#}",
        Application::build(config).await.err().expect("refused")
    );
    assert!(
        error.contains("client_id") && error.contains("\"a\""),
        "{error}"
    );
}

#[tokio::test]
async fn a_server_without_oidc_clients_answers_discovery_with_a_documented_404() {
    let app = crate::support::helpers::spawn_app().await;

    for path in ["/.well-known/openid-configuration", "/oidc/jwks"] {
        let res = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
        assert_eq!(
            crate::support::helpers::error_code(res).await,
            "not_found",
            "{path}"
        );
    }
}

/// Every bad token request gets the error that names its fault, in the endpoint's order: the
/// client is authenticated first, then its grant is checked, then the grant's parameters.
#[tokio::test]
async fn a_bad_token_request_gets_the_error_that_names_its_fault() {
    let app = spawn_oidc_app().await;
    let grafana = Some(("grafana", SECRET));
    let cases = [
        (
            grafana,
            "code=c".into(),
            400,
            "invalid_request",
            "grant_type is missing",
        ),
        (
            grafana,
            "grant_type=password".into(),
            400,
            "unsupported_grant_type",
            "grant_type must be",
        ),
        (
            None,
            "grant_type=refresh_token&grant_type=authorization_code&client_id=spa".into(),
            400,
            "invalid_request",
            "",
        ),
        (
            grafana,
            format!("grant_type=authorization_code&redirect_uri={GRAFANA_CB}"),
            400,
            "invalid_request",
            "code is missing",
        ),
        (
            grafana,
            "grant_type=refresh_token".into(),
            400,
            "invalid_request",
            "refresh_token is missing",
        ),
        (
            grafana,
            format!("grant_type=refresh_token&refresh_token=x&client_secret={SECRET}"),
            400,
            "invalid_request",
            "not Basic and client_secret both",
        ),
        (
            grafana,
            "grant_type=refresh_token&refresh_token=x&client_id=spa".into(),
            400,
            "invalid_request",
            "client_id differs",
        ),
        (
            None,
            "grant_type=password&client_id=nobody".into(),
            401,
            "invalid_client",
            "",
        ),
        (
            Some(("grafana", "wrong")),
            "grant_type=password".into(),
            401,
            "invalid_client",
            "",
        ),
        (
            grafana,
            "grant_type=client_credentials&scope=openid".into(),
            400,
            "unauthorized_client",
            "client_credentials",
        ),
        (
            None,
            format!(
                "grant_type=authorization_code&client_id=spa&code=nope&redirect_uri={SPA_CB}&code_verifier={VERIFIER}"
            ),
            400,
            "invalid_grant",
            "the code is invalid",
        ),
    ];
    for (client, body, status, error, description) in cases {
        let mut req = app
            .http
            .post(app.url("/oidc/token"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body.clone());
        if let Some((id, secret)) = client {
            req = req.basic_auth(id, Some(secret));
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), status, "{body}");
        let answer: Value = res.json().await.unwrap();
        assert_eq!(answer["error"], error, "{body}: {answer}");
        let text = answer["error_description"].as_str().unwrap_or_default();
        assert!(text.contains(description), "{body}: {answer}");
    }
}
