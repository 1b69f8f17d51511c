//! Reading one request's head: parsed by `httparse`, copied into `http` types, bounded in size
//! and time. Its body is `body.rs`'s.

use super::{Limits, wait_until};
use bytes::{Buf, BytesMut};
use poem::http::{self, HeaderMap, HeaderName, HeaderValue, Method, Uri, Version, header};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// At most this many header lines; more is 431, as a head over the byte cap is.
const MAX_HEADERS: usize = 100;
const READ_CHUNK: usize = 1024;

/// Why no request could be read. The connection closes after each.
#[derive(Debug)]
pub enum ReadError {
    /// The peer closed, went quiet, or the server is stopping: close without a word.
    Gone,
    /// A malformed request: answer 400 with this message.
    Malformed(&'static str),
    /// The head is over the cap: answer 431.
    HeadTooLarge,
}

/// A request head, parsed.
pub struct Head {
    pub parts: http::request::Parts,
    pub keep_alive: bool,
    pub(super) framing: Framing,
    pub(super) expects_continue: bool,
}

pub(super) enum Framing {
    Empty,
    Length(u64),
    Chunked,
}

/// Wait for and parse the next request head in `buf` (reading more from `io` as needed).
/// `idle` bounds the wait for its first byte, `limits.head_timeout` the rest. A quiet
/// connection holds no buffer: room is made only once bytes are there to read.
pub async fn read_head(
    io: &mut TcpStream,
    buf: &mut BytesMut,
    limits: &Limits,
    idle: impl Future<Output = ()>,
) -> Result<Head, ReadError> {
    let mut idle = std::pin::pin!(idle);
    let mut started = (!buf.is_empty()).then(Instant::now);
    // Parsing starts over each time, so it runs only when a line has ended since the last
    // try (at most once per header line, whatever the packets), not on every read.
    let mut scanned = 0;
    loop {
        if buf[scanned..].contains(&b'\n') {
            if let Some((head, len)) = parse_head(buf, limits.max_head_bytes)? {
                buf.advance(len);
                return Ok(head);
            }
        } else if buf.len() > limits.max_head_bytes {
            return Err(ReadError::HeadTooLarge);
        }
        scanned = buf.len();
        let ready = match started {
            // Waiting for a request to begin: the idle bound, or the server stopping.
            None => tokio::select! {
                ready = io.readable() => ready,
                () = &mut idle => return Err(ReadError::Gone),
            },
            Some(at) => wait_until(at + limits.head_timeout, io.readable())
                .await
                .ok_or(ReadError::Gone)?,
        };
        ready.map_err(|_| ReadError::Gone)?;
        buf.reserve(READ_CHUNK);
        match io.try_read_buf(buf) {
            Ok(0) => return Err(ReadError::Gone),
            Ok(_) => started = started.or_else(|| Some(Instant::now())),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return Err(ReadError::Gone),
        }
    }
}

/// `Some((head, bytes it took))` once `buf` holds a whole head.
fn parse_head(buf: &[u8], max: usize) -> Result<Option<(Head, usize)>, ReadError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) if len <= max => len,
        Ok(httparse::Status::Complete(_)) => return Err(ReadError::HeadTooLarge),
        Ok(httparse::Status::Partial) if buf.len() > max => return Err(ReadError::HeadTooLarge),
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(ReadError::HeadTooLarge),
        Err(_) => return Err(ReadError::Malformed("malformed request")),
    };
    let version = match req.version {
        Some(0) => Version::HTTP_10,
        _ => Version::HTTP_11,
    };
    let method = Method::from_bytes(req.method.unwrap_or_default().as_bytes())
        .map_err(|_| ReadError::Malformed("invalid method"))?;
    let uri: Uri = req
        .path
        .unwrap_or_default()
        .parse()
        .map_err(|_| ReadError::Malformed("invalid request target"))?;
    let mut map = HeaderMap::with_capacity(req.headers.len());
    for h in req.headers.iter() {
        let name = HeaderName::from_bytes(h.name.as_bytes())
            .map_err(|_| ReadError::Malformed("invalid header name"))?;
        let value = HeaderValue::from_bytes(h.value)
            .map_err(|_| ReadError::Malformed("invalid header value"))?;
        map.append(name, value);
    }
    // RFC 9112 §3.2: exactly one Host in HTTP/1.1.
    let hosts = map.get_all(header::HOST).iter().count();
    if hosts > 1 || (version == Version::HTTP_11 && hosts == 0) {
        return Err(ReadError::Malformed(
            "an HTTP/1.1 request needs one Host header",
        ));
    }
    let framing = framing(&map)?;
    if version == Version::HTTP_10 && matches!(framing, Framing::Chunked) {
        // §6.1: an HTTP/1.0 hop would not see this framing.
        return Err(ReadError::Malformed(
            "Transfer-Encoding in an HTTP/1.0 request",
        ));
    }
    let keep_alive = keep_alive(version, &map);
    let expects_continue = version == Version::HTTP_11
        && map
            .get(header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let (mut parts, ()) = http::Request::new(()).into_parts();
    parts.method = method;
    parts.uri = uri;
    parts.version = version;
    parts.headers = map;
    let head = Head {
        parts,
        keep_alive,
        framing,
        expects_continue,
    };
    Ok(Some((head, len)))
}

