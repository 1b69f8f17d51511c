//! The server's time bounds, its shutdown and its hang-up watch, against a small endpoint.
//! (The protocol as clients see it through the whole app is in tests/api/http1.rs.)

use super::*;
use bytes::Bytes;
use futures::StreamExt;
use poem::{EndpointExt, Route, get, handler};
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::io::AsyncWriteExt;

struct Running {
    addr: SocketAddr,
    shutdown: Shutdown,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Set when the endless body is dropped.
static ENDLESS_DROPPED: AtomicBool = AtomicBool::new(false);

struct Flag;
impl Drop for Flag {
    fn drop(&mut self) {
        ENDLESS_DROPPED.store(true, Ordering::SeqCst);
    }
}

#[handler]
fn endless() -> poem::Response {
    let flag = Flag;
    let first = futures::stream::once(async { Ok::<_, std::io::Error>(Bytes::from("first")) });
    let body = first.chain(futures::stream::pending()).map(move |item| {
        let _held = &flag;
        item
    });
    poem::Response::builder().body(Body::from_bytes_stream(body))
}

async fn start(limits: Limits) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let endpoint = Route::new()
        .at("/hello", get(poem::endpoint::make_sync(|_| "hello")))
        .at("/endless", get(endless))
        .boxed();
    let on_error: OnError = Arc::new(|e| Box::pin(async move { e.into_response() }));
    let shutdown = Shutdown::new();
    let server = Server::new(listener, endpoint, limits, on_error, shutdown.clone()).unwrap();
    let served = tokio::spawn(server.run(Duration::from_secs(5)));
    Running {
        addr,
        shutdown,
        served,
    }
}

fn quick() -> Limits {
    Limits {
        idle_timeout: Duration::from_millis(300),
        head_timeout: Duration::from_millis(300),
        ..Limits::new(8192, 1024)
    }
}

/// What the peer reads until the server closes; `None` if it is still open after 10 s.
async fn read_to_close(io: &mut TcpStream) -> Option<String> {
    let mut all = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), io.read_to_end(&mut all)).await;
    read.ok()
        .map(|_| String::from_utf8_lossy(&all).into_owned())
}

#[tokio::test]
async fn a_head_sent_too_slowly_is_cut_off() {
    let app = start(quick()).await;
    let mut io = TcpStream::connect(app.addr).await.unwrap();
    io.write_all(b"GET /hello HTTP/1.1\r\nHost: a\r\n")
        .await
        .unwrap();
    let seen = read_to_close(&mut io).await;
    assert_eq!(seen.as_deref(), Some(""), "closed without an answer");
}

#[tokio::test]
async fn a_quiet_connection_is_closed_after_the_idle_bound() {
    let app = start(quick()).await;
    let mut io = TcpStream::connect(app.addr).await.unwrap();
    io.write_all(b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    let seen = read_to_close(&mut io).await.expect("closed");
    assert!(seen.starts_with("HTTP/1.1 200 OK\r\n"), "{seen}");
    assert!(seen.ends_with("\r\n\r\nhello"), "{seen}");
}

#[tokio::test]
async fn a_peer_that_hangs_up_ends_its_stream() {
    let app = start(Limits::new(8192, 1024)).await;
    let mut io = TcpStream::connect(app.addr).await.unwrap();
    io.write_all(b"GET /endless HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    let mut first = String::new();
    while !first.ends_with("first\r\n") {
        let mut part = [0u8; 512];
        let n = io.read(&mut part).await.unwrap();
        assert!(n > 0, "closed early: {first}");
        first.push_str(&String::from_utf8_lossy(&part[..n]));
    }
    assert!(first.contains("transfer-encoding: chunked"), "{first}");
    assert!(first.ends_with("5\r\nfirst\r\n"), "{first}");
    assert!(!ENDLESS_DROPPED.load(Ordering::SeqCst));
    drop(io);
    for _ in 0..100 {
        if ENDLESS_DROPPED.load(Ordering::SeqCst) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the stream outlived its connection");
}

#[tokio::test]
async fn shutdown_closes_quiet_connections_and_stops_accepting() {
    let app = start(Limits::new(8192, 1024)).await;
    let mut io = TcpStream::connect(app.addr).await.unwrap();
    io.write_all(b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 512];
    let n = io.read(&mut answer).await.unwrap();
    assert!(answer[..n].starts_with(b"HTTP/1.1 200 OK"));

    app.shutdown.trigger();
    assert_eq!(read_to_close(&mut io).await.as_deref(), Some(""));
    let served = tokio::time::timeout(Duration::from_secs(10), app.served).await;
    assert!(matches!(served, Ok(Ok(Ok(())))), "the server returned");
    assert!(TcpStream::connect(app.addr).await.is_err(), "not accepting");
}
