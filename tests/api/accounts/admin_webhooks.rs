//! The webhook endpoints through the admin API, as an operator notices them: endpoints made
//! and listed, their events reaching the receiver signed with the secret shown once, a rotation
//! signing with both secrets, disabling that stops deliveries, the delivery log page by page,
//! a redelivery arriving again, and each refusal with its code, nothing changed.

use crate::accounts::admin::{admin_token, with_admin};
use crate::accounts::webhooks::endpoint;
use crate::support::helpers::{TestApp, error_code, spawn_app_with};
use crate::support::webhook_receiver::{Answer, Received, Receiver, SECRET};
use serde_json::{Value, json};
use std::time::Duration;

const OTHER_SECRET: &str = "whsec_c2Vjb25kIHNlY3JldCBvZiB0d2VudHktZm91ciBieXRlcw==";
const WAIT: Duration = Duration::from_secs(10);

struct Admin {
    app: TestApp,
    token: String,
}

impl Admin {
    async fn start(configured: Option<&str>) -> Admin {
        Admin::start_with(configured, |_| {}).await
    }

    async fn start_with(
        configured: Option<&str>,
        configure: impl FnOnce(&mut saoma::config::Config),
    ) -> Admin {
        let configured = configured.map(str::to_owned);
        let app = spawn_app_with(move |config| {
            with_admin(config);
            config.webhooks = configured.iter().map(|url| endpoint(url)).collect();
            configure(config);
        })
        .await;
        let token = admin_token(&app).await;
        Admin { app, token }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> reqwest::Response {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .app
            .http
            .request(method, self.app.url(path))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.unwrap()
    }

    async fn json(&self, method: &str, path: &str, body: Option<Value>, status: u16) -> Value {
        let res = self.call(method, path, body).await;
        assert_eq!(res.status(), status, "{method} {path}");
        res.json().await.unwrap()
    }

    async fn code(&self, method: &str, path: &str, body: Option<Value>) -> (u16, String) {
        let res = self.call(method, path, body).await;
        let status = res.status().as_u16();
        (status, error_code(res).await)
    }

    async fn endpoints(&self) -> Vec<Value> {
        let list = self.json("GET", "/admin/v1/webhooks", None, 200).await;
        list["endpoints"].as_array().unwrap().clone()
    }

    /// A new sandbox user logs in (account.created + login.succeeded): the account id.
    async fn login(&self) -> String {
        let user = self.app.new_user("小明").await;
        self.app.mp_session(&user).await.0
    }
}

fn of(received: &[Received], event_type: &str, account: &str) -> usize {
    received
        .iter()
        .filter(|r| r.event_type() == event_type && r.json()["account_id"] == account)
        .count()
}

#[tokio::test]
async fn a_created_endpoint_gets_its_events_signed_with_the_secret_shown_once() {
    let receiver = Receiver::start(Answer::Status(204)).await;
    let admin = Admin::start(None).await;
    let created = admin
        .json(
            "POST",
            "/admin/v1/webhooks",
            Some(json!({"url": receiver.url, "events": ["login.succeeded"]})),
            201,
        )
        .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let id = created["endpoint"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["endpoint"]["configured"], false);
    assert_eq!(created["endpoint"]["events"], json!(["login.succeeded"]));

    let account = admin.login().await;
    let received = receiver
        .until(WAIT, |r| of(r, "login.succeeded", &account) == 1)
        .await;
    assert!(received.iter().all(|r| r.signed_with(&secret)));
    assert_eq!(
        of(&received, "account.created", &account),
        0,
        "not subscribed"
    );

    // The secret is never shown again.
    let one = admin
        .json("GET", &format!("/admin/v1/webhooks/{id}"), None, 200)
        .await;
    assert_eq!(one["url"], receiver.url.as_str());
    assert!(one.get("secret").is_none());
    let list = admin.endpoints().await;
    assert_eq!(list.len(), 1);
    assert!(!serde_json::to_string(&list).unwrap().contains(&secret));

    // A secret may be given instead.
    let given = admin
        .json(
            "POST",
            "/admin/v1/webhooks",
            Some(json!({"url": receiver.url, "secret": OTHER_SECRET})),
            201,
        )
        .await;
    assert_eq!(given["secret"], OTHER_SECRET);
    assert!(given["endpoint"].get("events").is_none(), "every type");

    // Every call is recorded, with its status.
    let calls = admin
        .json(
            "GET",
            "/admin/v1/events?type=admin.called&limit=100",
            None,
            200,
        )
        .await;
    let calls = calls["events"].as_array().unwrap();
    assert!(
        calls
            .iter()
            .any(|c| c["data"]["path"] == "/admin/v1/webhooks"
                && c["data"]["method"] == "POST"
                && c["data"]["status"] == 201)
    );
}

#[tokio::test]
async fn bad_urls_secrets_and_events_are_refused_with_a_code_and_nothing_is_created() {
    let admin = Admin::start(None).await;
    for url in [
        "not a url",
        "ftp://hooks.example.com/",
        "http://hooks.example.com/",
        "https://10.0.0.8/hooks",
        "https://169.254.169.254/latest",
        "https://user:pw@hooks.example.com/",
    ] {
        let (status, code) = admin
            .code("POST", "/admin/v1/webhooks", Some(json!({"url": url})))
            .await;
        assert_eq!(
            (status, code.as_str()),
            (400, "invalid_webhook_url"),
            "{url}"
        );
    }
    for secret in ["not-whsec", "whsec_!!!", "whsec_c2hvcnQ="] {
        let body = json!({"url": "https://hooks.example.com/", "secret": secret});
        let (status, code) = admin.code("POST", "/admin/v1/webhooks", Some(body)).await;
        assert_eq!((status, code.as_str()), (400, "invalid_webhook_secret"));
    }
    for events in [json!([]), json!(["account.exploded"])] {
        let body = json!({"url": "https://hooks.example.com/", "events": events});
        let (status, code) = admin.code("POST", "/admin/v1/webhooks", Some(body)).await;
        assert_eq!((status, code.as_str()), (400, "invalid_body"), "{events}");
    }
    assert!(admin.endpoints().await.is_empty());
}

#[tokio::test]
async fn an_unknown_endpoint_is_a_404_for_every_operation() {
    let admin = Admin::start(None).await;
    let id = "whe_00000000000000000000000000000000";
    for (method, path) in [
        ("GET", format!("/admin/v1/webhooks/{id}")),
        ("POST", format!("/admin/v1/webhooks/{id}/rotate")),
        ("POST", format!("/admin/v1/webhooks/{id}/disable")),
        ("POST", format!("/admin/v1/webhooks/{id}/enable")),
        ("GET", format!("/admin/v1/webhooks/{id}/deliveries")),
        (
            "POST",
            format!(
                "/admin/v1/webhooks/{id}/deliveries/evt_00000000000000000000000000000000/redeliver"
            ),
        ),
    ] {
        let body = (method == "POST").then(|| json!({}));
        let (status, code) = admin.code(method, &path, body).await;
        assert_eq!(
            (status, code.as_str()),
            (404, "webhook_not_found"),
            "{path}"
        );
    }
    let anonymous = admin
        .app
        .http
        .get(admin.app.url("/admin/v1/webhooks"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn a_rotated_secret_signs_next_to_the_previous_one_and_a_disabled_endpoint_is_not_rotated() {
    let receiver = Receiver::start(Answer::Status(204)).await;
    let admin = Admin::start(None).await;
    let created = admin
        .json(
            "POST",
            "/admin/v1/webhooks",
            Some(json!({"url": receiver.url, "secret": SECRET})),
            201,
        )
        .await;
    let id = created["endpoint"]["id"].as_str().unwrap().to_owned();
    let rotate = format!("/admin/v1/webhooks/{id}/rotate");
    let (status, code) = admin
        .code("POST", &rotate, Some(json!({"secret": "whsec_"})))
        .await;
    assert_eq!((status, code.as_str()), (400, "invalid_webhook_secret"));

    let rotated = admin.json("POST", &rotate, Some(json!({})), 200).await;
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, SECRET);
    assert!(rotated["endpoint"]["previous_secret_until"].is_string());

    let account = admin.login().await;
    let received = receiver
        .until(WAIT, |r| of(r, "login.succeeded", &account) == 1)
        .await;
    for delivery in &received {
        assert!(
            delivery.signed_with(SECRET),
            "the previous secret still signs"
        );
        assert!(delivery.signed_with(&new_secret), "the new one signs");
        assert_eq!(delivery.signature.split(' ').count(), 2);
    }

    admin
        .json(
            "POST",
            &format!("/admin/v1/webhooks/{id}/disable"),
            None,
            200,
        )
        .await;
    let (status, code) = admin.code("POST", &rotate, Some(json!({}))).await;
    assert_eq!((status, code.as_str()), (409, "webhook_disabled"));
}

#[tokio::test]
async fn a_configured_endpoint_is_listed_as_such_and_may_be_disabled_and_enabled_not_rotated() {
    let receiver = Receiver::start(Answer::Status(204)).await;
    let admin = Admin::start(Some(&receiver.url)).await;
    let list = admin.endpoints().await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["configured"], true);
    assert_eq!(list[0]["url"], receiver.url.as_str());
    let id = list[0]["id"].as_str().unwrap().to_owned();

    let (status, code) = admin
        .code(
            "POST",
            &format!("/admin/v1/webhooks/{id}/rotate"),
            Some(json!({})),
        )
        .await;
    assert_eq!((status, code.as_str()), (409, "webhook_configured"));

    let disabled = admin
        .json(
            "POST",
            &format!("/admin/v1/webhooks/{id}/disable"),
            None,
            200,
        )
        .await;
    assert_eq!(disabled["disabled_reason"], "admin");
    let (status, code) = admin
        .code("POST", &format!("/admin/v1/webhooks/{id}/disable"), None)
        .await;
    assert_eq!((status, code.as_str()), (409, "webhook_disabled"));
    let quiet = admin.login().await;

    let enabled = admin
        .json(
            "POST",
            &format!("/admin/v1/webhooks/{id}/enable"),
            None,
            200,
        )
        .await;
    assert!(enabled.get("disabled_at").is_none());
    let (status, code) = admin
        .code("POST", &format!("/admin/v1/webhooks/{id}/enable"), None)
        .await;
    assert_eq!((status, code.as_str()), (409, "webhook_not_disabled"));
    let heard = admin.login().await;
    let received = receiver
        .until(WAIT, |r| of(r, "login.succeeded", &heard) == 1)
        .await;
    assert_eq!(
        received
            .iter()
            .filter(|r| r.json()["account_id"] == quiet.as_str())
            .count(),
        0,
        "nothing is queued for a disabled endpoint"
    );
}

#[tokio::test]
async fn the_delivery_log_pages_by_cursor_and_a_redelivery_arrives_again() {
    let receiver = Receiver::start(Answer::Status(204)).await;
    let admin = Admin::start(Some(&receiver.url)).await;
    let id = admin.endpoints().await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut accounts = Vec::new();
    for _ in 0..3 {
        accounts.push(admin.login().await);
    }
    receiver
        .until(WAIT, |r| {
            accounts
                .iter()
                .all(|a| of(r, "login.succeeded", a) == 1 && of(r, "account.created", a) == 1)
        })
        .await;

    let log = format!("/admin/v1/webhooks/{id}/deliveries");
    let mut seen: Vec<Value> = Vec::new();
    let mut path = format!("{log}?limit=4");
    for _ in 0..10 {
        let page = admin.json("GET", &path, None, 200).await;
        let deliveries = page["deliveries"].as_array().unwrap();
        assert!(deliveries.len() <= 4);
        seen.extend(deliveries.iter().cloned());
        let Some(cursor) = page["next_cursor"].as_str() else {
            break;
        };
        path = format!("{log}?limit=4&cursor={cursor}");
    }
    let ids: Vec<&str> = seen
        .iter()
        .map(|d| d["event_id"].as_str().unwrap())
        .collect();
    let unique: std::collections::HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no delivery twice across pages");
    // Two events of one login share a millisecond: the cursor still splits them right.
    let logins = seen.iter().filter(|d| d["type"] != "admin.called").count();
    assert_eq!(logins, 6, "{seen:?}");
    // The deliveries are marked once the outcome is written, just after the receiver answered
    // (each admin call is an event delivered too: those are left aside).
    let mut login = Value::Null;
    for _ in 0..50 {
        let page = admin
            .json("GET", &format!("{log}?limit=100"), None, 200)
            .await;
        let logins: Vec<Value> = page["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["type"] == "login.succeeded")
            .cloned()
            .collect();
        login = logins[0].clone();
        if logins.iter().all(|d| d["state"] == "delivered") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(login["state"], "delivered");
    assert_eq!(login["attempts"], 1);
    assert_eq!(login["last_status"], 204);

    for bad in [
        "x",
        "1.evt_zz",
        "999.evt_0123",
        "abc.evt_00000000000000000000000000000000",
    ] {
        let (status, code) = admin
            .code("GET", &format!("{log}?cursor={bad}"), None)
            .await;
        assert_eq!((status, code.as_str()), (400, "invalid_cursor"), "{bad}");
    }
    for limit in ["0", "101"] {
        let res = admin
            .call("GET", &format!("{log}?limit={limit}"), None)
            .await;
        assert_eq!(res.status(), 400, "limit={limit}");
    }

    let event = login["event_id"].as_str().unwrap().to_owned();
    let before = receiver.received().iter().filter(|r| r.id == event).count();
    let res = admin
        .call("POST", &format!("{log}/{event}/redeliver"), None)
        .await;
    assert_eq!(res.status(), 204);
    receiver
        .until(WAIT, |r| {
            r.iter().filter(|d| d.id == event).count() == before + 1
        })
        .await;
    let (status, code) = admin
        .code(
            "POST",
            &format!("{log}/evt_00000000000000000000000000000000/redeliver"),
            None,
        )
        .await;
    assert_eq!((status, code.as_str()), (404, "webhook_delivery_not_found"));
}

#[tokio::test]
async fn an_endpoint_removed_from_the_file_is_not_enabled_through_the_api() {
    let receiver = Receiver::start(Answer::Status(204)).await;
    let configured = Admin::start(Some(&receiver.url)).await;
    let id = configured.endpoints().await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The same database started with [[webhooks]] emptied: the endpoint is disabled.
    let database = configured.app.database_url();
    let app = spawn_app_with(move |config| {
        with_admin(config);
        config.database_url = Some(database);
    })
    .await;
    let token = admin_token(&app).await;
    let restarted = Admin { app, token };
    let one = restarted
        .json("GET", &format!("/admin/v1/webhooks/{id}"), None, 200)
        .await;
    assert_eq!(one["disabled_reason"], "config");
    assert_eq!(one["configured"], true);
    let (status, code) = restarted
        .code("POST", &format!("/admin/v1/webhooks/{id}/enable"), None)
        .await;
    assert_eq!((status, code.as_str()), (409, "webhook_configured"));
    let after = restarted
        .json("GET", &format!("/admin/v1/webhooks/{id}"), None, 200)
        .await;
    assert_eq!(after["disabled_at"], one["disabled_at"], "nothing changed");
}

#[tokio::test]
async fn an_endpoint_the_receiver_disabled_with_410_is_enabled_and_its_waiting_delivery_goes_out() {
    let receiver = Receiver::start(Answer::Status(410)).await;
    let admin = Admin::start(None).await;
    let created = admin
        .json(
            "POST",
            "/admin/v1/webhooks",
            Some(json!({"url": receiver.url, "events": ["login.succeeded"], "secret": SECRET})),
            201,
        )
        .await;
    let path = format!(
        "/admin/v1/webhooks/{}",
        created["endpoint"]["id"].as_str().unwrap()
    );
    let account = admin.login().await;
    receiver
        .until(WAIT, |r| of(r, "login.succeeded", &account) == 1)
        .await;
    let mut gone = Value::Null;
    for _ in 0..50 {
        gone = admin.json("GET", &path, None, 200).await;
        if gone["disabled_reason"] == "gone" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(gone["disabled_reason"], "gone");

    receiver.answer(Answer::Status(204));
    let enabled = admin
        .json("POST", &format!("{path}/enable"), None, 200)
        .await;
    assert!(enabled.get("disabled_reason").is_none());
    // The delivery waited (its next try, ~5 s after the 410): it goes out now the endpoint is on.
    let received = receiver
        .until(Duration::from_secs(20), |r| {
            of(r, "login.succeeded", &account) == 2
        })
        .await;
    assert!(received.iter().all(|r| r.signed_with(SECRET)));
}

#[tokio::test]
async fn a_clients_back_channel_logout_uri_is_not_a_webhook_endpoint() {
    let receiver = Receiver::start(Answer::Status(204)).await;
    let logout_uri = receiver.url.replace("/hooks", "/logout");
    let admin = Admin::start_with(Some(&receiver.url), move |config| {
        config.oidc.clients[0].backchannel_logout_uri = Some(logout_uri);
    })
    .await;
    let list = admin.endpoints().await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["url"], receiver.url.as_str());
    // Its row (`bcl:<client id>`) is managed by [[oidc.clients]] alone.
    for (method, path) in [
        ("GET", "/admin/v1/webhooks/bcl:grafana".to_owned()),
        ("POST", "/admin/v1/webhooks/bcl:grafana/disable".to_owned()),
        (
            "GET",
            "/admin/v1/webhooks/bcl:grafana/deliveries".to_owned(),
        ),
    ] {
        let (status, code) = admin.code(method, &path, None).await;
        assert_eq!(
            (status, code.as_str()),
            (404, "webhook_not_found"),
            "{path}"
        );
    }
}
