//! The provider's typed store over the ephemeral store: authorization requests waiting for a
//! login, codes, and the markers of used codes. The keys are private to this file; keys of
//! secrets are their SHA-256 hashes (sign-on sessions are in SQL: `session.rs`).

use super::Oidc;
use super::error::OAuthError;
use super::state::{AuthRequest, CodeGrant, hash};
use super::types::AuthCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// How long a used code is remembered, so that its replay revokes what it gave.
const USED_CODE_MEMORY: Duration = Duration::from_secs(600);

fn request_key(id: &str) -> String {
    format!("oidc:req:{id}")
}

fn code_key(code: &AuthCode) -> String {
    format!("oidc:code:{}", hash(code.expose()))
}

fn used_code_key(code: &AuthCode) -> String {
    format!("oidc:used:{}", hash(code.expose()))
}

impl Oidc {
    /// Keeps a validated request for the hosted login page, under its id, for `request_ttl`.
    pub async fn save_request(&self, id: &str, request: &AuthRequest) -> Result<(), OAuthError> {
        self.put(&request_key(id), request, self.request_ttl).await
    }

    /// The stored request `id`, left in place (the login page, its scene).
    pub async fn request(&self, id: &str) -> Result<Option<AuthRequest>, OAuthError> {
        self.get(&request_key(id)).await
    }

    /// The stored request `id`, once: the login ended (confirmed, cancelled or expired).
    pub async fn take_request(&self, id: &str) -> Result<Option<AuthRequest>, OAuthError> {
        self.take(&request_key(id)).await
    }

    /// Keeps what `code` grants, for `code_ttl`.
    pub async fn save_code(&self, code: &AuthCode, grant: &CodeGrant) -> Result<(), OAuthError> {
        self.put(&code_key(code), grant, self.code_ttl).await
    }

    /// What `code` grants, once.
    pub async fn take_code(&self, code: &AuthCode) -> Result<Option<CodeGrant>, OAuthError> {
        self.take(&code_key(code)).await
    }

    /// Remembers that `code` was exchanged and the refresh family it opened (revoked if the
    /// code comes back).
    pub async fn mark_code_used(&self, code: &AuthCode, family: &str) -> Result<(), OAuthError> {
        self.put(&used_code_key(code), &family, USED_CODE_MEMORY)
            .await
    }

    /// The refresh family a used `code` opened, while it is remembered.
    pub async fn used_code(&self, code: &AuthCode) -> Result<Option<String>, OAuthError> {
        self.get(&used_code_key(code)).await
    }

    async fn put<T: Serialize>(
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

    async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, OAuthError> {
        let bytes = self
            .saoma
            .ephemeral()
            .get_value(key)
            .await
            .map_err(OAuthError::store)?;
        decode(bytes)
    }

    async fn take<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, OAuthError> {
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
