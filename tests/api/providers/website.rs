//! Website login (open platform): WeChat hosts the QR page and sends the browser back to Saoma's
//! callback with a code. The browser and the phone as they live it, with the sandbox as WeChat.

use crate::support::helpers::{Created, TestApp, spawn_app};
use serde_json::{Value, json};

/// A client that does not follow redirects, to look at the callback's answer itself.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub async fn create_website_scene(app: &TestApp, body: Value) -> Created {
    let res = app.create_scene(body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let body: Value = res.json().await.unwrap();
    Created {
        scene: body["scene"].as_str().unwrap().to_string(),
        poll_token: body["poll_token"].as_str().unwrap().to_string(),
        body,
    }
}

/// The browser opens WeChat's QR page (the sandbox's): it remembers the redirect_uri.
pub async fn open_qr_page(app: &TestApp, url: &str) -> String {
    let res = app.http.get(url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

/// The phone approves (or refuses) the QR page opened with `state`: where WeChat sends the
/// browser next.
pub async fn phone_answers(app: &TestApp, user: &str, state: &str, approve: bool) -> String {
    let body = json!({"user": user, "state": state, "approve": approve});
    let res = app.post("/sandbox/api/website/approve", body).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let body: Value = res.json().await.unwrap();
    body["redirect"].as_str().unwrap().to_string()
}

/// The whole phone side in redirect mode: open the QR page, approve; the callback URL.
pub async fn approved_redirect(app: &TestApp, created: &Created, user: &str) -> String {
    open_qr_page(app, created.body["qr"]["url"].as_str().unwrap()).await;
    phone_answers(app, user, &created.scene, true).await
}

pub async fn me(app: &TestApp, access_token: &str) -> Value {
    let res = app
        .http
        .get(app.url("/api/v1/me"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn query_of(url: &str) -> Vec<(String, String)> {
    let url = url::Url::parse(url).unwrap();
    url.query_pairs().into_owned().collect()
}

fn param(url: &str, name: &str) -> Option<String> {
    query_of(url)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

#[tokio::test]
async fn website_login_in_redirect_mode_confirms_and_redirects_without_tokens() {
    let app = spawn_app().await;
    let created = create_website_scene(&app, json!({"provider": "website"})).await;
    assert_eq!(created.body["provider"], "website");
    assert_eq!(created.body["status"], "pending");
    assert_eq!(created.scene.len(), 22, "Saoma picks the scene");

    // qr.url is the qrconnect URL with everything WeChat needs.
    let url = created.body["qr"]["url"].as_str().unwrap();
    assert!(url.starts_with(&app.url("/sandbox/wechat/connect/qrconnect?")));
    assert!(url.ends_with("#wechat_redirect"));
    assert!(url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"));
    let callback = app.url("/api/v1/website/callback");
    assert_eq!(param(url, "appid").unwrap(), "wxsaomasandboxweb1");
    assert_eq!(param(url, "redirect_uri").unwrap(), callback);
    assert_eq!(param(url, "response_type").unwrap(), "code");
    assert_eq!(param(url, "scope").unwrap(), "snsapi_login");
    assert_eq!(param(url, "state").unwrap(), created.scene);
    let embed = &created.body["qr"]["wx_login"];
    assert_eq!(embed["appid"], "wxsaomasandboxweb1");
    assert_eq!(embed["scope"], "snsapi_login");
    assert_eq!(embed["state"], created.scene.as_str());
    assert_eq!(embed["self_redirect"], true);

    // The QR page's code opens the phone simulator's approve screen.
    let page = open_qr_page(&app, url).await;
    let phone = format!(
        "{}?state={}&amp;provider=website",
        app.url("/sandbox/phone"),
        created.scene
    );
    assert!(page.contains(&phone), "{page}");

    let user = app.new_user("网站用户").await;
    let redirect = phone_answers(&app, &user, &created.scene, true).await;
    assert!(redirect.starts_with(&format!("{callback}?code=")));
    assert_eq!(param(&redirect, "state").unwrap(), created.scene);

    let res = browser().get(&redirect).send().await.unwrap();
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(location, app.url("/"), "the configured return URL");
    assert!(!location.contains("token") && !location.contains("code"));
    assert_eq!(res.headers()["referrer-policy"], "no-referrer");
    assert_eq!(res.headers()["cache-control"], "no-store");

    // The page picks the tokens up with its poll token, once.
    let view: Value = app
        .poll_json(&created.scene, Some(&created.poll_token))
        .await;
    assert_eq!(view["status"], "confirmed");
    assert_eq!(view["scanned_by"]["nickname"], "网站用户");
    let avatar = view["scanned_by"]["avatar"].as_str().unwrap();
    assert_eq!(
        app.http.get(avatar).send().await.unwrap().status(),
        200,
        "the sandbox serves the avatar"
    );
    let access = view["tokens"]["access_token"].as_str().unwrap();
    let account = me(&app, access).await;
    let identities = account["identities"].as_array().unwrap();
    assert_eq!(identities.len(), 1);
    assert_eq!(identities[0]["provider"], "website");
    assert_eq!(identities[0]["nickname"], "网站用户");
    assert_eq!(identities[0]["avatar"], avatar);
    assert!(identities[0]["unionid"].is_string());
    assert_eq!(
        app.poll(&created.scene, Some(&created.poll_token))
            .await
            .status(),
        410
    );
}

#[tokio::test]
async fn iframe_mode_shows_a_done_page_and_the_sse_stream_sees_the_confirmation() {
    let app = spawn_app().await;
    let created = create_website_scene(&app, json!({"provider": "website"})).await;
    let mut events = app.events(&created.scene, &created.poll_token).await;
    assert_eq!(events.next_status().await.unwrap()["status"], "pending");

    // wxLogin.js puts this URL in an iframe; its redirect_uri carries the iframe marker.
    let embed = &created.body["qr"]["wx_login"];
    let iframe_url = embed["iframe_url"].as_str().unwrap();
    assert_eq!(param(iframe_url, "login_type").unwrap(), "jssdk");
    assert_eq!(param(iframe_url, "self_redirect").unwrap(), "true");
    let redirect_uri = param(iframe_url, "redirect_uri").unwrap();
    assert_eq!(
        redirect_uri,
        app.url("/api/v1/website/callback?self_redirect=true")
    );
    let encoded: String = url::form_urlencoded::byte_serialize(redirect_uri.as_bytes()).collect();
    assert_eq!(
        embed["redirect_uri"],
        encoded.as_str(),
        "pre-encoded for wxLogin.js"
    );
    let page = open_qr_page(&app, iframe_url).await;
    assert!(page.contains("data-self-redirect=\"true\""));

    let user = app.new_user("嵌入用户").await;
    let redirect = phone_answers(&app, &user, &created.scene, true).await;
    assert_eq!(param(&redirect, "self_redirect").unwrap(), "true");
    let res = browser().get(&redirect).send().await.unwrap();
    assert_eq!(
        res.status(),
        200,
        "a page inside the iframe, not a redirect"
    );
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"done\""), "{html}");
    assert!(!html.contains("access_token") && !html.contains("refresh_token"));

    // The outer page's stream sees the confirmation, with the tokens, then ends.
    let confirmed = events.next_status().await.unwrap();
    assert_eq!(confirmed["status"], "confirmed");
    assert_eq!(confirmed["scanned_by"]["nickname"], "嵌入用户");
    assert_eq!(confirmed["tokens"]["token_type"], "Bearer");
    assert!(events.next_status().await.is_none());
}

#[tokio::test]
async fn the_same_user_by_website_then_mini_program_is_one_account() {
    let app = spawn_app().await;
    let user = app.new_user("同一个人").await;
    let created = create_website_scene(&app, json!({"provider": "website"})).await;
    let redirect = approved_redirect(&app, &created, &user).await;
    assert_eq!(browser().get(&redirect).send().await.unwrap().status(), 302);
    let view: Value = app
        .poll_json(&created.scene, Some(&created.poll_token))
        .await;
    let web_account = me(&app, view["tokens"]["access_token"].as_str().unwrap()).await;

    let code = app.wx_login(&user).await;
    let login: Value = app.mp_login(&code, None, true).await.json().await.unwrap();
    assert_eq!(login["account"]["id"], web_account["id"]);
    let account = me(&app, login["tokens"]["access_token"].as_str().unwrap()).await;
    let identities = account["identities"].as_array().unwrap();
    let providers: Vec<&str> = identities
        .iter()
        .map(|i| i["provider"].as_str().unwrap())
        .collect();
    assert_eq!(providers, ["website", "mini_program"]);
    assert_ne!(identities[0]["openid"], identities[1]["openid"]);
    assert_eq!(identities[0]["unionid"], identities[1]["unionid"]);
}
