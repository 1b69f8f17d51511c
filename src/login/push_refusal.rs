//! Why an official-account push was refused: an error of the core (`Error::PushRefused`), so
//! that the HTTP layer maps it without knowing the method.

use crate::wechat::callback::PushCodecError;

/// How far a push's `timestamp` may be from our clock (WeChat's is trusted to a few minutes).
pub const TIMESTAMP_WINDOW_SECS: i64 = 300;

/// Why a push was refused. A refused push changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushRefusal {
    #[error("the signature is missing or wrong")]
    BadSignature,
    #[error("the msg_signature is missing or wrong")]
    BadMsgSignature,
    #[error("the timestamp is missing or more than {TIMESTAMP_WINDOW_SECS} s from now")]
    StaleTimestamp,
    #[error("the official account is in safe mode: plaintext pushes are refused")]
    EncryptionRequired,
    #[error("an encrypted push, but no official_account.encoding_aes_key is configured")]
    NoAesKey,
    #[error("the push has no {0}")]
    MissingField(&'static str),
    #[error("the URL check has no echostr")]
    MissingEchostr,
    #[error(transparent)]
    Message(#[from] PushCodecError),
}
