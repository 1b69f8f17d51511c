//! The phone simulator: a page that plays the user's WeChat on a phone (`phone.html`, its
//! script and style beside it, so that a strict CSP needs no inline exception).

use poem::http::header;
use poem::{Response, handler};

const PHONE_HTML: &str = include_str!("phone.html");
const PHONE_JS: &str = include_str!("phone.js");
const PHONE_CSS: &str = include_str!("phone.css");

/// Its own files, calls to this origin (the sandbox tools and Saoma's API), nothing else.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn asset(body: &'static str, content_type: &str) -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_SECURITY_POLICY, CSP)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::CACHE_CONTROL, "no-cache")
        .header(header::REFERRER_POLICY, "no-referrer")
        .body(body)
}

/// `GET /phone?scene=` (or `?url=` of an official-account QR, or `?state=&provider=website`):
/// the page reads what it was opened with from its own URL.
#[handler]
pub(crate) async fn page() -> Response {
    asset(PHONE_HTML, "text/html; charset=utf-8")
}

/// `GET /phone.js`
#[handler]
pub(crate) async fn script() -> Response {
    asset(PHONE_JS, "text/javascript; charset=utf-8")
}

/// `GET /phone.css`
#[handler]
pub(crate) async fn style() -> Response {
    asset(PHONE_CSS, "text/css; charset=utf-8")
}
