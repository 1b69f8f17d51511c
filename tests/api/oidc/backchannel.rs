//! Back-Channel Logout 1.0 as a relying party notices it: when a browser's SSO session ends,
//! each client that got tokens under it (and has a `backchannel_logout_uri`) receives a POST
//! of `logout_token`, through the durable outbox (retried). The signature is verified against
//! the JWKS by `jose` in e2e/backchannel.test.js; here, the claims and the delivery.

use crate::accounts::admin::{admin_token, with_admin};
use crate::support::helpers::{TestApp, spawn_app_with};
use crate::support::oidc_helpers::{
    SECRET, SPA_CB, VERIFIER, authorize, browser, challenge, client, exchange, grafana_params,
    header, location, log_in, log_in_as, payload, token,
};
use crate::support::webhook_receiver::{Answer, Received, Receiver};
use saoma::app::Application;
use saoma::config::Config;
use serde_json::{Value, json};
use std::time::Duration;

/// The logout token a delivery carries.
fn logout_token(received: &Received) -> String {
    let body = String::from_utf8(received.body.clone()).unwrap();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(pairs.len(), 1, "a form of one field: {body}");
    assert_eq!(pairs[0].0, "logout_token");
    pairs[0].1.clone()
}

/// `grafana` and `spa` (with their logout URIs), `edapp` (with one, never logged in), `ops`.
async fn app_with_receivers(grafana: &Receiver, spa: &Receiver, edapp: &Receiver) -> TestApp {
    let urls = [grafana.url.clone(), spa.url.clone(), edapp.url.clone()];
    spawn_app_with(move |config| {
        with_admin(config);
        for (client, url) in config.oidc.clients.iter_mut().zip(urls) {
            client.backchannel_logout_uri = Some(url);
        }
        config.oidc.clients[0].backchannel_logout_session_required = true;
    })
    .await
}

/// A browser logged in to `grafana` (a scan), then to `spa` (single sign-on): grafana's
/// id_token claims.
async fn logged_in_to_two_clients(app: &TestApp, browser: &reqwest::Client) -> Value {
    let callback = log_in(app, browser, &grafana_params(&[])).await;
    let tokens: Value = exchange(app, &callback["code"]).await.json().await.unwrap();
    let challenge = challenge(VERIFIER);
    let spa = [
        ("client_id", "spa"),
        ("redirect_uri", SPA_CB),
        ("response_type", "code"),
        ("scope", "openid"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let (_, query) = location(&authorize(app, browser, &spa).await);
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
    assert_eq!(res.status(), 200);
    payload(tokens["id_token"].as_str().unwrap())
}

#[tokio::test]
async fn ending_a_session_posts_a_logout_token_to_each_client_that_got_tokens_under_it() {
    let (grafana, spa, edapp) = (
        Receiver::start(Answer::Status(200)).await,
        Receiver::start(Answer::Status(204)).await,
        Receiver::start(Answer::Status(200)).await,
    );
    let app = app_with_receivers(&grafana, &spa, &edapp).await;
    let discovery = app.get_json("/.well-known/openid-configuration").await;
    assert_eq!(discovery["backchannel_logout_supported"], true);
    assert_eq!(discovery["backchannel_logout_session_supported"], true);
    let bearer = admin_token(&app).await;
    let browser = browser();
    let id_token = logged_in_to_two_clients(&app, &browser).await;
    let account = id_token["sub"].as_str().unwrap();
    assert!(
        grafana.received().is_empty(),
        "nothing before the session ends"
    );

    let ended: Value = app
        .http
        .delete(app.url(&format!("/admin/v1/accounts/{account}/sessions")))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ended["sso_sessions_ended"], 1);

    let now = chrono::Utc::now().timestamp();
    for (receiver, client_id) in [(&grafana, "grafana"), (&spa, "spa")] {
        let received = receiver
            .until(Duration::from_secs(10), |r| !r.is_empty())
            .await;
        let jwt = logout_token(&received[0]);
        let head = header(&jwt);
        assert_eq!(head["typ"], "logout+jwt");
        assert_eq!(head["alg"], "RS256");
        assert!(head["kid"].is_string());
        let claims = payload(&jwt);
        assert_eq!(claims["iss"], id_token["iss"]);
        assert_eq!(claims["aud"], client_id);
        assert_eq!(claims["sub"], account);
        assert_eq!(claims["sid"], id_token["sid"], "the id_tokens' session");
        assert_eq!(
            claims["events"],
            json!({"http://schemas.openid.net/event/backchannel-logout": {}})
        );
        assert!(claims.get("nonce").is_none(), "a logout token has no nonce");
        assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 16));
        let iat = claims["iat"].as_i64().unwrap();
        assert!((iat - now).abs() <= 10);
        assert!(claims["exp"].as_i64().unwrap() - iat <= 120);
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(grafana.received().len(), 1, "one per client and session");
    assert!(edapp.received().is_empty(), "edapp got no tokens under it");
}

