//! The server's time bounds, its shutdown and its hang-up watch, against a small endpoint.
//! (The protocol as clients see it through the whole app is in tests/api/edge/http1.rs.)

use super::*;
use bytes::Bytes;
use futures::StreamExt;
use poem::{EndpointExt, Route, get, handler};
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::io::AsyncWriteExt;

struct Running {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
    refused: Arc<std::sync::Mutex<Vec<Refused>>>,
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

async fn start(limits: ConnectionLimits) -> Running {
    start_with(limits, Some).await
}

async fn start_with(
    limits: ConnectionLimits,
    per_address: fn(IpAddr) -> Option<IpAddr>,
) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let endpoint = Route::new()
        .at("/hello", get(poem::endpoint::make_sync(|_| "hello")))
        .at("/endless", get(endless))
        .boxed();
    let on_error: OnError = Arc::new(|e| Box::pin(async move { e.into_response() }));
    let refused = Arc::new(std::sync::Mutex::new(Vec::new()));
    let told = refused.clone();
    let hooks = Hooks {
        on_refused: Arc::new(move |r| told.lock().unwrap().push(r)),
        per_address: Arc::new(per_address),
        ..Hooks::new(on_error)
    };
    let (stop, stopping) = watch::channel(false);
    let server = Server::new(listener, endpoint, limits, hooks, stopping).unwrap();
    // A grace longer than any test waits: a server that returns did not wait it out.
    let served = tokio::spawn(server.run(Duration::from_secs(600)));
    Running {
        addr,
        stop,
        served,
        refused,
    }
}

fn quick() -> ConnectionLimits {
    ConnectionLimits {
        idle_timeout: Duration::from_millis(300),
        head_timeout: Duration::from_millis(300),
        ..ConnectionLimits::new(8192, 1024)
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
    let app = start(ConnectionLimits::new(8192, 1024)).await;
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
    let app = start(ConnectionLimits::new(8192, 1024)).await;
    let mut io = TcpStream::connect(app.addr).await.unwrap();
    io.write_all(b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 512];
    let n = io.read(&mut answer).await.unwrap();
    assert!(answer[..n].starts_with(b"HTTP/1.1 200 OK"));

    app.stop.send_replace(true);
    assert_eq!(read_to_close(&mut io).await.as_deref(), Some(""));
    let served = tokio::time::timeout(Duration::from_secs(10), app.served).await;
    assert!(matches!(served, Ok(Ok(Ok(())))), "the server returned");
    assert!(TcpStream::connect(app.addr).await.is_err(), "not accepting");
}

#[tokio::test]
async fn shutdown_closes_a_connection_still_sending_its_head_or_body_at_once() {
    let app = start(ConnectionLimits::new(8192, 1024)).await;
    let mut head = TcpStream::connect(app.addr).await.unwrap();
    head.write_all(b"GET /hello HTTP/1.1\r\nHost: a\r\n")
        .await
        .unwrap();
    let mut body = TcpStream::connect(app.addr).await.unwrap();
    body.write_all(b"POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    app.stop.send_replace(true);

    assert_eq!(read_to_close(&mut head).await.as_deref(), Some(""));
    assert_eq!(read_to_close(&mut body).await.as_deref(), Some(""));
    let served = tokio::time::timeout(Duration::from_secs(10), app.served).await;
    assert!(
        matches!(served, Ok(Ok(Ok(())))),
        "the server returned without waiting out its 600 s grace"
    );
}

/// A connection from `ip` (any loopback address: Linux routes all of 127.0.0.0/8 to lo).
async fn connect_from(ip: &str, to: SocketAddr) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(ip.parse().unwrap(), 0))
        .unwrap();
    socket.connect(to).await.unwrap()
}

async fn hello(io: &mut TcpStream) -> String {
    io.write_all(b"GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    read_to_close(io).await.expect("answered")
}

/// What a refused connection reads: the 503, or nothing if the close came first.
async fn refusal(io: &mut TcpStream) -> String {
    let mut all = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), io.read_to_end(&mut all)).await;
    let read = read.expect("refused at once, not left open");
    // A reset (the request was unread) is a refusal too.
    let _ = read;
    String::from_utf8_lossy(&all).into_owned()
}

