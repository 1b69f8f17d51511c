//! The `log` sender: nothing leaves the machine. The log gets a redacted line (masked number,
//! no code); the whole message goes to an in-memory inbox, which the sandbox lists at
//! `GET /sandbox/api/sms` so that a developer (or a test) can read the code.

use super::{SmsError, SmsSender, code_text};
use crate::accounts::Phone;
use crate::secret::Secret;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How many messages the inbox keeps (oldest dropped first).
const INBOX_CAPACITY: usize = 200;

/// A delivered message, as the sandbox shows it.
#[derive(Clone, serde::Serialize)]
pub struct SentSms {
    pub phone: String,
    pub text: String,
    pub code: String,
    pub sent_at: DateTime<Utc>,
}

impl std::fmt::Debug for SentSms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentSms")
            .field("sent_at", &self.sent_at)
            .finish_non_exhaustive()
    }
}

/// The messages the `log` sender delivered, newest last.
#[derive(Default)]
pub struct Inbox {
    messages: Mutex<VecDeque<SentSms>>,
}

impl Inbox {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<SentSms>> {
        self.messages.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn push(&self, message: SentSms) {
        let mut messages = self.lock();
        if messages.len() >= INBOX_CAPACITY {
            messages.pop_front();
        }
        messages.push_back(message);
    }

    /// Every message kept, or only those to `phone` (normalised) when given.
    pub fn list(&self, phone: Option<&str>) -> Vec<SentSms> {
        self.lock()
            .iter()
            .filter(|m| phone.is_none_or(|p| m.phone == p))
            .cloned()
            .collect()
    }
}

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
