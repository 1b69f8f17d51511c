//! `/api/v1/mini-program`: what the mini-program calls.

use super::{LoginRequest, PhoneResult};
use crate::api::examples::{SCENE, at};
use crate::api::{BearerAuth, SceneId};
use crate::edge::client_of;
use crate::edge::op_error::{OpError, errors};
use crate::login::{AccountView, LoginResult, RequesterView, Saoma};
use crate::scene::SceneStatus;
use poem::Request;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{Object, OpenApi, Tags};
use std::sync::Arc;

#[derive(Tags)]
enum ApiTags {
    /// Called by the mini-program on the user's phone.
    MiniProgram,
}

/// The scene the mini-program was opened with (`decodeURIComponent(query.scene)`).
#[derive(Object, Debug)]
#[oai(example)]
pub struct ScanRequest {
    /// The scene from the code's `scene` query parameter.
    pub scene: SceneId,
}

/// Who asked to log in: show it before the user confirms.
#[derive(Object, Debug)]
#[oai(example)]
pub struct ScanResponse {
    /// The scene scanned.
    pub scene: String,
    /// Always `scanned`.
    pub status: SceneStatus,
    /// The browser that asked to log in.
    pub requester: RequesterView,
}

/// `wx.login()`'s code; with a scene, the user's answer to the browser's login.
#[derive(Object)]
#[oai(example)]
pub struct MiniProgramLoginRequest {
    /// The code from `wx.login()` (single use, 5 minutes).
    #[oai(validator(min_length = 1, max_length = 256))]
    pub code: String,
    /// The browser's scene to confirm or cancel; omit to log in to the mini-program only.
    pub scene: Option<SceneId>,
    /// Confirm (true) or cancel (false) the scene's login.
    #[oai(default = "default_approve")]
    pub approve: bool,
}

fn default_approve() -> bool {
    true
}

impl std::fmt::Debug for MiniProgramLoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MiniProgramLoginRequest")
            .field("code", &"[redacted]")
            .field("scene", &self.scene)
            .field("approve", &self.approve)
            .finish()
    }
}

/// The code of the getPhoneNumber button; optionally the `need_phone` scene to confirm.
#[derive(Object)]
#[oai(example)]
pub struct PhoneRequest {
    /// From `<button open-type="getPhoneNumber">` (single use, 5 minutes).
    #[oai(validator(min_length = 1, max_length = 256))]
    pub code: String,
    /// A `need_phone` scene this account is logging into, to confirm with the number.
    #[oai(validator(max_length = 64))]
    pub scene: Option<String>,
}

impl std::fmt::Debug for PhoneRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhoneRequest")
            .field("code", &"[redacted]")
            .field("scene", &self.scene)
            .finish()
    }
}

errors!(
    /// `miniProgramScan`'s errors.
    ScanErrors = "miniProgramScan", json: true,
    [InvalidScene, WrongProvider, SceneNotFound, SceneConflict, SceneExpired, SceneConsumed,
     StoreUnavailable]
);
errors!(
    /// `miniProgramLogin`'s errors.
    LoginErrors = "miniProgramLogin", json: true,
    [InvalidScene, WrongProvider, InvalidCode, ProviderUnavailable, SceneNotFound, SceneConflict,
     SceneExpired, SceneConsumed, RateLimited, WechatError, WechatQuotaExhausted,
     StoreUnavailable, DatabaseUnavailable, WechatTimeout, AccountDisabled, NotProvisioned]
);
errors!(
    /// `miniProgramPhone`'s errors.
    PhoneErrors = "miniProgramPhone", json: true,
    [InvalidScene, WrongProvider, InvalidCode, InvalidPhone, Unauthenticated, TokenNotAccepted,
     ProviderUnavailable, SceneNotFound, SceneConflict, SceneExpired, SceneConsumed, RateLimited,
     WechatError, WechatQuotaExhausted, StoreUnavailable, DatabaseUnavailable, WechatTimeout]
);

#[derive(Default)]
pub struct MiniProgramApi;