#[tokio::test]
async fn connections_over_the_per_address_cap_are_refused_and_others_served() {
    let app = start(ConnectionLimits {
        max_connections_per_ip: 3,
        ..ConnectionLimits::new(8192, 1024)
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect_from("127.0.0.3", app.addr).await);
    }
    // The held ones are open and counted (a request answered on one proves it is served).
    held[0]
        .write_all(b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 256];
    let n = held[0].read(&mut answer).await.unwrap();
    assert!(answer[..n].starts_with(b"HTTP/1.1 200 OK"));

    let mut fourth = connect_from("127.0.0.3", app.addr).await;
    let seen = refusal(&mut fourth).await;
    assert!(
        seen.is_empty() || seen.starts_with("HTTP/1.1 503 "),
        "{seen}"
    );

    let mut other = connect_from("127.0.0.4", app.addr).await;
    assert!(hello(&mut other).await.starts_with("HTTP/1.1 200 OK"));
    assert_eq!(*app.refused.lock().unwrap(), [Refused::PerAddress]);

    drop(held.pop());
    for _ in 0..100 {
        let mut again = connect_from("127.0.0.3", app.addr).await;
        let seen = hello(&mut again).await;
        if seen.starts_with("HTTP/1.1 200 OK") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("a place freed by a close was not given back");
}

/// Peers the hook counts as one address (an IPv6 network, in Saoma) share one per-address cap.
#[tokio::test]
async fn peers_counted_as_one_address_share_its_cap() {
    let app = start_with(
        ConnectionLimits {
            max_connections_per_ip: 1,
            ..ConnectionLimits::new(8192, 1024)
        },
        |_| Some(IpAddr::from([127, 0, 0, 7])),
    )
    .await;
    let mut first = connect_from("127.0.0.7", app.addr).await;
    first
        .write_all(b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 256];
    let n = first.read(&mut answer).await.unwrap();
    assert!(answer[..n].starts_with(b"HTTP/1.1 200 OK"));

    let mut second = connect_from("127.0.0.8", app.addr).await;
    let seen = refusal(&mut second).await;
    assert!(
        seen.is_empty() || seen.starts_with("HTTP/1.1 503 "),
        "{seen}"
    );
    assert_eq!(*app.refused.lock().unwrap(), [Refused::PerAddress]);
}

#[tokio::test]
async fn connections_over_the_total_cap_are_refused_and_uncapped_peers_are_not_counted_per_address()
{
    let app = start_with(
        ConnectionLimits {
            max_connections: 2,
            max_connections_per_ip: 1,
            ..ConnectionLimits::new(8192, 1024)
        },
        |ip| (ip != IpAddr::from([127, 0, 0, 5])).then_some(ip),
    )
    .await;
    let _a = connect_from("127.0.0.5", app.addr).await;
    let mut b = connect_from("127.0.0.5", app.addr).await;
    b.write_all(b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 256];
    let n = b.read(&mut answer).await.unwrap();
    assert!(answer[..n].starts_with(b"HTTP/1.1 200 OK"), "uncapped");

    let mut c = connect_from("127.0.0.6", app.addr).await;
    let seen = refusal(&mut c).await;
    assert!(
        seen.is_empty() || seen.starts_with("HTTP/1.1 503 "),
        "{seen}"
    );
    assert_eq!(*app.refused.lock().unwrap(), [Refused::Total]);
}

#[tokio::test]
async fn nul_bytes_are_answered_400_at_once() {
    let app = start(ConnectionLimits::new(8192, 1024)).await;
    let mut io = TcpStream::connect(app.addr).await.unwrap();
    io.write_all(&[0u8; 2048]).await.unwrap();
    let seen = read_to_close(&mut io).await.expect("answered and closed");
    assert!(seen.starts_with("HTTP/1.1 400 "), "{seen}");
}
