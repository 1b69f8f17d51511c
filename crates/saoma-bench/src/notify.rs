//! `notify`: two Saoma instances on one Redis. Scenes are created on A and their SSE streams
//! held on A; a phone scans and confirms each on B, at a fixed rate. Latencies are from B's
//! answer to the matching event on A's stream (Redis pub/sub, then A's re-read; for the
//! confirmation also A's token pick-up, which is what the browser waits for).
//! Also: Redis memory per pending scene, from `INFO memory` before and after creating them.

use crate::client::{self, Created, Sse, StatusEvent};
use crate::stack::Stack;
use crate::stats::{Recorder, Summary, ms};
use crate::{Common, cpu_lines};
use futures::stream::{self, StreamExt};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

const USERS: usize = 64;
const SCAN_HEARD: &str = "B scan -> A 'scanned' event";
const CONFIRM_HEARD: &str = "B confirm -> A tokens event";
/// Tokens heard on A before B answered the phone (B confirms, publishes, then mints the
/// phone's own tokens): counted as 0 ms above.
const EARLY: &str = "(tokens on A before B's answer)";

/// What A's stream of one scene heard, and when.
struct Heard {
    scanned: Option<Instant>,
    tokens: Instant,
}

pub async fn run(c: &Common, rate: u32) -> anyhow::Result<Summary> {
    let stack = Stack::start(&c.target, 2, &[]).await?;
    let (a, b) = (stack.saoma[0].clone(), stack.saoma[1].clone());
    let sandbox = stack.sandbox.clone();
    let http = client::http(None)?;
    let total = ((f64::from(rate) * c.duration.as_secs_f64()).ceil() as usize).max(1);
    let redis = match &stack.redis_url {
        Some(url) => Some(
            redis::Client::open(url.as_str())?
                .get_multiplexed_async_connection()
                .await?,
        ),
        None => None,
    };
    let mut redis = redis;
    let before = match &mut redis {
        Some(conn) => Some(used_memory(conn).await?),
        None => None,
    };
    eprintln!("  creating {total} mini-program scenes on A");
    let created: Vec<Created> = stream::iter(0..total)
        .map(|_| client::create_scene(&http, &a, "mini_program", None))
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    let after = match &mut redis {
        Some(conn) => Some(used_memory(conn).await?),
        None => None,
    };
    let key_usage = match &mut redis {
        Some(conn) => memory_usage(conn, &created[0].scene).await.ok(),
        None => None,
    };

    eprintln!("  opening {total} streams on A");
    let rec = Recorder::new();
    let listening: Vec<(Created, oneshot::Receiver<Result<Heard, String>>)> = stream::iter(created)
        .map(|c| {
            let (http, a) = (http.clone(), a.clone());
            async move {
                let mut sse = Sse::open(&http, &a, &c).await?;
                match sse.next().await? {
                    Some(ev) if ev.status == "pending" => {}
                    other => anyhow::bail!("first event {other:?}"),
                }
                let (tx, rx) = oneshot::channel();
                tokio::spawn(async move {
                    let _ = tx.send(listen(sse).await);
                });
                Ok((c, rx))
            }
        })
        .buffer_unordered(256)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;

    let mut users = Vec::new();
    for i in 0..USERS {
        users.push(client::new_user(&http, &sandbox, &format!("notify{i}")).await?);
    }
    let users = Arc::new(users);
    let cpu_before = stack.cpu();
    let started = Instant::now();
    let progress = rec.progress("notify");
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate.max(1))));
    let mut tasks = Vec::new();
    for (i, (scene, heard)) in listening.into_iter().enumerate() {
        tick.tick().await;
        let (http, b, sandbox, users, rec) = (
            http.clone(),
            b.clone(),
            sandbox.clone(),
            users.clone(),
            rec.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let user = &users[i % users.len()];
            let Ok(()) = rec
                .time("scan on B", client::scan(&http, &b, &scene.scene))
                .await
            else {
                return;
            };
            let scanned = Instant::now();
            let Ok(code) = rec
                .time(
                    "wx-login (sandbox)",
                    client::wx_login(&http, &sandbox, user),
                )
                .await
            else {
                return;
            };
            let Ok(()) = rec
                .time("login on B", client::login(&http, &b, &code, &scene.scene))
                .await
            else {
                return;
            };
            let confirmed = Instant::now();
            match tokio::time::timeout(Duration::from_secs(30), heard).await {
                Ok(Ok(Ok(h))) => {
                    if let Some(at) = h.scanned {
                        rec.record(SCAN_HEARD, at.saturating_duration_since(scanned));
                    }
                    if h.tokens < confirmed {
                        rec.record(EARLY, Duration::ZERO);
                    }
                    rec.record(CONFIRM_HEARD, h.tokens.saturating_duration_since(confirmed));
                    rec.done();
                }
                Ok(Ok(Err(e))) => rec.error("A's stream", &e),
                _ => rec.error("A's stream", "no tokens event within 30 s"),
            }
        }));
    }
    let sent_in = started.elapsed();
    for t in tasks {
        let _ = t.await;
    }
    drop(progress);
    let elapsed = started.elapsed();
    let mut s = Summary::new(format!(
        "notify (two instances, one Redis, accounts in {})",
        c.target.database
    ));
    s.line("confirmations asked", format!("{total} at {rate}/s"));
    s.line(
        "confirmations sent in",
        format!(
            "{:.2} s ({:.0}/s achieved)",
            sent_in.as_secs_f64(),
            total as f64 / sent_in.as_secs_f64()
        ),
    );
    s.line("heard on A", rec.done_count().to_string());
    for step in [SCAN_HEARD, CONFIRM_HEARD] {
        if let Some(h) = rec.histogram(step) {
            s.line(
                format!("{step} p50/p99/p99.9"),
                format!(
                    "{:.2} / {:.2} / {:.2} ms",
                    ms(h.value_at_quantile(0.5)),
                    ms(h.value_at_quantile(0.99)),
                    ms(h.value_at_quantile(0.999))
                ),
            );
        }
    }
    if let (Some(b0), Some(a0)) = (before, after) {
        s.line(
            "Redis used_memory per pending scene",
            format!(
                "{:.0} B (target <= 300)",
                (a0.saturating_sub(b0)) as f64 / total as f64
            ),
        );
    }
    if let Some(u) = key_usage {
        s.line("MEMORY USAGE of one scene key", format!("{u} B"));
    }
    cpu_lines(&mut s, &cpu_before, &stack.cpu(), elapsed);
    s.table = rec.table();
    s.errors = rec.error_count();
    Ok(s)
}

/// Read A's stream to the tokens, noting when `scanned` came.
async fn listen(mut sse: Sse) -> Result<Heard, String> {
    let mut scanned = None;
    loop {
        match sse.next().await {
            Ok(Some(StatusEvent { tokens: true, .. })) => {
                return Ok(Heard {
                    scanned,
                    tokens: Instant::now(),
                });
            }
            Ok(Some(ev)) if ev.status == "scanned" => scanned = Some(Instant::now()),
            Ok(other) => return Err(format!("unexpected event {other:?}")),
            Err(e) => return Err(e.to_string()),
        }
    }
}

async fn used_memory(conn: &mut redis::aio::MultiplexedConnection) -> anyhow::Result<u64> {
    let info: String = redis::cmd("INFO").arg("memory").query_async(conn).await?;
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no used_memory in INFO"))
}

async fn memory_usage(
    conn: &mut redis::aio::MultiplexedConnection,
    scene: &str,
) -> anyhow::Result<u64> {
    Ok(redis::cmd("MEMORY")
        .arg("USAGE")
        .arg(format!("sc:{{{scene}}}"))
        .query_async(conn)
        .await?)
}
