//! `[[webhooks]]` (where events are delivered) and `[webhook_delivery]` (how). Checked at
//! start by `webhooks::Settings::from_config`, which names the setting it refuses.

use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// One endpoint, exactly as in `[[webhooks]]`. A misspelt key stops the start.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// `https://...` (http only on loopback in sandbox mode, or with
    /// `webhook_delivery.allow_http`).
    pub url: String,
    /// `whsec_` + base64 (Standard Webhooks); or `secret_file`.
    #[serde(default, skip_serializing)]
    pub secret: Option<Secret>,
    #[serde(default)]
    pub secret_file: Option<PathBuf>,
    /// The event types to deliver (`account.created`, ...); absent: every type.
    #[serde(default)]
    pub events: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct WebhookDeliveryConfig {
    /// Deliver to `http://` URLs (default: https only, except loopback in sandbox mode).
    pub allow_http: bool,
    /// Deliver to private, loopback, link-local and other non-public addresses (default:
    /// refused, checked on the address connected to; loopback is allowed in sandbox mode).
    pub allow_private_networks: bool,
    /// One attempt's time limit.
    pub timeout_seconds: u64,
    /// After a secret changes (rotation through the admin API, or a new `secret` in
    /// `[[webhooks]]`), how long the previous one keeps signing next to it.
    pub rotation_overlap_seconds: u64,
}

impl Default for WebhookDeliveryConfig {
    fn default() -> Self {
        Self {
            allow_http: false,
            allow_private_networks: false,
            timeout_seconds: 10,
            rotation_overlap_seconds: 24 * 3600,
        }
    }
}
