//! The hosted OpenID login page inside WeChat's browser: "微信一键登录" creates an `in_wechat`
//! scene bound to the authorization request, whose WeChat redirect comes back to that very login
//! page, and to no other URL (the page must not become an open redirect).

use crate::providers::in_wechat::authorized;
use crate::support::helpers::{TestApp, error_code, spawn_app_with};
use crate::support::oidc_helpers::{
    browser, configure, exchange, grafana_params, location, login_page, spawn_oidc_app,
};
use serde_json::{Value, json};

const OA_APP_ID: &str = "wxsaomasandbox0002";
const WECHAT_UA: &str = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Mobile Safari/537.36 \
                         MicroMessenger/8.0.48.2580(0x28003036) NetType/WIFI Language/zh_CN";

/// Authorize in `browser`: the id of the stored request the login page is for.
async fn login_request(app: &TestApp, browser: &reqwest::Client) -> String {
    login_page(app, browser, &grafana_params(&[])).await.1
}

async fn login_scene(app: &TestApp, browser: &reqwest::Client, body: Value) -> reqwest::Response {
    browser
        .post(app.url("/oidc/login/scene"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn inside_wechat_the_page_leads_with_the_button_and_comes_back_to_itself() {
    let app = spawn_oidc_app().await;
    let browser = browser();
    let request = login_request(&app, &browser).await;
    let page = browser
        .get(app.url(&format!("/oidc/login?request={request}")))
        .header("User-Agent", WECHAT_UA)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"in-wechat-login\""), "{page}");
    assert!(page.contains("微信一键登录"));
    assert!(page.contains("data-in-wechat=\"true\""));

    let res = login_scene(
        &app,
        &browser,
        json!({"request": request, "provider": "in_wechat"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let cookies: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(String::from))
        .collect();
    assert!(
        cookies.iter().any(|c| c.starts_with("saoma_in_wechat=")),
        "{cookies:?}"
    );
    let created: Value = res.json().await.unwrap();
    let scene = created["scene"].as_str().unwrap();
    let poll_token = created["poll_token"].as_str().unwrap();
    assert!(
        created["qr"]["url"]
            .as_str()
            .unwrap()
            .contains("connect/oauth2/authorize")
    );

    // WeChat sends the browser to the callback, which sends it back to this login page.
    let user = app.new_user("小程").await;
    let redirect = authorized(&app, &user, OA_APP_ID, "snsapi_base", scene).await;
    let res = browser.get(&redirect).send().await.unwrap();
    assert_eq!(res.status(), 302);
    let (back, _) = location(&res);
    assert_eq!(back, app.url(&format!("/oidc/login?request={request}")));

    // The page picks the outcome up with its poll token: a one-time resume URL, no tokens.
    let view = app.poll_json(scene, Some(poll_token)).await;
    assert!(view.get("tokens").is_none(), "{view}");
    let resume = view["redirect"].as_str().expect("a redirect");
    let res = browser.get(app.url(resume)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let (to, query) = location(&res);
    assert!(to.starts_with("https://grafana.example.com/"), "{to}");
    assert_eq!(query["state"], "st4te");
    let res = exchange(&app, &query["code"]).await;
    assert_eq!(res.status(), 200);
    let tokens: Value = res.json().await.unwrap();
    assert!(tokens["id_token"].is_string(), "{tokens}");
}

#[tokio::test]
async fn a_return_url_other_than_this_requests_login_page_is_refused() {
    let app = spawn_oidc_app().await;
    let browser = browser();
    let request = login_request(&app, &browser).await;
    let own = app.url(&format!("/oidc/login?request={request}"));
    for foreign in [
        "https://evil.example/".to_string(),
        "https://evil.example/oidc/login?request=".to_string() + &request,
        app.url("/oidc/login?request=another-request"),
        app.url(&format!("/oidc/login?request={request}&x=1")),
        app.url("/"),
        "not a url".to_string(),
    ] {
        let res = login_scene(
            &app,
            &browser,
            json!({"request": request, "provider": "in_wechat", "return_url": foreign}),
        )
        .await;
        assert_eq!(res.status(), 400, "{foreign}");
        assert_eq!(error_code(res).await, "invalid_return_url", "{foreign}");
    }
    // The login page itself is no return URL for a scene that is not bound to that request.
    let res = app
        .create_scene(json!({"provider": "in_wechat", "return_url": own}))
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "invalid_return_url");
    // Another provider than the request's (or in_wechat) is not the page's to pick.
    let res = login_scene(
        &app,
        &browser,
        json!({"request": request, "provider": "official_account"}),
    )
    .await;
    assert_eq!(res.status(), 400);
    // Named explicitly, this request's own page is what it defaults to.
    let res = login_scene(
        &app,
        &browser,
        json!({"request": request, "provider": "in_wechat", "return_url": own}),
    )
    .await;
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn a_refusal_on_wechats_side_ends_at_the_client_with_access_denied() {
    let app = spawn_oidc_app().await;
    let browser = browser();
    let request = login_request(&app, &browser).await;
    let created: Value = login_scene(
        &app,
        &browser,
        json!({"request": request, "provider": "in_wechat"}),
    )
    .await
    .json()
    .await
    .unwrap();
    let scene = created["scene"].as_str().unwrap();
    // No code: the user turned WeChat's consent page down.
    let res = browser
        .get(app.url(&format!("/api/v1/in-wechat/callback?state={scene}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(
        location(&res).0,
        app.url(&format!("/oidc/login?request={request}"))
    );
    let view = app.poll_json(scene, created["poll_token"].as_str()).await;
    assert_eq!(view["status"], "cancelled");
    // What the page does on `cancelled`.
    let res = browser
        .get(app.url(&format!("/oidc/abort?request={request}&reason=cancelled")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (_, query) = location(&res);
    assert_eq!(query["error"], "access_denied");
    assert_eq!(query["state"], "st4te");
}

#[tokio::test]
async fn a_desktop_browser_gets_no_button() {
    let app = spawn_oidc_app().await;
    let browser = browser();
    let request = login_request(&app, &browser).await;
    let page = browser
        .get(app.url(&format!("/oidc/login?request={request}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("in-wechat-login"));
    assert!(page.contains("data-in-wechat=\"false\""));
}

/// Without the in-WeChat login, the page inside WeChat can only say how to read its code.
#[tokio::test]
async fn without_the_in_wechat_login_the_page_says_to_long_press_the_code() {
    let app = spawn_app_with(|config| {
        configure(config);
        config.in_wechat.enabled = Some(false);
    })
    .await;
    let browser = browser();
    let request = login_request(&app, &browser).await;
    let page = |ua: Option<&'static str>| {
        let mut req = browser.get(app.url(&format!("/oidc/login?request={request}")));
        if let Some(ua) = ua {
            req = req.header("User-Agent", ua);
        }
        async move { req.send().await.unwrap().text().await.unwrap() }
    };
    let in_wechat = page(Some(WECHAT_UA)).await;
    assert!(in_wechat.contains("识别图中小程序码"), "{in_wechat}");
    assert!(!in_wechat.contains("in-wechat-login"));
    assert!(!page(None).await.contains("识别图中小程序码"));
}
