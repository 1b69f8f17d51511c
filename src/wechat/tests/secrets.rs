use super::fake::{APP_SECRET, Fake, SESSION_KEY, WXACODE, errcode};
use crate::wechat::{WeChatClient, WeChatError, WxaCodeRequest};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TOKEN: &str = "cached-token-DO-NOT-LEAK";

fn assert_clean(text: &str) {
    // The URLs themselves must not show up either (their query carries the secrets).
    for secret in [
        APP_SECRET,
        SESSION_KEY,
        TOKEN,
        "token-1",
        "secret=",
        "access_token=",
    ] {
        assert!(!text.contains(secret), "{secret:?} leaked in {text:?}");
    }
}

/// A client whose base is a port nobody listens on.
async fn client_to_nowhere(fake: &Fake) -> WeChatClient {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let base = url::Url::parse(&format!("http://{addr}/wechat")).unwrap();
    let cache: Arc<dyn crate::store::TokenCache> = fake.cache.clone();
    WeChatClient::new(base, Duration::from_secs(2), cache).unwrap()
}

#[tokio::test]
async fn debug_of_credentials_and_session_shows_no_secret() {
    let fake = Fake::start().await;
    let session = fake
        .client()
        .jscode2session(&fake.app, "code")
        .await
        .unwrap();

    let shown = format!("{:?} {:?}", fake.app, session);

    assert_clean(&shown);
    assert!(
        shown.contains("wx-fake-app") && shown.contains("o-user"),
        "{shown}"
    );
}

#[tokio::test]
async fn transport_errors_show_neither_the_secret_nor_the_token() {
    let fake = Fake::start().await;
    fake.cache_token(TOKEN, 600_000).await;
    let client = client_to_nowhere(&fake).await;

    let sns = client.jscode2session(&fake.app, "code").await.unwrap_err();
    let code = client
        .wxacode_unlimit(&fake.app, &WxaCodeRequest::new("s", "p"))
        .await
        .unwrap_err();

    assert!(matches!(sns, WeChatError::Transport(_)), "{sns:?}");
    assert!(matches!(code, WeChatError::Transport(_)), "{code:?}");
    assert_clean(&format!("{sns:?} {sns} {code:?} {code}"));
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
async fn logs_at_trace_level_show_no_secret() {
    let fake = Fake::start().await;
    fake.state.script(WXACODE, [errcode(40001)]);
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let client = fake.client();

    // Other tests run in parallel with no subscriber, and a callsite they register while ours is
    // being installed may cache "never" for the whole process. Recompute and try again until
    // our subscriber sees the calls (the cache settles once every callsite is registered).
    let mut logs = String::new();
    for _ in 0..10 {
        tracing::callsite::rebuild_interest_cache();
        client
            .wxacode_unlimit(&fake.app, &WxaCodeRequest::new("s", "p"))
            .await
            .unwrap();
        client.jscode2session(&fake.app, "code").await.unwrap();
        logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        if logs.contains("getwxacodeunlimit") && logs.contains("jscode2session") {
            break;
        }
    }
    assert!(
        logs.contains("getwxacodeunlimit") && logs.contains("wx-fake-app"),
        "{logs}"
    );
    assert_clean(&logs);
}
