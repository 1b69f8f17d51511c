//! The OpenID Provider as its endpoints see it: every part they need, built once at start
//! from `[oidc]`.

use super::clients::Clients;
use crate::login::Saoma;
use crate::tokens::RsaKey;
use std::sync::Arc;
use std::time::Duration;

/// Everything the endpoints need, built once at start.
pub struct Oidc {
    pub saoma: Arc<Saoma>,
    pub clients: Clients,
    /// The issuer (no trailing slash): the same `iss` as Saoma's access tokens.
    pub issuer: String,
    /// Signs RS256 id_tokens.
    pub rsa: RsaKey,
    /// Published in the JWKS without signing (rotation).
    pub published: Vec<RsaKey>,
    pub id_token_ttl: Duration,
    pub session_ttl: Duration,
    pub code_ttl: Duration,
    /// How long a user has for the hosted login page (the scene's TTL and some).
    pub request_ttl: Duration,
    pub secure_cookies: bool,
}

impl Oidc {
    /// `{issuer}` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }
}
