//! `/api/v1/mini-program/phone/sms*`: the mini-program's way to a phone number when
//! getPhoneNumber's paid quota is spent (errno 1400001): a code by SMS, in the same page, for
//! the `need_phone` scene its account is logging into. The same caps as `/api/v1/phone/*`
//! (`sms_caps`), authorised by the mini-program's bearer token instead of a poll token.

use crate::api::{BearerAuth, BindPhoneRequest, SendCodeRequest};
use crate::edge::client_of;
use crate::edge::op_error::{OpError, errors};
use crate::login::{Saoma, SceneView, SmsSent};
use poem::Request;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{OpenApi, Tags};
use std::sync::Arc;

#[derive(Tags)]
enum ApiTags {
    /// Called by the mini-program on the user's phone.
    MiniProgram,
}

errors!(
    /// `miniProgramSendPhoneSms`'s errors.
    SendErrors = "miniProgramSendPhoneSms", json: true,
    [InvalidScene, WrongProvider, InvalidPhone, PhoneCountryNotAllowed, Unauthenticated,
     TokenNotAccepted, ProviderUnavailable, SceneNotFound, SceneConflict, SceneExpired,
     SceneConsumed, RateLimited, SmsUnavailable, SmsBudgetExhausted, StoreUnavailable]
);
errors!(
    /// `miniProgramBindPhoneSms`'s errors.
    BindErrors = "miniProgramBindPhoneSms", json: true,
    [InvalidScene, WrongProvider, InvalidPhone, InvalidSmsCode, SmsCodeExpired, TooManyAttempts,
     Unauthenticated, TokenNotAccepted, ProviderUnavailable, SceneNotFound, SceneConflict,
     SceneExpired, SceneConsumed, StoreUnavailable, DatabaseUnavailable]
);

#[derive(Default)]
pub struct MiniProgramSmsApi;

#[OpenApi(
    prefix_path = "/api/v1/mini-program/phone",
    tag = "ApiTags::MiniProgram"
)]
impl MiniProgramSmsApi {
    /// Send a verification code by SMS for the mini-program's need_phone scene
    ///
    /// For when the getPhoneNumber button gives no code because the mini-program's paid quota
    /// is spent (errno 1400001). Needs an access token issued to this mini-program, for the
    /// account the `need_phone` scene waits for (else 403 `token_not_accepted`). The same
    /// countries and caps as `sendPhoneSms` (per scene, phone, client address, account, and
    /// the cluster's `sms.budget_per_hour`): beyond, 429 `rate_limited` or 503
    /// `sms_budget_exhausted`, with Retry-After.
    #[oai(
        path = "/sms",
        method = "post",
        operation_id = "miniProgramSendPhoneSms"
    )]
    async fn send_code(
        &self,
        saoma: Data<&Arc<Saoma>>,
        req: &Request,
        auth: BearerAuth,
        body: Json<SendCodeRequest>,
    ) -> Result<Json<SmsSent>, OpError<SendErrors>> {
        let (ip, _) = client_of(req);
        let sent = saoma
            .mini_program_send_phone_code(Some(&auth.0.token), &body.0.scene, &body.0.phone, &ip)
            .await?;
        Ok(Json(sent))
    }

    /// Bind the phone with its SMS code, which confirms the mini-program's need_phone scene
    ///
    /// As `bindPhone`, authorised by the mini-program's bearer token. The browser picks the
    /// tokens up by polling its scene as usual.
    #[oai(
        path = "/sms/bind",
        method = "post",
        operation_id = "miniProgramBindPhoneSms"
    )]
    async fn bind(
        &self,
        saoma: Data<&Arc<Saoma>>,
        auth: BearerAuth,
        body: Json<BindPhoneRequest>,
    ) -> Result<Json<SceneView>, OpError<BindErrors>> {
        let body = body.0;
        let view = saoma
            .mini_program_bind_phone_by_sms(
                Some(&auth.0.token),
                &body.scene,
                &body.phone,
                &body.code,
            )
            .await?;
        Ok(Json(view))
    }
}