/// RFC 9112 §6.3: chunked (as the final coding) wins; Transfer-Encoding without it, or with
/// a Content-Length beside it, or disagreeing Content-Lengths, cannot be framed safely.
fn framing(headers: &HeaderMap) -> Result<Framing, ReadError> {
    let mut codings = headers.get_all(header::TRANSFER_ENCODING).iter().peekable();
    if codings.peek().is_some() {
        let last = codings.last().and_then(|v| v.to_str().ok()).unwrap_or("");
        let chunked = last
            .rsplit(',')
            .next()
            .is_some_and(|c| c.trim().eq_ignore_ascii_case("chunked"));
        if !chunked || headers.contains_key(header::CONTENT_LENGTH) {
            return Err(ReadError::Malformed("unsupported Transfer-Encoding"));
        }
        return Ok(Framing::Chunked);
    }
    let mut length = None;
    for value in headers.get_all(header::CONTENT_LENGTH) {
        let n = value
            .to_str()
            .ok()
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or(ReadError::Malformed("invalid Content-Length"))?;
        if length.is_some_and(|l| l != n) {
            return Err(ReadError::Malformed("conflicting Content-Length"));
        }
        length = Some(n);
    }
    Ok(match length {
        None | Some(0) => Framing::Empty,
        Some(n) => Framing::Length(n),
    })
}

fn keep_alive(version: Version, headers: &HeaderMap) -> bool {
    if version == Version::HTTP_11 {
        !connection_has(headers, "close")
    } else {
        connection_has(headers, "keep-alive")
    }
}

/// Whether the `Connection` header lists `token`.
pub fn connection_has(headers: &HeaderMap, token: &str) -> bool {
    headers.get_all(header::CONNECTION).iter().any(|v| {
        v.to_str()
            .unwrap_or("")
            .split(',')
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<Option<(Head, usize)>, ReadError> {
        parse_head(raw.as_bytes(), 8192)
    }

    #[test]
    fn a_whole_head_parses_into_http_types() {
        let raw = "POST /api/v1/scenes?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
        let (head, len) = parse(raw).unwrap().unwrap();
        assert_eq!(len, raw.len() - 5);
        assert_eq!(head.parts.method, Method::POST);
        assert_eq!(head.parts.uri.path(), "/api/v1/scenes");
        assert_eq!(head.parts.uri.query(), Some("x=1"));
        assert_eq!(head.parts.headers["host"], "a");
        assert!(head.keep_alive);
        assert!(matches!(head.framing, Framing::Length(5)));
    }

    #[test]
    fn a_partial_head_waits_for_more() {
        assert!(parse("GET / HTTP/1.1\r\nHost: a\r\n").unwrap().is_none());
    }

    #[test]
    fn keep_alive_follows_the_version_and_connection_header() {
        let ka = |raw: &str| parse(raw).unwrap().unwrap().0.keep_alive;
        assert!(!ka(
            "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        ));
        assert!(!ka("GET / HTTP/1.0\r\n\r\n"));
        assert!(ka("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
    }

    #[test]
    fn ambiguous_framing_and_a_missing_host_are_refused() {
        for raw in [
            "GET / HTTP/1.1\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\n",
        ] {
            assert!(
                matches!(parse(raw), Err(ReadError::Malformed(_))),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn one_host_is_required_and_transfer_encoding_needs_http_1_1() {
        for raw in [
            "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        ] {
            assert!(
                matches!(parse(raw), Err(ReadError::Malformed(_))),
                "{raw:?}"
            );
        }
        assert!(parse("GET / HTTP/1.0\r\n\r\n").unwrap().is_some());
    }

    #[test]
    fn heads_over_the_cap_or_with_too_many_lines_are_too_large() {
        let long = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(9000));
        assert!(matches!(parse(&long), Err(ReadError::HeadTooLarge)));
        let unfinished = format!("GET / HTTP/1.1\r\nX: {}", "a".repeat(9000));
        assert!(matches!(parse(&unfinished), Err(ReadError::HeadTooLarge)));
        let many: String = (0..=MAX_HEADERS).map(|i| format!("X-{i}: 1\r\n")).collect();
        let many = format!("GET / HTTP/1.1\r\n{many}\r\n");
        assert!(matches!(parse(&many), Err(ReadError::HeadTooLarge)));
    }
}
