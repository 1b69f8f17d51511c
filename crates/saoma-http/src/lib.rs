//! Saoma's own HTTP/1.1 server: accepts connections and hands each request to a poem
//! endpoint, in place of poem's `Server` (hyper). It knows nothing of Saoma: what it needs from
//! its user comes in as values and callbacks.
//!
//! # Interface
//!
//! - [`Server::new`]`(listener, endpoint, limits, hooks, stop)` then [`Server::run`]`(grace)`.
//! - [`ConnectionLimits`]: the caps on a head, a body and the number of connections (in total and per
//!   peer address), and the time bounds on an idle connection, a head, a body and a write.
//! - [`Hooks`]: `on_error` turns a request refused before the endpoint saw it (400, 414, 431,
//!   501) into its response, so refusals look like the endpoint's own errors; `on_refused`
//!   is told of each connection refused by a cap (to count it); `per_address` says which
//!   address a peer is counted as (an IPv6 peer by its network), or that it is not capped
//!   per address (a proxy).
//! - `stop`: a `watch::Receiver<bool>` that turns `true` to stop. Then the server stops
//!   accepting, closes quiet connections and those still sending a request, and waits at most
//!   `grace` for the requests under way (a streamed response ends when its body does, so the
//!   endpoint ends its streams on the same signal).
//!
//! ```no_run
//! # async fn serve(endpoint: poem::endpoint::BoxEndpoint<'static>) -> std::io::Result<()> {
//! use poem::IntoResponse;
//! use std::sync::Arc;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let on_error: saoma_http::OnError = Arc::new(|e| Box::pin(async move { e.into_response() }));
//! let limits = saoma_http::ConnectionLimits {
//!     max_connections_per_ip: 256,
//!     ..saoma_http::ConnectionLimits::new(16 * 1024, 16 * 1024)
//! };
//! let (_stop, stopping) = tokio::sync::watch::channel(false);
//! let server = saoma_http::Server::new(
//!     listener,
//!     endpoint,
//!     limits,
//!     saoma_http::Hooks::new(on_error),
//!     stopping,
//! )?;
//! server.run(std::time::Duration::from_secs(10)).await
//! # }
//! ```
//!
//! # Why not hyper
//!
//! Memory per idle connection. A browser waiting for a login holds a Server-Sent Events
//! stream open for minutes, so an instance holds tens of thousands of idle streams. Under
//! hyper each one kept an 8 KiB read buffer, an 8 KiB write buffer and its dispatcher (~18 of
//! the ~24 KB of heap per stream that heaptrack showed; 33.6 KiB of RSS per stream in all).
//! Here a connection holds no buffer while it waits: the read buffer is released once a
//! request is read, the write buffer once a response part is written. The price is hyper's
//! bar: `tests/differential/` reads generated and mutated requests with this parser and with
//! hyper's and fails when they disagree (but for a short list of rules where this one is
//! stricter), and `fuzz/` is a cargo-fuzz target over the same parser.
//!
//! # What it does
//!
//! Keep-alive and pipelining; bodies by Content-Length or chunked, read whole and capped (the
//! endpoint gets `max + 1` bytes of a body over the cap, enough to answer 413);
//! `Expect: 100-continue`; responses by Content-Length when the size is known, chunked when
//! streamed; a peer that hangs up ends its stream at once. It speaks HTTP/1.1 only: Saoma sits
//! behind a proxy or load balancer, which speaks HTTP/1.1 to it.
//!
//! TCP_NODELAY is on for every connection. Without it, Nagle's algorithm holds a small write
//! while an earlier one is unacknowledged, and a browser reading an SSE stream sends nothing,
//! so its ACKs are delayed (~40 ms on Linux): saoma-bench measured the first SSE event 43 ms
//! after the request with the Redis store (0.2 ms once fixed).

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::await_holding_lock)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod body;
mod chunked;
mod conns;
mod fields;
mod parse;
mod read_error;
mod request;
mod response;
#[cfg(test)]
mod tests;

pub use conns::Refused;

/// The parser without a socket, for the differential test and the fuzz target.
#[doc(hidden)]
pub mod fuzzing {
    pub use super::parse::{End, Parsed, ParsedRequest, parse_all, parse_in_two};
}

use bytes::BytesMut;
use conns::{Conns, Slot};
use futures::future::BoxFuture;
use poem::http::StatusCode;
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Body, Endpoint, Request, RequestParts};
use read_error::ReadError;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// Bounds on what one connection may send and how long it may take, and on how many
/// connections may be open.
#[derive(Clone, Debug)]
pub struct ConnectionLimits {
    /// The request line and headers, in bytes; a request line over it is 414, a head 431.
    pub max_head_bytes: usize,
    /// A body over this is not read (see `body::read_body`).
    pub max_body_bytes: usize,
    /// A connection with no request under way is closed after this.
    pub idle_timeout: Duration,
    /// From a request's first byte to the end of its head.
    pub head_timeout: Duration,
    pub body_timeout: Duration,
    /// Each write of a response part (a peer that stops reading is dropped).
    pub write_timeout: Duration,
    /// Open connections in all; past it new ones are refused at once. 0: no cap.
    pub max_connections: usize,
    /// Open connections from one client address (see `Hooks::per_address`). 0: no cap.
    pub max_connections_per_ip: usize,
}

