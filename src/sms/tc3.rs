//! TC3-HMAC-SHA256, Tencent Cloud API 3.0 request signing, for a JSON POST to `/`.

use crate::secret::Secret;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

const ALGORITHM: &str = "TC3-HMAC-SHA256";
const SIGNED_HEADERS: &str = "content-type;host";

/// What the signature covers.
pub struct Tc3Request<'a> {
    pub secret_id: &'a str,
    pub secret_key: &'a Secret,
    /// The product, as in its host name: `sms` for `sms.tencentcloudapi.com`.
    pub service: &'a str,
    /// The `Host` header as sent (with `:port` when the URL names one).
    pub host: &'a str,
    pub content_type: &'a str,
    /// Unix seconds, the `X-TC-Timestamp` header; the credential's date is its UTC day.
    pub timestamp: i64,
    pub payload: &'a [u8],
}

/// The `Authorization` header value.
pub fn tc3_authorization(req: &Tc3Request<'_>) -> String {
    let canonical_request = format!(
        "POST\n/\n\ncontent-type:{}\nhost:{}\n\n{SIGNED_HEADERS}\n{}",
        req.content_type.trim().to_ascii_lowercase(),
        req.host.trim().to_ascii_lowercase(),
        hex::encode(Sha256::digest(req.payload))
    );
    let date = chrono::DateTime::from_timestamp(req.timestamp, 0)
        .unwrap_or_default()
        .format("%Y-%m-%d")
        .to_string();
    let scope = format!("{date}/{}/tc3_request", req.service);
    let string_to_sign = format!(
        "{ALGORITHM}\n{}\n{scope}\n{}",
        req.timestamp,
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let secret_date = hmac_sha256(
        format!("TC3{}", req.secret_key.expose()).as_bytes(),
        date.as_bytes(),
    );
    let secret_service = hmac_sha256(&secret_date, req.service.as_bytes());
    let secret_signing = hmac_sha256(&secret_service, b"tc3_request");
    let signature = hex::encode(hmac_sha256(&secret_signing, string_to_sign.as_bytes()));
    format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={SIGNED_HEADERS}, Signature={signature}",
        req.secret_id
    )
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}
