//! Saoma's own HTTP/1.1 server: accepts connections and hands each request to the poem
//! endpoint, in place of poem's `Server` (hyper).
//!
//! Why: memory per idle connection. A browser waiting for a login holds a Server-Sent Events
//! stream open for minutes, so an instance holds tens of thousands of idle streams. Under
//! hyper each one kept an 8 KiB read buffer, an 8 KiB write buffer and its dispatcher (~18 of
//! the ~24 KB of heap per stream that heaptrack showed; 33.6 KiB of RSS per stream in all).
//! Here a connection holds no buffer while it waits: the read buffer is released once a
//! request is read, the write buffer once a response part is written.
//!
//! What it does: keep-alive and pipelining; bodies by Content-Length or chunked, read whole
//! and capped (the body-limit middleware answers 413 over the cap); `Expect: 100-continue`;
//! responses by Content-Length when the size is known, chunked when streamed; a peer that
//! hangs up ends its stream at once; time bounds on a quiet connection, on a head, on a body
//! and on each write. It speaks HTTP/1.1 only: Saoma sits behind a proxy or load balancer,
//! which speaks HTTP/1.1 to it.
//!
//! TCP_NODELAY is on for every connection. Without it, Nagle's algorithm holds a small write
//! while an earlier one is unacknowledged, and a browser reading an SSE stream sends nothing,
//! so its ACKs are delayed (~40 ms on Linux): saoma-bench measured the first SSE event 43 ms
//! after the request with the Redis store (0.2 ms once fixed).

mod body;
mod request;
mod response;
#[cfg(test)]
mod tests;

use crate::shutdown::Shutdown;
use bytes::BytesMut;
use futures::future::BoxFuture;
use poem::http::StatusCode;
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Body, Endpoint, Request, RequestParts};
use request::ReadError;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Bounds on what one connection may send and how long it may take.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The request line and headers, in bytes; over it is 431.
    pub max_head_bytes: usize,
    /// A body over this is not read (see `request::read_body`).
    pub max_body_bytes: usize,
    /// A connection with no request under way is closed after this.
    pub idle_timeout: Duration,
    /// From a request's first byte to the end of its head.
    pub head_timeout: Duration,
    pub body_timeout: Duration,
    /// Each write of a response part (a peer that stops reading is dropped).
    pub write_timeout: Duration,
}

impl Limits {
    pub fn new(max_header_bytes: usize, max_body_bytes: usize) -> Self {
        Self {
            // The header cap counts names and values; the head adds the request line (a URL
            // may be long) and the separators.
            max_head_bytes: max_header_bytes.saturating_mul(2).max(8192) + 8192,
            max_body_bytes,
            idle_timeout: Duration::from_secs(75),
            head_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
        }
    }
}

/// Turns a request the server refused before the endpoint saw it (400, 431) into the
/// response it gets, so such refusals look like the endpoint's own.
pub type OnError = Arc<dyn Fn(poem::Error) -> BoxFuture<'static, poem::Response> + Send + Sync>;

pub struct Server {
    listener: TcpListener,
    shared: Arc<Shared>,
}

struct Shared {
    endpoint: poem::endpoint::BoxEndpoint<'static>,
    limits: Limits,
    on_error: OnError,
    local: SocketAddr,
    shutdown: Shutdown,
}

impl Server {
    pub fn new(
        listener: TcpListener,
        endpoint: poem::endpoint::BoxEndpoint<'static>,
        limits: Limits,
        on_error: OnError,
        shutdown: Shutdown,
    ) -> std::io::Result<Self> {
        let local = listener.local_addr()?;
        Ok(Self {
            listener,
            shared: Arc::new(Shared {
                endpoint,
                limits,
                on_error,
                local,
                shutdown,
            }),
        })
    }

