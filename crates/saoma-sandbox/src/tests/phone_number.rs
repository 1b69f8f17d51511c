use poem::http::StatusCode;
use serde_json::{Value, json};

use super::{APP, Harness, OTHER_APP, OTHER_SECRET, errcode, wechat_json};

async fn phone_code(h: &Harness, body: Value) -> poem::test::TestResponse {
    h.cli.post("/api/phone-code").body_json(&body).send().await
}

async fn code_for(h: &Harness, body: Value) -> String {
    let resp = phone_code(h, body).await;
    resp.assert_status_is_ok();
    let body: Value = resp.json().await.value().deserialize();
    body["code"].as_str().unwrap().to_owned()
}

async fn redeem(h: &Harness, token: &str, code: &str) -> Value {
    let resp = h
        .cli
        .post("/wechat/wxa/business/getuserphonenumber")
        .query("access_token", &token)
        .body_json(&json!({ "code": code }))
        .send()
        .await;
    resp.assert_status_is_ok();
    resp.assert_content_type("application/json; encoding=utf-8");
    resp.json().await.value().deserialize()
}

#[tokio::test]
async fn a_phone_code_gives_the_number_once_with_a_string_country_code() {
    let h = Harness::new();
    let user = h.new_user().await["id"].as_str().unwrap().to_owned();
    let token = h.token().await;
    let code = code_for(&h, json!({"user": user, "phone": "+8613800138000"})).await;

    let first = redeem(&h, &token, &code).await;
    let again = redeem(&h, &token, &code).await;

    assert_eq!(errcode(&first), 0);
    let info = &first["phone_info"];
    assert_eq!(info["phoneNumber"], "13800138000");
    assert_eq!(info["purePhoneNumber"], "13800138000");
    assert_eq!(info["countryCode"], "86");
    assert_eq!(info["watermark"]["appid"], APP);
    assert_eq!(errcode(&again), 40029);
}

#[tokio::test]
async fn a_users_default_number_is_stable() {
    let h = Harness::new();
    let user = h.new_user().await["id"].as_str().unwrap().to_owned();
    let token = h.token().await;
    let first = code_for(&h, json!({"user": user})).await;
    let second = code_for(&h, json!({"user": user})).await;

    let a = redeem(&h, &token, &first).await;
    let b = redeem(&h, &token, &second).await;

    let number = a["phone_info"]["purePhoneNumber"].as_str().unwrap();
    assert_eq!(number.len(), 11);
    assert!(number.starts_with("139"));
    assert_eq!(b["phone_info"]["purePhoneNumber"], number);
}

#[tokio::test]
async fn expired_unknown_and_other_apps_codes_are_40029() {
    let h = Harness::new();
    let user = h.new_user().await["id"].as_str().unwrap().to_owned();
    let token = h.token().await;
    let expired = code_for(&h, json!({"user": user})).await;
    let other_app = code_for(&h, json!({"user": user, "app_id": OTHER_APP})).await;
    h.advance(301);

    assert_eq!(errcode(&redeem(&h, &token, &expired).await), 40029);
    assert_eq!(errcode(&redeem(&h, &token, "nope").await), 40029);
    assert_eq!(errcode(&redeem(&h, &token, &other_app).await), 40029);
    let other = h.stable_token(OTHER_APP, OTHER_SECRET, false).await;
    let other_token = other["access_token"].as_str().unwrap();
    let fresh = code_for(&h, json!({"user": user, "app_id": OTHER_APP})).await;
    assert_eq!(errcode(&redeem(&h, other_token, &fresh).await), 0);
}

#[tokio::test]
async fn a_bad_access_token_is_40001() {
    let h = Harness::new();
    let resp = h
        .cli
        .post("/wechat/wxa/business/getuserphonenumber")
        .query("access_token", &"unknown")
        .body_json(&json!({ "code": "x" }))
        .send()
        .await;
    assert_eq!(errcode(&wechat_json(resp).await), 40001);
}

#[tokio::test]
async fn the_tool_refuses_unknown_users_and_malformed_numbers() {
    let h = Harness::new();
    let user = h.new_user().await["id"].as_str().unwrap().to_owned();

    let unknown = phone_code(&h, json!({"user": "nobody"})).await;
    let malformed = phone_code(&h, json!({"user": user, "phone": "12345"})).await;

    unknown.assert_status(StatusCode::NOT_FOUND);
    malformed.assert_status(StatusCode::BAD_REQUEST);
    let body: Value = malformed.json().await.value().deserialize();
    assert_eq!(body["code"], "invalid_phone");
}

#[tokio::test]
async fn getuserphonenumber_faults_can_be_injected() {
    let h = Harness::new();
    let token = h.token().await;
    let resp = h
        .cli
        .post("/api/faults")
        .body_json(&json!({"endpoint": "wxa/business/getuserphonenumber", "errcode": 45011}))
        .send()
        .await;
    resp.assert_status(StatusCode::CREATED);

    let faulted = redeem(&h, &token, "whatever").await;

    assert_eq!(errcode(&faulted), 45011);
    let stats = h.stats().await;
    assert_eq!(stats["calls"]["wxa/business/getuserphonenumber"][APP], 1);
}

#[tokio::test]
async fn a_users_codes_past_the_minute_quota_are_45011_and_not_spent() {
    let h = Harness::new();
    let user = h.new_user().await["id"].as_str().unwrap().to_owned();
    let token = h.token().await;
    for _ in 0..crate::phone_number::PER_USER_PER_MINUTE {
        let code = code_for(&h, json!({"user": user})).await;
        assert_eq!(errcode(&redeem(&h, &token, &code).await), 0);
    }
    let late = code_for(&h, json!({"user": user})).await;

    let refused = redeem(&h, &token, &late).await;
    h.advance(61);
    let next_minute = redeem(&h, &token, &late).await;

    assert_eq!(errcode(&refused), 45011);
    assert_eq!(errcode(&next_minute), 0);
}

#[tokio::test]
async fn the_tap_gives_errno_1400001_once_the_quota_is_spent_and_each_success_spends_one() {
    let h = Harness::new();
    let user = h.new_user().await["id"].as_str().unwrap().to_owned();
    let token = h.token().await;
    let set = h
        .cli
        .post("/api/phone-quota")
        .body_json(&json!({"left": 1}))
        .send()
        .await;
    set.assert_status_is_ok();
    let code = code_for(&h, json!({"user": user})).await;
    // A code refused by WeChat is not charged.
    assert_eq!(errcode(&redeem(&h, &token, "nope").await), 40029);
    assert_eq!(errcode(&redeem(&h, &token, &code).await), 0);

    let tap = phone_code(&h, json!({"user": user})).await;

    tap.assert_status(StatusCode::FORBIDDEN);
    let tap: Value = tap.json().await.value().deserialize();
    assert_eq!(tap["errno"], 1_400_001);
    let quota: Value = h
        .cli
        .get("/api/phone-quota")
        .send()
        .await
        .json()
        .await
        .value()
        .deserialize();
    assert_eq!(quota, json!({"trial": 1000, "left": 0, "used": 1}));
}
