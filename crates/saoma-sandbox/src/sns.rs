//! Login codes: minted by `POST /api/wx-login` (what `wx.login()` gives the mini-program) and
//! redeemed once, within 5 minutes, by `sns/jscode2session`.

use base64::Engine;
use poem::http::StatusCode;
use poem::web::{Data, Json, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::State;
use super::errors::{self, api_error, parse_api_body, random_bytes, random_hex, wx_error, wx_json};
use super::faults::{self, observe};
use super::tokens::is_valid_app_id;

const CODE_TTL: Duration = Duration::from_secs(300);
const PRUNE_EVERY: Duration = Duration::from_secs(10);

struct LoginCode {
    user_id: String,
    /// `None`: valid for whichever app redeems it first.
    app_id: Option<String>,
    minted_at: Instant,
    redeemed: bool,
}

#[derive(Default)]
pub(crate) struct Codes {
    inner: Mutex<CodeBook>,
}

#[derive(Default)]
struct CodeBook {
    codes: HashMap<String, LoginCode>,
    last_prune: Option<Instant>,
}

impl CodeBook {
    fn prune(&mut self, now: Instant) {
        if self.last_prune.is_some_and(|at| now < at + PRUNE_EVERY) {
            return;
        }
        self.last_prune = Some(now);
        self.codes.retain(|_, c| now < c.minted_at + CODE_TTL);
    }
}

impl Codes {
    fn book(&self) -> std::sync::MutexGuard<'_, CodeBook> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn mint(&self, user_id: &str, app_id: Option<String>, now: Instant) -> String {
        let mut book = self.book();
        book.prune(now);
        let code = random_hex(16);
        let login = LoginCode {
            user_id: user_id.to_owned(),
            app_id,
            minted_at: now,
            redeemed: false,
        };
        book.codes.insert(code.clone(), login);
        code
    }

    /// How many codes (live or used) the book holds.
    #[cfg(test)]
    pub(crate) fn remembered(&self) -> usize {
        self.book().codes.len()
    }

    /// Marks the code used and returns its user; `Err` is the errcode. Atomic: of two
    /// concurrent redemptions exactly one succeeds.
    pub(crate) fn redeem(&self, code: &str, app_id: &str, now: Instant) -> Result<String, i64> {
        let mut book = self.book();
        book.prune(now);
        let Some(login) = book.codes.get_mut(code) else {
            return Err(errors::INVALID_CODE);
        };
        if now >= login.minted_at + CODE_TTL {
            return Err(errors::INVALID_CODE);
        }
        if login.redeemed {
            return Err(errors::CODE_BEEN_USED);
        }
        if login.app_id.as_deref().is_some_and(|id| id != app_id) {
            return Err(errors::INVALID_CODE);
        }
        login.redeemed = true;
        Ok(login.user_id.clone())
    }
}

#[derive(Deserialize)]
pub(crate) struct SessionQuery {
    appid: Option<String>,
    secret: Option<String>,
    js_code: Option<String>,
    grant_type: Option<String>,
}

/// `GET /wechat/sns/jscode2session?appid=&secret=&js_code=&grant_type=authorization_code`
#[handler]
pub(crate) async fn jscode2session(
    Data(state): Data<&Arc<State>>,
    Query(q): Query<SessionQuery>,
) -> Response {
    let app_id = q.appid.unwrap_or_default();
    let label = if app_id.is_empty() {
        faults::UNKNOWN_APP
    } else {
        &app_id
    };
    if let Some(reply) = observe(state, faults::JSCODE2SESSION, label).await {
        return reply;
    }
    if let Err(errcode) = state.apps.check(&app_id, &q.secret.unwrap_or_default()) {
        return wx_error(errcode);
    }
    if q.grant_type.as_deref() != Some("authorization_code") {
        return wx_error(errors::INVALID_GRANT_TYPE);
    }
    let code = q.js_code.unwrap_or_default();
    let user_id = match state.codes.redeem(&code, &app_id, state.clock.now()) {
        Ok(user_id) => user_id,
        Err(errcode) => return wx_error(errcode),
    };
    let session_key = base64::engine::general_purpose::STANDARD.encode(random_bytes::<16>());
    wx_json(&serde_json::json!({
        "session_key": session_key,
        "openid": state.openid(&user_id, &app_id),
        "unionid": state.unionid(&user_id),
    }))
}

/// A sandbox tool's `user` must be a fake user, and its `app_id`, when given, well formed: the
/// refusal to answer otherwise.
pub(crate) fn unknown_user_or_app(
    state: &State,
    user: &str,
    app_id: Option<&str>,
) -> Option<Response> {
    if state.users.get(user).is_none() {
        let message = format!("no fake user {user:?}; create one with POST /api/users");
        return Some(api_error(StatusCode::NOT_FOUND, "unknown_user", &message));
    }
    if let Some(app_id) = app_id
        && !is_valid_app_id(app_id)
    {
        let message = format!("invalid app id {app_id:?}");
        return Some(api_error(
            StatusCode::BAD_REQUEST,
            "invalid_app_id",
            &message,
        ));
    }
    None
}

#[derive(Deserialize)]
struct WxLoginBody {
    user: String,
    app_id: Option<String>,
}

/// `POST /api/wx-login {user, app_id?}` -> `{code}`: what `wx.login()` returns (and, at
/// `/api/mini-program-code`, what `wx.getMiniProgramCode` returns a multi-platform app). With
/// `app_id` the code is valid only for that app; without, for the first app that redeems it.
#[handler]
pub(crate) async fn wx_login(Data(state): Data<&Arc<State>>, body: Vec<u8>) -> Response {
    let body: WxLoginBody = match parse_api_body(&body) {
        Ok(body) => body,
        Err(bad) => return bad.into_response(),
    };
    if let Some(refused) = unknown_user_or_app(state, &body.user, body.app_id.as_deref()) {
        return refused;
    }
    let code = state.codes.mint(&body.user, body.app_id, state.clock.now());
    Json(serde_json::json!({ "code": code })).into_response()
}