impl ConnectionLimits {
    /// Default time bounds (75 s idle, 30 s for a head, a body and each write) and no
    /// connection caps.
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
            max_connections: 0,
            max_connections_per_ip: 0,
        }
    }
}

/// Turns a request the server refused before the endpoint saw it (400, 414, 431, 501) into
/// the response it gets, so such refusals look like the endpoint's own.
pub type OnError = Arc<dyn Fn(poem::Error) -> BoxFuture<'static, poem::Response> + Send + Sync>;

/// What the server calls back into its user for.
#[derive(Clone)]
pub struct Hooks {
    pub on_error: OnError,
    /// Told of each connection refused by a cap (to count it).
    pub on_refused: Arc<dyn Fn(Refused) + Send + Sync>,
    /// The address a peer's connections are counted under for `max_connections_per_ip` (its
    /// own, or its network's when one client holds many addresses), or `None` for a peer not
    /// counted per address (a proxy that carries many clients' connections).
    pub per_address: Arc<dyn Fn(IpAddr) -> Option<IpAddr> + Send + Sync>,
}

impl Hooks {
    /// `on_error`, nothing told of refusals, every peer capped under its own address.
    pub fn new(on_error: OnError) -> Self {
        Hooks {
            on_error,
            on_refused: Arc::new(|_| {}),
            per_address: Arc::new(Some),
        }
    }
}

pub struct Server {
    listener: TcpListener,
    shared: Arc<Shared>,
}

struct Shared {
    endpoint: poem::endpoint::BoxEndpoint<'static>,
    limits: ConnectionLimits,
    hooks: Hooks,
    local: SocketAddr,
    stop: Stop,
}

/// The server's view of a shutdown: `true` once it has begun.
#[derive(Clone)]
struct Stop(watch::Receiver<bool>);

impl Stop {
    fn is_stopping(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once stopping (at once if already).
    async fn stopping(&self) {
        let mut rx = self.0.clone();
        if rx.wait_for(|stopping| *stopping).await.is_err() {
            // Nobody can stop us any more.
            futures::future::pending::<()>().await;
        }
    }
}

impl Server {
    /// `stop` turns `true` when the server is to stop (see [`Server::run`]).
    pub fn new(
        listener: TcpListener,
        endpoint: poem::endpoint::BoxEndpoint<'static>,
        limits: ConnectionLimits,
        hooks: Hooks,
        stop: watch::Receiver<bool>,
    ) -> std::io::Result<Self> {
        let local = listener.local_addr()?;
        Ok(Self {
            listener,
            shared: Arc::new(Shared {
                endpoint,
                limits,
                hooks,
                local,
                stop: Stop(stop),
            }),
        })
    }

    /// Serve until `stop` turns `true`; then stop accepting, close quiet connections and
    /// those still sending a request, and wait at most `grace` for requests under way to
    /// finish.
    pub async fn run(self, grace: Duration) -> std::io::Result<()> {
        let (alive, mut all_closed) = mpsc::channel::<()>(1);
        let conns = Conns::new(
            self.shared.limits.max_connections,
            self.shared.limits.max_connections_per_ip,
        );
        let stop = self.shared.stop.clone();
        let mut stop = std::pin::pin!(stop.stopping());
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
            let counted_as = (self.shared.hooks.per_address)(peer.ip());
            let slot = match conns.admit(counted_as) {
                Ok(slot) => slot,
                Err(refused) => {
                    (self.shared.hooks.on_refused)(refused);
                    let _ = io.try_write(conns::REFUSAL);
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
                drop::<Slot>(slot);
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
        let read = async {
            let idle = tokio::time::sleep(limits.idle_timeout);
            let head = request::read_head(&mut io, &mut buf, limits, idle).await?;
            let (body, whole) = body::read_body(&mut io, &mut buf, &head, limits).await?;
            Ok((head, body, whole))
        };
        // A request not yet whole when the server stops will not be served: close now.
        let read = tokio::select! {
            read = read => read,
            () = shared.stop.stopping() => Err(ReadError::Gone),
        };
        let (head, body, whole) = match read {
            Ok(read) => read,
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
        let keep_alive =
            head.keep_alive && whole && !shared.stop.is_stopping() && !asks_to_close(&response);
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
    fields::connection_has(response.headers(), "close")
}

/// Answer a request that could not be read (if it deserves an answer), then close.
async fn refuse(shared: &Shared, mut io: TcpStream, e: ReadError) {
    let (status, message) = match e {
        ReadError::Gone => return,
        ReadError::Malformed(message) => (StatusCode::BAD_REQUEST, message),
        ReadError::TargetTooLong => (StatusCode::URI_TOO_LONG, "the request target is too long"),
        ReadError::HeadTooLarge => (
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "the request head is too large",
        ),
        ReadError::NotImplemented(message) => (StatusCode::NOT_IMPLEMENTED, message),
    };
    let response = (shared.hooks.on_error)(poem::Error::from_string(message, status)).await;
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
