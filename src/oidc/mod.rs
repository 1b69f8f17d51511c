//! The OpenID Provider: any app that speaks OpenID Connect gets WeChat scan login with no code
//! of its own. Discovery, the authorization endpoint with Saoma's hosted login page, the token,
//! userinfo, revocation and end-session endpoints, an SSO session cookie. Logins themselves go
//! through the login core (a scene bound to the authorization request); this module only speaks
//! OAuth. See docs/oidc.md.

mod api;
mod authorize;
mod backchannel;
mod browser_answers;
mod browser_api;
mod claims;
mod client_auth;
mod clients;
mod console_client;
mod discovery;
mod error;
mod examples;
mod http_layer;
mod id_token;
mod login_page;
mod login_scene;
mod logout;
mod logout_confirm;
mod oauth_answer;
mod oauth_doc;
mod request;
mod resume;
mod server;
mod session;
mod state;
mod store;
mod token_body;
mod token_endpoint;
mod token_request;
mod types;
mod userinfo;

pub use api::OidcApi;
pub use browser_api::OidcBrowserApi;

/// The browser's endpoints outside the OpenAPI document (the hosted login page and its
/// resume), mounted by the route table (`app/routes.rs`).
pub(crate) mod browser {
    pub(crate) use super::login_page::{page, script};
    pub(crate) use super::login_scene::create_scene as login_scene;
    pub(crate) use super::logout_confirm::confirm as logout_confirm;
    pub(crate) use super::resume::{abort, resume};
}
pub use console_client::CONSOLE_CLIENT_ID;
pub use server::Oidc;
pub use store::OidcResume;

use crate::config::Config;
use crate::login::Saoma;
use crate::tokens::RsaKey;
use anyhow::Context;
use clients::Clients;
use std::sync::Arc;
use std::time::Duration;

impl Oidc {
    /// The provider from `[oidc]`, or `None` when no client is configured. With the admin
    /// plane on, the console's client is registered too (so the provider is on). An invalid
    /// client list or key stops the start.
    pub fn from_config(
        config: &Config,
        saoma: Arc<Saoma>,
        issuer: String,
        public_url: &url::Url,
    ) -> anyhow::Result<Option<Arc<Oidc>>> {
        let mut clients = Clients::from_config(&config.oidc)?;
        if saoma.settings().admin {
            clients.register(console_client::console_client(public_url));
        }
        if clients.is_empty() {
            return Ok(None);
        }
        let key_file = config
            .oidc
            .signing_key_file
            .clone()
            .unwrap_or_else(|| config.data_dir.join("oidc_rsa_key.pem"));
        let rsa = RsaKey::load_or_generate(&key_file, config.oidc.signing_key_file.is_none())
            .context("loading the id_token signing key (oidc.signing_key_file)")?;
        let mut published: Vec<RsaKey> = Vec::new();
        for path in &config.oidc.published_key_files {
            let key = RsaKey::load_or_generate(path, false)
                .with_context(|| format!("oidc.published_key_files: {}", path.display()))?;
            // The signing key listed again (mid-rotation) is published once.
            if key.kid() != rsa.kid() && published.iter().all(|p| p.kid() != key.kid()) {
                published.push(key);
            }
        }
        let secure_cookies = saoma.settings().secure_cookies;
        let request_ttl = saoma.settings().scene_ttl + Duration::from_secs(300);
        Ok(Some(Arc::new(Oidc {
            saoma,
            clients,
            issuer,
            rsa,
            published,
            id_token_ttl: Duration::from_secs(config.oidc.id_token_ttl_seconds.max(1)),
            session_ttl: Duration::from_secs(config.oidc.session_ttl_seconds.max(1)),
            code_ttl: Duration::from_secs(config.oidc.code_ttl_seconds.clamp(1, 60)),
            request_ttl,
            secure_cookies,
        })))
    }
}
