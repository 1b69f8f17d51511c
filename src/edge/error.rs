//! The one place where errors become HTTP: `login::Error` -> status + stable `code`.
//! Errors raised by poem itself (bad JSON, unknown route, body too large) are turned into the
//! same `{code, message}` shape by [`json_errors`].

use crate::login::{Error, PushRefusal};
use crate::wechat::callback::PushCodecError;
use poem::{IntoResponse, Response};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object};

/// Stable machine-readable error codes.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request could not be parsed (a parameter or header is malformed).
    InvalidRequest,
    /// The body is not valid JSON or does not match the schema.
    InvalidBody,
    /// The body is larger than `limits.max_body_bytes`.
    BodyTooLarge,
    /// The body's Content-Type is not the one expected.
    UnsupportedMediaType,
    /// No such route.
    NotFound,
    MethodNotAllowed,
    /// This provider generates its own scene (official account, website): omit `scene`.
    SceneNotAllowed,
    /// An official-account push or URL check whose `signature` or `msg_signature` is missing
    /// or wrong.
    InvalidSignature,
    /// A push whose `timestamp` is missing or minutes away from now (a replay).
    StaleTimestamp,
    /// A plaintext push while the official account is in safe mode.
    EncryptionRequired,
    /// A push's `<Encrypt>` is not base64, not whole blocks, badly padded, or cannot be read.
    InvalidCiphertext,
    /// A push's ciphertext was made for another app id.
    WrongAppId,
    /// A push's XML is malformed, has a DOCTYPE or entities, or lacks a required field.
    InvalidXml,
    /// The scene is not 8..=32 characters of WeChat's scene charset.
    InvalidScene,
    /// A scene with this id exists already (never taken over).
    SceneExists,
    SceneNotFound,
    /// The scene's time ran out.
    SceneExpired,
    /// The scene's tokens were picked up already.
    SceneConsumed,
    /// The scene's state does not allow this (e.g. confirming a cancelled scene).
    SceneConflict,
    /// The poll token is missing or wrong.
    InvalidPollToken,
    /// The scene belongs to another provider.
    WrongProvider,
    /// That provider is not configured on this server.
    ProviderUnavailable,
    /// The return URL is not in `website.allowed_return_urls` (exact match).
    InvalidReturnUrl,
    /// The WeChat login code is invalid, expired or used (40029, 40163, 42003, 40226).
    InvalidCode,
    /// A valid bearer access token is required.
    Unauthenticated,
    /// The refresh token is invalid, expired, revoked or was already used.
    InvalidRefreshToken,
    /// WeChat's quota is exhausted (45009); see Retry-After.
    WechatQuotaExhausted,
    /// WeChat did not answer in time.
    WechatTimeout,
    /// WeChat answered with an error.
    WechatError,
    /// The ephemeral store cannot be reached; see Retry-After.
    StoreUnavailable,
    /// A limit was reached (`[limits]`: scenes, SSE streams or logins without a scene per client
    /// address; `[sms]`: codes per scene, phone, client address or account); see Retry-After.
    RateLimited,
    /// The scene was polled faster than its `interval` (RFC 8628): wait Retry-After, then poll
    /// no faster than `interval`.
    SlowDown,
    /// The request's headers are larger than `limits.max_header_bytes`.
    HeadersTooLarge,
    /// The account database cannot be reached; see Retry-After.
    DatabaseUnavailable,
    Internal,
    /// The phone number is not `+<country code><number>` or an 11-digit mainland mobile number.
    InvalidPhone,
    /// The SMS code is wrong; the message says how many attempts are left.
    InvalidSmsCode,
    /// No SMS code is pending for this scene and phone, or it expired.
    SmsCodeExpired,
    /// Too many wrong SMS codes: the code is burnt; request a new one.
    TooManyAttempts,
    /// The SMS provider refused or could not be reached.
    SmsUnavailable,
    /// The phone number's country is not in `sms.allowed_country_codes`: no code is sent.
    PhoneCountryNotAllowed,
    /// The whole server's SMS codes for this hour (`sms.budget_per_hour`) are spent; see
    /// Retry-After.
    SmsBudgetExhausted,
    /// The access token was not issued to the configured mini-program.
    TokenNotAccepted,
    /// In-WeChat login: the `state` is missing, unknown, or not bound to this browser.
    InvalidState,
    /// In-WeChat login from a snapshot page (`is_snapshotuser`): tap "使用完整服务" first.
    SnapshotUser,
    /// The account is disabled by an administrator: it completes no login.
    AccountDisabled,
    /// `accounts.sign_up = "provisioned_only"` and this person was not provisioned: nothing
    /// was created.
    NotProvisioned,
    /// The admin token is valid but lacks the `saoma:admin` scope (a user's or an OpenID
    /// client's token).
    InsufficientScope,
    /// No account has this id (never existed, merged, or deleted).
    AccountNotFound,
    /// The account is disabled already: nothing changed.
    AccountAlreadyDisabled,
    /// The account is not disabled: nothing changed.
    AccountNotDisabled,
    /// An account holds this phone number or unionid already: nothing was created.
    AccountExists,
    /// Provisioning an account needs a phone number, a unionid, or both.
    PhoneOrUnionidRequired,
    /// The cursor is not one this API returned.
    InvalidCursor,
    /// `DELETE /api/v1/me` needs tokens of a login within the last 10 minutes (not refreshed
    /// ones): log in again.
    ReauthenticationRequired,
    /// No webhook endpoint has this id.
    WebhookNotFound,
    /// The endpoint has no delivery of this event.
    WebhookDeliveryNotFound,
    /// The webhook URL is refused: not a URL, not https (`webhook_delivery.allow_http`), a
    /// private address (`webhook_delivery.allow_private_networks`), or user and password in it.
    InvalidWebhookUrl,
    /// The webhook secret is not `whsec_` + base64 of 24 to 64 bytes.
    InvalidWebhookSecret,
    /// The endpoint is disabled: this needs an enabled one (nothing changed).
    WebhookDisabled,
    /// The endpoint is not disabled: nothing changed.
    WebhookNotDisabled,
    /// The endpoint comes from `[[webhooks]]`: what the file holds is changed there.
    WebhookConfigured,
    /// The nickname is empty, longer than 32 characters, has control characters, or is
    /// WeChat's placeholder "微信用户".
    InvalidNickname,
    /// WeChat's content check (`msg_sec_check`) did not pass the nickname: nothing changed.
    NicknameRefused,
    /// The avatar is not a PNG, JPEG or WebP image as its Content-Type says, or is larger than
    /// 2048x2048 px: nothing changed.
    InvalidAvatar,
    /// No such avatar, or WeChat's content check refused it.
    AvatarNotFound,
}

