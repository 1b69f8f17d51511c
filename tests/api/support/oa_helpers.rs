//! Official-account helpers: create its scenes, drive the sandbox's scan tool, and craft pushes
//! by hand (signed and encrypted as WeChat does) to send what WeChat never would.

use crate::support::helpers::{Created, TestApp, spawn_app_with};
use saoma::config::{
    CallbackMode, SANDBOX_CALLBACK_TOKEN, SANDBOX_ENCODING_AES_KEY, SANDBOX_OFFICIAL_ACCOUNT_APP_ID,
};
use saoma::wechat::callback;
use serde_json::{Value, json};

pub async fn spawn_oa_app(mode: CallbackMode) -> TestApp {
    spawn_app_with(|c| c.official_account.mode = Some(mode)).await
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// An event as WeChat writes it.
pub fn event_xml(from: &str, create_time: i64, event: &str, key: Option<&str>) -> String {
    let key = key
        .map(|k| format!("<EventKey><![CDATA[{k}]]></EventKey><Ticket><![CDATA[gQtest]]></Ticket>"))
        .unwrap_or_default();
    format!(
        "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>\
         <FromUserName><![CDATA[{from}]]></FromUserName><CreateTime>{create_time}</CreateTime>\
         <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>{key}</xml>"
    )
}

/// A push ready to send: its query and body.
#[derive(Clone, Debug)]
pub struct Signed {
    pub query: Vec<(String, String)>,
    pub body: String,
}

/// Sign `xml` (and encrypt it for `app_id` unless plain) as WeChat would, with the sandbox's
/// token and key.
pub fn sign_as(mode: CallbackMode, xml: &str, timestamp: i64, nonce: &str, app_id: &str) -> Signed {
    let token = SANDBOX_CALLBACK_TOKEN;
    let ts = timestamp.to_string();
    let mut query = vec![
        (
            "signature".to_string(),
            callback::signature(token, &ts, nonce),
        ),
        ("timestamp".to_string(), ts.clone()),
        ("nonce".to_string(), nonce.to_string()),
        ("openid".to_string(), "o_test".to_string()),
    ];
    if mode == CallbackMode::Plain {
        return Signed {
            query,
            body: xml.to_string(),
        };
    }
    let key = callback::AesKey::parse(SANDBOX_ENCODING_AES_KEY).unwrap();
    let encrypt = callback::encrypt(&key, app_id, xml.as_bytes(), &[7u8; 16]);
    query.push(("encrypt_type".into(), "aes".into()));
    query.push((
        "msg_signature".into(),
        callback::msg_signature(token, &ts, nonce, &encrypt),
    ));
    let envelope = format!("<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>");
    let body = match mode {
        CallbackMode::Compatible => xml.replacen("</xml>", &envelope, 1),
        _ => format!("<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>{envelope}"),
    };
    Signed { query, body }
}

pub fn sign(mode: CallbackMode, xml: &str, timestamp: i64, nonce: &str) -> Signed {
    sign_as(mode, xml, timestamp, nonce, SANDBOX_OFFICIAL_ACCOUNT_APP_ID)
}

impl Signed {
    pub fn set(mut self, name: &str, value: &str) -> Signed {
        self.query.retain(|(k, _)| k != name);
        self.query.push((name.to_string(), value.to_string()));
        self
    }
}

impl TestApp {
    pub async fn create_oa_scene(&self) -> Created {
        let res = self
            .create_scene(json!({"provider": "official_account"}))
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let body: Value = res.json().await.unwrap();
        Created {
            scene: body["scene"].as_str().unwrap().to_string(),
            poll_token: body["poll_token"].as_str().unwrap().to_string(),
            body,
        }
    }

    /// The sandbox phone scans the official account's QR of `scene`.
    pub async fn oa_scan(&self, user: &str, scene: &str, follow: bool) -> Value {
        let res = self
            .post(
                "/sandbox/api/official-account/scan",
                json!({"user": user, "scene": scene, "follow": follow}),
            )
            .await;
        assert_eq!(res.status(), 200, "scan tool");
        res.json().await.unwrap()
    }

    pub async fn push(&self, signed: &Signed) -> reqwest::Response {
        self.http
            .post(self.url("/api/v1/official-account/callback"))
            .query(&signed.query)
            .header("Content-Type", "text/xml")
            .body(signed.body.clone())
            .send()
            .await
            .unwrap()
    }

    pub async fn status_of(&self, created: &Created) -> String {
        let view: Value = self
            .poll(&created.scene, Some(&created.poll_token))
            .await
            .json()
            .await
            .unwrap();
        view["status"].as_str().unwrap().to_string()
    }
}

/// The text of a passive reply, decrypting it (and checking its MsgSignature) when encrypted.
pub fn reply_text(body: &str) -> Option<String> {
    let fields = callback::parse(body.as_bytes()).ok()?;
    let fields = match fields.get("Encrypt") {
        Some(encrypt) => {
            let expected = callback::msg_signature(
                SANDBOX_CALLBACK_TOKEN,
                fields.get("TimeStamp")?,
                fields.get("Nonce")?,
                encrypt,
            );
            assert_eq!(fields.get("MsgSignature"), Some(expected.as_str()));
            let key = callback::AesKey::parse(SANDBOX_ENCODING_AES_KEY).unwrap();
            let plain = callback::decrypt(&key, SANDBOX_OFFICIAL_ACCOUNT_APP_ID, encrypt).ok()?;
            callback::parse(&plain).ok()?
        }
        None => fields,
    };
    fields.get("Content").map(str::to_string)
}
