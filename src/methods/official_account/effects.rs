//! What an authenticated push does. `subscribe` with `qrscene_<scene>` (a new follower) and
//! `SCAN` with the bare scene (a follower) confirm the scene; `unsubscribe` follows
//! `accounts.unfollow`; anything else is answered `success` and changes nothing.

use super::push::{self, Push, PushQuery, UrlCheck};
use super::{OfficialAccount, PushAnswer};
use crate::accounts::NewIdentity;
use crate::config::UnfollowPolicy;
use crate::ids::{OpenId, UnionId};
use crate::login::{Error, LoginOrigin, PushRefusal, Saoma};
use crate::scene::Refusal;
use crate::scene::{Provider, Scene, SceneStatus};
use crate::store::now_ms;
use crate::wechat::{Suggest, callback};
use rand::Rng;
use std::time::Duration;

/// WeChat gives up after 5 s: user/info (token fetch included) gets this much of it.
const USER_INFO_BUDGET: Duration = Duration::from_millis(1500);
/// Longer than WeChat's retries and than the replay window, so a replayed push is caught.
const DEDUPE_TTL: Duration = Duration::from_secs(2 * crate::login::TIMESTAMP_WINDOW_SECS as u64);
const SUBSCRIBE_PREFIX: &str = "qrscene_";
/// The push that carries `media_check_async`'s verdict on a filled-in avatar.
const MEDIA_CHECK_EVENT: &str = "wxa_media_check";

const LOGGED_IN: &str = "登录成功";
const CANCELLED: &str = "已取消";
const EXPIRED: &str = "二维码已过期";
const USED: &str = "二维码已失效";
const DISABLED: &str = "登录失败：该账号已被停用";
const NOT_PROVISIONED: &str = "登录失败：本服务仅限受邀用户";

/// What the phone is told when the login is refused (the page says it from the scene).
fn refused_reply(reason: Refusal) -> &'static str {
    match reason {
        Refusal::AccountDisabled => DISABLED,
        Refusal::NotProvisioned => NOT_PROVISIONED,
    }
}

fn now_secs() -> i64 {
    now_ms().div_euclid(1000)
}

/// WeChat's URL check: `echostr` when the signature is right.
pub(super) fn url_check(saoma: &Saoma, q: &UrlCheck) -> Result<String, Error> {
    push::url_check(official_account(saoma)?, q).map_err(Error::PushRefused)
}

/// One push: authenticated, deduplicated, then acted on. Refusals are `PushRefused`.
pub(super) async fn handle_push(
    saoma: &Saoma,
    q: &PushQuery,
    body: &[u8],
) -> Result<PushAnswer, Error> {
    let oa = official_account(saoma)?;
    let push = push::authenticate(oa, q, body, now_secs()).map_err(Error::PushRefused)?;
    let app = oa.app.app_id.as_str();
    let from = push.field("FromUserName")?.to_owned();
    let openid =
        OpenId::parse(from.as_str()).map_err(|_| PushRefusal::MissingField("FromUserName"))?;
    let msg_type = push.field("MsgType")?;
    let create_time = push.field("CreateTime")?;
    let event = push.fields.get("Event").unwrap_or_default();
    let event_key = push.fields.get("EventKey").unwrap_or_default();
    // A signed query is good for one push: in plain mode the signature does not cover the
    // body, so a captured query must not carry another body.
    let query_key = format!("oa:{app}:query:{}:{}", push.timestamp, push.nonce);
    if !saoma.first_seen(&query_key, DEDUPE_TTL).await? {
        tracing::info!("official account: a push's query seen before; answered success");
        return Ok(PushAnswer::Success);
    }
    // WeChat retries the same event: FromUserName + CreateTime name it (messages: MsgId).
    // Event and EventKey are added so that two scans in one second stay two.
    let event_id = match push.fields.get("MsgId") {
        Some(msg_id) => format!("oa:{app}:msg:{msg_id}"),
        None => format!("oa:{app}:event:{from}:{create_time}:{event}:{event_key}"),
    };
    if !saoma.first_seen(&event_id, DEDUPE_TTL).await? {
        tracing::info!(event, "official account: a retried push; answered success");
        return Ok(PushAnswer::Success);
    }
    // Deduplicated only once handled: a push that fails here is forgotten, so that
    // WeChat's retry of it is handled again instead of answered `success` and lost.
    match act_on(saoma, oa, &push, &openid, msg_type).await {
        Ok(answer) => Ok(answer),
        Err(e) => {
            for key in [&query_key, &event_id] {
                if let Err(forget) = saoma.forget_seen(key).await {
                    tracing::warn!(error = %crate::telemetry::chain(&forget), "could not forget a failed push");
                }
            }
            Err(e)
        }
    }
}

