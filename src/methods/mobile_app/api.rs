//! `/api/v1/mobile-app`: what a native iOS/Android app calls with the code of WeChat's SDK,
//! or, a multi-platform (多端) app, with the code of `wx.getMiniProgramCode`.
//!
//! The second is a sibling operation, not a field of the first: its code is the
//! mini-program's, exchanged with `[mini_program]`'s id and secret at `jscode2session`
//! (the first: `[mobile_app]`'s at `sns/oauth2/access_token`), it logs the person in with the
//! mini-program's identity, and it is unavailable when `[mini_program]` is not configured. One
//! operation per code keeps each one's credentials, errors and documentation its own.

use super::{AppLoginRequest, AppLoginResult};
use crate::edge::client_of;
use crate::edge::op_error::{OpError, errors};
use crate::login::Saoma;
use poem::Request;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{Object, OpenApi, Tags};
use std::sync::Arc;

#[derive(Tags)]
enum ApiTags {
    /// Called by a native app (open platform 移动应用) with the code of WeChat's mobile SDK.
    MobileApp,
}

/// The code `SendAuth.Resp` handed the app (`scope = snsapi_userinfo`).
#[derive(Object)]
#[oai(example)]
pub struct MobileAppLoginRequest {
    /// The SDK's code for the app id of `[mobile_app]` (single use, 5 minutes).
    #[oai(validator(min_length = 1, max_length = 256))]
    pub code: String,
}

impl Example for MobileAppLoginRequest {
    fn example() -> Self {
        Self {
            code: "0a1B2c3D4e5F6g7H8i9J0k".into(),
        }
    }
}

impl std::fmt::Debug for MobileAppLoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MobileAppLoginRequest")
            .field("code", &"[redacted]")
            .finish()
    }
}

/// The code `wx.getMiniProgramCode` handed a multi-platform app.
#[derive(Object)]
#[oai(example)]
pub struct MultiPlatformLoginRequest {
    /// The code, for the mini-program of `[mini_program]` (single use, 5 minutes).
    #[oai(validator(min_length = 1, max_length = 256))]
    pub code: String,
}

impl Example for MultiPlatformLoginRequest {
    fn example() -> Self {
        Self {
            code: "0c3Xk0ll2Yb5Hd4VFvml2ZQ7Wj3Xk0lr".into(),
        }
    }
}

impl std::fmt::Debug for MultiPlatformLoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MultiPlatformLoginRequest")
            .field("code", &"[redacted]")
            .finish()
    }
}

errors!(
    /// `mobileAppMultiPlatformLogin`'s errors.
    MultiPlatformErrors = "mobileAppMultiPlatformLogin", json: true,
    [InvalidCode, ProviderUnavailable, RateLimited, WechatError, WechatQuotaExhausted,
     StoreUnavailable, DatabaseUnavailable, WechatTimeout, AccountDisabled, NotProvisioned]
);

errors!(
    /// `mobileAppLogin`'s errors.
    AppLoginErrors = "mobileAppLogin", json: true,
    [InvalidCode, ProviderUnavailable, RateLimited, WechatError, WechatQuotaExhausted,
     StoreUnavailable, DatabaseUnavailable, WechatTimeout, AccountDisabled, NotProvisioned]
);

#[derive(Default)]
pub struct MobileAppApi;

#[OpenApi(prefix_path = "/api/v1/mobile-app", tag = "ApiTags::MobileApp")]
impl MobileAppApi {
    /// Log in with the code of WeChat's mobile SDK
    ///
    /// The app gets `code` from `SendAuth.Resp` (WeChat's iOS/Android SDK, `snsapi_userinfo`)
    /// and posts it here; Saoma exchanges it at `sns/oauth2/access_token` with the mobile app's
    /// id and secret (`[mobile_app]`; the secret never leaves the server), reads the profile
    /// (`sns/userinfo`), finds or creates the account (linked to the user's other WeChat
    /// identities by unionid) and answers its tokens, like `miniProgramLogin`. At most
    /// `limits.direct_logins_per_ip_per_minute` per client address, counted before WeChat is
    /// called: beyond, 429 `rate_limited` with Retry-After.
    #[oai(path = "/login", method = "post", operation_id = "mobileAppLogin")]
    async fn login(
        &self,
        saoma: Data<&Arc<Saoma>>,
        req: &Request,
        body: Json<MobileAppLoginRequest>,
    ) -> Result<Json<AppLoginResult>, OpError<AppLoginErrors>> {
        let (requester_ip, user_agent) = client_of(req);
        let login = AppLoginRequest {
            code: body.0.code,
            requester_ip,
            user_agent,
        };
        Ok(Json(super::login::login(&saoma, login).await?))
    }

    /// Log in a multi-platform (多端) app with the code of `wx.getMiniProgramCode`
    ///
    /// In a multi-platform app (the mini-program's code running as a native app, bound to it
    /// on the open platform), `wx.getMiniProgramCode` returns a code that the mini-program's
    /// `jscode2session` resolves to the mini-program's openid and unionid. Saoma exchanges it
    /// with `[mini_program]`'s id and secret, finds or creates the account of that identity
    /// (the same account as in the mini-program, and linked by unionid to the person's other
    /// WeChat identities) and answers as `mobileAppLogin`: tokens, or the phone step when
    /// `accounts.require_phone` asks for one. Same per-address limit as `mobileAppLogin`.
    #[oai(
        path = "/multi-platform-login",
        method = "post",
        operation_id = "mobileAppMultiPlatformLogin"
    )]
    async fn multi_platform_login(
        &self,
        saoma: Data<&Arc<Saoma>>,
        req: &Request,
        body: Json<MultiPlatformLoginRequest>,
    ) -> Result<Json<AppLoginResult>, OpError<MultiPlatformErrors>> {
        let (requester_ip, user_agent) = client_of(req);
        let login = AppLoginRequest {
            code: body.0.code,
            requester_ip,
            user_agent,
        };
        Ok(Json(
            super::login::multi_platform_login(&saoma, login).await?,
        ))
    }
}
