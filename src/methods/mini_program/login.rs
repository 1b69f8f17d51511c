//! The mini-program opened the code (the scan), and `wx.login()`'s code (the login): a
//! scene confirmed or cancelled, or the mini-program's own login without one.

use super::MiniProgram;
use crate::accounts::NewIdentity;
use crate::login::{
    AccountView, Error, LoginOrigin, LoginResult, RequesterView, Saoma, ensure_mini_program,
};
use crate::scene::{Event, Provider, Scene, SceneRecord, SceneStatus, TransitionError};
use crate::store::now_ms;

/// `wx.login()`'s code, and optionally the scene the user is answering.
pub struct LoginRequest {
    pub code: String,
    pub scene: Option<String>,
    pub approve: bool,
    /// The phone's address: a login without a scene is throttled by it.
    pub requester_ip: String,
}

/// The mini-program opened the code: mark the scene scanned and say who asked to log in.
pub(super) async fn scan(saoma: &Saoma, scene: &str) -> Result<RequesterView, Error> {
    let scene = Scene::parse(scene)?;
    let record = saoma
        .transition(&scene, |r, now| {
            ensure_mini_program(r)?;
            Ok(r.apply(Event::Scan, now)?)
        })
        .await?;
    Ok(RequesterView::from(&record.requester))
}

/// `jscode2session`, the account, and with a scene: confirm or cancel it.
pub(super) async fn login(saoma: &Saoma, req: LoginRequest) -> Result<LoginResult, Error> {
    let mp = saoma.method::<MiniProgram>(Provider::MiniProgram)?.clone();
    let scene = req.scene.map(Scene::parse).transpose()?;
    if let Some(scene) = &scene {
        // Fail before spending the user's single-use code on a scene that cannot move.
        let found = saoma
            .scene_record(scene)
            .await?
            .ok_or(Error::SceneNotFound)?;
        ensure_mini_program(&found)?;
        let status = found.status_at(now_ms());
        if !status.is_waiting() {
            let refused = TransitionError {
                from: status,
                event: Event::Confirm,
            };
            return Err(refused.into());
        }
    } else {
        saoma.admit_direct_login(&req.requester_ip).await?;
    }
    let session = match saoma.wechat().jscode2session(&mp.app, &req.code).await {
        Ok(session) => session,
        Err(e) => return Err(saoma.login_failed(scene.as_ref(), e.into()).await),
    };
    let identity = NewIdentity {
        provider: Provider::MiniProgram,
        app_id: mp.app.app_id.clone(),
        openid: session.openid,
        unionid: session.unionid,
        nickname: None,
        avatar: None,
    };
    let origin = LoginOrigin {
        scene: scene.clone(),
        ip: Some(req.requester_ip.clone()),
        user_agent: None,
    };
    // The event of a returning login is written beside the session minted below.
    let (account, recorded) = saoma.complete_login_recording(&identity, origin).await?;
    let scene_status = match &scene {
        Some(scene) => {
            let record = if req.approve {
                saoma.confirm_identity(
                    scene,
                    Provider::MiniProgram,
                    &account,
                    &mp.app.app_id,
                    None,
                )
                .await?
            } else {
                let record = saoma.transition(scene, cancel).await?;
                tracing::info!(scene = %scene, "mini-program cancelled");
                record
            };
            Some(record.status)
        }
        None => None,
    };
    let tokens = saoma
        .mint(&account.id, Provider::MiniProgram, &mp.app.app_id)
        .await;
    recorded.wait().await?;
    let tokens = tokens?;
    Ok(LoginResult {
        account: AccountView::from(&account),
        tokens,
        scene_status,
    })
}

/// The user refused; a scene the mini-program never reported as scanned is scanned first.
fn cancel(r: &mut SceneRecord, now: i64) -> Result<(), Error> {
    if r.status_at(now) == SceneStatus::Pending {
        r.apply(Event::Scan, now)?;
    }
    r.apply(Event::Cancel, now)?;
    Ok(())
}