/// What an authenticated, first-seen push does.
async fn act_on(
    saoma: &Saoma,
    oa: &OfficialAccount,
    push: &Push,
    openid: &OpenId,
    msg_type: &str,
) -> Result<PushAnswer, Error> {
    if msg_type != "event" {
        return Ok(PushAnswer::Success);
    }
    let from = openid.as_str();
    let event = push.fields.get("Event").unwrap_or_default();
    let event_key = push.fields.get("EventKey").unwrap_or_default();
    let reply = if event.eq_ignore_ascii_case("subscribe") {
        match event_key.strip_prefix(SUBSCRIBE_PREFIX) {
            Some(scene) => log_in(saoma, oa, openid, scene).await?,
            None => None,
        }
    } else if event.eq_ignore_ascii_case("SCAN") {
        log_in(saoma, oa, openid, event_key).await?
    } else if event.eq_ignore_ascii_case("unsubscribe") {
        unfollow(saoma, oa, openid).await;
        None
    } else if event == MEDIA_CHECK_EVENT {
        media_checked(saoma, push).await?;
        None
    } else {
        None
    };
    Ok(match reply {
        Some(text) => reply_to(oa, push, from, text),
        None => PushAnswer::Success,
    })
}

/// `wxa_media_check`: WeChat's verdict (`result.suggest`) on the avatar of `trace_id`. A
/// push without them is answered `success` and changes nothing.
async fn media_checked(saoma: &Saoma, push: &Push) -> Result<(), Error> {
    let trace_id = push.fields.get("trace_id").unwrap_or_default().trim();
    let suggest = match push.fields.get("result.suggest").map(str::trim) {
        Some("pass") => Suggest::Pass,
        Some("review") => Suggest::Review,
        Some("risky") => Suggest::Risky,
        _ => {
            tracing::warn!("wxa_media_check without result.suggest; ignored");
            return Ok(());
        }
    };
    if trace_id.is_empty() {
        tracing::warn!("wxa_media_check without trace_id; ignored");
        return Ok(());
    }
    saoma.avatar_checked(trace_id, suggest).await
}

/// Confirm `scene` for this follower. `None`: not one of our scenes (no reply).
async fn log_in(
    saoma: &Saoma,
    oa: &OfficialAccount,
    openid: &OpenId,
    scene: &str,
) -> Result<Option<&'static str>, Error> {
    let Ok(scene) = Scene::parse(scene) else {
        return Ok(None);
    };
    let Some(found) = saoma.scene_record(&scene).await? else {
        return Ok(None);
    };
    if found.provider != Provider::OfficialAccount {
        return Ok(None);
    }
    if let Some(over) = over(found.status_at(now_ms())) {
        return Ok(Some(over));
    }
    let unionid = unionid_of(saoma, oa, openid).await;
    let identity = NewIdentity {
        provider: Provider::OfficialAccount,
        app_id: oa.app.app_id.clone(),
        openid: openid.clone(),
        unionid,
        nickname: None,
        avatar: None,
    };
    let origin = LoginOrigin {
        scene: Some(scene.clone()),
        ..LoginOrigin::default()
    };
    let account = match saoma.complete_login(&identity, origin).await {
        Ok(account) => account,
        Err(Error::LoginRefused(reason)) => return Ok(Some(refused_reply(reason))),
        Err(other) => return Err(other),
    };
    match saoma
        .confirm_identity(
            &scene,
            Provider::OfficialAccount,
            &account,
            &oa.app.app_id,
            None,
        )
        .await
    {
        Ok(_) => {
            tracing::info!(scene = %scene, "official account: scene confirmed");
            Ok(Some(LOGGED_IN))
        }
        Err(Error::SceneExpired) => Ok(Some(EXPIRED)),
        Err(Error::SceneConsumed | Error::SceneConflict(_)) => Ok(Some(USED)),
        Err(Error::SceneNotFound | Error::WrongProvider(_)) => Ok(None),
        Err(other) => Err(other),
    }
}

