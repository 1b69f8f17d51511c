//! The phone's side of the official account: `POST /api/official-account/scan` and
//! `/unfollow` build the event WeChat would push, sign it (and encrypt it per the mode), POST
//! it to Saoma's callback with WeChat's retries, and report what the callback answered.

use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;
use std::sync::Arc;

use super::State;
use super::errors::{api_error, parse_api_body};
use super::oa_deliver::{cdata, deliver, original_id};

#[derive(Deserialize)]
struct ScanBody {
    user: String,
    /// The scene the QR carries (`scene_str`), or
    scene: Option<String>,
    /// the URL the QR encodes (`http://weixin.qq.com/q/...`).
    url: Option<String>,
    /// Whether a user who does not follow yet taps Follow (default true). Followers scan.
    follow: Option<bool>,
}

#[derive(Deserialize)]
struct UnfollowBody {
    user: String,
}

/// The event XML as WeChat writes it (CDATA everywhere but CreateTime).
fn event_xml(
    to: &str,
    from: &str,
    create_time: i64,
    event: &str,
    key: Option<(&str, &str)>,
) -> String {
    let mut xml = format!(
        "<xml><ToUserName>{}</ToUserName><FromUserName>{}</FromUserName><CreateTime>{create_time}</CreateTime><MsgType>{}</MsgType><Event>{}</Event>",
        cdata(to),
        cdata(from),
        cdata("event"),
        cdata(event)
    );
    if let Some((event_key, ticket)) = key {
        xml.push_str(&format!(
            "<EventKey>{}</EventKey><Ticket>{}</Ticket>",
            cdata(event_key),
            cdata(ticket)
        ));
    }
    xml.push_str("</xml>");
    xml
}

/// `POST /api/official-account/scan {user, scene | url, follow?}`
#[handler]
pub(crate) async fn scan(Data(state): Data<&Arc<State>>, body: Vec<u8>) -> Response {
    let body: ScanBody = match parse_api_body(&body) {
        Ok(body) => body,
        Err(bad) => return bad.into_response(),
    };
    let Some(oa) = state.official_account.clone() else {
        return not_configured();
    };
    if state.users.get(&body.user).is_none() {
        return unknown_user(&body.user);
    }
    if body.scene.is_none() && body.url.is_none() {
        return api_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "give the QR's scene or url",
        );
    }
    let Some(ticket) = state
        .oa
        .find(&oa.app_id, body.scene.as_deref(), body.url.as_deref())
    else {
        let message = "no QR of the official account carries this scene or url";
        return api_error(StatusCode::NOT_FOUND, "unknown_qr", message);
    };
    if ticket.expires_at.is_some_and(|at| state.clock.now() >= at) {
        return api_error(
            StatusCode::GONE,
            "qr_expired",
            "the QR has expired: WeChat pushes nothing",
        );
    }
    let now = chrono::Utc::now().timestamp();
    let (event, event_key) = if state.oa.follower(&oa.app_id, &body.user).is_some() {
        ("SCAN", ticket.scene.clone())
    } else if body.follow.unwrap_or(true) {
        state.oa.follow(&oa.app_id, &body.user, &ticket.scene, now);
        ("subscribe", format!("qrscene_{}", ticket.scene))
    } else {
        let reply = serde_json::json!({ "pushed": false, "reason": "the user did not follow" });
        return Json(reply).into_response();
    };
    let openid = state.openid(&body.user, &oa.app_id);
    let xml = event_xml(
        &original_id(&oa.app_id),
        &openid,
        now,
        event,
        Some((&event_key, &ticket.ticket)),
    );
    let mut report = deliver(state, &oa, &openid, &xml).await;
    report["event"] = event.into();
    report["event_key"] = event_key.into();
    Json(report).into_response()
}

/// `POST /api/official-account/unfollow {user}`: the user unfollows; WeChat pushes
/// `unsubscribe`.
#[handler]
pub(crate) async fn unfollow(Data(state): Data<&Arc<State>>, body: Vec<u8>) -> Response {
    let body: UnfollowBody = match parse_api_body(&body) {
        Ok(body) => body,
        Err(bad) => return bad.into_response(),
    };
    let Some(oa) = state.official_account.clone() else {
        return not_configured();
    };
    if state.users.get(&body.user).is_none() {
        return unknown_user(&body.user);
    }
    if !state.oa.unfollow(&oa.app_id, &body.user) {
        return api_error(
            StatusCode::CONFLICT,
            "not_following",
            "the user does not follow the account",
        );
    }
    let openid = state.openid(&body.user, &oa.app_id);
    let now = chrono::Utc::now().timestamp();
    let xml = event_xml(&original_id(&oa.app_id), &openid, now, "unsubscribe", None);
    let mut report = deliver(state, &oa, &openid, &xml).await;
    report["event"] = "unsubscribe".into();
    Json(report).into_response()
}

fn not_configured() -> Response {
    let message = "the sandbox has no official account to push for";
    api_error(
        StatusCode::NOT_FOUND,
        "official_account_not_configured",
        message,
    )
}

fn unknown_user(user: &str) -> Response {
    let message = format!("no fake user {user:?}; create one with POST /api/users");
    api_error(StatusCode::NOT_FOUND, "unknown_user", &message)
}
