//! Website login on a bad day: refusals, replays, unknown states, open-redirect attempts and
//! WeChat refusing the code.

use crate::providers::website::{
    approved_redirect, browser, create_website_scene, open_qr_page, phone_answers,
};
use crate::support::helpers::{TestApp, error_code, spawn_app, spawn_app_with};
use serde_json::{Value, json};
use std::time::Duration;

async fn status_of(app: &TestApp, scene: &str, token: &str) -> Value {
    let view: Value = app.poll_json(scene, Some(token)).await;
    view["status"].clone()
}

/// The callback's page: its status, and the stable code it names.
async fn callback_page(url: &str) -> (u16, String) {
    let res = browser().get(url).send().await.unwrap();
    let status = res.status().as_u16();
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "callback pages are HTML"
    );
    assert!(res.headers().contains_key("content-security-policy"));
    let html = res.text().await.unwrap();
    let code = html
        .split("<code id=\"error-code\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_default()
        .to_string();
    (status, code)
}

/// The browser that creates the scene and later follows WeChat's redirect: it keeps its
/// cookies, as a real one does.
fn own_browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

async fn create_in(app: &TestApp, browser: &reqwest::Client) -> crate::support::helpers::Created {
    let res = browser
        .post(app.url("/api/v1/scenes"))
        .json(&json!({"provider": "website"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let cookies: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let website = cookies
        .iter()
        .find(|c| c.starts_with("saoma_website="))
        .unwrap_or_else(|| panic!("a website cookie among {cookies:?}"));
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/api/v1/website/callback"] {
        assert!(website.contains(attribute), "{website}");
    }
    assert!(cookies.iter().any(|c| c.starts_with("saoma_poll=")));
    let body: Value = res.json().await.unwrap();
    crate::support::helpers::Created {
        scene: body["scene"].as_str().unwrap().to_string(),
        poll_token: body["poll_token"].as_str().unwrap().to_string(),
        body,
    }
}

#[tokio::test]
async fn a_refusal_on_the_phone_cancels_the_scene() {
    let app = spawn_app().await;
    let own = own_browser();
    let created = create_in(&app, &own).await;
    open_qr_page(&app, created.body["qr"]["url"].as_str().unwrap()).await;
    let user = app.new_user("拒绝").await;
    let redirect = phone_answers(&app, &user, &created.scene, false).await;
    assert!(!redirect.contains("code="), "no code when the user refuses");

    let res = own.get(&redirect).send().await.unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], app.url("/").as_str());
    let view: Value = app
        .poll_json(&created.scene, Some(&created.poll_token))
        .await;
    assert_eq!(view["status"], "cancelled");
    assert!(view.get("tokens").is_none());
    assert_eq!(app.calls("sns/oauth2/access_token").await, 0);
}

#[tokio::test]
async fn a_refusal_from_another_browser_changes_nothing() {
    let app = spawn_app().await;
    let created = create_in(&app, &own_browser()).await;
    let state = &created.scene;

    // Someone who read the state off the screen sends a refusal without the creator's cookie,
    // in both redirect and iframe modes, and with a cookie of their own scene.
    let stranger = own_browser();
    create_in(&app, &stranger).await;
    for url in [
        format!("/api/v1/website/callback?state={state}"),
        format!("/api/v1/website/callback?state={state}&self_redirect=true"),
    ] {
        for client in [browser(), stranger.clone()] {
            let res = client.get(app.url(&url)).send().await.unwrap();
            assert_eq!(res.status(), 200, "{url}");
            let page = res.text().await.unwrap();
            assert!(page.contains("已取消登录"), "the refusal page: {page}");
        }
    }

    let view: Value = app
        .poll_json(&created.scene, Some(&created.poll_token))
        .await;
    assert_eq!(view["status"], "pending", "the scene still waits");

    // The creator can still log in.
    let user = app.new_user("仍可登录").await;
    let redirect = approved_redirect(&app, &created, &user).await;
    assert_eq!(browser().get(&redirect).send().await.unwrap().status(), 302);
    let view: Value = app
        .poll_json(&created.scene, Some(&created.poll_token))
        .await;
    assert_eq!(view["status"], "confirmed");
}

