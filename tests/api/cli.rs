//! The binary as an operator runs it.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_saoma");

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_for(url: &str) -> reqwest::Response {
    for _ in 0..100 {
        if let Ok(res) = reqwest::get(url).await {
            return res;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} never answered");
}

#[test]
fn saoma_openapi_prints_the_spec() {
    let out = Command::new(BIN).arg("openapi").output().unwrap();
    assert!(out.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let generated: serde_json::Value = serde_json::from_str(&saoma::api::spec_json()).unwrap();
    assert_eq!(printed, generated);
}

#[tokio::test]
async fn saoma_sandbox_serves_the_fake_platform_alone() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let _sandbox = Running(
        Command::new(BIN)
            .args([
                "sandbox",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(data.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let res = wait_for(&format!("http://127.0.0.1:{port}/sandbox/api/stats")).await;
    assert_eq!(res.status(), 200);
    let token: serde_json::Value = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/sandbox/wechat/cgi-bin/stable_token"))
        .json(&serde_json::json!({"grant_type": "client_credential", "appid": "wxcli", "secret": "s"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(token["access_token"].is_string());
}

#[tokio::test]
async fn saoma_serve_takes_flags_and_environment_and_prints_the_url() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data.path())
        .env("SAOMA_LIMITS__SCENE_TTL_SECONDS", "42")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _serve = Running(child);
    let base = format!("http://127.0.0.1:{port}");
    wait_for(&format!("{base}/healthz")).await;

    let created: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/scenes"))
        .json(&serde_json::json!({"provider": "mini_program"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        created["expires_in"], 42,
        "SAOMA_LIMITS__SCENE_TTL_SECONDS applies"
    );
    assert!(
        data.path().join("saoma.db").exists(),
        "SQLite lives in --data-dir"
    );
    assert!(data.path().join("signing_key.pem").exists());

    let first_line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
        line
    })
    .await
    .unwrap();
    assert!(first_line.contains(&format!("{base}/")), "{first_line}");
}