#[OpenApi(prefix_path = "/api/v1/mini-program", tag = "ApiTags::MiniProgram")]
impl MiniProgramApi {
    /// Report that the code was scanned
    ///
    /// Marks the scene `scanned` and returns the requester to display.
    #[oai(path = "/scan", method = "post", operation_id = "miniProgramScan")]
    async fn scan(
        &self,
        saoma: Data<&Arc<Saoma>>,
        body: Json<ScanRequest>,
    ) -> Result<Json<ScanResponse>, OpError<ScanErrors>> {
        let requester = super::login::scan(&saoma, &body.0.scene.0).await?;
        Ok(Json(ScanResponse {
            scene: body.0.scene.0,
            status: SceneStatus::Scanned,
            requester,
        }))
    }

    /// Log in with wx.login()'s code, and confirm or cancel a scene
    ///
    /// Without a scene (the mini-program's own login), at most
    /// `limits.direct_logins_per_ip_per_minute` per client address, counted before WeChat is
    /// called: beyond, 429 `rate_limited` with Retry-After.
    #[oai(path = "/login", method = "post", operation_id = "miniProgramLogin")]
    async fn login(
        &self,
        saoma: Data<&Arc<Saoma>>,
        req: &Request,
        body: Json<MiniProgramLoginRequest>,
    ) -> Result<Json<LoginResult>, OpError<LoginErrors>> {
        let body = body.0;
        let (requester_ip, _) = client_of(req);
        let login = LoginRequest {
            code: body.code,
            scene: body.scene.map(|s| s.0),
            approve: body.approve,
            requester_ip,
        };
        let result = super::login::login(&saoma, login).await?;
        Ok(Json(result))
    }

    /// Bind the phone number of the getPhoneNumber button to the bearer's account
    ///
    /// Needs an access token issued to this mini-program. WeChat vouches for the number, so a
    /// number already bound to another account links this identity to that account (`linked`,
    /// with new `tokens`). With `scene` (a `need_phone` scene this account is logging into),
    /// the scene is confirmed too. A used or expired code is 400 `invalid_code`.
    ///
    /// Each number WeChat gives is charged, so an account that already has a number keeps it
    /// and WeChat is not asked (the code is not spent), and at most
    /// `limits.phone_numbers_per_ip_per_minute` are asked per client address, counted before
    /// WeChat is called: beyond, 429 `rate_limited` with Retry-After.
    #[oai(path = "/phone", method = "post", operation_id = "miniProgramPhone")]
    async fn phone(
        &self,
        saoma: Data<&Arc<Saoma>>,
        req: &Request,
        auth: BearerAuth,
        body: Json<PhoneRequest>,
    ) -> Result<Json<PhoneResult>, OpError<PhoneErrors>> {
        let body = body.0;
        let (ip, _) = client_of(req);
        let scene = body.scene.as_deref();
        let result =
            super::phone::bind(&saoma, Some(&auth.0.token), &body.code, scene, &ip).await?;
        Ok(Json(result))
    }
}

impl Example for ScanRequest {
    fn example() -> Self {
        Self {
            scene: SceneId(SCENE.into()),
        }
    }
}

impl Example for ScanResponse {
    fn example() -> Self {
        Self {
            scene: SCENE.into(),
            status: SceneStatus::Scanned,
            requester: RequesterView {
                ip: "203.0.113.7".into(),
                user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15".into(),
                created_at: at("2026-01-02T03:04:05Z"),
                client_name: None,
            },
        }
    }
}

impl Example for MiniProgramLoginRequest {
    fn example() -> Self {
        Self {
            code: "0a3Xyz000abcde1FGH2jk3LmNo4Xyz0F".into(),
            scene: Some(SceneId(SCENE.into())),
            approve: true,
        }
    }
}

impl Example for PhoneRequest {
    fn example() -> Self {
        Self {
            code: "e31968a7f94cc5ee25fafc2aef2773f0bb8c3937b22520eb8ee345274d00c144".into(),
            scene: Some(SCENE.into()),
        }
    }
}

impl Example for PhoneResult {
    fn example() -> Self {
        Self {
            account: AccountView::example(),
            linked: false,
            tokens: None,
            scene_status: Some(SceneStatus::Confirmed),
        }
    }
}
