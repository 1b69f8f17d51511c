//! Reading rows back: values the database holds, decoded or reported as corrupt.

use super::AccountError;
use crate::scene::Provider;
use chrono::{DateTime, Utc};

pub(super) fn parse_provider(value: &str) -> Result<Provider, AccountError> {
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|_| AccountError::Inconsistent(format!("holds an unknown provider {value:?}")))
}

pub(super) fn corrupt(error: impl std::fmt::Display) -> AccountError {
    AccountError::Inconsistent(format!("holds invalid data: {error}"))
}

pub(super) fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

pub(super) fn from_ms(ms: i64) -> Result<DateTime<Utc>, AccountError> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| corrupt(format!("timestamp {ms}")))
}

/// What the database keeps instead of the token.
pub(super) fn hash_token(token: &crate::secret::Secret) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        token.expose().as_bytes(),
    ))
}
