//! What can go wrong talking to WeChat. Every message here is safe to log: no app secret, access
//! token, session_key or request URL (the URL carries `access_token=` or `secret=`) ever reaches it.

use crate::secret::Secret;
use std::error::Error as _;
use std::time::Duration;

/// Errcodes meaning "this access token is no longer valid": expire it, fetch again, retry once.
const TOKEN_REJECTED: [i64; 3] = [40001, 40014, 42001];
/// "System error, try again": the only errcode retried as is.
const TRANSIENT: i64 = -1;
/// "Reach max api daily quota limit". The daily count can be reset from the WeChat console and
/// per-minute quotas answer it too, so callers are told to come back in a minute, not tomorrow.
const QUOTA_DAILY: i64 = 45009;
/// "API minute-quota reach limit, must slower, retry next minute".
const QUOTA_MINUTE: i64 = 45011;
const DAILY_QUOTA_RETRY_AFTER: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum WeChatError {
    /// WeChat answered with an errcode Saoma does not handle itself (40029, 40163, 40013, ...).
    #[error("WeChat answered errcode {errcode}: {errmsg}")]
    Api { errcode: i64, errmsg: String },
    /// 45009 or 45011: stop calling for `retry_after`. 45011 waits for the next minute boundary
    /// (1..=60 s), 45009 a fixed 60 s.
    #[error("WeChat quota exhausted, retry after {}s", retry_after.as_secs())]
    QuotaExhausted { retry_after: Duration },
    /// No complete answer within the configured timeout.
    #[error("WeChat did not answer in time")]
    Timeout,
    /// The request did not get an answer: connection, TLS, an HTTP status other than 2xx.
    #[error("could not reach WeChat: {0}")]
    Transport(String),
    /// WeChat answered something Saoma cannot read.
    #[error("unreadable answer from WeChat: {0}")]
    Decode(String),
}

impl WeChatError {
    /// The WeChat errcode behind this error, when WeChat sent one Saoma did not absorb.
    pub fn errcode(&self) -> Option<i64> {
        match self {
            Self::Api { errcode, .. } => Some(*errcode),
            _ => None,
        }
    }

    /// The variant's name, for logs: messages may quote WeChat's `errmsg`, which is not ours.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Self::Api { .. } => "api",
            Self::QuotaExhausted { .. } => "quota_exhausted",
            Self::Timeout => "timeout",
            Self::Transport(_) => "transport",
            Self::Decode(_) => "decode",
        }
    }

    /// An errcode answer (never 0) as an error.
    pub(super) fn from_errcode(errcode: i64, errmsg: String) -> Self {
        match errcode {
            QUOTA_DAILY => Self::QuotaExhausted {
                retry_after: DAILY_QUOTA_RETRY_AFTER,
            },
            QUOTA_MINUTE => Self::QuotaExhausted {
                retry_after: until_next_minute(crate::store::now_ms()),
            },
            _ => Self::Api { errcode, errmsg },
        }
    }

    /// reqwest's own errors name the URL, which carries secrets: strip it and keep the cause.
    pub(super) fn from_reqwest(err: reqwest::Error) -> Self {
        let err = err.without_url();
        if err.is_timeout() {
            return Self::Timeout;
        }
        let mut message = err.to_string();
        let mut source = err.source();
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Self::Transport(message)
    }

    pub(super) fn is_transient(&self) -> bool {
        self.errcode() == Some(TRANSIENT)
    }

    pub(super) fn is_token_rejected(&self) -> bool {
        self.errcode()
            .is_some_and(|code| TOKEN_REJECTED.contains(&code))
    }

    /// Belt and braces: should WeChat ever echo a secret in `errmsg`, blank it out.
    pub(super) fn redact(self, secret: &Secret) -> Self {
        let value = secret.expose();
        if value.is_empty() {
            return self;
        }
        let scrub = |text: String| {
            if text.contains(value) {
                text.replace(value, "[redacted]")
            } else {
                text
            }
        };
        match self {
            Self::Api { errcode, errmsg } => Self::Api {
                errcode,
                errmsg: scrub(errmsg),
            },
            Self::Transport(message) => Self::Transport(scrub(message)),
            Self::Decode(message) => Self::Decode(scrub(message)),
            other => other,
        }
    }
}

/// Time left until the next wall-clock minute, at least one second.
fn until_next_minute(now_ms: i64) -> Duration {
    let into_minute = now_ms.rem_euclid(60_000);
    let secs = (60_000 - into_minute).div_euclid(1000).max(1);
    Duration::from_secs(secs.unsigned_abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minute_quota_waits_for_the_next_minute_boundary() {
        assert_eq!(until_next_minute(0), Duration::from_secs(60));
        assert_eq!(until_next_minute(59_500), Duration::from_secs(1));
        assert_eq!(until_next_minute(30_000), Duration::from_secs(30));
    }

    #[test]
    fn quota_errcodes_become_quota_exhausted() {
        let daily = WeChatError::from_errcode(45009, "reach max api daily quota limit".into());
        assert!(matches!(
            daily,
            WeChatError::QuotaExhausted { retry_after } if retry_after == Duration::from_secs(60)
        ));
        let minute = WeChatError::from_errcode(45011, "api minute-quota reach limit".into());
        assert!(matches!(
            minute,
            WeChatError::QuotaExhausted { retry_after } if retry_after <= Duration::from_secs(60)
        ));
    }

    #[test]
    fn redact_blanks_an_echoed_secret() {
        let secret = Secret::new("s3cr3t");
        let err =
            WeChatError::from_errcode(40125, "invalid appsecret s3cr3t".into()).redact(&secret);
        assert_eq!(
            err.to_string(),
            "WeChat answered errcode 40125: invalid appsecret [redacted]"
        );
    }
}
