//! `smoke`: every scenario once, at a tiny size (a few seconds in all), failing on any error.
//! `scripts/test.sh` runs it so that the scenarios cannot rot; the figures mean nothing.

use crate::stack::Stack;
use crate::stack::Target;
use crate::stats::Summary;
use crate::{Common, callback, create, full_login, notify, oidc_login, poll, pool_env, sse_idle};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub async fn run(drivers: &Path, saoma_bin: Option<PathBuf>) -> anyhow::Result<()> {
    crate::procs::raise_nofile();
    let target = Target {
        saoma: Vec::new(),
        sandbox: None,
        server_pid: None,
        store: "memory".into(),
        database: "sqlite".into(),
        redis_url: None,
        saoma_bin,
        server_log: "warn".into(),
    };
    let tiny = |n: usize| Common {
        n,
        duration: Duration::from_millis(800),
        target: target.clone(),
    };
    let redis = Common {
        target: Target {
            store: "redis".into(),
            ..target.clone()
        },
        ..tiny(2)
    };
    let mut summaries: Vec<Summary> = Vec::new();
    {
        let stack = Stack::start(&target, 1, &[]).await?;
        summaries.push(full_login::run(&tiny(2), &stack, "smoke: full-login (memory)").await?);
    }
    {
        let stack = Stack::start(&redis.target, 1, &pool_env(4, 1_000_000)).await?;
        crate::create::wait_for_pool(&stack, 4).await?;
        summaries.push(full_login::run(&redis, &stack, "smoke: full-login (redis, pool)").await?);
    }
    {
        let stack = Stack::start(&target, 1, &oidc_login::env("RS256")).await?;
        summaries.push(oidc_login::run(&tiny(2), &stack, "smoke: oidc-login (memory)").await?);
    }
    summaries.push(poll::run(&tiny(2), 5).await?);
    summaries.push(sse_idle::run(&tiny(20)).await?);
    summaries.push(notify::run(&tiny(2), 10).await?);
    let on_postgres = Common {
        target: Target {
            database: "postgres".into(),
            ..target.clone()
        },
        ..tiny(2)
    };
    summaries.push(notify::run(&on_postgres, 10).await?);
    summaries.push(callback::run(&tiny(2), 50, drivers).await?);
    summaries.push(create::run(&tiny(3), 4).await?);
    let mut failed = Vec::new();
    for s in &summaries {
        s.print();
        if s.errors > 0 {
            failed.push(s.title.clone());
        }
    }
    anyhow::ensure!(failed.is_empty(), "errors in: {}", failed.join(", "));
    println!(
        "\nsaoma-bench smoke: {} scenarios ran without errors",
        summaries.len()
    );
    Ok(())
}
