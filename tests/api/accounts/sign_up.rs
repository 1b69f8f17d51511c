//! `accounts.sign_up = "provisioned_only"`: an unknown person's login is refused on the page
//! and on the phone, and nothing is created.

use crate::support::helpers::{TestApp, error_code, spawn_app_with};
use saoma::config::SignUp;
use serde_json::{Value, json};

async fn closed() -> TestApp {
    spawn_app_with(|c| c.accounts.sign_up = SignUp::ProvisionedOnly).await
}

#[tokio::test]
async fn an_unknown_persons_scene_ends_cancelled_saying_why_and_the_phone_is_told() {
    let app = closed().await;
    let created = app.create_mp_scene().await;
    let user = app.new_user("陌生人").await;
    assert_eq!(app.scan(&created.scene).await.status(), 200);
    let code = app.wx_login(&user).await;

    let phone = app.mp_login(&code, Some(&created.scene), true).await;

    assert_eq!(phone.status(), 403);
    let body: Value = phone.json().await.unwrap();
    assert_eq!(body["code"], "not_provisioned");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("sign-up is closed")
    );
    let page = app
        .poll_json(&created.scene, Some(&created.poll_token))
        .await;
    assert_eq!(page["status"], "cancelled");
    assert_eq!(page["refused"], "not_provisioned");
    assert!(page.get("tokens").is_none());
}

#[tokio::test]
async fn an_unknown_persons_direct_logins_are_refused_and_nothing_is_created() {
    let app = closed().await;
    let user = app.new_user("陌生人").await;
    let code = app.wx_login(&user).await;

    let mini_program = app.mp_login(&code, None, true).await;
    assert_eq!(mini_program.status(), 403);
    assert_eq!(error_code(mini_program).await, "not_provisioned");

    let sdk = app
        .post(
            "/sandbox/api/mobile-app/auth",
            json!({"user": user, "appid": "wxsaomasandboxapp1"}),
        )
        .await;
    let sdk: Value = sdk.json().await.unwrap();
    let mobile = app
        .post("/api/v1/mobile-app/login", json!({"code": sdk["code"]}))
        .await;
    assert_eq!(mobile.status(), 403);
    assert_eq!(error_code(mobile).await, "not_provisioned");

    let pool = sqlx::SqlitePool::connect(&app.database_url())
        .await
        .unwrap();
    for table in ["accounts", "identities", "refresh_families"] {
        let (rows,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(rows, 0, "{table}");
    }
    let (refusals,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM events WHERE type = 'login.refused'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(refusals, 2);
}
