//! Delivering an event to Saoma's callback as WeChat does: signed, encrypted per the mode,
//! tried three times when the callback is slow (past `push_timeout`) or fails (transport
//! error or 5xx; a 4xx is an answer, and the same push would get it again), and the answer's
//! passive reply read back (its MsgSignature checked and decrypted when encrypted).

use rand::Rng;
use std::time::Duration;

use super::{CallbackMode, SandboxOfficialAccount, State};
use crate::crypto::{self, AesKey};
use crate::xml;

/// WeChat tries a push three times in all.
const TRIES: u32 = 3;

/// The account's original id (`gh_` + 12 hex), derived from its app id.
pub(crate) fn original_id(app_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(app_id.as_bytes());
    format!("gh_{}", &hex::encode(digest)[..12])
}

pub(crate) fn cdata(value: &str) -> String {
    format!("<![CDATA[{}]]>", value.replace("]]>", "]]]]><![CDATA[>"))
}

/// Sign (and encrypt) the event, POST it up to three times, and describe the outcome.
pub(crate) async fn deliver(
    state: &State,
    oa: &SandboxOfficialAccount,
    openid: &str,
    xml: &str,
) -> serde_json::Value {
    let key = oa
        .encoding_aes_key
        .as_ref()
        .and_then(|k| AesKey::parse(k.expose()).ok());
    // The thread-local generator is not Send: take what is needed before any await.
    let (nonce, random) = {
        let mut rng = rand::rng();
        let nonce: u32 = rng.random_range(100_000_000..1_000_000_000);
        (nonce.to_string(), rng.random::<[u8; 16]>())
    };
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let token = oa.token.expose();
    let mut url = oa.callback_url.clone();
    url.query_pairs_mut()
        .append_pair("signature", &crypto::signature(token, &timestamp, &nonce))
        .append_pair("timestamp", &timestamp)
        .append_pair("nonce", &nonce)
        .append_pair("openid", openid);
    let body = match (oa.mode, &key) {
        (CallbackMode::Plain, _) | (_, None) => xml.to_owned(),
        (mode, Some(key)) => {
            let encrypt = crypto::encrypt(key, &oa.app_id, xml.as_bytes(), &random);
            url.query_pairs_mut()
                .append_pair("encrypt_type", "aes")
                .append_pair(
                    "msg_signature",
                    &crypto::msg_signature(token, &timestamp, &nonce, &encrypt),
                );
            let envelope = format!("<Encrypt>{}</Encrypt></xml>", cdata(&encrypt));
            match mode {
                CallbackMode::Compatible => xml.replacen("</xml>", &envelope, 1),
                _ => format!(
                    "<xml><ToUserName>{}</ToUserName>{envelope}",
                    cdata(&original_id(&oa.app_id))
                ),
            }
        }
    };
    let mut attempts = 0;
    let mut last_error = String::new();
    while attempts < TRIES {
        attempts += 1;
        let sent = state
            .push_client
            .post(url.clone())
            .header("Content-Type", "text/xml")
            .timeout(oa.push_timeout)
            .body(body.clone())
            .send()
            .await;
        let failure = match sent {
            Ok(response) => {
                let status = response.status();
                match response.text().await {
                    Ok(text) if !status.is_server_error() => {
                        return answered(oa, key.as_ref(), attempts, status.as_u16(), &text);
                    }
                    Ok(_) => format!("HTTP {status}"),
                    Err(e) => e.without_url().to_string(),
                }
            }
            Err(e) if e.is_timeout() => {
                format!("no answer within {} ms", oa.push_timeout.as_millis())
            }
            Err(e) => e.without_url().to_string(),
        };
        tracing::info!(attempt = attempts, error = %failure, "sandbox: push to the callback failed");
        last_error = failure;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    serde_json::json!({ "pushed": true, "delivered": false, "attempts": attempts, "error": last_error })
}

/// What the callback answered, with its passive reply read (decrypted when encrypted).
fn answered(
    oa: &SandboxOfficialAccount,
    key: Option<&AesKey>,
    attempts: u32,
    status: u16,
    body: &str,
) -> serde_json::Value {
    let mut report = serde_json::json!({
        "pushed": true,
        "delivered": true,
        "attempts": attempts,
        "callback": { "status": status, "body": body },
        "reply": null,
    });
    if status != 200 || body.is_empty() || body == "success" {
        return report;
    }
    match read_reply(oa, key, body) {
        Ok((msg_type, content, encrypted)) => {
            report["reply"] = serde_json::json!({ "msg_type": msg_type, "content": content, "encrypted": encrypted });
        }
        // What WeChat shows the user for a reply it cannot read.
        Err(why) => report["reply_error"] = format!("该公众号暂时无法提供服务 ({why})").into(),
    }
    report
}

fn read_reply(
    oa: &SandboxOfficialAccount,
    key: Option<&AesKey>,
    body: &str,
) -> Result<(String, String, bool), String> {
    let fields = xml::parse(body.as_bytes())?;
    let (fields, encrypted) = match fields.get("Encrypt") {
        Some(encrypt) => {
            let key = key.ok_or("an encrypted reply, but no key")?;
            let timestamp = fields.get("TimeStamp").unwrap_or_default();
            let nonce = fields.get("Nonce").unwrap_or_default();
            let expected = crypto::msg_signature(oa.token.expose(), timestamp, nonce, encrypt);
            if !crypto::verify(&expected, fields.get("MsgSignature").unwrap_or_default()) {
                return Err("the reply's MsgSignature is wrong".into());
            }
            let plain = crypto::decrypt(key, &oa.app_id, encrypt).map_err(|e| e.to_string())?;
            (xml::parse(&plain)?, true)
        }
        None => (fields, false),
    };
    let msg_type = fields.get("MsgType").unwrap_or_default().to_owned();
    let content = fields.get("Content").unwrap_or_default().to_owned();
    Ok((msg_type, content, encrypted))
}
