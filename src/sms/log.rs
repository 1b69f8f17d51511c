//! The `log` sender: nothing leaves the machine. The log gets a redacted line (masked number,
//! no code); the whole message goes to the sandbox's in-memory inbox (`saoma_sandbox::sms`),
//! listed at `GET /sandbox/api/sms` so that a developer (or a test) can read the code.

use super::{SmsError, SmsSender, code_text};
use crate::accounts::Phone;
use crate::secret::Secret;
use async_trait::async_trait;
use chrono::Utc;
use saoma_sandbox::sms::{Inbox, SentSms};
use std::sync::Arc;
use std::time::Duration;

/// The default sender: a redacted log line, and the inbox when one is attached (sandbox mode).
pub struct LogSender {
    inbox: Option<Arc<Inbox>>,
}

impl LogSender {
    pub fn new(inbox: Option<Arc<Inbox>>) -> Self {
        Self { inbox }
    }
}

#[async_trait]
impl SmsSender for LogSender {
    async fn send_code(&self, phone: &Phone, code: &Secret, ttl: Duration) -> Result<(), SmsError> {
        tracing::info!(
            phone = %phone.masked(),
            inbox = self.inbox.is_some(),
            "sms (log sender): verification code [redacted]"
        );
        if let Some(inbox) = &self.inbox {
            inbox.push(SentSms {
                phone: phone.to_string(),
                text: code_text(code, ttl),
                code: code.expose().to_string(),
                sent_at: Utc::now(),
            });
        }
        Ok(())
    }
}
