//! The demo login page and the browser SDK, embedded in the binary (no build step); CORS for
//! the SDK on other origins (`cors`); what the sandbox phone page needs from Saoma (`sandbox`);
//! the admin console (`admin_console`).

pub(crate) mod admin_console;
mod cors;
mod docs;
mod headers;
mod sandbox;

pub use cors::allow_origins;
pub use docs::{docs, document};
pub use headers::{base_headers, security_headers};
pub use sandbox::scanned_scene;

use crate::login::Saoma;
use poem::http::header;
use poem::web::Data;
use poem::{Response, handler};
use std::sync::Arc;

const INDEX_HTML: &str = include_str!("assets/index.html");
const DEMO_JS: &str = include_str!("assets/demo.js");
const DEMO_TEXT_JS: &str = include_str!("assets/demo-text.js");
const SDK_JS: &str = include_str!("assets/saoma.js");
const STYLE_CSS: &str = include_str!("assets/saoma.css");

/// Everything the page needs and nothing more: its own scripts and styles, code images as
/// data URLs, and calls back to this origin. [`page_csp`] adds the one frame it may show.
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// [`PAGE_CSP`] plus `frame-src` for the website tab's embedded QR page: `'self'` when it is
/// served here (the sandbox), else WeChat's origin (`open.weixin.qq.com`). Without the website
/// provider the page frames nothing.
pub fn page_csp(saoma: &Saoma) -> String {
    match saoma.framed_origins() {
        Some(framed) => format!("{PAGE_CSP}; frame-src {framed}"),
        None => PAGE_CSP.to_string(),
    }
}

fn asset(body: &'static str, content_type: &str) -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body)
}

#[handler]
pub(crate) fn index(saoma: Data<&Arc<Saoma>>) -> Response {
    let mut response = asset(INDEX_HTML, "text/html; charset=utf-8");
    let headers = response.headers_mut();
    if let Ok(csp) = page_csp(&saoma).parse() {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    if let Ok(policy) = "no-referrer".parse() {
        headers.insert(header::REFERRER_POLICY, policy);
    }
    response
}

#[handler]
pub(crate) fn demo_js() -> Response {
    asset(DEMO_JS, "text/javascript; charset=utf-8")
}

#[handler]
pub(crate) fn demo_text_js() -> Response {
    asset(DEMO_TEXT_JS, "text/javascript; charset=utf-8")
}

#[handler]
pub(crate) fn sdk_js() -> Response {
    asset(SDK_JS, "text/javascript; charset=utf-8")
}

#[handler]
pub(crate) fn style_css() -> Response {
    asset(STYLE_CSS, "text/css; charset=utf-8")
}
