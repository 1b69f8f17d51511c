//! `/api/v1/phone`: verify a phone number by SMS for a `need_phone` scene (poll token required).

use super::poll_auth::PollTokenHeader;
use crate::edge::client_of;
use crate::edge::op_error::{OpError, errors};
use crate::login::{Saoma, SceneView, SmsSent};
use poem::Request;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};
use std::sync::Arc;

#[derive(Tags)]
enum ApiTags {
    /// Phone verification for scenes in `need_phone` (`accounts.require_phone`).
    Phone,
}

/// Where to send a code.
#[derive(Object, Debug)]
#[oai(example)]
pub struct SendCodeRequest {
    /// The `need_phone` scene the number is for.
    #[oai(validator(max_length = 64))]
    pub scene: String,
    /// `+<country code><number>` or an 11-digit mainland China mobile number.
    #[oai(validator(max_length = 32))]
    pub phone: String,
}

/// The phone and the code it received.
#[derive(Object)]
#[oai(example)]
pub struct BindPhoneRequest {
    /// The `need_phone` scene to confirm.
    #[oai(validator(max_length = 64))]
    pub scene: String,
    /// The number the code was sent to, as given to `sendPhoneSms`.
    #[oai(validator(max_length = 32))]
    pub phone: String,
    /// The 6-digit code from the SMS.
    #[oai(validator(max_length = 16))]
    pub code: String,
}

impl std::fmt::Debug for BindPhoneRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BindPhoneRequest")
            .field("scene", &self.scene)
            .field("code", &"[redacted]")
            .finish_non_exhaustive()
    }
}

errors!(
    /// `sendPhoneSms`'s errors.
    SendErrors = "sendPhoneSms", json: true,
    [InvalidPhone, PhoneCountryNotAllowed, InvalidPollToken, SceneNotFound, SceneConflict,
     SceneExpired, SceneConsumed, RateLimited, SmsUnavailable, SmsBudgetExhausted,
     StoreUnavailable]
);
errors!(
    /// `bindPhone`'s errors.
    BindErrors = "bindPhone", json: true,
    [InvalidPhone, InvalidSmsCode, SmsCodeExpired, TooManyAttempts, InvalidPollToken,
     SceneNotFound, SceneConflict, SceneExpired, SceneConsumed, StoreUnavailable,
     DatabaseUnavailable]
);

#[derive(Default)]
pub struct PhoneApi;

#[OpenApi(prefix_path = "/api/v1/phone", tag = "ApiTags::Phone")]
impl PhoneApi {
    /// Send a verification code by SMS
    ///
    /// The scene must be `need_phone`, and the number of a country in
    /// `sms.allowed_country_codes` (default `+86`; else 400 `phone_country_not_allowed`).
    /// Limited per phone (one code per `sms.resend_interval_seconds`,
    /// `sms.max_per_phone_per_hour`), per scene (`sms.max_per_scene`), per client address
    /// (`sms.max_per_ip_per_hour`) and per account (`sms.max_per_account_per_day`): beyond,
    /// 429 `rate_limited` with Retry-After. Past the whole server's `sms.budget_per_hour`,
    /// 503 `sms_budget_exhausted` with Retry-After. A new code replaces the previous one.
    #[oai(path = "/sms", method = "post", operation_id = "sendPhoneSms")]
    async fn send_code(
        &self,
        saoma: Data<&Arc<Saoma>>,
        req: &Request,
        body: Json<SendCodeRequest>,
        token: PollTokenHeader,
    ) -> Result<Json<SmsSent>, OpError<SendErrors>> {
        let token = token.0;
        let (ip, _) = client_of(req);
        let sent = saoma
            .send_phone_code(&body.0.scene, token.as_deref(), &body.0.phone, &ip)
            .await?;
        Ok(Json(sent))
    }

    /// Bind the phone with its code, which confirms the scene
    ///
    /// A phone already bound to an account links this login's identity to that account (the
    /// SMS proves ownership). After `sms.max_attempts` wrong codes the code is burnt
    /// (`too_many_attempts`). The tokens are then picked up by polling the scene as usual.
    #[oai(path = "/bind", method = "post", operation_id = "bindPhone")]
    async fn bind(
        &self,
        saoma: Data<&Arc<Saoma>>,
        body: Json<BindPhoneRequest>,
        token: PollTokenHeader,
    ) -> Result<Json<SceneView>, OpError<BindErrors>> {
        let token = token.0;
        let body = body.0;
        let view = saoma
            .bind_phone_by_sms(&body.scene, token.as_deref(), &body.phone, &body.code)
            .await?;
        Ok(Json(view))
    }
}
