//! The sandbox's own tests: `poem::test::TestClient` on `Sandbox::routes()`, a temp data dir.

mod oa_push;
mod official_account;
mod phone_number;
mod sns;
mod tokens;
mod tools;
mod vectors;
mod web_auth;
mod website;
mod wxacode;

use poem::Route;
use poem::test::{TestClient, TestResponse};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

use super::{Sandbox, SandboxConfig};

pub(super) const APP: &str = "wx0123456789abcdef";
pub(super) const SECRET: &str = "app-secret-1";
pub(super) const OTHER_APP: &str = "wxfedcba9876543210";
pub(super) const OTHER_SECRET: &str = "app-secret-2";

pub(super) struct Harness {
    pub dir: tempfile::TempDir,
    pub sandbox: Sandbox,
    pub cli: TestClient<Route>,
}

pub(super) fn open(dir: &Path) -> Sandbox {
    let config = SandboxConfig {
        data_dir: dir.to_path_buf(),
        public_url: "http://127.0.0.1:8080/".parse().unwrap(),
        official_account: None,
        phone_trial_quota: SandboxConfig::PHONE_TRIAL_QUOTA,
    };
    Sandbox::open(config).unwrap()
}

impl Harness {
    pub fn new() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let sandbox = open(dir.path());
        let cli = TestClient::new(sandbox.routes());
        Harness { dir, sandbox, cli }
    }

    pub fn advance(&self, seconds: u64) {
        self.sandbox
            .state
            .clock
            .advance(Duration::from_secs(seconds));
    }

    pub async fn stable_token(&self, app: &str, secret: &str, force_refresh: bool) -> Value {
        let body = json!({"grant_type": "client_credential", "appid": app, "secret": secret,
            "force_refresh": force_refresh});
        let resp = self
            .cli
            .post("/wechat/cgi-bin/stable_token")
            .body_json(&body)
            .send()
            .await;
        wechat_json(resp).await
    }

    /// A stable access token for `APP`.
    pub async fn token(&self) -> String {
        let reply = self.stable_token(APP, SECRET, false).await;
        reply["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn cgi_bin_token(&self, app: &str, secret: &str, grant_type: &str) -> Value {
        let resp = self
            .cli
            .get("/wechat/cgi-bin/token")
            .query("grant_type", &grant_type)
            .query("appid", &app)
            .query("secret", &secret)
            .send()
            .await;
        wechat_json(resp).await
    }

    pub async fn wxacode(&self, token: &str, body: impl Into<poem::Body>) -> TestResponse {
        self.cli
            .post("/wechat/wxa/getwxacodeunlimit")
            .query("access_token", &token)
            .content_type("application/json")
            .body(body)
            .send()
            .await
    }

    /// The errcode of a getwxacodeunlimit call with `body` (0 when it answered an image).
    pub async fn wxacode_errcode(&self, token: &str, body: Value) -> i64 {
        let resp = self.wxacode(token, body.to_string()).await;
        if resp.0.content_type() == Some("image/jpeg") {
            return 0;
        }
        errcode(&wechat_json(resp).await)
    }

    pub async fn new_user(&self) -> Value {
        let resp = self
            .cli
            .post("/api/users")
            .body_json(&json!({}))
            .send()
            .await;
        resp.assert_status(poem::http::StatusCode::CREATED);
        resp.json().await.value().deserialize()
    }

    pub async fn wx_login(&self, user: &str, app: Option<&str>) -> String {
        let resp = self
            .cli
            .post("/api/wx-login")
            .body_json(&json!({"user": user, "app_id": app}))
            .send()
            .await;
        resp.assert_status_is_ok();
        let body: Value = resp.json().await.value().deserialize();
        body["code"].as_str().unwrap().to_owned()
    }

    pub async fn jscode2session(&self, app: &str, secret: &str, code: &str) -> Value {
        let resp = self
            .cli
            .get("/wechat/sns/jscode2session")
            .query("appid", &app)
            .query("secret", &secret)
            .query("js_code", &code)
            .query("grant_type", &"authorization_code")
            .send()
            .await;
        wechat_json(resp).await
    }

    pub async fn stats(&self) -> Value {
        let resp = self.cli.get("/api/stats").send().await;
        resp.assert_status_is_ok();
        resp.json().await.value().deserialize()
    }
}

/// A WeChat JSON reply: HTTP 200, WeChat's content type; errors carry a well-formed rid.
pub(super) async fn wechat_json(resp: TestResponse) -> Value {
    resp.assert_status_is_ok();
    resp.assert_content_type("application/json; encoding=utf-8");
    let body: Value = resp.json().await.value().deserialize();
    if let Some(errmsg) = body.get("errmsg").and_then(Value::as_str) {
        let rid = errmsg.rsplit(" rid: ").next().unwrap();
        let parts: Vec<&str> = rid.split('-').collect();
        assert_eq!(parts.len(), 3, "errmsg {errmsg:?}");
        assert!(parts.iter().all(|p| p.len() == 8 && hex::decode(p).is_ok()));
    }
    body
}

/// The errcode of a reply, 0 when absent (success).
pub(super) fn errcode(body: &Value) -> i64 {
    body.get("errcode").and_then(Value::as_i64).unwrap_or(0)
}
