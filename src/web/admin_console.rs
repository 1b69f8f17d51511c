//! The admin console at `/admin/` (`docs/admin.md`): a static page and its script, served when
//! the admin plane is on. The page logs in through Saoma's own OpenID Provider with the
//! built-in client `saoma-console` and calls the management API with the admin token; its only
//! server-side value is that client's redirect URI.

use super::asset;
use crate::oidc::Oidc;
use poem::http::{StatusCode, header};
use poem::web::Data;
use poem::{Response, handler};
use std::sync::Arc;

const PAGE_HTML: &str = include_str!("admin_console/index.html");
const CONSOLE_JS: &str = include_str!("admin_console/console.js");
const CONSOLE_CSS: &str = include_str!("admin_console/console.css");

/// Its own script and styles, calls to this origin, nothing framed, no form posted anywhere.
const CONSOLE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

#[handler]
pub(crate) fn page(oidc: Data<&Arc<Oidc>>) -> Response {
    let Some(redirect_uri) = oidc.console_redirect_uri() else {
        return StatusCode::NOT_FOUND.into();
    };
    let html = PAGE_HTML.replace("{{redirect_uri}}", &crate::html::escape(redirect_uri));
    Response::builder()
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CONTENT_SECURITY_POLICY, CONSOLE_CSP)
        // The login comes back here with its code in the query: never sent elsewhere, never
        // cached.
        .header(header::REFERRER_POLICY, "no-referrer")
        .header(header::CACHE_CONTROL, "no-store")
        .body(html)
}

/// `/admin` -> `/admin/`.
#[handler]
pub(crate) fn to_page() -> Response {
    Response::builder()
        .status(StatusCode::MOVED_PERMANENTLY)
        .header(header::LOCATION, "/admin/")
        .finish()
}

#[handler]
pub(crate) fn script() -> Response {
    asset(CONSOLE_JS, "text/javascript; charset=utf-8")
}

#[handler]
pub(crate) fn style() -> Response {
    asset(CONSOLE_CSS, "text/css; charset=utf-8")
}
