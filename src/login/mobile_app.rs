//! Native-app login (open platform 移动应用, docs/wechat.md section 7b): WeChat's mobile SDK
//! (`SendAuth.Req`) hands the app a code, the app posts it, Saoma exchanges it with the mobile
//! app's own id and secret at `sns/oauth2/access_token` and answers tokens, like the
//! mini-program's direct login. With `accounts.require_phone` and no phone on the account, it
//! answers a `need_phone` scene instead: the app binds a phone by SMS with the scene's poll
//! token (`/api/v1/phone/*`) and picks the tokens up by polling it, as a browser would.
//!
//! A multi-platform (多端) app logs in the same way with the mini-program's identity instead:
//! `wx.getMiniProgramCode` hands it a code that the mini-program's `jscode2session` resolves
//! (the mini-program's openid and unionid), so the person is the same account in the
//! mini-program and in the app ([`Saoma::multi_platform_login`]).

use super::complete::LoginOrigin;
use super::{AccountView, CreatedScene, Error, LoginMethod, NewScene, Saoma, TokenSet};
use crate::accounts::NewIdentity;
use crate::scene::{Provider, SceneStatus};
use crate::store::now_ms;
use crate::wechat::AppCredentials;

/// The configured mobile app.
#[derive(Debug, Clone)]
pub struct MobileApp {
    pub app: AppCredentials,
}

/// The SDK's code, and who asked: the address is throttled (logins without a scene) and is the
/// `need_phone` scene's requester.
pub struct AppLoginRequest {
    pub code: String,
    pub requester_ip: String,
    pub user_agent: String,
}

/// The outcome of a native-app login.
#[derive(Debug, Clone, poem_openapi::Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct AppLoginResult {
    /// The account the code's WeChat user logs into (found by identity or unionid, or new).
    pub account: AccountView,
    /// The tokens, unless a phone must be bound first (then `need_phone`).
    pub tokens: Option<TokenSet>,
    /// `accounts.require_phone` is on and the account has no phone: bind one with this scene
    /// (`POST /api/v1/phone/sms`, `/api/v1/phone/bind` with `X-Poll-Token`), then poll
    /// `GET /api/v1/scenes/{scene}` for the tokens.
    pub need_phone: Option<PhoneStep>,
}

/// A scene waiting for a phone number.
#[derive(Clone, poem_openapi::Object)]
pub struct PhoneStep {
    /// The scene that waits for the phone (status `need_phone`).
    pub scene: String,
    /// The scene's poll token: `X-Poll-Token` for the phone operations and for polling.
    pub poll_token: String,
    /// Always `need_phone`.
    pub status: SceneStatus,
    /// Seconds before the scene expires.
    pub expires_in: u64,
}

impl poem_openapi::types::Example for AppLoginResult {
    fn example() -> Self {
        let at = chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap_or_default();
        Self {
            account: AccountView {
                id: "3f0c9a52-8d1e-4b7a-9c2f-5e6d7a8b9c0d".into(),
                phone: None,
                created_at: at,
                identities: vec![super::IdentityView {
                    provider: Provider::MobileApp,
                    app_id: "wx1234567890abcdef".into(),
                    openid: "oX8sT5kQ2mN7pR4vW1yZ6bC3dF9g".into(),
                    unionid: Some("oU2aB4cD6eF8gH0iJ2kL4mN6pQ8r".into()),
                    nickname: Some("小明".into()),
                    avatar: None,
                    created_at: at,
                }],
                profile: None,
            },
            tokens: Some(TokenSet {
                access_token: "eyJhbGciOiJFZERTQSIsImtpZCI6Ii4uLiJ9.eyJzdWIiOiIuLi4ifQ.c2ln".into(),
                token_type: "Bearer".into(),
                expires_in: 900,
                refresh_token: "rt_9f8e7d6c5b4a39281706f5e4d3c2b1a0".into(),
            }),
            need_phone: None,
        }
    }
}

impl std::fmt::Debug for PhoneStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhoneStep")
            .field("scene", &self.scene)
            .field("poll_token", &"[redacted]")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl LoginMethod for MobileApp {
    fn provider(&self) -> Provider {
        Provider::MobileApp
    }

    /// The app logs in by `POST /api/v1/mobile-app/login`: no tab, no scene of its own.
    fn listed(&self) -> bool {
        false
    }

    async fn create_scene(&self, _: &Saoma, _: NewScene) -> Result<CreatedScene, Error> {
        Err(Error::ProviderUnavailable(Provider::MobileApp))
    }
}

impl Saoma {
    fn mobile_app(&self) -> Result<&MobileApp, Error> {
        self.method(Provider::MobileApp)
    }

    /// Exchange the SDK's code, read the profile when the grant allows it, find or create the
    /// account, and answer tokens (or the phone step).
    pub async fn mobile_app_login(&self, req: AppLoginRequest) -> Result<AppLoginResult, Error> {
        let app = self.mobile_app()?.app.clone();
        self.admit_direct_login(&req.requester_ip).await?;
        let grant = self.wechat.oauth2_access_token(&app, &req.code).await?;
        let (mut unionid, mut nickname, mut avatar) = (grant.unionid.clone(), None, None);
        if grant.scope.contains("snsapi_userinfo") {
            let info = self
                .wechat
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
        let answer = self.app_login(identity, req).await?;
        tracing::info!("mobile-app login");
        Ok(answer)
    }

    /// A multi-platform app's `wx.getMiniProgramCode` code: `jscode2session` with the
    /// mini-program's id and secret (`[mini_program]`), then as [`Saoma::mobile_app_login`],
    /// with the mini-program's identity (linked to the person's others by unionid).
    pub async fn multi_platform_login(
        &self,
        req: AppLoginRequest,
    ) -> Result<AppLoginResult, Error> {
        let mp = self.mini_program()?.app.clone();
        self.admit_direct_login(&req.requester_ip).await?;
        let session = self.wechat.jscode2session(&mp, &req.code).await?;
        let identity = NewIdentity {
            provider: Provider::MiniProgram,
            app_id: mp.app_id,
            openid: session.openid,
            unionid: session.unionid,
            nickname: None,
            avatar: None,
        };
        let answer = self.app_login(identity, req).await?;
        tracing::info!("multi-platform app login");
        Ok(answer)
    }

    /// The identity's account found, created or refused (`complete_login`), then its tokens,
    /// or the phone step when `accounts.require_phone` asks for one.
    async fn app_login(
        &self,
        identity: NewIdentity,
        req: AppLoginRequest,
    ) -> Result<AppLoginResult, Error> {
        let (provider, app_id) = (identity.provider, identity.app_id.clone());
        let origin = LoginOrigin {
            scene: None,
            ip: Some(req.requester_ip.clone()),
            user_agent: Some(req.user_agent.clone()),
        };
        let account = self.complete_login(&identity, origin).await?;
        if self.settings.require_phone && account.phone.is_none() {
            let (record, poll_token) = self
                .insert_scene(NewScene {
                    provider,
                    scene: None,
                    requester_ip: req.requester_ip,
                    user_agent: req.user_agent,
                    return_url: None,
                    for_client: None,
                })
                .await?;
            let record = self
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
        let tokens = self.mint(&account.id, provider, &app_id).await?;
        Ok(AppLoginResult {
            account: AccountView::from(&account),
            tokens: Some(tokens),
            need_phone: None,
        })
    }
}
