//! Admin tokens: what `client_credentials` grants a client configured for the management API,
//! and what the console's login grants a person named in `[admin]`. Typed `at+jwt` like every
//! access token, but with claims of their own (no provider, no app), so that Saoma's API and
//! the userinfo endpoint refuse them, and the admin API refuses every other token (a user's,
//! an OpenID client's) for lack of the scope.

use super::signer::ACCESS_TOKEN_TYP;
use super::{AccessToken, Signer, TokenError};
use crate::secret::Secret;
use serde::{Deserialize, Serialize};

/// The scope every admin operation requires.
pub const ADMIN_SCOPE: &str = "saoma:admin";

/// A machine's admin tokens live five minutes: it asks for a new one (no refresh token). A
/// person's live as long as an access token (`tokens.access_ttl_seconds`): their admin status
/// is checked again at every call anyway.
pub const ADMIN_TOKEN_TTL_SECS: u64 = 300;

/// Who holds an admin token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminSubject {
    /// A machine: a client allowed `client_credentials`.
    Client(String),
    /// A person named in `[admin]`, logged in through the console (its client id).
    Account {
        account_id: String,
        client_id: String,
    },
}

impl AdminSubject {
    /// The token's `sub`, and the actor's name after `admin:`: `client:<id>` or
    /// `account:<id>`.
    pub fn sub(&self) -> String {
        match self {
            AdminSubject::Client(id) => format!("client:{id}"),
            AdminSubject::Account { account_id, .. } => format!("account:{account_id}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct AdminClaims {
    iss: String,
    aud: String,
    /// `client:<client id>` or `account:<account id>`.
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
    sub: Option<String>,
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
    pub fn issue_admin(&self, subject: &AdminSubject) -> anyhow::Result<AccessToken> {
        let now = jsonwebtoken::get_current_timestamp();
        let (client_id, ttl) = match subject {
            AdminSubject::Client(id) => (id, ADMIN_TOKEN_TTL_SECS),
            AdminSubject::Account { client_id, .. } => {
                (client_id, self.settings().access_ttl.as_secs())
            }
        };
        let claims = AdminClaims {
            iss: self.settings().issuer.clone(),
            aud: self.settings().audience.clone(),
            sub: subject.sub(),
            iat: now,
            exp: now.saturating_add(ttl),
            jti: uuid::Uuid::new_v4().to_string(),
            client_id: client_id.clone(),
            scope: ADMIN_SCOPE.to_owned(),
        };
        Ok(AccessToken {
            token: Secret::new(self.sign_typed(&claims, ACCESS_TOKEN_TYP)?),
            expires_in: ttl,
        })
    }

    /// Who holds a valid admin token.
    pub fn verify_admin(&self, token: &str) -> Result<AdminSubject, AdminTokenError> {
        let scoped: Scoped = self.verify_access(token)?;
        let has_scope = scoped
            .scope
            .as_deref()
            .is_some_and(|s| s.split(' ').any(|s| s == ADMIN_SCOPE));
        // A user's token of an OpenID client carries its provider: never an admin token.
        if !has_scope || scoped.provider.is_some() {
            return Err(AdminTokenError::MissingScope);
        }
        let (Some(client_id), Some(sub)) = (scoped.client_id, scoped.sub) else {
            return Err(AdminTokenError::MissingScope);
        };
        match sub.split_once(':') {
            Some(("client", id)) if id == client_id => Ok(AdminSubject::Client(client_id)),
            Some(("account", id)) if !id.is_empty() => Ok(AdminSubject::Account {
                account_id: id.to_owned(),
                client_id,
            }),
            _ => Err(AdminTokenError::MissingScope),
        }
    }
}
