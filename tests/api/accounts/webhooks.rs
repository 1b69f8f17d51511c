//! Webhooks as a receiver sees them: real logins in the sandbox, deliveries signed the Standard
//! Webhooks way, retried after a failure, never redirected, stopped by a 410.

use crate::support::helpers::{TestApp, spawn_app_with};
use crate::support::webhook_receiver::{Answer, Received, Receiver, SECRET};
use saoma::config::{Config, WebhookConfig};
use saoma::secret::Secret;
use std::time::Duration;

pub fn endpoint(url: &str) -> WebhookConfig {
    WebhookConfig {
        url: url.into(),
        secret: Some(Secret::new(SECRET)),
        secret_file: None,
        events: None,
    }
}

pub async fn app_delivering_to(url: &str, configure: impl FnOnce(&mut Config)) -> TestApp {
    let url = url.to_string();
    spawn_app_with(move |config| {
        config.webhooks = vec![endpoint(&url)];
        configure(config);
    })
    .await
}

fn has(received: &[Received], event_type: &str) -> bool {
    received.iter().any(|r| r.event_type() == event_type)
}

async fn metric(app: &TestApp, line_start: &str) -> u64 {
    let text = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(line_start))
        .map_or(0, |v| v.trim().parse().unwrap())
}

#[tokio::test]
async fn a_first_login_is_delivered_signed_to_the_endpoint() {
    let receiver = Receiver::start(Answer::Status(204)).await;
    let app = app_delivering_to(&receiver.url, |_| {}).await;
    let user = app.new_user("小明").await;
    let (account_id, _) = app.mp_session(&user).await;

    let received = receiver
        .until(Duration::from_secs(10), |r| {
            has(r, "account.created") && has(r, "login.succeeded")
        })
        .await;
    let now = chrono::Utc::now().timestamp();
    for delivery in &received {
        assert!(delivery.signed_with(SECRET), "{delivery:?}");
        assert!(!delivery.signed_with("whsec_c2Vjb25kIHNlY3JldCBvZiB0d2VudHktZm91ciBieXRlcw=="));
        let timestamp: i64 = delivery.timestamp.parse().unwrap();
        assert!((now - timestamp).abs() < 60, "{timestamp} is not now");
        let body = delivery.json();
        assert_eq!(body["id"], delivery.id.as_str());
        assert!(delivery.id.starts_with("evt_"));
        assert_eq!(body["account_id"], account_id.as_str());
        assert_eq!(body["actor"], "system");
        assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    }
    let login = received
        .iter()
        .find(|r| r.event_type() == "login.succeeded")
        .unwrap()
        .json();
    assert_eq!(login["data"]["login"]["provider"], "mini_program");
    // The counter moves once the outcome is written, just after the receiver has answered.
    for _ in 0..50 {
        if metric(
            &app,
            "saoma_webhook_deliveries_total{outcome=\"delivered\"}",
        )
        .await
            >= 2
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("saoma_webhook_deliveries_total{{outcome=\"delivered\"}} never reached 2");
}

#[tokio::test]
async fn an_event_the_receiver_failed_comes_again() {
    let receiver = Receiver::start(Answer::Status(500)).await;
    let app = app_delivering_to(&receiver.url, |_| {}).await;
    let user = app.new_user("小红").await;
    app.mp_session(&user).await;
    let first = receiver
        .until(Duration::from_secs(10), |r| has(r, "account.created"))
        .await;
    let created = first
        .iter()
        .find(|r| r.event_type() == "account.created")
        .unwrap()
        .id
        .clone();
    receiver.answer(Answer::Status(200));
    // The first retry comes about 5 s later (4 to 6 with jitter), with the same webhook-id.
    let again = receiver
        .until(Duration::from_secs(15), |r| {
            r.iter().filter(|d| d.id == created).count() >= 2
        })
        .await;
    let tries: Vec<&Received> = again.iter().filter(|d| d.id == created).collect();
    assert_eq!(tries[0].body, tries[1].body, "a retry sends the same event");
    assert!(tries[1].signed_with(SECRET));
    assert!(metric(&app, "saoma_webhook_deliveries_total{outcome=\"retried\"}").await >= 1);
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let elsewhere = Receiver::start(Answer::Status(200)).await;
    let receiver = Receiver::start(Answer::Redirect(elsewhere.url.clone())).await;
    let app = app_delivering_to(&receiver.url, |_| {}).await;
    let user = app.new_user("小刚").await;
    app.mp_session(&user).await;
    receiver
        .until(Duration::from_secs(10), |r| has(r, "login.succeeded"))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(elsewhere.received().is_empty(), "the redirect was followed");
    assert!(metric(&app, "saoma_webhook_deliveries_total{outcome=\"retried\"}").await >= 1);
}

#[tokio::test]
async fn a_410_disables_the_endpoint() {
    let receiver = Receiver::start(Answer::Status(410)).await;
    let app = app_delivering_to(&receiver.url, |_| {}).await;
    let user = app.new_user("小李").await;
    app.mp_session(&user).await;
    receiver
        .until(Duration::from_secs(10), |r| !r.is_empty())
        .await;
    for _ in 0..50 {
        if metric(
            &app,
            "saoma_webhook_deliveries_total{outcome=\"endpoint_disabled\"}",
        )
        .await
            > 0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let before = receiver.received().len();
    let other = app.new_user("小王").await;
    app.mp_session(&other).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        receiver.received().len(),
        before,
        "delivered to a disabled endpoint"
    );
}

/// Review finding: a delivery whose event was erased (the person deleted their account while
/// the receiver was down) stayed pending for ever: claimed again at each lease, nothing to
/// send, the backlog gauge never back to 0. The erasure takes the deliveries of the events it
/// erases; `account.deleted` still goes out.
#[tokio::test]
async fn an_erased_accounts_waiting_deliveries_go_with_it() {
    let receiver = Receiver::start(Answer::Status(500)).await;
    let app = app_delivering_to(&receiver.url, |_| {}).await;
    let user = app.new_user("小明").await;
    let (_, access) = app.mp_session(&user).await;
    receiver
        .until(Duration::from_secs(10), |r| {
            has(r, "account.created") && has(r, "login.succeeded")
        })
        .await;

    let erased = app
        .http
        .delete(app.url("/api/v1/me"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), 204);
    receiver.answer(Answer::Status(204));
    receiver
        .until(Duration::from_secs(20), |r| has(r, "account.deleted"))
        .await;

    // The gauge is read every 5 s: wait for a reading taken after account.deleted went out.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let mut backlog = u64::MAX;
    for _ in 0..40 {
        backlog = metric(&app, "saoma_webhook_backlog ").await;
        if backlog == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(backlog, 0, "nothing is left waiting for an erased event");
}
