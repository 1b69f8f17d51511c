//! The OAuth endpoints as OpenAPI operations (form bodies, answers and error shapes in the
//! document): token, userinfo, revocation, discovery and the JWKS. The browser-facing
//! authorize and logout are in `browser_api`; the hosted login page's own routes (the page,
//! its scene, resume, abort) are not API and stay out of the document.

use super::Oidc;
use super::error::OAuthError;
use super::userinfo::UserInfo;
use poem::Request;
use poem::web::Data;
use poem_openapi::payload::{Form, Json};
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

#[derive(Tags)]
enum ApiTags {
    /// OpenID Provider: the endpoints an OpenID Connect relying party calls.
    OpenIdConnect,
}

/// RFC 6749 5.2 error.
#[derive(Object, Debug)]
pub struct OAuthErrorBody {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `unsupported_grant_type`,
    /// `invalid_token`, `temporarily_unavailable`, `server_error`.
    pub error: String,
    pub error_description: String,
}

/// A token request (RFC 6749 4.1.3 and 6). Client credentials go in HTTP Basic
/// (`client_secret_basic`) or in `client_id` + `client_secret` (`client_secret_post`); a public
/// client sends `client_id` only.
#[derive(Object, serde::Deserialize)]
pub struct TokenForm {
    /// `authorization_code` or `refresh_token`.
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    /// PKCE (RFC 7636).
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Ignored: a refresh keeps the scopes granted at the authorization.
    pub scope: Option<String>,
}

/// The tokens (RFC 6749 5.1, OpenID Connect Core 3.1.3.3).
#[derive(Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TokenBody {
    /// EdDSA JWT with `client_id` and `scope`; use it at the userinfo endpoint.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Seconds.
    pub expires_in: u64,
    /// Rotated on every use; bound to the client.
    pub refresh_token: String,
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

