//! `saoma sandbox`: the fake platform alone, for several Saoma instances or a load test.

use super::{CallbackMode, Sandbox, SandboxConfig, SandboxOfficialAccount};
use crate::secret::Secret;
use anyhow::Context;
use poem::listener::TcpListener;
use poem::{EndpointExt, Route, Server};
use std::net::SocketAddr;
use std::path::PathBuf;

/// The official account the sandbox plays when run alone; a Saoma instance in sandbox mode
/// expects these by default (its config takes them from here).
pub const OFFICIAL_ACCOUNT_APP_ID: &str = "wxsaomasandbox0002";
/// The sandbox account's callback token.
pub const CALLBACK_TOKEN: &str = "saomasandboxtoken";
/// The sandbox account's EncodingAESKey (43 base64 characters).
pub const ENCODING_AES_KEY: &str = "SaomaSandboxEncodingAESKey0123456789abcdefg";

/// Serve `/sandbox/...` on `listen` until `stop` resolves (the binary passes SIGTERM or Ctrl-C:
/// as a container's first process, nothing else would end it). Saoma instances use
/// `http://<listen>/sandbox/wechat` as `wechat.api_base`; codes point phones at `public_url`
/// (a Saoma instance).
pub async fn serve_standalone(
    listen: SocketAddr,
    data_dir: PathBuf,
    public_url: Option<url::Url>,
    stop: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let public_url = match public_url {
        Some(url) => url,
        None => url::Url::parse(&format!("http://{listen}/"))?,
    };
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let official_account = SandboxOfficialAccount::standalone(&public_url)?;
    let sandbox = Sandbox::open(SandboxConfig {
        data_dir,
        public_url,
        official_account: Some(official_account),
        phone_trial_quota: SandboxConfig::PHONE_TRIAL_QUOTA,
    })?;
    let app = Route::new()
        .at("/healthz", poem::get(healthz))
        .nest("/sandbox", sandbox.routes())
        .around(crate::access_log::access_log);
    println!("Saoma sandbox (fake WeChat) at http://{listen}/sandbox/wechat");
    Server::new(TcpListener::bind(listen))
        .run_with_graceful_shutdown(app, stop, Some(STOP_GRACE))
        .await
        .context("serving the sandbox")
}

/// How long requests in flight get once `stop` resolves.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Liveness, as Saoma answers it: an orchestrator can tell the sandbox is up.
#[poem::handler]
fn healthz() -> poem::web::Json<serde_json::Value> {
    poem::web::Json(serde_json::json!({"status": "ok"}))
}

impl SandboxOfficialAccount {
    /// The sandbox's own official account, pushing to `<public_url>api/v1/official-account/callback`
    /// in safe mode (what a Saoma instance in sandbox mode expects by default).
    pub fn standalone(public_url: &url::Url) -> anyhow::Result<SandboxOfficialAccount> {
        let mut base = public_url.clone();
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        Ok(SandboxOfficialAccount {
            app_id: OFFICIAL_ACCOUNT_APP_ID.to_owned(),
            callback_url: base
                .join("api/v1/official-account/callback")
                .context("building the callback URL from the public URL")?,
            token: Secret::new(CALLBACK_TOKEN),
            encoding_aes_key: Some(Secret::new(ENCODING_AES_KEY)),
            mode: CallbackMode::Safe,
            push_timeout: SandboxOfficialAccount::PUSH_TIMEOUT,
        })
    }
}
