//! `[oidc]`: the OpenID Provider's clients and keys (see docs/oidc.md). Checked at start by
//! `oidc::Clients::from_config`.

use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct OidcConfig {
    /// `[[oidc.clients]]`; none: the OpenID Provider is off.
    pub clients: Vec<OidcClientConfig>,
    /// The RS256 key that signs id_tokens (PKCS#8 PEM); default `<data_dir>/oidc_rsa_key.pem`,
    /// generated on first start.
    pub signing_key_file: Option<PathBuf>,
    /// Further RSA keys published in the JWKS without signing: the next key before it signs,
    /// and the previous one until the last token it signed has expired (key rotation).
    pub published_key_files: Vec<PathBuf>,
    /// Lifetime of an id_token.
    pub id_token_ttl_seconds: u64,
    /// How long a browser stays signed in to Saoma (single sign-on across clients).
    pub session_ttl_seconds: u64,
    /// Lifetime of an authorization code: at most (and by default) 60.
    pub code_ttl_seconds: u64,
}

impl Default for OidcConfig {
    fn default() -> Self {
        Self {
            clients: Vec::new(),
            signing_key_file: None,
            published_key_files: Vec::new(),
            id_token_ttl_seconds: 3600,
            session_ttl_seconds: 8 * 3600,
            code_ttl_seconds: 60,
        }
    }
}

/// One relying party, exactly as in `[[oidc.clients]]`. A misspelt key (`redirect_uri`) stops
/// the start rather than leaving a client half-configured.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcClientConfig {
    pub client_id: String,
    /// Absent (and no `client_secret_file`): a public client, which must use PKCE.
    #[serde(default, skip_serializing)]
    pub client_secret: Option<Secret>,
    #[serde(default)]
    pub client_secret_file: Option<PathBuf>,
    /// Matched exactly. At least one, unless the client only uses `client_credentials`.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Matched exactly.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Shown on the login page and on the phone.
    pub name: String,
    /// `RS256` (default) or `EdDSA`.
    #[serde(default)]
    pub id_token_signed_response_alg: Option<String>,
    /// `authorization_code`, `refresh_token`, `client_credentials` (default: the first two).
    /// `client_credentials` needs a secret and `scopes = ["saoma:admin"]`: the client gets
    /// admin tokens at `/oidc/token` for the management API (`docs/admin.md`).
    #[serde(default)]
    pub grant_types: Vec<String>,
    /// The scopes the client may be granted beyond OpenID's own: `saoma:admin`.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Where a logout token is posted when a session the client got tokens under ends
    /// (OpenID Connect Back-Channel Logout 1.0); checked like a webhook URL.
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    /// The client needs `sid` in its logout tokens (Saoma always sends it).
    #[serde(default)]
    pub backchannel_logout_session_required: bool,
}
