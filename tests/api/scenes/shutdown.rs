//! SIGTERM on the binary: stop accepting, tell open SSE streams to reconnect elsewhere, finish
//! the request in flight, exit 0 within `shutdown_grace_seconds`. And the JSON log it wrote:
//! every line of a request carries its request id, and no secret appears.

use futures::StreamExt;
use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const GRACE_SECONDS: u64 = 5;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Read SSE frames until one of `event` type arrives; its data, or None if the stream ended.
async fn next_event_of(
    stream: &mut (impl futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    buffer: &mut String,
    event: &str,
) -> Option<String> {
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            if frame.lines().any(|l| l == format!("event: {event}")) {
                let data = frame.lines().find_map(|l| l.strip_prefix("data: "));
                return Some(data.unwrap_or("").to_string());
            }
        }
        let chunk = tokio::time::timeout(Duration::from_secs(15), stream.next())
            .await
            .expect("an SSE frame within 15 s")?;
        buffer.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
    }
}

#[tokio::test]
async fn sigterm_tells_streams_to_reconnect_finishes_requests_and_exits_zero() {
    let data = tempfile::tempdir().unwrap();
    let log = data.path().join("saoma.log");
    let port = free_port();
    let mut child = crate::contract::cli::saoma()
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data.path().join("data"))
        .env("SAOMA_SHUTDOWN_GRACE_SECONDS", GRACE_SECONDS.to_string())
        .env("SAOMA_LOG__FORMAT", "json")
        .env("RUST_LOG", "info,saoma=debug")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "saoma started");

    let created: Value = http
        .post(format!("{base}/api/v1/scenes"))
        .header("X-Request-Id", "req-create-0001")
        .json(&json!({"provider": "mini_program"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (scene, token) = (
        created["scene"].as_str().unwrap(),
        created["poll_token"].as_str().unwrap(),
    );
    let res = http
        .get(format!("{base}/api/v1/scenes/{scene}/events"))
        .header("X-Poll-Token", token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut stream = res.bytes_stream();
    let mut buffer = String::new();
    assert!(
        next_event_of(&mut stream, &mut buffer, "status")
            .await
            .is_some()
    );

    // A request in flight when the signal comes: WeChat (the sandbox) takes 1.5 s to answer.
    let fault = json!({"endpoint": "wxa/getwxacodeunlimit", "delay_ms": 1500, "times": 1});
    let injected = http
        .post(format!("{base}/sandbox/api/faults"))
        .json(&fault)
        .send()
        .await;
    assert!(injected.unwrap().status().is_success());
    let in_flight = tokio::spawn({
        let http = http.clone();
        let url = format!("{base}/api/v1/scenes");
        async move {
            http.post(url)
                .json(&json!({"provider": "mini_program"}))
                .send()
                .await
                .map(|r| r.status().as_u16())
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;

    let signalled = Instant::now();
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());

    let reconnect = next_event_of(&mut stream, &mut buffer, "reconnect").await;
    assert!(reconnect.is_some(), "the stream was told to reconnect");
    assert!(
        next_event_of(&mut stream, &mut buffer, "status")
            .await
            .is_none(),
        "then it closed"
    );
    assert_eq!(
        in_flight.await.unwrap().unwrap(),
        201,
        "the request in flight finished"
    );
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
    assert!(signalled.elapsed() < Duration::from_secs(GRACE_SECONDS + 2));
    assert!(
        http.get(format!("{base}/healthz")).send().await.is_err(),
        "nothing accepts any more"
    );

    let log = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("a JSON line: {l}")))
        .collect();
    let of_create: Vec<&Value> = lines
        .iter()
        .filter(|l| l.to_string().contains("req-create-0001"))
        .collect();
    assert!(
        of_create.len() >= 2,
        "the access log and the handler's lines: {of_create:?}"
    );
    for line in &lines {
        let text = line.to_string();
        if text.contains("\"scene created\"") || text.contains("\"wechat call\"") {
            assert!(
                line["span"]["request_id"].is_string(),
                "no request id: {text}"
            );
        }
        assert!(
            !text.contains("saoma-sandbox-secret"),
            "a secret in the log: {text}"
        );
        assert!(!text.contains(token), "a poll token in the log: {text}");
    }
}
