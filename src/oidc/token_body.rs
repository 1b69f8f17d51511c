//! What the token endpoint answers: the tokens (RFC 6749 5.1), never shown by `Debug`.

use poem_openapi::Object;
use std::fmt;

/// The tokens (RFC 6749 5.1, OpenID Connect Core 3.1.3.3).
#[derive(Object)]
#[oai(example, skip_serializing_if_is_none)]
pub struct TokenBody {
    /// EdDSA JWT with `client_id` and `scope`; use it at the userinfo endpoint.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// The access token's lifetime, in seconds.
    pub expires_in: u64,
    /// Rotated on every use; bound to the client. Absent for `client_credentials` and for
    /// the admin console's logins granted `saoma:admin`.
    pub refresh_token: Option<String>,
    /// For `authorization_code`: RS256 (or EdDSA for clients configured so) JWT.
    pub id_token: Option<String>,
    /// The granted scopes, space-separated.
    pub scope: String,
}

impl fmt::Debug for TokenBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenBody")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}
