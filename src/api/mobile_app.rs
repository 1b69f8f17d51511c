//! `/api/v1/mobile-app`: what a native iOS/Android app calls with the code of WeChat's SDK.

use super::client_of;
use super::error::{ApiError, ErrorBody, ErrorCode, body};
use crate::providers::{AppLoginRequest, AppLoginResult, Saoma};
use poem::Request;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
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

#[derive(ApiResponse)]
pub enum MobileAppLoginResponse {
    /// Logged in: `tokens`, or with `accounts.require_phone` and no phone on the account,
    /// `need_phone` (a scene to bind a phone by SMS, then poll for the tokens).
    #[oai(status = 200)]
    Ok(Json<AppLoginResult>),
    /// `invalid_code`: WeChat refused the code (40029 invalid or of another app, 40163 used,
    /// 42003 expired); never retried. `invalid_body`: no code.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// `provider_unavailable`: no `[mobile_app]` is configured.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// `body_too_large`: the body is larger than `limits.max_body_bytes`.
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorBody>),
    /// `unsupported_media_type`: the body is not `application/json`.
    #[oai(status = 415)]
    UnsupportedMediaType(Json<ErrorBody>),
    /// `rate_limited`: too many pending phone scenes from this address; see Retry-After.
    #[oai(status = 429)]
    TooManyRequests(Json<ErrorBody>, #[oai(header = "Retry-After")] u64),
    /// `internal`.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// `wechat_error`: WeChat answered with another error (e.g. 40013 invalid appid, 48001).
    #[oai(status = 502)]
    BadGateway(Json<ErrorBody>),
    /// `store_unavailable`, `database_unavailable`, `wechat_quota_exhausted`: retry after the
    /// delay.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>, #[oai(header = "Retry-After")] u64),
    /// `wechat_timeout`: WeChat did not answer in time.
    #[oai(status = 504)]
    GatewayTimeout(Json<ErrorBody>),
}

impl From<ApiError> for MobileAppLoginResponse {
    fn from(error: ApiError) -> Self {
        use MobileAppLoginResponse as R;
        match error {
            ApiError::BadRequest(b) => R::BadRequest(b),
            ApiError::NotFound(b) => R::NotFound(b),
            ApiError::PayloadTooLarge(b) => R::PayloadTooLarge(b),
            ApiError::UnsupportedMediaType(b) => R::UnsupportedMediaType(b),
            ApiError::TooManyRequests(b, after) => R::TooManyRequests(b, after),
            ApiError::BadGateway(b) => R::BadGateway(b),
            ApiError::Unavailable(b, after) => R::Unavailable(b, after),
            ApiError::GatewayTimeout(b) => R::GatewayTimeout(b),
            ApiError::Internal(b) => R::Internal(b),
            // None of these can come out of this login; should one, it is a bug of ours.
            other => {
                let unexpected = other.into_body();
                tracing::error!(code = ?unexpected.code, "unexpected error from the mobile-app login");
                R::Internal(body(ErrorCode::Internal, "internal error"))
            }
        }
    }
}

pub struct MobileAppApi;

#[OpenApi(prefix_path = "/api/v1/mobile-app", tag = "ApiTags::MobileApp")]
impl MobileAppApi {
    /// Log in with the code of WeChat's mobile SDK
    ///
    /// The app gets `code` from `SendAuth.Resp` (WeChat's iOS/Android SDK, `snsapi_userinfo`)
    /// and posts it here; Saoma exchanges it at `sns/oauth2/access_token` with the mobile app's
    /// id and secret (`[mobile_app]`; the secret never leaves the server), reads the profile
    /// (`sns/userinfo`), finds or creates the account (linked to the user's other WeChat
    /// identities by unionid) and answers its tokens, like `miniProgramLogin`.
    #[oai(path = "/login", method = "post", operation_id = "mobileAppLogin")]
    async fn login(
        &self,
        saoma: Data<&Arc<Saoma>>,
        req: &Request,
        body: Json<MobileAppLoginRequest>,
    ) -> MobileAppLoginResponse {
        let (requester_ip, user_agent) = client_of(req);
        let login = AppLoginRequest {
            code: body.0.code,
            requester_ip,
            user_agent,
        };
        match saoma.mobile_app_login(login).await {
            Ok(result) => MobileAppLoginResponse::Ok(Json(result)),
            Err(e) => ApiError::from(e).into(),
        }
    }
}
