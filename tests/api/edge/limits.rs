//! `[limits]`: each limit refused with 429 (or 503 for the WeChat budget), a stable code and
//! Retry-After, and each recovered once its window passes. The test helper turns the
//! per-address and pace limits off; every test here turns on the one it checks.

use crate::support::helpers::{TestApp, error_code, retry_after, spawn_app_with};
use serde_json::{Value, json};
use std::time::Duration;

/// The address the phone is shown for the scene `created` answers (scanning it).
async fn shown_requester(app: &TestApp, created: reqwest::Response) -> Value {
    let scene: Value = created.json().await.unwrap();
    let shown: Value = app
        .scan(scene["scene"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    shown["requester"]["ip"].clone()
}

async fn create_from(app: &TestApp, forwarded_for: &str) -> reqwest::Response {
    app.http
        .post(app.url("/api/v1/scenes"))
        .header("X-Forwarded-For", forwarded_for)
        .json(&json!({"provider": "mini_program"}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn scene_creation_past_the_per_minute_limit_is_429_rate_limited() {
    let app = spawn_app_with(|c| c.limits.scenes_per_ip_per_minute = 2).await;

    for _ in 0..2 {
        assert_eq!(app.create_mp_scene().await.body["status"], "pending");
    }
    let refused = app.create_scene(json!({"provider": "mini_program"})).await;

    assert_eq!(refused.status(), 429);
    assert!((1..=60).contains(&retry_after(&refused)));
    assert_eq!(error_code(refused).await, "rate_limited");
    let metrics = app.http.get(app.url("/metrics")).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(metrics.contains(r#"saoma_rate_limited_total{limit="scenes_per_ip"} 1"#));
}

#[tokio::test]
async fn pending_scenes_per_address_recover_once_the_scene_ttl_passes() {
    let app = spawn_app_with(|c| {
        c.limits.pending_scenes_per_ip = 2;
        c.limits.scene_ttl_seconds = 1;
    })
    .await;
    app.create_mp_scene().await;
    app.create_mp_scene().await;

    let refused = app.create_scene(json!({"provider": "mini_program"})).await;
    assert_eq!(refused.status(), 429);
    assert_eq!(retry_after(&refused), 1);
    assert_eq!(error_code(refused).await, "rate_limited");

    tokio::time::sleep(Duration::from_millis(1_100)).await;
    app.create_mp_scene().await;
}

#[tokio::test]
async fn polling_faster_than_the_interval_is_429_slow_down_until_the_interval_passes() {
    let app = spawn_app_with(|c| c.limits.poll_interval_ms = 1_000).await;
    let created = app.create_mp_scene().await;
    assert_eq!(created.body["interval"], 1);
    let other = app.create_mp_scene().await;
    let token = Some(created.poll_token.as_str());

    assert_eq!(app.poll(&created.scene, token).await.status(), 200);
    let fast = app.poll(&created.scene, token).await;
    assert_eq!(fast.status(), 429);
    assert_eq!(retry_after(&fast), 1);
    assert_eq!(error_code(fast).await, "slow_down");
    // Another scene has its own pace; a reader without the token learns nothing, not even 429.
    let other_token = Some(other.poll_token.as_str());
    assert_eq!(app.poll(&other.scene, other_token).await.status(), 200);
    assert_eq!(app.poll(&created.scene, Some("wrong")).await.status(), 401);

    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(app.poll(&created.scene, token).await.status(), 200);
}

#[tokio::test]
async fn a_poll_interval_of_zero_turns_slow_down_off() {
    let app = spawn_app_with(|c| c.limits.poll_interval_ms = 0).await;
    let created = app.create_mp_scene().await;
    for _ in 0..5 {
        let res = app.poll(&created.scene, Some(&created.poll_token)).await;
        assert_eq!(res.status(), 200);
    }
}

#[tokio::test]
async fn event_streams_per_address_are_capped_and_a_finished_stream_frees_its_slot() {
    let app = spawn_app_with(|c| c.limits.max_sse_per_ip = 1).await;
    let first = app.create_mp_scene().await;
    let second = app.create_mp_scene().await;
    let mut stream = app.events(&first.scene, &first.poll_token).await;
    assert_eq!(stream.next_status().await.unwrap()["status"], "pending");

    let refused = app
        .http
        .get(format!("{}/events", app.scene_url(&second.scene)))
        .header("X-Poll-Token", &second.poll_token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    assert_eq!(retry_after(&refused), 5);
    assert_eq!(error_code(refused).await, "rate_limited");

    // The first scene finishes: its stream sends the outcome and closes.
    app.phone_answers(&first.scene, false).await;
    while let Some(event) = stream.next_status().await {
        if event["status"] == "cancelled" {
            break;
        }
    }
    assert!(stream.next_status().await.is_none(), "the stream closed");
    let mut again = app.events(&second.scene, &second.poll_token).await;
    assert_eq!(again.next_status().await.unwrap()["status"], "pending");
}

#[tokio::test]
async fn repeated_bad_login_codes_cancel_the_scene_and_spend_no_more_wechat_calls() {
    let app = spawn_app_with(|c| c.limits.failed_logins_per_scene = 2).await;
    let created = app.create_mp_scene().await;

    for attempt in ["made-up-1", "made-up-2"] {
        let res = app.mp_login(attempt, Some(&created.scene), true).await;
        assert_eq!(res.status(), 400);
        assert_eq!(error_code(res).await, "invalid_code");
    }
    let poll = app.poll(&created.scene, Some(&created.poll_token)).await;
    let view: Value = poll.json().await.unwrap();
    assert_eq!(view["status"], "cancelled");

    let user = app.new_user("被拒").await;
    let good = app.wx_login(&user).await;
    let res = app.mp_login(&good, Some(&created.scene), true).await;
    assert_eq!(res.status(), 409);
    assert_eq!(error_code(res).await, "scene_conflict");
    assert_eq!(
        app.calls("sns/jscode2session").await,
        2,
        "no call for a dead scene"
    );

    // A new scene is unaffected.
    let fresh = app.create_mp_scene().await;
    let body = app.phone_answers(&fresh.scene, true).await;
    assert_eq!(body["scene_status"], "confirmed");
}

#[tokio::test]
async fn the_wxacode_budget_answers_503_before_calling_wechat() {
    let app = spawn_app_with(|c| c.limits.wxacode_per_minute = 2).await;
    app.create_mp_scene().await;
    app.create_mp_scene().await;

    let refused = app
        .create_scene(json!({"provider": "mini_program", "scene": "budget-0001"}))
        .await;

    assert_eq!(refused.status(), 503);
    assert!((1..=60).contains(&retry_after(&refused)));
    assert_eq!(error_code(refused).await, "wechat_quota_exhausted");
    assert_eq!(app.calls("wxa/getwxacodeunlimit").await, 2);
    // The scene id was released: the browser may retry it once the budget allows.
    let other_provider = app
        .create_scene(json!({"provider": "official_account"}))
        .await;
    assert_eq!(
        other_provider.status(),
        201,
        "other WeChat calls are not held back"
    );
    let metrics = app.http.get(app.url("/metrics")).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(metrics.contains(r#"saoma_rate_limited_total{limit="wxacode_budget"} 1"#));
    assert!(
        metrics
            .contains(r#"saoma_wechat_calls_total{endpoint="cgi-bin/stable_token",errcode="0"}"#),
        "token fetches are counted"
    );
}

#[tokio::test]
async fn x_forwarded_for_is_believed_only_from_a_trusted_proxy() {
    let trusted = spawn_app_with(|c| {
        c.limits.trusted_proxies = vec!["127.0.0.0/8".into()];
        c.limits.scenes_per_ip_per_minute = 1;
    })
    .await;
    let untrusted = spawn_app_with(|c| c.limits.trusted_proxies = vec!["10.0.0.0/8".into()]).await;

    let res = create_from(&trusted, "6.6.6.6, 203.0.113.7").await;
    assert_eq!(res.status(), 201);
    assert_eq!(
        shown_requester(&trusted, res).await,
        "203.0.113.7",
        "the rightmost untrusted hop"
    );
    // Counted per forwarded client: another client behind the proxy is not limited.
    assert_eq!(create_from(&trusted, "198.51.100.1").await.status(), 201);
    assert_eq!(create_from(&trusted, "203.0.113.7").await.status(), 429);

    let res = create_from(&untrusted, "203.0.113.7").await;
    assert_eq!(
        shown_requester(&untrusted, res).await,
        "127.0.0.1",
        "a spoofed header is ignored"
    );
}

#[tokio::test]
async fn addresses_of_one_ipv6_64_are_one_client() {
    let app = spawn_app_with(|c| {
        c.limits.trusted_proxies = vec!["127.0.0.0/8".into()];
        c.limits.scenes_per_ip_per_minute = 2;
    })
    .await;

    assert_eq!(create_from(&app, "2001:db8:1:2::1").await.status(), 201);
    assert_eq!(create_from(&app, "2001:db8:1:2::2").await.status(), 201);
    let same_64 = create_from(&app, "2001:db8:1:2:ffff:ffff:ffff:ffff").await;

    assert_eq!(same_64.status(), 429, "a third address of the same /64");
    assert_eq!(error_code(same_64).await, "rate_limited");
    assert_eq!(create_from(&app, "2001:db8:1:3::1").await.status(), 201);
    // The phone still sees the whole address.
    let res = create_from(&app, "2001:db8:1:4::abcd").await;
    assert_eq!(shown_requester(&app, res).await, "2001:db8:1:4::abcd");
}

/// 50 made-up codes from one address: each login without a scene costs a WeChat code exchange,
/// so past `limits.direct_logins_per_ip_per_minute` (60, shared by the native app and the
/// mini-program) they are refused before WeChat is called.
#[tokio::test]
async fn logins_without_a_scene_are_throttled_per_address_before_wechat_is_called() {
    let app = spawn_app_with(|_| {}).await;
    let mut refused = 0;

    for n in 0..50 {
        for (path, body) in [
            (
                "/api/v1/mobile-app/login",
                json!({"code": format!("made-up-{n}")}),
            ),
            (
                "/api/v1/mini-program/login",
                json!({"code": format!("made-up-{n}")}),
            ),
        ] {
            let res = app.post(path, body).await;
            if res.status() == 429 {
                refused += 1;
                assert!((1..=60).contains(&retry_after(&res)));
                assert_eq!(error_code(res).await, "rate_limited");
            } else {
                assert_eq!(error_code(res).await, "invalid_code", "{path}");
            }
        }
    }

    let exchanged =
        app.calls("sns/oauth2/access_token").await + app.calls("sns/jscode2session").await;
    assert_eq!(exchanged, 60, "WeChat was called for the first 60 only");
    assert_eq!(refused, 40);
    let metrics = app.http.get(app.url("/metrics")).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(metrics.contains(r#"saoma_rate_limited_total{limit="direct_logins_per_ip"} 40"#));
}
