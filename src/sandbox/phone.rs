//! The phone simulator: a page that plays the user's WeChat on a phone.

use poem::handler;
use poem::web::Html;

const PHONE_HTML: &str = include_str!("phone.html");

/// `GET /phone?scene=`: the page reads the scene from its own URL.
#[handler]
pub(crate) async fn page() -> Html<&'static str> {
    Html(PHONE_HTML)
}
