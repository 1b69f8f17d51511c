//! The browser's, the phone's and WeChat's requests, as the load tool sends them.

use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::net::IpAddr;
use std::time::Duration;

const BROWSER_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 saoma-bench";

/// A client with an unbounded keep-alive pool, optionally bound to a local address (one
/// address gives ~28,000 connections to one server port; more streams need more addresses).
pub fn http(local: Option<IpAddr>) -> anyhow::Result<reqwest::Client> {
    let mut b = reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(usize::MAX)
        .connect_timeout(Duration::from_secs(10))
        .user_agent(BROWSER_UA);
    if let Some(ip) = local {
        b = b.local_address(ip);
    }
    Ok(b.build()?)
}

/// A created scene as the browser holds it.
#[derive(Debug, Clone)]
pub struct Created {
    pub scene: String,
    pub poll_token: String,
}

async fn json_ok<T: serde::de::DeserializeOwned>(
    res: reqwest::Response,
    what: &str,
) -> anyhow::Result<T> {
    let status = res.status();
    if !status.is_success() {
        let body = res.text().await.unwrap_or_default();
        let code = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| v["code"].as_str().map(str::to_string))
            .unwrap_or(body);
        bail!("{what}: HTTP {} {code}", status.as_u16());
    }
    res.json()
        .await
        .with_context(|| format!("{what}: not JSON"))
}

fn send_error(what: &str) -> impl FnOnce(reqwest::Error) -> anyhow::Error + '_ {
    move |e| {
        let kind = if e.is_timeout() {
            "timeout"
        } else if e.is_connect() {
            "connect"
        } else {
            "transport"
        };
        anyhow::anyhow!("{what}: {kind} error")
    }
}

pub async fn create_scene(
    http: &reqwest::Client,
    base: &str,
    provider: &str,
    scene: Option<&str>,
) -> anyhow::Result<Created> {
    let mut body = json!({ "provider": provider });
    if let Some(scene) = scene {
        body["scene"] = json!(scene);
    }
    let res = http
        .post(format!("{base}/api/v1/scenes"))
        .json(&body)
        .send()
        .await
        .map_err(send_error("create"))?;
    // Only what a browser keeps: the ~40 KB code image is skipped, not copied into a `Value`
    // (the tool shares the machine with the server it measures).
    let created: CreatedBody = json_ok(res, "create").await?;
    Ok(Created {
        scene: created.scene,
        poll_token: created.poll_token,
    })
}

#[derive(serde::Deserialize)]
struct CreatedBody {
    scene: String,
    poll_token: String,
}

pub async fn scan(http: &reqwest::Client, base: &str, scene: &str) -> anyhow::Result<()> {
    let res = http
        .post(format!("{base}/api/v1/mini-program/scan"))
        .json(&json!({ "scene": scene }))
        .send()
        .await
        .map_err(send_error("scan"))?;
    json_ok::<Value>(res, "scan").await.map(|_| ())
}

pub async fn new_user(
    http: &reqwest::Client,
    sandbox: &str,
    nickname: &str,
) -> anyhow::Result<String> {
    let res = http
        .post(format!("{sandbox}/sandbox/api/users"))
        .json(&json!({ "nickname": nickname }))
        .send()
        .await
        .map_err(send_error("new user"))?;
    let v = json_ok::<Value>(res, "new user").await?;
    Ok(v["id"].as_str().context("no user id")?.to_string())
}

pub async fn wx_login(http: &reqwest::Client, sandbox: &str, user: &str) -> anyhow::Result<String> {
    let res = http
        .post(format!("{sandbox}/sandbox/api/wx-login"))
        .json(&json!({ "user": user }))
        .send()
        .await
        .map_err(send_error("wx-login"))?;
    let v = json_ok::<Value>(res, "wx-login").await?;
    Ok(v["code"].as_str().context("no code")?.to_string())
}

/// `POST /api/v1/mini-program/login` approving `scene`.
pub async fn login(
    http: &reqwest::Client,
    base: &str,
    code: &str,
    scene: &str,
) -> anyhow::Result<()> {
    let res = http
        .post(format!("{base}/api/v1/mini-program/login"))
        .json(&json!({ "code": code, "scene": scene, "approve": true }))
        .send()
        .await
        .map_err(send_error("login"))?;
    let v = json_ok::<Value>(res, "login").await?;
    if v["scene_status"] != "confirmed" {
        bail!("login: scene_status {}", v["scene_status"]);
    }
    Ok(())
}

fn scene_url(base: &str, scene: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(scene.as_bytes()).collect();
    format!("{base}/api/v1/scenes/{encoded}")
}

/// One status poll; the status it answered.
pub async fn poll(http: &reqwest::Client, base: &str, c: &Created) -> anyhow::Result<String> {
    let res = http
        .get(scene_url(base, &c.scene))
        .header("X-Poll-Token", &c.poll_token)
        .send()
        .await
        .map_err(send_error("poll"))?;
    let v = json_ok::<Value>(res, "poll").await?;
    Ok(v["status"].as_str().unwrap_or_default().to_string())
}

pub async fn healthz(http: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    let res = http
        .get(format!("{base}/healthz"))
        .send()
        .await
        .map_err(send_error("healthz"))?;
    json_ok::<Value>(res, "healthz").await.map(|_| ())
}

/// An open `/events` stream.
pub struct Sse {
    res: reqwest::Response,
    buffer: Vec<u8>,
}

/// One `status` event: the status and whether it carried tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEvent {
    pub status: String,
    pub tokens: bool,
}

impl Sse {
    pub async fn open(http: &reqwest::Client, base: &str, c: &Created) -> anyhow::Result<Sse> {
        let res = http
            .get(format!("{}/events", scene_url(base, &c.scene)))
            .header("X-Poll-Token", &c.poll_token)
            .send()
            .await
            .map_err(send_error("sse"))?;
        if !res.status().is_success() {
            bail!("sse: HTTP {}", res.status().as_u16());
        }
        Ok(Sse {
            res,
            buffer: Vec::new(),
        })
    }

    /// The next `status` event; `None` when the server closed the stream.
    pub async fn next(&mut self) -> anyhow::Result<Option<StatusEvent>> {
        Ok(self.next_view().await?.map(|v| StatusEvent {
            status: v["status"].as_str().unwrap_or_default().to_string(),
            tokens: v["tokens"]["access_token"].is_string(),
        }))
    }

    /// The next `status` event's data (the scene view); `None` when the server closed.
    pub async fn next_view(&mut self) -> anyhow::Result<Option<Value>> {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let frame: Vec<u8> = self.buffer.drain(..end + 2).collect();
                let frame = String::from_utf8_lossy(&frame);
                let mut is_status = false;
                let mut data = String::new();
                for line in frame.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        is_status = v.trim() == "status";
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if is_status {
                    let v: Value = serde_json::from_str(&data).context("sse: bad data")?;
                    return Ok(Some(v));
                }
                continue;
            }
            match self.res.chunk().await.map_err(send_error("sse read"))? {
                Some(chunk) => self.buffer.extend_from_slice(&chunk),
                None => return Ok(None),
            }
        }
    }
}
