//! The website-login calls against the sandbox itself (served on port 0): the client and the
//! fake platform must agree on docs/wechat.md section 7.

use crate::ids::{AppId, OpenId};
use crate::secret::Secret;
use crate::store::MemoryStore;
use crate::wechat::{AppCredentials, WeChatClient};
use poem::listener::TcpAcceptor;
use poem::{Route, Server};
use saoma_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const USER_TOKEN_LEAK: &str = "DO-NOT-LEAK";

struct Platform {
    base: String,
    http: reqwest::Client,
    client: WeChatClient,
    app: AppCredentials,
    _dir: tempfile::TempDir,
}

impl Platform {
    async fn start() -> Platform {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let sandbox = Sandbox::open(SandboxConfig {
            data_dir: dir.path().to_path_buf(),
            public_url: format!("{base}/").parse().unwrap(),
            official_account: None,
            phone_trial_quota: SandboxConfig::PHONE_TRIAL_QUOTA,
        })
        .unwrap();
        let app = Route::new().nest("/sandbox", sandbox.routes());
        let acceptor = TcpAcceptor::from_tokio(listener).unwrap();
        tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
        let api_base = format!("{base}/sandbox/wechat").parse().unwrap();
        let client = WeChatClient::new(
            api_base,
            Duration::from_secs(5),
            Arc::new(MemoryStore::new()),
        )
        .unwrap();
        Platform {
            base,
            http: reqwest::Client::new(),
            client,
            app: AppCredentials {
                app_id: AppId::parse("wxwebsitetest01").unwrap(),
                secret: Secret::new("website-secret-DO-NOT-LEAK"),
            },
            _dir: dir,
        }
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let url = format!("{}/sandbox/api/{path}", self.base);
        let res = self.http.post(url).json(&body).send().await.unwrap();
        assert!(res.status().is_success());
        res.json().await.unwrap()
    }

    /// A user approves a QR page: (the user, the code WeChat hands the callback).
    async fn code(&self, state: &str) -> (Value, String) {
        let user = self.post("users", json!({"nickname": "客户端"})).await;
        let qr = format!("{}/sandbox/wechat/connect/qrconnect", self.base);
        let query = [
            ("appid", self.app.app_id.as_str()),
            ("redirect_uri", "https://site.example/cb"),
            ("response_type", "code"),
            ("scope", "snsapi_login"),
            ("state", state),
        ];
        let res = self.http.get(qr).query(&query).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let body = json!({"user": user["id"], "state": state});
        let approved = self.post("website/approve", body).await;
        let redirect = url::Url::parse(approved["redirect"].as_str().unwrap()).unwrap();
        let (_, code) = redirect.query_pairs().find(|(k, _)| k == "code").unwrap();
        (user, code.into_owned())
    }
}

#[tokio::test]
async fn code_exchange_userinfo_auth_and_refresh() {
    let p = Platform::start().await;
    // The sandbox registers the app with the first secret it sees.
    let (user, code) = p.code("client-1").await;
    let grant = p.client.oauth2_access_token(&p.app, &code).await.unwrap();
    assert_eq!(grant.expires_in, 7200);
    assert_eq!(grant.scope, "snsapi_login");
    assert_eq!(
        grant.unionid.as_ref().map(|u| u.as_str()),
        user["unionid"].as_str()
    );
    let debug = format!("{grant:?}");
    assert!(!debug.contains(grant.access_token.expose()), "{debug}");
    assert!(!debug.contains(grant.refresh_token.expose()), "{debug}");

    let info = p
        .client
        .userinfo(&p.app.app_id, &grant.access_token, &grant.openid)
        .await
        .unwrap();
    assert_eq!(info.openid, grant.openid);
    assert_eq!(info.nickname, "客户端");
    assert_eq!(info.unionid, grant.unionid);
    assert!(info.headimgurl.starts_with(&p.base));
    assert!(info.privilege.is_empty());

    let id = &p.app.app_id;
    p.client
        .sns_auth(id, &grant.access_token, &grant.openid)
        .await
        .unwrap();
    let stranger = OpenId::parse("oSomeoneElse").unwrap();
    let err = p
        .client
        .sns_auth(id, &grant.access_token, &stranger)
        .await
        .unwrap_err();
    assert_eq!(err.errcode(), Some(40003));

    let renewed = p
        .client
        .oauth2_refresh_token(id, &grant.refresh_token)
        .await
        .unwrap();
    assert_eq!(renewed.openid, grant.openid);
    assert_ne!(renewed.access_token, grant.access_token);
    let bogus = Secret::new(USER_TOKEN_LEAK);
    let err = p.client.oauth2_refresh_token(id, &bogus).await.unwrap_err();
    assert_eq!(err.errcode(), Some(40030));
    assert!(!format!("{err} {err:?}").contains(USER_TOKEN_LEAK));
}

#[tokio::test]
async fn a_reused_or_unknown_code_is_an_api_error_never_retried() {
    let p = Platform::start().await;
    let (_, code) = p.code("client-2").await;
    p.client.oauth2_access_token(&p.app, &code).await.unwrap();
    let err = p
        .client
        .oauth2_access_token(&p.app, &code)
        .await
        .unwrap_err();
    assert_eq!(err.errcode(), Some(40163));
    let err = p
        .client
        .oauth2_access_token(&p.app, "made-up")
        .await
        .unwrap_err();
    assert_eq!(err.errcode(), Some(40029));
    let text = format!("{err} {err:?}");
    assert!(!text.contains(p.app.secret.expose()), "{text}");
    let stats: Value = p
        .http
        .get(format!("{}/sandbox/api/stats", p.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        stats["calls"]["sns/oauth2/access_token"][p.app.app_id.as_str()],
        3
    );
}
