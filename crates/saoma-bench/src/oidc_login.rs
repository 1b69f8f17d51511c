//! `oidc-login`: N virtual browsers logging in to an OpenID client through Saoma, each with its
//! phone, in a loop: authorize (which answers with the hosted login page), the page's scene, its
//! SSE stream, scan, wx.login, confirm, the resume link (the code), and the client's code
//! exchange.

use crate::Common;
use crate::client::{self, Created, Sse};
use crate::stack::Stack;
use crate::stats::{Recorder, Summary};
use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const STEPS: [&str; 8] = [
    "1 authorize (the login page)",
    "2 scene",
    "3 sse open (first event)",
    "4 scan + wx-login + confirm",
    "5 confirm -> sse redirect",
    "6 resume (code)",
    "7 token (code exchange)",
    "oidc login",
];

const USERS: usize = 64;
const CLIENT: &str = "bench";
const SECRET: &str = "bench-secret";
const CALLBACK: &str = "http://127.0.0.1:9/callback";

/// The Saoma settings this scenario needs: one confidential client whose id_tokens are
/// signed with `alg` (`RS256` or `EdDSA`).
pub fn env(alg: &str) -> Vec<(String, String)> {
    vec![(
        "SAOMA_OIDC__CLIENTS".into(),
        format!(
            "[{{client_id=\"{CLIENT}\",client_secret=\"{SECRET}\",\
             redirect_uris=[\"{CALLBACK}\"],name=\"Bench\",\
             id_token_signed_response_alg=\"{alg}\"}}]"
        ),
    )]
}

pub async fn run(c: &Common, stack: &Stack, label: &str) -> anyhow::Result<Summary> {
    let base = stack.saoma[0].clone();
    let sandbox = stack.sandbox.clone();
    let http = client::http(None)?;
    // The browser's own redirects are read, not followed.
    let browser = reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(usize::MAX)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let mut users = Vec::new();
    for i in 0..USERS.min(c.n.max(1)) {
        users.push(client::new_user(&http, &sandbox, &format!("oidc{i}")).await?);
    }
    let users = Arc::new(users);
    let rec = Recorder::new();
    let cpu_before = stack.cpu();
    let started = Instant::now();
    let deadline = started + c.duration;
    let progress = rec.progress(label);
    let mut tasks = Vec::new();
    for i in 0..c.n {
        let (http, browser, base, sandbox, users, rec) = (
            http.clone(),
            browser.clone(),
            base.clone(),
            sandbox.clone(),
            users.clone(),
            rec.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let user = users[i % users.len()].clone();
            let login = Login {
                http: &http,
                browser: &browser,
                base: &base,
                sandbox: &sandbox,
                user: &user,
                rec: &rec,
            };
            while Instant::now() < deadline {
                if let Err(e) = login.once().await {
                    rec.error("oidc login", &format!("{e:#}"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    drop(progress);
    let elapsed = started.elapsed();
    let done = rec.done_count();
    let mut s = Summary::new(label.to_string());
    s.line("virtual browsers (and phones)", c.n.to_string());
    s.line("elapsed", format!("{:.1} s", elapsed.as_secs_f64()));
    s.line("oidc logins (code exchanged)", done.to_string());
    s.line(
        "logins/s",
        format!("{:.0}", done as f64 / elapsed.as_secs_f64()),
    );
    crate::cpu_lines(&mut s, &cpu_before, &stack.cpu(), elapsed);
    s.table = rec.table();
    s.errors = rec.error_count();
    Ok(s)
}

struct Login<'a> {
    http: &'a reqwest::Client,
    browser: &'a reqwest::Client,
    base: &'a str,
    sandbox: &'a str,
    user: &'a str,
    rec: &'a Recorder,
}

impl Login<'_> {
    async fn once(&self) -> anyhow::Result<()> {
        let (base, rec) = (self.base, self.rec);
        let t0 = Instant::now();
        let res = self
            .browser
            .get(format!("{base}/oidc/authorize"))
            .query(&[
                ("client_id", CLIENT),
                ("redirect_uri", CALLBACK),
                ("response_type", "code"),
                ("scope", "openid profile"),
                ("state", "bench"),
                ("nonce", "bench"),
            ])
            .send()
            .await?;
        if res.status().as_u16() != 200 {
            bail!("authorize: HTTP {} (expected the login page)", res.status());
        }
        let html = res.text().await?;
        let request = html
            .split("data-request=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .context("authorize: not the login page")?
            .to_string();
        rec.record(STEPS[0], t0.elapsed());

        let t = Instant::now();
        let res = self
            .browser
            .post(format!("{base}/oidc/login/scene"))
            .json(&json!({ "request": request }))
            .send()
            .await?;
        let cookies: Vec<String> = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string))
            .filter(|c| c.starts_with("saoma_login_"))
            .collect();
        let created: Value = res.error_for_status()?.json().await?;
        let created = Created {
            scene: created["scene"].as_str().context("no scene")?.into(),
            poll_token: created["poll_token"]
                .as_str()
                .context("no poll token")?
                .into(),
        };
        rec.record(STEPS[1], t.elapsed());

        let t = Instant::now();
        let mut sse = Sse::open(self.http, base, &created).await?;
        match sse.next_view().await? {
            Some(v) if v["status"] == "pending" => rec.record(STEPS[2], t.elapsed()),
            other => bail!("sse: first event {other:?}"),
        }
        let reader = tokio::spawn(async move {
            loop {
                match sse.next_view().await {
                    Ok(Some(v)) if v["redirect"].is_string() => {
                        return Ok((
                            Instant::now(),
                            v["redirect"].as_str().unwrap_or_default().to_string(),
                        ));
                    }
                    Ok(Some(v)) if v["status"] == "scanned" => continue,
                    Ok(other) => return Err(anyhow::anyhow!("sse: unexpected {other:?}")),
                    Err(e) => return Err(e),
                }
            }
        });
        let t = Instant::now();
        client::scan(self.http, base, &created.scene).await?;
        let code = client::wx_login(self.http, self.sandbox, self.user).await?;
        client::login(self.http, base, &code, &created.scene).await?;
        let confirmed_at = Instant::now();
        rec.record(STEPS[3], t.elapsed());
        let (event_at, resume) = tokio::time::timeout(Duration::from_secs(30), reader)
            .await
            .context("no redirect event within 30 s")???;
        rec.record(STEPS[4], event_at.saturating_duration_since(confirmed_at));

        let t = Instant::now();
        let res = self
            .browser
            .get(format!("{base}{resume}"))
            .header("Cookie", cookies.join("; "))
            .send()
            .await?;
        let callback = location(&res, 303).context("resume")?;
        let code = url::Url::parse(&callback)?
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.to_string())
            .context("resume: no code")?;
        rec.record(STEPS[5], t.elapsed());

        let t = Instant::now();
        let res = self
            .http
            .post(format!("{base}/oidc/token"))
            .basic_auth(CLIENT, Some(SECRET))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", CALLBACK),
            ])
            .send()
            .await?;
        let tokens: Value = res.error_for_status()?.json().await?;
        if !tokens["id_token"].is_string() {
            bail!("token: no id_token");
        }
        rec.record(STEPS[6], t.elapsed());
        rec.record(STEPS[7], t0.elapsed());
        rec.done();
        Ok(())
    }
}

fn location(res: &reqwest::Response, status: u16) -> anyhow::Result<String> {
    if res.status().as_u16() != status {
        bail!("HTTP {} (expected {status})", res.status());
    }
    Ok(res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .context("no Location")?
        .to_string())
}