/// A revocation request (RFC 7009), with client credentials as at the token endpoint.
#[derive(Object, serde::Deserialize)]
pub struct RevokeForm {
    pub token: Option<String>,
    /// `refresh_token` or `access_token` (a hint only).
    pub token_type_hint: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

const NO_STORE: &str = "no-store";

macro_rules! oauth_answer {
    ($name:ident, $ok_doc:literal, $ok:ty) => {
        #[derive(ApiResponse)]
        pub enum $name {
            #[doc = $ok_doc]
            #[oai(status = 200)]
            Ok($ok, #[oai(header = "Cache-Control")] String),
            /// RFC 6749 5.2: `invalid_request`, `invalid_grant`, `unsupported_grant_type`.
            #[oai(status = 400)]
            BadRequest(
                Json<OAuthErrorBody>,
                #[oai(header = "Cache-Control")] String,
            ),
            /// `invalid_client` (client authentication failed) or `invalid_token`.
            #[oai(status = 401)]
            Unauthorized(
                Json<OAuthErrorBody>,
                #[oai(header = "Cache-Control")] String,
                #[oai(header = "WWW-Authenticate")] String,
            ),
            /// The body is not `application/x-www-form-urlencoded` (`unsupported_media_type`,
            /// in Saoma's `{code, message}`: answered before the operation runs).
            #[oai(status = 415)]
            #[allow(dead_code)]
            UnsupportedMediaType(Json<crate::api::ErrorBody>),
            /// `server_error`.
            #[oai(status = 500)]
            ServerError(
                Json<OAuthErrorBody>,
                #[oai(header = "Cache-Control")] String,
            ),
            /// `temporarily_unavailable`: a store failed; retry.
            #[oai(status = 503)]
            Unavailable(
                Json<OAuthErrorBody>,
                #[oai(header = "Cache-Control")] String,
            ),
        }

        impl From<OAuthError> for $name {
            fn from(e: OAuthError) -> Self {
                let body = Json(OAuthErrorBody {
                    error: e.code.to_string(),
                    error_description: e.description.clone(),
                });
                let no_store = NO_STORE.to_string();
                match e.status.as_u16() {
                    401 => Self::Unauthorized(body, no_store, e.www_authenticate()),
                    500 => Self::ServerError(body, no_store),
                    503 => Self::Unavailable(body, no_store),
                    _ => Self::BadRequest(body, no_store),
                }
            }
        }
    };
}

oauth_answer!(TokenAnswer, "The tokens.", Json<TokenBody>);
oauth_answer!(
    UserInfoAnswer,
    "The claims the access token's scopes grant.",
    Json<UserInfo>
);
oauth_answer!(
    RevokeAnswer,
    "Revoked (also when the token was unknown).",
    Json<EmptyBody>
);

/// Public JSON, cacheable for 5 minutes (a new key is published before it signs).
#[derive(ApiResponse)]
pub enum PublicJson {
    /// The document.
    #[oai(status = 200)]
    Ok(
        Json<serde_json::Value>,
        #[oai(header = "Cache-Control")] String,
    ),
    /// `not_found`: this server is no OpenID Provider (no `[[oidc.clients]]`).
    #[oai(status = 404)]
    NotConfigured(Json<crate::api::ErrorBody>),
}

/// The provider, or the 404 of a server without `[[oidc.clients]]` (the discovery path is
/// served by the API's `/.well-known` mount either way).
fn configured(req: &Request, document: fn(&Oidc) -> serde_json::Value) -> PublicJson {
    match req.data::<Arc<Oidc>>() {
        Some(oidc) => public(document(oidc)),
        None => PublicJson::NotConfigured(Json(crate::api::ErrorBody {
            code: crate::api::ErrorCode::NotFound,
            message: "this server has no OpenID Provider configured ([[oidc.clients]])".into(),
        })),
    }
}

fn public(value: serde_json::Value) -> PublicJson {
    PublicJson::Ok(Json(value), "public, max-age=300".into())
}

/// `{}`.
#[derive(Object)]
pub struct EmptyBody {}

pub struct OidcApi;

#[OpenApi(tag = "ApiTags::OpenIdConnect")]
impl OidcApi {
    /// Token endpoint: exchange an authorization code, or rotate a refresh token
    ///
    /// A code works once within 60 s, for its client, its redirect URI and its PKCE verifier;
    /// a replayed code is `invalid_grant` and revokes the tokens it gave. A refresh token of
    /// another client is `invalid_grant` and its session is revoked.
    #[oai(path = "/oidc/token", method = "post", operation_id = "oidcToken")]
    async fn token(
        &self,
        oidc: Data<&Arc<Oidc>>,
        req: &Request,
        form: Form<TokenForm>,
    ) -> TokenAnswer {
        let f = form.0;
        let params = fields([
            ("grant_type", f.grant_type),
            ("code", f.code),
            ("redirect_uri", f.redirect_uri),
            ("code_verifier", f.code_verifier),
            ("refresh_token", f.refresh_token),
            ("client_id", f.client_id),
            ("client_secret", f.client_secret),
        ]);
        match super::token_endpoint::token(&oidc, req, params).await {
            Ok(body) => TokenAnswer::Ok(Json(body), NO_STORE.into()),
            Err(e) => e.into(),
        }
    }

    /// UserInfo endpoint (Bearer access token)
    #[oai(path = "/oidc/userinfo", method = "get", operation_id = "oidcUserInfo")]
    async fn userinfo(&self, oidc: Data<&Arc<Oidc>>, req: &Request) -> UserInfoAnswer {
        match super::userinfo::userinfo(&oidc, req).await {
            Ok(info) => UserInfoAnswer::Ok(Json(info), NO_STORE.into()),
            Err(e) => e.into(),
        }
    }

    /// UserInfo endpoint, POST (Bearer access token)
    #[oai(
        path = "/oidc/userinfo",
        method = "post",
        operation_id = "oidcUserInfoPost"
    )]
    async fn userinfo_post(&self, oidc: Data<&Arc<Oidc>>, req: &Request) -> UserInfoAnswer {
        self.userinfo(oidc, req).await
    }

    /// Revocation endpoint (RFC 7009): a refresh token ends its session
    #[oai(path = "/oidc/revoke", method = "post", operation_id = "oidcRevoke")]
    async fn revoke(
        &self,
        oidc: Data<&Arc<Oidc>>,
        req: &Request,
        form: Form<RevokeForm>,
    ) -> RevokeAnswer {
        let f = form.0;
        let params = fields([
            ("token", f.token),
            ("client_id", f.client_id),
            ("client_secret", f.client_secret),
        ]);
        match super::userinfo::revoke(&oidc, req, params).await {
            Ok(()) => RevokeAnswer::Ok(Json(EmptyBody {}), NO_STORE.into()),
            Err(e) => e.into(),
        }
    }

    /// OpenID Provider metadata (OpenID Connect Discovery 1.0)
    #[oai(
        path = "/.well-known/openid-configuration",
        method = "get",
        operation_id = "openIdConfiguration"
    )]
    async fn configuration(&self, req: &Request) -> PublicJson {
        configured(req, super::discovery::configuration)
    }

    /// Every key an id_token or access token may be signed with (RS256 and EdDSA)
    #[oai(path = "/oidc/jwks", method = "get", operation_id = "oidcJwks")]
    async fn jwks(&self, req: &Request) -> PublicJson {
        configured(req, super::discovery::jwks)
    }
}

fn fields<const N: usize>(pairs: [(&str, Option<String>); N]) -> HashMap<String, String> {
    pairs
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
        .collect()
}
