//! The OAuth endpoints as OpenAPI operations (form bodies, answers and error shapes in the
//! document): token, userinfo, revocation, discovery and the JWKS. The browser-facing
//! authorize and logout are in `browser_api`; the hosted login page's own routes (the page,
//! its scene, resume, abort) are not API and stay out of the document. The bodies' examples
//! are in `examples`.

use super::claims::UserInfo;
use super::client_auth::{AccessToken, ClientAuth};
use super::clients::FormCredentials;
use super::discovery::{ProviderJwks, ProviderMetadata};
use super::oauth_answer::{OAuthAnswer, oauth_errors};
use super::server::Oidc;
use super::token_body::TokenBody;
use super::token_request::TokenForm;
use crate::edge::op_error::{Errors, OpError, errors};
use crate::edge::public_json::public_json;
use crate::edge::{ApiError, ErrorBody, ErrorCode};
use crate::secret::Secret;
use poem::Request;
use poem::web::Data;
use poem_openapi::payload::{Form, Json};
use poem_openapi::{Object, OpenApi, Tags};
use std::sync::Arc;

#[derive(Tags)]
enum ApiTags {
    /// OpenID Provider: the endpoints an OpenID Connect relying party calls.
    OpenIdConnect,
}

/// A revocation request (RFC 7009), with client credentials as at the token endpoint.
#[derive(Object, serde::Deserialize)]
#[oai(example, skip_serializing_if_is_none)]
pub struct RevokeForm {
    /// The token to revoke: a refresh token ends its session; an access token (which expires
    /// by itself) or an unknown token is answered 200 all the same.
    pub token: Option<String>,
    /// `refresh_token` or `access_token` (a hint only).
    pub token_type_hint: Option<String>,
    /// The client (`client_secret_post` and public clients; with Basic, the same id or none).
    pub client_id: Option<String>,
    /// `client_secret_post`: the client's secret (never together with Basic).
    pub client_secret: Option<String>,
}

/// `{}`.
#[derive(Object)]
#[oai(example)]
pub struct EmptyBody {}

oauth_errors!(
    /// `oidcToken`'s errors.
    TokenErrors = "oidcToken", ok: "The tokens.", form: true,
    [400 invalid_request, 400 invalid_grant, 400 unsupported_grant_type, 400 unauthorized_client,
     400 invalid_scope, 401 invalid_client, 500 server_error, 503 temporarily_unavailable]
);
oauth_errors!(
    /// `oidcUserInfo`'s and `oidcUserInfoPost`'s errors.
    UserInfoErrors = "oidcUserInfo", ok: "The claims the access token's scopes grant.",
    form: false, [401 invalid_token]
);
oauth_errors!(
    /// `oidcRevoke`'s errors.
    RevokeErrors = "oidcRevoke", ok: "Revoked (also when the token was unknown).", form: true,
    [400 invalid_request, 400 unauthorized_client, 401 invalid_client, 500 server_error,
     503 temporarily_unavailable]
);
errors!(
    /// `openIdConfiguration`'s errors.
    MetadataErrors = "openIdConfiguration", json: false, [NotFound]
);
errors!(
    /// `oidcJwks`' errors.
    JwksErrors = "oidcJwks", json: false, [NotFound]
);

public_json!(MetadataAnswer, ProviderMetadata);
public_json!(JwksAnswer, ProviderJwks);

/// The provider, or the 404 `not_found` of a server without `[[oidc.clients]]` (the discovery
/// path is served by the API's `/.well-known` mount either way).
fn configured<T, A: From<T>, L: Errors>(
    req: &Request,
    document: fn(&Oidc) -> T,
) -> Result<A, OpError<L>> {
    match req.data::<Arc<Oidc>>() {
        Some(oidc) => Ok(A::from(document(oidc))),
        None => Err(ApiError::NotFound(Json(ErrorBody {
            code: ErrorCode::NotFound,
            message: "this server has no OpenID Provider configured ([[oidc.clients]])".into(),
        }))
        .into()),
    }
}

#[derive(Default)]
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
        _auth: ClientAuth,
        form: Form<TokenForm>,
    ) -> OAuthAnswer<TokenBody, TokenErrors> {
        match super::token_endpoint::token(&oidc, req, form.0.into()).await {
            Ok(body) => OAuthAnswer::ok(body),
            Err(e) => e.into(),
        }
    }

    /// UserInfo endpoint (Bearer access token)
    #[oai(path = "/oidc/userinfo", method = "get", operation_id = "oidcUserInfo")]
    async fn userinfo(
        &self,
        oidc: Data<&Arc<Oidc>>,
        req: &Request,
        _auth: AccessToken,
    ) -> OAuthAnswer<UserInfo, UserInfoErrors> {
        match super::userinfo::userinfo(&oidc, req).await {
            Ok(info) => OAuthAnswer::ok(info),
            Err(e) => e.into(),
        }
    }

    /// UserInfo endpoint, POST (Bearer access token)
    #[oai(
        path = "/oidc/userinfo",
        method = "post",
        operation_id = "oidcUserInfoPost"
    )]
    async fn userinfo_post(
        &self,
        oidc: Data<&Arc<Oidc>>,
        req: &Request,
        auth: AccessToken,
    ) -> OAuthAnswer<UserInfo, UserInfoErrors> {
        self.userinfo(oidc, req, auth).await
    }

    /// Revocation endpoint (RFC 7009): a refresh token ends its session
    ///
    /// Only the client's own tokens: another client's refresh token (or one of Saoma's own
    /// API) is `unauthorized_client` and stays live.
    #[oai(path = "/oidc/revoke", method = "post", operation_id = "oidcRevoke")]
    async fn revoke(
        &self,
        oidc: Data<&Arc<Oidc>>,
        req: &Request,
        _auth: ClientAuth,
        form: Form<RevokeForm>,
    ) -> OAuthAnswer<EmptyBody, RevokeErrors> {
        let f = form.0;
        let credentials = FormCredentials {
            client_id: f.client_id,
            client_secret: f.client_secret.map(Secret::new),
        };
        match super::userinfo::revoke(&oidc, req, credentials, f.token).await {
            Ok(()) => OAuthAnswer::ok(EmptyBody {}),
            Err(e) => e.into(),
        }
    }

    /// OpenID Provider metadata (OpenID Connect Discovery 1.0)
    #[oai(
        path = "/.well-known/openid-configuration",
        method = "get",
        operation_id = "openIdConfiguration"
    )]
    async fn configuration(
        &self,
        req: &Request,
    ) -> Result<MetadataAnswer, OpError<MetadataErrors>> {
        configured(req, super::discovery::configuration)
    }

    /// Every key an id_token or access token may be signed with (RS256 and EdDSA)
    #[oai(path = "/oidc/jwks", method = "get", operation_id = "oidcJwks")]
    async fn jwks(&self, req: &Request) -> Result<JwksAnswer, OpError<JwksErrors>> {
        configured(req, super::discovery::jwks)
    }
}
