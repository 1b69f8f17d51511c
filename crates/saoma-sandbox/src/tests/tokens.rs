use serde_json::json;

use super::{APP, Harness, OTHER_APP, SECRET, errcode, wechat_json};

fn good_body() -> serde_json::Value {
    json!({"scene": "abc123", "page": "pages/login/login"})
}

#[tokio::test]
async fn stable_token_is_the_same_while_valid() {
    let h = Harness::new();
    let first = h.stable_token(APP, SECRET, false).await;
    assert_eq!(errcode(&first), 0);
    assert_eq!(first["expires_in"], 7200);
    h.advance(1000);
    let second = h.stable_token(APP, SECRET, false).await;
    assert_eq!(second["access_token"], first["access_token"]);
    let left = second["expires_in"].as_u64().unwrap();
    assert!((6199..=6200).contains(&left), "expires_in {left}");
}

#[tokio::test]
async fn stable_token_rolls_when_under_5_minutes_left_and_old_one_overlaps() {
    let h = Harness::new();
    let old = h.token().await;
    h.advance(7200 - 299);
    let new = h.token().await;
    assert_ne!(new, old);
    assert_eq!(h.wxacode_errcode(&old, good_body()).await, 0);
    h.advance(300);
    assert_eq!(h.wxacode_errcode(&old, good_body()).await, 40001);
    assert_eq!(h.wxacode_errcode(&new, good_body()).await, 0);
}

#[tokio::test]
async fn stable_token_force_refresh_reissues_and_old_overlaps_5_minutes() {
    let h = Harness::new();
    let old = h.token().await;
    let refreshed = h.stable_token(APP, SECRET, true).await;
    let new = refreshed["access_token"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(refreshed["expires_in"], 7200);
    assert_eq!(h.token().await, new);
    assert_eq!(h.wxacode_errcode(&old, good_body()).await, 0);
    h.advance(301);
    assert_eq!(h.wxacode_errcode(&old, good_body()).await, 40001);
    assert_eq!(h.wxacode_errcode(new, good_body()).await, 0);
}

#[tokio::test]
async fn cgi_bin_token_is_new_each_call_and_the_previous_overlaps_5_minutes() {
    let h = Harness::new();
    let first = h.cgi_bin_token(APP, SECRET, "client_credential").await;
    let second = h.cgi_bin_token(APP, SECRET, "client_credential").await;
    assert_eq!(first["expires_in"], 7200);
    assert_ne!(first["access_token"], second["access_token"]);
    let first = first["access_token"].as_str().unwrap();
    let second = second["access_token"].as_str().unwrap();
    h.advance(299);
    assert_eq!(h.wxacode_errcode(first, good_body()).await, 0);
    h.advance(2);
    assert_eq!(h.wxacode_errcode(first, good_body()).await, 40001);
    assert_eq!(h.wxacode_errcode(second, good_body()).await, 0);
}

#[tokio::test]
async fn cgi_bin_token_leaves_the_stable_token_alone() {
    let h = Harness::new();
    let stable = h.token().await;
    h.cgi_bin_token(APP, SECRET, "client_credential").await;
    h.advance(600);
    assert_eq!(h.token().await, stable);
    assert_eq!(h.wxacode_errcode(&stable, good_body()).await, 0);
}

#[tokio::test]
async fn expired_token_is_42001() {
    let h = Harness::new();
    let token = h.token().await;
    h.advance(7200);
    assert_eq!(h.wxacode_errcode(&token, good_body()).await, 42001);
}

#[tokio::test]
async fn unknown_token_is_40001() {
    let h = Harness::new();
    assert_eq!(h.wxacode_errcode("nope", good_body()).await, 40001);
    assert_eq!(h.wxacode_errcode("", good_body()).await, 40001);
}

#[tokio::test]
async fn bad_grant_type_is_40002() {
    let h = Harness::new();
    let reply = h.cgi_bin_token(APP, SECRET, "password").await;
    assert_eq!(errcode(&reply), 40002);
    let body = json!({"grant_type": "nope", "appid": APP, "secret": SECRET});
    let resp = h
        .cli
        .post("/wechat/cgi-bin/stable_token")
        .body_json(&body)
        .send()
        .await;
    assert_eq!(errcode(&wechat_json(resp).await), 40002);
}

#[tokio::test]
async fn malformed_or_empty_appid_is_40013() {
    let h = Harness::new();
    for app in ["", "wx 123", "wx<script>"] {
        let reply = h.cgi_bin_token(app, SECRET, "client_credential").await;
        assert_eq!(errcode(&reply), 40013, "appid {app:?}");
        let reply = h.stable_token(app, SECRET, false).await;
        assert_eq!(errcode(&reply), 40013, "appid {app:?}");
    }
}

#[tokio::test]
async fn a_different_secret_than_the_first_seen_is_40125() {
    let h = Harness::new();
    assert_eq!(errcode(&h.stable_token(APP, SECRET, false).await), 0);
    let reply = h.stable_token(APP, "another", false).await;
    assert_eq!(errcode(&reply), 40125);
    let reply = h.cgi_bin_token(APP, "another", "client_credential").await;
    assert_eq!(errcode(&reply), 40125);
    // Another app registers its own secret.
    assert_eq!(
        errcode(&h.stable_token(OTHER_APP, "another", false).await),
        0
    );
}

#[tokio::test]
async fn stable_token_body_not_json_is_47001() {
    let h = Harness::new();
    let resp = h
        .cli
        .post("/wechat/cgi-bin/stable_token")
        .body("grant_type=client_credential")
        .send()
        .await;
    assert_eq!(errcode(&wechat_json(resp).await), 47001);
}

#[tokio::test]
async fn invalidated_token_is_40001_at_once_and_a_new_one_is_issued() {
    let h = Harness::new();
    let cached = h.token().await;
    let resp = h
        .cli
        .post("/api/invalidate-token")
        .body_json(&json!({"app_id": APP}))
        .send()
        .await;
    resp.assert_status_is_ok();
    assert_eq!(h.wxacode_errcode(&cached, good_body()).await, 40001);
    let fresh = h.token().await;
    assert_ne!(fresh, cached);
    assert_eq!(h.wxacode_errcode(&fresh, good_body()).await, 0);
}

#[tokio::test]
async fn invalidating_an_app_without_a_token_is_404() {
    let h = Harness::new();
    let resp = h
        .cli
        .post("/api/invalidate-token")
        .body_json(&json!({"app_id": APP}))
        .send()
        .await;
    resp.assert_status(poem::http::StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn expired_tokens_are_pruned() {
    let h = Harness::new();
    h.token().await;
    h.advance(7200 + 3600 + 20);
    h.stable_token(OTHER_APP, SECRET, false).await;
    assert_eq!(h.sandbox.state.tokens.remembered(), 1);
}
