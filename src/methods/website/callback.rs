//! The website's callback: WeChat sends the browser back with a code (or without one: the
//! user refused).

use super::{CallbackOutcome, Website};
use crate::accounts::NewIdentity;
use crate::login::{BrowserCallback, Error, LoginOrigin, PollToken, Saoma};
use crate::scene::{Event, Provider, ScannedBy, Scene, SceneRecord, SceneStatus, TransitionError};
use crate::store::now_ms;

/// WeChat sent the browser back. Without a code the user refused: cancel, when the browser
/// is the one that created the scene (its `saoma_website` cookie). With one:
/// exchange it and read the profile (before touching any account, so a WeChat error leaves
/// nothing half made), find or create the account, then scan and confirm the scene.
pub(super) async fn callback(saoma: &Saoma, cb: BrowserCallback) -> Result<CallbackOutcome, Error> {
    let website: &Website = saoma.method(Provider::Website)?;
    let scene = cb
        .state
        .and_then(|s| Scene::parse(s).ok())
        .ok_or(Error::SceneNotFound)?;
    // Refuse a finished scene before spending the code: a replayed URL mints nothing.
    let found = saoma
        .scene_record(&scene)
        .await?
        .ok_or(Error::SceneNotFound)?;
    ensure_waiting(&found, now_ms())?;
    let return_url = found
        .return_url
        .clone()
        .unwrap_or_else(|| website.return_url.to_string());

    let Some(code) = cb.code.filter(|c| !c.is_empty()) else {
        let from_creator = cb
            .browser
            .as_deref()
            .is_some_and(|token| PollToken::matches(token, &found.poll_token_hash));
        if !from_creator {
            tracing::info!(scene = %scene, "website refusal from another browser; scene unchanged");
            return Ok(CallbackOutcome::RefusedElsewhere);
        }
        saoma
            .transition(&scene, |r, now| {
                ensure_waiting(r, now)?;
                scan_if_pending(r, now)?;
                Ok(r.apply(Event::Cancel, now)?)
            })
            .await?;
        tracing::info!(scene = %scene, "website login refused");
        return Ok(CallbackOutcome::Cancelled { return_url });
    };

    let grant = match saoma
        .wechat()
        .oauth2_access_token(&website.app, &code)
        .await
    {
        Ok(grant) => grant,
        Err(e) => return Err(saoma.login_failed(Some(&scene), e.into()).await),
    };
    let info = saoma
        .wechat()
        .userinfo(&website.app.app_id, &grant.access_token, &grant.openid)
        .await?;
    let nickname = info.real_nickname();
    let avatar = info.real_avatar();
    let identity = NewIdentity {
        provider: Provider::Website,
        app_id: website.app.app_id.clone(),
        openid: grant.openid,
        unionid: info.unionid.or(grant.unionid),
        nickname: nickname.clone(),
        avatar: avatar.clone(),
    };
    let origin = LoginOrigin {
        scene: Some(scene.clone()),
        ..LoginOrigin::default()
    };
    // Refused: the scene is cancelled with the reason, which the page at the return URL
    // reads from it.
    let account = match saoma.complete_login(&identity, origin).await {
        Ok(account) => account,
        Err(Error::LoginRefused(_)) => return Ok(CallbackOutcome::Cancelled { return_url }),
        Err(e) => return Err(e),
    };
    let scanned_by = ScannedBy { nickname, avatar };
    saoma
        .confirm_identity(
            &scene,
            Provider::Website,
            &account,
            &website.app.app_id,
            Some(scanned_by),
        )
        .await?;
    tracing::info!(scene = %scene, "website login confirmed");
    Ok(CallbackOutcome::Confirmed { return_url })
}

/// A website scene still waiting for WeChat; anything else is refused as it stands.
fn ensure_waiting(record: &SceneRecord, now: i64) -> Result<(), Error> {
    if record.provider != Provider::Website {
        return Err(Error::WrongProvider(record.provider));
    }
    let status = record.status_at(now);
    if !status.is_waiting() {
        let event = Event::Confirm;
        return Err(TransitionError {
            from: status,
            event,
        }
        .into());
    }
    Ok(())
}

fn scan_if_pending(r: &mut SceneRecord, now: i64) -> Result<(), Error> {
    if r.status_at(now) == SceneStatus::Pending {
        r.apply(Event::Scan, now)?;
    }
    Ok(())
}
