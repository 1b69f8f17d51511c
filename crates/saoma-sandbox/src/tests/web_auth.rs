//! Web authorization inside WeChat and mobile-app login on the fake platform: the authorize
//! page, scoped single-use codes, and sns/oauth2/access_token, sns/userinfo, sns/auth for them.

use poem::http::StatusCode;
use poem::test::TestResponse;
use serde_json::{Value, json};

use super::{APP, Harness, OTHER_APP, OTHER_SECRET, SECRET, errcode, wechat_json};

const REDIRECT: &str = "https://site.example/cb";

impl Harness {
    async fn authorize(
        &self,
        scope: &str,
        extra: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> TestResponse {
        let mut req = self
            .cli
            .get("/wechat/connect/oauth2/authorize")
            .query("appid", &APP)
            .query("redirect_uri", &REDIRECT)
            .query("response_type", &"code")
            .query("scope", &scope)
            .query("state", &"St8te");
        for (k, v) in extra {
            req = req.query(*k, v);
        }
        if let Some(user) = cookie {
            req = req.header("Cookie", format!("saoma_sandbox_wechat_user={user}"));
        }
        req.send().await
    }

    /// The code in the authorize page's redirect.
    fn code_of(resp: &TestResponse) -> Option<String> {
        assert_eq!(resp.0.status(), StatusCode::FOUND);
        let location = resp.0.headers()["location"].to_str().unwrap();
        assert!(location.starts_with(REDIRECT), "{location}");
        assert!(location.ends_with("state=St8te"), "{location}");
        let url = url::Url::parse(location).unwrap();
        url.query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
    }

    async fn sns_get(&self, path: &str, params: &[(&str, &str)]) -> Value {
        let mut req = self.cli.get(format!("/wechat/sns/{path}"));
        for (k, v) in params {
            req = req.query(*k, v);
        }
        let resp = req.send().await;
        resp.assert_status_is_ok();
        resp.json().await.value().deserialize()
    }

    async fn redeem(&self, app: &str, secret: &str, code: &str) -> Value {
        let resp = self
            .cli
            .get("/wechat/sns/oauth2/access_token")
            .query("appid", &app)
            .query("secret", &secret)
            .query("code", &code)
            .query("grant_type", &"authorization_code")
            .send()
            .await;
        wechat_json(resp).await
    }

    async fn profile(&self, grant: &Value) -> Value {
        let token = grant["access_token"].as_str().unwrap();
        let openid = grant["openid"].as_str().unwrap();
        self.sns_get(
            "userinfo",
            &[
                ("access_token", token),
                ("openid", openid),
                ("lang", "zh_CN"),
            ],
        )
        .await
    }
}

#[tokio::test]
async fn snsapi_base_redirects_at_once_with_a_single_use_code() {
    let h = Harness::new();
    let user = h.new_user().await;
    let id = user["id"].as_str().unwrap();
    let resp = h.authorize("snsapi_base", &[], Some(id)).await;
    let code = Harness::code_of(&resp).unwrap();

    let grant = h.redeem(APP, SECRET, &code).await;
    assert_eq!(grant["scope"], "snsapi_base");
    assert_eq!(grant["expires_in"], 7200);
    assert_eq!(grant["unionid"], user["unionid"]);
    assert!(grant.get("is_snapshotuser").is_none());
    assert!(grant["refresh_token"].is_string());
    assert_eq!(errcode(&h.redeem(APP, SECRET, &code).await), 40163, "used");

    // snsapi_base grants no profile; sns/auth still vouches for the token.
    assert_eq!(errcode(&h.profile(&grant).await), 48001);
    let token = grant["access_token"].as_str().unwrap();
    let auth = h
        .sns_get(
            "auth",
            &[
                ("access_token", token),
                ("openid", grant["openid"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(auth, json!({"errcode": 0, "errmsg": "ok"}));
    let wrong = h
        .sns_get(
            "auth",
            &[("access_token", token), ("openid", "oNotThisOne")],
        )
        .await;
    assert_eq!(errcode(&wrong), 40003);
}

#[tokio::test]
async fn codes_expire_after_five_minutes_and_belong_to_their_app() {
    let h = Harness::new();
    let user = h.new_user().await;
    let id = user["id"].as_str().unwrap();
    let code = Harness::code_of(&h.authorize("snsapi_base", &[], Some(id)).await).unwrap();
    assert_eq!(
        errcode(&h.redeem(OTHER_APP, OTHER_SECRET, &code).await),
        40029
    );
    assert_eq!(errcode(&h.redeem(APP, SECRET, "no-such-code").await), 40029);
    h.advance(301);
    assert_eq!(errcode(&h.redeem(APP, SECRET, &code).await), 42003);
}

#[tokio::test]
async fn snsapi_userinfo_asks_for_consent_then_grants_the_profile() {
    let h = Harness::new();
    let user = h.new_user().await;
    let id = user["id"].as_str().unwrap();
    let page = h.authorize("snsapi_userinfo", &[], Some(id)).await;
    page.assert_status_is_ok();
    let html = page.0.into_body().into_string().await.unwrap();
    assert!(
        html.contains("id=\"consent\"") && html.contains("允许"),
        "{html}"
    );

    let denied = h
        .authorize("snsapi_userinfo", &[("sandbox_consent", "deny")], Some(id))
        .await;
    assert_eq!(
        Harness::code_of(&denied),
        None,
        "a refusal carries the state only"
    );

    let allowed = h
        .authorize("snsapi_userinfo", &[("sandbox_consent", "allow")], Some(id))
        .await;
    let grant = h
        .redeem(APP, SECRET, &Harness::code_of(&allowed).unwrap())
        .await;
    assert_eq!(grant["scope"], "snsapi_userinfo");
    let profile = h.profile(&grant).await;
    assert_eq!(profile["nickname"], user["nickname"]);
    assert_eq!(profile["unionid"], user["unionid"]);
    assert_eq!(profile["openid"], grant["openid"]);
}

#[tokio::test]
async fn a_snapshot_page_gets_a_virtual_openid_and_no_profile() {
    let h = Harness::new();
    let user = h.new_user().await;
    let id = user["id"].as_str().unwrap();
    let real = h.authorize("snsapi_base", &[], Some(id)).await;
    let real = h
        .redeem(APP, SECRET, &Harness::code_of(&real).unwrap())
        .await;
    let snap = h
        .authorize(
            "snsapi_userinfo",
            &[("sandbox_consent", "snapshot")],
            Some(id),
        )
        .await;
    let grant = h
        .redeem(APP, SECRET, &Harness::code_of(&snap).unwrap())
        .await;
    assert_eq!(grant["is_snapshotuser"], 1);
    assert_ne!(grant["openid"], real["openid"], "a virtual openid");
    assert!(grant.get("unionid").is_none());
    assert_eq!(errcode(&h.profile(&grant).await), 48001);
}

#[tokio::test]
async fn the_browser_is_asked_who_browses_and_bad_parameters_get_an_error_page() {
    let h = Harness::new();
    let user = h.new_user().await;
    let id = user["id"].as_str().unwrap();
    let picker = h.authorize("snsapi_base", &[], None).await;
    picker.assert_status_is_ok();
    let html = picker.0.into_body().into_string().await.unwrap();
    assert!(html.contains(&format!("data-user=\"{id}\"")), "{html}");
    let chosen = h
        .authorize("snsapi_base", &[("sandbox_user", id)], None)
        .await;
    assert!(Harness::code_of(&chosen).is_some());
    let cookie = chosen.0.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with(&format!("saoma_sandbox_wechat_user={id};")));

    let login = h.authorize("snsapi_login", &[], Some(id)).await;
    login.assert_status(StatusCode::BAD_REQUEST);
    let bad_state = h
        .cli
        .get("/wechat/connect/oauth2/authorize")
        .query("appid", &APP)
        .query("redirect_uri", &REDIRECT)
        .query("response_type", &"code")
        .query("scope", &"snsapi_base")
        .query("state", &"not-alnum")
        .send()
        .await;
    bad_state.assert_status(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_mobile_sdk_tool_mints_an_app_code_with_snsapi_userinfo() {
    let h = Harness::new();
    let user = h.new_user().await;
    let resp = h
        .cli
        .post("/api/mobile-app/auth")
        .body_json(&json!({"user": user["id"], "appid": OTHER_APP}))
        .send()
        .await;
    resp.assert_status_is_ok();
    let body: Value = resp.json().await.value().deserialize();
    let code = body["code"].as_str().unwrap();
    assert_eq!(
        errcode(&h.redeem(APP, SECRET, code).await),
        40029,
        "another app's code"
    );
    let grant = h.redeem(OTHER_APP, OTHER_SECRET, code).await;
    assert_eq!(grant["scope"], "snsapi_userinfo");
    assert_eq!(h.profile(&grant).await["nickname"], user["nickname"]);
    let stats = h.stats().await;
    assert!(
        stats["calls"]["sns/oauth2/access_token"][OTHER_APP]
            .as_u64()
            .unwrap()
            >= 1
    );
}