    /// Serve until the shutdown is triggered; then stop accepting, close quiet connections,
    /// and wait at most `grace` for requests under way to finish.
    pub async fn run(self, grace: Duration) -> std::io::Result<()> {
        let (alive, mut all_closed) = mpsc::channel::<()>(1);
        let mut stop = std::pin::pin!(self.shared.shutdown.triggered());
        loop {
            let accepted = tokio::select! {
                accepted = self.listener.accept() => accepted,
                () = &mut stop => break,
            };
            let (io, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, say: wait for some to close.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            if let Err(e) = io.set_nodelay(true) {
                tracing::debug!(error = %e, "could not set TCP_NODELAY");
            }
            let shared = self.shared.clone();
            let alive = alive.clone();
            tokio::spawn(async move {
                serve(&shared, io, peer).await;
                drop(alive);
            });
        }
        drop(self.listener);
        drop(alive);
        let _ = tokio::time::timeout(grace, all_closed.recv()).await;
        Ok(())
    }
}

async fn serve(shared: &Shared, mut io: TcpStream, peer: SocketAddr) {
    let limits = &shared.limits;
    let mut buf = BytesMut::new();
    loop {
        let idle = async {
            tokio::select! {
                () = tokio::time::sleep(limits.idle_timeout) => {}
                () = shared.shutdown.triggered() => {}
            }
        };
        let head = match request::read_head(&mut io, &mut buf, limits, idle).await {
            Ok(head) => head,
            Err(e) => return Box::pin(refuse(shared, io, e)).await,
        };
        let (body, whole) = match body::read_body(&mut io, &mut buf, &head, limits).await {
            Ok(body) => body,
            Err(e) => return Box::pin(refuse(shared, io, e)).await,
        };
        // Hold no buffer while the request is served or the connection waits, or only
        // what was pipelined (not the allocation the head and body were read into).
        buf = BytesMut::from(&buf[..]);
        let method = head.parts.method.clone();
        let version = head.parts.version;
        let parts = RequestParts::from((
            head.parts,
            LocalAddr(Addr::SocketAddr(shared.local)),
            RemoteAddr(Addr::SocketAddr(peer)),
            Scheme::HTTP,
        ));
        // Boxed: the endpoint's future is large and the connection's would carry its size
        // for as long as it lives, idle streams included.
        let request = Request::from_parts(parts, Body::from(body));
        let response = Box::pin(shared.endpoint.get_response(request)).await;
        let keep_alive = head.keep_alive
            && whole
            && !shared.shutdown.is_triggered()
            && !asks_to_close(&response);
        let answer = response::Answer {
            response,
            method: &method,
            version,
            keep_alive,
            write_timeout: limits.write_timeout,
        };
        if response::write(&mut io, &mut buf, answer).await.is_err() {
            return;
        }
        if !keep_alive {
            return linger_close(io).await;
        }
    }
}

fn asks_to_close(response: &poem::Response) -> bool {
    request::connection_has(response.headers(), "close")
}

/// Answer a request that could not be read (if it deserves an answer), then close.
async fn refuse(shared: &Shared, mut io: TcpStream, e: ReadError) {
    let (status, message) = match e {
        ReadError::Gone => return,
        ReadError::Malformed(message) => (StatusCode::BAD_REQUEST, message),
        ReadError::HeadTooLarge => (
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "the request head is too large",
        ),
    };
    let response = (shared.on_error)(poem::Error::from_string(message, status)).await;
    let answer = response::Answer {
        response,
        method: &poem::http::Method::GET,
        version: poem::http::Version::HTTP_11,
        keep_alive: false,
        write_timeout: shared.limits.write_timeout,
    };
    if response::write(&mut io, &mut BytesMut::new(), answer)
        .await
        .is_ok()
    {
        linger_close(io).await;
    }
}

/// Close after a response, reading (and dropping) what the peer still sends for a moment:
/// closing with unread bytes would reset the connection, and the peer could lose the
/// response it has not read yet (a 413 sent before the body, say).
async fn linger_close(mut io: TcpStream) {
    const AT_MOST: usize = 256 * 1024;
    let _ = io.shutdown().await;
    let drain = async {
        let mut scratch = [0u8; 1024];
        let mut read = 0;
        while read < AT_MOST {
            match io.read(&mut scratch).await {
                Ok(0) | Err(_) => return,
                Ok(n) => read += n,
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), drain).await;
}

/// `f`'s output, or `None` if `deadline` passes first.
async fn wait_until<F: Future>(deadline: Instant, f: F) -> Option<F::Output> {
    tokio::time::timeout_at(deadline, f).await.ok()
}
