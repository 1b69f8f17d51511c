//! The HTTP plumbing every endpoint shares: URLs under the configured base, one attempt, the
//! errcode check, the bounded retry on errcode -1 and the per-call debug log.

use super::error::WeChatError;
use super::refresh_locks::RefreshLocks;
use crate::ids::AppId;
use crate::store::TokenCache;
use reqwest::header::CONTENT_TYPE;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;

/// Pauses before the second and third attempt after errcode -1 (three attempts in all).
const TRANSIENT_BACKOFF: [Duration; 2] = [Duration::from_millis(50), Duration::from_millis(200)];

/// Saoma's client for the WeChat server APIs (or the sandbox, the same HTTP at another base).
/// Cheap to clone: clones share the connection pool, the token cache and the refresh locks.
#[derive(Clone)]
pub struct WeChatClient {
    pub(super) http: reqwest::Client,
    /// Always ends with `/`, so joining a relative path keeps a prefix like `/sandbox/wechat/`.
    base: Url,
    pub(super) cache: Arc<dyn TokenCache>,
    pub(super) refresh_locks: Arc<RefreshLocks>,
    metrics: Option<Arc<crate::metrics::Metrics>>,
    /// How long one refresher may hold an app's shared refresh lock (a whole `stable_token`
    /// call with its retries), and how long the others wait for its result.
    pub(super) refresh_lock_ttl: Duration,
}

/// One request to one endpoint. `endpoint` is the path below the base (`cgi-bin/stable_token`),
/// also the label in logs; `query` may hold secrets and is never logged.
pub(super) struct Call<'a> {
    pub endpoint: &'static str,
    pub app_id: &'a AppId,
    pub query: &'a [(&'static str, &'a str)],
    /// `Some`: POST this JSON; `None`: GET.
    pub json_body: Option<&'a [u8]>,
}

