//! Large static pages are served from shared bytes: many slow readers of `/docs/` (~1.9 MB)
//! do not each hold a copy, and the memory comes back when they leave. Measured on the
//! binary's own RSS, so that other tests in this process do not count.
//!
//! The readers are the attack as it was found: 300 sockets whose receive buffer is set to
//! 1024 bytes before they connect (the kernel rounds it up to about 2 KiB), so that the
//! window they advertise stays tiny and loopback cannot absorb the page: whatever the server
//! holds per response stays held. With a 4096-byte buffer the kernel took whole pages into
//! the socket buffers and a per-request copy went unseen. That the responses share one buffer
//! is also checked directly in `src/web/docs.rs`.

use std::process::{Child, Stdio};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const READERS: usize = 300;
/// SO_RCVBUF before connect: far below the page, so the page cannot be absorbed.
const RECEIVE_BUFFER: u32 = 1024;
/// Generous: one copy of the page per reader would be ~570 MB.
const HELD_BOUND_KIB: u64 = 64 * 1024;
const AFTER_BOUND_KIB: u64 = 32 * 1024;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A reader that asks for `/docs/` and then reads only the status line.
async fn slow_reader(port: u16) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(RECEIVE_BUFFER).unwrap();
    let mut io = socket.connect(([127, 0, 0, 1], port).into()).await.unwrap();
    io.write_all(b"GET /docs/ HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 12];
    io.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    io
}

#[tokio::test]
async fn slow_readers_of_docs_share_one_page_and_memory_returns_after() {
    let data = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = crate::contract::cli::serve(port, data.path())
        .env("SAOMA_LIMITS__MAX_CONNECTIONS_PER_IP", "0")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let _serve = Running(child);
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..100 {
        if let Ok(res) = reqwest::get(format!("{base}/docs")).await {
            // Warm: the page read once whole.
            assert!(res.bytes().await.unwrap().len() > 1_000_000);
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "saoma started");
    let baseline = rss_kib(pid);

    let mut readers = Vec::with_capacity(READERS);
    for _ in 0..READERS {
        readers.push(slow_reader(port).await);
    }
    let held = rss_kib(pid);
    eprintln!("RSS: {baseline} KiB at rest, {held} KiB with {READERS} slow readers");
    assert!(
        held < baseline + HELD_BOUND_KIB,
        "{READERS} slow readers took RSS from {baseline} KiB to {held} KiB"
    );

    drop(readers);
    let mut after = held;
    for _ in 0..50 {
        after = rss_kib(pid);
        if after < baseline + AFTER_BOUND_KIB {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("RSS stayed at {after} KiB after the readers left (baseline {baseline} KiB)");
}
