//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), GET and POST: `id_token_hint`,
//! `post_logout_redirect_uri` (registered, matched exactly), `state`. Ends the SSO session at
//! once only when the request shows it comes from the session's own account (an id_token of
//! that account); otherwise the user is asked first (section 2), and `/oidc/logout/confirm`
//! ends it.

use super::error::OAuthError;
use super::login_page::{Page, error_page_parts, simple_page_parts_with};
use super::request::ui_lang;
use super::server::Oidc;
use super::state::Lang;
use crate::html::escape;
use poem::Request;
use poem::http::{Method, StatusCode};

/// The end-session request's parameters (the query's, or the form's).
#[derive(Debug, Default, serde::Deserialize)]
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
    /// The user must confirm: a page whose form posts to `/oidc/logout/confirm`. Nothing ended.
    Confirm(Page),
    /// A bad request (400) or a store failure (500, 503): an error page, the session kept.
    Refused(Page),
}

/// A checked request: where to go afterwards, and whose id_token named it.
pub(super) struct Checked {
    pub(super) redirect: Option<String>,
    hinted_account: Option<String>,
}

pub(super) async fn end_session(oidc: &Oidc, req: &Request, q: LogoutQuery) -> Logout {
    let lang = ui_lang(q.ui_locales.as_deref());
    let checked = match check(oidc, &q) {
        Ok(checked) => checked,
        Err(text) => return refused(text, lang),
    };
    let session = match oidc.current_session(req).await {
        Ok(session) => session,
        Err(e) => return Logout::Refused(failure_page(e, lang)),
    };
    let confirmed = match &session {
        Some(login) => checked.hinted_account.as_deref() == Some(login.account_id.as_str()),
        // A GET carries the session cookie (SameSite=Lax) when there is one: nothing to end. A
        // cross-site POST does not: the session may live, so the user is asked.
        None => req.method() == Method::GET,
    };
    if !confirmed {
        return Logout::Confirm(confirm_page(&q, checked.redirect.as_deref(), lang));
    }
    finish(oidc, req, checked.redirect, lang).await
}

pub(super) fn refused(text: &str, lang: Lang) -> Logout {
    Logout::Refused(error_page_parts(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        text,
        lang,
    ))
}

/// The hint, the client and the redirect, each checked: `Err` names what is wrong.
pub(super) fn check(oidc: &Oidc, q: &LogoutQuery) -> Result<Checked, &'static str> {
    let (hinted_client, hinted_account) = match &q.id_token_hint {
        Some(hint) => {
            let claims = oidc
                .verify_hint(hint)
                .ok_or("id_token_hint is not an id_token of ours")?;
            let text = |name: &str| {
                claims
                    .get(name)
                    .and_then(|v| v.as_str().map(str::to_string))
            };
            (text("aud"), text("sub"))
        }
        None => (None, None),
    };
    let client_id = match (hinted_client, q.client_id.clone()) {
        (Some(a), Some(b)) if a != b => return Err("client_id differs from the id_token_hint's"),
        (a, b) => a.or(b),
    };
    let redirect = match &q.post_logout_redirect_uri {
        Some(uri) => {
            let registered = client_id
                .as_deref()
                .and_then(|id| oidc.clients.get(id))
                .is_some_and(|c| c.post_logout_redirect_uris.iter().any(|r| r == uri));
            if !registered {
                return Err("post_logout_redirect_uri is not registered for this client");
            }
            let mut url = url::Url::parse(uri).map_err(|_| "post_logout_redirect_uri")?;
            if let Some(state) = &q.state {
                url.query_pairs_mut().append_pair("state", state);
            }
            Some(url.to_string())
        }
        None => None,
    };
    Ok(Checked {
        redirect,
        hinted_account,
    })
}

pub(super) async fn finish(
    oidc: &Oidc,
    req: &Request,
    redirect: Option<String>,
    lang: Lang,
) -> Logout {
    if let Err(e) = oidc.end_session(req).await {
        return Logout::Refused(failure_page(e, lang));
    }
    match redirect {
        Some(to) => Logout::Redirect(to),
        None => Logout::LoggedOut(logged_out_page(lang)),
    }
}

/// Whether a POST comes from a page of this server: its `Origin`, or, when the browser hides
/// it (`Origin: null` under the pages' `Referrer-Policy: no-referrer`, or none at all),
/// `Sec-Fetch-Site: same-origin`, which no page can forge.
pub(super) fn same_origin(oidc: &Oidc, req: &Request) -> bool {
    let ours = url::Url::parse(&oidc.issuer).map(|u| u.origin().ascii_serialization());
    match req.header("Origin") {
        Some(origin) if origin != "null" => ours.is_ok_and(|ours| ours == origin),
        _ => req.header("Sec-Fetch-Site") == Some("same-origin"),
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
    simple_page_parts_with(StatusCode::OK, title, &body, lang, "'none'")
}

/// The question of section 2: log out of Saoma? Its form posts the request again to
/// `/oidc/logout/confirm`, which checks it again; the page may post there and follow the
/// redirect to `redirect` (the CSP's `form-action`).
fn confirm_page(q: &LogoutQuery, redirect: Option<&str>, lang: Lang) -> Page {
    let (title, text, button) = match lang {
        Lang::Zh => (
            "退出登录？",
            "一个应用请求退出你在 Saoma 的登录。如果不是你发起的，关闭此页即可。",
            "退出登录",
        ),
        Lang::En => (
            "Log out?",
            "An app asks to log you out of Saoma. If you did not ask for this, close this page.",
            "Log out",
        ),
    };
    let hidden: String = [
        ("id_token_hint", &q.id_token_hint),
        ("post_logout_redirect_uri", &q.post_logout_redirect_uri),
        ("state", &q.state),
        ("client_id", &q.client_id),
        ("ui_locales", &q.ui_locales),
    ]
    .iter()
    .filter_map(|(name, value)| {
        value.as_ref().map(|v| {
            format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                escape(v)
            )
        })
    })
    .collect();
    let body = format!(
        "<h1>{title}</h1><p>{text}</p>\
         <form id=\"logout-confirm\" method=\"post\" action=\"/oidc/logout/confirm\">{hidden}\
         <button id=\"logout-button\" type=\"submit\">{button}</button></form>"
    );
    let redirect_origin = redirect
        .and_then(|r| url::Url::parse(r).ok())
        .map(|u| format!(" {}", u.origin().ascii_serialization()))
        .unwrap_or_default();
    let action = format!("'self'{redirect_origin}");
    simple_page_parts_with(StatusCode::OK, title, &body, lang, &action)
}
