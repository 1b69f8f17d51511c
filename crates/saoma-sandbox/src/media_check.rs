//! Content security of an image: `wxa/media_check_async` (version 2) answers a `trace_id` at
//! once; the verdict comes later as a `wxa_media_check` event push. The sandbox keeps each
//! check pending until a tester delivers a verdict with `POST /api/media-checks/deliver
//! {suggest}` ("pass", "review" or "risky": how a tester refuses an image), which pushes the
//! event to Saoma's callback (the official account's, signed and encrypted per its mode).

use poem::http::StatusCode;
use poem::web::{Data, Json, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;
use std::sync::{Arc, Mutex};

use super::State;
use super::errors::{self, api_error, parse_api_body, random_hex, wx_error, wx_json};
use super::faults;
use super::oa_deliver::{cdata, deliver, original_id};
use super::phone_number::TokenQuery;
use super::tokens::authorise;

/// `media_type` of an image.
const IMAGE: u8 = 2;

struct Check {
    trace_id: String,
    app_id: String,
    openid: String,
}

/// The checks WeChat has not answered yet.
#[derive(Default)]
pub(crate) struct MediaChecks {
    pending: Mutex<Vec<Check>>,
}

impl MediaChecks {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Check>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[derive(Deserialize)]
struct CheckBody {
    media_url: Option<String>,
    media_type: Option<u8>,
    version: Option<u8>,
    scene: Option<u8>,
    openid: Option<String>,
}

/// `POST /wechat/wxa/media_check_async?access_token=` with
/// `{media_url, media_type: 2, version: 2, scene, openid}` -> `{errcode: 0, errmsg, trace_id}`.
#[handler]
pub(crate) async fn media_check_async(
    Data(state): Data<&Arc<State>>,
    Query(q): Query<TokenQuery>,
    body: Vec<u8>,
) -> Response {
    let app_id = match authorise(state, faults::MEDIA_CHECK_ASYNC, q.token()).await {
        Ok(app_id) => app_id,
        Err(reply) => return reply,
    };
    let Ok(body) = serde_json::from_slice::<CheckBody>(&body) else {
        return wx_error(errors::DATA_FORMAT_ERROR);
    };
    let (Some(url), Some(IMAGE), Some(2), Some(1..=4), Some(openid)) = (
        body.media_url,
        body.media_type,
        body.version,
        body.scene,
        body.openid,
    ) else {
        return wx_error(errors::INVALID_ARGS);
    };
    if !url.starts_with("http://") && !url.starts_with("https://") {
        return wx_error(errors::INVALID_ARGS);
    }
    let known = state
        .users
        .all()
        .iter()
        .any(|u| state.openid(&u.id, &app_id) == openid);
    if !known {
        return wx_error(errors::INVALID_OPENID);
    }
    let trace_id = format!("{}-{}-{}", random_hex(4), random_hex(4), random_hex(4));
    state.media_checks.lock().push(Check {
        trace_id: trace_id.clone(),
        app_id,
        openid,
    });
    wx_json(&serde_json::json!({"errcode": 0, "errmsg": "ok", "trace_id": trace_id}))
}

#[derive(Deserialize)]
struct DeliverBody {
    suggest: String,
}

/// The event WeChat pushes with the verdict.
fn event_xml(to: &str, check: &Check, suggest: &str, now: i64) -> String {
    let label = if suggest == "pass" { 100 } else { 21000 };
    format!(
        "<xml><ToUserName>{}</ToUserName><FromUserName>{}</FromUserName>\
         <CreateTime>{now}</CreateTime><MsgType>{}</MsgType><Event>{}</Event>\
         <appid>{}</appid><trace_id>{}</trace_id><version>2</version>\
         <detail><strategy>{}</strategy><errcode>0</errcode><suggest>{}</suggest>\
         <label>{label}</label><prob>90</prob></detail>\
         <errcode>0</errcode><errmsg>{}</errmsg>\
         <result><suggest>{}</suggest><label>{label}</label></result></xml>",
        cdata(to),
        cdata(&check.openid),
        cdata("event"),
        cdata("wxa_media_check"),
        cdata(&check.app_id),
        cdata(&check.trace_id),
        cdata("content_model"),
        cdata(suggest),
        cdata("ok"),
        cdata(suggest),
    )
}

/// `POST /api/media-checks/deliver {suggest}`: push every pending check's verdict
/// -> `{delivered: [{trace_id, ...the push's report}]}`.
#[handler]
pub(crate) async fn deliver_checks(Data(state): Data<&Arc<State>>, body: Vec<u8>) -> Response {
    let body: DeliverBody = match parse_api_body(&body) {
        Ok(body) => body,
        Err(bad) => return bad.into_response(),
    };
    if !matches!(body.suggest.as_str(), "pass" | "review" | "risky") {
        let message = "suggest is pass, review or risky";
        return api_error(StatusCode::BAD_REQUEST, "invalid_suggest", message);
    }
    let Some(oa) = state.official_account.clone() else {
        let message = "the sandbox has no official account whose callback gets the push";
        return api_error(
            StatusCode::NOT_FOUND,
            "official_account_not_configured",
            message,
        );
    };
    let checks = std::mem::take(&mut *state.media_checks.lock());
    let now = chrono::Utc::now().timestamp();
    let mut delivered = Vec::new();
    for check in checks {
        let xml = event_xml(&original_id(&oa.app_id), &check, &body.suggest, now);
        let mut report = deliver(state, &oa, &check.openid, &xml).await;
        report["trace_id"] = check.trace_id.clone().into();
        delivered.push(report);
    }
    Json(serde_json::json!({ "delivered": delivered })).into_response()
}
