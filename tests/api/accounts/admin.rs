//! The management API: admin tokens by client credentials, who gets in, and the account
//! lifecycle as a user of it notices (logins refused, tokens dead, data gone).

use crate::support::helpers::{TestApp, spawn_app, spawn_app_with};
use crate::support::oidc_helpers::{self, client, oauth_error, token};
use saoma::config::Config;
use serde_json::{Value, json};

pub const OPS_SECRET: &str = "ops-secret-0123456789abcdef";

/// `grafana` and the others of the OpenID tests, plus `ops`, a machine admin.
pub fn with_admin(config: &mut Config) {
    oidc_helpers::configure(config);
    let mut ops = client("ops", Some(OPS_SECRET), "https://unused.example/cb", "Ops");
    ops.redirect_uris.clear();
    ops.grant_types = vec!["client_credentials".into()];
    ops.scopes = vec!["saoma:admin".into()];
    config.oidc.clients.push(ops);
}

pub async fn admin_token(app: &TestApp) -> String {
    let res = token(
        app,
        Some(("ops", OPS_SECRET)),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["scope"], "saoma:admin");
    assert!(body.get("refresh_token").is_none());
    assert!(body["expires_in"].as_u64().unwrap() <= 300);
    body["access_token"].as_str().unwrap().to_owned()
}

async fn admin(app: &TestApp, method: &str, path: &str, token: &str) -> reqwest::Response {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = app
        .http
        .request(method.clone(), app.url(path))
        .bearer_auth(token);
    if method == reqwest::Method::POST {
        req = req.json(&json!({"reason": "abuse report 1234"}));
    }
    req.send().await.unwrap()
}

/// A mini-program direct login of a new sandbox user: (user, login body).
async fn logged_in(app: &TestApp) -> (String, Value) {
    let user = app.new_user("用户").await;
    let code = app.wx_login(&user).await;
    let res = app.mp_login(&code, None, true).await;
    assert_eq!(res.status(), 200);
    (user, res.json().await.unwrap())
}

