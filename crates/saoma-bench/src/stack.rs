//! A scenario's servers: started here, or given as URLs of running ones.

use crate::procs::{self, Launcher, Proc, TempDir};
use anyhow::Context;

/// Where the servers are, and what to start when they are not given.
#[derive(clap::Args, Clone, Debug)]
pub struct Target {
    /// A running Saoma to test (its sandbox must be reachable at --sandbox); default: start
    /// one. Give two, comma-separated, for `notify`.
    #[arg(long, value_delimiter = ',')]
    pub saoma: Vec<String>,
    /// A running standalone sandbox (`saoma sandbox`); default: start one.
    #[arg(long)]
    pub sandbox: Option<String>,
    /// PID of the running Saoma given with --saoma, for its memory figures.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Ephemeral store of the started Saoma instances.
    #[arg(long, default_value = "memory", value_parser = ["memory", "redis"])]
    pub store: String,
    /// The started instances' account database: `sqlite` (a file they share) or `postgres`
    /// (a throwaway server started here, what a cluster would share).
    #[arg(long, default_value = "sqlite", value_parser = ["sqlite", "postgres"])]
    pub database: String,
    /// With --store redis: a running Redis; default: start `redis-server` on a free port.
    #[arg(long)]
    pub redis_url: Option<String>,
    /// Run this saoma binary's `serve` and `sandbox` instead of this tool's built-in copy.
    #[arg(long)]
    pub saoma_bin: Option<std::path::PathBuf>,
    /// Log filter of the started servers.
    #[arg(long, default_value = "warn")]
    pub server_log: String,
}

/// The running servers; the started ones stop when this is dropped.
pub struct Stack {
    pub saoma: Vec<String>,
    pub sandbox: String,
    /// PIDs of the Saoma instances, when known.
    pub pids: Vec<Option<u32>>,
    pub redis_url: Option<String>,
    pub redis_pid: Option<u32>,
    pub sandbox_pid: Option<u32>,
    pub http: reqwest::Client,
    // Drop order: processes (Saoma before its database) before their directory.
    _procs: Vec<Proc>,
    _postgres: Option<crate::postgres::Postgres>,
    _dir: TempDir,
}

impl Stack {
    /// The value of metric `name` (a line `name value`) in the first instance's `/metrics`.
    pub async fn metric(&self, name: &str) -> anyhow::Result<Option<String>> {
        let text = self
            .http
            .get(format!("{}/metrics", self.saoma[0]))
            .send()
            .await?
            .text()
            .await?;
        Ok(text
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .map(|value| value.trim().to_string()))
    }

    /// Start (or attach to) `instances` Saoma instances; `extra` env goes to each started one.
    pub async fn start(
        target: &Target,
        instances: usize,
        extra: &[(String, String)],
    ) -> anyhow::Result<Stack> {
        let http = crate::client::http(None)?;
        let dir = TempDir::new("stack")?;
        if !target.saoma.is_empty() {
            anyhow::ensure!(
                target.saoma.len() >= instances,
                "this scenario needs {instances} Saoma URLs in --saoma"
            );
            let sandbox = target
                .sandbox
                .clone()
                .context("--saoma needs --sandbox (the sandbox those instances use)")?;
            let mut pids = vec![target.server_pid];
            pids.resize(instances, None);
            return Ok(Stack {
                saoma: target.saoma[..instances].to_vec(),
                sandbox,
                pids,
                redis_url: target.redis_url.clone(),
                redis_pid: None,
                sandbox_pid: None,
                http,
                _procs: Vec::new(),
                _postgres: None,
                _dir: dir,
            });
        }
        let launcher = Launcher {
            saoma_bin: target.saoma_bin.clone(),
            log: target.server_log.clone(),
        };
        let mut procs = Vec::new();
        let mut env: Vec<(String, String)> = Vec::new();
        let mut redis_url = None;
        let mut redis_pid = None;
        if target.store == "redis" || instances > 1 {
            let url = match &target.redis_url {
                Some(url) => url.clone(),
                None => {
                    let mut redis = procs::redis(&dir.0)?;
                    procs::wait_tcp(&mut redis).await?;
                    redis_pid = Some(redis.pid());
                    let url = redis.url.clone();
                    procs.push(redis);
                    url
                }
            };
            env.push(("SAOMA_STORE".into(), "redis".into()));
            env.push(("SAOMA_REDIS_URL".into(), url.clone()));
            redis_url = Some(url);
        }
        let postgres = match target.database.as_str() {
            "postgres" => Some(crate::postgres::start(&dir.0).await?),
            _ => None,
        };
        if let Some(postgres) = &postgres {
            env.push(("SAOMA_DATABASE_URL".into(), postgres.url.clone()));
        }
        env.extend(extra.iter().cloned());
        let ports = (0..instances)
            .map(|_| procs::free_port())
            .collect::<Result<Vec<_>, _>>()?;
        let first = format!("http://127.0.0.1:{}/", ports[0]);
        let mut sandbox_pid = None;
        let sandbox = match &target.sandbox {
            Some(url) => url.clone(),
            None => {
                let mut sandbox = launcher.sandbox(&dir.0, &first)?;
                procs::wait_up(&http, &mut sandbox, "/sandbox/api/stats").await?;
                sandbox_pid = Some(sandbox.pid());
                let url = sandbox.url.clone();
                procs.push(sandbox);
                url
            }
        };
        let mut saoma = Vec::new();
        let mut pids = Vec::new();
        // Instances share one data directory (the account database and the signing key), as
        // replicas behind a load balancer would.
        let data = dir.0.join("saoma");
        std::fs::create_dir_all(&data)?;
        for (i, port) in ports.iter().enumerate() {
            let name = format!("saoma-{}", char::from(b'a' + i as u8));
            let mut p = launcher.saoma(&name, *port, &data, &sandbox, &env)?;
            procs::wait_up(&http, &mut p, "/healthz").await?;
            saoma.push(p.url.clone());
            pids.push(Some(p.pid()));
            procs.push(p);
        }
        Ok(Stack {
            saoma,
            sandbox,
            pids,
            redis_url,
            redis_pid,
            sandbox_pid,
            http,
            _procs: procs,
            _postgres: postgres,
            _dir: dir,
        })
    }

    /// CPU seconds used so far by each known process, labelled.
    pub fn cpu(&self) -> Vec<(String, f64)> {
        let mut out = Vec::new();
        for (i, pid) in self.pids.iter().enumerate() {
            if let Some(pid) = pid {
                let name = format!("saoma-{}", char::from(b'a' + i as u8));
                out.push((name, procs::cpu_secs(*pid)));
            }
        }
        if let Some(pid) = self.sandbox_pid {
            out.push(("sandbox".into(), procs::cpu_secs(pid)));
        }
        if let Some(pid) = self.redis_pid {
            out.push(("redis".into(), procs::cpu_secs(pid)));
        }
        out.push(("saoma-bench".into(), procs::cpu_secs(std::process::id())));
        out
    }
}
