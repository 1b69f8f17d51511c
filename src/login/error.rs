use crate::accounts::AccountError;
use crate::scene::{Provider, SceneError, SceneStatus, TransitionError};
use crate::sms::SmsError;
use crate::store::StoreError;
use crate::wechat::WeChatError;
use std::time::Duration;

/// Everything a login can run into. Mapped to HTTP in exactly one place (`edge::error`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    InvalidScene(#[from] SceneError),
    #[error("a scene with this id already exists")]
    SceneExists,
    #[error("no such scene")]
    SceneNotFound,
    #[error("the scene has expired")]
    SceneExpired,
    #[error("the scene's tokens were already picked up")]
    SceneConsumed,
    #[error("the scene is {}, which does not allow this", .0.from.as_str())]
    SceneConflict(TransitionError),
    #[error("the poll token is missing or wrong")]
    BadPollToken,
    #[error("the scene belongs to the {} provider", .0.as_str())]
    WrongProvider(Provider),
    #[error("the {} provider generates its own scene: omit `scene`", .0.as_str())]
    SceneNotAllowed(Provider),
    #[error(transparent)]
    PushRefused(#[from] super::PushRefusal),
    #[error("the {} provider is not configured", .0.as_str())]
    ProviderUnavailable(Provider),
    #[error("the return URL is not one of website.allowed_return_urls")]
    InvalidReturnUrl,
    #[error("the state is missing, unknown, or was not started by this browser")]
    InvalidState,
    #[error(
        "WeChat shows this page as a snapshot (快照页): tap \"使用完整服务\" at the bottom, then log in again"
    )]
    SnapshotUser,
    #[error("the login code is invalid, expired or already used (WeChat errcode {0})")]
    InvalidCode(i64),
    #[error("a valid bearer access token is required")]
    Unauthenticated,
    #[error("the refresh token is invalid, expired or was already used")]
    InvalidRefreshToken,
    #[error("too many {what}; retry after {}s", crate::limits::retry_after_secs(*retry_after))]
    RateLimited {
        what: &'static str,
        retry_after: Duration,
    },
    #[error("polled faster than the interval; wait {}s", crate::limits::retry_after_secs(*retry_after))]
    SlowDown { retry_after: Duration },
    #[error("WeChat's quota is exhausted; retry later")]
    WeChatQuota { retry_after: Duration },
    #[error("WeChat did not answer in time")]
    WeChatTimeout,
    #[error("WeChat refused the request")]
    WeChat(#[source] WeChatError),
    #[error("the ephemeral store is unavailable")]
    Store(#[from] StoreError),
    #[error("the account database is unavailable")]
    Accounts(#[source] AccountError),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
    #[error(
        "invalid phone number: expected +<country code><number> or an 11-digit mainland China mobile number"
    )]
    InvalidPhone,
    #[error("the SMS code is wrong ({attempts_left} attempts left)")]
    WrongSmsCode { attempts_left: u32 },
    #[error("no SMS code is pending for this scene and phone, or it expired: request a new one")]
    SmsCodeExpired,
    #[error("too many wrong SMS codes: the code is burnt, request a new one")]
    TooManyAttempts,
    #[error("the SMS could not be sent")]
    Sms(#[source] SmsError),
    #[error("SMS codes are not sent to this country; the allowed country codes are {allowed}")]
    PhoneCountryNotAllowed { allowed: String },
    #[error("no more SMS codes can be sent this hour; retry later")]
    SmsBudgetExhausted { retry_after: Duration },
    #[error("this operation needs an access token issued to the configured mini-program")]
    TokenNotAccepted,
    /// WeChat identified the person and Saoma refused the login.
    #[error("{}", refusal_message(*.0))]
    LoginRefused(crate::scene::Refusal),
    /// A valid token of this server without the `saoma:admin` scope.
    #[error("the token does not carry the saoma:admin scope")]
    InsufficientScope,
    #[error("no such account")]
    AccountNotFound,
    #[error("the account is disabled already")]
    AlreadyDisabled,
    #[error("the account is not disabled")]
    NotDisabled,
    /// Provisioning what an account holds already.
    #[error("an account holds this phone number or unionid already: nothing was created")]
    AccountExists,
    /// Provisioning needs a phone number, a unionid, or both.
    #[error("give a phone number, a unionid, or both")]
    PhoneOrUnionidRequired,
    #[error("the cursor is not one this API returned")]
    InvalidCursor,
    #[error("no webhook endpoint has this id")]
    WebhookNotFound,
    #[error("the endpoint has no delivery of this event")]
    DeliveryNotFound,
    #[error("the webhook URL {0}")]
    InvalidWebhookUrl(crate::webhooks::guard::Refused),
    #[error("the webhook secret {0}")]
    InvalidWebhookSecret(crate::webhooks::signature::SecretError),
    #[error("the endpoint is disabled: enable it first")]
    WebhookDisabled,
    #[error("the endpoint is not disabled")]
    WebhookNotDisabled,
    /// What `[[webhooks]]` holds is changed there, not through the API.
    #[error("{0}")]
    WebhookConfigured(&'static str),
    /// Erasing one's own account needs tokens of a login within the last 10 minutes.
    #[error("log in again (within the last 10 minutes) to delete the account")]
    ReauthenticationRequired,
    #[error(
        "a nickname is 1 to {} characters without control characters, and not WeChat's placeholder 微信用户",
        super::profile::NICKNAME_MAX_CHARS
    )]
    InvalidNickname,
    /// WeChat's content check (`msg_sec_check`) did not pass the nickname: nothing changed.
    #[error("WeChat's content check refused this nickname: choose another")]
    NicknameRefused,
    #[error(
        "the avatar is not an image of its Content-Type, or is larger than {0}x{0} px",
        super::avatar::AVATAR_MAX_SIDE
    )]
    InvalidAvatar,
    #[error("no such avatar")]
    AvatarNotFound,
}

impl From<TransitionError> for Error {
    fn from(e: TransitionError) -> Self {
        match e.from {
            SceneStatus::Expired => Error::SceneExpired,
            SceneStatus::Consumed => Error::SceneConsumed,
            _ => Error::SceneConflict(e),
        }
    }
}

impl From<WeChatError> for Error {
    fn from(e: WeChatError) -> Self {
        match e {
            WeChatError::QuotaExhausted { retry_after } => Error::WeChatQuota { retry_after },
            WeChatError::Timeout => Error::WeChatTimeout,
            // Login codes: wrong, used, expired, or the user is blocked. Never retried.
            WeChatError::Api { errcode, .. }
                if matches!(errcode, 40029 | 40163 | 42003 | 40226) =>
            {
                Error::InvalidCode(errcode)
            }
            other => Error::WeChat(other),
        }
    }
}

impl From<AccountError> for Error {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::RefreshReused | AccountError::RefreshInvalid => {
                Error::InvalidRefreshToken
            }
            // The account was merged into another (phone binding) or never existed.
            AccountError::UnknownAccount => Error::Unauthenticated,
            AccountError::AlreadyDisabled => Error::AlreadyDisabled,
            AccountError::NotDisabled => Error::NotDisabled,
            AccountError::AccountExists => Error::AccountExists,
            other => Error::Accounts(other),
        }
    }
}

/// What a refused person is told (the page, the phone, the API's `message`).
pub fn refusal_message(reason: crate::scene::Refusal) -> &'static str {
    match reason {
        crate::scene::Refusal::AccountDisabled => {
            "this account is disabled: contact the service's operator"
        }
        crate::scene::Refusal::NotProvisioned => {
            "sign-up is closed: only accounts created by the service's operator may log in"
        }
    }
}
