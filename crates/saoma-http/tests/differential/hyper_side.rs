//! hyper 1.x's HTTP/1.1 server over an in-memory pipe: the requests its service was given,
//! their bodies, and how the connection ended.

use super::{Ending, Reading, Request};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A body hyper could not read: the request is not counted as served.
enum Seen {
    Served(Request),
    BodyFailed { incomplete: bool },
}

pub async fn reads(input: &[u8]) -> Reading {
    let (mut client, server) = tokio::io::duplex(1 << 20);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let service = service_fn(move |req: hyper::Request<Incoming>| {
        let log = log.clone();
        async move {
            let (parts, body) = req.into_parts();
            let entry = match body.collect().await {
                Ok(body) => Seen::Served(Request {
                    method: parts.method.to_string(),
                    target: parts.uri.to_string(),
                    version: format!("{:?}", parts.version),
                    headers: super::fields(
                        parts
                            .headers
                            .iter()
                            .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
                            .collect(),
                    ),
                    body: body.to_bytes().to_vec(),
                }),
                Err(e) => Seen::BodyFailed {
                    incomplete: e.is_incomplete_message() || ended_early(&e),
                },
            };
            log.lock().unwrap().push(entry);
            Ok::<_, Infallible>(hyper::Response::new(Empty::<Bytes>::new()))
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .half_close(true)
        .serve_connection(TokioIo::new(server), service);
    let input = input.to_vec();
    let peer = tokio::spawn(async move {
        let _ = client.write_all(&input).await;
        let _ = client.shutdown().await;
        let mut answers = Vec::new();
        let _ = client.read_to_end(&mut answers).await;
    });
    let ended = tokio::time::timeout(Duration::from_secs(5), conn)
        .await
        .expect("hyper finished with the input");
    let _ = peer.await;

    let mut requests = Vec::new();
    let mut body_failed = None;
    for entry in seen.lock().unwrap().drain(..) {
        match entry {
            Seen::Served(request) => requests.push(request),
            Seen::BodyFailed { incomplete } => {
                body_failed = Some(incomplete);
                break;
            }
        }
    }
    let end = match (body_failed, ended) {
        (Some(true), _) => Ending::Incomplete,
        (Some(false), _) => Ending::Refused("hyper: bad body".into()),
        (None, Ok(())) => Ending::Done,
        (None, Err(e)) if e.is_incomplete_message() => Ending::Incomplete,
        (None, Err(e)) => Ending::Refused(format!("hyper: {e}")),
    };
    Reading { requests, end }
}

/// Whether a body error is the input ending (an unexpected EOF somewhere in its causes).
fn ended_early(e: &hyper::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(err) = cause {
        if err
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::UnexpectedEof)
        {
            return true;
        }
        cause = err.source();
    }
    false
}
