//! Access tokens: EdDSA (Ed25519) JWTs signed with a key kept in a file, verifiable by anyone
//! through the JWKS. Refresh tokens are opaque and live with the accounts
//! ([`crate::accounts::RefreshTokens`]).

mod admin;
mod jws;
mod key;
mod key_file;
mod rsa_key;
mod signer;

#[cfg(test)]
mod key_tests;
#[cfg(test)]
mod tests;

pub use admin::{ADMIN_SCOPE, AdminSubject, AdminTokenError};
pub use rsa_key::RsaKey;
pub use signer::{ACCESS_TOKEN_TYP, Signer, is_access_token_typ};

use crate::ids::AppId;
use crate::scene::Provider;
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What every access token says about its issuer and audience, and how long it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSettings {
    pub issuer: String,
    pub audience: String,
    pub access_ttl: Duration,
}

/// Whom an access token is for: an account, logged in through one provider app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessSubject {
    pub account_id: String,
    pub provider: Provider,
    pub app_id: AppId,
    /// When the person logged in (unix seconds): set on a login's tokens, not on refreshed
    /// ones.
    pub auth_time: Option<u64>,
}

/// A signed access token, as handed to the client.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub token: Secret,
    /// Seconds.
    pub expires_in: u64,
}

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The account id.
    pub sub: String,
    /// Unix seconds.
    pub iat: u64,
    /// Unix seconds.
    pub exp: u64,
    /// A UUID v4, unique per token.
    pub jti: String,
    /// How the user authenticated: `["wechat"]`.
    pub amr: Vec<String>,
    /// The provider, as in the API (`mini_program`, `official_account`, `website`).
    pub provider: String,
    pub app_id: String,
    /// Unix seconds of the login, on tokens a login (not a refresh) issued (OpenID Connect
    /// Core 2's `auth_time`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<u64>,
}

/// An OpenID client's access token: Saoma's claims plus the client and its granted scopes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientClaims {
    #[serde(flatten)]
    pub base: Claims,
    pub client_id: String,
    /// Space-separated, as granted at the authorization endpoint.
    pub scope: String,
}

/// Why an access token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    /// Signed by a key this server does not hold (no or another `kid`).
    #[error("the token was not signed by this server's key")]
    UnknownKey,
    /// Malformed, bad signature, wrong algorithm, issuer or audience.
    #[error("the token is invalid: {0}")]
    Invalid(String),
}

/// The public keys, as served at the JWKS endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, poem_openapi::Object)]
#[oai(example)]
pub struct Jwks {
    /// The keys that sign current access tokens (one, or two around a rotation).
    pub keys: Vec<Jwk>,
}

/// One Ed25519 public key (RFC 8037).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, poem_openapi::Object)]
pub struct Jwk {
    /// `OKP`.
    pub kty: String,
    /// `Ed25519`.
    pub crv: String,
    /// The public key, base64url.
    pub x: String,
    /// The RFC 7638 thumbprint of the key.
    pub kid: String,
    /// `EdDSA`.
    pub alg: String,
    /// `sig`.
    #[serde(rename = "use")]
    #[oai(rename = "use")]
    pub use_: String,
}
