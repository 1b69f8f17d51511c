use super::fake::{Canned, Fake, STABLE_TOKEN, WXACODE, errcode};
use crate::secret::Secret;
use crate::store::TokenCache;
use crate::wechat::{WeChatError, WxaCodeRequest};
use futures::FutureExt;
use serde_json::json;

fn code_request() -> WxaCodeRequest {
    WxaCodeRequest::new("abc123", "pages/login/login")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_callers_on_an_empty_cache_cause_one_stable_token_request() {
    let fake = Fake::start().await;
    let client = fake.client();

    let callers = (0..100).map(|_| {
        let client = client.clone();
        let app = fake.app.clone();
        tokio::spawn(async move { client.access_token(&app).await })
    });
    let tokens = futures::future::join_all(callers).await;

    assert_eq!(fake.state.hits(STABLE_TOKEN), 1);
    for token in tokens {
        assert_eq!(token.unwrap().unwrap().expose(), "token-1");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_token_shorter_lived_than_the_refresh_margin_is_still_fetched_once_for_concurrent_callers()
 {
    let fake = Fake::start().await;
    *fake.state.expires_in.lock().unwrap() = 60;
    let client = fake.client();

    let callers = (0..20).map(|_| {
        let client = client.clone();
        let app = fake.app.clone();
        tokio::spawn(async move { client.access_token(&app).await })
    });
    let tokens = futures::future::join_all(callers).await;

    assert_eq!(fake.state.hits(STABLE_TOKEN), 1);
    assert!(
        tokens
            .into_iter()
            .all(|t| t.unwrap().unwrap().expose() == "token-1")
    );
}

#[tokio::test]
async fn stable_token_is_asked_without_force_refresh() {
    let fake = Fake::start().await;

    fake.client().access_token(&fake.app).await.unwrap();

    let bodies = fake.state.stable_token_bodies.lock().unwrap().clone();
    assert_eq!(
        bodies,
        vec![json!({
            "grant_type": "client_credential",
            "appid": "wx-fake-app",
            "secret": super::fake::APP_SECRET,
            "force_refresh": false,
        })]
    );
}

#[tokio::test]
async fn a_cached_token_is_reused() {
    let fake = Fake::start().await;
    let client = fake.client();

    let first = client.access_token(&fake.app).await.unwrap();
    let second = client.access_token(&fake.app).await.unwrap();

    assert_eq!(first, second);
    assert_eq!(fake.state.hits(STABLE_TOKEN), 1);
    let cached = fake.cache.get(&fake.app.app_id).await.unwrap().unwrap();
    let lifetime = cached.expires_at - crate::store::now_ms();
    assert!((7_190_000..=7_200_000).contains(&lifetime), "{lifetime}");
}

#[tokio::test]
async fn a_token_near_expiry_is_refreshed() {
    let fake = Fake::start().await;
    fake.cache_token("old-token", 60_000).await;

    let token = fake.client().access_token(&fake.app).await.unwrap();

    assert_eq!(token.expose(), "token-1");
    assert_eq!(fake.state.hits(STABLE_TOKEN), 1);
    assert_eq!(fake.cached_token().await.as_deref(), Some("token-1"));
}

#[tokio::test]
async fn a_token_with_time_left_is_not_refreshed() {
    let fake = Fake::start().await;
    fake.cache_token("good-token", 600_000).await;

    let token = fake.client().access_token(&fake.app).await.unwrap();

    assert_eq!(token.expose(), "good-token");
    assert_eq!(fake.state.hits(STABLE_TOKEN), 0);
}

#[tokio::test]
async fn wechat_returns_40001_once_then_succeeds() {
    let fake = Fake::start().await;
    fake.cache_token("revoked-token", 600_000).await;
    fake.state.script(WXACODE, [errcode(40001)]);

    let image = fake
        .client()
        .wxacode_unlimit(&fake.app, &code_request())
        .await
        .unwrap();

    assert_eq!(image.content_type, "image/jpeg");
    assert_eq!(fake.state.hits(STABLE_TOKEN), 1);
    assert_eq!(
        *fake.state.tokens_used.lock().unwrap(),
        vec!["revoked-token", "token-1"]
    );
    assert_eq!(fake.cached_token().await.as_deref(), Some("token-1"));
}

#[tokio::test]
async fn wechat_returns_42001_twice_and_the_call_is_retried_only_once() {
    let fake = Fake::start().await;
    fake.state.script(WXACODE, [errcode(42001), errcode(42001)]);

    let result = fake
        .client()
        .wxacode_unlimit(&fake.app, &code_request())
        .await;

    assert_eq!(result.unwrap_err().errcode(), Some(42001));
    assert_eq!(fake.state.hits(WXACODE), 2);
    assert_eq!(fake.state.hits(STABLE_TOKEN), 2);
}

#[tokio::test]
async fn a_40001_does_not_expire_a_token_another_caller_fetched_meanwhile() {
    let fake = Fake::start().await;
    fake.cache_token("stale-token", 600_000).await;
    // While our call with the stale token is in flight, another caller caches a fresh one.
    let cache = fake.cache.clone();
    let app_id = fake.app.app_id.clone();
    let swap = Box::new(move || {
        async move {
            let fresh = crate::store::CachedToken {
                token: Secret::new("fresh-token"),
                expires_at: crate::store::now_ms() + 600_000,
            };
            cache.put(&app_id, &fresh).await.unwrap();
        }
        .boxed()
    });
    let rejected = json!({"errcode": 40001, "errmsg": "invalid credential"});
    fake.state
        .script(WXACODE, [Canned::JsonAfter(rejected, swap)]);

    fake.client()
        .wxacode_unlimit(&fake.app, &code_request())
        .await
        .unwrap();

    assert_eq!(fake.state.hits(STABLE_TOKEN), 0);
    assert_eq!(
        *fake.state.tokens_used.lock().unwrap(),
        vec!["stale-token", "fresh-token"]
    );
    assert_eq!(fake.cached_token().await.as_deref(), Some("fresh-token"));
}

#[tokio::test]
async fn stable_token_errors_are_not_cached() {
    let fake = Fake::start().await;
    fake.state.script(STABLE_TOKEN, [errcode(40125)]);

    let err = fake.client().access_token(&fake.app).await.unwrap_err();

    assert!(matches!(err, WeChatError::Api { errcode: 40125, .. }));
    assert_eq!(fake.cached_token().await, None);
}
