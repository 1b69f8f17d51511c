//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): `id_token_hint`,
//! `post_logout_redirect_uri` (registered, matched exactly), `state`. Ends the SSO session.

use super::Oidc;
use super::authorize::see_other;
use super::login_page::{error_page, simple_page};
use super::request::ui_lang;
use super::session::clear_cookie;
use super::state::Lang;
use poem::http::{StatusCode, header};
use poem::web::{Data, Query};
use poem::{Request, Response, handler};
use std::sync::Arc;

#[derive(serde::Deserialize)]
pub struct LogoutQuery {
    id_token_hint: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    client_id: Option<String>,
    ui_locales: Option<String>,
}

#[handler]
pub async fn end_session(
    oidc: Data<&Arc<Oidc>>,
    req: &Request,
    Query(q): Query<LogoutQuery>,
) -> Response {
    let lang = ui_lang(q.ui_locales.as_deref());
    let refuse = |code, text: &str| error_page(StatusCode::BAD_REQUEST, code, text, lang);
    let hinted = match &q.id_token_hint {
        Some(hint) => match oidc.verify_hint(hint) {
            Some(claims) => claims
                .get("aud")
                .and_then(|a| a.as_str().map(str::to_string)),
            None => {
                return refuse(
                    "invalid_request",
                    "id_token_hint is not an id_token of ours",
                );
            }
        },
        None => None,
    };
    let client_id = match (hinted, q.client_id) {
        (Some(a), Some(b)) if a != b => {
            return refuse(
                "invalid_request",
                "client_id differs from the id_token_hint's",
            );
        }
        (a, b) => a.or(b),
    };
    let redirect = match &q.post_logout_redirect_uri {
        Some(uri) => {
            let registered = client_id
                .as_deref()
                .and_then(|id| oidc.clients.get(id))
                .is_some_and(|c| c.post_logout_redirect_uris.iter().any(|r| r == uri));
            if !registered {
                return refuse(
                    "invalid_request",
                    "post_logout_redirect_uri is not registered for this client",
                );
            }
            Some(uri.clone())
        }
        None => None,
    };
    if let Err(e) = oidc.end_session(req).await {
        return e.into_page();
    }
    let mut response = match redirect {
        Some(uri) => {
            let mut url = match url::Url::parse(&uri) {
                Ok(url) => url,
                Err(_) => return refuse("invalid_request", "post_logout_redirect_uri"),
            };
            if let Some(state) = &q.state {
                url.query_pairs_mut().append_pair("state", state);
            }
            see_other(url.as_str())
        }
        None => logged_out_page(lang),
    };
    if let Ok(value) = clear_cookie(oidc.secure_cookies).parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

fn logged_out_page(lang: Lang) -> Response {
    let (title, text) = match lang {
        Lang::Zh => ("已退出", "你已退出 Saoma 登录。"),
        Lang::En => ("Logged out", "You are logged out of Saoma."),
    };
    let body = format!("<h1 id=\"logged-out\">{title}</h1><p>{text}</p>");
    simple_page(StatusCode::OK, title, &body, lang)
}
