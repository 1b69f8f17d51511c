//! The two native-app logins: the SDK's code, and a multi-platform app's mini-program code.

use super::{AppLoginRequest, AppLoginResult, MobileApp, PhoneStep};
use crate::methods::mini_program::MiniProgram;
use crate::accounts::NewIdentity;
use crate::login::{AccountView, Error, LoginOrigin, NewScene, Saoma};
use crate::scene::Provider;
use crate::store::now_ms;

/// Exchange the SDK's code, read the profile when the grant allows it, find or create the
/// account, and answer tokens (or the phone step).
pub(super) async fn login(saoma: &Saoma, req: AppLoginRequest) -> Result<AppLoginResult, Error> {
    let app = saoma.method::<MobileApp>(Provider::MobileApp)?.app.clone();
    saoma.admit_direct_login(&req.requester_ip).await?;
    let grant = saoma.wechat().oauth2_access_token(&app, &req.code).await?;
    let (mut unionid, mut nickname, mut avatar) = (grant.unionid.clone(), None, None);
    if grant.scope.contains("snsapi_userinfo") {
        let info = saoma
            .wechat()
            .userinfo(&app.app_id, &grant.access_token, &grant.openid)
            .await?;
        nickname = info.real_nickname();
        avatar = info.real_avatar();
        unionid = info.unionid.or(unionid);
    }
    let identity = NewIdentity {
        provider: Provider::MobileApp,
        app_id: app.app_id,
        openid: grant.openid,
        unionid,
        nickname,
        avatar,
    };
    let answer = app_login(saoma, identity, req).await?;
    tracing::info!("mobile-app login");
    Ok(answer)
}

/// A multi-platform app's `wx.getMiniProgramCode` code: `jscode2session` with the
/// mini-program's id and secret (`[mini_program]`), then as [`login`],
/// with the mini-program's identity (linked to the person's others by unionid).
pub(super) async fn multi_platform_login(
    saoma: &Saoma,
    req: AppLoginRequest,
) -> Result<AppLoginResult, Error> {
    let mp = saoma
        .method::<MiniProgram>(Provider::MiniProgram)?
        .app
        .clone();
    saoma.admit_direct_login(&req.requester_ip).await?;
    let session = saoma.wechat().jscode2session(&mp, &req.code).await?;
    let identity = NewIdentity {
        provider: Provider::MiniProgram,
        app_id: mp.app_id,
        openid: session.openid,
        unionid: session.unionid,
        nickname: None,
        avatar: None,
    };
    let answer = app_login(saoma, identity, req).await?;
    tracing::info!("multi-platform app login");
    Ok(answer)
}

/// The identity's account found, created or refused (`complete_login`), then its tokens,
/// or the phone step when `accounts.require_phone` asks for one.
async fn app_login(
    saoma: &Saoma,
    identity: NewIdentity,
    req: AppLoginRequest,
) -> Result<AppLoginResult, Error> {
    let (provider, app_id) = (identity.provider, identity.app_id.clone());
    let origin = LoginOrigin {
        scene: None,
        ip: Some(req.requester_ip.clone()),
        user_agent: Some(req.user_agent.clone()),
    };
    let account = saoma.complete_login(&identity, origin).await?;
    if saoma.settings().require_phone && account.phone.is_none() {
        let (record, poll_token) = saoma
            .insert_scene(NewScene {
                provider,
                scene: None,
                requester_ip: req.requester_ip,
                user_agent: req.user_agent,
                return_url: None,
                for_client: None,
            })
            .await?;
        let record = saoma
            .confirm_identity(&record.scene, provider, &account, &app_id, None)
            .await?;
        tracing::info!(scene = %record.scene, "app login needs a phone");
        return Ok(AppLoginResult {
            account: AccountView::from(&account),
            tokens: None,
            need_phone: Some(PhoneStep {
                scene: record.scene.to_string(),
                poll_token: poll_token.expose().to_string(),
                status: record.status,
                expires_in: record.expires_in(now_ms()),
            }),
        });
    }
    let tokens = saoma.mint(&account.id, provider, &app_id).await?;
    Ok(AppLoginResult {
        account: AccountView::from(&account),
        tokens: Some(tokens),
        need_phone: None,
    })
}
