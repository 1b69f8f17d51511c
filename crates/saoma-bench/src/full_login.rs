//! `full-login`: N virtual browsers, each with its phone, doing the whole mini-program flow
//! in a loop: create a scene, open its SSE stream, scan, wx.login (the sandbox), log in with
//! approve, and receive the tokens on the stream.

use crate::Common;
use crate::client::{self, Created, Sse, StatusEvent};
use crate::stack::Stack;
use crate::stats::{Recorder, Summary, ms};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const STEPS: [&str; 7] = [
    "1 create scene",
    "2 sse open (first event)",
    "3 scan",
    "4 wx-login (sandbox)",
    "5 login (confirm)",
    "6 confirm -> sse tokens",
    "full login",
];

/// How many fake WeChat users the phones share.
const USERS: usize = 64;

pub async fn run(c: &Common, stack: &Stack, label: &str) -> anyhow::Result<Summary> {
    let base = stack.saoma[0].clone();
    let sandbox = stack.sandbox.clone();
    let http = client::http(None)?;
    let mut users = Vec::new();
    for i in 0..USERS.min(c.n.max(1)) {
        users.push(client::new_user(&http, &sandbox, &format!("bench{i}")).await?);
    }
    let users = Arc::new(users);
    let rec = Recorder::new();
    let early = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let cpu_before = stack.cpu();
    let started = Instant::now();
    let deadline = started + c.duration;
    let progress = rec.progress(label);
    let mut tasks = Vec::new();
    for i in 0..c.n {
        let (http, base, sandbox, users, rec, early) = (
            http.clone(),
            base.clone(),
            sandbox.clone(),
            users.clone(),
            rec.clone(),
            early.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let user = users[i % users.len()].clone();
            while Instant::now() < deadline {
                if one_login(&http, &base, &sandbox, &user, &rec, &early)
                    .await
                    .is_err()
                {
                    // Do not spin on a failing server.
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
    s.line("full logins", done.to_string());
    s.line(
        "logins/s",
        format!("{:.0}", done as f64 / elapsed.as_secs_f64()),
    );
    if let Some(h) = rec.histogram(STEPS[5]) {
        s.line(
            "tokens on SSE before the login answer",
            format!(
                "{} of {} (counted as 0 ms)",
                early.load(std::sync::atomic::Ordering::Relaxed),
                h.len()
            ),
        );
        s.line(
            "confirm -> SSE p50 / p99 / p99.9",
            format!(
                "{:.2} / {:.2} / {:.2} ms",
                ms(h.value_at_quantile(0.5)),
                ms(h.value_at_quantile(0.99)),
                ms(h.value_at_quantile(0.999))
            ),
        );
    }
    crate::cpu_lines(&mut s, &cpu_before, &stack.cpu(), elapsed);
    s.table = rec.table();
    s.errors = rec.error_count();
    Ok(s)
}

async fn one_login(
    http: &reqwest::Client,
    base: &str,
    sandbox: &str,
    user: &str,
    rec: &Recorder,
    early: &std::sync::atomic::AtomicU64,
) -> Result<(), ()> {
    let t0 = Instant::now();
    let created: Created = rec
        .time(
            STEPS[0],
            client::create_scene(http, base, "mini_program", None),
        )
        .await?;
    let t = Instant::now();
    let mut sse = match Sse::open(http, base, &created).await {
        Ok(sse) => sse,
        Err(e) => {
            rec.error(STEPS[1], &e.to_string());
            return Err(());
        }
    };
    match sse.next().await {
        Ok(Some(ev)) if ev.status == "pending" => rec.record(STEPS[1], t.elapsed()),
        other => {
            rec.error(STEPS[1], &format!("first event {other:?}"));
            return Err(());
        }
    }
    // The browser keeps reading while the phone acts.
    let reader = tokio::spawn(async move {
        loop {
            match sse.next().await {
                Ok(Some(StatusEvent { tokens: true, .. })) => return Ok(Instant::now()),
                Ok(Some(ev)) if ev.status == "scanned" => continue,
                Ok(other) => return Err(format!("unexpected event {other:?}")),
                Err(e) => return Err(e.to_string()),
            }
        }
    });
    let phone = async {
        rec.time(STEPS[2], client::scan(http, base, &created.scene))
            .await?;
        let code = rec
            .time(STEPS[3], client::wx_login(http, sandbox, user))
            .await?;
        rec.time(STEPS[4], client::login(http, base, &code, &created.scene))
            .await?;
        Ok::<Instant, ()>(Instant::now())
    };
    let confirmed_at = match phone.await {
        Ok(at) => at,
        Err(()) => {
            reader.abort();
            return Err(());
        }
    };
    let event_at = match tokio::time::timeout(Duration::from_secs(30), reader).await {
        Ok(Ok(Ok(at))) => at,
        Ok(Ok(Err(e))) => {
            rec.error(STEPS[5], &e);
            return Err(());
        }
        _ => {
            rec.error(STEPS[5], "no tokens event within 30 s");
            return Err(());
        }
    };
    if event_at < confirmed_at {
        early.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    rec.record(STEPS[5], event_at.saturating_duration_since(confirmed_at));
    rec.record(STEPS[6], event_at.saturating_duration_since(t0));
    rec.done();
    Ok(())
}