/// A 2xx answer, not yet interpreted.
pub(super) struct Reply {
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl WeChatClient {
    pub fn new(
        api_base: Url,
        timeout: Duration,
        cache: Arc<dyn TokenCache>,
    ) -> Result<Self, WeChatError> {
        if api_base.cannot_be_a_base() || !matches!(api_base.scheme(), "http" | "https") {
            return Err(WeChatError::Transport(
                "the WeChat API base must be an http(s) URL".into(),
            ));
        }
        let mut base = api_base;
        base.set_query(None);
        base.set_fragment(None);
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            // WeChat never redirects; following one would hand the query (secrets) to another host.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("saoma/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(WeChatError::from_reqwest)?;
        Ok(Self {
            http,
            base,
            cache,
            refresh_locks: Arc::default(),
            metrics: None,
            refresh_lock_ttl: timeout.saturating_mul(3) + Duration::from_secs(1),
        })
    }

    /// Count every call in `metrics` (by endpoint and errcode, with latency).
    pub fn with_metrics(mut self, metrics: Arc<crate::metrics::Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// GET a JSON endpoint and decode its success body.
    pub(super) async fn get_json<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        app_id: &AppId,
        query: &[(&'static str, &str)],
    ) -> Result<T, WeChatError> {
        let call = Call {
            endpoint,
            app_id,
            query,
            json_body: None,
        };
        self.call(&call, Reply::into_json).await
    }

    /// POST JSON to a JSON endpoint and decode its success body.
    pub(super) async fn post_json<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        app_id: &AppId,
        query: &[(&'static str, &str)],
        body: &impl Serialize,
    ) -> Result<T, WeChatError> {
        let body = encode_json(body)?;
        let call = Call {
            endpoint,
            app_id,
            query,
            json_body: Some(&body),
        };
        self.call(&call, Reply::into_json).await
    }

    /// Run `call` and `decode` its answer, retrying errcode -1 with a bounded backoff. Nothing
    /// else is retried here: codes are single use and quotas must not be hammered.
    pub(super) async fn call<T>(
        &self,
        call: &Call<'_>,
        decode: impl Fn(Reply) -> Result<T, WeChatError>,
    ) -> Result<T, WeChatError> {
        let url = self.url(call.endpoint, call.query)?;
        let mut backoff = TRANSIENT_BACKOFF.iter();
        let mut attempt = 1_u32;
        loop {
            let started = Instant::now();
            let result = match self.send_once(&url, call.json_body).await {
                Ok(reply) => decode(reply),
                Err(err) => Err(err),
            };
            let took = started.elapsed();
            let latency_ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
            if let Some(metrics) = &self.metrics {
                let errcode = match &result {
                    Ok(_) => 0,
                    Err(err) => err.errcode().unwrap_or(-2),
                };
                metrics.wechat_call(call.endpoint, errcode, took);
            }
            match &result {
                Ok(_) => tracing::debug!(
                    endpoint = call.endpoint,
                    app_id = %call.app_id,
                    errcode = 0,
                    latency_ms,
                    attempt,
                    "wechat call"
                ),
                Err(err) => tracing::debug!(
                    endpoint = call.endpoint,
                    app_id = %call.app_id,
                    errcode = err.errcode(),
                    outcome = err.kind(),
                    latency_ms,
                    attempt,
                    "wechat call failed"
                ),
            }
            match result {
                Err(err) if err.is_transient() => match backoff.next() {
                    Some(delay) => tokio::time::sleep(*delay).await,
                    None => return Err(err),
                },
                other => return other,
            }
            attempt += 1;
        }
    }

    fn url(&self, endpoint: &str, query: &[(&str, &str)]) -> Result<Url, WeChatError> {
        let mut url = self
            .base
            .join(endpoint.trim_start_matches('/'))
            .map_err(|_| WeChatError::Transport(format!("bad endpoint path {endpoint}")))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    async fn send_once(&self, url: &Url, json_body: Option<&[u8]>) -> Result<Reply, WeChatError> {
        let request = match json_body {
            Some(body) => self
                .http
                .post(url.clone())
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_vec()),
            None => self.http.get(url.clone()),
        };
        let response = request.send().await.map_err(WeChatError::from_reqwest)?;
        let status = response.status();
        if !status.is_success() {
            return Err(WeChatError::Transport(format!("HTTP status {status}")));
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = response.bytes().await.map_err(WeChatError::from_reqwest)?;
        Ok(Reply {
            content_type,
            body: body.to_vec(),
        })
    }
}

impl Reply {
    /// The media type (`image/jpeg`), lowercase, without parameters.
    pub fn media_type(&self) -> Option<String> {
        let content_type = self.content_type.as_deref()?;
        let media = content_type.split(';').next().unwrap_or_default().trim();
        Some(media.to_ascii_lowercase())
    }

    /// A JSON answer: an error when `errcode` is present and not 0, else the body as `T`. The
    /// Content-Type is not checked: some endpoints (jscode2session) have sent JSON as text/plain.
    pub fn into_json<T: DeserializeOwned>(self) -> Result<T, WeChatError> {
        self.check_errcode()?;
        serde_json::from_slice(&self.body).map_err(decode_error)
    }

    /// `Err` when the body is JSON carrying a non-zero errcode (or is not JSON at all).
    pub fn check_errcode(&self) -> Result<(), WeChatError> {
        #[derive(serde::Deserialize)]
        struct Status {
            #[serde(default)]
            errcode: Option<i64>,
            #[serde(default)]
            errmsg: Option<String>,
        }
        let status: Status = serde_json::from_slice(&self.body).map_err(decode_error)?;
        match status.errcode {
            None | Some(0) => Ok(()),
            Some(errcode) => Err(WeChatError::from_errcode(
                errcode,
                status.errmsg.unwrap_or_default(),
            )),
        }
    }
}

pub(super) fn encode_json(body: &impl Serialize) -> Result<Vec<u8>, WeChatError> {
    serde_json::to_vec(body)
        .map_err(|err| WeChatError::Decode(format!("encoding a request: {err}")))
}

fn decode_error(err: serde_json::Error) -> WeChatError {
    WeChatError::Decode(err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    fn client(base: &str) -> WeChatClient {
        let base = Url::parse(base).unwrap();
        WeChatClient::new(base, Duration::from_secs(1), Arc::new(MemoryStore::new())).unwrap()
    }

    #[test]
    fn endpoint_urls_keep_the_base_path_prefix_with_or_without_trailing_slash() {
        for base in [
            "http://127.0.0.1:9/sandbox/wechat",
            "http://127.0.0.1:9/sandbox/wechat/",
        ] {
            let url = client(base)
                .url("cgi-bin/stable_token", &[("a", "b c")])
                .unwrap();
            assert_eq!(
                url.as_str(),
                "http://127.0.0.1:9/sandbox/wechat/cgi-bin/stable_token?a=b+c"
            );
        }
        let url = client("https://api.weixin.qq.com").url("sns/jscode2session", &[]);
        assert_eq!(
            url.unwrap().as_str(),
            "https://api.weixin.qq.com/sns/jscode2session"
        );
    }

    #[test]
    fn a_non_http_base_is_refused() {
        let base = Url::parse("mailto:someone@example.com").unwrap();
        let result = WeChatClient::new(base, Duration::from_secs(1), Arc::new(MemoryStore::new()));
        assert!(matches!(result, Err(WeChatError::Transport(_))));
    }

    #[test]
    fn errcode_absent_or_zero_is_success() {
        let reply = |body: &str| Reply {
            content_type: None,
            body: body.as_bytes().to_vec(),
        };
        assert!(reply(r#"{"openid":"o"}"#).check_errcode().is_ok());
        assert!(
            reply(r#"{"errcode":0,"errmsg":"ok"}"#)
                .check_errcode()
                .is_ok()
        );
        let err = reply(r#"{"errcode":40029,"errmsg":"invalid code"}"#)
            .check_errcode()
            .unwrap_err();
        assert_eq!(err.errcode(), Some(40029));
    }
}
