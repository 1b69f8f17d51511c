//! The single sign-on session: after a login the browser holds `saoma_sso` (HttpOnly,
//! SameSite=Lax, Secure under https, path `/oidc`), a random id whose hash keys the login in
//! the store. Later authorization requests from any client reuse it without a scan.

use super::Oidc;
use super::error::OAuthError;
use super::state::{Login, hash, session_key};
use poem::Request;
use std::time::Duration;

pub const SESSION_COOKIE: &str = "saoma_sso";

pub fn session_cookie(sid: &str, ttl: Duration, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={sid}; Path=/oidc; Max-Age={}; HttpOnly; SameSite=Lax{}",
        ttl.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}=; Path=/oidc; Max-Age=0; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The session id the browser sent, if any.
pub fn session_id(req: &Request) -> Option<String> {
    cookie(req, SESSION_COOKIE)
}

/// Binds a hosted-page login to the browser that started it: the one-time ticket of
/// `/oidc/resume` signs a browser in only if it holds this cookie, so a ticket URL opened in
/// another browser (login CSRF) signs nobody in. Named after the request, so that logins in
/// several tabs do not overwrite each other.
pub fn login_cookie_name(request: &str) -> String {
    format!("saoma_login_{}", &hash(request)[..16])
}

pub fn login_cookie(request: &str, ttl: Duration, secure: bool) -> String {
    format!(
        "{}=1; Path=/oidc; Max-Age={}; HttpOnly; SameSite=Lax{}",
        login_cookie_name(request),
        ttl.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// A cookie's value. Parsed here: the app runs no cookie-jar middleware (the API reads its one
/// cookie itself).
pub fn cookie(req: &Request, wanted: &str) -> Option<String> {
    req.headers()
        .get_all(poem::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value.to_string())
        .filter(|v| !v.is_empty())
}

impl Oidc {
    /// The browser's live session.
    pub(super) async fn current_session(&self, req: &Request) -> Result<Option<Login>, OAuthError> {
        match session_id(req) {
            Some(sid) => self.get(&session_key(&sid)).await,
            None => Ok(None),
        }
    }

    /// End the browser's session (logout).
    pub(super) async fn end_session(&self, req: &Request) -> Result<(), OAuthError> {
        if let Some(sid) = session_id(req) {
            self.remove(&session_key(&sid)).await?;
        }
        Ok(())
    }
}
