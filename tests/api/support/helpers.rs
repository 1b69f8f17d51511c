//! Spawn Saoma on port 0 with a temporary data directory and talk to it like its clients do.

use futures::StreamExt;
use saoma::app::Application;
use saoma::config::Config;
use serde_json::{Value, json};
use std::time::Duration;

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    _data: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    spawn_stoppable_with(configure).await.0
}

/// Like [`spawn_app_with`], and a handle that shuts the instance down as SIGTERM does (sent,
/// not dropped: a dropped handle leaves it running).
pub async fn spawn_stoppable_with(
    configure: impl FnOnce(&mut Config),
) -> (TestApp, tokio::sync::oneshot::Sender<()>) {
    let data = tempfile::tempdir().expect("temp dir");
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data.path().to_path_buf(),
        ..Config::default()
    };
    relax_limits(&mut config);
    configure(&mut config);
    let app = Application::build(config).await.expect("app builds");
    let base = app.public_url().as_str().trim_end_matches('/').to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        if stopped.await.is_err() {
            futures::future::pending::<()>().await;
        }
    }));
    let app = TestApp {
        base,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap(),
        _data: data,
    };
    (app, stop)
}

/// Tests poll as fast as they like and share one address (and, with Redis, one server): the
/// per-address and pace limits are off unless a test turns them on (tests/api/limits.rs).
pub fn relax_limits(config: &mut Config) {
    config.limits.poll_interval_ms = 0;
    config.limits.scenes_per_ip_per_minute = 0;
    config.limits.pending_scenes_per_ip = 0;
}

/// A created scene as the browser holds it.
pub struct Created {
    pub scene: String,
    pub poll_token: String,
    pub body: Value,
}

impl TestApp {
    /// The instance's own SQLite database (in its temporary data directory).
    pub fn database_url(&self) -> String {
        format!("sqlite://{}", self._data.path().join("saoma.db").display())
    }

