//! `saoma sandbox`: the fake platform alone, for several Saoma instances or a load test.

use super::{Sandbox, SandboxConfig};
use anyhow::Context;
use poem::listener::TcpListener;
use poem::{EndpointExt, Route, Server};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Serve `/sandbox/...` on `listen`. Saoma instances use `http://<listen>/sandbox/wechat` as
/// `wechat.api_base`; codes point phones at `public_url` (a Saoma instance).
pub async fn serve_standalone(
    listen: SocketAddr,
    data_dir: PathBuf,
    public_url: Option<url::Url>,
) -> anyhow::Result<()> {
    let public_url = match public_url {
        Some(url) => url,
        None => url::Url::parse(&format!("http://{listen}/"))?,
    };
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let sandbox = Sandbox::open(SandboxConfig {
        data_dir,
        public_url,
    })?;
    let app = Route::new()
        .nest("/sandbox", sandbox.routes())
        .around(crate::api::access_log);
    println!("Saoma sandbox (fake WeChat) at http://{listen}/sandbox/wechat");
    Server::new(TcpListener::bind(listen))
        .run(app)
        .await
        .context("serving the sandbox")
}