#[tokio::test]
async fn a_logout_token_is_delivered_again_until_the_client_takes_it() {
    let (grafana, spa, edapp) = (
        Receiver::start(Answer::Status(503)).await,
        Receiver::start(Answer::Status(200)).await,
        Receiver::start(Answer::Status(200)).await,
    );
    let app = app_with_receivers(&grafana, &spa, &edapp).await;
    let bearer = admin_token(&app).await;
    let browser = browser();
    let id_token = logged_in_to_two_clients(&app, &browser).await;
    let account = id_token["sub"].as_str().unwrap();

    let res = app
        .http
        .post(app.url(&format!("/admin/v1/accounts/{account}/disable")))
        .bearer_auth(&bearer)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    grafana
        .until(Duration::from_secs(10), |r| !r.is_empty())
        .await;
    grafana.answer(Answer::Status(200));
    let received = grafana
        .until(Duration::from_secs(20), |r| r.len() >= 2)
        .await;
    let [first, second] = [&received[0], &received[1]].map(|r| payload(&logout_token(r)));
    assert_eq!(first["sid"], second["sid"]);
    assert_ne!(
        first["jti"], second["jti"],
        "each attempt signs a new token"
    );
}

#[tokio::test]
async fn a_bad_backchannel_logout_uri_stops_the_start_naming_the_setting() {
    for (uri, required, says) in [
        (
            Some("https://10.1.2.3/logout"),
            false,
            "oidc.clients[0].backchannel_logout_uri names a private, loopback or link-local address",
        ),
        // The same private address through 6to4, and through a network's own NAT64 prefix.
        (
            Some("https://[2002:a01:203::1]/logout"),
            false,
            "oidc.clients[0].backchannel_logout_uri names a private, loopback or link-local address",
        ),
        (
            Some("https://[64:ff9b:1::a01:203]/logout"),
            false,
            "oidc.clients[0].backchannel_logout_uri names a private, loopback or link-local address",
        ),
        (
            Some("ftp://rp.example.com/logout"),
            false,
            "oidc.clients[0].backchannel_logout_uri must be https",
        ),
        (
            Some("https://rp.example.com/logout#x"),
            false,
            "oidc.clients[0].backchannel_logout_uri must not have a fragment",
        ),
        (
            None,
            true,
            "oidc.clients[0].backchannel_logout_session_required needs a backchannel_logout_uri",
        ),
    ] {
        let data = tempfile::tempdir().unwrap();
        let mut config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: data.path().to_path_buf(),
            ..Config::default()
        };
        let mut grafana = client("grafana", Some(SECRET), "https://rp.example.com/cb", "G");
        grafana.backchannel_logout_uri = uri.map(str::to_owned);
        grafana.backchannel_logout_session_required = required;
        config.oidc.clients = vec![grafana];
        let error = format!(
            "{:#}",
            Application::build(config).await.err().expect("refused")
        );
        assert!(error.contains(says), "{error}");
    }
}

/// `saoma serve` with `grafana` (its logout URI on `receiver`) and the admin client `ops`.
fn start(port: u16, data: &std::path::Path, receiver: &str) -> crate::contract::cli::Running {
    use crate::accounts::admin::OPS_SECRET;
    use crate::support::oidc_helpers::{GRAFANA_CB, GRAFANA_HOME};
    let toml = data.join("saoma.toml");
    std::fs::write(
        &toml,
        format!(
            "[[oidc.clients]]\nclient_id = \"grafana\"\nclient_secret = \"{SECRET}\"\n\
             redirect_uris = [\"{GRAFANA_CB}\"]\npost_logout_redirect_uris = [\"{GRAFANA_HOME}\"]\n\
             name = \"Grafana\"\nbackchannel_logout_uri = \"{receiver}\"\n\n\
             [[oidc.clients]]\nclient_id = \"ops\"\nclient_secret = \"{OPS_SECRET}\"\n\
             name = \"Ops\"\ngrant_types = [\"client_credentials\"]\nscopes = [\"saoma:admin\"]\n\n\
             [webhook_delivery]\ntimeout_seconds = 2\n"
        ),
    )
    .unwrap();
    crate::contract::cli::Running(
        crate::contract::cli::serve(port, &data.join("data"))
            .arg("--config")
            .arg(toml)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    )
}

