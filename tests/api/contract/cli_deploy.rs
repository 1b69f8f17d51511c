//! What a deployment asks of the binary: `--version` naming the commit, `healthcheck` for an
//! image without curl, and `saoma sandbox` ending on SIGTERM (a container's first process gets
//! no default signal handling, so one that ignores SIGTERM is killed after the stop timeout).

use crate::contract::cli::{Running, free_port, saoma, serve, wait_for};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn version_prints_the_package_version_and_the_commit() {
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(head.status.success(), "the tests run in a git checkout");
    let head = String::from_utf8(head.stdout).unwrap();

    let out = saoma().arg("--version").output().unwrap();

    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!(
            "saoma {} (commit {})\n",
            env!("CARGO_PKG_VERSION"),
            head.trim()
        )
    );
}

#[tokio::test]
async fn healthcheck_exits_0_when_the_instance_is_ready() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let _serve = Running(
        serve(port, data.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for(&format!("http://127.0.0.1:{port}/readyz")).await;

    // The address comes from the configuration, as `serve` reads it; one that listens on
    // every address is asked on loopback.
    let out = saoma()
        .arg("healthcheck")
        .env("SAOMA_LISTEN", format!("0.0.0.0:{port}"))
        .output()
        .unwrap();

    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("http://127.0.0.1:{port}/readyz answered 200 OK\n")
    );
}

#[tokio::test]
async fn healthcheck_exits_1_naming_what_is_not_ready() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let closed = free_port();
    let _serve = Running(
        serve(port, data.path())
            .env("SAOMA_STORE", "redis")
            .env("SAOMA_REDIS_URL", format!("redis://127.0.0.1:{closed}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for(&format!("http://127.0.0.1:{port}/healthz")).await;

    let out = saoma()
        .args(["healthcheck", "--url"])
        .arg(format!("http://127.0.0.1:{port}/readyz"))
        .output()
        .unwrap();

    assert_eq!(out.status.code(), Some(1), "Redis is down: not ready");
    let said = String::from_utf8(out.stderr).unwrap();
    assert!(said.contains("503"), "{said}");
    assert!(said.contains(r#""store":"unavailable""#), "{said}");
}

#[test]
fn healthcheck_exits_1_when_nothing_answers() {
    let port = free_port();

    let out = saoma()
        .arg("healthcheck")
        .env("SAOMA_LISTEN", format!("127.0.0.1:{port}"))
        .output()
        .unwrap();

    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8(out.stderr).unwrap();
    assert!(
        said.contains(&format!("asking http://127.0.0.1:{port}/readyz")),
        "{said}"
    );
}

#[tokio::test]
async fn saoma_sandbox_exits_cleanly_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut sandbox = Running(
        saoma()
            .args(["sandbox", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(data.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for(&format!("http://127.0.0.1:{port}/healthz")).await;

    let kill = Command::new("kill")
        .args(["-TERM", &sandbox.0.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());

    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = sandbox.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        status.success(),
        "it stops itself (exit 0) rather than dying of the signal: {status}"
    );
}
