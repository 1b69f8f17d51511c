//! The login core: `Saoma` holds every part, built once by `app` from the config, turns WeChat
//! facts into scene transitions and completes every login (`complete_login`); the API layer
//! calls its methods.

mod admin;
mod admins;
mod avatar;
mod bearer;
mod client_login;
mod client_tokens;
mod cluster;
mod complete;
mod confirm;
mod error;
mod method;
mod once;
mod poll_token;
mod profile;
mod provision;
mod push_refusal;
mod scenes;
mod self_service;
mod sms_caps;
mod sms_verification;
mod sso;
mod throttle;
mod views;
mod watch;
mod webhooks;

pub use admin::{AdminAccount, AdminSessions, EventFilter, SessionView};
pub use admins::Admins;
pub use avatar::AvatarFormat;
pub(crate) use bearer::ensure_mini_program;
pub(crate) use client_login::random_token;
pub use client_login::{ClientLogin, ClientResume};
pub use cluster::{Cluster, ClusterState, KeyIds};
pub(crate) use complete::LoginOrigin;
pub use error::Error;
pub use method::{LoginMethod, Methods};
pub use poll_token::PollToken;
pub use push_refusal::{PushRefusal, TIMESTAMP_WINDOW_SECS};
pub use scenes::{BrowserCallback, NewScene};
pub use self_service::{AccountExport, ExportedEvent};
pub use sms_caps::{SmsCaps, SmsSettings};
pub use sms_verification::SmsSent;
pub(crate) use sms_verification::ensure_need_phone;
pub use sso::{SsoLogin, SsoSessionView};
pub(crate) use throttle::wxacode_key;
pub use views::{
    AccountView, CreatedScene, IdentityView, LoginResult, ProfileView, Qr, RequesterView,
    SceneView, TokenSet,
};
pub use views::{WxLogin, avatar_path};

use crate::accounts::{AccountStore, EventLog, Lifecycle, RefreshTokens, SsoSessions};
use crate::sms::SmsSender;
use crate::store::{Dedupe, Ephemeral, Notifier, RateLimiter, SceneStore};
use crate::tokens::Signer;
use crate::wechat::WeChatClient;
use std::sync::Arc;
use std::time::Duration;

/// How scenes behave, from `[limits]` and `[tokens]`.
#[derive(Debug, Clone)]
pub struct Settings {
    pub scene_ttl: Duration,
    /// How long a finished or expired scene is kept so that readers learn its fate (410, not 404).
    pub grace: Duration,
    /// The polling interval advertised to browsers, in seconds.
    pub interval_secs: u64,
    pub refresh_ttl: Duration,
    /// Whether poll-token cookies carry `Secure` (the public URL is https).
    pub secure_cookies: bool,
    /// Whether the embedded sandbox plays WeChat (the demo page then offers the phone simulator).
    pub sandbox: bool,
    /// `accounts.require_phone`: an identity whose account has no phone goes to `need_phone`.
    pub require_phone: bool,
    /// Whether the admin plane answers (a client may get admin tokens, or `[admin]` names
    /// people); else `/admin/*` is a 404.
    pub admin: bool,
    /// `[admin]`: the people who are admins.
    pub admins: Admins,
    pub sms: SmsSettings,
    /// `<public_url>/avatars/`: where filled-in avatars are served (WeChat fetches them there
    /// to check them).
    pub avatars_url: url::Url,
}

