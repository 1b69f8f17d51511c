//! Website login on the fake platform: the QR page, the approve tool, the sns/oauth2 endpoints.

use poem::http::StatusCode;
use poem::test::TestResponse;
use serde_json::{Value, json};

use super::{APP, Harness, OTHER_APP, OTHER_SECRET, SECRET, errcode, wechat_json};

const REDIRECT: &str = "https://site.example/cb?mode=x";

impl Harness {
    async fn qrconnect(&self, params: &[(&str, &str)]) -> TestResponse {
        let mut req = self.cli.get("/wechat/connect/qrconnect");
        for (k, v) in params {
            req = req.query(*k, v);
        }
        req.send().await
    }

    /// Open the QR page for `state` as a browser would.
    async fn open_qr(&self, state: &str) {
        let resp = self
            .qrconnect(&[
                ("appid", APP),
                ("redirect_uri", REDIRECT),
                ("response_type", "code"),
                ("scope", "snsapi_login"),
                ("state", state),
            ])
            .await;
        resp.assert_status_is_ok();
    }

    async fn approve(&self, body: Value) -> TestResponse {
        self.cli
            .post("/api/website/approve")
            .body_json(&body)
            .send()
            .await
    }

    /// A fresh code for a new user approving `APP`: (user, code).
    async fn website_code(&self, state: &str) -> (Value, String) {
        self.open_qr(state).await;
        let user = self.new_user().await;
        let resp = self
            .approve(json!({"user": user["id"], "state": state}))
            .await;
        resp.assert_status_is_ok();
        let body: Value = resp.json().await.value().deserialize();
        let redirect = url::Url::parse(body["redirect"].as_str().unwrap()).unwrap();
        let code = redirect.query_pairs().find(|(k, _)| k == "code").unwrap().1;
        (user, code.into_owned())
    }

    async fn sns(&self, path: &str, params: &[(&str, &str)]) -> Value {
        let mut req = self.cli.get(format!("/wechat/sns/{path}"));
        for (k, v) in params {
            req = req.query(*k, v);
        }
        let resp = req.send().await;
        if path == "auth" {
            // Success is `{"errcode":0,"errmsg":"ok"}`, without a rid.
            resp.assert_status_is_ok();
            resp.assert_content_type("application/json; encoding=utf-8");
            let body: Value = resp.json().await.value().deserialize();
            if errcode(&body) == 0 {
                assert_eq!(body["errmsg"], "ok");
            }
            return body;
        }
        wechat_json(resp).await
    }

    async fn exchange(&self, app: &str, secret: &str, code: &str) -> Value {
        let params = [
            ("appid", app),
            ("secret", secret),
            ("code", code),
            ("grant_type", "authorization_code"),
        ];
        self.sns("oauth2/access_token", &params).await
    }
}

#[tokio::test]
async fn approve_sends_the_browser_to_the_remembered_redirect_uri_with_code_and_state() {
    let h = Harness::new();
    h.open_qr("st-1").await;
    let user = h.new_user().await;
    let resp = h
        .approve(json!({"user": user["id"], "state": "st-1"}))
        .await;
    resp.assert_status_is_ok();
    let body: Value = resp.json().await.value().deserialize();
    let redirect = body["redirect"].as_str().unwrap();
    assert!(
        redirect.starts_with("https://site.example/cb?mode=x&code="),
        "{redirect}"
    );
    assert!(redirect.ends_with("&state=st-1"));
    // The session takes one answer, and the page's poll sees it.
    let again = h
        .approve(json!({"user": user["id"], "state": "st-1"}))
        .await;
    again.assert_status(StatusCode::CONFLICT);
    let session = h.cli.get("/api/website/session").query("state", &"st-1");
    let session: Value = session.send().await.json().await.value().deserialize();
    assert_eq!(session["status"], "approved");
    assert_eq!(session["appid"], APP);
    assert_eq!(session["redirect"], redirect);
}

#[tokio::test]
async fn a_refusal_redirects_with_the_state_only() {
    let h = Harness::new();
    h.open_qr("st-2").await;
    let resp = h.approve(json!({"state": "st-2", "approve": false})).await;
    resp.assert_status_is_ok();
    let body: Value = resp.json().await.value().deserialize();
    assert_eq!(
        body["redirect"],
        "https://site.example/cb?mode=x&state=st-2"
    );
    assert_eq!(body["approved"], false);
}

