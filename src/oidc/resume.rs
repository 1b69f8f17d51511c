//! Where the hosted login page sends the browser afterwards: `resume` (logged in: a session
//! cookie, then the client's redirect with a code) and `abort` (cancelled or expired on the
//! phone: `access_denied`).

use super::authorize::{error_redirect, see_other};
use super::error::OAuthError;
use super::login_page::error_page;
use super::server::Oidc;
use super::session::{cookie, login_cookie_name, session_cookie};
use super::state::{Lang, Login};
use super::store::Redeemed;
use crate::login::SsoLogin;
use poem::http::{StatusCode, header};
use poem::web::{Data, Query};
use poem::{Request, Response, handler};
use std::sync::Arc;

#[derive(serde::Deserialize)]
pub struct Ticket {
    ticket: String,
}

/// The hosted page's next stop once the phone confirmed: sign the browser in, then send it to
/// the client with a code.
#[handler]
pub async fn resume(oidc: Data<&Arc<Oidc>>, req: &Request, Query(q): Query<Ticket>) -> Response {
    let expired = |lang| {
        error_page(
            StatusCode::BAD_REQUEST,
            "login_expired",
            "this login link has expired or was already used: go back to the app and log in again",
            lang,
        )
    };
    let browser_secret = |request: &str| cookie(req, &login_cookie_name(request));
    let login = match oidc.redeem_ticket(&q.ticket, browser_secret).await {
        Ok(Redeemed::Login(login)) => login,
        Ok(Redeemed::Expired) => return expired(Lang::Zh),
        Ok(Redeemed::Elsewhere) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "login_elsewhere",
                "this login was started in another browser: log in from the app in this browser",
                Lang::Zh,
            );
        }
        Err(e) => return OAuthError::domain(e).into_page(),
    };
    let request = match oidc.take_request(&login.request).await {
        Ok(Some(request)) => request,
        Ok(None) => return expired(Lang::Zh),
        Err(e) => return e.into_page(),
    };
    let failed = |e: OAuthError| {
        see_other(&error_redirect(
            &oidc,
            request.redirect_uri.as_str(),
            request.state.as_deref(),
            e.code,
            &e.description,
        ))
    };
    let opened = oidc
        .saoma
        .open_sso_session(
            SsoLogin {
                account_id: login.account_id.clone(),
                provider: login.provider,
                app_id: login.app_id.clone(),
                auth_time: login.auth_time,
            },
            oidc.session_ttl,
        )
        .await;
    let (secret, sid) = match opened {
        Ok(opened) => opened,
        Err(e) => return failed(OAuthError::domain(e)),
    };
    let login = Login {
        account_id: login.account_id,
        provider: login.provider,
        app_id: login.app_id,
        auth_time: login.auth_time,
        sid: Some(sid),
    };
    let cookie = session_cookie(secret.expose(), oidc.session_ttl, oidc.secure_cookies);
    match oidc.issue_code(request.clone(), login).await {
        Ok(to) => {
            let mut response = see_other(&to);
            if let Ok(value) = cookie.parse() {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            tracing::info!(client = %request.client_id, "oidc: login confirmed, code issued");
            response
        }
        Err(e) => failed(e),
    }
}

#[derive(serde::Deserialize)]
pub struct Abort {
    request: String,
    reason: Option<String>,
}

/// The hosted page's next stop when the phone cancelled or the code expired.
#[handler]
pub async fn abort(oidc: Data<&Arc<Oidc>>, Query(q): Query<Abort>) -> Response {
    let request = match oidc.take_request(&q.request).await {
        Ok(Some(request)) => request,
        Ok(None) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "login_expired",
                "this login request has expired or was already answered",
                Lang::Zh,
            );
        }
        Err(e) => return e.into_page(),
    };
    let text = match q.reason.as_deref() {
        Some("expired") => "the login code expired before it was confirmed",
        _ => "the user cancelled the login on the phone",
    };
    see_other(&error_redirect(
        &oidc,
        request.redirect_uri.as_str(),
        request.state.as_deref(),
        "access_denied",
        text,
    ))
}

impl OAuthError {
    /// This error as a page (when there is nowhere safe to redirect to).
    pub fn into_page(self) -> Response {
        error_page(self.status, self.code, &self.description, Lang::Zh)
    }
}
