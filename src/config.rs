//! Typed configuration: defaults < `saoma.toml` (or `--config FILE`) < `SAOMA_*` environment
//! (`SAOMA_SECTION__KEY` for nested keys). Secrets may come from files (`..._FILE`).

use crate::ids::AppId;
use crate::secret::Secret;
use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod website;
pub use website::{SANDBOX_WEBSITE_APP_ID, WebsiteConfig};
mod official_account;
pub use official_account::{
    CallbackMode, OfficialAccountConfig, OfficialAccountSettings, SANDBOX_CALLBACK_TOKEN,
    SANDBOX_ENCODING_AES_KEY, SANDBOX_OFFICIAL_ACCOUNT_APP_ID,
};
mod accounts;
mod admin;
mod in_wechat;
pub use in_wechat::{InWechatConfig, MobileAppConfig, SANDBOX_MOBILE_APP_ID};
mod keys;
mod limits;
mod mode;
mod oidc;
mod webhooks;
pub use accounts::{
    AccountsConfig, SignUp, SmsConfig, SmsProvider, TencentSmsConfig, UnfollowPolicy,
};
pub use admin::AdminConfig;
pub use limits::LimitsConfig;
pub use mode::SandboxReason;
pub use oidc::{OidcClientConfig, OidcConfig};
pub use webhooks::{WebhookConfig, WebhookDeliveryConfig};

/// The app id the embedded sandbox plays when no real mini-program is configured.
pub const SANDBOX_MINI_PROGRAM_APP_ID: &str = "wxsaomasandbox0001";
const SANDBOX_SECRET: &str = "saoma-sandbox-secret";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    #[default]
    Memory,
    Redis,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    pub listen: SocketAddr,
    /// How browsers and WeChat reach this instance; default `http://<listen>/`.
    pub public_url: Option<url::Url>,
    pub data_dir: PathBuf,
    pub store: StoreKind,
    /// With `store = "redis"`: `redis://[user:password@]host:port[/db]` for one server, or
    /// `redis+cluster://[user:password@]host1:port1,host2:port2,...` for a Redis Cluster (the
    /// hosts are seeds; the rest of the cluster is discovered from them).
    pub redis_url: Option<String>,
    /// `sqlite:...` or `postgres://...`; default a SQLite file in the data directory.
    pub database_url: Option<String>,
    /// Run against the embedded sandbox; default: on only when nothing real is configured (no
    /// WeChat credential, the embedded SQLite database). See `mode.rs`.
    pub sandbox: Option<bool>,
    pub wechat: WeChatConfig,
    pub mini_program: MiniProgramConfig,
    pub website: WebsiteConfig,
    pub official_account: OfficialAccountConfig,
    /// Login inside WeChat's browser through the official account's web authorization.
    pub in_wechat: InWechatConfig,
    /// The open platform's mobile app (native iOS/Android login with WeChat's SDK).
    pub mobile_app: MobileAppConfig,
    pub accounts: AccountsConfig,
    /// `[admin]`: who is an admin (the console at `/admin/`).
    pub admin: AdminConfig,
    pub tokens: TokensConfig,
    pub limits: LimitsConfig,
    pub log: LogConfig,
    pub web: WebConfig,
    pub sms: SmsConfig,
    /// The OpenID Provider: clients and id_token keys.
    pub oidc: OidcConfig,
    /// `[[webhooks]]`: where events are delivered (Standard Webhooks).
    pub webhooks: Vec<WebhookConfig>,
    /// How webhooks are delivered: the address guard and the time limit.
    pub webhook_delivery: WebhookDeliveryConfig,
    /// On SIGTERM: how long in-flight requests get to finish before the process exits anyway
    /// (SSE streams are told to reconnect elsewhere at once).
    pub shutdown_grace_seconds: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct WeChatConfig {
    /// Default: the embedded sandbox in sandbox mode, else https://api.weixin.qq.com.
    pub api_base: Option<url::Url>,
    pub timeout_ms: u64,
    /// In sandbox mode: the getPhoneNumber trial calls the fake platform starts with (WeChat's
    /// 1,000; 0 starts spent, so that the button answers errno 1400001).
    pub sandbox_phone_trial_quota: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct MiniProgramConfig {
    pub app_id: Option<AppId>,
    pub app_secret: Option<Secret>,
    pub app_secret_file: Option<PathBuf>,
    pub page: String,
    pub env_version: String,
    pub check_path: bool,
    pub width: u32,
    /// Codes drawn ahead of time for scenes Saoma picks (0: off). See `methods::mini_program`'s code pool.
    pub pool_size: usize,
    /// Pooled codes older than this are dropped unused.
    pub pool_max_age_seconds: u64,
    /// The pool's share of getwxacodeunlimit's 5,000-a-minute quota.
    pub pool_refill_per_minute: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct TokensConfig {
    pub access_ttl_seconds: u64,
    pub refresh_ttl_seconds: u64,
    /// PKCS#8 PEM Ed25519 key; default `<data_dir>/signing_key.pem`, generated on first start.
    pub signing_key_file: Option<PathBuf>,
    /// Further Ed25519 keys published in the JWKS and accepted when verifying, without signing:
    /// the next key before it signs, the previous one until its last token has expired.
    pub published_key_files: Vec<PathBuf>,
    /// Default: the public URL.
    pub issuer: Option<String>,
    pub audience: String,
}

/// The demo page and the browser SDK.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct WebConfig {
    /// Origins (`https://app.example.com`) whose pages may call the API with the SDK:
    /// CORS with credentials, for these origins only.
    pub cors_origins: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: String,
    /// A tracing filter such as `info,saoma=debug`; `RUST_LOG` wins when set.
    pub filter: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            data_dir: PathBuf::from("data"),
            store: StoreKind::Memory,
            redis_url: None,
            database_url: None,
            sandbox: None,
            wechat: WeChatConfig::default(),
            mini_program: MiniProgramConfig::default(),
            website: WebsiteConfig::default(),
            official_account: OfficialAccountConfig::default(),
            in_wechat: InWechatConfig::default(),
            mobile_app: MobileAppConfig::default(),
            accounts: AccountsConfig::default(),
            admin: AdminConfig::default(),
            tokens: TokensConfig::default(),
            limits: LimitsConfig::default(),
            log: LogConfig::default(),
            web: WebConfig::default(),
            sms: SmsConfig::default(),
            oidc: OidcConfig::default(),
            webhooks: Vec::new(),
            webhook_delivery: WebhookDeliveryConfig::default(),
            shutdown_grace_seconds: 10,
        }
    }
}

