//! The official account's fake APIs: `cgi-bin/qrcode/create` (tickets whose `url` is what the
//! QR encodes), `cgi-bin/showqrcode` (the image, or 404) and `cgi-bin/user/info` (followers).
//! Tickets and followers are kept in memory; the scan tool reads them.

use base64::Engine;
use poem::http::StatusCode;
use poem::web::{Data, Query};
use poem::{Response, handler};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::State;
use super::errors::{self, random_bytes, wx_error, wx_json};
use super::faults::{self, observe};
use super::tokens::authorise;

pub(crate) const INVALID_OPENID: i64 = 40003;
pub(crate) const INVALID_ACTION_INFO: i64 = 40053;
const DEFAULT_EXPIRE: u64 = 60;
const MAX_EXPIRE: u64 = 2_592_000;
const MAX_SCENE_STR: usize = 64;
const QR_SIDE: u32 = 430;

/// A QR created by qrcode/create.
#[derive(Debug, Clone)]
pub(crate) struct Ticket {
    pub(crate) app_id: String,
    /// `scene_str`, or `scene_id` written in decimal.
    pub(crate) scene: String,
    pub(crate) url: String,
    pub(crate) ticket: String,
    pub(crate) created_at: Instant,
    /// `None`: a permanent QR.
    pub(crate) expires_at: Option<Instant>,
}

#[derive(Default)]
pub(crate) struct OfficialAccounts {
    tickets: Mutex<HashMap<String, Ticket>>,
    /// (app id, user id) -> the QR scene they followed by (empty: none) and when.
    followers: Mutex<HashMap<(String, String), (String, i64)>>,
}

impl OfficialAccounts {
    fn add_ticket(&self, ticket: Ticket, now: Instant) {
        let mut tickets = self.tickets.lock().unwrap_or_else(|e| e.into_inner());
        // Forget QRs a day past their expiry; permanent ones stay.
        tickets.retain(|_, t| {
            t.expires_at
                .is_none_or(|at| now < at + Duration::from_secs(86_400))
        });
        tickets.insert(ticket.ticket.clone(), ticket);
    }

    fn by_ticket(&self, ticket: &str) -> Option<Ticket> {
        let tickets = self.tickets.lock().unwrap_or_else(|e| e.into_inner());
        tickets.get(ticket).cloned()
    }

    /// The QR the phone scanned: by the URL it encodes, or the newest one carrying `scene`.
    pub(crate) fn find(
        &self,
        app_id: &str,
        scene: Option<&str>,
        url: Option<&str>,
    ) -> Option<Ticket> {
        let tickets = self.tickets.lock().unwrap_or_else(|e| e.into_inner());
        let matching = tickets.values().filter(|t| {
            t.app_id == app_id
                && url.is_none_or(|u| u == t.url)
                && scene.is_none_or(|s| s == t.scene)
        });
        matching.max_by_key(|t| t.created_at).cloned()
    }

    pub(crate) fn follower(&self, app_id: &str, user: &str) -> Option<(String, i64)> {
        let followers = self.followers.lock().unwrap_or_else(|e| e.into_inner());
        followers
            .get(&(app_id.to_owned(), user.to_owned()))
            .cloned()
    }

    /// Marks the user a follower; false when they already were.
    pub(crate) fn follow(&self, app_id: &str, user: &str, scene: &str, at: i64) -> bool {
        let mut followers = self.followers.lock().unwrap_or_else(|e| e.into_inner());
        let key = (app_id.to_owned(), user.to_owned());
        if followers.contains_key(&key) {
            return false;
        }
        followers.insert(key, (scene.to_owned(), at));
        true
    }

    /// Unmarks the user; false when they did not follow.
    pub(crate) fn unfollow(&self, app_id: &str, user: &str) -> bool {
        let mut followers = self.followers.lock().unwrap_or_else(|e| e.into_inner());
        followers
            .remove(&(app_id.to_owned(), user.to_owned()))
            .is_some()
    }
}

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    access_token: Option<String>,
}

/// The scene of a qrcode/create body, and whether the QR is temporary; `None`: 40053.
fn parse_qr_body(body: &[u8]) -> Option<(String, bool, u64)> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let action = value.get("action_name")?.as_str()?;
    let scene = value.get("action_info")?.get("scene")?;
    let (scene, temporary) = match action {
        "QR_STR_SCENE" | "QR_LIMIT_STR_SCENE" => {
            let s = scene.get("scene_str")?.as_str()?;
            let ok = (1..=MAX_SCENE_STR).contains(&s.chars().count());
            (ok.then(|| s.to_owned())?, action == "QR_STR_SCENE")
        }
        "QR_SCENE" => (
            scene
                .get("scene_id")?
                .as_u64()
                .filter(|&id| (1..=u64::from(u32::MAX)).contains(&id))?
                .to_string(),
            true,
        ),
        "QR_LIMIT_SCENE" => (
            scene
                .get("scene_id")?
                .as_u64()
                .filter(|&id| (1..=100_000).contains(&id))?
                .to_string(),
            false,
        ),
        _ => return None,
    };
    let expire = match value.get("expire_seconds") {
        None => DEFAULT_EXPIRE,
        Some(v) => v.as_u64().filter(|&s| s > 0)?.min(MAX_EXPIRE),
    };
    Some((scene, temporary, expire))
}

