//! getPhoneNumber's paid quota (docs/wechat.md section 9): since 2023-08-28 every successful
//! quick verification is charged, after a trial of 1,000 calls shared by the mini-program's
//! released, trial and develop versions. WeChat checks the quota when the user taps the button
//! (none left: the button answers `errno 1400001`, nothing is charged) and spends one call per
//! code redeemed by `getuserphonenumber`. `GET /api/phone-quota` shows it; `POST` sets what is
//! left (`{"left": 0}` exhausts it, for the phone page and the tests).

use poem::web::{Data, Json};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;
use std::sync::{Arc, Mutex};

use super::State;
use super::errors::parse_api_body;

/// What the button gives the mini-program when no call is left.
pub(crate) const NO_QUOTA_ERRNO: i64 = 1_400_001;

pub(crate) struct PhoneQuota {
    trial: u64,
    counts: Mutex<Counts>,
}

#[derive(Clone, Copy)]
struct Counts {
    left: u64,
    used: u64,
}

impl PhoneQuota {
    pub(crate) fn new(trial: u64) -> Self {
        Self {
            trial,
            counts: Mutex::new(Counts {
                left: trial,
                used: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Checked on the tap: whether the button may give a code.
    pub(crate) fn has_left(&self) -> bool {
        self.lock().left > 0
    }

    /// One successful verification, charged.
    pub(crate) fn spend(&self) {
        let mut counts = self.lock();
        counts.left = counts.left.saturating_sub(1);
        counts.used += 1;
    }

    fn view(&self) -> serde_json::Value {
        let counts = *self.lock();
        serde_json::json!({ "trial": self.trial, "left": counts.left, "used": counts.used })
    }
}

#[derive(Deserialize)]
struct SetQuota {
    left: u64,
}

/// `GET /api/phone-quota` -> `{trial, left, used}`.
#[handler]
pub(crate) async fn get_quota(Data(state): Data<&Arc<State>>) -> Response {
    Json(state.phone_quota.view()).into_response()
}

/// `POST /api/phone-quota {"left": N}` -> `{trial, left, used}`.
#[handler]
pub(crate) async fn set_quota(Data(state): Data<&Arc<State>>, body: Vec<u8>) -> Response {
    let body: SetQuota = match parse_api_body(&body) {
        Ok(body) => body,
        Err(bad) => return bad.into_response(),
    };
    state.phone_quota.lock().left = body.left;
    Json(state.phone_quota.view()).into_response()
}
