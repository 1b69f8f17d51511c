//! WeChat's reply conventions (HTTP 200, `encoding=utf-8`, `errcode`/`errmsg` with a rid) and
//! the sandbox tools' own JSON errors.

use base64::Engine;
use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use rand::Rng;
use serde::de::DeserializeOwned;

/// WeChat's JSON content type, `encoding` (sic) included.
pub(crate) const WECHAT_JSON: &str = "application/json; encoding=utf-8";

pub(crate) const SYSTEM_ERROR: i64 = -1;
pub(crate) const INVALID_CREDENTIAL: i64 = 40001;
pub(crate) const INVALID_GRANT_TYPE: i64 = 40002;
pub(crate) const INVALID_APPID: i64 = 40013;
pub(crate) const INVALID_CODE: i64 = 40029;
pub(crate) const INVALID_ARGS: i64 = 40097;
pub(crate) const INVALID_APPSECRET: i64 = 40125;
pub(crate) const INVALID_SCENE: i64 = 40129;
pub(crate) const CODE_BEEN_USED: i64 = 40163;
pub(crate) const INVALID_SCENE_LENGTH: i64 = 40169;
pub(crate) const INVALID_PAGE: i64 = 41030;
pub(crate) const ACCESS_TOKEN_EXPIRED: i64 = 42001;
pub(crate) const DATA_FORMAT_ERROR: i64 = 47001;
pub(crate) const INVALID_OPENID: i64 = 40003;
pub(crate) const INVALID_REFRESH_TOKEN: i64 = 40030;
pub(crate) const REFRESH_TOKEN_EXPIRED: i64 = 42002;
pub(crate) const CODE_EXPIRED: i64 = 42003;
pub(crate) const MINUTE_QUOTA: i64 = 45011;

fn errmsg(errcode: i64) -> &'static str {
    match errcode {
        SYSTEM_ERROR => "system error",
        INVALID_CREDENTIAL => "invalid credential, access_token is invalid or not latest",
        INVALID_GRANT_TYPE => "invalid grant_type",
        40003 => "invalid openid",
        INVALID_APPID => "invalid appid",
        40014 => "invalid access_token",
        INVALID_CODE => "invalid code",
        INVALID_ARGS => "invalid args",
        INVALID_APPSECRET => "invalid appsecret",
        INVALID_SCENE => "invalid scene",
        INVALID_REFRESH_TOKEN => "invalid refresh_token",
        REFRESH_TOKEN_EXPIRED => "refresh_token expired",
        CODE_BEEN_USED => "code been used",
        40164 => "invalid ip, not in whitelist",
        INVALID_SCENE_LENGTH => "invalid length for scene, or the data is not json string",
        40226 => "code blocked",
        INVALID_PAGE => "invalid page",
        ACCESS_TOKEN_EXPIRED => "access_token expired",
        42003 => "code expired",
        45009 => "reach max api daily quota limit",
        MINUTE_QUOTA => "api minute-quota reach limit  mustslower  retry next minute",
        DATA_FORMAT_ERROR => "data format error",
        48001 => "api unauthorized",
        _ => "sandbox injected error",
    }
}

/// A WeChat error reply: HTTP 200, `{"errcode":N,"errmsg":"<text> rid: <8hex>-<8hex>-<8hex>"}`.
pub(crate) fn wx_error(errcode: i64) -> Response {
    let rid = format!("{}-{}-{}", random_hex(4), random_hex(4), random_hex(4));
    let body = serde_json::json!({
        "errcode": errcode,
        "errmsg": format!("{} rid: {rid}", errmsg(errcode)),
    });
    wx_json(&body)
}

/// A WeChat JSON success reply (no errcode), with WeChat's content type.
pub(crate) fn wx_json(body: &serde_json::Value) -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .content_type(WECHAT_JSON)
        .body(body.to_string())
}

/// A sandbox tool error: `{"code":"snake_case","message":"..."}` with an HTTP status.
pub(crate) fn api_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "code": code, "message": message });
    (status, poem::web::Json(body)).into_response()
}

/// A sandbox tool's request body that is not the JSON it expects: a 400 `bad_request`.
pub(crate) struct BadBody(String);

impl IntoResponse for BadBody {
    fn into_response(self) -> Response {
        api_error(StatusCode::BAD_REQUEST, "bad_request", &self.0)
    }
}

/// Parses a sandbox tool's JSON body; an empty body reads as `{}`.
pub(crate) fn parse_api_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, BadBody> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| BadBody(format!("invalid JSON body: {e}")))
}

pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rng().fill(&mut bytes[..]);
    bytes
}

/// `n` random bytes as lowercase hex.
pub(crate) fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill(&mut bytes[..]);
    hex::encode(bytes)
}

/// 64 random bytes as unpadded base64url: the shape of a real access token.
pub(crate) fn random_token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<64>())
}