#[tokio::test]
async fn a_logout_token_cut_by_sigkill_is_delivered_after_the_restart() {
    let receiver = Receiver::start(Answer::Hang).await;
    let data = tempfile::tempdir().unwrap();
    let port = crate::contract::cli::free_port();
    let mut saoma = start(port, data.path(), &receiver.url);
    let base = format!("http://127.0.0.1:{port}");
    crate::contract::cli::wait_for(&format!("{base}/healthz")).await;
    let app = TestApp::at(&base);
    let browser = browser();
    let callback = log_in(&app, &browser, &grafana_params(&[])).await;
    let tokens: Value = exchange(&app, &callback["code"])
        .await
        .json()
        .await
        .unwrap();
    let id_token = payload(tokens["id_token"].as_str().unwrap());
    let bearer = admin_token(&app).await;
    let account = id_token["sub"].as_str().unwrap();
    let res = app
        .http
        .delete(app.url(&format!("/admin/v1/accounts/{account}/sessions")))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // The receiver holds the logout token's delivery open: kill Saoma now, mid-delivery.
    receiver
        .until(Duration::from_secs(10), |r| !r.is_empty())
        .await;
    saoma.0.kill().unwrap(); // SIGKILL
    saoma.0.wait().unwrap();

    receiver.answer(Answer::Status(200));
    let before = receiver.received().len();
    let _restarted = start(port, data.path(), &receiver.url);
    crate::contract::cli::wait_for(&format!("{base}/healthz")).await;
    // Its lease (twice the 2 s time limit, plus 5 s) passes, and it goes out again.
    let after = receiver
        .until(Duration::from_secs(30), |r| r.len() > before)
        .await;
    let claims = payload(&logout_token(&after[before]));
    assert_eq!(claims["sid"], id_token["sid"]);
    assert_eq!(claims["aud"], "grafana");
}

#[tokio::test]
async fn a_logout_token_is_no_id_token_hint() {
    let (grafana, spa, edapp) = (
        Receiver::start(Answer::Status(200)).await,
        Receiver::start(Answer::Status(200)).await,
        Receiver::start(Answer::Status(200)).await,
    );
    let app = app_with_receivers(&grafana, &spa, &edapp).await;
    let bearer = admin_token(&app).await;
    let browser = browser();
    let user = app.new_user("用户").await;
    let callback = log_in_as(&app, &browser, &grafana_params(&[]), &user).await;
    let tokens: Value = exchange(&app, &callback["code"])
        .await
        .json()
        .await
        .unwrap();
    let account = payload(tokens["id_token"].as_str().unwrap())["sub"].clone();
    let ended = app
        .http
        .delete(app.url(&format!(
            "/admin/v1/accounts/{}/sessions",
            account.as_str().unwrap()
        )))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), 200);
    let received = grafana
        .until(Duration::from_secs(10), |r| !r.is_empty())
        .await;
    let logout_token = logout_token(&received[0]);
    // The same person logs in again in the same browser: a new session.
    let callback = log_in_as(&app, &browser, &grafana_params(&[]), &user).await;
    let tokens: Value = exchange(&app, &callback["code"])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        payload(tokens["id_token"].as_str().unwrap())["sub"],
        account
    );

    // A logout token names the account and the client like an id_token, but it is typed
    // `logout+jwt`: whoever holds one may not end the person's next session without asking.
    let res = browser
        .post(app.url("/oidc/logout"))
        .header("Origin", "https://evil.example")
        .form(&[("id_token_hint", logout_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "the hint is refused");
    let (to, _) =
        location(&authorize(&app, &browser, &grafana_params(&[("prompt", "none")])).await);
    assert!(to.contains("code="), "the new session lives: {to}");
}
