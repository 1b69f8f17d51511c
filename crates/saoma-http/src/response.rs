//! Writing one response: the head, then the body by Content-Length when its size is known
//! and chunked when it is not (a stream such as Server-Sent Events). While a streamed body
//! waits for its next part, the connection is watched so that a peer that hangs up ends the
//! stream at once (and whatever it held, an SSE slot say, is released).

use super::wait_until;
use bytes::{Bytes, BytesMut};
use futures::FutureExt;
use http_body_util::BodyExt;
use poem::http::{HeaderMap, Method, StatusCode, Version, header};
use std::io::IoSlice;
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// Body parts up to this size are copied next to their framing; larger ones are written
/// from where they are.
const COPY_UNDER: usize = 4096;
/// Flush once this much is waiting, even if more of the body is ready.
const FLUSH_OVER: usize = 64 * 1024;

/// The peer is gone or too slow; the connection is dropped.
#[derive(Debug)]
pub struct Gone;

pub struct Answer<'a> {
    pub response: poem::Response,
    pub method: &'a Method,
    pub version: Version,
    /// Whether the connection stays open after this response.
    pub keep_alive: bool,
    pub write_timeout: Duration,
}

/// Write `answer` to `io`. Bytes the peer sends meanwhile (a pipelined request) are kept in
/// `buf` for the next read.
///
/// Not an `async fn`: the head is built here, and only it, the body and the connection go
/// into the future, which a streamed response keeps for as long as it lasts.
pub fn write<'a>(
    io: &'a mut TcpStream,
    buf: &'a mut BytesMut,
    answer: Answer<'_>,
) -> impl Future<Output = Result<(), Gone>> + 'a {
    let Answer {
        response,
        method,
        version,
        keep_alive,
        write_timeout,
    } = answer;
    let response: poem::http::Response<_> = response.into();
    let (parts, body) = response.into_parts();
    let status = parts.status;
    let length = http_body::Body::size_hint(&body).exact();
    let framing = match length {
        _ if status.is_informational() || status == StatusCode::NO_CONTENT => Framing::None,
        // poem answers HEAD with the GET response emptied: its size is not this body's.
        _ if method == Method::HEAD || status == StatusCode::NOT_MODIFIED => Framing::AsDeclared,
        Some(n) => Framing::Length(n),
        None if version == Version::HTTP_11 => Framing::Chunked,
        None => Framing::UntilClose,
    };
    let keep_alive = keep_alive && !matches!(framing, Framing::UntilClose);
    let connection = match (keep_alive, version) {
        (false, _) => Some("close"),
        (true, Version::HTTP_10) => Some("keep-alive"),
        (true, _) => None,
    };
    let mut head = Vec::with_capacity(256);
    write_head(&mut head, status, &parts.headers, &framing, connection);
    let out = Out {
        io,
        buf: head,
        timeout: write_timeout,
    };
    let bodiless = matches!(framing, Framing::None | Framing::AsDeclared);
    let body = (!bodiless).then_some(body);
    send(out, buf, body, framing)
}

async fn send(
    mut out: Out<'_>,
    buf: &mut BytesMut,
    body: Option<http_body_util::combinators::BoxBody<Bytes, std::io::Error>>,
    framing: Framing,
) -> Result<(), Gone> {
    let Some(mut body) = body else {
        return out.flush(None).await;
    };
    let chunked = matches!(framing, Framing::Chunked);
    let mut sent: u64 = 0;
    loop {
        // A part that is ready goes out with what is waiting; otherwise what is waiting goes
        // out now and the wait for the next part watches the peer.
        let frame = match body.frame().now_or_never() {
            Some(frame) => frame,
            None => {
                out.flush(None).await?;
                out.buf = Vec::new();
                tokio::select! {
                    frame = body.frame() => frame,
                    () = hang_up(out.io, buf) => return Err(Gone),
                }
            }
        };
        let data = match frame {
            None => break,
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => data,
                Err(_) => continue,
            },
            // A body cannot fail after its head went out; closing tells the peer it is cut.
            Some(Err(_)) => return Err(Gone),
        };
        if data.is_empty() {
            continue;
        }
        sent += data.len() as u64;
        if chunked {
            out.buf
                .extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
        }
        if data.len() < COPY_UNDER {
            out.buf.extend_from_slice(&data);
        } else {
            out.flush(Some(data)).await?;
        }
        if chunked {
            out.buf.extend_from_slice(b"\r\n");
        }
        if out.buf.len() > FLUSH_OVER {
            out.flush(None).await?;
        }
    }
    match framing {
        Framing::Chunked => out.buf.extend_from_slice(b"0\r\n\r\n"),
        // A body that broke its own size hint would misframe the next response.
        Framing::Length(n) if n != sent => return Err(Gone),
        _ => {}
    }
    out.flush(None).await
}

