//! Two Saoma instances on one Redis (or Redis Cluster), both using one standalone sandbox as
//! WeChat and sharing one data directory (the account database and the signing key), as
//! several replicas behind a load balancer would.

use crate::support::helpers::{TestApp, spawn_app_with};
use saoma::config::{Config, StoreKind};
use saoma::ids::AppId;
use saoma::secret::Secret;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::time::{Duration, Instant};

pub const APP_ID: &str = "wxtwoinstances01";

pub struct Pair {
    pub a: TestApp,
    pub b: TestApp,
    /// The standalone sandbox: users, wx.login codes and call stats.
    pub sandbox: TestApp,
    _shared: tempfile::TempDir,
}

pub async fn spawn_pair(redis_url: &str) -> Pair {
    spawn_pair_with(redis_url, |_| {}).await
}

/// [`spawn_pair`], with more settings for both instances (the same for each).
pub async fn spawn_pair_with(redis_url: &str, configure: impl Fn(&mut Config)) -> Pair {
    let shared = tempfile::tempdir().unwrap();
    let sandbox = spawn_sandbox(&shared.path().join("sandbox")).await;
    let a = spawn_instance(redis_url, &sandbox.base, shared.path(), &configure).await;
    let b = spawn_instance(redis_url, &sandbox.base, shared.path(), &configure).await;
    Pair {
        a,
        b,
        sandbox,
        _shared: shared,
    }
}

impl Pair {
    /// The phone's whole part, on B: scan, wx.login, confirm.
    pub async fn phone_confirms(&self, scene: &str) {
        let user = self.sandbox.new_user("手机").await;
        assert_eq!(self.b.scan(scene).await.status(), 200);
        let code = self.sandbox.wx_login(&user).await;
        assert_eq!(
            self.b.mp_login(&code, Some(scene), true).await.status(),
            200
        );
    }
}

/// `saoma sandbox` in-process on its own port.
async fn spawn_sandbox(data_dir: &Path) -> TestApp {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = SocketAddr::from(([127, 0, 0, 1], port));
    tokio::spawn(saoma_sandbox::serve_standalone(
        listen,
        data_dir.to_path_buf(),
        None,
        std::future::pending(),
    ));
    let sandbox = TestApp::at(&format!("http://{listen}"));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let up = sandbox.http.get(sandbox.url("/sandbox/api/stats")).send();
        if up.await.is_ok_and(|r| r.status().is_success()) {
            return sandbox;
        }
        assert!(
            Instant::now() < deadline,
            "the standalone sandbox never came up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn spawn_instance(
    redis_url: &str,
    sandbox: &str,
    data_dir: &Path,
    configure: &impl Fn(&mut Config),
) -> TestApp {
    spawn_app_with(|c| {
        c.store = StoreKind::Redis;
        c.redis_url = Some(redis_url.to_string());
        c.data_dir = data_dir.to_path_buf();
        c.sandbox = Some(false);
        c.wechat.api_base = Some(format!("{sandbox}/sandbox/wechat").parse().unwrap());
        c.mini_program.app_id = Some(AppId::parse(APP_ID).unwrap());
        c.mini_program.app_secret = Some(Secret::new("two-instances-secret"));
        // Behind one load balancer every instance has one public URL, so one token issuer.
        c.tokens.issuer = Some("http://saoma.test".into());
        configure(c);
    })
    .await
}

/// Wait until `/readyz` answers 200 (bounded).
pub async fn wait_ready(app: &TestApp, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let res = app.http.get(app.url("/readyz")).send().await.unwrap();
        if res.status() == 200 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "not ready again within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
