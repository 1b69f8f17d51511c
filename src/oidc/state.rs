//! What the provider keeps while a login goes on: the authorization request waiting for a
//! login, and a code's grant (where they are kept: `store.rs`).

use super::types::{ClientId, RedirectUri, Scopes};
use crate::ids::AppId;
use crate::scene::Provider;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The page's language (`ui_locales`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    #[serde(rename = "zh")]
    Zh,
    #[serde(rename = "en")]
    En,
}

/// A validated authorization request, waiting for a login on the hosted page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthRequest {
    pub client_id: ClientId,
    pub redirect_uri: RedirectUri,
    pub scopes: Scopes,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// S256 challenge.
    pub code_challenge: Option<String>,
    pub provider: Provider,
    pub lang: Lang,
}

/// Who logged in and how: what a code and a session both carry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Login {
    pub account_id: String,
    pub provider: Provider,
    pub app_id: AppId,
    /// Unix seconds.
    pub auth_time: i64,
    /// The SSO session it came from (the id_token's `sid`); absent in a code stored before
    /// sessions had one.
    #[serde(default)]
    pub sid: Option<String>,
}

/// An authorization code's grant: bound to its client, redirect URI and PKCE challenge.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeGrant {
    pub request: AuthRequest,
    pub login: Login,
}

pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}
