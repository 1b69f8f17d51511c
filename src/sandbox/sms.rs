//! `GET /api/sms?phone=`: the messages Saoma's `log` SMS sender delivered, newest last.

use poem::handler;
use poem::web::{Data, Json, Query};
use serde::Deserialize;
use std::sync::Arc;

use super::State;

#[derive(Deserialize)]
pub(crate) struct SmsQuery {
    phone: Option<String>,
}

/// `{"messages": [{phone, text, code, sent_at}]}`, only those to `phone` when given (E.164).
#[handler]
pub(crate) async fn list_sms(
    Data(state): Data<&Arc<State>>,
    Query(q): Query<SmsQuery>,
) -> Json<serde_json::Value> {
    let messages = state.sms.list(q.phone.as_deref());
    Json(serde_json::json!({ "messages": messages }))
}
