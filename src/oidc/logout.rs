//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): `id_token_hint`,
//! `post_logout_redirect_uri` (registered, matched exactly), `state`. Ends the SSO session.

use super::Oidc;
use super::error::OAuthError;
use super::login_page::{Page, error_page_parts, simple_page_parts};
use super::request::ui_lang;
use super::state::Lang;
use poem::Request;
use poem::http::StatusCode;

/// The end-session request's parameters.
pub(super) struct LogoutQuery {
    pub id_token_hint: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub client_id: Option<String>,
    pub ui_locales: Option<String>,
}

/// How an end-session request ends. The session cookie is cleared on the first two.
pub(super) enum Logout {
    /// To the registered `post_logout_redirect_uri`, with `state`.
    Redirect(String),
    /// No redirect asked: the logged-out page.
    LoggedOut(Page),
    /// A bad request (400) or a store failure (500, 503): an error page, the session kept.
    Refused(Page),
}

pub(super) async fn end_session(oidc: &Oidc, req: &Request, q: LogoutQuery) -> Logout {
    let lang = ui_lang(q.ui_locales.as_deref());
    let refuse = |text: &str| {
        Logout::Refused(error_page_parts(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            text,
            lang,
        ))
    };
    let hinted = match &q.id_token_hint {
        Some(hint) => match oidc.verify_hint(hint) {
            Some(claims) => claims
                .get("aud")
                .and_then(|a| a.as_str().map(str::to_string)),
            None => return refuse("id_token_hint is not an id_token of ours"),
        },
        None => None,
    };
    let client_id = match (hinted, q.client_id) {
        (Some(a), Some(b)) if a != b => {
            return refuse("client_id differs from the id_token_hint's");
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
                return refuse("post_logout_redirect_uri is not registered for this client");
            }
            match url::Url::parse(uri) {
                Ok(mut url) => {
                    if let Some(state) = &q.state {
                        url.query_pairs_mut().append_pair("state", state);
                    }
                    Some(url.to_string())
                }
                Err(_) => return refuse("post_logout_redirect_uri"),
            }
        }
        None => None,
    };
    if let Err(e) = oidc.end_session(req).await {
        return Logout::Refused(failure_page(e, lang));
    }
    match redirect {
        Some(to) => Logout::Redirect(to),
        None => Logout::LoggedOut(logged_out_page(lang)),
    }
}

fn failure_page(e: OAuthError, lang: Lang) -> Page {
    error_page_parts(e.status, e.code, &e.description, lang)
}

fn logged_out_page(lang: Lang) -> Page {
    let (title, text) = match lang {
        Lang::Zh => ("已退出", "你已退出 Saoma 登录。"),
        Lang::En => ("Logged out", "You are logged out of Saoma."),
    };
    let body = format!("<h1 id=\"logged-out\">{title}</h1><p>{text}</p>");
    simple_page_parts(StatusCode::OK, title, &body, lang)
}