    /// A client for a server that is already running at `base` (a standalone sandbox, say).
    pub fn at(base: &str) -> TestApp {
        TestApp {
            base: base.trim_end_matches('/').to_string(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
            _data: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn create_scene(&self, body: Value) -> reqwest::Response {
        self.http
            .post(self.url("/api/v1/scenes"))
            .header(
                "User-Agent",
                "Mozilla/5.0 (Windows NT 10.0) Chrome/130.0 SaomaTest",
            )
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn create_mp_scene(&self) -> Created {
        let res = self.create_scene(json!({"provider": "mini_program"})).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let body: Value = res.json().await.unwrap();
        Created {
            scene: body["scene"].as_str().unwrap().to_string(),
            poll_token: body["poll_token"].as_str().unwrap().to_string(),
            body,
        }
    }

    pub fn scene_url(&self, scene: &str) -> String {
        let encoded: String = url::form_urlencoded::byte_serialize(scene.as_bytes()).collect();
        // form encoding writes spaces as '+'; scenes have none, and '+' itself is encoded.
        self.url(&format!("/api/v1/scenes/{encoded}"))
    }

    pub async fn poll(&self, scene: &str, token: Option<&str>) -> reqwest::Response {
        let mut req = self.http.get(self.scene_url(scene));
        if let Some(token) = token {
            req = req.header("X-Poll-Token", token);
        }
        req.send().await.unwrap()
    }

    /// The poll's body, whatever its status.
    pub async fn poll_json(&self, scene: &str, token: Option<&str>) -> Value {
        self.poll(scene, token).await.json().await.unwrap()
    }

    pub async fn new_user(&self, nickname: &str) -> String {
        let res = self
            .post("/sandbox/api/users", json!({"nickname": nickname}))
            .await;
        assert!(res.status().is_success(), "creating a sandbox user");
        let body: Value = res.json().await.unwrap();
        body["id"].as_str().unwrap().to_string()
    }

    /// What `wx.login()` gives the mini-program of this sandbox user.
    pub async fn wx_login(&self, user: &str) -> String {
        let res = self
            .post("/sandbox/api/wx-login", json!({"user": user}))
            .await;
        assert!(res.status().is_success(), "sandbox wx-login");
        let body: Value = res.json().await.unwrap();
        body["code"].as_str().unwrap().to_string()
    }

    pub async fn scan(&self, scene: &str) -> reqwest::Response {
        self.post("/api/v1/mini-program/scan", json!({"scene": scene}))
            .await
    }

    pub async fn mp_login(
        &self,
        code: &str,
        scene: Option<&str>,
        approve: bool,
    ) -> reqwest::Response {
        let mut body = json!({"code": code, "approve": approve});
        if let Some(scene) = scene {
            body["scene"] = json!(scene);
        }
        self.post("/api/v1/mini-program/login", body).await
    }

    /// The phone's whole part: scan, wx.login, confirm (or cancel).
    pub async fn phone_answers(&self, scene: &str, approve: bool) -> Value {
        let user = self.new_user("测试用户").await;
        assert_eq!(self.scan(scene).await.status(), 200);
        let code = self.wx_login(&user).await;
        let res = self.mp_login(&code, Some(scene), approve).await;
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    pub async fn stats(&self) -> Value {
        let res = self
            .http
            .get(self.url("/sandbox/api/stats"))
            .send()
            .await
            .unwrap();
        res.json().await.unwrap()
    }

    /// How many times the sandbox saw `endpoint` called, over all app ids.
    pub async fn calls(&self, endpoint: &str) -> u64 {
        let stats = self.stats().await;
        stats["calls"][endpoint]
            .as_object()
            .map(|per_app| per_app.values().filter_map(Value::as_u64).sum())
            .unwrap_or(0)
    }

    pub async fn inject_fault(&self, fault: Value) {
        let res = self.post("/sandbox/api/faults", fault).await;
        assert!(res.status().is_success(), "injecting a fault");
    }

    pub async fn events(&self, scene: &str, token: &str) -> SseReader {
        let res = self
            .http
            .get(format!("{}/events", self.scene_url(scene)))
            .header("X-Poll-Token", token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        SseReader {
            stream: Box::pin(res.bytes_stream()),
            buffer: String::new(),
        }
    }
}

/// Reads `event: status` frames from an SSE response.
pub struct SseReader {
    stream: std::pin::Pin<Box<dyn futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buffer: String,
}

impl SseReader {
    /// The next `status` event's data, or None when the server closed the stream.
    pub async fn next_status(&mut self) -> Option<Value> {
        loop {
            let (event, data) = self.next_event().await?;
            if event == "status" {
                return Some(data);
            }
        }
    }

    /// The next named event (`status`, `error`, `reconnect`) and its data (JSON, or a string).
    pub async fn next_event(&mut self) -> Option<(String, Value)> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let mut event = None;
                let mut data = String::new();
                for line in frame.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if let Some(event) = event {
                    let data = serde_json::from_str(&data).unwrap_or(Value::String(data));
                    return Some((event, data));
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(15), self.stream.next())
                .await
                .expect("an SSE event within 15 s")?;
            self.buffer
                .push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        }
    }
}

/// The `Retry-After` seconds of a refusal.
pub fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

pub async fn error_code(res: reqwest::Response) -> String {
    let body: Value = res.json().await.expect("error bodies are JSON");
    assert!(
        body["message"].is_string(),
        "errors carry a message: {body}"
    );
    body["code"]
        .as_str()
        .expect("errors carry a code")
        .to_string()
}

/// Accounts and phone binding.
impl TestApp {
    pub async fn get_json(&self, path: &str) -> Value {
        let res = self.http.get(self.url(path)).send().await.unwrap();
        assert!(res.status().is_success(), "GET {path}: {}", res.status());
        res.json().await.unwrap()
    }

    pub async fn me(&self, access_token: &str) -> reqwest::Response {
        self.http
            .get(self.url("/api/v1/me"))
            .bearer_auth(access_token)
            .send()
            .await
            .unwrap()
    }

    /// The newest code the `log` SMS sender delivered to `phone` (E.164).
    pub async fn sms_code(&self, phone: &str) -> String {
        let encoded: String = url::form_urlencoded::byte_serialize(phone.as_bytes()).collect();
        let inbox = self
            .get_json(&format!("/sandbox/api/sms?phone={encoded}"))
            .await;
        let messages = inbox["messages"].as_array().unwrap();
        let last = messages.last().expect("an SMS was delivered");
        assert!(
            last["text"]
                .as_str()
                .unwrap()
                .contains(last["code"].as_str().unwrap())
        );
        last["code"].as_str().unwrap().to_string()
    }

    pub async fn send_sms(&self, scene: &str, poll_token: &str, phone: &str) -> reqwest::Response {
        self.http
            .post(self.url("/api/v1/phone/sms"))
            .header("X-Poll-Token", poll_token)
            .json(&serde_json::json!({"scene": scene, "phone": phone}))
            .send()
            .await
            .unwrap()
    }

    pub async fn bind_phone(
        &self,
        scene: &str,
        poll_token: &str,
        phone: &str,
        code: &str,
    ) -> reqwest::Response {
        self.http
            .post(self.url("/api/v1/phone/bind"))
            .header("X-Poll-Token", poll_token)
            .json(&serde_json::json!({"scene": scene, "phone": phone, "code": code}))
            .send()
            .await
            .unwrap()
    }

    /// What the getPhoneNumber button gives the mini-program of this sandbox user.
    pub async fn phone_code(&self, user: &str, phone: Option<&str>) -> String {
        let res = self
            .post(
                "/sandbox/api/phone-code",
                serde_json::json!({"user": user, "phone": phone}),
            )
            .await;
        assert!(res.status().is_success(), "sandbox phone-code");
        let body: Value = res.json().await.unwrap();
        body["code"].as_str().unwrap().to_string()
    }

    pub async fn mp_phone(
        &self,
        access_token: &str,
        code: &str,
        scene: Option<&str>,
    ) -> reqwest::Response {
        self.http
            .post(self.url("/api/v1/mini-program/phone"))
            .bearer_auth(access_token)
            .json(&serde_json::json!({"code": code, "scene": scene}))
            .send()
            .await
            .unwrap()
    }

    /// A sandbox user logs in on the mini-program, without a scene: `(account id, access token)`.
    pub async fn mp_session(&self, user: &str) -> (String, String) {
        let code = self.wx_login(user).await;
        let res = self.mp_login(&code, None, true).await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        (
            body["account"]["id"].as_str().unwrap().to_string(),
            body["tokens"]["access_token"].as_str().unwrap().to_string(),
        )
    }
}
