//! Each error code's one HTTP status and an example message: what the OpenAPI document shows
//! for it (`op_error`). `error.rs` builds the answers; a unit test there holds the two equal.

use super::error::{ApiError, ErrorCode};
use poem_openapi::types::ToJSON;

impl ErrorCode {
    /// The status every answer with this code has.
    pub fn status(self) -> u16 {
        use ErrorCode as C;
        match self {
            C::InvalidRequest
            | C::InvalidBody
            | C::SceneNotAllowed
            | C::InvalidCiphertext
            | C::InvalidXml
            | C::InvalidScene
            | C::WrongProvider
            | C::InvalidReturnUrl
            | C::InvalidCode
            | C::InvalidPhone
            | C::InvalidSmsCode
            | C::SmsCodeExpired
            | C::TooManyAttempts
            | C::PhoneCountryNotAllowed
            | C::InvalidState
            | C::InvalidCursor
            | C::PhoneOrUnionidRequired
            | C::InvalidWebhookUrl
            | C::InvalidWebhookSecret
            | C::InvalidNickname
            | C::InvalidAvatar => 400,
            C::InvalidPollToken | C::Unauthenticated | C::InvalidRefreshToken => 401,
            C::InvalidSignature
            | C::StaleTimestamp
            | C::EncryptionRequired
            | C::WrongAppId
            | C::TokenNotAccepted
            | C::SnapshotUser
            | C::AccountDisabled
            | C::NotProvisioned
            | C::InsufficientScope
            | C::ReauthenticationRequired
            | C::NicknameRefused => 403,
            C::NotFound
            | C::SceneNotFound
            | C::ProviderUnavailable
            | C::AccountNotFound
            | C::WebhookNotFound
            | C::WebhookDeliveryNotFound
            | C::AvatarNotFound => 404,
            C::MethodNotAllowed => 405,
            C::SceneExists
            | C::SceneConflict
            | C::AccountAlreadyDisabled
            | C::AccountNotDisabled
            | C::AccountExists
            | C::WebhookDisabled
            | C::WebhookNotDisabled
            | C::WebhookConfigured => 409,
            C::SceneExpired | C::SceneConsumed => 410,
            C::BodyTooLarge => 413,
            C::UnsupportedMediaType => 415,
            C::RateLimited | C::SlowDown => 429,
            C::HeadersTooLarge => 431,
            C::Internal => 500,
            C::WechatError | C::SmsUnavailable => 502,
            C::WechatQuotaExhausted
            | C::StoreUnavailable
            | C::DatabaseUnavailable
            | C::SmsBudgetExhausted => 503,
            C::WechatTimeout => 504,
        }
    }

    /// The code as it is written in JSON (`slow_down`).
    pub fn as_str(self) -> String {
        match self.to_json() {
            Some(serde_json::Value::String(s)) => s,
            _ => String::new(),
        }
    }

