//! The parts `Application::build` assembles: the store the config names, where
//! WeChat (or the embedded sandbox) is, and the metrics endpoint.

use super::SWEEP_EVERY;
use crate::config::{CallbackMode, Config, OfficialAccountSettings, StoreKind};
use crate::login::Saoma;
use crate::store::{MemoryStore, RedisStore, Stores};
use anyhow::Context;
use saoma_sandbox::{Sandbox, SandboxConfig, SandboxOfficialAccount};
use std::net::SocketAddr;
use std::sync::Arc;

/// This instance over loopback, even when it listens on every address: the embedded sandbox
/// and Saoma reach each other this way whatever the public URL is.
fn loopback(local_addr: SocketAddr) -> SocketAddr {
    let mut loopback = local_addr;
    if loopback.ip().is_unspecified() {
        loopback.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    loopback
}

/// `GET /metrics`: Prometheus text format.
#[poem::handler]
pub(super) fn render_metrics(saoma: poem::web::Data<&Arc<Saoma>>) -> poem::Response {
    poem::Response::builder()
        .content_type("text/plain; version=0.0.4")
        .body(saoma.render_metrics())
}

/// The ephemeral store the config names: memory (one process) or Redis (many instances).
pub(super) fn open_store(config: &Config) -> anyhow::Result<Stores> {
    match config.store {
        StoreKind::Memory => {
            let store = MemoryStore::new();
            store.spawn_sweeper(SWEEP_EVERY);
            Ok(Stores::all(store))
        }
        StoreKind::Redis => {
            let url = config
                .redis_url
                .as_deref()
                .context("store = \"redis\" needs redis_url (SAOMA_REDIS_URL)")?;
            let store = RedisStore::open(url).context("opening the Redis store")?;
            tracing::info!(
                cluster = url.starts_with("redis+cluster://"),
                "ephemeral store: redis"
            );
            Ok(Stores::all(store))
        }
    }
}

/// The embedded sandbox is reached over loopback even when the public URL is elsewhere.
pub(super) fn wechat_api_base(
    config: &Config,
    sandboxed: bool,
    local_addr: SocketAddr,
) -> anyhow::Result<url::Url> {
    if let Some(base) = &config.wechat.api_base {
        return Ok(base.clone());
    }
    let url = if sandboxed {
        format!("http://{}/sandbox/wechat", loopback(local_addr))
    } else {
        "https://api.weixin.qq.com".to_string()
    };
    Ok(url::Url::parse(&url)?)
}

/// The embedded sandbox, when it plays WeChat (`sandbox = true`, or nothing real configured:
/// then every start says so).
pub(super) fn open_sandbox(
    config: &Config,
    public_url: &url::Url,
    official_account: Option<&OfficialAccountSettings>,
    local_addr: SocketAddr,
) -> anyhow::Result<Option<Sandbox>> {
    if let Some(reason) = config.sandbox_reason() {
        tracing::warn!(
            reason = reason.describe(),
            "SANDBOX MODE: WeChat is Saoma's embedded fake, logins prove nothing; \
             never serve real users like this"
        );
    }
    if !config.sandbox_enabled() {
        return Ok(None);
    }
    Ok(Some(Sandbox::open(SandboxConfig {
        data_dir: config.data_dir.clone(),
        public_url: public_url.clone(),
        official_account: official_account
            .map(|oa| sandbox_official_account(oa, local_addr))
            .transpose()?,
        phone_trial_quota: config.wechat.sandbox_phone_trial_quota,
    })?))
}

/// The embedded sandbox pushes the official account's events to this instance over loopback.
fn sandbox_official_account(
    oa: &OfficialAccountSettings,
    local_addr: SocketAddr,
) -> anyhow::Result<SandboxOfficialAccount> {
    let loopback = loopback(local_addr);
    Ok(SandboxOfficialAccount {
        app_id: oa.app_id.to_string(),
        callback_url: url::Url::parse(&format!(
            "http://{loopback}/api/v1/official-account/callback"
        ))?,
        token: saoma_sandbox::Secret::new(oa.token.expose()),
        encoding_aes_key: oa
            .encoding_aes_key
            .as_ref()
            .map(|key| saoma_sandbox::Secret::new(key.expose())),
        mode: match oa.mode {
            CallbackMode::Plain => saoma_sandbox::CallbackMode::Plain,
            CallbackMode::Compatible => saoma_sandbox::CallbackMode::Compatible,
            CallbackMode::Safe => saoma_sandbox::CallbackMode::Safe,
        },
        push_timeout: SandboxOfficialAccount::PUSH_TIMEOUT,
    })
}
