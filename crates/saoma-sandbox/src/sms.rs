//! The SMS inbox: what Saoma's `log` SMS sender delivered in sandbox mode (the sender pushes to
//! the [`Inbox`] it is handed, [`crate::Sandbox::sms_inbox`]), listed at `GET /api/sms?phone=`,
//! newest last.

use chrono::{DateTime, Utc};
use poem::handler;
use poem::web::{Data, Json, Query};
use serde::Deserialize;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use super::State;

/// How many messages the inbox keeps (oldest dropped first).
const INBOX_CAPACITY: usize = 200;

/// A delivered message, as the sandbox shows it. `Debug` leaves out the number and the code.
#[derive(Clone, serde::Serialize)]
pub struct SentSms {
    /// In E.164 (`+8613800138000`).
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

/// The messages delivered, newest last.
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

    /// Every message kept, or only those to `phone` (E.164) when given.
    pub fn list(&self, phone: Option<&str>) -> Vec<SentSms> {
        self.lock()
            .iter()
            .filter(|m| phone.is_none_or(|p| m.phone == p))
            .cloned()
            .collect()
    }
}

#[derive(Deserialize)]
pub(crate) struct SmsQuery {
    phone: Option<String>,
}

/// `{"messages": [{phone, text, code, sent_at}]}`, only those to `phone` when given (any form
/// Saoma accepts; an unencoded `+` that arrived as a space is forgiven).
#[handler]
pub(crate) async fn list_sms(
    Data(state): Data<&Arc<State>>,
    Query(q): Query<SmsQuery>,
) -> Json<serde_json::Value> {
    let phone = q.phone.map(|p| {
        let p = p.trim();
        e164(p)
            .or_else(|| e164(&format!("+{p}")))
            .unwrap_or_else(|| p.to_string())
    });
    let messages = state.sms.list(phone.as_deref());
    Json(serde_json::json!({ "messages": messages }))
}

/// A phone number as Saoma writes it (E.164), from the forms Saoma accepts: `+` and 8 to 15
/// digits (spaces, dashes and brackets ignored), or a mainland mobile without `+86`. `None`
/// for anything else.
fn e164(input: &str) -> Option<String> {
    let compact: String = input
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    let digits = match compact.strip_prefix('+') {
        Some(rest) => rest.to_string(),
        None if cn_mobile(&compact) => format!("86{compact}"),
        None => return None,
    };
    let valid = (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
        && digits.strip_prefix("86").is_none_or(cn_mobile);
    valid.then(|| format!("+{digits}"))
}

/// 11 digits, `1` then `3`..=`9`: a mainland China mobile number.
fn cn_mobile(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11
        && b.iter().all(u8::is_ascii_digit)
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
}

#[cfg(test)]
mod tests {
    use super::e164;

    #[test]
    fn numbers_are_written_as_saoma_writes_them() {
        assert_eq!(e164("13800138000").as_deref(), Some("+8613800138000"));
        assert_eq!(e164("+86 138-0013-8000").as_deref(), Some("+8613800138000"));
        assert_eq!(e164("+14155550100").as_deref(), Some("+14155550100"));
        assert_eq!(e164("+8612345678901"), None);
        assert_eq!(e164("12345"), None);
        assert_eq!(e164("+0123456789"), None);
    }
}
