//! Call statistics and injected faults, per fake WeChat endpoint and app id.

use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::State;
use super::errors::{api_error, parse_api_body, wx_error};

/// The fake endpoints, named as in stats and faults.
pub(crate) const CGI_BIN_TOKEN: &str = "cgi-bin/token";
pub(crate) const STABLE_TOKEN: &str = "cgi-bin/stable_token";
pub(crate) const GETWXACODEUNLIMIT: &str = "wxa/getwxacodeunlimit";
pub(crate) const JSCODE2SESSION: &str = "sns/jscode2session";
pub(crate) const OAUTH2_ACCESS_TOKEN: &str = "sns/oauth2/access_token";
pub(crate) const OAUTH2_REFRESH_TOKEN: &str = "sns/oauth2/refresh_token";
pub(crate) const USERINFO: &str = "sns/userinfo";
pub(crate) const SNS_AUTH: &str = "sns/auth";
pub(crate) const QRCODE_CREATE: &str = "cgi-bin/qrcode/create";
pub(crate) const SHOWQRCODE: &str = "cgi-bin/showqrcode";
pub(crate) const USER_INFO: &str = "cgi-bin/user/info";
pub(crate) const GETUSERPHONENUMBER: &str = "wxa/business/getuserphonenumber";
pub(crate) const MSG_SEC_CHECK: &str = "wxa/msg_sec_check";
pub(crate) const MEDIA_CHECK_ASYNC: &str = "wxa/media_check_async";
const ENDPOINTS: &[&str] = &[
    CGI_BIN_TOKEN,
    STABLE_TOKEN,
    GETWXACODEUNLIMIT,
    JSCODE2SESSION,
    OAUTH2_ACCESS_TOKEN,
    OAUTH2_REFRESH_TOKEN,
    USERINFO,
    SNS_AUTH,
    QRCODE_CREATE,
    SHOWQRCODE,
    USER_INFO,
    GETUSERPHONENUMBER,
    MSG_SEC_CHECK,
    MEDIA_CHECK_ASYNC,
];

/// The app id counted when an access token is unknown.
pub(crate) const UNKNOWN_APP: &str = "unknown";

/// The longest delay a fault may ask for.
const MAX_DELAY: Duration = Duration::from_secs(60);

#[derive(Default)]
pub(crate) struct Monitor {
    /// endpoint -> app id -> calls.
    calls: Mutex<HashMap<String, HashMap<String, u64>>>,
    faults: Mutex<Vec<Fault>>,
}

#[derive(Debug, Clone, Deserialize)]
struct Fault {
    endpoint: String,
    app_id: Option<String>,
    errcode: Option<i64>,
    delay_ms: Option<u64>,
    #[serde(default = "one")]
    times: u32,
}

fn one() -> u32 {
    1
}

impl Monitor {
    fn count(&self, endpoint: &str, app_id: &str) {
        let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        *calls
            .entry(endpoint.to_owned())
            .or_default()
            .entry(app_id.to_owned())
            .or_default() += 1;
    }

    /// Takes one use of the first fault that matches, dropping it when used up.
    fn take_fault(&self, endpoint: &str, app_id: &str) -> Option<Fault> {
        let mut faults = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        let index = faults.iter().position(|f| {
            f.endpoint == endpoint && f.app_id.as_deref().is_none_or(|id| id == app_id)
        })?;
        let fault = faults.get_mut(index)?;
        fault.times = fault.times.saturating_sub(1);
        let taken = fault.clone();
        if fault.times == 0 {
            faults.remove(index);
        }
        Some(taken)
    }
}

/// Counts a call to `endpoint` by `app_id` and applies a matching fault: sleeps for its delay,
/// and returns the error reply to send instead of handling the call, if it has an errcode.
pub(crate) async fn observe(state: &State, endpoint: &str, app_id: &str) -> Option<Response> {
    state.monitor.count(endpoint, app_id);
    let fault = state.monitor.take_fault(endpoint, app_id)?;
    if let Some(ms) = fault.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms).min(MAX_DELAY)).await;
    }
    fault.errcode.map(wx_error)
}

/// `GET /api/stats`: `{"calls": {endpoint: {app_id: n}}}`.
#[handler]
pub(crate) async fn get_stats(Data(state): Data<&Arc<State>>) -> Json<serde_json::Value> {
    let calls = state
        .monitor
        .calls
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let sorted: BTreeMap<&String, BTreeMap<&String, &u64>> = calls
        .iter()
        .map(|(endpoint, apps)| (endpoint, apps.iter().collect()))
        .collect();
    Json(serde_json::json!({ "calls": sorted }))
}

/// `DELETE /api/stats`: forgets every count.
#[handler]
pub(crate) async fn reset_stats(Data(state): Data<&Arc<State>>) -> StatusCode {
    state
        .monitor
        .calls
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clear();
    StatusCode::NO_CONTENT
}

/// `POST /api/faults {endpoint, app_id?, errcode?, delay_ms?, times?}`: the next `times` calls
/// (default 1) to `endpoint` (by `app_id`, or by any app) are delayed and/or answered `errcode`.
#[handler]
pub(crate) async fn add_fault(Data(state): Data<&Arc<State>>, body: Vec<u8>) -> Response {
    let mut fault: Fault = match parse_api_body(&body) {
        Ok(fault) => fault,
        Err(bad) => return bad.into_response(),
    };
    fault.endpoint = fault.endpoint.trim_matches('/').to_owned();
    if !ENDPOINTS.contains(&fault.endpoint.as_str()) {
        let message = format!(
            "unknown endpoint {:?}; known: {}",
            fault.endpoint,
            ENDPOINTS.join(", ")
        );
        return api_error(StatusCode::BAD_REQUEST, "unknown_endpoint", &message);
    }
    if fault.times == 0 {
        return api_error(StatusCode::BAD_REQUEST, "bad_request", "times must be >= 1");
    }
    let reply = serde_json::json!({
        "endpoint": fault.endpoint,
        "app_id": fault.app_id,
        "errcode": fault.errcode,
        "delay_ms": fault.delay_ms,
        "times": fault.times,
    });
    state
        .monitor
        .faults
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(fault);
    (StatusCode::CREATED, Json(reply)).into_response()
}

/// `DELETE /api/faults`: drops every pending fault.
#[handler]
pub(crate) async fn clear_faults(Data(state): Data<&Arc<State>>) -> StatusCode {
    state
        .monitor
        .faults
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clear();
    StatusCode::NO_CONTENT
}
