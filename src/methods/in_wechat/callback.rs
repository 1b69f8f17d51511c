//! The in-WeChat callback: WeChat sends the browser back with a code (or without one: the
//! user turned the consent page down).

use super::{InWechat, InWechatOutcome};
use crate::accounts::NewIdentity;
use crate::login::{BrowserCallback, Error, LoginOrigin, PollToken, Saoma};
use crate::scene::{Event, Provider, ScannedBy, Scene, SceneRecord, SceneStatus, TransitionError};
use crate::store::now_ms;

/// WeChat sent the browser back. The state must name a waiting in-WeChat scene created by
/// this very browser (its cookie), checked before the code is spent. Then: exchange the
/// code; a snapshot-page user (`is_snapshotuser`) is refused and the scene left as it is;
/// with `snsapi_userinfo`, read the profile; find or create the account; confirm.
pub(super) async fn callback(saoma: &Saoma, cb: BrowserCallback) -> Result<InWechatOutcome, Error> {
    let in_wechat: &InWechat = saoma.method(Provider::InWechat)?;
    let scene = cb
        .state
        .and_then(|s| Scene::parse(s).ok())
        .ok_or(Error::InvalidState)?;
    let found = saoma
        .scene_record(&scene)
        .await?
        .ok_or(Error::InvalidState)?;
    let from_creator = cb
        .browser
        .as_deref()
        .is_some_and(|token| PollToken::matches(token, &found.poll_token_hash));
    if found.provider != Provider::InWechat || !from_creator {
        tracing::info!(scene = %scene, "in-WeChat callback from a browser that did not start it; scene unchanged");
        return Err(Error::InvalidState);
    }
    ensure_waiting(&found, now_ms())?;
    let return_url = found
        .return_url
        .clone()
        .unwrap_or_else(|| in_wechat.return_url.to_string());

    let Some(code) = cb.code.filter(|c| !c.is_empty()) else {
        saoma
            .transition(&scene, |r, now| {
                ensure_waiting(r, now)?;
                if r.status_at(now) == SceneStatus::Pending {
                    r.apply(Event::Scan, now)?;
                }
                Ok(r.apply(Event::Cancel, now)?)
            })
            .await?;
        tracing::info!(scene = %scene, "in-WeChat login refused");
        return Ok(InWechatOutcome::Cancelled { return_url });
    };

    let grant = match saoma
        .wechat()
        .oauth2_access_token(&in_wechat.app, &code)
        .await
    {
        Ok(grant) => grant,
        Err(e) => return Err(saoma.login_failed(Some(&scene), e.into()).await),
    };
    if grant.is_snapshotuser {
        tracing::info!(scene = %scene, "in-WeChat login from a snapshot page; scene unchanged");
        return Err(Error::SnapshotUser);
    }
    let (mut unionid, mut scanned_by) = (grant.unionid.clone(), None);
    if in_wechat.fetch_profile && grant.scope.contains("snsapi_userinfo") {
        let info = saoma
            .wechat()
            .userinfo(&in_wechat.app.app_id, &grant.access_token, &grant.openid)
            .await?;
        scanned_by = Some(ScannedBy {
            nickname: info.real_nickname(),
            avatar: info.real_avatar(),
        });
        unionid = info.unionid.or(unionid);
    }
    let identity = NewIdentity {
        provider: Provider::InWechat,
        app_id: in_wechat.app.app_id.clone(),
        openid: grant.openid,
        unionid,
        nickname: scanned_by.as_ref().and_then(|s| s.nickname.clone()),
        avatar: scanned_by.as_ref().and_then(|s| s.avatar.clone()),
    };
    let origin = LoginOrigin {
        scene: Some(scene.clone()),
        ..LoginOrigin::default()
    };
    // Refused: the scene is cancelled with the reason, which the page at the return URL
    // reads from it.
    let account = match saoma.complete_login(&identity, origin).await {
        Ok(account) => account,
        Err(Error::LoginRefused(_)) => return Ok(InWechatOutcome::Cancelled { return_url }),
        Err(e) => return Err(e),
    };
    saoma
        .confirm_identity(
            &scene,
            Provider::InWechat,
            &account,
            &in_wechat.app.app_id,
            scanned_by,
        )
        .await?;
    tracing::info!(scene = %scene, "in-WeChat login confirmed");
    Ok(InWechatOutcome::Confirmed { return_url })
}

/// An in-WeChat scene still waiting for WeChat; anything else is refused as it stands.
fn ensure_waiting(record: &SceneRecord, now: i64) -> Result<(), Error> {
    if record.provider != Provider::InWechat {
        return Err(Error::WrongProvider(record.provider));
    }
    let status = record.status_at(now);
    if !status.is_waiting() {
        return Err(TransitionError {
            from: status,
            event: Event::Confirm,
        }
        .into());
    }
    Ok(())
}
