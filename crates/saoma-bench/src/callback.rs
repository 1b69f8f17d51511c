//! `callback`: the official account's safe-mode pushes (AES, `msg_signature`), signed and
//! encrypted by the sandbox's WeChat-side crypto (`saoma_sandbox::crypto`). First over
//! HTTP: N clients post pre-built pushes (text messages, each new: its own nonce, openid and
//! MsgId) to Saoma's callback; pushes/s. Then in-process: the same messages through Saoma's
//! `wechat::callback` functions (envelope parse, `msg_signature`, decrypt, message parse),
//! and through wechatpy (`WeChatCrypto.decrypt_message` + `parse_message`) and the npm
//! package `wechat-crypto` (+ xml2js, which the `wechat` middleware parses with), each on
//! one core, in the same run.

use crate::procs::{OA_AES_KEY, OA_APP_ID, OA_TOKEN, TempDir};
use crate::stack::Stack;
use crate::stats::{Recorder, Summary};
use crate::{Common, cpu_lines};
use anyhow::{Context, bail};
use saoma::wechat::callback;
use saoma_sandbox::crypto;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Each in-process measurement runs at least this long (whole passes over the messages).
const MIN_SECONDS: f64 = 1.0;

/// One signed push, as WeChat sends it.
#[derive(serde::Serialize)]
struct Push {
    timestamp: String,
    nonce: String,
    signature: String,
    msg_signature: String,
    openid: String,
    xml: String,
}

fn build(count: usize, salt: &str) -> anyhow::Result<Vec<Push>> {
    let key = crypto::AesKey::parse(OA_AES_KEY).map_err(|e| anyhow::anyhow!("{e}"))?;
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let openid = format!("obench{salt}{i:012}");
        let message = format!(
            "<xml><ToUserName><![CDATA[gh_saomabench]]></ToUserName>\
             <FromUserName><![CDATA[{openid}]]></FromUserName>\
             <CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>\
             <Content><![CDATA[你好，扫码登录 {i}]]></Content><MsgId>{salt}{i:012}</MsgId></xml>"
        );
        let random: [u8; 16] = rand::random();
        let encrypt = crypto::encrypt(&key, OA_APP_ID, message.as_bytes(), &random);
        let nonce = format!("{salt}{i}");
        out.push(Push {
            signature: crypto::signature(OA_TOKEN, &timestamp, &nonce),
            msg_signature: crypto::msg_signature(OA_TOKEN, &timestamp, &nonce, &encrypt),
            xml: format!(
                "<xml><ToUserName><![CDATA[gh_saomabench]]></ToUserName>\
                 <Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
            ),
            timestamp: timestamp.clone(),
            nonce,
            openid,
        });
    }
    Ok(out)
}

pub async fn run(c: &Common, messages: usize, drivers: &Path) -> anyhow::Result<Summary> {
    let messages = messages.max(1);
    let mut s = Summary::new("callback (official account, safe mode)");
    let rec = Recorder::new();
    let http_count = messages * 10;
    eprintln!("  building {http_count} pushes for HTTP, {messages} for the in-process comparison");
    let pushes = Arc::new(build(http_count, "h")?);
    let same = build(messages, "p")?;

    let stack = Stack::start(&c.target, 1, &[]).await?;
    let cpu_before = stack.cpu();
    let started = Instant::now();
    let sent = over_http(c, &stack.saoma[0], pushes.clone(), &rec).await?;
    let took = started.elapsed();
    s.line("HTTP clients", c.n.to_string());
    s.line(
        "HTTP pushes answered success",
        format!("{sent} in {:.2} s", took.as_secs_f64()),
    );
    s.line(
        "HTTP pushes/s",
        format!("{:.0}", sent as f64 / took.as_secs_f64()),
    );
    cpu_lines(&mut s, &cpu_before, &stack.cpu(), took);
    drop(stack);

    let file = TempDir::new("callback")?;
    let path = file.0.join("messages.jsonl");
    write_messages(&path, &same)?;
    let ours = tokio::task::spawn_blocking(move || in_process(&same)).await??;
    s.line(
        "in-process decrypt + parse, saoma (1 core)",
        format!("{ours:.0} ops/s"),
    );
    let python = driver(
        &[
            "python3",
            &drivers.join("wechatpy_decrypt.py").display().to_string(),
        ],
        &path,
    )?;
    let node = driver(
        &[
            "node",
            &drivers
                .join("wechat_crypto_decrypt.js")
                .display()
                .to_string(),
        ],
        &path,
    )?;
    for (who, ops) in [&python, &node] {
        s.line(
            format!("in-process, {who} (1 core)"),
            format!("{ops:.0} ops/s"),
        );
    }
    s.line(
        "saoma / wechatpy (target >= 10)",
        format!("{:.1}x", ours / python.1),
    );
    s.line(
        "saoma / wechat-crypto + xml2js",
        format!("{:.1}x", ours / node.1),
    );
    s.table = rec.table();
    s.errors = rec.error_count();
    Ok(s)
}

