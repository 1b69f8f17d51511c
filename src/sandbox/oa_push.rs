//! The phone's side of the official account: `POST /api/official-account/scan` and
//! `/unfollow` build the event WeChat would push, sign it (and encrypt it per the mode), POST
//! it to Saoma's callback with WeChat's retries, and report what the callback answered.

use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{IntoResponse, Response, handler};
use rand::Rng;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

use super::errors::{api_error, parse_api_body};
use super::{SandboxOfficialAccount, State};
use crate::config::CallbackMode;
use crate::wechat::callback::{self, AesKey};

/// WeChat tries a push three times in all.
const TRIES: u32 = 3;

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

/// The account's original id (`gh_` + 12 hex), derived from its app id.
fn original_id(app_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(app_id.as_bytes());
    format!("gh_{}", &hex::encode(digest)[..12])
}

fn cdata(value: &str) -> String {
    format!("<![CDATA[{}]]>", value.replace("]]>", "]]]]><![CDATA[>"))
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

/// Sign (and encrypt) the event, POST it up to three times, and describe the outcome.
async fn deliver(
    state: &State,
    oa: &SandboxOfficialAccount,
    openid: &str,
    xml: &str,
) -> serde_json::Value {
    let key = oa
        .encoding_aes_key
        .as_ref()
        .and_then(|k| AesKey::parse(k.expose()).ok());
    // The thread-local generator is not Send: take what is needed before any await.
    let (nonce, random) = {
        let mut rng = rand::rng();
        let nonce: u32 = rng.random_range(100_000_000..1_000_000_000);
        (nonce.to_string(), rng.random::<[u8; 16]>())
    };
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let token = oa.token.expose();
    let mut url = oa.callback_url.clone();
    url.query_pairs_mut()
        .append_pair("signature", &callback::signature(token, &timestamp, &nonce))
        .append_pair("timestamp", &timestamp)
        .append_pair("nonce", &nonce)
        .append_pair("openid", openid);
    let body = match (oa.mode, &key) {
        (CallbackMode::Plain, _) | (_, None) => xml.to_owned(),
        (mode, Some(key)) => {
            let encrypt = callback::encrypt(key, &oa.app_id, xml.as_bytes(), &random);
            url.query_pairs_mut()
                .append_pair("encrypt_type", "aes")
                .append_pair(
                    "msg_signature",
                    &callback::msg_signature(token, &timestamp, &nonce, &encrypt),
                );
            let envelope = format!("<Encrypt>{}</Encrypt></xml>", cdata(&encrypt));
            match mode {
                CallbackMode::Compatible => xml.replacen("</xml>", &envelope, 1),
                _ => format!(
                    "<xml><ToUserName>{}</ToUserName>{envelope}",
                    cdata(&original_id(&oa.app_id))
                ),
            }
        }
    };
    let mut attempts = 0;
    let mut last_error = String::new();
    while attempts < TRIES {
        attempts += 1;
        let sent = state
            .push_client
            .post(url.clone())
            .header("Content-Type", "text/xml")
            .timeout(oa.push_timeout)
            .body(body.clone())
            .send()
            .await;
        let failure = match sent {
            Ok(response) => {
                let status = response.status();
                match response.text().await {
                    Ok(text) if !status.is_server_error() => {
                        return answered(oa, key.as_ref(), attempts, status.as_u16(), &text);
                    }
                    Ok(_) => format!("HTTP {status}"),
                    Err(e) => e.without_url().to_string(),
                }
            }
            Err(e) if e.is_timeout() => {
                format!("no answer within {} ms", oa.push_timeout.as_millis())
            }
            Err(e) => e.without_url().to_string(),
        };
        tracing::info!(attempt = attempts, error = %failure, "sandbox: push to the callback failed");
        last_error = failure;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    serde_json::json!({ "pushed": true, "delivered": false, "attempts": attempts, "error": last_error })
}

/// What the callback answered, with its passive reply read (decrypted when encrypted).
fn answered(
    oa: &SandboxOfficialAccount,
    key: Option<&AesKey>,
    attempts: u32,
    status: u16,
    body: &str,
) -> serde_json::Value {
    let mut report = serde_json::json!({
        "pushed": true,
        "delivered": true,
        "attempts": attempts,
        "callback": { "status": status, "body": body },
        "reply": null,
    });
    if status != 200 || body.is_empty() || body == "success" {
        return report;
    }
    match read_reply(oa, key, body) {
        Ok((msg_type, content, encrypted)) => {
            report["reply"] = serde_json::json!({ "msg_type": msg_type, "content": content, "encrypted": encrypted });
        }
        // What WeChat shows the user for a reply it cannot read.
        Err(why) => report["reply_error"] = format!("该公众号暂时无法提供服务 ({why})").into(),
    }
    report
}

fn read_reply(
    oa: &SandboxOfficialAccount,
    key: Option<&AesKey>,
    body: &str,
) -> Result<(String, String, bool), String> {
    let fields = callback::parse(body.as_bytes()).map_err(|e| e.to_string())?;
    let (fields, encrypted) = match fields.get("Encrypt") {
        Some(encrypt) => {
            let key = key.ok_or("an encrypted reply, but no key")?;
            let timestamp = fields.get("TimeStamp").unwrap_or_default();
            let nonce = fields.get("Nonce").unwrap_or_default();
            let expected = callback::msg_signature(oa.token.expose(), timestamp, nonce, encrypt);
            if !callback::verify(&expected, fields.get("MsgSignature").unwrap_or_default()) {
                return Err("the reply's MsgSignature is wrong".into());
            }
            let plain = callback::decrypt(key, &oa.app_id, encrypt).map_err(|e| e.to_string())?;
            (callback::parse(&plain).map_err(|e| e.to_string())?, true)
        }
        None => (fields, false),
    };
    let msg_type = fields.get("MsgType").unwrap_or_default().to_owned();
    let content = fields.get("Content").unwrap_or_default().to_owned();
    Ok((msg_type, content, encrypted))
}
