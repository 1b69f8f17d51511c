//! The binary as an operator runs it.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_saoma");

/// The binary, with none of this process's `SAOMA_*` variables (Saoma refuses those it does
/// not know, and a test's environment is not the operator's).
pub fn saoma() -> Command {
    let mut command = Command::new(BIN);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("SAOMA_") {
            command.env_remove(name);
        }
    }
    command
}

/// `saoma serve` on `127.0.0.1:port` with its data in `data`, as an operator starts it.
pub fn serve(port: u16, data: &std::path::Path) -> Command {
    let mut command = saoma();
    command
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data);
    command
}

pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub async fn wait_for(url: &str) -> reqwest::Response {
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
    let out = saoma().arg("openapi").output().unwrap();
    assert!(out.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let generated: serde_json::Value = serde_json::from_str(&saoma::app::spec_json()).unwrap();
    assert_eq!(printed, generated);
}

#[tokio::test]
async fn saoma_sandbox_serves_the_fake_platform_alone() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let _sandbox = Running(
        saoma()
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
    let health = wait_for(&format!("http://127.0.0.1:{port}/healthz")).await;
    assert_eq!(health.status(), 200, "an orchestrator can tell it is up");
    let health: serde_json::Value = health.json().await.unwrap();
    assert_eq!(health["status"], "ok");
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
    let mut child = crate::contract::cli::serve(port, data.path())
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

#[tokio::test]
async fn no_secret_reaches_the_logs_even_at_debug_level() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let log_path = data.path().join("stderr.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let _serve = Running(
        crate::contract::cli::serve(port, data.path())
            .env("RUST_LOG", "debug")
            .env("SAOMA_LOG__FORMAT", "json")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_for(&format!("{base}/healthz")).await;
    let http = reqwest::Client::new();
    let post =
        |path: &str, body: serde_json::Value| http.post(format!("{base}{path}")).json(&body).send();

    let created: serde_json::Value = post(
        "/api/v1/scenes",
        serde_json::json!({"provider": "mini_program"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let scene = created["scene"].as_str().unwrap();
    let poll_token = created["poll_token"].as_str().unwrap();
    let user: serde_json::Value = post("/sandbox/api/users", serde_json::json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code: serde_json::Value = post(
        "/sandbox/api/wx-login",
        serde_json::json!({"user": user["id"]}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let code = code["code"].as_str().unwrap();
    post(
        "/api/v1/mini-program/scan",
        serde_json::json!({"scene": scene}),
    )
    .await
    .unwrap();
    let login: serde_json::Value = post(
        "/api/v1/mini-program/login",
        serde_json::json!({"code": code, "scene": scene, "approve": true}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let view: serde_json::Value = http
        .get(format!("{base}/api/v1/scenes/{scene}"))
        .header("X-Poll-Token", poll_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refresh = view["tokens"]["refresh_token"].as_str().unwrap();
    let rotated: serde_json::Value = post(
        "/api/v1/tokens/refresh",
        serde_json::json!({"refresh_token": refresh}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let logs = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        logs.contains("request_id"),
        "JSON log lines carry the request id"
    );
    assert!(
        logs.contains("/api/v1/mini-program/login"),
        "the log is not empty"
    );
    let secrets = [
        ("poll token", poll_token),
        ("wx.login code", code),
        (
            "browser access token",
            view["tokens"]["access_token"].as_str().unwrap(),
        ),
        ("refresh token", refresh),
        (
            "rotated refresh token",
            rotated["refresh_token"].as_str().unwrap(),
        ),
        (
            "mini-program access token",
            login["tokens"]["access_token"].as_str().unwrap(),
        ),
        ("app secret", "saoma-sandbox-secret"),
    ];
    for (what, secret) in secrets {
        assert!(!logs.contains(secret), "the {what} appears in the logs");
    }
    assert!(
        !logs.contains("access_token="),
        "no WeChat query string in the logs"
    );
    assert!(
        !logs.contains("secret="),
        "no WeChat query string in the logs"
    );
}
