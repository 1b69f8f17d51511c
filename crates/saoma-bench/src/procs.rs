//! The processes a scenario runs against: a standalone sandbox (the fake WeChat), one or two
//! Saoma instances pointed at it, and a Redis server when asked. Each is killed when dropped.
//! Saoma and the sandbox are this binary re-run with a hidden subcommand (`_serve`,
//! `_sandbox`), which runs exactly what `saoma serve` / `saoma sandbox` run, so the server
//! is always built with the same profile as the tool; `--saoma-bin` runs another binary.

use anyhow::{Context, bail};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const MP_APP_ID: &str = "wxsaomabench00001";
pub const WEB_APP_ID: &str = "wxsaomabench00002";
pub const OA_APP_ID: &str = "wxsaomabench00003";
pub const APP_SECRET: &str = "saoma-bench-secret";
pub const OA_TOKEN: &str = "saomabenchtoken";
pub const OA_AES_KEY: &str = "SaomaBenchEncodingAESKey0123456789abcdefghi";

/// A child process, killed (and reaped) on drop.
pub struct Proc {
    pub name: String,
    pub child: Child,
    pub url: String,
}

impl Proc {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(label: &str) -> anyhow::Result<TempDir> {
        let dir = std::env::temp_dir().join(format!(
            "saoma-bench-{label}-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Where the server binaries come from.
#[derive(Clone, Debug)]
pub struct Launcher {
    /// `None`: this binary's `_serve` / `_sandbox`.
    pub saoma_bin: Option<PathBuf>,
    /// The server's log filter (`warn` by default: an access-log line per request would be
    /// measured too).
    pub log: String,
}

impl Launcher {
    /// The server command, with none of this process's `SAOMA_*` variables: Saoma refuses
    /// those it does not know (a harness's `SAOMA_BIN`, say), and the scenario sets its own.
    fn command(&self, sub: &str) -> anyhow::Result<Command> {
        let mut c = match &self.saoma_bin {
            Some(bin) => {
                let mut c = Command::new(bin);
                c.arg(sub.trim_start_matches('_'));
                c
            }
            None => {
                let me = std::env::current_exe().context("locating saoma-bench")?;
                let mut c = Command::new(me);
                c.arg(sub);
                c
            }
        };
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("SAOMA_") {
                c.env_remove(name);
            }
        }
        Ok(c)
    }

    /// The standalone sandbox on a free port; its codes point phones at `public_url`.
    pub fn sandbox(&self, data: &Path, public_url: &str) -> anyhow::Result<Proc> {
        let port = free_port()?;
        let mut cmd = self.command("_sandbox")?;
        cmd.args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(data.join("sandbox"))
            .args(["--public-url", public_url])
            .env("RUST_LOG", &self.log);
        spawn("sandbox", cmd, data, format!("http://127.0.0.1:{port}"))
    }

    /// A Saoma instance on `port` using the sandbox at `sandbox` as WeChat, with every rate
    /// limit and `slow_down` off; `extra` env vars go last (and win).
    pub fn saoma(
        &self,
        name: &str,
        port: u16,
        data: &Path,
        sandbox: &str,
        extra: &[(String, String)],
    ) -> anyhow::Result<Proc> {
        let mut cmd = self.command("_serve")?;
        let env: Vec<(&str, String)> = vec![
            ("SAOMA_LISTEN", format!("127.0.0.1:{port}")),
            ("SAOMA_DATA_DIR", data.display().to_string()),
            (
                "SAOMA_WECHAT__API_BASE",
                format!("{sandbox}/sandbox/wechat"),
            ),
            ("SAOMA_MINI_PROGRAM__APP_ID", MP_APP_ID.into()),
            ("SAOMA_MINI_PROGRAM__APP_SECRET", APP_SECRET.into()),
            ("SAOMA_WEBSITE__APP_ID", WEB_APP_ID.into()),
            ("SAOMA_WEBSITE__APP_SECRET", APP_SECRET.into()),
            ("SAOMA_OFFICIAL_ACCOUNT__APP_ID", OA_APP_ID.into()),
            ("SAOMA_OFFICIAL_ACCOUNT__APP_SECRET", APP_SECRET.into()),
            ("SAOMA_OFFICIAL_ACCOUNT__TOKEN", OA_TOKEN.into()),
            (
                "SAOMA_OFFICIAL_ACCOUNT__ENCODING_AES_KEY",
                OA_AES_KEY.into(),
            ),
            ("SAOMA_OFFICIAL_ACCOUNT__MODE", "safe".into()),
            ("SAOMA_LOG__FILTER", self.log.clone()),
            ("RUST_LOG", self.log.clone()),
            // A load test is one client address sending far faster than a browser would.
            ("SAOMA_LIMITS__POLL_INTERVAL_MS", "0".into()),
            ("SAOMA_LIMITS__SCENES_PER_IP_PER_MINUTE", "0".into()),
            ("SAOMA_LIMITS__PENDING_SCENES_PER_IP", "0".into()),
            ("SAOMA_LIMITS__MAX_SSE_PER_IP", "0".into()),
            // Every bench connection comes from one address.
            ("SAOMA_LIMITS__MAX_CONNECTIONS_PER_IP", "0".into()),
            ("SAOMA_LIMITS__FAILED_LOGINS_PER_SCENE", "0".into()),
            ("SAOMA_LIMITS__WXACODE_PER_MINUTE", "0".into()),
        ];
        for (k, v) in env {
            cmd.env(k, v);
        }
        for (k, v) in extra {
            cmd.env(k, v);
        }
        spawn(name, cmd, data, format!("http://127.0.0.1:{port}"))
    }
}

/// Start `cmd` with its output in `<data>/<name>.log`.
pub fn spawn_logged(name: &str, cmd: Command, data: &Path, url: String) -> anyhow::Result<Proc> {
    spawn(name, cmd, data, url)
}

fn spawn(name: &str, mut cmd: Command, data: &Path, url: String) -> anyhow::Result<Proc> {
    let log_path = data.join(format!("{name}.log"));
    let log = std::fs::File::create(&log_path)?;
    cmd.stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    let child = cmd.spawn().with_context(|| format!("starting {name}"))?;
    Ok(Proc {
        name: name.to_string(),
        child,
        url,
    })
}

/// A `redis-server` on a free port, without persistence.
pub fn redis(data: &Path) -> anyhow::Result<Proc> {
    let port = free_port()?;
    let mut cmd = Command::new("redis-server");
    cmd.args(["--port", &port.to_string()])
        .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(data);
    spawn("redis", cmd, data, format!("redis://127.0.0.1:{port}"))
}

/// Wait until `url` answers 2xx (the process is up), or its process died.
pub async fn wait_up(http: &reqwest::Client, proc_: &mut Proc, path: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let url = format!("{}{path}", proc_.url);
    loop {
        if let Some(status) = proc_.child.try_wait()? {
            bail!("{} exited ({status}) before answering", proc_.name);
        }
        if http
            .get(&url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{} never answered {url}", proc_.name);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Wait until a TCP port accepts (Redis).
pub async fn wait_tcp(proc_: &mut Proc) -> anyhow::Result<()> {
    let addr = proc_.url.trim_start_matches("redis://").to_string();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = proc_.child.try_wait()? {
            bail!(
                "{} exited ({status}); is redis-server installed?",
                proc_.name
            );
        }
        if tokio::net::TcpStream::connect(&addr).await.is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{} never listened on {addr}", proc_.name);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// VmRSS of `pid`, in KiB.
pub fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS line")
}

/// Raise this process's open-file limit to its hard limit (children inherit it). Returns
/// the soft limit now in force.
pub fn raise_nofile() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("could not raise RLIMIT_NOFILE: {e}");
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(0, |(soft, _)| soft)
        }
    }
}

/// User + system CPU seconds of `pid` so far (0 when unreadable).
pub fn cpu_secs(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
    // USER_HZ: 100 on every Linux the tool runs on.
    (ticks(11) + ticks(12)) / 100.0
}

/// The 1, 5 and 15 minute load averages, from /proc/loadavg.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}