#[tokio::test]
async fn a_replayed_callback_is_refused_and_mints_nothing() {
    let app = spawn_app().await;
    let created = create_website_scene(&app, json!({"provider": "website"})).await;
    let user = app.new_user("重放").await;
    let redirect = approved_redirect(&app, &created, &user).await;
    assert_eq!(browser().get(&redirect).send().await.unwrap().status(), 302);

    // Replayed before the page picked the tokens up, then after: refused both times, before
    // WeChat is asked again.
    assert_eq!(
        callback_page(&redirect).await,
        (400, "scene_conflict".into())
    );
    let view: Value = app
        .poll_json(&created.scene, Some(&created.poll_token))
        .await;
    assert!(view["tokens"]["access_token"].is_string(), "tokens once");
    assert_eq!(
        callback_page(&redirect).await,
        (400, "scene_consumed".into())
    );
    assert_eq!(app.calls("sns/oauth2/access_token").await, 1);
    assert_eq!(
        app.poll(&created.scene, Some(&created.poll_token))
            .await
            .status(),
        410
    );
}

#[tokio::test]
async fn an_unknown_missing_or_foreign_state_is_a_400_page() {
    let app = spawn_app().await;
    let callback = app.url("/api/v1/website/callback");
    let unknown = format!("{callback}?code=abc&state=no-such-scene-1");
    assert_eq!(
        callback_page(&unknown).await,
        (400, "scene_not_found".into())
    );
    let missing = format!("{callback}?code=abc");
    assert_eq!(
        callback_page(&missing).await,
        (400, "scene_not_found".into())
    );
    let bad = format!("{callback}?code=abc&state=%3Cscript%3E");
    assert_eq!(callback_page(&bad).await, (400, "scene_not_found".into()));
    let mp = app.create_mp_scene().await;
    let foreign = format!("{callback}?code=abc&state={}", mp.scene);
    assert_eq!(
        callback_page(&foreign).await,
        (400, "wrong_provider".into())
    );
    assert_eq!(app.calls("sns/oauth2/access_token").await, 0);
}

#[tokio::test]
async fn a_callback_after_the_scene_expired_is_a_400_page() {
    let app = spawn_app_with(|c| c.limits.scene_ttl_seconds = 1).await;
    let created = create_website_scene(&app, json!({"provider": "website"})).await;
    let user = app.new_user("太慢").await;
    let redirect = approved_redirect(&app, &created, &user).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        callback_page(&redirect).await,
        (400, "scene_expired".into())
    );
}

#[tokio::test]
async fn return_urls_are_allow_listed_and_browser_chosen_scenes_refused() {
    let allowed = "https://app.example/after-login";
    let app = spawn_app_with(|c| {
        c.website.allowed_return_urls = vec![allowed.parse().unwrap()];
    })
    .await;
    for evil in [
        "https://evil.example/",
        "https://app.example/after-login/../evil",
        "https://app.example.evil.example/after-login",
        "//evil.example/",
        "javascript:alert(1)",
    ] {
        let body = json!({"provider": "website", "return_url": evil});
        let res = app.create_scene(body).await;
        assert_eq!(res.status(), 400, "{evil}");
        assert_eq!(error_code(res).await, "invalid_return_url");
    }
    let body = json!({"provider": "mini_program", "return_url": allowed});
    let res = app.create_scene(body).await;
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "invalid_return_url");
    let body = json!({"provider": "website", "scene": "chosen-by-me-1"});
    let res = app.create_scene(body).await;
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "scene_not_allowed");

    let created =
        create_website_scene(&app, json!({"provider": "website", "return_url": allowed})).await;
    let user = app.new_user("白名单").await;
    let redirect = approved_redirect(&app, &created, &user).await;
    let res = browser().get(&redirect).send().await.unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], allowed);
}

