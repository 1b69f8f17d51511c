//! One person, one account: linking by unionid across logins, and the phone from the
//! mini-program's getPhoneNumber button.

use crate::providers::website;
use crate::support::helpers::{error_code, spawn_app, spawn_app_with};
use serde_json::{Value, json};

#[tokio::test]
async fn one_sandbox_user_is_one_account_across_providers() {
    let app = spawn_app().await;
    let user = app.new_user("小红").await;

    let (first, access) = app.mp_session(&user).await;
    let (again, _) = app.mp_session(&user).await;
    let created = app.create_mp_scene().await;
    app.scan(&created.scene).await;
    let code = app.wx_login(&user).await;
    let by_scene: Value = app
        .mp_login(&code, Some(&created.scene), true)
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(first, again);
    assert_eq!(by_scene["account"]["id"], first.as_str());
    let me: Value = app.me(&access).await.json().await.unwrap();
    let identities = me["identities"].as_array().unwrap();
    assert_eq!(identities.len(), 1);
    assert!(identities[0]["unionid"].is_string());

    // The same WeChat user follows the official account to log in ...
    let oa = app.create_oa_scene().await;
    app.oa_scan(&user, &oa.scene, true).await;
    let view: Value = app.poll_json(&oa.scene, Some(&oa.poll_token)).await;
    assert_eq!(view["status"], "confirmed");
    let oa_me = website::me(&app, view["tokens"]["access_token"].as_str().unwrap()).await;
    assert_eq!(
        oa_me["id"],
        first.as_str(),
        "the official-account login is the same account"
    );

    // ... and logs in on the website.
    let web = website::create_website_scene(&app, json!({"provider": "website"})).await;
    let redirect = website::approved_redirect(&app, &web, &user).await;
    let res = website::browser().get(&redirect).send().await.unwrap();
    assert_eq!(res.status(), 302);
    let view: Value = app.poll_json(&web.scene, Some(&web.poll_token)).await;
    assert_eq!(view["status"], "confirmed");
    let web_me = website::me(&app, view["tokens"]["access_token"].as_str().unwrap()).await;
    assert_eq!(
        web_me["id"],
        first.as_str(),
        "the website login is the same account"
    );

    let providers: Vec<&str> = web_me["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["provider"].as_str().unwrap())
        .collect();
    assert_eq!(providers.len(), 3, "{web_me}");
    for p in ["mini_program", "official_account", "website"] {
        assert!(providers.contains(&p), "{p} missing: {web_me}");
    }
    let unionids: std::collections::HashSet<&str> = web_me["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["unionid"].as_str().unwrap())
        .collect();
    assert_eq!(unionids.len(), 1, "one unionid across the three apps");
}

#[tokio::test]
async fn require_phone_holds_official_account_and_website_logins_in_need_phone() {
    let app = spawn_app_with(|c| c.accounts.require_phone = true).await;
    let user = app.new_user("要手机").await;

    let oa = app.create_oa_scene().await;
    app.oa_scan(&user, &oa.scene, true).await;
    assert_eq!(app.status_of(&oa).await, "need_phone");

    let web = website::create_website_scene(&app, json!({"provider": "website"})).await;
    let redirect = website::approved_redirect(&app, &web, &user).await;
    website::browser().get(&redirect).send().await.unwrap();
    assert_eq!(app.status_of(&web).await, "need_phone");
}

#[tokio::test]
async fn two_sandbox_users_are_never_linked() {
    let app = spawn_app().await;
    let alice = app.new_user("Alice").await;
    let bob = app.new_user("Bob").await;

    let (a, _) = app.mp_session(&alice).await;
    let (b, _) = app.mp_session(&bob).await;

    assert_ne!(a, b);
}

#[tokio::test]
async fn get_phone_number_binds_the_phone_and_a_reused_code_is_refused() {
    let app = spawn_app().await;
    let user = app.new_user("小明").await;
    let (account, access) = app.mp_session(&user).await;
    let code = app.phone_code(&user, Some("13800138000")).await;
    // Someone else's account, without a number, presents the same code after it.
    let (_, other_access) = app.mp_session(&app.new_user("小红").await).await;

    let res = app.mp_phone(&access, &code, None).await;
    let reused = app.mp_phone(&other_access, &code, None).await;

    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["account"]["id"], account.as_str());
    assert_eq!(body["account"]["phone"], "+8613800138000");
    assert_eq!(body["linked"], false);
    assert!(body.get("tokens").is_none());
    assert_eq!(reused.status(), 400);
    assert_eq!(error_code(reused).await, "invalid_code");
    let me: Value = app.me(&access).await.json().await.unwrap();
    assert_eq!(me["phone"], "+8613800138000");
}

#[tokio::test]
async fn get_phone_number_of_a_phone_on_another_account_links_to_it() {
    let app = spawn_app().await;
    let owner = app.new_user("Owner").await;
    let other = app.new_user("Other").await;
    let (owner_account, owner_access) = app.mp_session(&owner).await;
    let code = app.phone_code(&owner, Some("13800138000")).await;
    assert_eq!(app.mp_phone(&owner_access, &code, None).await.status(), 200);
    let (other_account, other_access) = app.mp_session(&other).await;

    let code = app.phone_code(&other, Some("+8613800138000")).await;
    let res = app.mp_phone(&other_access, &code, None).await;

    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["linked"], true);
    assert_eq!(body["account"]["id"], owner_account.as_str());
    assert_eq!(body["account"]["identities"].as_array().unwrap().len(), 2);
    // The old token names an account that is gone; the new one is the owner's.
    assert_eq!(app.me(&other_access).await.status(), 401);
    let fresh = body["tokens"]["access_token"].as_str().unwrap();
    let me: Value = app.me(fresh).await.json().await.unwrap();
    assert_eq!(me["id"], owner_account.as_str());
    assert_ne!(other_account, owner_account);
    // The other user's next login lands on the owner's account too.
    let (again, _) = app.mp_session(&other).await;
    assert_eq!(again, owner_account);
}