#[tokio::test]
async fn approve_refuses_unknown_states_unknown_users_and_stale_pages() {
    let h = Harness::new();
    let user = h.new_user().await;
    let resp = h
        .approve(json!({"user": user["id"], "state": "never-opened"}))
        .await;
    resp.assert_status(StatusCode::NOT_FOUND);
    resp.assert_json(json!({"code": "unknown_state", "message":
        "no QR page was opened with this state: open connect/qrconnect first"}))
        .await;
    h.open_qr("st-3").await;
    let resp = h.approve(json!({"user": "nobody", "state": "st-3"})).await;
    resp.assert_status(StatusCode::NOT_FOUND);
    h.advance(601);
    let resp = h
        .approve(json!({"user": user["id"], "state": "st-3"}))
        .await;
    resp.assert_status(StatusCode::GONE);
    let resp = h
        .cli
        .post("/api/website/approve")
        .body("not json")
        .send()
        .await;
    resp.assert_status(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn qrconnect_checks_its_parameters_and_escapes_what_it_echoes() {
    let h = Harness::new();
    let good = [
        ("appid", APP),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "snsapi_login"),
        ("state", "<script>alert(1)</script>"),
    ];
    let resp = h.qrconnect(&good).await;
    resp.assert_status_is_ok();
    resp.assert_header_exist("content-security-policy");
    let html = resp.0.into_body().into_string().await.unwrap();
    assert!(!html.contains("<script>alert"), "state is escaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("data:image/png;base64,"));
    assert!(html.contains(
        "/sandbox/phone?state=%3Cscript%3Ealert%281%29%3C%2Fscript%3E&amp;provider=website"
    ));
    for (name, bad) in [
        ("appid", "not an app id"),
        ("redirect_uri", "javascript:alert(1)"),
        ("response_type", "token"),
        ("scope", "snsapi_userinfo"),
        ("state", ""),
    ] {
        let params: Vec<_> = good
            .iter()
            .map(|&(k, v)| if k == name { (k, bad) } else { (k, v) })
            .collect();
        h.qrconnect(&params)
            .await
            .assert_status(StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn a_code_is_single_use_bound_to_its_app_and_lives_ten_minutes() {
    let h = Harness::new();
    h.stable_token(OTHER_APP, OTHER_SECRET, false).await;
    let (user, code) = h.website_code("st-4").await;
    let id = user["id"].as_str().unwrap();
    assert_eq!(
        errcode(&h.exchange(OTHER_APP, OTHER_SECRET, &code).await),
        40029
    );
    let grant = h.exchange(APP, SECRET, &code).await;
    assert_eq!(errcode(&grant), 0);
    assert_eq!(grant["expires_in"], 7200);
    assert_eq!(grant["scope"], "snsapi_login");
    assert_eq!(grant["openid"], h.sandbox.state.openid(id, APP));
    assert_eq!(grant["unionid"], user["unionid"]);
    assert_eq!(errcode(&h.exchange(APP, SECRET, &code).await), 40163);
    assert_eq!(errcode(&h.exchange(APP, SECRET, "made-up").await), 40029);
    assert_eq!(errcode(&h.exchange(APP, "wrong-secret", "x").await), 40125);

    let (_, late) = h.website_code("st-5").await;
    h.advance(599);
    let (_, on_time) = h.website_code("st-6").await;
    h.advance(2);
    assert_eq!(errcode(&h.exchange(APP, SECRET, &late).await), 42003);
    assert_eq!(errcode(&h.exchange(APP, SECRET, &on_time).await), 0);
}

#[tokio::test]
async fn userinfo_auth_and_refresh_follow_the_users_tokens() {
    let h = Harness::new();
    let (user, code) = h.website_code("st-7").await;
    let grant = h.exchange(APP, SECRET, &code).await;
    let token = grant["access_token"].as_str().unwrap();
    let openid = grant["openid"].as_str().unwrap();

    let info = h
        .sns("userinfo", &[("access_token", token), ("openid", openid)])
        .await;
    assert_eq!(info["openid"], openid);
    assert_eq!(info["nickname"], user["nickname"]);
    assert_eq!(info["unionid"], user["unionid"]);
    for field in [
        "sex",
        "province",
        "city",
        "country",
        "headimgurl",
        "privilege",
    ] {
        assert!(info.get(field).is_some(), "{field}");
    }
    let avatar = info["headimgurl"].as_str().unwrap();
    let path = avatar
        .strip_prefix("http://127.0.0.1:8080/sandbox")
        .unwrap();
    let resp = h.cli.get(path).send().await;
    resp.assert_status_is_ok();
    resp.assert_content_type("image/svg+xml");

    let auth = |t: &str, o: &str| {
        let (t, o) = (t.to_owned(), o.to_owned());
        let h = &h;
        async move { errcode(&h.sns("auth", &[("access_token", &t), ("openid", &o)]).await) }
    };
    assert_eq!(auth(token, openid).await, 0);
    assert_eq!(auth(token, "oSomeoneElse").await, 40003);
    assert_eq!(auth("made-up", openid).await, 40001);

    let refresh = grant["refresh_token"].as_str().unwrap();
    let refreshed = |r: &str| {
        let r = r.to_owned();
        let h = &h;
        async move {
            let params = [
                ("appid", APP),
                ("grant_type", "refresh_token"),
                ("refresh_token", &r),
            ];
            h.sns("oauth2/refresh_token", &params).await
        }
    };
    h.advance(7201);
    assert_eq!(auth(token, openid).await, 42001);
    let renewed = refreshed(refresh).await;
    assert_eq!(errcode(&renewed), 0);
    assert_eq!(renewed["refresh_token"], refresh);
    assert_eq!(
        auth(renewed["access_token"].as_str().unwrap(), openid).await,
        0
    );
    assert_eq!(errcode(&refreshed("made-up").await), 40030);
    // 30 days after it was issued (7201 s have passed already).
    h.advance(30 * 24 * 3600 - 7200);
    assert_eq!(errcode(&refreshed(refresh).await), 42002);
}

#[tokio::test]
async fn faults_can_target_the_website_endpoints() {
    let h = Harness::new();
    for endpoint in [
        "sns/oauth2/access_token",
        "sns/oauth2/refresh_token",
        "sns/userinfo",
        "sns/auth",
    ] {
        let fault = json!({"endpoint": endpoint, "errcode": 40029});
        let resp = h.cli.post("/api/faults").body_json(&fault).send().await;
        resp.assert_status(StatusCode::CREATED);
    }
    let (_, code) = h.website_code("st-8").await;
    assert_eq!(errcode(&h.exchange(APP, SECRET, &code).await), 40029);
    assert_eq!(
        errcode(&h.exchange(APP, SECRET, &code).await),
        0,
        "the code was not spent"
    );
    let stats = h.stats().await;
    assert_eq!(stats["calls"]["sns/oauth2/access_token"][APP], 2);
}
