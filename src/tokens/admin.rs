//! Admin tokens: what `client_credentials` grants a client configured for the management API.
//! Typed `at+jwt` like every access token, but with claims of their own (no provider, no app),
//! so that Saoma's API and the userinfo endpoint refuse them, and the admin API refuses every
//! other token (a user's, an OpenID client's) for lack of the scope.

use super::signer::ACCESS_TOKEN_TYP;
use super::{AccessToken, Signer, TokenError};
use crate::secret::Secret;
use serde::{Deserialize, Serialize};

/// The scope every admin operation requires.
pub const ADMIN_SCOPE: &str = "saoma:admin";

/// Admin tokens live five minutes: a machine asks for a new one (no refresh token).
pub const ADMIN_TOKEN_TTL_SECS: u64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct AdminClaims {
    iss: String,
    aud: String,
    /// `client:<client id>`.
    sub: String,
    iat: u64,
    exp: u64,
    jti: String,
    client_id: String,
    scope: String,
}

/// What any access token of this server says about scopes: enough to tell "not an admin
/// token" (403) from "not a token of ours" (401).
#[derive(Deserialize)]
struct Scoped {
    client_id: Option<String>,
    scope: Option<String>,
    #[serde(default)]
    provider: Option<String>,
}

/// Why a token does not open the admin API.
#[derive(Debug, thiserror::Error)]
pub enum AdminTokenError {
    #[error(transparent)]
    Invalid(#[from] TokenError),
    /// A valid token of this server without the `saoma:admin` scope.
    #[error("the token does not carry the saoma:admin scope")]
    MissingScope,
}

impl Signer {
    pub fn issue_admin(&self, client_id: &str) -> anyhow::Result<AccessToken> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = AdminClaims {
            iss: self.settings().issuer.clone(),
            aud: self.settings().audience.clone(),
            sub: format!("client:{client_id}"),
            iat: now,
            exp: now.saturating_add(ADMIN_TOKEN_TTL_SECS),
            jti: uuid::Uuid::new_v4().to_string(),
            client_id: client_id.to_owned(),
            scope: ADMIN_SCOPE.to_owned(),
        };
        Ok(AccessToken {
            token: Secret::new(self.sign_typed(&claims, ACCESS_TOKEN_TYP)?),
            expires_in: ADMIN_TOKEN_TTL_SECS,
        })
    }

    /// The client id of a valid admin token.
    pub fn verify_admin(&self, token: &str) -> Result<String, AdminTokenError> {
        let scoped: Scoped = self.verify_access(token)?;
        let has_scope = scoped
            .scope
            .as_deref()
            .is_some_and(|s| s.split(' ').any(|s| s == ADMIN_SCOPE));
        match scoped.client_id {
            // A user's token of an OpenID client carries its provider: never an admin token.
            Some(client_id) if has_scope && scoped.provider.is_none() => Ok(client_id),
            _ => Err(AdminTokenError::MissingScope),
        }
    }
}