#[tokio::test]
async fn get_phone_number_confirms_a_need_phone_scene() {
    let app = spawn_app_with(|c| c.accounts.require_phone = true).await;
    let user = app.new_user("小明").await;
    let created = app.create_mp_scene().await;
    app.scan(&created.scene).await;
    let login: Value = app
        .mp_login(&app.wx_login(&user).await, Some(&created.scene), true)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(login["scene_status"], "need_phone");
    let access = login["tokens"]["access_token"].as_str().unwrap();

    let code = app.phone_code(&user, None).await;
    let res = app.mp_phone(access, &code, Some(&created.scene)).await;

    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["scene_status"], "confirmed");
    let polled: Value = app
        .poll_json(&created.scene, Some(&created.poll_token))
        .await;
    assert!(polled["tokens"]["access_token"].is_string());
}

#[tokio::test]
async fn get_phone_number_refuses_bad_bearers_and_foreign_scenes() {
    let app = spawn_app_with(|c| c.accounts.require_phone = true).await;
    let user = app.new_user("小明").await;
    let (_, access) = app.mp_session(&user).await;
    // A need_phone scene another user is logging into.
    let created = app.create_mp_scene().await;
    app.phone_answers(&created.scene, true).await;
    let code = app.phone_code(&user, None).await;

    let no_bearer = app
        .post(
            "/api/v1/mini-program/phone",
            serde_json::json!({"code": code}),
        )
        .await;
    let bad_bearer = app.mp_phone("not-a-jwt", &code, None).await;
    let foreign_scene = app.mp_phone(&access, &code, Some(&created.scene)).await;

    assert_eq!(no_bearer.status(), 401);
    assert_eq!(bad_bearer.status(), 401);
    assert_eq!(error_code(bad_bearer).await, "unauthenticated");
    assert_eq!(foreign_scene.status(), 403);
    assert_eq!(error_code(foreign_scene).await, "token_not_accepted");
    // None of the refusals spent the code.
    assert_eq!(app.mp_phone(&access, &code, None).await.status(), 200);
}
