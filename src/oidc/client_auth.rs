//! The OAuth credentials as security schemes, so that the document says what each endpoint
//! takes and a generated client can attach it once: client authentication at the token and
//! revocation endpoints, the access token at userinfo.
//!
//! Markers only: they never refuse a request. The checks stay where they were
//! (`clients::authenticate`, `userinfo::userinfo`), which read the `Authorization`
//! header and the form and answer RFC 6749 5.2 errors (`invalid_client`, `invalid_token`)
//! where `#[derive(SecurityScheme)]` would answer a generic 401 before the operation.

use poem::{Request, RequestBody};
use poem_openapi::registry::{MetaSecurityScheme, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};

/// The security scheme of `client_secret_basic`.
const CLIENT_BASIC: &str = "ClientSecretBasic";
/// The security scheme of the access token at userinfo.
const ACCESS_TOKEN: &str = "OidcAccessToken";

fn scheme(
    ty: &'static str,
    scheme: &'static str,
    description: &'static str,
    bearer_format: Option<&'static str>,
) -> MetaSecurityScheme {
    MetaSecurityScheme {
        ty,
        description: Some(description),
        name: None,
        key_in: None,
        scheme: Some(scheme),
        bearer_format,
        flows: None,
        openid_connect_url: None,
    }
}

/// Client authentication at the token and revocation endpoints: HTTP Basic
/// (`client_secret_basic`), or nothing in the headers (the empty alternative) for
/// `client_secret_post` (`client_id` and `client_secret` in the form) and public clients
/// (`client_id` only, PKCE).
pub struct ClientAuth;

impl<'a> ApiExtractor<'a> for ClientAuth {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        registry.create_security_scheme(
            CLIENT_BASIC,
            scheme(
                "http",
                "basic",
                "`client_secret_basic` (RFC 6749 2.3.1): the client's `client_id` and \
                 `client_secret`, each form-urlencoded, as the Basic user and password. \
                 `client_secret_post` clients put both in the form instead, and public clients \
                 only `client_id`: the empty alternative. One method per request.",
                None,
            ),
        );
    }

    fn security_schemes() -> Vec<&'static str> {
        vec![CLIENT_BASIC]
    }

    fn has_security_fallback() -> bool {
        true
    }

    async fn from_request(
        _req: &'a Request,
        _body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(Self)
    }
}

/// The access token at the userinfo endpoint (RFC 6750 2.1).
pub struct AccessToken;

impl<'a> ApiExtractor<'a> for AccessToken {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        registry.create_security_scheme(
            ACCESS_TOKEN,
            scheme(
                "http",
                "bearer",
                "The `access_token` of `oidcToken` (an EdDSA JWT with `client_id` and a `scope` \
                 that includes `openid`), as `Authorization: Bearer`.",
                Some("JWT"),
            ),
        );
    }

    fn security_schemes() -> Vec<&'static str> {
        vec![ACCESS_TOKEN]
    }

    async fn from_request(
        _req: &'a Request,
        _body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(Self)
    }
}
