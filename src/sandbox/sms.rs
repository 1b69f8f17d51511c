//! `GET /api/sms?phone=`: the messages Saoma's `log` SMS sender delivered, newest last.

use poem::handler;
use poem::web::{Data, Json, Query};
use serde::Deserialize;
use std::sync::Arc;

use super::State;
use crate::accounts::Phone;

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
        Phone::parse(p)
            .or_else(|_| Phone::parse(&format!("+{p}")))
            .map_or_else(|_| p.to_string(), |phone| phone.to_string())
    });
    let messages = state.sms.list(phone.as_deref());
    Json(serde_json::json!({ "messages": messages }))
}
