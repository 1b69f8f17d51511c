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
//! mini-program and in the app ([`login::multi_platform_login`]).

mod api;
mod login;

pub(crate) use api::MobileAppApi;

use super::Setup;
use crate::login::{AccountView, CreatedScene, Error, LoginMethod, NewScene, Saoma, TokenSet};
use crate::scene::{Provider, SceneStatus};
use crate::wechat::AppCredentials;

/// The configured mobile app.
#[derive(Debug, Clone)]
pub struct MobileApp {
    pub app: AppCredentials,
}

impl MobileApp {
    /// The app `[mobile_app]` configures, if any.
    pub(crate) fn from_setup(setup: &Setup<'_>) -> anyhow::Result<Option<MobileApp>> {
        Ok(setup
            .config
            .mobile_app_credentials()
            .map(|(app_id, secret)| MobileApp {
                app: AppCredentials { app_id, secret },
            }))
    }
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
                identities: vec![crate::login::IdentityView {
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

    fn app(&self) -> Option<&AppCredentials> {
        Some(&self.app)
    }

    /// The app logs in by `POST /api/v1/mobile-app/login`: no tab, no scene of its own.
    fn listed(&self) -> bool {
        false
    }

    async fn create_scene(&self, _: &Saoma, _: NewScene) -> Result<CreatedScene, Error> {
        Err(Error::ProviderUnavailable(Provider::MobileApp))
    }
}