/// The body of every error.
#[derive(Object, Debug, Clone)]
#[oai(example)]
pub struct ErrorBody {
    /// The stable, machine-readable error code.
    pub code: ErrorCode,
    /// What went wrong, for a person (not stable: match on `code`).
    pub message: String,
}

pub(crate) fn body(code: ErrorCode, message: impl Into<String>) -> Json<ErrorBody> {
    Json(ErrorBody {
        code,
        message: message.into(),
    })
}

#[derive(ApiResponse, Debug)]
pub enum ApiError {
    /// The request is malformed.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// Credentials (poll token, bearer token) are missing or wrong.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// The credentials are valid but not for this operation.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// Not found.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// Conflicts with the current state.
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// The scene is over: expired or consumed.
    #[oai(status = 410)]
    Gone(Json<ErrorBody>),
    /// The body is larger than `limits.max_body_bytes`.
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorBody>),
    /// The body's Content-Type is not `application/json`.
    #[oai(status = 415)]
    UnsupportedMediaType(Json<ErrorBody>),
    /// Too many requests (the `code` says which limit); retry after the delay.
    #[oai(status = 429)]
    TooManyRequests(Json<ErrorBody>, #[oai(header = "Retry-After")] u64),
    /// The request's headers are larger than `limits.max_header_bytes`.
    #[oai(status = 431)]
    HeadersTooLarge(Json<ErrorBody>),
    /// Internal error.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// WeChat answered with an error.
    #[oai(status = 502)]
    BadGateway(Json<ErrorBody>),
    /// A dependency (store, database, WeChat quota) is unavailable; retry after the delay.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>, #[oai(header = "Retry-After")] u64),
    /// WeChat did not answer in time.
    #[oai(status = 504)]
    GatewayTimeout(Json<ErrorBody>),
}

