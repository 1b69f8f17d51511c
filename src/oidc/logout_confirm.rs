//! `POST /oidc/logout/confirm`: the answer to the logout question of `logout.rs`, as an HTTP
//! answer. Apart from `logout.rs` so that the protocol decisions there never import the HTTP
//! answers of `browser_answers.rs` (which import them).

use super::browser_answers::LogoutAnswer;
use super::login_page::error_page_parts;
use super::logout::{LogoutQuery, check, finish, refused, same_origin};
use super::request::ui_lang;
use super::server::Oidc;
use poem::http::StatusCode;
use poem::{Request, Response, handler, web::Data, web::Form};
use std::sync::Arc;

/// `POST /oidc/logout/confirm`: the user's answer on the confirmation page. Only from a page of
/// this server (`Origin`), so that no other site can log the user out.
#[handler]
pub async fn confirm(
    oidc: Data<&Arc<Oidc>>,
    req: &Request,
    Form(q): Form<LogoutQuery>,
) -> Response {
    let lang = ui_lang(q.ui_locales.as_deref());
    if !same_origin(&oidc, req) {
        return error_page_parts(
            StatusCode::FORBIDDEN,
            "invalid_request",
            "a logout is confirmed on this server's own page",
            lang,
        )
        .into_response();
    }
    let answer = match check(&oidc, &q) {
        Ok(checked) => finish(&oidc, req, checked.redirect, lang).await,
        Err(text) => refused(text, lang),
    };
    poem::IntoResponse::into_response(LogoutAnswer::new(answer, oidc.secure_cookies))
}
