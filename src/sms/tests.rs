use super::tc3::{Tc3Request, tc3_authorization};
use super::*;
use poem::listener::TcpAcceptor;
use poem::web::Data;
use poem::{EndpointExt, Request, Response, Route, Server, handler, post};
use std::io::Write;
use std::sync::{Arc, Mutex};

/// The worked example of Tencent Cloud's "Signature v3" documentation (CVM DescribeInstances,
/// timestamp 1551113065): the documented signature, recomputed with Python's hmac/hashlib.
#[test]
fn tc3_signature_matches_the_documented_example() {
    let payload =
        r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
    let key = Secret::new("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE");

    let authorization = tc3_authorization(&Tc3Request {
        secret_id: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
        secret_key: &key,
        service: "cvm",
        host: "cvm.tencentcloudapi.com",
        content_type: "application/json; charset=utf-8",
        timestamp: 1_551_113_065,
        payload: payload.as_bytes(),
    });

    assert_eq!(
        authorization,
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, \
         SignedHeaders=content-type;host, \
         Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    );
}

const SECRET_KEY: &str = "tencent-secret-key-DO-NOT-LEAK";

#[derive(Default)]
struct Seen {
    checked: Vec<Result<serde_json::Value, String>>,
}

/// A fake `sms.tencentcloudapi.com`: verifies the signature of what it received, then answers
/// `reply`.
#[handler]
async fn fake_sms(
    req: &Request,
    body: Vec<u8>,
    Data(state): Data<&Arc<(Mutex<Seen>, serde_json::Value)>>,
) -> Response {
    let header = |name: &str| req.header(name).unwrap_or_default().to_string();
    let verdict = (|| {
        let timestamp: i64 = header("X-TC-Timestamp").parse().map_err(|_| "timestamp")?;
        let expected = tc3_authorization(&Tc3Request {
            secret_id: "AKIDtest",
            secret_key: &Secret::new(SECRET_KEY),
            service: "sms",
            host: &header("Host"),
            content_type: &header("Content-Type"),
            timestamp,
            payload: &body,
        });
        if header("Authorization") != expected {
            return Err(format!("bad signature: {}", header("Authorization")));
        }
        for (name, value) in [
            ("X-TC-Action", "SendSms"),
            ("X-TC-Version", "2021-01-11"),
            ("X-TC-Region", "ap-guangzhou"),
        ] {
            if header(name) != value {
                return Err(format!("{name} is {:?}", header(name)));
            }
        }
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    })();
    state.0.lock().unwrap().checked.push(verdict);
    Response::builder()
        .content_type("application/json")
        .body(state.1.to_string())
}

async fn fake_endpoint(
    reply: serde_json::Value,
) -> (url::Url, Arc<(Mutex<Seen>, serde_json::Value)>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = Arc::new((Mutex::new(Seen::default()), reply));
    let app = Route::new().at("/", post(fake_sms)).data(state.clone());
    let acceptor = TcpAcceptor::from_tokio(listener).unwrap();
    tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
    (url::Url::parse(&format!("http://{addr}/")).unwrap(), state)
}

fn sender(endpoint: url::Url) -> TencentSender {
    TencentSender::new(TencentSettings {
        secret_id: "AKIDtest".into(),
        secret_key: Secret::new(SECRET_KEY),
        sdk_app_id: "1400000000".into(),
        sign_name: "Saoma".into(),
        template_id: "123456".into(),
        region: "ap-guangzhou".into(),
        endpoint,
        timeout: Duration::from_secs(5),
    })
    .unwrap()
}

fn phone() -> Phone {
    Phone::parse("13800138000").unwrap()
}

#[tokio::test]
async fn tencent_sender_posts_a_signed_send_sms() {
    let ok = serde_json::json!({"Response": {"SendStatusSet": [
        {"SerialNo": "1", "PhoneNumber": "+8613800138000", "Fee": 1, "Code": "Ok", "Message": "send success"}
    ], "RequestId": "r1"}});
    let (endpoint, state) = fake_endpoint(ok).await;

    sender(endpoint)
        .send_code(&phone(), &Secret::new("042917"), Duration::from_secs(300))
        .await
        .unwrap();

    let seen = state.0.lock().unwrap();
    assert_eq!(seen.checked.len(), 1);
    let body = seen.checked[0].as_ref().unwrap();
    assert_eq!(
        body["PhoneNumberSet"],
        serde_json::json!(["+8613800138000"])
    );
    assert_eq!(body["SmsSdkAppId"], "1400000000");
    assert_eq!(body["SignName"], "Saoma");
    assert_eq!(body["TemplateId"], "123456");
    assert_eq!(body["TemplateParamSet"], serde_json::json!(["042917", "5"]));
}

#[tokio::test]
async fn tencent_errors_are_rejections_without_the_key() {
    let refused = serde_json::json!({"Response": {"Error": {
        "Code": "FailedOperation.InsufficientBalanceInSmsPackage", "Message": "no balance"
    }, "RequestId": "r2"}});
    let (endpoint, _) = fake_endpoint(refused).await;
    let not_ok = serde_json::json!({"Response": {"SendStatusSet": [
        {"Code": "LimitExceeded.PhoneNumberDailyLimit", "Message": "daily limit"}
    ], "RequestId": "r3"}});
    let (endpoint2, _) = fake_endpoint(not_ok).await;

    let first = sender(endpoint)
        .send_code(&phone(), &Secret::new("1"), Duration::from_secs(300))
        .await
        .unwrap_err();
    let second = sender(endpoint2)
        .send_code(&phone(), &Secret::new("1"), Duration::from_secs(300))
        .await
        .unwrap_err();

    assert!(matches!(&first, SmsError::Rejected(m) if m.contains("InsufficientBalance")));
    assert!(matches!(&second, SmsError::Rejected(m) if m.contains("PhoneNumberDailyLimit")));
    let shown = format!("{first} {first:?} {second}");
    assert!(!shown.contains(SECRET_KEY));
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn log_sender_logs_a_redacted_line_and_fills_the_inbox() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let inbox = Arc::new(Inbox::default());
    let sender = LogSender::new(Some(inbox.clone()));

    sender
        .send_code(&phone(), &Secret::new("918273"), Duration::from_secs(300))
        .await
        .unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("+86138"), "{logs}");
    assert!(!logs.contains("918273"), "{logs}");
    assert!(!logs.contains("13800138000"), "{logs}");
    let messages = inbox.list(Some("+8613800138000"));
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].code, "918273");
    assert!(messages[0].text.contains("918273") && messages[0].text.contains("5 minutes"));
    assert!(inbox.list(Some("+8613900139000")).is_empty());
}