/// Every part a login needs, built once by `app` from the config.
pub struct Parts {
    pub scenes: Arc<dyn SceneStore>,
    pub notifier: Arc<dyn Notifier>,
    pub dedupe: Arc<dyn Dedupe>,
    pub limiter: Arc<dyn RateLimiter>,
    /// Single values with a TTL: the OpenID Provider's requests, codes and sessions.
    pub ephemeral: Arc<dyn Ephemeral>,
    pub accounts: Arc<dyn AccountStore>,
    pub refresh_tokens: Arc<dyn RefreshTokens>,
    /// Disable, enable, delete (the admin API, `DELETE /api/v1/me`).
    pub lifecycle: Arc<dyn Lifecycle>,
    /// What happened to accounts (the admin API reads it).
    pub events: Arc<dyn EventLog>,
    /// The OpenID Provider's single sign-on sessions.
    pub sso: Arc<dyn SsoSessions>,
    /// Where a confirmed OpenID client scene's login is handed (registered by `oidc`).
    pub client_resume: Arc<dyn ClientResume>,
    /// The webhook endpoints the admin API manages.
    pub webhooks: Arc<dyn crate::accounts::WebhookEndpoints>,
    /// `[webhook_delivery]`: the URL guard and the rotation overlap.
    pub webhook_settings: crate::webhooks::Settings,
    pub signer: Arc<Signer>,
    pub wechat: WeChatClient,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The login methods this server offers, keyed by provider.
    pub methods: Methods,
    pub settings: Settings,
    /// Sends the codes that verify phone numbers of `need_phone` scenes.
    pub sms: Arc<dyn SmsSender>,
    /// `[limits]`: rate rules, open-stream counts, trusted proxies.
    pub limits: Arc<crate::limits::Limits>,
    /// Whether the instances on this store share the database and the signing key.
    pub cluster: Arc<Cluster>,
    /// Tripped on SIGTERM: open SSE streams tell their browsers to reconnect elsewhere.
    pub shutdown: crate::shutdown::Shutdown,
}

/// The server's state: the parts, private to `login`. The layers above use it through its
/// methods, grouped by feature in the files of this module; the login methods (`methods`)
/// through its `pub(crate)` ones.
pub struct Saoma {
    parts: Parts,
}

impl From<Parts> for Saoma {
    fn from(parts: Parts) -> Saoma {
        Saoma { parts }
    }
}

impl Saoma {
    pub fn settings(&self) -> &Settings {
        &self.parts.settings
    }

    /// The signing key of access tokens (and of EdDSA id_tokens).
    pub fn signer(&self) -> &Signer {
        &self.parts.signer
    }

    /// Short-lived values with a TTL: the OpenID Provider keeps its requests, codes and
    /// sessions here.
    pub fn ephemeral(&self) -> &dyn Ephemeral {
        self.parts.ephemeral.as_ref()
    }

    /// An account by id; `None` when it no longer exists.
    pub async fn account(&self, id: &str) -> Result<Option<crate::accounts::Account>, Error> {
        Ok(self.parts.accounts.get(id).await?)
    }

    /// The account database, for a method's own writes (a phone WeChat vouches for).
    pub(crate) fn accounts(&self) -> &dyn AccountStore {
        self.parts.accounts.as_ref()
    }

    /// The WeChat client, for a method's own calls.
    pub(crate) fn wechat(&self) -> &WeChatClient {
        &self.parts.wechat
    }

    /// The metrics in Prometheus text format.
    pub fn render_metrics(&self) -> String {
        self.parts.metrics.render()
    }

    /// The client a request comes from: the TCP peer, or the client a trusted proxy forwards
    /// for (`limits.trusted_proxies`).
    pub fn client_ip<'a>(
        &self,
        peer: std::net::IpAddr,
        forwarded: impl Iterator<Item = &'a str>,
    ) -> std::net::IpAddr {
        self.parts.limits.proxies.client_ip(peer, forwarded)
    }

    pub fn jwks(&self) -> crate::tokens::Jwks {
        self.parts.signer.jwks()
    }

    /// Whether this instance agrees with its peers, looked at now (claims renewed).
    pub async fn cluster_state(&self) -> ClusterState {
        self.parts.cluster.check().await
    }

    /// Whether the ephemeral store and the database answer, each on its own.
    pub async fn readiness(&self) -> (bool, bool) {
        let (store, database) = tokio::join!(self.parts.scenes.ping(), self.parts.accounts.ping());
        if let Err(e) = &store {
            tracing::warn!(error = %crate::telemetry::chain(&e), "readiness: the store does not answer");
            self.parts.metrics.store_error("ephemeral");
        }
        if let Err(e) = &database {
            tracing::warn!(error = %crate::telemetry::chain(&e), "readiness: the database does not answer");
            self.parts.metrics.store_error("database");
        }
        (store.is_ok(), database.is_ok())
    }
}