impl Default for WeChatConfig {
    fn default() -> Self {
        Self {
            api_base: None,
            timeout_ms: 5_000,
            sandbox_phone_trial_quota: saoma_sandbox::SandboxConfig::PHONE_TRIAL_QUOTA,
        }
    }
}

impl Default for MiniProgramConfig {
    fn default() -> Self {
        Self {
            app_id: None,
            app_secret: None,
            app_secret_file: None,
            page: "pages/login/login".into(),
            env_version: "release".into(),
            check_path: true,
            width: 430,
            pool_size: 0,
            pool_max_age_seconds: 3600,
            pool_refill_per_minute: 1000,
        }
    }
}

impl Default for TokensConfig {
    fn default() -> Self {
        Self {
            access_ttl_seconds: 900,
            refresh_ttl_seconds: 30 * 24 * 3600,
            signing_key_file: None,
            published_key_files: Vec::new(),
            issuer: None,
            audience: "saoma".into(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: "text".into(),
            filter: "info".into(),
        }
    }
}

impl Config {
    /// Defaults, then the config file (`file`, else `./saoma.toml` when it exists), then the
    /// environment (`SAOMA_LISTEN`, `SAOMA_MINI_PROGRAM__APP_ID`, ...).
    /// Unknown keys and variables stop the start (see `keys.rs`).
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        Self::load_from(file, "SAOMA_")
    }

    fn load_from(file: Option<&Path>, env_prefix: &str) -> anyhow::Result<Config> {
        let path = match file {
            Some(path) => {
                anyhow::ensure!(path.exists(), "config file {} not found", path.display());
                path
            }
            None => Path::new("saoma.toml"),
        };
        let toml = Toml::file(path);
        let env = Env::prefixed(env_prefix).split("__");
        keys::check(Some((path, &toml)), &env, env_prefix)?;
        let mut config: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(toml)
            .merge(env)
            .extract()
            .context("reading the configuration")?;
        config.read_secret_files()?;
        Ok(config)
    }

    fn read_secret_files(&mut self) -> anyhow::Result<()> {
        if let Some(path) = &self.mini_program.app_secret_file {
            let secret = std::fs::read_to_string(path).with_context(|| {
                format!("reading mini_program.app_secret_file {}", path.display())
            })?;
            self.mini_program.app_secret = Some(Secret::new(secret.trim()));
        }
        if let Some(path) = &self.website.app_secret_file {
            let secret = std::fs::read_to_string(path)
                .with_context(|| format!("reading website.app_secret_file {}", path.display()))?;
            self.website.app_secret = Some(Secret::new(secret.trim()));
        }
        self.read_official_account_secret_file()?;
        self.read_mobile_app_secret_file()?;
        if let Some(path) = &self.sms.tencent.secret_key_file {
            let secret = std::fs::read_to_string(path).with_context(|| {
                format!("reading sms.tencent.secret_key_file {}", path.display())
            })?;
            self.sms.tencent.secret_key = Some(Secret::new(secret.trim()));
        }
        Ok(())
    }

    /// The mini-program's credentials: the configured ones, or the sandbox's in sandbox mode.
    pub fn mini_program_credentials(&self) -> Option<(AppId, Secret)> {
        match (&self.mini_program.app_id, &self.mini_program.app_secret) {
            (Some(id), Some(secret)) if !secret.is_empty() => Some((id.clone(), secret.clone())),
            _ if self.sandbox_enabled() => Some((
                AppId::parse(SANDBOX_MINI_PROGRAM_APP_ID).ok()?,
                Secret::new(SANDBOX_SECRET),
            )),
            _ => None,
        }
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("saoma.db").display()))
    }

    pub fn signing_key_file(&self) -> PathBuf {
        self.tokens
            .signing_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("signing_key.pem"))
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's own error type
mod tests;
