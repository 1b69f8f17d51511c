//! Authenticating and reading a push: `signature` always, the replay window, then either the
//! plaintext XML (plain and compatible modes) or the `<Encrypt>` envelope, whose
//! `msg_signature` is checked before it is decrypted and its trailing app id after.

use super::OfficialAccount;
use crate::config::CallbackMode;
use crate::login::{PushRefusal, TIMESTAMP_WINDOW_SECS};
use crate::wechat::callback::{self, Fields, PushCodecError};

/// The query of the URL check: `GET ?signature=&timestamp=&nonce=&echostr=`.
#[derive(Debug, Clone, Default)]
pub struct UrlCheck {
    pub signature: Option<String>,
    pub timestamp: Option<String>,
    pub nonce: Option<String>,
    pub echostr: Option<String>,
}

/// The query of a push: `?signature=&timestamp=&nonce=&openid=` and, when encrypted,
/// `&encrypt_type=aes&msg_signature=`.
#[derive(Debug, Clone, Default)]
pub struct PushQuery {
    pub signature: Option<String>,
    pub timestamp: Option<String>,
    pub nonce: Option<String>,
    pub encrypt_type: Option<String>,
    pub msg_signature: Option<String>,
}

/// A push that passed every check: its fields (decrypted when it was encrypted).
#[derive(Debug, Clone)]
pub(super) struct Push {
    pub fields: Fields,
    pub encrypted: bool,
    pub timestamp: String,
    pub nonce: String,
}

impl Push {
    pub fn field(&self, name: &'static str) -> Result<&str, PushRefusal> {
        self.fields
            .get(name)
            .filter(|v| !v.is_empty())
            .ok_or(PushRefusal::MissingField(name))
    }
}

/// The signature of `timestamp` and `nonce`, checked in constant time.
fn check_signature(
    oa: &OfficialAccount,
    signature: Option<&str>,
    timestamp: &str,
    nonce: &str,
) -> Result<(), PushRefusal> {
    let expected = callback::signature(oa.token.expose(), timestamp, nonce);
    match signature {
        Some(presented) if callback::verify(&expected, presented) => Ok(()),
        _ => Err(PushRefusal::BadSignature),
    }
}

/// The URL check: `echostr` when the signature is right.
pub(super) fn url_check(oa: &OfficialAccount, q: &UrlCheck) -> Result<String, PushRefusal> {
    let timestamp = q.timestamp.as_deref().unwrap_or_default();
    let nonce = q.nonce.as_deref().unwrap_or_default();
    check_signature(oa, q.signature.as_deref(), timestamp, nonce)?;
    q.echostr.clone().ok_or(PushRefusal::MissingEchostr)
}

/// Every check a push goes through, in order; `now` is unix seconds.
pub(super) fn authenticate(
    oa: &OfficialAccount,
    q: &PushQuery,
    body: &[u8],
    now: i64,
) -> Result<Push, PushRefusal> {
    let timestamp = q.timestamp.clone().unwrap_or_default();
    let nonce = q.nonce.clone().unwrap_or_default();
    check_signature(oa, q.signature.as_deref(), &timestamp, &nonce)?;
    let sent_at: i64 = timestamp.parse().map_err(|_| PushRefusal::StaleTimestamp)?;
    if (now - sent_at).abs() > TIMESTAMP_WINDOW_SECS {
        return Err(PushRefusal::StaleTimestamp);
    }
    if body.len() > callback::MAX_XML_BYTES {
        return Err(PushCodecError::TooLarge(callback::MAX_XML_BYTES).into());
    }
    let encrypted = q.encrypt_type.as_deref() == Some("aes");
    let fields = if encrypted {
        let key = oa.aes_key.as_ref().ok_or(PushRefusal::NoAesKey)?;
        let envelope = callback::parse(body)?;
        let encrypt = envelope
            .get("Encrypt")
            .filter(|e| !e.is_empty())
            .ok_or(PushRefusal::MissingField("Encrypt"))?;
        let expected = callback::msg_signature(oa.token.expose(), &timestamp, &nonce, encrypt);
        match q.msg_signature.as_deref() {
            Some(presented) if callback::verify(&expected, presented) => {}
            _ => return Err(PushRefusal::BadMsgSignature),
        }
        let message = callback::decrypt(key, oa.app.app_id.as_str(), encrypt)?;
        callback::parse(&message)?
    } else {
        // Plaintext is only covered by `signature`, which does not cover the body.
        if oa.mode == CallbackMode::Safe {
            return Err(PushRefusal::EncryptionRequired);
        }
        callback::parse(body)?
    };
    Ok(Push {
        fields,
        encrypted,
        timestamp,
        nonce,
    })
}
