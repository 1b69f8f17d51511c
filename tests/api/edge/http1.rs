//! HTTP/1.1 on a raw socket: what any client notices about the connection handling itself
//! (keep-alive, pipelining, chunked bodies, `Expect: 100-continue`, HEAD, closing, refusals
//! before the body, SSE). They were written against poem's hyper-based server and pass on
//! Saoma's own (`crates/saoma-http/`), which also answers malformed requests with JSON and frees a
//! vanished browser's stream at once. Every read has a deadline: running into it means "the
//! server hangs".

use crate::support::helpers::{TestApp, spawn_app, spawn_app_with};
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, sleep, timeout};

/// How long any single read may take before the test calls the server hung.
const HANG: Duration = Duration::from_secs(5);

const CREATE_MP: &str = r#"{"provider":"mini_program"}"#;

/// A small `limits.max_body_bytes` that still fits the app's calls to its embedded sandbox
/// (which passes the same limit: at 64 bytes, creating a mini-program scene is 502).
const SMALL_BODY_LIMIT: usize = 1024;

/// One response as it came off the wire.
#[derive(Debug)]
struct Response {
    /// `HTTP/1.1` or `HTTP/1.0`, as the status line says.
    version: String,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    /// The first header of that name (case-insensitive).
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "a JSON body ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn code(&self) -> String {
        let body = self.json();
        assert!(
            body["message"].is_string(),
            "errors carry a message: {body}"
        );
        body["code"].as_str().expect("errors carry a code").into()
    }
}

