//! SMS pumping: what one WeChat user (or one address) can make Saoma send by looping native-app
//! login -> `need_phone` scene -> three codes to distinct numbers. The defaults hold it: codes go
//! only to the allowed countries (`+86`), at most `sms.max_per_account_per_day` (10) per
//! account, `sms.max_per_ip_per_hour` (20) per client address. The sandbox's inbox counts what
//! was sent.

use crate::support::helpers::{TestApp, error_code, retry_after, spawn_app_with};
use serde_json::{Value, json};

const MOBILE_APP_ID: &str = "wxsaomasandboxapp1";

async fn app_requiring_phone() -> TestApp {
    spawn_app_with(|c| c.accounts.require_phone = true).await
}

/// `user` logs in with the native app: `(scene, poll_token)` of the `need_phone` scene.
pub async fn need_phone_scene(app: &TestApp, user: &str) -> (String, String) {
    let auth = app
        .post(
            "/sandbox/api/mobile-app/auth",
            json!({"user": user, "appid": MOBILE_APP_ID}),
        )
        .await;
    let code: Value = auth.json().await.unwrap();
    let res = app
        .post("/api/v1/mobile-app/login", json!({"code": code["code"]}))
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let step = &body["need_phone"];
    assert_eq!(step["status"], "need_phone", "{body}");
    (
        step["scene"].as_str().unwrap().to_string(),
        step["poll_token"].as_str().unwrap().to_string(),
    )
}

/// Every message the sandbox's SMS sender delivered.
async fn sent(app: &TestApp) -> usize {
    let inbox = app.get_json("/sandbox/api/sms").await;
    inbox["messages"].as_array().unwrap().len()
}

/// The pumping loop: `rounds` logins of `user`, three codes each to numbers never used before
/// (`next` counts them). Every refusal must be 429 `rate_limited` with a Retry-After within
/// the cap's window (an hour per address, a day per account).
async fn pump(app: &TestApp, user: &str, rounds: usize, next: &mut u64) -> usize {
    let mut accepted = 0;
    for _ in 0..rounds {
        let (scene, token) = need_phone_scene(app, user).await;
        for _ in 0..3 {
            *next += 1;
            let phone = format!("+86139{:08}", *next);
            let res = app.send_sms(&scene, &token, &phone).await;
            if res.status() == 200 {
                accepted += 1;
                continue;
            }
            assert_eq!(res.status(), 429, "{phone}");
            assert!((1..=24 * 3600).contains(&retry_after(&res)));
            assert_eq!(error_code(res).await, "rate_limited");
        }
    }
    accepted
}

#[tokio::test]
async fn one_wechat_user_looping_logins_gets_at_most_the_per_account_cap_of_codes() {
    let app = app_requiring_phone().await;
    let user = app.new_user("pump").await;
    let mut next = 0;

    let accepted = pump(&app, &user, 6, &mut next).await;

    assert_eq!(next, 18, "18 codes asked for");
    assert_eq!(accepted, 10, "sms.max_per_account_per_day");
    assert_eq!(sent(&app).await, 10);
}

#[tokio::test]
async fn many_wechat_users_from_one_address_get_at_most_the_per_address_cap_of_codes() {
    let app = app_requiring_phone().await;
    let mut next = 0;
    let mut accepted = 0;

    for n in 0..3 {
        let user = app.new_user(&format!("pump-{n}")).await;
        accepted += pump(&app, &user, 3, &mut next).await;
    }

    assert_eq!(next, 27, "27 codes asked for, 9 per account");
    assert_eq!(accepted, 20, "sms.max_per_ip_per_hour");
    assert_eq!(sent(&app).await, 20);
}

#[tokio::test]
async fn a_number_outside_the_allowed_countries_gets_no_code() {
    let app = app_requiring_phone().await;
    let user = app.new_user("uk").await;
    let (scene, token) = need_phone_scene(&app, &user).await;

    let res = app.send_sms(&scene, &token, "+447700900123").await;

    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "phone_country_not_allowed");
    assert_eq!(sent(&app).await, 0);
    // A mainland number still gets its code.
    assert_eq!(
        app.send_sms(&scene, &token, "13900139000").await.status(),
        200
    );
    assert_eq!(sent(&app).await, 1);
}

#[tokio::test]
async fn past_the_hourly_budget_no_code_goes_out_and_the_alert_metric_counts() {
    let app = spawn_app_with(|c| {
        c.accounts.require_phone = true;
        c.sms.budget_per_hour = 2;
    })
    .await;
    let mut refusals = Vec::new();

    for n in 0..3 {
        let user = app.new_user(&format!("budget-{n}")).await;
        let (scene, token) = need_phone_scene(&app, &user).await;
        let res = app
            .send_sms(&scene, &token, &format!("+8613800{n:06}"))
            .await;
        if res.status() != 200 {
            refusals.push(res);
        }
    }

    assert_eq!(refusals.len(), 1, "the third code is over the budget");
    let refused = refusals.pop().unwrap();
    assert_eq!(refused.status(), 503);
    assert!((1..=3600).contains(&retry_after(&refused)));
    assert_eq!(error_code(refused).await, "sms_budget_exhausted");
    assert_eq!(sent(&app).await, 2);
    let metrics = app.http.get(app.url("/metrics")).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(
        metrics.contains("saoma_sms_budget_exhausted_total 1"),
        "{metrics}"
    );
    assert!(metrics.contains("saoma_sms_sent_total 2"));
}

#[tokio::test]
async fn a_send_refused_for_its_sender_leaves_the_number_free_for_others() {
    let app = app_requiring_phone().await;
    let sender = app.new_user("capped").await;
    let mut next = 0;
    assert_eq!(
        pump(&app, &sender, 4, &mut next).await,
        10,
        "the account is capped"
    );
    let (scene, token) = need_phone_scene(&app, &sender).await;
    let victim = "+8613900009999";
    let refused = app.send_sms(&scene, &token, victim).await;
    assert_eq!(refused.status(), 429);

    let owner = app.new_user("owner").await;
    let (scene, token) = need_phone_scene(&app, &owner).await;
    let res = app.send_sms(&scene, &token, victim).await;

    assert_eq!(
        res.status(),
        200,
        "the refused send did not count against the number"
    );
    assert!(
        !app.sms_code(victim).await.is_empty(),
        "the owner got a code"
    );
}
