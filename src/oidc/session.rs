//! The single sign-on session: after a login the browser holds `saoma_sso` (HttpOnly,
//! SameSite=Lax, Secure under https, path `/oidc`), a random secret whose hash keys the session
//! in SQL (`accounts::SsoSessions`); the session's public name is its `sid`. Later
//! authorization requests from any client reuse it without a scan.

use super::error::OAuthError;
use super::server::Oidc;
use super::state::{Login, hash};
use crate::login::random_token;
use crate::secret::Secret;
use poem::Request;
use std::time::Duration;

pub const SESSION_COOKIE: &str = "saoma_sso";

pub fn session_cookie(secret: &str, ttl: Duration, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={secret}; Path=/oidc; Max-Age={}; HttpOnly; SameSite=Lax{}",
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

/// The session secret the browser sent, if any.
pub fn session_secret(req: &Request) -> Option<String> {
    cookie(req, SESSION_COOKIE)
}

/// Binds a hosted-page login to the browser that started it: the cookie holds a secret whose
/// hash the scene (and then its one-time ticket) carries, so `/oidc/resume` signs a browser in
/// only if it is the one that created the scene. Another browser that loads the same request's
/// page gets a secret of its own (login CSRF: the attacker's confirmed login cannot be planted
/// in it). Named after the request, so that logins in several tabs do not overwrite each
/// other; a browser keeps its secret for a request across the request's scenes.
pub fn login_cookie_name(request: &str) -> String {
    format!("saoma_login_{}", &hash(request)[..16])
}

pub fn login_cookie(request: &str, secret: &str, ttl: Duration, secure: bool) -> String {
    format!(
        "{}={secret}; Path=/oidc; Max-Age={}; HttpOnly; SameSite=Lax{}",
        login_cookie_name(request),
        ttl.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// The browser's binding secret for `request`: the one its cookie holds (when well formed: 256
/// bits, base64url), else a new one.
pub fn login_secret(req: &Request, request: &str) -> Secret {
    cookie(req, &login_cookie_name(request))
        .filter(|v| {
            v.len() == 43
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map_or_else(random_token, Secret::new)
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
        let Some(secret) = session_secret(req) else {
            return Ok(None);
        };
        let session = self
            .saoma
            .sso_session(&secret)
            .await
            .map_err(OAuthError::domain)?;
        Ok(session.map(|s| Login {
            account_id: s.account_id,
            provider: s.provider,
            app_id: s.app_id,
            auth_time: s.auth_time,
            sid: Some(s.sid),
        }))
    }

    /// End the browser's session (logout).
    pub(super) async fn end_session(&self, req: &Request) -> Result<(), OAuthError> {
        if let Some(secret) = session_secret(req) {
            self.saoma
                .end_sso_session(&secret)
                .await
                .map_err(OAuthError::domain)?;
        }
        Ok(())
    }
}
