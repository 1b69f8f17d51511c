//! SMS senders behind one small trait: `log` (the default: writes to the log, redacted, and to
//! an inbox the sandbox shows at `GET /sandbox/api/sms`) and `tencent` (Tencent Cloud SMS,
//! `SendSms` 2021-01-11, TC3-HMAC-SHA256 signed).

mod log;
mod tc3;
mod tencent;

#[cfg(test)]
mod tests;

pub use log::LogSender;
pub use saoma_sandbox::sms::Inbox;
pub use tencent::{TencentSender, TencentSettings};

use crate::accounts::Phone;
use crate::secret::Secret;
use async_trait::async_trait;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    /// The provider answered and refused (bad template, frequency limit, unknown number...).
    #[error("the SMS provider refused the message: {0}")]
    Rejected(String),
    /// The provider could not be reached or answered something unreadable.
    #[error("the SMS provider is unreachable: {0}")]
    Unavailable(String),
}

/// Sends a verification code to a phone.
#[async_trait]
pub trait SmsSender: Send + Sync {
    /// Deliver `code`, valid for `ttl`, to `phone`. Implementations never log the code.
    async fn send_code(&self, phone: &Phone, code: &Secret, ttl: Duration) -> Result<(), SmsError>;
}

/// The text of a code message, as the `log` sender delivers it (a Tencent template holds its
/// own text, with the code and the minutes as parameters).
pub fn code_text(code: &Secret, ttl: Duration) -> String {
    format!(
        "【Saoma】Your verification code is {}. It expires in {} minutes. Do not share it.",
        code.expose(),
        ttl_minutes(ttl)
    )
}

pub(crate) fn ttl_minutes(ttl: Duration) -> u64 {
    ttl.as_secs().div_ceil(60).max(1)
}

/// The sender `[sms]` asks for. `inbox`: where the `log` sender delivers (sandbox mode).
pub fn from_config(
    config: &crate::config::SmsConfig,
    inbox: Option<std::sync::Arc<Inbox>>,
) -> anyhow::Result<std::sync::Arc<dyn SmsSender>> {
    use crate::config::SmsProvider;
    use anyhow::Context;
    Ok(match config.provider {
        SmsProvider::Log => std::sync::Arc::new(LogSender::new(inbox)),
        SmsProvider::Tencent => {
            let t = &config.tencent;
            let need = |value: &Option<String>, key: &str| {
                value
                    .clone()
                    .filter(|v| !v.is_empty())
                    .with_context(|| format!("sms.provider = \"tencent\" needs sms.tencent.{key}"))
            };
            let endpoint = match &t.endpoint {
                Some(url) => url.clone(),
                None => url::Url::parse("https://sms.tencentcloudapi.com/")?,
            };
            std::sync::Arc::new(TencentSender::new(TencentSettings {
                secret_id: need(&t.secret_id, "secret_id")?,
                secret_key: t
                    .secret_key
                    .clone()
                    .filter(|k| !k.is_empty())
                    .context("sms.provider = \"tencent\" needs sms.tencent.secret_key")?,
                sdk_app_id: need(&t.sdk_app_id, "sdk_app_id")?,
                sign_name: need(&t.sign_name, "sign_name")?,
                template_id: need(&t.template_id, "template_id")?,
                region: t.region.clone(),
                endpoint,
                timeout: Duration::from_millis(t.timeout_ms),
            })?)
        }
    })
}
