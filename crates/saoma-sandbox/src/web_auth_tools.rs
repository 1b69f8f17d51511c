//! Tools of the in-WeChat and mobile-app logins: what the phone does, for tests and the phone
//! simulator (`POST /api/in-wechat/authorize`, `POST /api/mobile-app/auth`).

use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;
use std::sync::Arc;

use super::State;
use super::errors::{api_error, parse_api_body};
use super::web_auth::{SNSAPI_BASE, SNSAPI_USERINFO};

#[derive(Deserialize)]
struct AuthorizeBody {
    user: String,
    appid: String,
    redirect_uri: String,
    #[serde(default = "base")]
    scope: String,
    state: String,
    /// Open the page as a snapshot (快照页): the code's grant has `is_snapshotuser: 1`.
    #[serde(default)]
    snapshot: bool,
}

fn base() -> String {
    SNSAPI_BASE.into()
}

/// The scope as WeChat spells it, if it is one web authorization knows.
pub(crate) fn known_scope(scope: &str) -> Option<&'static str> {
    match scope {
        SNSAPI_BASE => Some(SNSAPI_BASE),
        SNSAPI_USERINFO => Some(SNSAPI_USERINFO),
        _ => None,
    }
}

/// `redirect_uri?code=CODE&state=STATE` with a fresh code.
pub(crate) fn redirect_with_code(redirect_uri: &url::Url, code: Option<&str>, st: &str) -> String {
    let mut redirect = redirect_uri.clone();
    {
        let mut query = redirect.query_pairs_mut();
        if let Some(code) = code {
            query.append_pair("code", code);
        }
        query.append_pair("state", st);
    }
    redirect.into()
}

/// `POST /api/in-wechat/authorize {user, appid, redirect_uri, scope?, state, snapshot?}` ->
/// `{redirect, code}`: where WeChat sends the browser once `user` authorized (the consent page
/// approved, for `snsapi_userinfo`).
#[handler]
pub(crate) async fn authorize_tool(Data(state): Data<&Arc<State>>, body: Vec<u8>) -> Response {
    let body: AuthorizeBody = match parse_api_body(&body) {
        Ok(body) => body,
        Err(bad) => return bad.into_response(),
    };
    if state.users.get(&body.user).is_none() {
        let message = "no such fake user; create one with POST /api/users";
        return api_error(StatusCode::NOT_FOUND, "unknown_user", message);
    }
    let Some(scope) = known_scope(&body.scope) else {
        let message = "scope must be snsapi_base or snsapi_userinfo";
        return api_error(StatusCode::BAD_REQUEST, "invalid_scope", message);
    };
    let Ok(redirect_uri) = url::Url::parse(&body.redirect_uri) else {
        let message = "redirect_uri is not a URL";
        return api_error(StatusCode::BAD_REQUEST, "invalid_redirect_uri", message);
    };
    let now = state.clock.now();
    let code = state
        .web_auth
        .mint_code(&body.user, &body.appid, scope, body.snapshot, now);
    let redirect = redirect_with_code(&redirect_uri, Some(&code), &body.state);
    Json(serde_json::json!({ "redirect": redirect, "code": code })).into_response()
}

#[derive(Deserialize)]
struct AppAuthBody {
    user: String,
    appid: String,
}

/// `POST /api/mobile-app/auth {user, appid}` -> `{code}`: what WeChat's mobile SDK
/// (`SendAuth.Resp`, `snsapi_userinfo`) hands the app once the user agreed.
#[handler]
pub(crate) async fn mobile_app_auth(Data(state): Data<&Arc<State>>, body: Vec<u8>) -> Response {
    let body: AppAuthBody = match parse_api_body(&body) {
        Ok(body) => body,
        Err(bad) => return bad.into_response(),
    };
    if state.users.get(&body.user).is_none() {
        let message = "no such fake user; create one with POST /api/users";
        return api_error(StatusCode::NOT_FOUND, "unknown_user", message);
    }
    let now = state.clock.now();
    let code = state
        .web_auth
        .mint_code(&body.user, &body.appid, SNSAPI_USERINFO, false, now);
    Json(serde_json::json!({ "code": code })).into_response()
}
