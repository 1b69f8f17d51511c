//! The OpenAPI service: every poem-openapi operation of the server, the document
//! (`/openapi.json`, `saoma openapi`, `openapi/openapi.json`) and `/docs` come from it.
//! Operations reach the running `Saoma` (and `Oidc`) through request data, so the document
//! needs no running server.

use crate::api::{
    AccountApi, AdminApi, AdminProvisionApi, AdminWebhooksApi, HealthApi, PhoneApi, ProfileApi,
    ProvidersApi, ScenesApi,
};
use crate::methods::MethodApis;
use crate::oidc::{OidcApi, OidcBrowserApi};
use poem_openapi::{LicenseObject, OpenApiService, ServerObject};

/// Every operation of the server, one `#[OpenApi]` impl per feature, the login methods' in their
/// table (a tuple has `Default` up to twelve members: a thirteenth goes in a nested tuple).
/// The document does not depend on the order.
type Apis = (
    ScenesApi,
    AccountApi,
    HealthApi,
    ProvidersApi,
    PhoneApi,
    OidcApi,
    OidcBrowserApi,
    MethodApis,
    (AdminApi, AdminProvisionApi, AdminWebhooksApi, ProfileApi),
);

pub(super) fn service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        Apis::default(),
        "Saoma",
        env!("CARGO_PKG_VERSION"),
    )
    .server(ServerObject::new("/").description("The Saoma serving this document (same origin)."))
    .license(LicenseObject::new("MIT").url("https://opensource.org/licenses/MIT"))
    .description(
        "WeChat scan-to-login server. A web page creates a scene and shows its code; the user scans it with WeChat; the page \
         learns the outcome by polling or Server-Sent Events with its poll token. Every error is \
         `{code, message}` with a stable `code`.",
    )
}

/// The document as `saoma openapi` prints it, `/openapi.json` serves it and
/// `openapi/openapi.json` holds it.
pub fn spec_json() -> String {
    document(&service())
}

/// Swagger UI (`/docs`) on `document`, the links included: poem-openapi renders the page on its
/// own document, which has none, so that copy is swapped for `document`.
pub(super) fn swagger_ui_html(service: &OpenApiService<Apis, ()>, document: &str) -> String {
    let (page, generated) = (service.swagger_ui_html(), service.spec());
    if !page.contains(&generated) {
        tracing::warn!(
            "/docs shows poem-openapi's document, without the links: its page no longer inlines the document as is"
        );
        return page;
    }
    page.replacen(&generated, document, 1)
}

/// `service`'s document: poem-openapi's, with the links it cannot write (`api::links`).
pub(super) fn document(service: &OpenApiService<Apis, ()>) -> String {
    let generated = service.spec();
    let Ok(mut spec) = serde_json::from_str::<serde_json::Value>(&generated) else {
        return generated;
    };
    crate::api::links::add_links(&mut spec);
    crate::webhooks::add_event_schemas(&mut spec);
    serde_json::to_string_pretty(&spec).unwrap_or(generated)
}
