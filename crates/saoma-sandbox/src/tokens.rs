//! Apps (registered on first use) and access tokens: `cgi-bin/token` (a new token per call,
//! the previous one overlapping 5 minutes) and `cgi-bin/stable_token` (the same token while it
//! has 5 minutes or more to live).

use poem::http::StatusCode;
use poem::web::{Data, Json, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

use super::State;
use super::errors::{self, api_error, parse_api_body, random_token, wx_error, wx_json};
use super::faults::{self, observe};
use crate::secret::Secret;

const TOKEN_TTL: Duration = Duration::from_secs(7200);
/// How long a replaced token stays valid, and how early a stable token is rolled.
const OVERLAP: Duration = Duration::from_secs(300);
/// How long an expired token is remembered (to answer 42001 rather than 40001).
const REMEMBER_EXPIRED: Duration = Duration::from_secs(3600);
const PRUNE_EVERY: Duration = Duration::from_secs(10);

/// The apps the sandbox has seen, with the secret seen first for each.
#[derive(Default)]
pub(crate) struct Apps {
    secrets: Mutex<HashMap<String, Secret>>,
}

impl Apps {
    /// Checks an app id and secret, registering the app on first use. `Err` is the errcode.
    pub(crate) fn check(&self, app_id: &str, secret: &str) -> Result<(), i64> {
        if !is_valid_app_id(app_id) {
            return Err(errors::INVALID_APPID);
        }
        if secret.is_empty() {
            return Err(errors::INVALID_APPSECRET);
        }
        let mut secrets = self.secrets.lock().unwrap_or_else(|e| e.into_inner());
        let held = secrets
            .entry(app_id.to_owned())
            .or_insert_with(|| Secret::new(secret));
        if bool::from(held.expose().as_bytes().ct_eq(secret.as_bytes())) {
            Ok(())
        } else {
            Err(errors::INVALID_APPSECRET)
        }
    }

    /// The app ids seen so far, sorted.
    pub(crate) fn ids(&self) -> Vec<String> {
        let secrets = self.secrets.lock().unwrap_or_else(|e| e.into_inner());
        let mut ids: Vec<String> = secrets.keys().cloned().collect();
        ids.sort();
        ids
    }
}

/// Real app ids are `wx` + 16 hex digits; the sandbox takes any short id of `[A-Za-z0-9_-]`.
pub(crate) fn is_valid_app_id(app_id: &str) -> bool {
    (1..=64).contains(&app_id.len())
        && app_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

struct TokenRecord {
    app_id: String,
    expires_at: Instant,
    /// Replaced by a newer token: once expired it is "not latest" (40001), not "expired" (42001).
    replaced: bool,
}

#[derive(Default)]
pub(crate) struct TokenBook {
    inner: Mutex<Book>,
}

#[derive(Default)]
struct Book {
    tokens: HashMap<String, TokenRecord>,
    latest_plain: HashMap<String, String>,
    latest_stable: HashMap<String, String>,
    last_prune: Option<Instant>,
}

/// What an access token is worth now.
pub(crate) enum TokenCheck {
    Valid { app_id: String },
    Invalid { app_id: String, errcode: i64 },
    Unknown,
}

impl Book {
    /// Issues a new token, the previous one of the same kind overlapping for 5 minutes.
    fn issue(&mut self, app_id: &str, stable: bool, now: Instant) -> (String, u64) {
        self.prune(now);
        let token = random_token();
        let latest = if stable {
            &mut self.latest_stable
        } else {
            &mut self.latest_plain
        };
        if let Some(previous) = latest.insert(app_id.to_owned(), token.clone())
            && let Some(record) = self.tokens.get_mut(&previous)
        {
            record.expires_at = record.expires_at.min(now + OVERLAP);
            record.replaced = true;
        }
        let record = TokenRecord {
            app_id: app_id.to_owned(),
            expires_at: now + TOKEN_TTL,
            replaced: false,
        };
        self.tokens.insert(token.clone(), record);
        (token, TOKEN_TTL.as_secs())
    }

    fn prune(&mut self, now: Instant) {
        if self.last_prune.is_some_and(|at| now < at + PRUNE_EVERY) {
            return;
        }
        self.last_prune = Some(now);
        self.tokens
            .retain(|_, r| now < r.expires_at + REMEMBER_EXPIRED);
        let tokens = &self.tokens;
        self.latest_plain.retain(|_, t| tokens.contains_key(t));
        self.latest_stable.retain(|_, t| tokens.contains_key(t));
    }
}

impl TokenBook {
    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `cgi-bin/token`: a new token every call.
    pub(crate) fn issue(&self, app_id: &str, now: Instant) -> (String, u64) {
        self.book().issue(app_id, false, now)
    }

    /// `cgi-bin/stable_token`: the current token while it has `OVERLAP` or more to live.
    pub(crate) fn stable(&self, app_id: &str, force_refresh: bool, now: Instant) -> (String, u64) {
        let mut book = self.book();
        if !force_refresh
            && let Some(token) = book.latest_stable.get(app_id)
            && let Some(record) = book.tokens.get(token)
            && record.expires_at >= now + OVERLAP
        {
            return (token.clone(), (record.expires_at - now).as_secs());
        }
        book.issue(app_id, true, now)
    }

    /// Ends every live token of the app at once; the stable one, if any, is replaced.
    /// Returns false when the app had no live token.
    pub(crate) fn invalidate(&self, app_id: &str, now: Instant) -> bool {
        let mut book = self.book();
        let mut any = false;
        for record in book.tokens.values_mut() {
            if record.app_id == app_id && now < record.expires_at {
                record.expires_at = now;
                record.replaced = true;
                any = true;
            }
        }
        if book.latest_stable.contains_key(app_id) {
            book.issue(app_id, true, now);
        }
        any
    }

    /// How many tokens (live or recently expired) the book holds.
    #[cfg(test)]
    pub(crate) fn remembered(&self) -> usize {
        self.book().tokens.len()
    }

    pub(crate) fn check(&self, token: &str, now: Instant) -> TokenCheck {
        let book = self.book();
        let Some(record) = book.tokens.get(token) else {
            return TokenCheck::Unknown;
        };
        let app_id = record.app_id.clone();
        if now < record.expires_at {
            TokenCheck::Valid { app_id }
        } else if record.replaced {
            let errcode = errors::INVALID_CREDENTIAL;
            TokenCheck::Invalid { app_id, errcode }
        } else {
            let errcode = errors::ACCESS_TOKEN_EXPIRED;
            TokenCheck::Invalid { app_id, errcode }
        }
    }
}

fn app_label(app_id: &str) -> &str {
    if app_id.is_empty() {
        faults::UNKNOWN_APP
    } else {
        app_id
    }
}

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    grant_type: Option<String>,
    appid: Option<String>,
    secret: Option<String>,
}

/// `GET /wechat/cgi-bin/token?grant_type=client_credential&appid=&secret=`
#[handler]
pub(crate) async fn cgi_bin_token(
    Data(state): Data<&Arc<State>>,
    Query(q): Query<TokenQuery>,
) -> Response {
    let app_id = q.appid.unwrap_or_default();
    if let Some(reply) = observe(state, faults::CGI_BIN_TOKEN, app_label(&app_id)).await {
        return reply;
    }
    if q.grant_type.as_deref() != Some("client_credential") {
        return wx_error(errors::INVALID_GRANT_TYPE);
    }
    if let Err(errcode) = state.apps.check(&app_id, &q.secret.unwrap_or_default()) {
        return wx_error(errcode);
    }
    let (token, expires_in) = state.tokens.issue(&app_id, state.clock.now());
    wx_json(&serde_json::json!({ "access_token": token, "expires_in": expires_in }))
}

#[derive(Deserialize)]
struct StableTokenBody {
    grant_type: Option<String>,
    appid: Option<String>,
    secret: Option<String>,
    force_refresh: Option<bool>,
}

/// `POST /wechat/cgi-bin/stable_token {grant_type, appid, secret, force_refresh}`
#[handler]
pub(crate) async fn stable_token(Data(state): Data<&Arc<State>>, body: Vec<u8>) -> Response {
    let parsed: Result<StableTokenBody, _> = serde_json::from_slice(&body);
    let app_id = match &parsed {
        Ok(body) => body.appid.clone().unwrap_or_default(),
        Err(_) => String::new(),
    };
    if let Some(reply) = observe(state, faults::STABLE_TOKEN, app_label(&app_id)).await {
        return reply;
    }
    let Ok(body) = parsed else {
        return wx_error(errors::DATA_FORMAT_ERROR);
    };
    if body.grant_type.as_deref() != Some("client_credential") {
        return wx_error(errors::INVALID_GRANT_TYPE);
    }
    if let Err(errcode) = state.apps.check(&app_id, &body.secret.unwrap_or_default()) {
        return wx_error(errcode);
    }
    let force_refresh = body.force_refresh.unwrap_or(false);
    let (token, expires_in) = state
        .tokens
        .stable(&app_id, force_refresh, state.clock.now());
    wx_json(&serde_json::json!({ "access_token": token, "expires_in": expires_in }))
}

#[derive(Deserialize)]
struct InvalidateBody {
    app_id: String,
}

/// `POST /api/invalidate-token {app_id}`: the app's tokens stop working at once (40001), as when
/// another server force-refreshes the stable token.
#[handler]
pub(crate) async fn invalidate_token(Data(state): Data<&Arc<State>>, body: Vec<u8>) -> Response {
    let body: InvalidateBody = match parse_api_body(&body) {
        Ok(body) => body,
        Err(bad) => return bad.into_response(),
    };
    if state.tokens.invalidate(&body.app_id, state.clock.now()) {
        Json(serde_json::json!({ "invalidated": true })).into_response()
    } else {
        let message = format!("app {:?} has no live access token", body.app_id);
        api_error(StatusCode::NOT_FOUND, "no_token", &message)
    }
}

/// Checks the access token and applies faults to a call of `endpoint`: the caller's app id,
/// or `Err`, the reply to send (a fault's, or 40001 and the like for a bad token).
pub(crate) async fn authorise(
    state: &State,
    endpoint: &str,
    token: &str,
) -> Result<String, Response> {
    let check = state.tokens.check(token, state.clock.now());
    let label = match &check {
        TokenCheck::Valid { app_id } | TokenCheck::Invalid { app_id, .. } => app_id.clone(),
        TokenCheck::Unknown => faults::UNKNOWN_APP.to_owned(),
    };
    if let Some(reply) = observe(state, endpoint, &label).await {
        return Err(reply);
    }
    match check {
        TokenCheck::Valid { app_id } => Ok(app_id),
        TokenCheck::Invalid { errcode, .. } => Err(wx_error(errcode)),
        TokenCheck::Unknown => Err(wx_error(errors::INVALID_CREDENTIAL)),
    }
}