enum Framing {
    None,
    /// No body follows: keep the Content-Length the endpoint declared, if any.
    AsDeclared,
    Length(u64),
    Chunked,
    UntilClose,
}

fn write_head(
    out: &mut Vec<u8>,
    status: StatusCode,
    headers: &HeaderMap,
    framing: &Framing,
    connection: Option<&str>,
) {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        // Framing and connection headers are this layer's to write.
        let declared_length =
            name == header::CONTENT_LENGTH && matches!(framing, Framing::AsDeclared);
        if (name == header::CONTENT_LENGTH && !declared_length)
            || name == header::TRANSFER_ENCODING
            || name == header::CONNECTION
        {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if !headers.contains_key(header::DATE) {
        out.extend_from_slice(b"date: ");
        out.extend_from_slice(httpdate::fmt_http_date(SystemTime::now()).as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    match framing {
        Framing::None | Framing::AsDeclared | Framing::UntilClose => {}
        Framing::Length(n) => out.extend_from_slice(format!("content-length: {n}\r\n").as_bytes()),
        Framing::Chunked => out.extend_from_slice(b"transfer-encoding: chunked\r\n"),
    }
    if let Some(connection) = connection {
        out.extend_from_slice(b"connection: ");
        out.extend_from_slice(connection.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

struct Out<'a> {
    io: &'a mut TcpStream,
    buf: Vec<u8>,
    timeout: Duration,
}

impl Out<'_> {
    /// Write what is waiting, then `more`, in one vectored write where the kernel takes it.
    async fn flush(&mut self, more: Option<Bytes>) -> Result<(), Gone> {
        let more = more.unwrap_or_default();
        let write = async {
            let (mut a, mut b) = (&self.buf[..], &more[..]);
            while !a.is_empty() || !b.is_empty() {
                let n = self
                    .io
                    .write_vectored(&[IoSlice::new(a), IoSlice::new(b)])
                    .await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::WriteZero.into());
                }
                let from_a = n.min(a.len());
                a = &a[from_a..];
                b = &b[n - from_a..];
            }
            Ok::<_, std::io::Error>(())
        };
        match wait_until(Instant::now() + self.timeout, write).await {
            Some(Ok(())) => {
                self.buf.clear();
                Ok(())
            }
            _ => Err(Gone),
        }
    }
}

/// Resolves when the peer closes (or errs). Anything it sends first is kept in `buf`; past
/// `KEEP_AT_MOST` bytes the peer is no longer watched (it is ahead of us, not gone: the
/// kernel holds the rest, and a dead peer still fails the next keep-alive write).
async fn hang_up(io: &mut TcpStream, buf: &mut BytesMut) {
    const KEEP_AT_MOST: usize = 4096;
    let mut scratch = [0u8; 64];
    loop {
        if buf.len() > KEEP_AT_MOST {
            return futures::future::pending().await;
        }
        match io.read(&mut scratch).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&scratch[..n]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use poem::http::HeaderValue;

    fn head(status: StatusCode, framing: Framing, connection: Option<&str>) -> String {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("999"));
        headers.insert(header::DATE, HeaderValue::from_static("then"));
        let mut out = Vec::new();
        write_head(&mut out, status, &headers, &framing, connection);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_head_carries_our_framing_not_the_endpoints() {
        assert_eq!(
            head(StatusCode::OK, Framing::Length(5), None),
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ndate: then\r\ncontent-length: 5\r\n\r\n"
        );
        assert_eq!(
            head(StatusCode::NOT_FOUND, Framing::Chunked, Some("close")),
            "HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ndate: then\r\n\
             transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
        );
    }
}
