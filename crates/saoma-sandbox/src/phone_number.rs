//! The getPhoneNumber button: `POST /api/phone-code {user, phone?, app_id?}` mints what the
//! button gives the mini-program, and `wxa/business/getuserphonenumber` redeems it once, within
//! 5 minutes (else 40029), for `phone_info` (`countryCode` a string, as WeChat sends it). A user
//! without an explicit phone has a stable fake mainland number derived from their id.

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
use super::faults::{self, observe};
use super::sns::unknown_user_or_app;
use super::tokens::TokenCheck;

const CODE_TTL: Duration = Duration::from_secs(300);

struct PhoneCode {
    /// National number (11 digits); the country is always 86 in the sandbox.
    phone: String,
    app_id: Option<String>,
    minted_at: Instant,
    redeemed: bool,
}

#[derive(Default)]
pub(crate) struct PhoneCodes {
    codes: Mutex<HashMap<String, PhoneCode>>,
}

impl PhoneCodes {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, PhoneCode>> {
        self.codes.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn mint(&self, phone: String, app_id: Option<String>, now: Instant) -> String {
        let mut codes = self.lock();
        codes.retain(|_, c| now < c.minted_at + CODE_TTL);
        let code = random_hex(16);
        let entry = PhoneCode {
            phone,
            app_id,
            minted_at: now,
            redeemed: false,
        };
        codes.insert(code.clone(), entry);
        code
    }

    /// The phone, once; 40029 for an unknown, used, expired or other app's code.
    fn redeem(&self, code: &str, app_id: &str, now: Instant) -> Result<String, i64> {
        let mut codes = self.lock();
        let Some(entry) = codes.get_mut(code) else {
            return Err(errors::INVALID_CODE);
        };
        if entry.redeemed
            || now >= entry.minted_at + CODE_TTL
            || entry.app_id.as_deref().is_some_and(|id| id != app_id)
        {
            return Err(errors::INVALID_CODE);
        }
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

/// `POST /api/phone-code {user, phone?, app_id?}` -> `{code, phone}`.
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
    let code = state
        .phone_codes
        .mint(phone.clone(), body.app_id, state.clock.now());
    Json(serde_json::json!({ "code": code, "phone": format!("+86{phone}") })).into_response()
}

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    access_token: Option<String>,
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
    let check = state.tokens.check(&token, state.clock.now());
    let app_id = match &check {
        TokenCheck::Valid { app_id } | TokenCheck::Invalid { app_id, .. } => app_id.clone(),
        TokenCheck::Unknown => faults::UNKNOWN_APP.to_string(),
    };
    if let Some(reply) = observe(state, faults::GETUSERPHONENUMBER, &app_id).await {
        return reply;
    }
    match check {
        TokenCheck::Valid { .. } => {}
        TokenCheck::Invalid { errcode, .. } => return wx_error(errcode),
        TokenCheck::Unknown => return wx_error(errors::INVALID_CREDENTIAL),
    }
    let Ok(body) = serde_json::from_slice::<CodeBody>(&body) else {
        return wx_error(errors::DATA_FORMAT_ERROR);
    };
    let code = body.code.unwrap_or_default();
    let phone = match state.phone_codes.redeem(&code, &app_id, state.clock.now()) {
        Ok(phone) => phone,
        Err(errcode) => return wx_error(errcode),
    };
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
