//! `sse-idle`: N idle SSE streams held open on one Saoma; the server's RSS (VmRSS) before and
//! after opening them, per stream. The scenes are created first (website provider: no code
//! to draw) so that their own memory is in the "before" figure.
//!
//! Each stream is one connection, so one file descriptor in the server and one here: the
//! tool raises its RLIMIT_NOFILE to the hard limit (its child servers inherit it), and a
//! server that holds 50,000 streams needs `ulimit -n` of at least 50,000 plus its other files.

use crate::client::{self, Created, Sse};
use crate::procs;
use crate::stack::Stack;
use crate::stats::{Recorder, Summary};
use crate::{Common, cpu_lines};
use futures::stream::{self, StreamExt};
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

/// Connections per local address (the ephemeral port range holds ~28,000).
const PER_ADDRESS: usize = 20_000;
const PARALLEL: usize = 256;

pub async fn run(c: &Common) -> anyhow::Result<Summary> {
    let stack = Stack::start(&c.target, 1, &[]).await?;
    let base = stack.saoma[0].clone();
    let pid = stack.pids[0];
    let n = c.n.max(1);
    eprintln!("  creating {n} scenes");
    let http = client::http(None)?;
    let created: Vec<Created> = stream::iter(0..n)
        .map(|_| client::create_scene(&http, &base, "website", None))
        .buffer_unordered(64)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    let clients = (0..n.div_ceil(PER_ADDRESS))
        .map(|i| client::http(Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + i as u8)))))
        .collect::<Result<Vec<_>, _>>()?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = pid.map(procs::rss_kib).transpose()?;
    let rec = Recorder::new();
    let cpu_before = stack.cpu();
    let started = Instant::now();
    let progress = rec.progress("sse-idle: opening");
    let opened: Vec<Option<Sse>> = stream::iter(created.iter().enumerate())
        .map(|(i, c)| {
            let (http, base, rec) = (&clients[i / PER_ADDRESS], &base, &rec);
            async move {
                let t = Instant::now();
                let mut sse = match Sse::open(http, base, c).await {
                    Ok(sse) => sse,
                    Err(e) => {
                        rec.error("open", &e.to_string());
                        return None;
                    }
                };
                match sse.next().await {
                    Ok(Some(ev)) if ev.status == "pending" => {
                        rec.record("open (first event)", t.elapsed());
                        rec.done();
                        Some(sse)
                    }
                    other => {
                        rec.error("open", &format!("first event {other:?}"));
                        None
                    }
                }
            }
        })
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    drop(progress);
    let open = opened.iter().filter(|s| s.is_some()).count();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = pid.map(procs::rss_kib).transpose()?;
    let gauge = open_streams(&stack).await.unwrap_or_default();
    let mut s = Summary::new("sse-idle");
    s.line("streams asked / open", format!("{n} / {open}"));
    s.line("saoma_sse_streams (server gauge)", gauge);
    if let (Some(b), Some(a)) = (before, after) {
        let per = (a.saturating_sub(b) as f64 * 1024.0) / open.max(1) as f64;
        s.line("server RSS before / after", format!("{b} / {a} KiB"));
        s.line(
            "server RSS per idle stream (target <= 8 KiB)",
            format!("{per:.0} B ({:.2} KiB)", per / 1024.0),
        );
    } else {
        s.line("server RSS", "unknown: give --server-pid");
    }
    if let Some(pid) = pid {
        s.line("server open-file limit", nofile_of(pid));
    }
    cpu_lines(&mut s, &cpu_before, &stack.cpu(), started.elapsed());
    s.table = rec.table();
    s.errors = rec.error_count();
    drop(opened);
    Ok(s)
}

async fn open_streams(stack: &Stack) -> anyhow::Result<String> {
    Ok(stack
        .metric("saoma_sse_streams")
        .await?
        .unwrap_or_else(|| "?".to_string()))
}

/// "soft / hard" from /proc/<pid>/limits.
fn nofile_of(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/limits"))
        .ok()
        .and_then(|l| {
            l.lines()
                .find(|l| l.starts_with("Max open files"))
                .map(|l| {
                    let v: Vec<&str> = l.split_whitespace().collect();
                    format!(
                        "{} / {}",
                        v.get(3).unwrap_or(&"?"),
                        v.get(4).unwrap_or(&"?")
                    )
                })
        })
        .unwrap_or_default()
}