async fn over_http(
    c: &Common,
    base: &str,
    pushes: Arc<Vec<Push>>,
    rec: &Recorder,
) -> anyhow::Result<u64> {
    let http = crate::client::http(None)?;
    let url = format!("{base}/api/v1/official-account/callback");
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + c.duration;
    let progress = rec.progress("callback over HTTP");
    let mut tasks = Vec::new();
    for _ in 0..c.n {
        let (http, url, pushes, next, rec) = (
            http.clone(),
            url.clone(),
            pushes.clone(),
            next.clone(),
            rec.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut ok = 0u64;
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(p) = pushes.get(i) else { break };
                let query = [
                    ("signature", p.signature.as_str()),
                    ("timestamp", &p.timestamp),
                    ("nonce", &p.nonce),
                    ("openid", &p.openid),
                    ("encrypt_type", "aes"),
                    ("msg_signature", &p.msg_signature),
                ];
                let sent = http
                    .post(&url)
                    .query(&query)
                    .header("Content-Type", "text/xml")
                    .body(p.xml.clone())
                    .send();
                let answer = rec.time("push", async {
                    let res = sent.await?;
                    let status = res.status();
                    let body = res.text().await?;
                    if status.is_success() && body == "success" {
                        Ok(())
                    } else {
                        Err(anyhow::anyhow!("HTTP {} {body:.60}", status.as_u16()))
                    }
                });
                if answer.await.is_ok() {
                    ok += 1;
                    rec.done();
                }
            }
            ok
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap_or(0);
    }
    drop(progress);
    if next.load(Ordering::Relaxed) >= pushes.len() {
        eprintln!("  note: every pre-built push was sent before the duration ended");
    }
    Ok(total)
}

/// What Saoma does with an encrypted push, minus HTTP and the store: the envelope, its
/// `msg_signature`, the AES, the message. Whole passes for at least `MIN_SECONDS`.
fn in_process(pushes: &[Push]) -> anyhow::Result<f64> {
    let key = callback::AesKey::parse(OA_AES_KEY).map_err(|e| anyhow::anyhow!("{e}"))?;
    let started = Instant::now();
    let mut done = 0u64;
    loop {
        for p in pushes {
            let envelope = callback::parse(p.xml.as_bytes()).map_err(|e| anyhow::anyhow!("{e}"))?;
            let encrypt = envelope.get("Encrypt").context("no Encrypt")?;
            let expected = callback::msg_signature(OA_TOKEN, &p.timestamp, &p.nonce, encrypt);
            if !callback::verify(&expected, &p.msg_signature) {
                bail!("bad msg_signature");
            }
            let message =
                callback::decrypt(&key, OA_APP_ID, encrypt).map_err(|e| anyhow::anyhow!("{e}"))?;
            let fields = callback::parse(&message).map_err(|e| anyhow::anyhow!("{e}"))?;
            if fields.get("MsgType") != Some("text") {
                bail!("not a text message");
            }
            done += 1;
        }
        if started.elapsed().as_secs_f64() >= MIN_SECONDS {
            break;
        }
    }
    Ok(done as f64 / started.elapsed().as_secs_f64())
}

fn write_messages(path: &Path, pushes: &[Push]) -> anyhow::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    for p in pushes {
        serde_json::to_writer(&mut f, p)?;
        f.write_all(b"\n")?;
    }
    f.flush()?;
    Ok(())
}

/// Run a driver on the messages; it prints one JSON line `{library, ops_per_sec}`.
fn driver(cmd: &[&str], messages: &Path) -> anyhow::Result<(String, f64)> {
    let out = std::process::Command::new(cmd[0])
        .args(&cmd[1..])
        .arg(messages)
        .args([OA_TOKEN, OA_AES_KEY, OA_APP_ID, &MIN_SECONDS.to_string()])
        .output()
        .with_context(|| format!("running {}", cmd.join(" ")))?;
    if !out.status.success() {
        bail!(
            "{} failed ({}): {}\n(install the drivers: pip install -r bench/requirements.txt; \
             cd bench && npm ci)",
            cmd.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let line = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(line.trim())
        .with_context(|| format!("{} printed {line:?}", cmd.join(" ")))?;
    let ops = v["ops_per_sec"].as_f64().context("no ops_per_sec")?;
    let library = v["library"].as_str().unwrap_or(cmd[1]).to_string();
    Ok((library, ops))
}
