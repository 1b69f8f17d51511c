//! WeChat's QR page for website login (`connect/qrconnect`) and the phone's answer to it.
//!
//! The real page shows a QR bound to a session of its own and long-polls until the phone
//! answers, then sends the browser (itself with `self_redirect=true`, else the top window) to
//! `redirect_uri?code=CODE&state=STATE`. The sandbox keys that session by `state` (a later visit
//! with the same state starts it over): opening the page remembers the `redirect_uri`, so the
//! phone's approval (`POST /api/website/approve {user, state}`) needs nothing else, as on the
//! real platform. The page polls `GET /api/website/session?state=` to follow the answer.

use poem::http::StatusCode;
use poem::web::{Data, Json, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::State;
use super::errors::{api_error, parse_api_body};
use super::tokens::is_valid_app_id;

/// How long a QR page's session waits for the phone.
const SESSION_TTL: Duration = Duration::from_secs(600);
const MAX_STATE_LEN: usize = 128;

struct Session {
    app_id: String,
    redirect_uri: url::Url,
    self_redirect: bool,
    opened_at: Instant,
    answer: Option<Answer>,
}

#[derive(Clone)]
struct Answer {
    approved: bool,
    redirect: String,
}

#[derive(Default)]
pub(crate) struct Sessions {
    inner: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    fn lock(&self, now: Instant) -> MutexGuard<'_, HashMap<String, Session>> {
        let mut sessions = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        sessions.retain(|_, s| now < s.opened_at + SESSION_TTL * 2);
        sessions
    }
}

#[derive(Deserialize)]
pub(crate) struct QrConnectQuery {
    appid: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    self_redirect: Option<String>,
}

/// `GET /wechat/connect/qrconnect?appid=&redirect_uri=&response_type=code&scope=snsapi_login&state=`
/// (plus `login_type=jssdk&self_redirect=` from wxLogin.js): the QR page. Its code opens the
/// phone simulator's approve screen: `<public_url>sandbox/phone?state=<state>&provider=website`.
#[handler]
pub(crate) async fn qrconnect(
    Data(state): Data<&Arc<State>>,
    Query(q): Query<QrConnectQuery>,
) -> Response {
    let app_id = q.appid.unwrap_or_default();
    if !is_valid_app_id(&app_id) {
        return super::pages::error("appid 参数错误 (invalid appid)");
    }
    let redirect_uri = match q.redirect_uri.as_deref().map(url::Url::parse) {
        Some(Ok(url)) if matches!(url.scheme(), "http" | "https") => url,
        _ => return super::pages::error("redirect_uri 参数错误 (invalid redirect_uri)"),
    };
    if q.response_type.as_deref() != Some("code") {
        return super::pages::error("response_type 参数错误 (must be code)");
    }
    if q.scope.as_deref() != Some("snsapi_login") {
        return super::pages::error("Scope 参数错误或没有 Scope 权限 (must be snsapi_login)");
    }
    let login_state = q.state.unwrap_or_default();
    if login_state.is_empty() || login_state.len() > MAX_STATE_LEN {
        return super::pages::error("state 参数错误 (the sandbox needs 1..=128 characters)");
    }
    let self_redirect = q.self_redirect.as_deref() == Some("true");
    let now = state.clock.now();
    let session = Session {
        app_id: app_id.clone(),
        redirect_uri,
        self_redirect,
        opened_at: now,
        answer: None,
    };
    state
        .sessions
        .lock(now)
        .insert(login_state.clone(), session);

    let mut phone_link = state.phone_url.clone();
    phone_link
        .query_pairs_mut()
        .clear()
        .append_pair("state", &login_state)
        .append_pair("provider", "website");
    let session_url = state.phone_url.join("api/website/session").ok();
    super::pages::qrconnect(super::pages::QrPage {
        app_id: &app_id,
        state: &login_state,
        self_redirect,
        phone_link: phone_link.as_str(),
        session_url: session_url.as_ref().map_or("", url::Url::as_str),
    })
    .await
}

#[derive(Deserialize)]
struct ApproveBody {
    user: Option<String>,
    state: String,
    #[serde(default = "yes")]
    approve: bool,
}

fn yes() -> bool {
    true
}

/// `POST /api/website/approve {user, state, approve?}` -> `{redirect, approved}`: the phone's
/// answer to the QR page opened with `state`, and the URL WeChat sends the browser to:
/// `redirect_uri?code=CODE&state=STATE` (single-use code, 10 minutes), or with `approve: false`
/// `redirect_uri?state=STATE` (the user refused). The session takes one answer.
#[handler]
pub(crate) async fn approve(Data(state): Data<&Arc<State>>, body: Vec<u8>) -> Response {
    let body: ApproveBody = match parse_api_body(&body) {
        Ok(body) => body,
        Err(bad) => return bad.into_response(),
    };
    let user = body.user.filter(|u| state.users.get(u).is_some());
    if body.approve && user.is_none() {
        let message = "no such fake user; create one with POST /api/users";
        return api_error(StatusCode::NOT_FOUND, "unknown_user", message);
    }
    let now = state.clock.now();
    let mut sessions = state.sessions.lock(now);
    let Some(session) = sessions.get_mut(&body.state) else {
        let message = "no QR page was opened with this state: open connect/qrconnect first";
        return api_error(StatusCode::NOT_FOUND, "unknown_state", message);
    };
    if session.answer.is_some() {
        let message = "this QR page was already answered; reload it for a new one";
        return api_error(StatusCode::CONFLICT, "already_answered", message);
    }
    if now >= session.opened_at + SESSION_TTL {
        let message = "this QR page expired; reload it for a new one";
        return api_error(StatusCode::GONE, "session_expired", message);
    }
    let mut redirect = session.redirect_uri.clone();
    {
        let mut query = redirect.query_pairs_mut();
        if let Some(user) = user.as_deref().filter(|_| body.approve) {
            query.append_pair("code", &state.oauth.mint_code(user, &session.app_id, now));
        }
        query.append_pair("state", &body.state);
    }
    let answer = Answer {
        approved: body.approve,
        redirect: redirect.into(),
    };
    session.answer = Some(answer.clone());
    Json(serde_json::json!({ "redirect": answer.redirect, "approved": answer.approved }))
        .into_response()
}

#[derive(Deserialize)]
pub(crate) struct SessionQuery {
    state: Option<String>,
}

/// `GET /api/website/session?state=` -> `{state, appid, self_redirect, status, redirect?}`:
/// `status` is `waiting`, `approved`, `refused` or `expired`; `redirect` once answered. The QR
/// page polls it; the phone page may show which app asks.
#[handler]
pub(crate) async fn session_status(
    Data(state): Data<&Arc<State>>,
    Query(q): Query<SessionQuery>,
) -> Response {
    let login_state = q.state.unwrap_or_default();
    let now = state.clock.now();
    let sessions = state.sessions.lock(now);
    let Some(session) = sessions.get(&login_state) else {
        let message = "no QR page was opened with this state";
        return api_error(StatusCode::NOT_FOUND, "unknown_state", message);
    };
    let status = match &session.answer {
        Some(a) if a.approved => "approved",
        Some(_) => "refused",
        None if now >= session.opened_at + SESSION_TTL => "expired",
        None => "waiting",
    };
    Json(serde_json::json!({
        "state": login_state,
        "appid": session.app_id,
        "self_redirect": session.self_redirect,
        "status": status,
        "redirect": session.answer.as_ref().map(|a| a.redirect.clone()),
    }))
    .into_response()
}
