//! `poll`: status polls over many waiting scenes, compared with `/healthz` (the cheapest
//! route through the same server, middleware and connection handling) in the same run. The
//! two alternate in short rounds so that a change of machine load hits both alike.

use crate::client::{self, Created};
use crate::stack::Stack;
use crate::stats::{Recorder, Summary};
use crate::{Common, cpu_lines};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const ROUNDS: u32 = 4;

pub async fn run(c: &Common, scenes: usize) -> anyhow::Result<Summary> {
    let stack = Stack::start(&c.target, 1, &[]).await?;
    let base = stack.saoma[0].clone();
    let http = client::http(None)?;
    eprintln!("  creating {scenes} scenes (website provider: no code to draw)");
    let mut created = Vec::with_capacity(scenes);
    for _ in 0..scenes.max(1) {
        created.push(client::create_scene(&http, &base, "website", None).await?);
    }
    let created = Arc::new(created);
    let rec = Recorder::new();
    let cpu_before = stack.cpu();
    let started = Instant::now();
    let round = c.duration / (2 * ROUNDS);
    let (mut health_n, mut poll_n) = (0u64, 0u64);
    let (mut health_t, mut poll_t) = (Duration::ZERO, Duration::ZERO);
    let progress = rec.progress("poll");
    for _ in 0..ROUNDS {
        let t = Instant::now();
        health_n += phase(c.n, round, &http, &base, &rec, None).await;
        health_t += t.elapsed();
        let t = Instant::now();
        poll_n += phase(c.n, round, &http, &base, &rec, Some(created.clone())).await;
        poll_t += t.elapsed();
    }
    drop(progress);
    let health_rate = health_n as f64 / health_t.as_secs_f64();
    let poll_rate = poll_n as f64 / poll_t.as_secs_f64();
    let mut s = Summary::new("poll");
    s.line("concurrent clients", c.n.to_string());
    s.line("scenes polled", scenes.to_string());
    s.line("GET /healthz", format!("{health_rate:.0} req/s"));
    s.line(
        "GET /api/v1/scenes/{scene}",
        format!("{poll_rate:.0} req/s"),
    );
    s.line(
        "polls / healthz (target >= 0.5)",
        format!("{:.2}", poll_rate / health_rate),
    );
    cpu_lines(&mut s, &cpu_before, &stack.cpu(), started.elapsed());
    s.table = rec.table();
    s.errors = rec.error_count();
    Ok(s)
}

/// `n` clients for `length`: polls over `scenes`, or `/healthz` when `None`. Returns the
/// number of successful requests.
async fn phase(
    n: usize,
    length: Duration,
    http: &reqwest::Client,
    base: &str,
    rec: &Recorder,
    scenes: Option<Arc<Vec<Created>>>,
) -> u64 {
    let deadline = Instant::now() + length;
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..n {
        let (http, base, rec, scenes, next) = (
            http.clone(),
            base.to_string(),
            rec.clone(),
            scenes.clone(),
            next.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut ok = 0u64;
            while Instant::now() < deadline {
                let result = match &scenes {
                    None => rec.time("healthz", client::healthz(&http, &base)).await,
                    Some(scenes) => {
                        let i = next.fetch_add(1, Ordering::Relaxed) % scenes.len();
                        rec.time("poll", client::poll(&http, &base, &scenes[i]))
                            .await
                            .map(|_| ())
                    }
                };
                if result.is_ok() {
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
    total
}