/// A client connection: the socket and whatever was read past the last response.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(app: &TestApp) -> Conn {
        let addr = app.base.trim_start_matches("http://");
        let stream = timeout(HANG, TcpStream::connect(addr))
            .await
            .expect("connect within the deadline")
            .expect("connect");
        stream.set_nodelay(true).unwrap();
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    async fn send(&mut self, bytes: impl AsRef<[u8]>) {
        self.stream.write_all(bytes.as_ref()).await.unwrap();
        self.stream.flush().await.unwrap();
    }

    /// Reads more bytes into the buffer; false at EOF.
    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 8192];
        let n = timeout(HANG, self.stream.read(&mut chunk))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "the server hangs: nothing within {HANG:?} (buffered: {:?})",
                    String::from_utf8_lossy(&self.buf)
                )
            })
            .expect("reading the socket");
        self.buf.extend_from_slice(&chunk[..n]);
        n > 0
    }

    /// Takes one CRLF-terminated line (without the CRLF) off the buffer.
    async fn line(&mut self) -> String {
        loop {
            if let Some(at) = find(&self.buf, b"\r\n") {
                let line: Vec<u8> = self.buf.drain(..at + 2).collect();
                return String::from_utf8(line[..at].to_vec()).expect("an ASCII line");
            }
            assert!(self.fill().await, "EOF in the middle of a line");
        }
    }

    async fn exactly(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            assert!(self.fill().await, "EOF before {n} bytes");
        }
        self.buf.drain(..n).collect()
    }

    /// The status line and headers of the next response.
    async fn head(&mut self) -> Response {
        let status_line = self.line().await;
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap().to_string();
        assert!(
            version.starts_with("HTTP/1."),
            "status line {status_line:?}"
        );
        let status = parts
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("status line {status_line:?}"));
        let mut headers = Vec::new();
        loop {
            let line = self.line().await;
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').expect("a header line");
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
        Response {
            version,
            status,
            headers,
            body: Vec::new(),
        }
    }

    /// One chunk of a chunked body; empty for the last chunk (trailers skipped).
    async fn chunk(&mut self) -> Vec<u8> {
        let size_line = self.line().await;
        let size = usize::from_str_radix(size_line.split(';').next().unwrap().trim(), 16)
            .unwrap_or_else(|_| panic!("a chunk size line: {size_line:?}"));
        if size == 0 {
            while !self.line().await.is_empty() {}
            return Vec::new();
        }
        let data = self.exactly(size).await;
        assert_eq!(self.line().await, "", "CRLF after a chunk");
        data
    }

    /// The next response, body included (read by Content-Length, chunked, or to EOF).
    async fn response(&mut self) -> Response {
        self.read_response(false).await
    }

    /// The next response to a HEAD request: no body whatever the headers say.
    async fn head_response(&mut self) -> Response {
        self.read_response(true).await
    }

    async fn read_response(&mut self, to_head: bool) -> Response {
        let mut res = self.head().await;
        if to_head || (100..200).contains(&res.status) || res.status == 204 || res.status == 304 {
            return res;
        }
        let chunked = res
            .header("transfer-encoding")
            .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
        if chunked {
            loop {
                let data = self.chunk().await;
                if data.is_empty() {
                    break;
                }
                res.body.extend_from_slice(&data);
            }
        } else if let Some(len) = res.header("content-length") {
            let len: usize = len.parse().expect("a numeric content-length");
            res.body = self.exactly(len).await;
        } else {
            while self.fill().await {}
            res.body = std::mem::take(&mut self.buf);
        }
        res
    }

    /// Everything up to EOF: the server closed the connection (a reset counts as closed).
    async fn until_closed(&mut self) -> Vec<u8> {
        let deadline = Instant::now() + HANG;
        loop {
            let mut chunk = [0u8; 8192];
            let left = deadline.saturating_duration_since(Instant::now());
            match timeout(left, self.stream.read(&mut chunk)).await {
                Err(_) => panic!(
                    "the server did not close the connection within {HANG:?} (read: {:?})",
                    String::from_utf8_lossy(&self.buf)
                ),
                Ok(Ok(0)) | Ok(Err(_)) => return std::mem::take(&mut self.buf),
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
}

fn post_json(path: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: SaomaRawTest\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn assert_healthy(res: &Response) {
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.json()["status"], "ok", "{res:?}");
}

/// A created scene's id and poll token, from a 201 body.
fn scene_of(res: &Response) -> (String, String) {
    assert_eq!(res.status, 201, "{res:?}");
    let body = res.json();
    (
        body["scene"].as_str().unwrap().to_string(),
        body["poll_token"].as_str().unwrap().to_string(),
    )
}

fn events_request(scene: &str, token: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(scene.as_bytes()).collect();
    format!(
        "GET /api/v1/scenes/{encoded}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Accept: text/event-stream\r\nX-Poll-Token: {token}\r\n\r\n"
    )
}

/// Reads an SSE response's chunks until one whole event (ending in a blank line) arrived.
async fn first_event(conn: &mut Conn) -> String {
    let mut text = String::new();
    loop {
        if let Some(end) = text.find("\n\n") {
            return text[..end].to_string();
        }
        let data = conn.chunk().await;
        assert!(
            !data.is_empty(),
            "the stream ended before an event: {text:?}"
        );
        text.push_str(&String::from_utf8_lossy(&data));
    }
}

// 1.
#[tokio::test]
async fn keep_alive_answers_two_requests_on_one_connection() {
    let app = spawn_app().await;
    let mut conn = Conn::open(&app).await;

    conn.send(get("/healthz")).await;
    let first = conn.response().await;
    assert_healthy(&first);
    assert_eq!(first.version, "HTTP/1.1");
    assert_ne!(
        first.header("connection").map(str::to_ascii_lowercase),
        Some("close".into())
    );

    conn.send(get("/healthz")).await;
    assert_healthy(&conn.response().await);
}

// 2.
#[tokio::test]
async fn pipelined_requests_are_answered_in_order() {
    let app = spawn_app().await;
    let mut conn = Conn::open(&app).await;

    // Three requests in one write; their statuses tell their answers apart.
    let unknown = "GET /api/v1/scenes/unknown-scene-1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                   X-Poll-Token: some-token\r\n\r\n";
    conn.send(format!("{}{unknown}{}", get("/healthz"), get("/healthz")))
        .await;

    assert_healthy(&conn.response().await);
    let second = conn.response().await;
    assert_eq!(second.status, 404, "{second:?}");
    assert_eq!(second.code(), "scene_not_found");
    assert_healthy(&conn.response().await);
}

// 3.
#[tokio::test]
async fn a_chunked_request_body_creates_a_scene_and_the_connection_goes_on() {
    let app = spawn_app().await;
    let mut conn = Conn::open(&app).await;

    let (a, b) = CREATE_MP.split_at(10);
    conn.send(format!(
        "POST /api/v1/scenes HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: SaomaRawTest\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\
         {:x}\r\n{a}\r\n",
        a.len()
    ))
    .await;
    sleep(Duration::from_millis(50)).await;
    conn.send(format!("{:x}\r\n{b}\r\n0\r\n\r\n", b.len()))
        .await;

    let created = conn.response().await;
    let (scene, token) = scene_of(&created);
    assert_eq!(created.json()["status"], "pending");

    // Same connection: the scene is there and polls with its token.
    let encoded: String = url::form_urlencoded::byte_serialize(scene.as_bytes()).collect();
    conn.send(format!(
        "GET /api/v1/scenes/{encoded} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Poll-Token: {token}\r\n\r\n"
    ))
    .await;
    let polled = conn.response().await;
    assert_eq!(polled.status, 200, "{polled:?}");
    assert_eq!(polled.json()["scene"], scene.as_str());
}

#[tokio::test]
async fn a_chunked_body_answers_like_a_content_length_body() {
    let app = spawn_app().await;
    let mut conn = Conn::open(&app).await;

    conn.send(post_json("/api/v1/scenes", CREATE_MP)).await;
    let plain = conn.response().await;
    conn.send(
        "POST /api/v1/scenes HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: SaomaRawTest\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\
         5\r\n{\"pro\r\n16\r\nvider\":\"mini_program\"}\r\n0\r\n\r\n",
    )
    .await;
    let chunked = conn.response().await;

    assert_eq!(plain.status, 201);
    assert_eq!(chunked.status, plain.status, "{chunked:?}");
    assert_eq!(chunked.json()["provider"], plain.json()["provider"]);
}

// 4.
#[tokio::test]
async fn expect_100_continue_is_answered_before_the_body_is_sent() {
    let app = spawn_app().await;
    let mut conn = Conn::open(&app).await;

    conn.send(format!(
        "POST /api/v1/scenes HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: SaomaRawTest\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        CREATE_MP.len()
    ))
    .await;
    let interim = conn.head().await;
    assert_eq!(interim.status, 100, "{interim:?}");
    assert_eq!(interim.version, "HTTP/1.1");

    conn.send(CREATE_MP).await;
    let created = conn.response().await;
    scene_of(&created);

    conn.send(get("/healthz")).await;
    assert_healthy(&conn.response().await);
}

// 5.
#[tokio::test]
async fn a_content_length_over_the_body_limit_is_413_before_the_body_is_sent() {
    let app = spawn_app_with(|c| c.limits.max_body_bytes = SMALL_BODY_LIMIT).await;
    let mut conn = Conn::open(&app).await;

    // The headers only: the 100,000 announced bytes are never sent.
    conn.send(
        "POST /api/v1/scenes HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: SaomaRawTest\r\n\
         Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n",
    )
    .await;
    let refused = conn.response().await;
    assert_eq!(refused.status, 413, "{refused:?}");
    assert_eq!(refused.code(), "body_too_large");
    assert!(
        refused
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    // The server then closes the connection rather than wait for, or skip, the unread body:
    // it does not hang, and it never takes the unsent body for the next request.
    assert!(conn.until_closed().await.is_empty());

    // The server still serves others.
    let mut other = Conn::open(&app).await;
    other.send(get("/healthz")).await;
    assert_healthy(&other.response().await);
}

#[tokio::test]
async fn a_body_within_the_limit_still_works_when_the_limit_is_small() {
    let app = spawn_app_with(|c| c.limits.max_body_bytes = SMALL_BODY_LIMIT).await;
    let mut conn = Conn::open(&app).await;
    conn.send(post_json("/api/v1/scenes", CREATE_MP)).await;
    scene_of(&conn.response().await);
}

#[tokio::test]
async fn expect_100_continue_over_the_body_limit_gets_413_and_no_100() {
    let app = spawn_app_with(|c| c.limits.max_body_bytes = SMALL_BODY_LIMIT).await;
    let mut conn = Conn::open(&app).await;

    conn.send(
        "POST /api/v1/scenes HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: SaomaRawTest\r\n\
         Content-Type: application/json\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n",
    )
    .await;
    let refused = conn.response().await;
    assert_eq!(
        refused.status, 413,
        "the final answer, no 100 first: {refused:?}"
    );
    assert_eq!(refused.code(), "body_too_large");
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_413() {
    let app = spawn_app_with(|c| c.limits.max_body_bytes = SMALL_BODY_LIMIT).await;
    let mut conn = Conn::open(&app).await;

    let pad = "x".repeat(SMALL_BODY_LIMIT);
    let body = format!(r#"{{"provider":"mini_program","pad":"{pad}"}}"#);
    conn.send(format!(
        "POST /api/v1/scenes HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: SaomaRawTest\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\
         {:x}\r\n{body}\r\n0\r\n\r\n",
        body.len()
    ))
    .await;
    let refused = conn.response().await;
    assert_eq!(refused.status, 413, "{refused:?}");
    assert_eq!(refused.code(), "body_too_large");
}

/// A front proxy that ends a line at a bare LF would read this body as a 2-byte chunk and a
/// 40-byte chunk holding `GET /smuggled`; a server that did not refuse it would read the
/// `GET` as a second request. Refused, and nothing after it is answered.
#[tokio::test]
async fn a_chunk_line_with_a_bare_lf_is_refused_not_read_as_a_second_request() {
    let app = spawn_app().await;
    let mut conn = Conn::open(&app).await;
    conn.send(
        "POST /api/v1/scenes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n\
         2;\nxx\r\n28\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n\r\n0\r\n\r\n",
    )
    .await;
    let refused = conn.response().await;
    assert_eq!(refused.status, 400, "{refused:?}");
    assert_eq!(refused.code(), "invalid_request");
    assert!(conn.until_closed().await.is_empty(), "no second answer");
}

/// Trailers are skipped, but not without end: past 16 KiB the request is refused.
#[tokio::test]
async fn endless_trailers_are_refused() {
    let app = spawn_app().await;
    let mut conn = Conn::open(&app).await;
    let trailers: String = (0..300)
        .map(|i| format!("X-T-{i}: {}\r\n", "t".repeat(60)))
        .collect();
    conn.send(format!(
        "POST /api/v1/scenes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{CREATE_MP}\r\n0\r\n{trailers}\r\n",
        CREATE_MP.len()
    ))
    .await;
    let refused = conn.response().await;
    assert_eq!(refused.status, 400, "{refused:?}");
    assert_eq!(refused.code(), "invalid_request");
}

/// A chunk size that would overflow a running total counts as over the limit.
#[tokio::test]
async fn a_chunk_size_near_the_largest_number_is_413_and_the_server_goes_on() {
    let app = spawn_app_with(|c| c.limits.max_body_bytes = SMALL_BODY_LIMIT).await;
    let mut conn = Conn::open(&app).await;
    conn.send(
        "POST /api/v1/scenes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\nffffffffffffffff\r\n",
    )
    .await;
    conn.send("x".repeat(SMALL_BODY_LIMIT)).await;
    let refused = conn.response().await;
    assert_eq!(refused.status, 413, "{refused:?}");

    let mut other = Conn::open(&app).await;
    other.send(get("/healthz")).await;
    assert_healthy(&other.response().await);
}

// 6.
#[tokio::test]
async fn head_sends_headers_without_a_body_and_the_next_request_parses() {
    let app = spawn_app().await;
    let mut conn = Conn::open(&app).await;

    conn.send(get("/healthz")).await;
    let got = conn.response().await;

    conn.send("HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await;
    let head = conn.head_response().await;
    assert_eq!(head.status, 200, "{head:?}");
    assert_eq!(
        head.header("content-type"),
        got.header("content-type"),
        "{head:?}"
    );

    // Were a body sent after the HEAD answer, this would read it as the status line.
    conn.send(get("/healthz")).await;
    let after = conn.response().await;
    assert_healthy(&after);
    assert_eq!(after.body, got.body);
}

// 7.
#[tokio::test]
async fn connection_close_is_answered_then_the_server_closes() {
    let app = spawn_app().await;
    let mut conn = Conn::open(&app).await;

    conn.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await;
    let res = conn.response().await;
    assert_healthy(&res);
    assert_eq!(
        res.header("connection").map(str::to_ascii_lowercase),
        Some("close".into()),
        "{res:?}"
    );
    assert!(conn.until_closed().await.is_empty());
}

// 8.
#[tokio::test]
async fn http_1_0_without_keep_alive_is_answered_then_closed() {
    let app = spawn_app().await;
    let mut conn = Conn::open(&app).await;

    conn.send("GET /healthz HTTP/1.0\r\n\r\n").await;
    let res = conn.response().await;
    assert_healthy(&res);
    assert!(res.header("content-length").is_some(), "{res:?}");
    assert!(conn.until_closed().await.is_empty());
}

// 9.
#[tokio::test]
async fn a_garbage_request_line_is_400_and_other_connections_are_served() {
    let app = spawn_app().await;
    let mut conn = Conn::open(&app).await;

    conn.send("NOT HTTP\r\n\r\n").await;
    // Refused before the app could see it, but in the app's words, then closed.
    let res = conn.response().await;
    assert_eq!(res.status, 400, "{res:?}");
    assert_eq!(res.code(), "invalid_request");
    assert_eq!(res.header("connection"), Some("close"));
    assert!(conn.until_closed().await.is_empty());

    // HTTP/1.1 requires a Host header (RFC 9112 §3.2).
    let mut no_host = Conn::open(&app).await;
    no_host.send("GET /healthz HTTP/1.1\r\n\r\n").await;
    let res = no_host.response().await;
    assert_eq!(res.status, 400, "{res:?}");
    assert_eq!(res.code(), "invalid_request");

    let mut other = Conn::open(&app).await;
    other.send(get("/healthz")).await;
    assert_healthy(&other.response().await);
}

#[tokio::test]
async fn binary_garbage_does_not_hang_the_connection_or_the_server() {
    let app = spawn_app().await;
    let mut conn = Conn::open(&app).await;

    conn.send(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n")
        .await;
    // Whatever is answered, the connection ends.
    conn.until_closed().await;

    let mut other = Conn::open(&app).await;
    other.send(get("/healthz")).await;
    assert_healthy(&other.response().await);
}

// 10.
#[tokio::test]
async fn headers_over_the_header_limit_are_431_headers_too_large() {
    let app = spawn_app_with(|c| c.limits.max_header_bytes = 1024).await;
    let mut conn = Conn::open(&app).await;

    let pad = "a".repeat(2_000);
    conn.send(format!(
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: {pad}\r\n\r\n"
    ))
    .await;
    let res = conn.response().await;
    assert_eq!(res.status, 431, "{res:?}");
    assert_eq!(res.code(), "headers_too_large");
    // The head was within the server's bound (twice the header limit and more), so the app
    // refused it and the connection serves the next request.
    conn.send(get("/healthz")).await;
    assert_healthy(&conn.response().await);

    // Many small headers count together.
    let mut many = String::from("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for i in 0..40 {
        many.push_str(&format!("X-Pad-{i:02}: {}\r\n", "b".repeat(30)));
    }
    many.push_str("\r\n");
    let mut conn = Conn::open(&app).await;
    conn.send(many).await;
    let res = conn.response().await;
    assert_eq!(res.status, 431, "{res:?}");
    assert_eq!(res.code(), "headers_too_large");

    // Within the limit, fine.
    let mut conn = Conn::open(&app).await;
    conn.send(format!(
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: {}\r\n\r\n",
        "c".repeat(500)
    ))
    .await;
    assert_healthy(&conn.response().await);
}

// 11.
#[tokio::test]
async fn json_responses_carry_a_content_length_equal_to_the_body() {
    let app = spawn_app_with(|c| c.limits.max_body_bytes = SMALL_BODY_LIMIT).await;
    let close = "Connection: close\r\n";
    let requests = [
        (
            200,
            format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n{close}\r\n"),
        ),
        (
            201,
            format!(
                "POST /api/v1/scenes HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: SaomaRawTest\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n{close}\r\n{CREATE_MP}",
                CREATE_MP.len()
            ),
        ),
        (
            404,
            format!(
                "GET /api/v1/scenes/unknown-scene-1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             X-Poll-Token: t\r\n{close}\r\n"
            ),
        ),
        (
            400,
            format!(
                "POST /api/v1/scenes HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Content-Type: application/json\r\nContent-Length: 7\r\n{close}\r\nnotjson"
            ),
        ),
        (
            413,
            format!(
                "POST /api/v1/scenes HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Content-Type: application/json\r\nContent-Length: 100000\r\n{close}\r\n"
            ),
        ),
        (
            200,
            format!("GET /.well-known/jwks.json HTTP/1.1\r\nHost: 127.0.0.1\r\n{close}\r\n"),
        ),
    ];
    for (status, request) in requests {
        let mut conn = Conn::open(&app).await;
        conn.send(&request).await;
        let head = conn.head().await;
        // The connection closes after this response: everything up to EOF is its body.
        let body = conn.until_closed().await;
        let line = request.lines().next().unwrap();
        assert_eq!(head.status, status, "{line}: {head:?}");
        assert!(
            head.header("content-type")
                .unwrap()
                .starts_with("application/json"),
            "{line}: {head:?}"
        );
        assert!(
            head.header("transfer-encoding").is_none(),
            "{line}: {head:?}"
        );
        let length: usize = head
            .header("content-length")
            .unwrap_or_else(|| panic!("{line}: a content-length: {head:?}"))
            .parse()
            .unwrap();
        assert_eq!(length, body.len(), "{line}: {head:?}");
        serde_json::from_slice::<Value>(&body).expect("a JSON body");
    }
}

// 12.
#[tokio::test]
async fn an_event_stream_over_a_raw_socket_sends_the_first_event() {
    let app = spawn_app().await;
    let created = app.create_mp_scene().await;
    let mut conn = Conn::open(&app).await;

    conn.send(events_request(&created.scene, &created.poll_token))
        .await;
    let head = conn.head().await;
    assert_eq!(head.status, 200, "{head:?}");
    assert!(
        head.header("content-type")
            .unwrap()
            .starts_with("text/event-stream"),
        "{head:?}"
    );
    assert_eq!(head.header("x-accel-buffering"), Some("no"), "{head:?}");
    assert!(head.header("content-length").is_none(), "{head:?}");
    assert!(
        head.header("transfer-encoding")
            .is_some_and(|te| te.contains("chunked")),
        "a streamed body is chunked: {head:?}"
    );

    let event = first_event(&mut conn).await;
    assert!(
        event.lines().any(|l| l.trim_end() == "event: status"),
        "{event:?}"
    );
    let data = event
        .lines()
        .find_map(|l| l.strip_prefix("data:"))
        .expect("a data line");
    let view: Value = serde_json::from_str(data.trim()).unwrap();
    assert_eq!(view["status"], "pending");
    assert_eq!(view["scene"], created.scene.as_str());
}

#[tokio::test]
async fn a_dropped_event_stream_frees_its_per_address_slot() {
    let app = spawn_app_with(|c| c.limits.max_sse_per_ip = 1).await;
    let first = app.create_mp_scene().await;
    let second = app.create_mp_scene().await;

    let mut stream = Conn::open(&app).await;
    stream
        .send(events_request(&first.scene, &first.poll_token))
        .await;
    assert_eq!(stream.head().await.status, 200);
    first_event(&mut stream).await;

    // The limit is on: a second stream from this address is refused while the first is open.
    let mut refused = Conn::open(&app).await;
    refused
        .send(events_request(&second.scene, &second.poll_token))
        .await;
    let res = refused.response().await;
    assert_eq!(res.status, 429, "{res:?}");
    assert_eq!(res.code(), "rate_limited");

    // The browser goes away without a word.
    drop(stream);

    // The server watches the connection while the stream waits and frees the slot when the
    // browser hangs up. (hyper's server noticed only when a keep-alive write failed, ~30 s
    // later.) The bound is generous: machines are noisy.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut attempts = 0;
    loop {
        attempts += 1;
        let mut conn = Conn::open(&app).await;
        conn.send(events_request(&second.scene, &second.poll_token))
            .await;
        let head = conn.head().await;
        if head.status == 200 {
            let event = first_event(&mut conn).await;
            assert!(event.contains("\"pending\""), "{event:?}");
            break;
        }
        assert_eq!(head.status, 429, "{head:?}");
        assert!(
            Instant::now() < deadline,
            "the dropped stream's slot was not freed within 10 s ({attempts} attempts)"
        );
        drop(conn);
        sleep(Duration::from_millis(500)).await;
    }
    eprintln!("a dropped stream's slot was free again after {attempts} attempt(s)");
}

// 13.
#[tokio::test]
async fn a_request_dribbled_over_several_writes_is_answered() {
    let app = spawn_app().await;
    let mut conn = Conn::open(&app).await;

    let request = post_json("/api/v1/scenes", CREATE_MP);
    let bytes = request.as_bytes();
    // Split inside the request line, inside a header name, at a CRLF, in the blank line,
    // and inside the body.
    let cuts = [
        0,
        7,
        20,
        31,
        60,
        bytes.len() - CREATE_MP.len() - 1,
        bytes.len() - 5,
    ];
    for pair in cuts.windows(2) {
        conn.send(&bytes[pair[0]..pair[1]]).await;
        sleep(Duration::from_millis(60)).await;
    }
    conn.send(&bytes[bytes.len() - 5..]).await;
    scene_of(&conn.response().await);

    // And a GET whose head comes a few bytes at a time.
    for piece in get("/healthz").as_bytes().chunks(4) {
        conn.send(piece).await;
        sleep(Duration::from_millis(10)).await;
    }
    assert_healthy(&conn.response().await);
}

// Issue 14: each defect found in review, with the exact bytes.

#[tokio::test]
async fn http_1_0_keep_alive_and_close_together_closes_after_the_first_answer() {
    let app = spawn_app().await;
    for connection in [
        "Connection: keep-alive, close\r\n",
        "Connection: keep-alive\r\nConnection: close\r\n",
    ] {
        let mut conn = Conn::open(&app).await;
        conn.send(format!(
            "GET /healthz HTTP/1.0\r\n{connection}\r\nGET /second HTTP/1.1\r\nHost: a\r\n\r\n"
        ))
        .await;
        let res = conn.response().await;
        assert_healthy(&res);
        assert_eq!(res.header("connection"), Some("close"), "{res:?}");
        let rest = conn.until_closed().await;
        assert!(rest.is_empty(), "{:?}", String::from_utf8_lossy(&rest));
    }
}

#[tokio::test]
async fn a_request_line_where_a_trailer_goes_is_400_not_swallowed() {
    let app = spawn_app_with(|c| c.limits.max_body_bytes = SMALL_BODY_LIMIT).await;
    let mut conn = Conn::open(&app).await;
    conn.send(
        "POST /api/v1/scenes HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n0\r\nGET /x HTTP/1.1\r\n\r\n",
    )
    .await;
    let res = conn.response().await;
    assert_eq!(res.status, 400, "{res:?}");
    assert_eq!(res.code(), "invalid_request");
    conn.until_closed().await;
}

#[tokio::test]
async fn nul_bytes_and_bare_cr_line_ends_are_400_at_once() {
    let app = spawn_app().await;
    for bytes in [
        vec![0u8; 2048],
        b"GET /healthz HTTP/1.1\rHost: a\r\r".to_vec(),
    ] {
        let mut conn = Conn::open(&app).await;
        conn.send(&bytes).await;
        // Within HANG (5 s), not the 30 s head bound.
        let res = conn.response().await;
        assert_eq!(res.status, 400, "{res:?}");
        assert_eq!(res.code(), "invalid_request");
    }
}

#[tokio::test]
async fn a_target_over_the_head_limit_is_414() {
    let app = spawn_app_with(|c| c.limits.max_header_bytes = 1024).await;
    let mut conn = Conn::open(&app).await;
    let target = "a".repeat(40 * 1024);
    conn.send(format!("GET /{target} HTTP/1.1\r\nHost: a\r\n\r\n"))
        .await;
    let res = conn.response().await;
    assert_eq!(res.status, 414, "{res:?}");
    assert_eq!(res.code(), "invalid_request");
}

#[tokio::test]
async fn a_host_that_is_not_an_authority_is_400() {
    let app = spawn_app().await;
    let mut conn = Conn::open(&app).await;
    conn.send("GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n")
        .await;
    let res = conn.response().await;
    assert_eq!(res.status, 400, "{res:?}");
    assert_eq!(res.code(), "invalid_request");
}

#[tokio::test]
async fn a_transfer_coding_before_chunked_is_501() {
    let app = spawn_app().await;
    let mut conn = Conn::open(&app).await;
    conn.send(
        "POST /api/v1/scenes HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    )
    .await;
    let res = conn.response().await;
    assert_eq!(res.status, 501, "{res:?}");
    assert_eq!(res.code(), "invalid_request");
    assert_eq!(res.header("connection"), Some("close"));
}

#[tokio::test]
async fn connections_past_the_per_address_cap_are_refused_counted_and_healthz_answers_others() {
    let app = spawn_app_with(|c| c.limits.max_connections_per_ip = 4).await;
    let port = app.base.rsplit(':').next().unwrap().parse::<u16>().unwrap();
    let from = |ip: [u8; 4]| async move {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind((ip, 0).into()).unwrap();
        let stream = socket.connect(([127, 0, 0, 1], port).into()).await.unwrap();
        Conn {
            stream,
            buf: Vec::new(),
        }
    };
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut conn = from([127, 0, 0, 9]).await;
        conn.send(get("/healthz")).await;
        assert_healthy(&conn.response().await);
        held.push(conn);
    }

    let mut refused = from([127, 0, 0, 9]).await;
    let seen = refused.until_closed().await;
    let seen = String::from_utf8_lossy(&seen);
    assert!(
        seen.is_empty() || seen.starts_with("HTTP/1.1 503 "),
        "{seen}"
    );

    let mut other = from([127, 0, 0, 10]).await;
    other.send(get("/healthz")).await;
    assert_healthy(&other.response().await);
    let metrics = reqwest::get(app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("saoma_connections_refused_total{cap=\"per_ip\"} 1"),
        "{metrics}"
    );
}