impl ApiError {
    /// The `{code, message}` body, for a channel with no status line (an SSE `error` event).
    pub fn into_body(self) -> ErrorBody {
        match self {
            ApiError::BadRequest(b)
            | ApiError::Unauthorized(b)
            | ApiError::Forbidden(b)
            | ApiError::NotFound(b)
            | ApiError::Conflict(b)
            | ApiError::Gone(b)
            | ApiError::PayloadTooLarge(b)
            | ApiError::UnsupportedMediaType(b)
            | ApiError::TooManyRequests(b, _)
            | ApiError::HeadersTooLarge(b)
            | ApiError::Internal(b)
            | ApiError::BadGateway(b)
            | ApiError::Unavailable(b, _)
            | ApiError::GatewayTimeout(b) => b.0,
        }
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        use ErrorCode as C;
        let msg = e.to_string();
        match &e {
            Error::InvalidScene(_) => ApiError::BadRequest(body(C::InvalidScene, msg)),
            Error::WrongProvider(_) => ApiError::BadRequest(body(C::WrongProvider, msg)),
            Error::InvalidCode(_) => ApiError::BadRequest(body(C::InvalidCode, msg)),
            Error::ProviderUnavailable(_) => ApiError::NotFound(body(C::ProviderUnavailable, msg)),
            Error::SceneNotAllowed(_) => ApiError::BadRequest(body(C::SceneNotAllowed, msg)),
            Error::InvalidReturnUrl => ApiError::BadRequest(body(C::InvalidReturnUrl, msg)),
            // Only the callback meets these, and it answers with `CallbackError`.
            Error::PushRefused(refusal) => ApiError::BadRequest(body(refusal_code(refusal), msg)),
            Error::SceneExists => ApiError::Conflict(body(C::SceneExists, msg)),
            Error::SceneConflict(_) => ApiError::Conflict(body(C::SceneConflict, msg)),
            Error::SceneNotFound => ApiError::NotFound(body(C::SceneNotFound, msg)),
            Error::SceneExpired => ApiError::Gone(body(C::SceneExpired, msg)),
            Error::SceneConsumed => ApiError::Gone(body(C::SceneConsumed, msg)),
            Error::BadPollToken => ApiError::Unauthorized(body(C::InvalidPollToken, msg)),
            Error::Unauthenticated => ApiError::Unauthorized(body(C::Unauthenticated, msg)),
            Error::InvalidRefreshToken => ApiError::Unauthorized(body(C::InvalidRefreshToken, msg)),
            Error::RateLimited { retry_after, .. } => ApiError::TooManyRequests(
                body(C::RateLimited, msg),
                crate::limits::retry_after_secs(*retry_after),
            ),
            Error::SlowDown { retry_after } => ApiError::TooManyRequests(
                body(C::SlowDown, msg),
                crate::limits::retry_after_secs(*retry_after),
            ),
            Error::WeChatQuota { retry_after } => ApiError::Unavailable(
                body(C::WechatQuotaExhausted, msg),
                retry_after.as_secs().max(1),
            ),
            Error::WeChatTimeout => ApiError::GatewayTimeout(body(C::WechatTimeout, msg)),
            Error::WeChat(source) => {
                tracing::warn!(error = %crate::telemetry::chain(&source), "WeChat refused a request");
                let message = match source.errcode() {
                    Some(code) => format!("{msg} (errcode {code})"),
                    None => msg,
                };
                ApiError::BadGateway(body(C::WechatError, message))
            }
            Error::Store(source) => {
                tracing::error!(error = %crate::telemetry::chain(&source), "store unavailable");
                ApiError::Unavailable(body(C::StoreUnavailable, msg), 2)
            }
            Error::Accounts(source) => {
                tracing::error!(error = %crate::telemetry::chain(&source), "account database unavailable");
                ApiError::Unavailable(body(C::DatabaseUnavailable, msg), 2)
            }
            Error::Internal(source) => {
                tracing::error!(error = ?source, "internal error");
                ApiError::Internal(body(C::Internal, msg))
            }
            Error::InvalidPhone => ApiError::BadRequest(body(C::InvalidPhone, msg)),
            Error::WrongSmsCode { .. } => ApiError::BadRequest(body(C::InvalidSmsCode, msg)),
            Error::SmsCodeExpired => ApiError::BadRequest(body(C::SmsCodeExpired, msg)),
            Error::TooManyAttempts => ApiError::BadRequest(body(C::TooManyAttempts, msg)),
            Error::Sms(source) => {
                tracing::warn!(error = %crate::telemetry::chain(&source), "SMS not sent");
                ApiError::BadGateway(body(C::SmsUnavailable, msg))
            }
            Error::PhoneCountryNotAllowed { .. } => {
                ApiError::BadRequest(body(C::PhoneCountryNotAllowed, msg))
            }
            Error::SmsBudgetExhausted { retry_after } => ApiError::Unavailable(
                body(C::SmsBudgetExhausted, msg),
                crate::limits::retry_after_secs(*retry_after),
            ),
            Error::TokenNotAccepted => ApiError::Forbidden(body(C::TokenNotAccepted, msg)),
            Error::InvalidState => ApiError::BadRequest(body(C::InvalidState, msg)),
            Error::SnapshotUser => ApiError::Forbidden(body(C::SnapshotUser, msg)),
            Error::LoginRefused(reason) => {
                let code = match reason {
                    crate::scene::Refusal::AccountDisabled => C::AccountDisabled,
                    crate::scene::Refusal::NotProvisioned => C::NotProvisioned,
                };
                ApiError::Forbidden(body(code, msg))
            }
            Error::InsufficientScope => ApiError::Forbidden(body(C::InsufficientScope, msg)),
            Error::AccountNotFound => ApiError::NotFound(body(C::AccountNotFound, msg)),
            Error::AlreadyDisabled => ApiError::Conflict(body(C::AccountAlreadyDisabled, msg)),
            Error::NotDisabled => ApiError::Conflict(body(C::AccountNotDisabled, msg)),
            Error::AccountExists => ApiError::Conflict(body(C::AccountExists, msg)),
            Error::PhoneOrUnionidRequired => {
                ApiError::BadRequest(body(C::PhoneOrUnionidRequired, msg))
            }
            Error::InvalidCursor => ApiError::BadRequest(body(C::InvalidCursor, msg)),
            Error::ReauthenticationRequired => {
                ApiError::Forbidden(body(C::ReauthenticationRequired, msg))
            }
            Error::WebhookNotFound => ApiError::NotFound(body(C::WebhookNotFound, msg)),
            Error::DeliveryNotFound => ApiError::NotFound(body(C::WebhookDeliveryNotFound, msg)),
            Error::InvalidWebhookUrl(_) => ApiError::BadRequest(body(C::InvalidWebhookUrl, msg)),
            Error::InvalidWebhookSecret(_) => {
                ApiError::BadRequest(body(C::InvalidWebhookSecret, msg))
            }
            Error::WebhookDisabled => ApiError::Conflict(body(C::WebhookDisabled, msg)),
            Error::WebhookNotDisabled => ApiError::Conflict(body(C::WebhookNotDisabled, msg)),
            Error::WebhookConfigured(_) => ApiError::Conflict(body(C::WebhookConfigured, msg)),
            Error::InvalidNickname => ApiError::BadRequest(body(C::InvalidNickname, msg)),
            Error::NicknameRefused => ApiError::Forbidden(body(C::NicknameRefused, msg)),
            Error::InvalidAvatar => ApiError::BadRequest(body(C::InvalidAvatar, msg)),
            Error::AvatarNotFound => ApiError::NotFound(body(C::AvatarNotFound, msg)),
        }
    }
}

