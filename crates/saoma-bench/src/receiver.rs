//! A webhook receiver that misbehaves, for `full-login --webhook-receiver`: `hang` reads each
//! delivery and never answers (every attempt runs into Saoma's time limit), `fail` answers 500
//! (every event is retried). It shows whether a bad receiver costs logins anything.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Starts the receiver (`none`: nothing) and returns the Saoma settings that deliver every
/// event to it.
pub async fn start(kind: &str) -> anyhow::Result<Vec<(String, String)>> {
    if kind == "none" {
        return Ok(Vec::new());
    }
    let hang = kind == "hang";
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hooks", listener.local_addr()?);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                if hang {
                    // Read what comes, answer nothing, until Saoma gives up and closes.
                    while matches!(socket.read(&mut buf).await, Ok(n) if n > 0) {}
                    return;
                }
                let _ = socket.read(&mut buf).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    Ok(vec![
        (
            "SAOMA_WEBHOOKS".into(),
            format!("[{{url=\"{url}\",secret=\"{SECRET}\"}}]"),
        ),
        ("SAOMA_WEBHOOK_DELIVERY__ALLOW_HTTP".into(), "true".into()),
        (
            "SAOMA_WEBHOOK_DELIVERY__ALLOW_PRIVATE_NETWORKS".into(),
            "true".into(),
        ),
    ])
}
