//! A token request (RFC 6749 4.1.3, 6 and 4.4), read once from its form: the grant with its
//! own parameters as the OAuth types, and the client's form credentials. What is missing stays
//! `None` here: the endpoint authenticates the client and checks its grant first, then names
//! the missing parameter.

use super::clients::FormCredentials;
use super::types::{AuthCode, CodeVerifier, RedirectUri, Scopes};
use crate::secret::Secret;
use poem_openapi::Object;

/// A token request (RFC 6749 4.1.3 and 6). Client credentials go in HTTP Basic
/// (`client_secret_basic`) or in `client_id` + `client_secret` (`client_secret_post`); a public
/// client sends `client_id` only.
#[derive(Object, serde::Deserialize)]
#[oai(example, skip_serializing_if_is_none)]
pub struct TokenForm {
    /// `authorization_code`, `refresh_token`, or `client_credentials` (admin clients).
    pub grant_type: Option<String>,
    /// `authorization_code`: the `code` the redirect brought (60 s, once).
    pub code: Option<String>,
    /// `authorization_code`: the `redirect_uri` of the authorization request, exactly.
    pub redirect_uri: Option<String>,
    /// `authorization_code`: the PKCE verifier (RFC 7636) whose S256 is the request's
    /// `code_challenge`; required when the request had one.
    pub code_verifier: Option<String>,
    /// `refresh_token`: the refresh token to rotate (spent by this request).
    pub refresh_token: Option<String>,
    /// The client (`client_secret_post` and public clients; with Basic, the same id or none).
    pub client_id: Option<String>,
    /// `client_secret_post`: the client's secret (never together with Basic).
    pub client_secret: Option<String>,
    /// `client_credentials`: `saoma:admin` (the default) or absent. Ignored otherwise: a
    /// refresh keeps the scopes granted at the authorization.
    pub scope: Option<String>,
}

/// What the client asks for, by `grant_type`.
pub enum Grant {
    AuthorizationCode {
        code: Option<AuthCode>,
        redirect_uri: Option<RedirectUri>,
        verifier: Option<CodeVerifier>,
    },
    RefreshToken {
        refresh_token: Option<Secret>,
    },
    /// An admin token; `scope` as asked (empty when absent).
    ClientCredentials {
        scope: Scopes,
    },
    /// A `grant_type` Saoma does not know (`unsupported_grant_type`).
    Unsupported(String),
    /// No `grant_type` (`invalid_request`).
    Missing,
}

/// A token request, typed.
pub struct TokenRequest {
    pub grant: Grant,
    pub credentials: FormCredentials,
}

impl From<TokenForm> for TokenRequest {
    fn from(f: TokenForm) -> Self {
        let grant = match f.grant_type {
            None => Grant::Missing,
            Some(grant) => match grant.as_str() {
                "authorization_code" => Grant::AuthorizationCode {
                    code: f.code.map(AuthCode::new),
                    redirect_uri: f.redirect_uri.map(RedirectUri::new),
                    verifier: f.code_verifier.map(CodeVerifier::new),
                },
                "refresh_token" => Grant::RefreshToken {
                    refresh_token: f.refresh_token.map(Secret::new),
                },
                "client_credentials" => Grant::ClientCredentials {
                    scope: f.scope.as_deref().map(Scopes::parse).unwrap_or_default(),
                },
                _ => Grant::Unsupported(grant),
            },
        };
        TokenRequest {
            grant,
            credentials: FormCredentials {
                client_id: f.client_id,
                client_secret: f.client_secret.map(Secret::new),
            },
        }
    }
}
