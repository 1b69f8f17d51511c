//! `saoma-bench`: load scenarios against Saoma, with progress output and a summary table.
//! `cargo run --release -p saoma-bench -- <scenario> [--n N] [--duration 10s]`; see
//! BENCHMARKS.md for the commands behind the published figures.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::await_holding_lock)]

mod callback;
mod client;
mod create;
mod full_login;
mod notify;
mod oidc_login;
mod poll;
mod postgres;
mod procs;
mod receiver;
mod smoke;
mod sse_idle;
mod stack;
mod stats;

use clap::{Parser, Subcommand};
use stack::{Stack, Target};
use stats::Summary;
use std::time::Duration;

/// Load scenarios against Saoma (started here with a standalone sandbox as WeChat, or given
/// by URL). Every figure comes with the baseline it is compared to, measured in the same run.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
}

/// What every scenario takes.
#[derive(clap::Args, Clone, Debug)]
pub struct Common {
    /// Concurrency: virtual browsers, polling clients or streams (per scenario).
    #[arg(long, default_value_t = 64)]
    pub n: usize,
    /// How long the measured phase runs (`10s`, `500ms`, `2m`).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    #[command(flatten)]
    pub target: Target,
}

#[derive(Subcommand)]
enum Scenario {
    /// The whole mini-program flow; logins/s and each step's percentiles.
    FullLogin {
        #[command(flatten)]
        common: Common,
        /// Hand out pooled codes (`mini_program.pool_size`), filled before the measured
        /// phase starts; 0: no pool (every scene waits for the sandbox to draw its code).
        #[arg(long, default_value_t = 0)]
        pool: usize,
        /// The pool's refill, codes a minute (`mini_program.pool_refill_per_minute`). A low
        /// value keeps the refill out of the measured phase: logins then use codes drawn
        /// before it, and the figure is Saoma's cost without the sandbox drawing codes.
        #[arg(long, default_value_t = 1_000_000)]
        pool_refill_per_minute: u32,
        /// Deliver every event (account.created, login.succeeded) to a webhook receiver that
        /// `hang`s (never answers) or `fail`s (answers 500); `none`: no webhook.
        #[arg(long, default_value = "none", value_parser = ["none", "hang", "fail"])]
        webhook_receiver: String,
    },
    /// The same login for an OpenID client: authorize, the hosted page's scene, scan,
    /// confirm, the code, and the client's code exchange; logins/s and each step.
    OidcLogin {
        #[command(flatten)]
        common: Common,
        /// As for full-login: pooled codes filled before the measured phase (0: no pool).
        #[arg(long, default_value_t = 0)]
        pool: usize,
        /// As for full-login.
        #[arg(long, default_value_t = 1_000_000)]
        pool_refill_per_minute: u32,
        /// How the client's id_tokens are signed: `RS256` (the default) or `EdDSA`.
        #[arg(long, default_value = "RS256")]
        id_token_alg: String,
    },
    /// Status polls over many scenes, as a ratio to `/healthz` in the same run.
    Poll {
        #[command(flatten)]
        common: Common,
        /// Scenes polled (round robin).
        #[arg(long, default_value_t = 1000)]
        scenes: usize,
    },
    /// N idle SSE streams: the server's RSS per stream.
    SseIdle {
        #[command(flatten)]
        common: Common,
    },
    /// Two instances on one Redis: confirmations on B at a fixed rate, streams on A.
    Notify {
        #[command(flatten)]
        common: Common,
        /// Confirmations a second.
        #[arg(long, default_value_t = 500)]
        rate: u32,
    },
    /// Safe-mode pushes per second over HTTP; in-process decrypt + parse against wechatpy
    /// and wechat-crypto on the same messages.
    Callback {
        #[command(flatten)]
        common: Common,
        /// Messages written for the in-process comparison (each driver times them all).
        #[arg(long, default_value_t = 20_000)]
        messages: usize,
        /// Where the drivers live (bench/ of the repository).
        #[arg(long, default_value = "bench")]
        drivers: std::path::PathBuf,
    },
    /// Create-scene latency without and with the code pool, in the same run.
    Create {
        #[command(flatten)]
        common: Common,
        /// Pool size in the second phase (at least --n, so the pool never runs dry).
        #[arg(long, default_value_t = 200)]
        pool: usize,
    },
    /// Every scenario once at a tiny size (seconds), failing on any error: for scripts/test.sh.
    Smoke {
        #[arg(long, default_value = "bench")]
        drivers: std::path::PathBuf,
        #[arg(long)]
        saoma_bin: Option<std::path::PathBuf>,
    },
    /// (internal) `saoma serve`, run by the tool as a child process.
    #[command(name = "_serve", hide = true)]
    Serve,
    /// (internal) `saoma sandbox`, run by the tool as a child process.
    #[command(name = "_sandbox", hide = true)]
    Sandbox {
        #[arg(long)]
        listen: std::net::SocketAddr,
        #[arg(long)]
        data_dir: std::path::PathBuf,
        #[arg(long)]
        public_url: Option<url::Url>,
    },
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((s, "s"), |i| s.split_at(i));
    let v: f64 = num.parse().map_err(|_| format!("bad duration {s:?}"))?;
    let secs = match unit {
        "ms" => v / 1000.0,
        "s" | "" => v,
        "m" => v * 60.0,
        _ => return Err(format!("bad duration unit in {s:?} (ms, s, m)")),
    };
    Ok(Duration::from_secs_f64(secs))
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(cli.scenario))
}

