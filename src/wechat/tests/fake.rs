//! A tiny fake WeChat for the client's tests: served on 127.0.0.1:0 under `/sandbox/wechat`,
//! counting requests per endpoint and answering from a per-endpoint script, then by default.

use crate::store::{MemoryStore, TokenCache};
use crate::wechat::{AppCredentials, WeChatClient};
use crate::{ids::AppId, secret::Secret};
use futures::future::BoxFuture;
use poem::http::header::CONTENT_TYPE;
use poem::listener::TcpAcceptor;
use poem::web::{Data, Json, Query};
use poem::{EndpointExt, Response, Route, Server, get, handler, post};
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::Url;

pub const STABLE_TOKEN: &str = "stable_token";
pub const WXACODE: &str = "getwxacodeunlimit";
pub const JSCODE2SESSION: &str = "jscode2session";

pub const APP_SECRET: &str = "app-secret-DO-NOT-LEAK";
pub const SESSION_KEY: &str = "session-key-DO-NOT-LEAK";
pub const JPEG: &[u8] = b"\xff\xd8\xff\xe0 not really a jpeg";

/// Runs once, when the scripted answer is served, before it is sent.
pub type Hook = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send>;

pub enum Canned {
    /// An errcode-style JSON body, `application/json; encoding=utf-8` as WeChat sends it.
    Json(Value),
    /// Any body with this Content-Type.
    Raw(&'static str, Vec<u8>),
    /// Wait this long, then answer by default.
    Slow(Duration),
    /// Run the hook, then answer this JSON.
    JsonAfter(Value, Hook),
}

pub fn errcode(code: i64) -> Canned {
    Canned::Json(json!({"errcode": code, "errmsg": format!("fake error rid: 1-2-3")}))
}

#[derive(Default)]
pub struct FakeState {
    hits: Mutex<HashMap<&'static str, usize>>,
    script: Mutex<HashMap<&'static str, VecDeque<Canned>>>,
    /// The `access_token` query parameter of each getwxacodeunlimit request, in order.
    pub tokens_used: Mutex<Vec<String>>,
    /// The body of each stable_token request.
    pub stable_token_bodies: Mutex<Vec<Value>>,
    /// What stable_token answers as `expires_in` (0: 7200).
    pub expires_in: Mutex<i64>,
}

impl FakeState {
    pub fn hits(&self, endpoint: &str) -> usize {
        self.hits
            .lock()
            .unwrap()
            .get(endpoint)
            .copied()
            .unwrap_or(0)
    }

    pub fn script(&self, endpoint: &'static str, answers: impl IntoIterator<Item = Canned>) {
        let mut script = self.script.lock().unwrap();
        script.entry(endpoint).or_default().extend(answers);
    }

    async fn respond(
        &self,
        endpoint: &'static str,
        default: impl FnOnce(usize) -> Response,
    ) -> Response {
        let hit = {
            let mut hits = self.hits.lock().unwrap();
            let count = hits.entry(endpoint).or_default();
            *count += 1;
            *count
        };
        let canned = {
            let mut script = self.script.lock().unwrap();
            script.get_mut(endpoint).and_then(VecDeque::pop_front)
        };
        match canned {
            None => default(hit),
            Some(Canned::Json(body)) => json_response(&body),
            Some(Canned::Raw(content_type, body)) => raw(content_type, body),
            Some(Canned::Slow(delay)) => {
                tokio::time::sleep(delay).await;
                default(hit)
            }
            Some(Canned::JsonAfter(body, hook)) => {
                hook().await;
                json_response(&body)
            }
        }
    }
}

fn json_response(body: &Value) -> Response {
    raw(
        "application/json; encoding=utf-8",
        body.to_string().into_bytes(),
    )
}

fn raw(content_type: &str, body: Vec<u8>) -> Response {
    Response::builder()
        .header(CONTENT_TYPE, content_type)
        .body(body)
}

#[handler]
async fn stable_token(Data(state): Data<&Arc<FakeState>>, Json(body): Json<Value>) -> Response {
    state.stable_token_bodies.lock().unwrap().push(body);
    // Slow enough that concurrent callers really overlap.
    tokio::time::sleep(Duration::from_millis(30)).await;
    let expires_in = match *state.expires_in.lock().unwrap() {
        0 => 7200,
        n => n,
    };
    state
        .respond(STABLE_TOKEN, |n| {
            json_response(&json!({"access_token": format!("token-{n}"), "expires_in": expires_in}))
        })
        .await
}

#[handler]
async fn wxacode(
    Data(state): Data<&Arc<FakeState>>,
    Query(query): Query<HashMap<String, String>>,
    Json(_body): Json<Value>,
) -> Response {
    let token = query.get("access_token").cloned().unwrap_or_default();
    state.tokens_used.lock().unwrap().push(token);
    state
        .respond(WXACODE, |_| raw("image/jpeg", JPEG.to_vec()))
        .await
}

#[handler]
async fn jscode2session(
    Data(state): Data<&Arc<FakeState>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let complete = ["appid", "secret", "js_code"]
        .iter()
        .all(|k| query.contains_key(*k))
        && query.get("grant_type").map(String::as_str) == Some("authorization_code");
    state
        .respond(JSCODE2SESSION, |_| {
            if !complete {
                return json_response(&json!({"errcode": 40002, "errmsg": "invalid grant_type"}));
            }
            json_response(
                &json!({"openid": "o-user", "unionid": "u-user", "session_key": SESSION_KEY}),
            )
        })
        .await
}

pub struct Fake {
    /// `http://127.0.0.1:PORT/sandbox/wechat`, no trailing slash.
    pub base: Url,
    pub state: Arc<FakeState>,
    pub cache: Arc<MemoryStore>,
    pub app: AppCredentials,
}

impl Fake {
    pub async fn start() -> Self {
        let state = Arc::new(FakeState::default());
        let wechat = Route::new()
            .at("/cgi-bin/stable_token", post(stable_token))
            .at("/wxa/getwxacodeunlimit", post(wxacode))
            .at("/sns/jscode2session", get(jscode2session));
        let app = Route::new()
            .nest("/sandbox/wechat", wechat)
            .data(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let acceptor = TcpAcceptor::from_tokio(listener).unwrap();
        tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
        Self {
            base: Url::parse(&format!("http://{addr}/sandbox/wechat")).unwrap(),
            state,
            cache: Arc::new(MemoryStore::new()),
            app: AppCredentials {
                app_id: AppId::parse("wx-fake-app").unwrap(),
                secret: Secret::new(APP_SECRET),
            },
        }
    }

    pub fn client(&self) -> WeChatClient {
        self.client_with_timeout(Duration::from_secs(5))
    }

    pub fn client_with_timeout(&self, timeout: Duration) -> WeChatClient {
        let cache: Arc<dyn TokenCache> = self.cache.clone();
        WeChatClient::new(self.base.clone(), timeout, cache).unwrap()
    }

    /// Put `token` in the cache as if fetched earlier, expiring `expires_in_ms` from now.
    pub async fn cache_token(&self, token: &str, expires_in_ms: i64) {
        let cached = crate::store::CachedToken {
            token: Secret::new(token),
            expires_at: crate::store::now_ms() + expires_in_ms,
        };
        self.cache.put(&self.app.app_id, &cached).await.unwrap();
    }

    pub async fn cached_token(&self) -> Option<String> {
        let cached = self.cache.get(&self.app.app_id).await.unwrap();
        cached.map(|c| c.token.expose().to_owned())
    }
}
