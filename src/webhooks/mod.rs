//! Webhooks: events delivered to the endpoints of `[[webhooks]]` (and those created through the
//! admin API), signed the Standard Webhooks way, from the outbox that the event's own
//! transaction wrote (`accounts::outbox`), so none is lost. The same worker delivers the OpenID
//! clients' back-channel logout tokens (`backchannel.rs`). See `docs/webhooks.md`.

pub mod backchannel;
mod envelope;
mod openapi_doc;
pub use openapi_doc::add_events as add_event_schemas;
pub mod guard;
pub mod schedule;
pub mod signature;
mod worker;

pub use worker::Worker;

use crate::accounts::EndpointSpec;
use crate::accounts::backchannel::BackchannelSpec;
use crate::accounts::events::EventType;
use crate::config::Config;
use crate::secret::Secret;
use anyhow::Context;
use guard::Policy;
use signature::SigningSecret;
use std::time::Duration;

/// `[webhook_delivery]`, read once.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub policy: Policy,
    pub timeout: Duration,
    pub rotation_overlap: Duration,
}

impl Settings {
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let delivery = &config.webhook_delivery;
        anyhow::ensure!(
            (1..=60).contains(&delivery.timeout_seconds),
            "webhook_delivery.timeout_seconds must be between 1 and 60"
        );
        Ok(Self {
            policy: Policy {
                allow_http: delivery.allow_http,
                allow_private_networks: delivery.allow_private_networks,
                sandbox: config.sandbox_enabled(),
            },
            timeout: Duration::from_secs(delivery.timeout_seconds),
            rotation_overlap: Duration::from_secs(delivery.rotation_overlap_seconds),
        })
    }
}

/// `[[webhooks]]`, checked: each refusal names the setting.
pub fn configured_endpoints(config: &Config, policy: Policy) -> anyhow::Result<Vec<EndpointSpec>> {
    let mut endpoints: Vec<EndpointSpec> = Vec::new();
    for (n, hook) in config.webhooks.iter().enumerate() {
        let at = format!("webhooks[{n}]");
        policy
            .check_url(&hook.url)
            .map_err(|e| anyhow::anyhow!("{at}.url {e}"))?;
        if let Some(first) = endpoints.iter().position(|e| e.url == hook.url) {
            anyhow::bail!("{at}.url is the URL of webhooks[{first}] already");
        }
        let secret = match (&hook.secret, &hook.secret_file) {
            (Some(_), Some(_)) => anyhow::bail!("{at}: set secret or secret_file, not both"),
            (Some(secret), None) => (secret.expose().to_string(), format!("{at}.secret")),
            (None, Some(path)) => (
                std::fs::read_to_string(path)
                    .with_context(|| format!("reading {at}.secret_file {}", path.display()))?,
                format!("{at}.secret_file"),
            ),
            (None, None) => anyhow::bail!(
                "{at}.secret is not set (a Standard Webhooks secret, whsec_ + base64; or \
                 {at}.secret_file)"
            ),
        };
        let (secret, setting) = secret;
        let secret = SigningSecret::parse(&secret).map_err(|e| anyhow::anyhow!("{setting} {e}"))?;
        if let Some(events) = &hook.events {
            anyhow::ensure!(
                !events.is_empty(),
                "{at}.events is empty: it would receive nothing (leave it out for every event)"
            );
            if let Some(unknown) = events.iter().find(|e| EventType::parse(e).is_none()) {
                let known: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
                anyhow::bail!(
                    "{at}.events names an unknown event type {unknown:?} (known: {})",
                    known.join(", ")
                );
            }
        }
        endpoints.push(EndpointSpec {
            url: hook.url.clone(),
            secret: Secret::new(secret.expose()),
            events: hook.events.clone(),
        });
    }
    Ok(endpoints)
}

/// The `backchannel_logout_uri` of each `[[oidc.clients]]` entry, checked like a webhook URL
/// (and without a fragment, Back-Channel Logout 1.0 section 2.2); each refusal names the setting.
pub fn backchannel_endpoints(
    config: &Config,
    policy: Policy,
) -> anyhow::Result<Vec<BackchannelSpec>> {
    let mut endpoints = Vec::new();
    for (n, client) in config.oidc.clients.iter().enumerate() {
        let at = format!("oidc.clients[{n}]");
        let Some(uri) = &client.backchannel_logout_uri else {
            anyhow::ensure!(
                !client.backchannel_logout_session_required,
                "{at}.backchannel_logout_session_required needs a backchannel_logout_uri"
            );
            continue;
        };
        let url = policy
            .check_url(uri)
            .map_err(|e| anyhow::anyhow!("{at}.backchannel_logout_uri {e}"))?;
        anyhow::ensure!(
            url.fragment().is_none() && !uri.contains('#'),
            "{at}.backchannel_logout_uri must not have a fragment (#...)"
        );
        endpoints.push(BackchannelSpec {
            client_id: client.client_id.clone(),
            url: uri.clone(),
        });
    }
    Ok(endpoints)
}