/// `POST /wechat/cgi-bin/qrcode/create?access_token=`
#[handler]
pub(crate) async fn qrcode_create(
    Data(state): Data<&Arc<State>>,
    Query(q): Query<TokenQuery>,
    body: Vec<u8>,
) -> Response {
    let token = q.access_token.unwrap_or_default();
    let app_id = match authorise(state, faults::QRCODE_CREATE, &token).await {
        Ok(app_id) => app_id,
        Err(reply) => return reply,
    };
    let Some((scene, temporary, expire_seconds)) = parse_qr_body(&body) else {
        return wx_error(INVALID_ACTION_INFO);
    };
    let now = state.clock.now();
    let b64 = base64::engine::general_purpose::STANDARD;
    let short = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let ticket = Ticket {
        app_id,
        scene,
        url: format!(
            "http://weixin.qq.com/q/{}",
            short.encode(random_bytes::<18>())
        ),
        ticket: format!("gQ{}", b64.encode(random_bytes::<47>())),
        created_at: now,
        expires_at: temporary.then(|| now + Duration::from_secs(expire_seconds)),
    };
    let mut reply = serde_json::json!({ "ticket": ticket.ticket, "url": ticket.url });
    if temporary {
        reply["expire_seconds"] = expire_seconds.into();
    }
    state.oa.add_ticket(ticket, now);
    wx_json(&reply)
}

#[derive(Deserialize)]
pub(crate) struct ShowQuery {
    ticket: Option<String>,
}

/// `GET /wechat/cgi-bin/showqrcode?ticket=`: the QR as a JPEG, or 404 for an unknown or
/// expired ticket (no access token: the ticket is the credential).
#[handler]
pub(crate) async fn showqrcode(
    Data(state): Data<&Arc<State>>,
    Query(q): Query<ShowQuery>,
) -> Response {
    let found = q.ticket.as_deref().and_then(|t| state.oa.by_ticket(t));
    let label = found
        .as_ref()
        .map_or(faults::UNKNOWN_APP, |t| t.app_id.as_str());
    if let Some(reply) = observe(state, faults::SHOWQRCODE, label).await {
        return reply;
    }
    let now = state.clock.now();
    let Some(ticket) = found.filter(|t| t.expires_at.is_none_or(|at| now < at)) else {
        return Response::builder().status(StatusCode::NOT_FOUND).finish();
    };
    let rendered =
        tokio::task::spawn_blocking(move || super::wxacode::render_jpeg(&ticket.url, QR_SIDE))
            .await;
    match rendered {
        Ok(Ok(jpeg)) => Response::builder().content_type("image/jpg").body(jpeg),
        _ => wx_error(errors::SYSTEM_ERROR),
    }
}

#[derive(Deserialize)]
pub(crate) struct UserInfoQuery {
    access_token: Option<String>,
    openid: Option<String>,
}

/// `GET /wechat/cgi-bin/user/info?access_token=&openid=&lang=`
#[handler]
pub(crate) async fn user_info(
    Data(state): Data<&Arc<State>>,
    Query(q): Query<UserInfoQuery>,
) -> Response {
    let token = q.access_token.unwrap_or_default();
    let app_id = match authorise(state, faults::USER_INFO, &token).await {
        Ok(app_id) => app_id,
        Err(reply) => return reply,
    };
    let openid = q.openid.unwrap_or_default();
    let user = state
        .users
        .all()
        .into_iter()
        .find(|u| state.openid(&u.id, &app_id) == openid);
    let Some(user) = user else {
        return wx_error(INVALID_OPENID);
    };
    match state.oa.follower(&app_id, &user.id) {
        Some((scene, subscribe_time)) => wx_json(&serde_json::json!({
            "subscribe": 1,
            "openid": openid,
            "language": "zh_CN",
            "subscribe_time": subscribe_time,
            "unionid": state.unionid(&user.id),
            "remark": "",
            "groupid": 0,
            "tagid_list": [],
            "subscribe_scene": if scene.is_empty() { "ADD_SCENE_OTHERS" } else { "ADD_SCENE_QR_CODE" },
            "qr_scene": 0,
            "qr_scene_str": scene,
        })),
        None => wx_json(&serde_json::json!({ "subscribe": 0, "openid": openid })),
    }
}