/// Turn errors that poem raised before reaching an operation into `{code, message}` JSON.
/// Responses an operation built itself pass through untouched.
pub async fn json_errors(err: poem::Error) -> Response {
    use poem::http::StatusCode as S;
    let status = err.status();
    let message = err.to_string();
    let code = if err.is::<poem_openapi::error::ParseRequestPayloadError>() {
        ErrorCode::InvalidBody
    } else if err.is::<poem_openapi::error::ContentTypeError>() {
        ErrorCode::UnsupportedMediaType
    } else {
        match status {
            // 414 and 501 come from the HTTP server (a target too long, a transfer coding it
            // does not implement): the request is what is wrong.
            S::BAD_REQUEST | S::UNPROCESSABLE_ENTITY | S::URI_TOO_LONG | S::NOT_IMPLEMENTED => {
                ErrorCode::InvalidRequest
            }
            S::NOT_FOUND => ErrorCode::NotFound,
            S::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
            S::PAYLOAD_TOO_LARGE => ErrorCode::BodyTooLarge,
            S::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
            S::REQUEST_HEADER_FIELDS_TOO_LARGE => ErrorCode::HeadersTooLarge,
            S::UNAUTHORIZED => ErrorCode::Unauthenticated,
            _ => ErrorCode::Internal,
        }
    };
    let response = err.into_response();
    let is_json = response
        .content_type()
        .is_some_and(|t| t.starts_with("application/json"));
    if is_json {
        return response;
    }
    let message = if status.is_server_error() && status != S::NOT_IMPLEMENTED {
        "internal error".to_string()
    } else {
        message
    };
    let body = body(code, message);
    // The documented answers, built by the same enum the operations answer with.
    match status {
        S::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(body).into_response(),
        S::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType(body).into_response(),
        S::REQUEST_HEADER_FIELDS_TOO_LARGE => ApiError::HeadersTooLarge(body).into_response(),
        _ => (status, body).into_response(),
    }
}

/// The code of a refused official-account push (here and in the callback's own answers).
pub(crate) fn refusal_code(refusal: &PushRefusal) -> ErrorCode {
    use ErrorCode as C;
    match refusal {
        PushRefusal::BadSignature | PushRefusal::BadMsgSignature => C::InvalidSignature,
        PushRefusal::StaleTimestamp => C::StaleTimestamp,
        PushRefusal::EncryptionRequired => C::EncryptionRequired,
        PushRefusal::NoAesKey => C::InvalidCiphertext,
        PushRefusal::MissingField(_) => C::InvalidXml,
        PushRefusal::MissingEchostr => C::InvalidRequest,
        PushRefusal::Message(e) => match e {
            PushCodecError::InvalidAesKey | PushCodecError::InvalidCiphertext => {
                C::InvalidCiphertext
            }
            PushCodecError::WrongAppId => C::WrongAppId,
            PushCodecError::TooLarge(_) => C::BodyTooLarge,
            PushCodecError::DocType | PushCodecError::InvalidXml(_) => C::InvalidXml,
        },
    }
}
