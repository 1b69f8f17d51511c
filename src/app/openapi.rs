//! The OpenAPI service: every poem-openapi operation of the server, the document
//! (`/openapi.json`, `saoma openapi`, `openapi/openapi.json`) and `/docs` come from it.
//! Operations reach the running `Saoma` (and `Oidc`) through request data, so the document
//! needs no running server.

use crate::api::{
    AccountApi, HealthApi, MiniProgramApi, OfficialAccountApi, PhoneApi, ProvidersApi, ScenesApi,
    WebsiteApi,
};
use crate::oidc::OidcApi;
use poem_openapi::OpenApiService;

type Apis = (
    ScenesApi,
    MiniProgramApi,
    AccountApi,
    HealthApi,
    ProvidersApi,
    WebsiteApi,
    OfficialAccountApi,
    PhoneApi,
    OidcApi,
);

pub(super) fn service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            ScenesApi,
            MiniProgramApi,
            AccountApi,
            HealthApi,
            ProvidersApi,
            WebsiteApi,
            OfficialAccountApi,
            PhoneApi,
            OidcApi,
        ),
        "Saoma",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "WeChat scan-to-login server. A web page creates a scene and shows its code; the user scans it with WeChat; the page \
         learns the outcome by polling or Server-Sent Events with its poll token. Every error is \
         `{code, message}` with a stable `code`.",
    )
}

/// The document as `saoma openapi` prints it and `openapi/openapi.json` holds it.
pub fn spec_json() -> String {
    service().spec()
}