/// The unionid from user/info, within a budget; the login goes on without it on failure.
async fn unionid_of(saoma: &Saoma, oa: &OfficialAccount, openid: &OpenId) -> Option<UnionId> {
    let call = saoma.wechat().user_info(&oa.app, openid);
    match tokio::time::timeout(USER_INFO_BUDGET, call).await {
        Ok(Ok(info)) => info.unionid,
        Ok(Err(e)) => {
            tracing::warn!(error = %crate::telemetry::chain(&e), "official account: user/info failed; logging in by openid");
            None
        }
        Err(_) => {
            tracing::warn!("official account: user/info too slow; logging in by openid");
            None
        }
    }
}

/// The reply for a scene that can no longer be confirmed, `None` while it waits.
fn over(status: SceneStatus) -> Option<&'static str> {
    match status {
        SceneStatus::Pending | SceneStatus::Scanned | SceneStatus::NeedPhone => None,
        SceneStatus::Expired => Some(EXPIRED),
        SceneStatus::Cancelled => Some(CANCELLED),
        SceneStatus::Confirmed | SceneStatus::Consumed => Some(USED),
    }
}

/// `accounts.unfollow`: keep the identity, or unlink it (its sessions through this account
/// end). A failed unlink is logged; WeChat still gets `success` (it would only retry).
async fn unfollow(saoma: &Saoma, oa: &OfficialAccount, openid: &OpenId) {
    match oa.unfollow {
        UnfollowPolicy::Ignore => {
            tracing::info!("official account: a user unfollowed (accounts.unfollow = ignore)");
        }
        UnfollowPolicy::Unlink => match saoma.unlink_identity(&oa.app.app_id, openid).await {
            Ok(found) => {
                tracing::info!(
                    found,
                    "official account: a user unfollowed; identity unlinked"
                )
            }
            Err(e) => {
                tracing::warn!(error = %crate::telemetry::chain(&e), "official account: could not unlink an unfollower")
            }
        },
    }
}

/// A passive text reply, encrypted when the push was.
fn reply_to(oa: &OfficialAccount, push: &Push, to: &str, text: &str) -> PushAnswer {
    let account = push.fields.get("ToUserName").unwrap_or_default();
    let xml = callback::text_reply(to, account, now_secs(), text);
    let Some(key) = oa.aes_key.as_ref().filter(|_| push.encrypted) else {
        return PushAnswer::Xml(xml);
    };
    let mut rng = rand::rng();
    let random: [u8; 16] = rng.random();
    let nonce = rng.random_range(100_000_000u32..1_000_000_000).to_string();
    let timestamp = now_secs().to_string();
    let encrypt = callback::encrypt(key, oa.app.app_id.as_str(), xml.as_bytes(), &random);
    let signature = callback::msg_signature(oa.token.expose(), &timestamp, &nonce, &encrypt);
    PushAnswer::Xml(callback::encrypted_reply(
        &encrypt, &signature, &timestamp, &nonce,
    ))
}

fn official_account(saoma: &Saoma) -> Result<&OfficialAccount, Error> {
    saoma.method(Provider::OfficialAccount)
}
