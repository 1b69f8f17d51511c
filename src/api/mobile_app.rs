//! `/api/v1/mobile-app`: what a native iOS/Android app calls with the code of WeChat's SDK.

use super::client_of;
use super::op_error::{OpError, errors};
use crate::providers::{AppLoginRequest, AppLoginResult, Saoma};
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
        Ok(Json(saoma.mobile_app_login(login).await?))
    }
}
