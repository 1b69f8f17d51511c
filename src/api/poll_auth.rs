//! The poll token as a security scheme: a generated client attaches it once, and the document
//! says which operations take it. The header works everywhere; the `saoma_poll` cookie only
//! where the browser sends it (its `Path` is the scene's, so the scene and its events).
//!
//! Hand-written rather than `#[derive(SecurityScheme)]`: a missing token must still reach the
//! operation, which answers `invalid_poll_token` (or `scene_not_found` for an unknown scene)
//! as before, where the derive would answer a generic 401 first.

use crate::edge::PollCookie;
use poem::http::StatusCode;
use poem::{Request, RequestBody};
use poem_openapi::registry::{MetaSecurityScheme, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};

/// The header's name.
pub const POLL_TOKEN_HEADER: &str = "X-Poll-Token";
/// The security scheme of the header.
const HEADER_SCHEME: &str = "PollToken";
/// The security scheme of the cookie.
const COOKIE_SCHEME: &str = "PollCookie";
/// Longer is not a poll token (they are 43 characters): refused as a malformed request.
const MAX_LEN: usize = 128;

fn register_header(registry: &mut Registry) {
    registry.create_security_scheme(
        HEADER_SCHEME,
        MetaSecurityScheme {
            ty: "apiKey",
            description: Some(
                "The scene's `poll_token` from `createScene`, in the `X-Poll-Token` header.",
            ),
            name: Some(POLL_TOKEN_HEADER),
            key_in: Some("header"),
            scheme: None,
            bearer_format: None,
            flows: None,
            openid_connect_url: None,
        },
    );
}

fn header(req: &Request) -> poem::Result<Option<String>> {
    let Some(value) = req.headers().get(POLL_TOKEN_HEADER) else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(token) if token.len() <= MAX_LEN => Ok(Some(token.to_string())),
        _ => Err(poem::Error::from_string(
            format!("the {POLL_TOKEN_HEADER} header is not a poll token"),
            StatusCode::BAD_REQUEST,
        )),
    }
}

/// The poll token of a scene operation: the `X-Poll-Token` header, else the `saoma_poll`
/// cookie. `None` when neither came (the operation refuses it).
pub struct PollToken(pub Option<String>);

impl<'a> ApiExtractor<'a> for PollToken {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        register_header(registry);
        registry.create_security_scheme(
            COOKIE_SCHEME,
            MetaSecurityScheme {
                ty: "apiKey",
                description: Some(
                    "The same poll token in the HttpOnly `saoma_poll` cookie that `createScene` \
                     sets, scoped to the scene's path: a same-origin `EventSource` sends it.",
                ),
                name: Some(PollCookie::NAME),
                key_in: Some("cookie"),
                scheme: None,
                bearer_format: None,
                flows: None,
                openid_connect_url: None,
            },
        );
    }

    fn security_schemes() -> Vec<&'static str> {
        vec![HEADER_SCHEME, COOKIE_SCHEME]
    }

    async fn from_request(
        req: &'a Request,
        _body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        if let Some(token) = header(req)? {
            return Ok(Self(Some(token)));
        }
        match req.cookie().get(PollCookie::NAME) {
            None => Ok(Self(None)),
            Some(c) if c.value_str().len() <= MAX_LEN => Ok(Self(Some(c.value_str().to_string()))),
            Some(_) => Err(poem::Error::from_string(
                format!("the {} cookie is not a poll token", PollCookie::NAME),
                StatusCode::BAD_REQUEST,
            )),
        }
    }
}

/// The poll token of an operation outside the scene's path (`/api/v1/phone/*`), where the
/// cookie is never sent: the header only.
pub struct PollTokenHeader(pub Option<String>);

impl<'a> ApiExtractor<'a> for PollTokenHeader {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        register_header(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        vec![HEADER_SCHEME]
    }

    async fn from_request(
        req: &'a Request,
        _body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(Self(header(req)?))
    }
}