/// Accounts and identities in the app's database.
async fn rows(db: &std::path::Path) -> (i64, i64) {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let count = |table: &'static str| {
        let pool = pool.clone();
        async move {
            let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&pool)
                .await
                .unwrap();
            n
        }
    };
    (count("accounts").await, count("identities").await)
}

#[tokio::test]
async fn each_wechat_code_error_shows_a_clear_page_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("accounts.db");
    let url = format!("sqlite://{}", db.display());
    let app = spawn_app_with(move |c| {
        c.database_url = Some(url);
        // Seven bad codes against one scene on purpose (the limit has its own test).
        c.limits.failed_logins_per_scene = 0;
    })
    .await;
    let user = app.new_user("出错").await;
    let created = create_website_scene(&app, json!({"provider": "website"})).await;
    let callback = app.url("/api/v1/website/callback");

    // Injected: WeChat answers each errcode once.
    for errcode in [40029, 40163, 42003] {
        app.inject_fault(json!({"endpoint": "sns/oauth2/access_token", "errcode": errcode}))
            .await;
        let redirect = approved_redirect(&app, &created, &user).await;
        let res = browser().get(&redirect).send().await.unwrap();
        assert_eq!(res.status(), 400, "{errcode}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains("<code id=\"error-code\">invalid_code</code>"),
            "{html}"
        );
        assert!(
            html.contains(&errcode.to_string()),
            "the page names the errcode"
        );
    }
    // Real ones: a made-up code, a code someone else redeemed first, an expired code.
    let made_up = format!("{callback}?code=made-up&state={}", created.scene);
    assert_eq!(callback_page(&made_up).await, (400, "invalid_code".into()));
    let stolen = approved_redirect(&app, &created, &user).await;
    let code = stolen
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let theft = format!(
        "/sandbox/wechat/sns/oauth2/access_token?appid=wxsaomasandboxweb1\
         &secret=saoma-sandbox-secret&grant_type=authorization_code&code={code}"
    );
    let taken: Value = app
        .http
        .get(app.url(&theft))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(taken["access_token"].is_string(), "{taken}");
    assert_eq!(callback_page(&stolen).await, (400, "invalid_code".into()));
    let late = approved_redirect(&app, &created, &user).await;
    app.post("/sandbox/api/clock", json!({"seconds": 601}))
        .await;
    assert_eq!(callback_page(&late).await, (400, "invalid_code".into()));

    // WeChat failing after the exchange (userinfo) leaves nothing half made either.
    app.inject_fault(json!({"endpoint": "sns/userinfo", "errcode": -1, "times": 3}))
        .await;
    let redirect = approved_redirect(&app, &created, &user).await;
    assert_eq!(callback_page(&redirect).await, (502, "wechat_error".into()));

    assert_eq!(
        status_of(&app, &created.scene, &created.poll_token).await,
        "pending"
    );
    assert_eq!(
        app.calls("sns/userinfo").await,
        3,
        "-1 retried, others never reached"
    );
    assert_eq!(rows(&db).await, (0, 0), "no account, no identity");

    // The scene still waits: a good code confirms it.
    let redirect = approved_redirect(&app, &created, &user).await;
    assert_eq!(browser().get(&redirect).send().await.unwrap().status(), 302);
    assert_eq!(
        status_of(&app, &created.scene, &created.poll_token).await,
        "confirmed"
    );
    assert_eq!(rows(&db).await, (1, 1));
}

#[tokio::test]
async fn a_refusal_with_a_long_foreign_cookie_still_gets_the_refusal_page() {
    let app = spawn_app().await;
    let created = create_in(&app, &own_browser()).await;

    let res = browser()
        .get(app.url(&format!("/api/v1/website/callback?state={}", created.scene)))
        .header("Cookie", format!("saoma_website={}", "x".repeat(300)))
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("已取消登录"));
    let view: Value = app
        .poll_json(&created.scene, Some(&created.poll_token))
        .await;
    assert_eq!(view["status"], "pending");
}
