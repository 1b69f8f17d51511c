//! The `tencent` sender: Tencent Cloud SMS `SendSms` (API version 2021-01-11), one JSON POST
//! signed with TC3-HMAC-SHA256. The template takes two parameters: the code and the minutes.

use super::tc3::{Tc3Request, tc3_authorization};
use super::{SmsError, SmsSender, ttl_minutes};
use crate::accounts::Phone;
use crate::secret::Secret;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::time::Duration;

const SERVICE: &str = "sms";
const ACTION: &str = "SendSms";
const VERSION: &str = "2021-01-11";
const CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// `[sms.tencent]`, checked: every field present.
#[derive(Debug, Clone)]
pub struct TencentSettings {
    pub secret_id: String,
    pub secret_key: Secret,
    pub sdk_app_id: String,
    pub sign_name: String,
    pub template_id: String,
    pub region: String,
    /// `https://sms.tencentcloudapi.com/` in production; a test points it at a fake.
    pub endpoint: url::Url,
    pub timeout: Duration,
}

pub struct TencentSender {
    settings: TencentSettings,
    http: reqwest::Client,
    /// The `Host` header, signed: host, and `:port` when the endpoint names one.
    host: String,
}

impl TencentSender {
    pub fn new(settings: TencentSettings) -> anyhow::Result<Self> {
        let host = match (settings.endpoint.host_str(), settings.endpoint.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_string(),
            (None, _) => anyhow::bail!("sms.tencent.endpoint has no host"),
        };
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .build()?;
        Ok(Self {
            settings,
            http,
            host,
        })
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SendSms<'a> {
    phone_number_set: [&'a str; 1],
    sms_sdk_app_id: &'a str,
    sign_name: &'a str,
    template_id: &'a str,
    template_param_set: [&'a str; 2],
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Envelope {
    response: Reply,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Reply {
    #[serde(default)]
    error: Option<ApiError>,
    #[serde(default)]
    send_status_set: Vec<SendStatus>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ApiError {
    code: String,
    message: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SendStatus {
    code: String,
    #[serde(default)]
    message: String,
}

#[async_trait]
impl SmsSender for TencentSender {
    async fn send_code(&self, phone: &Phone, code: &Secret, ttl: Duration) -> Result<(), SmsError> {
        let s = &self.settings;
        let minutes = ttl_minutes(ttl).to_string();
        let body = serde_json::to_vec(&SendSms {
            phone_number_set: [phone.as_str()],
            sms_sdk_app_id: &s.sdk_app_id,
            sign_name: &s.sign_name,
            template_id: &s.template_id,
            template_param_set: [code.expose(), &minutes],
        })
        .map_err(|e| SmsError::Unavailable(format!("encoding the request: {e}")))?;
        let timestamp = chrono::Utc::now().timestamp();
        let authorization = tc3_authorization(&Tc3Request {
            secret_id: &s.secret_id,
            secret_key: &s.secret_key,
            service: SERVICE,
            host: &self.host,
            content_type: CONTENT_TYPE,
            timestamp,
            payload: &body,
        });
        let response = self
            .http
            .post(s.endpoint.clone())
            .header("Authorization", authorization)
            .header("Content-Type", CONTENT_TYPE)
            .header("Host", &self.host)
            .header("X-TC-Action", ACTION)
            .header("X-TC-Version", VERSION)
            .header("X-TC-Timestamp", timestamp.to_string())
            .header("X-TC-Region", &s.region)
            .body(body)
            .send()
            .await
            // Without the URL: nothing secret is in it, but keep errors short and uniform.
            .map_err(|e| SmsError::Unavailable(e.without_url().to_string()))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| SmsError::Unavailable(e.without_url().to_string()))?;
        let envelope: Envelope = serde_json::from_slice(&bytes).map_err(|e| {
            SmsError::Unavailable(format!("unreadable answer (HTTP {status}): {e}"))
        })?;
        if let Some(error) = envelope.response.error {
            return Err(SmsError::Rejected(format!(
                "{}: {}",
                error.code, error.message
            )));
        }
        match envelope.response.send_status_set.first() {
            Some(sent) if sent.code == "Ok" => {
                tracing::info!(phone = %phone.masked(), "sms sent (tencent)");
                Ok(())
            }
            Some(sent) => Err(SmsError::Rejected(format!(
                "{}: {}",
                sent.code, sent.message
            ))),
            None => Err(SmsError::Unavailable(
                "the answer has no send status".into(),
            )),
        }
    }
}
