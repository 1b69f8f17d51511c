//! A throwaway PostgreSQL server for `--database postgres`: `initdb` into the stack's directory,
//! `postgres` on a free port (fsync off: the figure is Saoma's, not the disk's), stopped with
//! the stack. As root it runs as the `postgres` user, which PostgreSQL requires. The binaries
//! come from Debian's `postgresql` package (`scripts/test.sh` installs it).

use crate::procs::{self, Proc};
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin_dir() -> anyhow::Result<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL is not installed (/usr/lib/postgresql): apt-get install postgresql")?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    found.sort();
    found
        .pop()
        .context("no initdb under /usr/lib/postgresql/*/bin")
}

fn as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `program args`, as the `postgres` user when root.
fn command(program: &Path, root: bool) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// The running server, stopped (immediate shutdown) when dropped.
pub struct Postgres {
    pub url: String,
    bin: PathBuf,
    data: PathBuf,
    root: bool,
    _proc: Proc,
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // The server may run under runuser, which a kill of the child would not reach.
        let _ = command(&self.bin.join("pg_ctl"), self.root)
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Start the server; its URL names a database `saoma` made for the run.
pub async fn start(dir: &Path) -> anyhow::Result<Postgres> {
    let bin = bin_dir()?;
    let root = as_root();
    let home = dir.join("postgres");
    std::fs::create_dir_all(&home)?;
    if root {
        let ok = Command::new("chown")
            .args(["-R", "postgres:"])
            .arg(&home)
            .status()?
            .success();
        anyhow::ensure!(ok, "chown of {} failed", home.display());
    }
    let data = home.join("data");
    let init = command(&bin.join("initdb"), root)
        .arg("-D")
        .arg(&data)
        .args(["-U", "saoma", "--auth=trust", "-E", "UTF8", "--no-sync"])
        .stdout(Stdio::null())
        .output()
        .context("running initdb")?;
    if !init.status.success() {
        bail!("initdb failed: {}", String::from_utf8_lossy(&init.stderr));
    }
    let port = procs::free_port()?;
    let mut server = command(&bin.join("postgres"), root);
    server
        .arg("-D")
        .arg(&data)
        .args(["-p", &port.to_string(), "-k"])
        .arg(&home)
        .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
        .args(["-c", "max_connections=200"]);
    let mut proc_ = procs::spawn_logged(
        "postgres",
        server,
        dir,
        format!("postgres://saoma@127.0.0.1:{port}/postgres"),
    )?;
    wait_accepting(&mut proc_, port).await?;
    let created = command(&bin.join("psql"), root)
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "saoma",
            "-d",
            "postgres",
        ])
        .args(["-c", "CREATE DATABASE saoma"])
        .stdout(Stdio::null())
        .output()
        .context("running psql")?;
    if !created.status.success() {
        bail!(
            "creating the database failed: {}",
            String::from_utf8_lossy(&created.stderr)
        );
    }
    Ok(Postgres {
        url: format!("postgres://saoma@127.0.0.1:{port}/saoma"),
        bin,
        data,
        root,
        _proc: proc_,
    })
}

async fn wait_accepting(proc_: &mut Proc, port: u16) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = proc_.child.try_wait()? {
            bail!("postgres exited ({status}) before accepting");
        }
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            // Accepting is not yet ready: give the startup a moment to finish recovery.
            tokio::time::sleep(Duration::from_millis(200)).await;
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("postgres never listened on {port}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
