//! `create`: what creating a mini-program scene costs the browser, without the code pool
//! (a getwxacodeunlimit round trip to the sandbox per scene) and with it, in the same run
//! against the same sandbox. `--n` sequential creations per phase.

use crate::client;
use crate::stack::Stack;
use crate::stats::{Recorder, Summary, ms};
use crate::{Common, pool_env};
use anyhow::Context;
use std::time::{Duration, Instant};

pub async fn run(c: &Common, pool: usize) -> anyhow::Result<Summary> {
    let rec = Recorder::new();
    let n = c.n.max(1);
    // One more than the creations: a first, untimed creation takes one.
    let pool = pool.max(n + 1);
    {
        let stack = Stack::start(&c.target, 1, &[]).await?;
        creations(&stack, n, "create, no pool", &rec).await;
    }
    {
        let stack = Stack::start(&c.target, 1, &pool_env(pool, 1_000_000)).await?;
        wait_for_pool(&stack, pool).await?;
        creations(&stack, n, "create, pool warm", &rec).await;
    }
    let mut s = Summary::new("create");
    s.line("creations per phase (sequential)", n.to_string());
    s.line("pool size", pool.to_string());
    if let (Some(a), Some(b)) = (
        rec.histogram("create, no pool"),
        rec.histogram("create, pool warm"),
    ) {
        s.line(
            "p50 without / with pool",
            format!(
                "{:.3} / {:.3} ms ({:.1}x faster)",
                ms(a.value_at_quantile(0.5)),
                ms(b.value_at_quantile(0.5)),
                a.value_at_quantile(0.5) as f64 / b.value_at_quantile(0.5).max(1) as f64
            ),
        );
        s.line(
            "p99 without / with pool",
            format!(
                "{:.3} / {:.3} ms",
                ms(a.value_at_quantile(0.99)),
                ms(b.value_at_quantile(0.99))
            ),
        );
    }
    s.table = rec.table();
    s.errors = rec.error_count();
    Ok(s)
}

async fn creations(stack: &Stack, n: usize, step: &str, rec: &Recorder) {
    let base = &stack.saoma[0];
    // One untimed creation: the access token fetch and the first connection are not the
    // per-scene cost.
    let _ = client::create_scene(&stack.http, base, "mini_program", None).await;
    for _ in 0..n {
        let created = rec
            .time(
                step,
                client::create_scene(&stack.http, base, "mini_program", None),
            )
            .await;
        if created.is_ok() {
            rec.done();
        }
    }
}

/// The codes the first instance's pool holds now (`saoma_code_pool_codes`).
pub async fn pool_left(stack: &Stack) -> anyhow::Result<u64> {
    let value = stack
        .metric("saoma_code_pool_codes")
        .await?
        .context("no saoma_code_pool_codes in /metrics")?;
    Ok(value.parse()?)
}

/// Wait for `saoma_code_pool_codes` to reach `size` (a minute, plus 20 ms a code).
pub async fn wait_for_pool(stack: &Stack, size: usize) -> anyhow::Result<()> {
    let deadline =
        Instant::now() + Duration::from_secs(60) + Duration::from_millis(20) * size as u32;
    let want = size.to_string();
    eprintln!("  waiting for the pool to hold {size} codes");
    let started = Instant::now();
    loop {
        if stack.metric("saoma_code_pool_codes").await?.as_deref() == Some(want.as_str()) {
            eprintln!("  pool full after {:.1} s", started.elapsed().as_secs_f64());
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "the pool never filled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
