//! Content security: `wxa/msg_sec_check` (version 2). A text containing [`REFUSED_MARKER`] is
//! `risky`; any other passes. The openid must be one of this app's users (else 40003), as
//! WeChat requires a user who used the mini-program recently.

use poem::web::{Data, Query};
use poem::{Response, handler};
use serde::Deserialize;
use std::sync::Arc;

use super::State;
use super::errors::{self, random_hex, wx_error, wx_json};
use super::faults;
use super::phone_number::TokenQuery;
use super::tokens::authorise;

/// What a tester writes into a text for WeChat to refuse it (违规: "against the rules").
pub(crate) const REFUSED_MARKER: &str = "违规";

/// WeChat's label for "other" risky content; 100 is "normal".
const LABEL_OTHER: u32 = 21000;
const LABEL_NORMAL: u32 = 100;

#[derive(Deserialize)]
struct CheckBody {
    content: Option<String>,
    version: Option<u8>,
    scene: Option<u8>,
    openid: Option<String>,
}

/// `POST /wechat/wxa/msg_sec_check?access_token=` with `{content, version: 2, scene, openid}`.
#[handler]
pub(crate) async fn msg_sec_check(
    Data(state): Data<&Arc<State>>,
    Query(q): Query<TokenQuery>,
    body: Vec<u8>,
) -> Response {
    let app_id = match authorise(state, faults::MSG_SEC_CHECK, q.token()).await {
        Ok(app_id) => app_id,
        Err(reply) => return reply,
    };
    let Ok(body) = serde_json::from_slice::<CheckBody>(&body) else {
        return wx_error(errors::DATA_FORMAT_ERROR);
    };
    let (Some(content), Some(2), Some(1..=4), Some(openid)) =
        (body.content, body.version, body.scene, body.openid)
    else {
        return wx_error(errors::INVALID_ARGS);
    };
    let known = state
        .users
        .all()
        .iter()
        .any(|u| state.openid(&u.id, &app_id) == openid);
    if !known {
        return wx_error(errors::INVALID_OPENID);
    }
    let (suggest, label) = if content.contains(REFUSED_MARKER) {
        ("risky", LABEL_OTHER)
    } else {
        ("pass", LABEL_NORMAL)
    };
    wx_json(&serde_json::json!({
        "errcode": 0,
        "errmsg": "ok",
        "result": {"suggest": suggest, "label": label},
        "detail": [{"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label}],
        "trace_id": random_hex(12),
    }))
}
