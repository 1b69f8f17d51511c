//! The getPhoneNumber button: `POST /api/phone-code {user, phone?, app_id?}` mints what the
//! button gives the mini-program, and `wxa/business/getuserphonenumber` redeems it once, within
//! 5 minutes (else 40029), for `phone_info` (`countryCode` a string, as WeChat sends it). A user
//! without an explicit phone has a stable fake mainland number derived from their id.
//!
//! The button gives no code when the paid quota is spent (`phone_quota`), and a user whose
//! codes are redeemed more than [`PER_USER_PER_MINUTE`] times a minute gets 45011 (the code is
//! not spent: it may be redeemed the next minute, within its 5 minutes).

use poem::http::StatusCode;
use poem::web::{Data, Json, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::State;
use super::errors::{self, api_error, parse_api_body, random_hex, wx_error, wx_json};
use super::faults;
use super::phone_quota::NO_QUOTA_ERRNO;
use super::sns::unknown_user_or_app;
use super::tokens::authorise;

const CODE_TTL: Duration = Duration::from_secs(300);
const MINUTE: Duration = Duration::from_secs(60);
/// Redemptions of one user's codes per minute before 45011.
pub(crate) const PER_USER_PER_MINUTE: usize = 10;

struct PhoneCode {
    /// National number (11 digits); the country is always 86 in the sandbox.
    phone: String,
    user: String,
    app_id: Option<String>,
    minted_at: Instant,
    redeemed: bool,
}

#[derive(Default)]
pub(crate) struct PhoneCodes {
    inner: Mutex<Book>,
}

#[derive(Default)]
struct Book {
    codes: HashMap<String, PhoneCode>,
    /// user -> when their codes were redeemed, within the last minute.
    redeemed: HashMap<String, Vec<Instant>>,
}

impl PhoneCodes {
    fn lock(&self) -> std::sync::MutexGuard<'_, Book> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn mint(&self, phone: String, user: &str, app_id: Option<String>, now: Instant) -> String {
        let mut book = self.lock();
        book.codes.retain(|_, c| now < c.minted_at + CODE_TTL);
        let code = random_hex(16);
        let entry = PhoneCode {
            phone,
            user: user.to_owned(),
            app_id,
            minted_at: now,
            redeemed: false,
        };
        book.codes.insert(code.clone(), entry);
        code
    }

    /// The phone, once; 40029 for an unknown, used, expired or other app's code; 45011 past
    /// the user's minute quota.
    fn redeem(&self, code: &str, app_id: &str, now: Instant) -> Result<String, i64> {
        let mut book = self.lock();
        let Book { codes, redeemed } = &mut *book;
        let Some(entry) = codes.get_mut(code) else {
            return Err(errors::INVALID_CODE);
        };
        if entry.redeemed
            || now >= entry.minted_at + CODE_TTL
            || entry.app_id.as_deref().is_some_and(|id| id != app_id)
        {
            return Err(errors::INVALID_CODE);
        }
        let recent = redeemed.entry(entry.user.clone()).or_default();
        recent.retain(|at| now < *at + MINUTE);
        if recent.len() >= PER_USER_PER_MINUTE {
            return Err(errors::MINUTE_QUOTA);
        }
        recent.push(now);
        entry.redeemed = true;
        Ok(entry.phone.clone())
    }
}

impl State {
    /// The fake user's default number: `139` and eight digits derived from the user id.
    pub(crate) fn default_phone(&self, user_id: &str) -> String {
        let mut hash = Sha256::new();
        hash.update(self.id_secret.expose().as_bytes());
        hash.update(b"\0phone\0");
        hash.update(user_id.as_bytes());
        let digest = hash.finalize();
        let n = u64::from_be_bytes(digest[..8].try_into().unwrap_or([0; 8])) % 100_000_000;
        format!("139{n:08}")
    }
}

/// `13800138000` or `+8613800138000` -> the 11 national digits of a mainland mobile number.
fn national_number(phone: &str) -> Option<String> {
    let national = phone.strip_prefix("+86").unwrap_or(phone);
    let b = national.as_bytes();
    let valid = b.len() == 11
        && b.iter().all(u8::is_ascii_digit)
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1]);
    valid.then(|| national.to_string())
}

#[derive(Deserialize)]
struct PhoneCodeBody {
    user: String,
    phone: Option<String>,
    app_id: Option<String>,
}

/// `POST /api/phone-code {user, phone?, app_id?}` -> `{code, phone}`; with the quota spent,
/// 403 `{code: "no_quota", errno: 1400001, errMsg}`.
#[handler]
pub(crate) async fn phone_code(Data(state): Data<&Arc<State>>, body: Vec<u8>) -> Response {
    let body: PhoneCodeBody = match parse_api_body(&body) {
        Ok(body) => body,
        Err(bad) => return bad.into_response(),
    };
    if let Some(refused) = unknown_user_or_app(state, &body.user, body.app_id.as_deref()) {
        return refused;
    }
    let phone = match &body.phone {
        None => state.default_phone(&body.user),
        Some(phone) => match national_number(phone.trim()) {
            Some(national) => national,
            None => {
                let message = "phone must be an 11-digit mainland mobile number, optionally +86";
                return api_error(StatusCode::BAD_REQUEST, "invalid_phone", message);
            }
        },
    };
    if !state.phone_quota.has_left() {
        // What the button's event carries: no code, WeChat's errno (nothing is charged).
        let body = serde_json::json!({
            "code": "no_quota",
            "message": "the mini-program's getPhoneNumber quota is spent (errno 1400001)",
            "errno": NO_QUOTA_ERRNO,
            "errMsg": "getPhoneNumber:fail no quota",
        });
        return (StatusCode::FORBIDDEN, Json(body)).into_response();
    }
    let code = state
        .phone_codes
        .mint(phone.clone(), &body.user, body.app_id, state.clock.now());
    Json(serde_json::json!({ "code": code, "phone": format!("+86{phone}") })).into_response()
}

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    access_token: Option<String>,
}

impl TokenQuery {
    pub(crate) fn token(&self) -> &str {
        self.access_token.as_deref().unwrap_or_default()
    }
}

#[derive(Deserialize)]
struct CodeBody {
    code: Option<String>,
}

/// `POST /wechat/wxa/business/getuserphonenumber?access_token=` with `{"code": "..."}`.
#[handler]
pub(crate) async fn getuserphonenumber(
    Data(state): Data<&Arc<State>>,
    Query(q): Query<TokenQuery>,
    body: Vec<u8>,
) -> Response {
    let token = q.access_token.unwrap_or_default();
    let app_id = match authorise(state, faults::GETUSERPHONENUMBER, &token).await {
        Ok(app_id) => app_id,
        Err(reply) => return reply,
    };
    let Ok(body) = serde_json::from_slice::<CodeBody>(&body) else {
        return wx_error(errors::DATA_FORMAT_ERROR);
    };
    let code = body.code.unwrap_or_default();
    let phone = match state.phone_codes.redeem(&code, &app_id, state.clock.now()) {
        Ok(phone) => phone,
        Err(errcode) => return wx_error(errcode),
    };
    state.phone_quota.spend();
    wx_json(&serde_json::json!({
        "errcode": 0,
        "errmsg": "ok",
        "phone_info": {
            "phoneNumber": phone,
            "purePhoneNumber": phone,
            "countryCode": "86",
            "watermark": {
                "timestamp": chrono::Utc::now().timestamp(),
                "appid": app_id,
            },
        },
    }))
}
