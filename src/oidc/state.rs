//! What the provider keeps in the ephemeral store: authorization requests waiting for a login,
//! codes and used-code markers (sign-on sessions are in SQL: `session.rs`). Keys of secrets are
//! their SHA-256 hashes.

use super::Oidc;
use super::error::OAuthError;
use super::types::{AuthCode, ClientId, RedirectUri, Scopes};
use crate::ids::AppId;
use crate::scene::Provider;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::time::Duration;

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

pub fn request_key(id: &str) -> String {
    format!("oidc:req:{id}")
}

pub fn code_key(code: &AuthCode) -> String {
    format!("oidc:code:{}", hash(code.expose()))
}

/// Set once a code was exchanged: the refresh family it opened, revoked if it comes back.
pub fn used_code_key(code: &AuthCode) -> String {
    format!("oidc:used:{}", hash(code.expose()))
}

impl Oidc {
    pub async fn put<T: Serialize>(
        &self,
        key: &str,
        value: &T,
        ttl: Duration,
    ) -> Result<(), OAuthError> {
        let bytes = serde_json::to_vec(value).map_err(OAuthError::internal)?;
        self.saoma
            .ephemeral()
            .put_value(key, &bytes, ttl)
            .await
            .map_err(OAuthError::store)
    }

    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, OAuthError> {
        let bytes = self
            .saoma
            .ephemeral()
            .get_value(key)
            .await
            .map_err(OAuthError::store)?;
        decode(bytes)
    }

    pub async fn take<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, OAuthError> {
        let bytes = self
            .saoma
            .ephemeral()
            .take_value(key)
            .await
            .map_err(OAuthError::store)?;
        decode(bytes)
    }
}

fn decode<T: DeserializeOwned>(bytes: Option<Vec<u8>>) -> Result<Option<T>, OAuthError> {
    bytes
        .map(|b| serde_json::from_slice(&b).map_err(OAuthError::internal))
        .transpose()
}
