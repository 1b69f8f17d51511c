use super::fake::{
    Canned, Fake, JPEG, JSCODE2SESSION, SESSION_KEY, STABLE_TOKEN, WXACODE, errcode,
};
use crate::ids::{OpenId, UnionId};
use crate::wechat::{WeChatClient, WeChatError, WxaCodeRequest};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn code_request() -> WxaCodeRequest {
    WxaCodeRequest::new("abc123", "pages/login/login")
}

#[tokio::test]
async fn jscode2session_returns_the_session() {
    let fake = Fake::start().await;

    let session = fake
        .client()
        .jscode2session(&fake.app, "login-code")
        .await
        .unwrap();

    assert_eq!(session.openid, OpenId::parse("o-user").unwrap());
    assert_eq!(session.unionid, Some(UnionId::parse("u-user").unwrap()));
    assert_eq!(session.session_key.expose(), SESSION_KEY);
    assert_eq!(fake.state.hits(STABLE_TOKEN), 0);
}

#[tokio::test]
async fn jscode2session_without_unionid_or_with_an_empty_one_has_none() {
    let fake = Fake::start().await;
    let without = json!({"openid": "o-user", "session_key": "k"});
    let empty = json!({"openid": "o-user", "session_key": "k", "unionid": ""});
    fake.state
        .script(JSCODE2SESSION, [Canned::Json(without), Canned::Json(empty)]);
    let client = fake.client();

    for _ in 0..2 {
        let session = client.jscode2session(&fake.app, "code").await.unwrap();
        assert_eq!(session.unionid, None);
    }
}

#[tokio::test]
async fn jscode2session_answered_40163_is_not_retried() {
    let fake = Fake::start().await;
    fake.state.script(JSCODE2SESSION, [errcode(40163)]);

    let err = fake
        .client()
        .jscode2session(&fake.app, "used-code")
        .await
        .unwrap_err();

    assert!(matches!(err, WeChatError::Api { errcode: 40163, .. }));
    assert_eq!(fake.state.hits(JSCODE2SESSION), 1);
}

#[tokio::test]
async fn wechat_returns_minus_1_once_then_succeeds() {
    let fake = Fake::start().await;
    fake.state.script(JSCODE2SESSION, [errcode(-1)]);

    let session = fake.client().jscode2session(&fake.app, "code").await;

    assert!(session.is_ok());
    assert_eq!(fake.state.hits(JSCODE2SESSION), 2);
}

#[tokio::test]
async fn wechat_returns_minus_1_forever_and_the_client_gives_up_after_three_attempts() {
    let fake = Fake::start().await;
    fake.state
        .script(STABLE_TOKEN, (0..10).map(|_| errcode(-1)));

    let err = fake.client().access_token(&fake.app).await.unwrap_err();

    assert_eq!(err.errcode(), Some(-1));
    assert_eq!(fake.state.hits(STABLE_TOKEN), 3);
}

#[tokio::test]
async fn wechat_returns_45009_and_the_client_reports_quota_exhausted() {
    let fake = Fake::start().await;
    fake.state.script(WXACODE, [errcode(45009)]);

    let err = fake
        .client()
        .wxacode_unlimit(&fake.app, &code_request())
        .await
        .unwrap_err();

    assert!(matches!(
        err,
        WeChatError::QuotaExhausted { retry_after } if retry_after == Duration::from_secs(60)
    ));
    assert_eq!(fake.state.hits(WXACODE), 1);
}

#[tokio::test]
async fn wechat_returns_45011_and_the_client_waits_for_the_next_minute() {
    let fake = Fake::start().await;
    fake.state.script(JSCODE2SESSION, [errcode(45011)]);

    let err = fake
        .client()
        .jscode2session(&fake.app, "code")
        .await
        .unwrap_err();

    let WeChatError::QuotaExhausted { retry_after } = err else {
        panic!("expected QuotaExhausted, got {err:?}");
    };
    assert!((1..=60).contains(&retry_after.as_secs()));
    assert_eq!(fake.state.hits(JSCODE2SESSION), 1);
}

#[tokio::test]
async fn getwxacodeunlimit_json_error_becomes_an_api_error() {
    let fake = Fake::start().await;
    fake.state.script(WXACODE, [errcode(40129)]);

    let err = fake
        .client()
        .wxacode_unlimit(&fake.app, &code_request())
        .await
        .unwrap_err();

    assert!(matches!(err, WeChatError::Api { errcode: 40129, .. }));
    assert_eq!(fake.state.hits(WXACODE), 1);
}

#[tokio::test]
async fn getwxacodeunlimit_image_becomes_a_code_image() {
    let fake = Fake::start().await;

    let image = fake
        .client()
        .wxacode_unlimit(&fake.app, &code_request())
        .await
        .unwrap();

    assert_eq!(image.bytes, JPEG);
    assert_eq!(image.content_type, "image/jpeg");
}

#[tokio::test]
async fn getwxacodeunlimit_is_told_apart_by_content_type_not_by_the_bytes() {
    let fake = Fake::start().await;
    let looks_like_json = br#"{"errcode":40129}"#.to_vec();
    fake.state
        .script(WXACODE, [Canned::Raw("image/png", looks_like_json.clone())]);
    fake.state
        .script(WXACODE, [Canned::Raw("text/html", JPEG.to_vec())]);
    let client = fake.client();

    let image = client
        .wxacode_unlimit(&fake.app, &code_request())
        .await
        .unwrap();
    let not_an_image = client.wxacode_unlimit(&fake.app, &code_request()).await;

    assert_eq!(image.bytes, looks_like_json);
    assert!(matches!(not_an_image, Err(WeChatError::Decode(_))));
}

#[tokio::test]
async fn a_slow_wechat_times_out_within_the_configured_timeout() {
    let fake = Fake::start().await;
    fake.state
        .script(JSCODE2SESSION, [Canned::Slow(Duration::from_secs(3))]);
    let client = fake.client_with_timeout(Duration::from_millis(200));

    let started = Instant::now();
    let err = client.jscode2session(&fake.app, "code").await.unwrap_err();

    assert!(matches!(err, WeChatError::Timeout), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn a_base_url_with_a_trailing_slash_keeps_its_prefix() {
    let fake = Fake::start().await;
    let base = url::Url::parse(&format!("{}/", fake.base)).unwrap();
    let client = WeChatClient::new(
        base,
        Duration::from_secs(5),
        Arc::new(crate::store::MemoryStore::new()),
    )
    .unwrap();

    let session = client.jscode2session(&fake.app, "code").await;

    assert!(session.is_ok(), "{session:?}");
}
