//! What the official-account callback answers when it does not take a push (the JSON API's
//! errors are `error.rs`).

use crate::edge::error::{ApiError, ErrorBody, ErrorCode, body, refusal_code};
use crate::login::Error;
use poem_openapi::ApiResponse;
use poem_openapi::payload::Json;

/// What the official-account callback answers when it does not take a push. A refused push
/// changes nothing and never gets a 5xx; a 503 means Saoma's own store or database failed.
#[derive(ApiResponse, Debug)]
pub enum CallbackError {
    /// The push or URL check is malformed (XML, ciphertext, a missing field).
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// The push is not genuine: signature, msg_signature, replay window, app id, or plaintext
    /// in safe mode.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// The official account is not configured on this server.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The body is larger than a push can be.
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorBody>),
    /// Internal error.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// The store or the database is unavailable; WeChat retries.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>, #[oai(header = "Retry-After")] u64),
}

impl From<Error> for CallbackError {
    fn from(e: Error) -> Self {
        use ErrorCode as C;
        let msg = e.to_string();
        match &e {
            Error::PushRefused(refusal) => {
                tracing::warn!(refusal = %refusal, "official account: push refused");
                let body = body(refusal_code(refusal), msg);
                match refusal_code(refusal) {
                    C::InvalidSignature
                    | C::StaleTimestamp
                    | C::EncryptionRequired
                    | C::WrongAppId => CallbackError::Forbidden(body),
                    C::BodyTooLarge => CallbackError::PayloadTooLarge(body),
                    _ => CallbackError::BadRequest(body),
                }
            }
            Error::ProviderUnavailable(_) => {
                CallbackError::NotFound(body(C::ProviderUnavailable, msg))
            }
            _ => match ApiError::from(e) {
                ApiError::Unavailable(body, retry_after) => {
                    CallbackError::Unavailable(body, retry_after)
                }
                _ => CallbackError::Internal(body(C::Internal, "internal error")),
            },
        }
    }
}
