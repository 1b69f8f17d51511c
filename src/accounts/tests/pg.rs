//! A throwaway PostgreSQL cluster for the contract suite: `initdb` into a temporary directory,
//! `pg_ctl start` on a free port with its socket in that directory, stopped on drop. As root,
//! the server runs as the `postgres` user (PostgreSQL refuses to run as root). Nothing depends
//! on a system service. `scripts/test.sh` installs PostgreSQL when it is missing.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
    pub(crate) port: u16,
}

impl PgCluster {
    /// `None` when PostgreSQL is not installed and `SAOMA_TEST_SKIP_POSTGRES=1` says to skip.
    pub(crate) fn start() -> Option<PgCluster> {
        let Some(bin) = find_bin() else {
            if std::env::var("SAOMA_TEST_SKIP_POSTGRES").as_deref() == Ok("1") {
                eprintln!("PostgreSQL not installed: skipping (SAOMA_TEST_SKIP_POSTGRES=1)");
                return None;
            }
            panic!(
                "PostgreSQL (initdb, pg_ctl under /usr/lib/postgresql/*/bin) is not installed: \
                 run scripts/test.sh, which installs it, or set SAOMA_TEST_SKIP_POSTGRES=1"
            );
        };
        let dir = tempfile::Builder::new()
            .prefix("saoma-pg-")
            .tempdir()
            .unwrap();
        let as_postgres = output("id", &["-u"]).trim() == "0";
        if as_postgres {
            run("chown", &["-R", "postgres:", path(dir.path())]);
        }
        let port = free_port();
        let cluster = PgCluster {
            dir,
            bin,
            as_postgres,
            port,
        };
        let data = cluster.dir.path().join("data");
        cluster.pg(
            "initdb",
            &[
                "-D",
                path(&data),
                "-U",
                "saoma",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let options = format!(
            "-k {} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off",
            cluster.dir.path().display()
        );
        let log = cluster.dir.path().join("server.log");
        cluster.pg(
            "pg_ctl",
            &[
                "-D",
                path(&data),
                "-l",
                path(&log),
                "-o",
                &options,
                "-w",
                "start",
            ],
        );
        Some(cluster)
    }

    /// A URL to a database of its own, created for the caller.
    pub(crate) async fn fresh_database(&self, name: &str) -> String {
        use sqlx::Connection;
        let admin = format!("postgres://saoma@127.0.0.1:{}/postgres", self.port);
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        format!("postgres://saoma@127.0.0.1:{}/{name}", self.port)
    }

    fn pg(&self, program: &str, args: &[&str]) {
        let program = self.bin.join(program);
        if self.as_postgres {
            let mut full = vec!["-u", "postgres", "--", path(&program)];
            full.extend_from_slice(args);
            run("runuser", &full);
        } else {
            run(path(&program), args);
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let program = self.bin.join("pg_ctl");
        let args = ["-D", path(&data), "-m", "immediate", "-w", "stop"];
        let status = if self.as_postgres {
            Command::new("runuser")
                .args(["-u", "postgres", "--", path(&program)])
                .args(args)
                .status()
        } else {
            Command::new(&program).args(args).status()
        };
        if !matches!(status, Ok(s) if s.success()) {
            eprintln!("could not stop the test PostgreSQL cluster: {status:?}");
        }
    }
}

/// The newest installed version's bin directory that has both `initdb` and `pg_ctl`.
fn find_bin() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").exists() && bin.join("pg_ctl").exists()).then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn output(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}
