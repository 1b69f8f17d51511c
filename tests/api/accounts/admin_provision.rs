//! `POST /admin/v1/accounts`: an account provisioned ahead of its person's first login, by
//! unionid (the first login links to it, also under `provisioned_only`) or phone number (the
//! binding joins it), and the errors, each leaving nothing created.

use crate::accounts::admin::{admin_token, with_admin};
use crate::support::helpers::{TestApp, error_code, spawn_app_with};
use saoma::config::SignUp;
use serde_json::{Value, json};

async fn provision(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.http
        .post(app.url("/admin/v1/accounts"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// A sandbox user: (id, unionid).
async fn sandbox_user(app: &TestApp, nickname: &str) -> (String, String) {
    let body: Value = app
        .post("/sandbox/api/users", json!({"nickname": nickname}))
        .await
        .json()
        .await
        .unwrap();
    (
        body["id"].as_str().unwrap().to_owned(),
        body["unionid"].as_str().unwrap().to_owned(),
    )
}

async fn account_count(app: &TestApp, token: &str) -> usize {
    let page: Value = app
        .http
        .get(app.url("/admin/v1/accounts?limit=100"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["accounts"].as_array().unwrap().len()
}

#[tokio::test]
async fn the_first_login_by_a_provisioned_unionid_links_to_its_account() {
    let app = spawn_app_with(with_admin).await;
    let token = admin_token(&app).await;
    let (user, unionid) = sandbox_user(&app, "受邀者").await;

    let res = provision(&app, &token, json!({"unionid": unionid})).await;
    assert_eq!(res.status(), 201);
    let provisioned: Value = res.json().await.unwrap();
    let id = provisioned["id"].as_str().unwrap();
    assert!(provisioned["provisioned_at"].is_string());
    assert_eq!(provisioned["identities"], json!([]));

    let (account, _) = app.mp_session(&user).await;
    assert_eq!(account, id, "the login found the provisioned account");
    let found: Value = app
        .http
        .get(app.url(&format!("/admin/v1/accounts/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["identities"][0]["unionid"], unionid);
    let events: Value = app
        .http
        .get(app.url(&format!(
            "/admin/v1/events?account={id}&type=account.created"
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let created = &events["events"].as_array().unwrap()[..];
    assert_eq!(created.len(), 1, "one account.created: the provisioning");
    assert_eq!(created[0]["actor"], "admin:client:ops");
    assert_eq!(created[0]["data"]["provisioned"], true);
}

#[tokio::test]
async fn with_sign_up_closed_a_provisioned_unionid_may_log_in() {
    let app = spawn_app_with(|c| {
        with_admin(c);
        c.accounts.sign_up = SignUp::ProvisionedOnly;
    })
    .await;
    let token = admin_token(&app).await;
    let (user, unionid) = sandbox_user(&app, "受邀者").await;
    let code = app.wx_login(&user).await;
    let refused = app.mp_login(&code, None, true).await;
    assert_eq!(error_code(refused).await, "not_provisioned");

    let provisioned: Value = provision(&app, &token, json!({"unionid": unionid}))
        .await
        .json()
        .await
        .unwrap();
    let (account, _) = app.mp_session(&user).await;
    assert_eq!(account, provisioned["id"].as_str().unwrap());
}

#[tokio::test]
async fn binding_a_provisioned_phone_joins_its_account() {
    let app = spawn_app_with(with_admin).await;
    let token = admin_token(&app).await;
    let provisioned: Value = provision(&app, &token, json!({"phone": "13800138000"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(provisioned["phone"], "+8613800138000");
    let id = provisioned["id"].as_str().unwrap();
    let found: Value = app
        .http
        .get(app.url("/admin/v1/accounts?query=%2B8613800138000"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["accounts"][0]["id"], id, "found by its phone");

    let (user, _) = sandbox_user(&app, "新用户").await;
    let (first, access) = app.mp_session(&user).await;
    assert_ne!(first, id, "the first login knows no phone yet");
    let code = app.phone_code(&user, Some("+8613800138000")).await;
    let bound = app.mp_phone(&access, &code, None).await;
    assert_eq!(bound.status(), 200);
    let (account, _) = app.mp_session(&user).await;
    assert_eq!(
        account, id,
        "the person now logs into the provisioned account"
    );
}

#[tokio::test]
async fn bad_or_taken_identities_are_refused_and_nothing_is_created() {
    let app = spawn_app_with(with_admin).await;
    let token = admin_token(&app).await;
    let (user, unionid) = sandbox_user(&app, "已有").await;
    let (_, access) = app.mp_session(&user).await;
    let code = app.phone_code(&user, Some("+8613900139000")).await;
    assert_eq!(app.mp_phone(&access, &code, None).await.status(), 200);
    let before = account_count(&app, &token).await;

    for (body, status, code) in [
        (json!({}), 400, "phone_or_unionid_required"),
        (
            json!({"phone": null, "unionid": null}),
            400,
            "phone_or_unionid_required",
        ),
        (json!({"phone": "12345"}), 400, "invalid_phone"),
        (json!({"unionid": "has space"}), 400, "invalid_body"),
        (json!({"unionid": ""}), 400, "invalid_body"),
        (json!({"phone": "+8613900139000"}), 409, "account_exists"),
        (json!({"unionid": unionid}), 409, "account_exists"),
        (
            json!({"phone": "+8613700137000", "unionid": unionid}),
            409,
            "account_exists",
        ),
    ] {
        let res = provision(&app, &token, body.clone()).await;
        assert_eq!(res.status(), status, "{body}");
        assert_eq!(error_code(res).await, code, "{body}");
    }
    assert_eq!(account_count(&app, &token).await, before, "nothing created");

    // A provisioned unionid is taken too.
    let fresh = json!({"unionid": "o6_provisioned_once"});
    assert_eq!(provision(&app, &token, fresh.clone()).await.status(), 201);
    let again = provision(&app, &token, fresh).await;
    assert_eq!(again.status(), 409);
    assert_eq!(error_code(again).await, "account_exists");

    let anonymous = app
        .http
        .post(app.url("/admin/v1/accounts"))
        .json(&json!({"phone": "+8613600136000"}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(account_count(&app, &token).await, before + 1);
}

/// The events of `account`, as the admin log lists them.
async fn events_of(app: &TestApp, token: &str, account: &str) -> Vec<Value> {
    let page: Value = app
        .http
        .get(app.url(&format!("/admin/v1/events?account={account}&limit=100")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["events"].as_array().unwrap().clone()
}

#[tokio::test]
async fn erasing_an_account_erases_the_events_of_the_account_that_joined_it() {
    let app = spawn_app_with(with_admin).await;
    let token = admin_token(&app).await;
    let provisioned: Value = provision(&app, &token, json!({"phone": "13800138000"}))
        .await
        .json()
        .await
        .unwrap();
    let id = provisioned["id"].as_str().unwrap().to_owned();
    // The first login makes an account of its own, with the login's address and user agent.
    let (user, _) = sandbox_user(&app, "合并").await;
    let (first, access) = app.mp_session(&user).await;
    assert!(!events_of(&app, &token, &first).await.is_empty());
    let code = app.phone_code(&user, Some("+8613800138000")).await;
    assert_eq!(app.mp_phone(&access, &code, None).await.status(), 200);
    // Joined: the person's history is the surviving account's, in its export too.
    let (account, access) = app.mp_session(&user).await;
    assert_eq!(account, id);
    let export: Value = app
        .http
        .get(app.url("/api/v1/me/export"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let exported = export["events"].as_array().unwrap();
    assert!(
        exported
            .iter()
            .any(|e| e["type"] == "account.created" && e["data"]["provisioned"] == false),
        "the first login's account.created is exported: {exported:?}"
    );

    let deleted = app
        .http
        .delete(app.url(&format!("/admin/v1/accounts/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let left = events_of(&app, &token, &first).await;
    assert!(
        left.is_empty(),
        "the person's first logins (addresses, user agents) outlive the erasure: {left:?}"
    );
}