    /// A message as Saoma writes it with this code, for the document's examples.
    pub fn example_message(self) -> &'static str {
        use ErrorCode as C;
        match self {
            C::InvalidRequest => "invalid Content-Length",
            C::InvalidBody => "parse request payload error: failed to parse \"CreateSceneRequest\"",
            C::BodyTooLarge => "the body is larger than 65536 bytes",
            C::UnsupportedMediaType => "the content type `text/plain` is not supported",
            C::NotFound => "not found",
            C::MethodNotAllowed => "method not allowed",
            C::SceneNotAllowed => "the website provider generates its own scene: omit `scene`",
            C::InvalidSignature => "the signature is missing or wrong",
            C::StaleTimestamp => "the timestamp is missing or too far from now",
            C::EncryptionRequired => "a plaintext push while the account is in safe mode",
            C::InvalidCiphertext => "the ciphertext cannot be read",
            C::WrongAppId => "the ciphertext was made for another app id",
            C::InvalidXml => "the XML is malformed",
            C::InvalidScene => "a scene is 8 to 32 characters of WeChat's scene charset",
            C::SceneExists => "a scene with this id already exists",
            C::SceneNotFound => "no such scene",
            C::SceneExpired => "the scene has expired",
            C::SceneConsumed => "the scene's tokens were already picked up",
            C::SceneConflict => "the scene is cancelled, which does not allow this",
            C::InvalidPollToken => "the poll token is missing or wrong",
            C::WrongProvider => "the scene belongs to the website provider",
            C::ProviderUnavailable => "the mini_program provider is not configured",
            C::InvalidReturnUrl => "the return URL is not one of website.allowed_return_urls",
            C::InvalidCode => {
                "the login code is invalid, expired or already used (WeChat errcode 40029)"
            }
            C::Unauthenticated => "a valid bearer access token is required",
            C::InvalidRefreshToken => "the refresh token is invalid, expired or was already used",
            C::WechatQuotaExhausted => "WeChat's quota is exhausted; retry later",
            C::WechatTimeout => "WeChat did not answer in time",
            C::WechatError => "WeChat refused the request (errcode 40001)",
            C::StoreUnavailable => "the ephemeral store is unavailable",
            C::RateLimited => "too many scenes created from this address; retry after 12s",
            C::SlowDown => "polled faster than the interval; wait 2s",
            C::HeadersTooLarge => "the request headers are larger than 16384 bytes",
            C::DatabaseUnavailable => "the account database is unavailable",
            C::Internal => "internal error",
            C::InvalidPhone => "invalid phone number",
            C::InvalidSmsCode => "the SMS code is wrong (4 attempts left)",
            C::SmsCodeExpired => "no SMS code is pending for this scene and phone, or it expired",
            C::TooManyAttempts => "too many wrong SMS codes: the code is burnt, request a new one",
            C::SmsUnavailable => "the SMS could not be sent",
            C::PhoneCountryNotAllowed => {
                "SMS codes are not sent to this country; the allowed country codes are +86"
            }
            C::SmsBudgetExhausted => "no more SMS codes can be sent this hour; retry later",
            C::TokenNotAccepted => {
                "this operation needs an access token issued to the configured mini-program"
            }
            C::InvalidState => "the state is missing, unknown, or was started by another browser",
            C::SnapshotUser => {
                "WeChat opened the page in snapshot mode: tap 使用完整服务 to log in"
            }
            C::AccountDisabled => "this account is disabled: contact the service's operator",
            C::InsufficientScope => "the token does not carry the saoma:admin scope",
            C::AccountNotFound => "no such account",
            C::AccountAlreadyDisabled => "the account is disabled already",
            C::AccountNotDisabled => "the account is not disabled",
            C::AccountExists => {
                "an account holds this phone number or unionid already: nothing was created"
            }
            C::PhoneOrUnionidRequired => "give a phone number, a unionid, or both",
            C::InvalidCursor => "the cursor is not one this API returned",
            C::ReauthenticationRequired => {
                "log in again (within the last 10 minutes) to delete the account"
            }
            C::InvalidNickname => {
                "a nickname is 1 to 32 characters without control characters, and not WeChat's placeholder 微信用户"
            }
            C::NicknameRefused => "WeChat's content check refused this nickname: choose another",
            C::InvalidAvatar => {
                "the avatar is not an image of its Content-Type, or is larger than 2048x2048 px"
            }
            C::AvatarNotFound => "no such avatar",
            C::NotProvisioned => {
                "sign-up is closed: only accounts created by the service's operator may log in"
            }
            C::WebhookNotFound => "no webhook endpoint has this id",
            C::WebhookDeliveryNotFound => "the endpoint has no delivery of this event",
            C::InvalidWebhookUrl => {
                "the webhook URL must be https (http needs webhook_delivery.allow_http, or \
                 loopback in sandbox mode)"
            }
            C::InvalidWebhookSecret => {
                "the webhook secret must start with whsec_ followed by base64 (a Standard \
                 Webhooks secret)"
            }
            C::WebhookDisabled => "the endpoint is disabled: enable it first",
            C::WebhookNotDisabled => "the endpoint is not disabled",
            C::WebhookConfigured => {
                "the endpoint is configured in [[webhooks]]: change its secret there (the \
                 previous one keeps signing for the overlap after the restart)"
            }
        }
    }
}

impl ApiError {
    /// The code of the answer.
    pub fn code(&self) -> ErrorCode {
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
            | ApiError::GatewayTimeout(b) => b.0.code,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::Error;
    use poem::IntoResponse;
    use std::time::Duration;

    #[test]
    fn each_error_is_answered_with_its_codes_one_status() {
        let second = Duration::from_secs(1);
        for e in [
            Error::SceneExists,
            Error::SceneNotFound,
            Error::SceneExpired,
            Error::SceneConsumed,
            Error::BadPollToken,
            Error::InvalidReturnUrl,
            Error::InvalidCode(40029),
            Error::Unauthenticated,
            Error::InvalidRefreshToken,
            Error::RateLimited {
                what: "x",
                retry_after: second,
            },
            Error::SlowDown {
                retry_after: second,
            },
            Error::WeChatQuota {
                retry_after: second,
            },
            Error::WeChatTimeout,
            Error::Internal(anyhow::anyhow!("x")),
            Error::InvalidPhone,
            Error::WrongSmsCode { attempts_left: 1 },
            Error::SmsCodeExpired,
            Error::TooManyAttempts,
            Error::PhoneCountryNotAllowed {
                allowed: "+86".into(),
            },
            Error::SmsBudgetExhausted {
                retry_after: second,
            },
            Error::TokenNotAccepted,
            Error::LoginRefused(crate::scene::Refusal::AccountDisabled),
            Error::LoginRefused(crate::scene::Refusal::NotProvisioned),
            Error::InsufficientScope,
            Error::AccountNotFound,
            Error::AlreadyDisabled,
            Error::NotDisabled,
            Error::AccountExists,
            Error::PhoneOrUnionidRequired,
            Error::InvalidCursor,
            Error::ReauthenticationRequired,
            Error::WebhookNotFound,
            Error::DeliveryNotFound,
            Error::InvalidWebhookUrl(crate::webhooks::guard::Refused::NotHttps),
            Error::InvalidWebhookSecret(crate::webhooks::signature::SecretError::Length),
            Error::WebhookDisabled,
            Error::WebhookNotDisabled,
            Error::WebhookConfigured("x"),
            Error::InvalidNickname,
            Error::NicknameRefused,
            Error::InvalidAvatar,
            Error::AvatarNotFound,
            Error::ProviderUnavailable(crate::scene::Provider::Website),
            Error::WrongProvider(crate::scene::Provider::Website),
            Error::SceneNotAllowed(crate::scene::Provider::Website),
        ] {
            let answer = ApiError::from(e);
            let code = answer.code();
            assert_eq!(
                answer.into_response().status().as_u16(),
                code.status(),
                "{code:?}"
            );
        }
    }
}