async fn run(scenario: Scenario) -> anyhow::Result<()> {
    match scenario {
        Scenario::Serve => return serve().await,
        Scenario::Sandbox {
            listen,
            data_dir,
            public_url,
        } => {
            saoma::telemetry::init("text", "warn");
            let stop = saoma::shutdown::signal();
            return saoma_sandbox::serve_standalone(listen, data_dir, public_url, stop).await;
        }
        Scenario::Smoke { drivers, saoma_bin } => return smoke::run(&drivers, saoma_bin).await,
        _ => {}
    }
    let nofile = procs::raise_nofile();
    header(nofile);
    let summaries = match scenario {
        Scenario::FullLogin {
            common,
            pool,
            pool_refill_per_minute,
            webhook_receiver,
        } => {
            let mut extra = pool_env(pool, pool_refill_per_minute);
            extra.extend(receiver::start(&webhook_receiver).await?);
            let stack = Stack::start(&common.target, 1, &extra).await?;
            if pool > 0 {
                create::wait_for_pool(&stack, pool).await?;
            }
            let label = format!(
                "full-login ({} store{}{})",
                common.target.store,
                if pool > 0 { ", code pool" } else { "" },
                match webhook_receiver.as_str() {
                    "none" => String::new(),
                    kind => format!(", webhook receiver: {kind}"),
                }
            );
            let mut summary = full_login::run(&common, &stack, &label).await?;
            if pool > 0 {
                let left = create::pool_left(&stack).await?;
                let note = if left == 0 {
                    " (ran dry: later scenes waited for the sandbox; give a larger --pool)"
                } else {
                    ""
                };
                summary
                    .lines
                    .push(("codes left in the pool".into(), format!("{left}{note}")));
            }
            vec![summary]
        }
        Scenario::OidcLogin {
            common,
            pool,
            pool_refill_per_minute,
            id_token_alg,
        } => {
            let mut extra = pool_env(pool, pool_refill_per_minute);
            extra.extend(oidc_login::env(&id_token_alg));
            let stack = Stack::start(&common.target, 1, &extra).await?;
            if pool > 0 {
                create::wait_for_pool(&stack, pool).await?;
            }
            let label = format!(
                "oidc-login ({} store{}, {id_token_alg})",
                common.target.store,
                if pool > 0 { ", code pool" } else { "" }
            );
            let mut summary = oidc_login::run(&common, &stack, &label).await?;
            if pool > 0 {
                let left = create::pool_left(&stack).await?;
                summary
                    .lines
                    .push(("codes left in the pool".into(), left.to_string()));
            }
            vec![summary]
        }
        Scenario::Poll { common, scenes } => vec![poll::run(&common, scenes).await?],
        Scenario::SseIdle { common } => vec![sse_idle::run(&common).await?],
        Scenario::Notify { common, rate } => vec![notify::run(&common, rate).await?],
        Scenario::Callback {
            common,
            messages,
            drivers,
        } => vec![callback::run(&common, messages, &drivers).await?],
        Scenario::Create { common, pool } => vec![create::run(&common, pool).await?],
        Scenario::Smoke { .. } | Scenario::Serve | Scenario::Sandbox { .. } => Vec::new(),
    };
    for s in &summaries {
        s.print();
    }
    println!("\n  load average after: {}", procs::load_average());
    Ok(())
}

/// `saoma serve` as the binary's main does it, with the environment as config.
async fn serve() -> anyhow::Result<()> {
    let config = saoma::config::Config::load(None)?;
    saoma::telemetry::init(&config.log.format, &config.log.filter);
    let app = saoma::app::Application::build(config).await?;
    app.run_until_stopped().await?;
    Ok(())
}

fn header(nofile: u64) {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "saoma-bench {} ({} build): {cores} cores, load average {}, open-file limit {nofile}",
        env!("CARGO_PKG_VERSION"),
        if cfg!(debug_assertions) {
            "DEBUG: figures are not meaningful"
        } else {
            "release"
        },
        procs::load_average(),
    );
}

/// Environment turning the code pool on with `size` codes, refilled at `per_minute`.
pub fn pool_env(size: usize, per_minute: u32) -> Vec<(String, String)> {
    if size == 0 {
        return Vec::new();
    }
    vec![
        ("SAOMA_MINI_PROGRAM__POOL_SIZE".into(), size.to_string()),
        (
            "SAOMA_MINI_PROGRAM__POOL_REFILL_PER_MINUTE".into(),
            per_minute.to_string(),
        ),
    ]
}

/// CPU used by each process over the run, as a share of one core.
pub fn cpu_lines(
    s: &mut Summary,
    before: &[(String, f64)],
    after: &[(String, f64)],
    took: Duration,
) {
    let mut parts = Vec::new();
    for (name, end) in after {
        let start = before
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0.0, |(_, v)| *v);
        parts.push(format!(
            "{name} {:.0}%",
            100.0 * (end - start) / took.as_secs_f64().max(1e-9)
        ));
    }
    s.line("CPU (100% = one core)", parts.join(", "));
}