#[tokio::test]
async fn without_an_admin_client_the_admin_api_is_not_there() {
    let app = spawn_app_with(oidc_helpers::configure).await;
    let res = app
        .http
        .get(app.url("/admin/v1/events"))
        .bearer_auth("x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn only_an_admin_token_opens_it() {
    let app = spawn_app_with(with_admin).await;
    let (_, login) = logged_in(&app).await;
    let user_token = login["tokens"]["access_token"].as_str().unwrap();

    let none = app
        .http
        .get(app.url("/admin/v1/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 401);
    let forged = admin(&app, "GET", "/admin/v1/events", "eyJhbGciOiJub25lIn0.e30.").await;
    assert_eq!(forged.status(), 401);
    let users = admin(&app, "GET", "/admin/v1/events", user_token).await;
    assert_eq!(users.status(), 403);
    assert_eq!(
        crate::support::helpers::error_code(users).await,
        "insufficient_scope"
    );
    let grafana = token(
        &app,
        Some(("grafana", oidc_helpers::SECRET)),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(oauth_error(grafana).await, "unauthorized_client");
    let wrong_scope = token(
        &app,
        Some(("ops", OPS_SECRET)),
        &[("grant_type", "client_credentials"), ("scope", "openid")],
    )
    .await;
    assert_eq!(oauth_error(wrong_scope).await, "invalid_scope");

    let admin_token = admin_token(&app).await;
    assert_eq!(
        app.me(&admin_token).await.status(),
        401,
        "not a user's token"
    );
    let ok = admin(&app, "GET", "/admin/v1/events", &admin_token).await;
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn a_disabled_account_cannot_log_in_nor_refresh_until_enabled() {
    let app = spawn_app_with(with_admin).await;
    let admin_token = admin_token(&app).await;
    let (user, login) = logged_in(&app).await;
    let id = login["account"]["id"].as_str().unwrap();
    let refresh = login["tokens"]["refresh_token"].as_str().unwrap();

    let disabled = admin(
        &app,
        "POST",
        &format!("/admin/v1/accounts/{id}/disable"),
        &admin_token,
    )
    .await;
    assert_eq!(disabled.status(), 200);
    let body: Value = disabled.json().await.unwrap();
    assert_eq!(body["refresh_sessions_revoked"], 1);

    let again = admin(
        &app,
        "POST",
        &format!("/admin/v1/accounts/{id}/disable"),
        &admin_token,
    )
    .await;
    assert_eq!(again.status(), 409);
    assert_eq!(
        crate::support::helpers::error_code(again).await,
        "account_already_disabled"
    );
    let refreshed = app
        .post("/api/v1/tokens/refresh", json!({"refresh_token": refresh}))
        .await;
    assert_eq!(refreshed.status(), 401);
    let code = app.wx_login(&user).await;
    let direct = app.mp_login(&code, None, true).await;
    assert_eq!(direct.status(), 403);
    assert_eq!(
        crate::support::helpers::error_code(direct).await,
        "account_disabled"
    );
    let created = app.create_mp_scene().await;
    assert_eq!(app.scan(&created.scene).await.status(), 200);
    let code = app.wx_login(&user).await;
    assert_eq!(
        app.mp_login(&code, Some(&created.scene), true)
            .await
            .status(),
        403
    );
    let page = app
        .poll_json(&created.scene, Some(&created.poll_token))
        .await;
    assert_eq!(page["status"], "cancelled");
    assert_eq!(page["refused"], "account_disabled");
    let account: Value = admin(
        &app,
        "GET",
        &format!("/admin/v1/accounts/{id}"),
        &admin_token,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(account["disabled_reason"], "abuse report 1234");

    let enabled = admin(
        &app,
        "POST",
        &format!("/admin/v1/accounts/{id}/enable"),
        &admin_token,
    )
    .await;
    assert_eq!(enabled.status(), 204);
    let code = app.wx_login(&user).await;
    assert_eq!(app.mp_login(&code, None, true).await.status(), 200);
    let twice = admin(
        &app,
        "POST",
        &format!("/admin/v1/accounts/{id}/enable"),
        &admin_token,
    )
    .await;
    assert_eq!(
        crate::support::helpers::error_code(twice).await,
        "account_not_disabled"
    );
}

#[tokio::test]
async fn a_deleted_account_keeps_one_event_without_personal_data() {
    let app = spawn_app_with(with_admin).await;
    let admin_token = admin_token(&app).await;
    let (user, login) = logged_in(&app).await;
    let id = login["account"]["id"].as_str().unwrap();

    let deleted = admin(
        &app,
        "DELETE",
        &format!("/admin/v1/accounts/{id}"),
        &admin_token,
    )
    .await;
    assert_eq!(deleted.status(), 204);

    let second = admin(
        &app,
        "DELETE",
        &format!("/admin/v1/accounts/{id}"),
        &admin_token,
    )
    .await;
    assert_eq!(second.status(), 404);
    assert_eq!(
        crate::support::helpers::error_code(second).await,
        "account_not_found"
    );
    let gone = admin(
        &app,
        "GET",
        &format!("/admin/v1/accounts/{id}"),
        &admin_token,
    )
    .await;
    assert_eq!(gone.status(), 404);
    let events: Value = admin(
        &app,
        "GET",
        &format!("/admin/v1/events?account={id}"),
        &admin_token,
    )
    .await
    .json()
    .await
    .unwrap();
    let events = events["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["type"], "account.deleted");
    assert_eq!(events[0]["data"], json!({"by": "admin"}));
    assert_eq!(events[0]["actor"], "admin:client:ops");
    let code = app.wx_login(&user).await;
    let again: Value = app.mp_login(&code, None, true).await.json().await.unwrap();
    assert_ne!(again["account"]["id"], id, "the person starts afresh");
}

#[tokio::test]
async fn every_admin_call_is_recorded_and_events_page_by_cursor() {
    let app = spawn_app_with(with_admin).await;
    let admin_token = admin_token(&app).await;
    for _ in 0..3 {
        logged_in(&app).await;
    }
    let mut seen = Vec::new();
    let mut path = "/admin/v1/events?type=login.succeeded&limit=2".to_owned();
    loop {
        let page: Value = admin(&app, "GET", &path, &admin_token)
            .await
            .json()
            .await
            .unwrap();
        seen.extend(
            page["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].clone()),
        );
        let Some(cursor) = page["next_cursor"].as_str() else {
            break;
        };
        path = format!("/admin/v1/events?type=login.succeeded&limit=2&cursor={cursor}");
    }
    assert_eq!(seen.len(), 3);

    for bad in ["x", "1.evt_zz", "999.evt_0123"] {
        let res = admin(
            &app,
            "GET",
            &format!("/admin/v1/events?cursor={bad}"),
            &admin_token,
        )
        .await;
        assert_eq!(
            crate::support::helpers::error_code(res).await,
            "invalid_cursor",
            "{bad}"
        );
    }
    let huge = admin(&app, "GET", "/admin/v1/events?limit=1000", &admin_token).await;
    assert_eq!(huge.status(), 400);
    let calls: Value = admin(
        &app,
        "GET",
        "/admin/v1/events?type=admin.called&limit=100",
        &admin_token,
    )
    .await
    .json()
    .await
    .unwrap();
    let calls = calls["events"].as_array().unwrap();
    assert!(calls.iter().all(|c| c["actor"] == "admin:client:ops"));
    assert!(calls.iter().any(|c| c["data"]["status"] == 400));
}

#[tokio::test]
async fn deleting_ones_own_account_needs_a_recent_login_and_export_returns_the_data() {
    let app = spawn_app().await;
    let (_, login) = logged_in(&app).await;
    let access = login["tokens"]["access_token"].as_str().unwrap();
    let export: Value = app
        .http
        .get(app.url("/api/v1/me/export"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(export["account"]["id"], login["account"]["id"]);
    assert!(
        export["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "account.created")
    );

    let refreshed: Value = app
        .post(
            "/api/v1/tokens/refresh",
            json!({"refresh_token": login["tokens"]["refresh_token"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let stale = refreshed["access_token"].as_str().unwrap();
    let refused = app
        .http
        .delete(app.url("/api/v1/me"))
        .bearer_auth(stale)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(
        crate::support::helpers::error_code(refused).await,
        "reauthentication_required"
    );
    assert_eq!(app.me(access).await.status(), 200, "nothing was deleted");

    let deleted = app
        .http
        .delete(app.url("/api/v1/me"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(app.me(access).await.status(), 401);
}

#[tokio::test]
async fn disabled_on_one_instance_a_login_on_another_is_refused() {
    let a = spawn_app_with(with_admin).await;
    let b = spawn_app_with(|c| {
        with_admin(c);
        c.database_url = Some(a.database_url());
    })
    .await;
    let (user, login) = logged_in(&b).await;
    let id = login["account"]["id"].as_str().unwrap();

    let token = admin_token(&a).await;
    let disabled = admin(
        &a,
        "POST",
        &format!("/admin/v1/accounts/{id}/disable"),
        &token,
    )
    .await;
    assert_eq!(disabled.status(), 200);

    let code = b.wx_login(&user).await;
    let refused = b.mp_login(&code, None, true).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(
        crate::support::helpers::error_code(refused).await,
        "account_disabled"
    );
}

#[tokio::test]
async fn an_admin_sees_an_accounts_sessions_and_ends_them() {
    let app = spawn_app_with(with_admin).await;
    let token = admin_token(&app).await;
    let (user, login) = logged_in(&app).await;
    let id = login["account"]["id"].as_str().unwrap();
    let code = app.wx_login(&user).await;
    let second: Value = app.mp_login(&code, None, true).await.json().await.unwrap();
    let path = format!("/admin/v1/accounts/{id}/sessions");

    let sessions: Value = admin(&app, "GET", &path, &token)
        .await
        .json()
        .await
        .unwrap();
    let sessions = sessions["refresh"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    assert_eq!(sessions[0]["provider"], "mini_program");
    assert!(sessions[0].get("client_id").is_none(), "Saoma's own API");

    let ended: Value = admin(&app, "DELETE", &path, &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ended["refresh_sessions_revoked"], 2);
    for refresh in [&login, &second].map(|l| l["tokens"]["refresh_token"].clone()) {
        let res = app
            .post("/api/v1/tokens/refresh", json!({"refresh_token": refresh}))
            .await;
        assert_eq!(res.status(), 401);
    }
    let none: Value = admin(&app, "GET", &path, &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none, json!({"refresh": [], "sso": []}));
    let unknown = admin(&app, "GET", "/admin/v1/accounts/nobody/sessions", &token).await;
    assert_eq!(
        crate::support::helpers::error_code(unknown).await,
        "account_not_found"
    );
}

#[tokio::test]
async fn an_admin_finds_accounts_by_id_openid_or_nickname_page_by_page() {
    let app = spawn_app_with(with_admin).await;
    let token = admin_token(&app).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (_, login) = logged_in(&app).await;
        ids.push(login["account"]["id"].as_str().unwrap().to_owned());
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let (_, fourth) = logged_in(&app).await;
    let me: Value = app
        .me(fourth["tokens"]["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    let openid = me["identities"][0]["openid"].as_str().unwrap();

    let by_id: Value = admin(
        &app,
        "GET",
        &format!("/admin/v1/accounts?query={}", ids[1]),
        &token,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(by_id["accounts"][0]["id"], ids[1].as_str());
    assert_eq!(by_id["accounts"].as_array().unwrap().len(), 1);
    let by_openid: Value = admin(
        &app,
        "GET",
        &format!("/admin/v1/accounts?query={openid}"),
        &token,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(by_openid["accounts"][0]["id"], me["id"]);

    let mut seen = Vec::new();
    let mut path = "/admin/v1/accounts?limit=3".to_owned();
    loop {
        let page: Value = admin(&app, "GET", &path, &token)
            .await
            .json()
            .await
            .unwrap();
        seen.extend(
            page["accounts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].clone()),
        );
        let Some(cursor) = page["next_cursor"].as_str() else {
            break;
        };
        // An account created between two pages is newer: never on a later page.
        logged_in(&app).await;
        path = format!("/admin/v1/accounts?limit=3&cursor={cursor}");
    }
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert_eq!(seen[0], me["id"], "the newest first");
    assert_eq!(seen[3], ids[0].as_str(), "the oldest last");
    let bad = admin(&app, "GET", "/admin/v1/accounts?cursor=12.nope", &token).await;
    assert_eq!(
        crate::support::helpers::error_code(bad).await,
        "invalid_cursor"
    );
}
