//! Reading one request's head: parsed by `httparse`, copied into `http` types, bounded in size
//! and time. What its header fields mean for the connection is `fields.rs`'s; its body is
//! `body.rs`'s.

use super::fields::{self, Framing};
use super::read_error::ReadError;
use super::{ConnectionLimits, wait_until};
use bytes::{Buf, BytesMut};
use poem::http::{self, HeaderMap, HeaderName, HeaderValue, Method, Uri, Version, header};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// At most this many header lines; more is 431, as a head over the byte cap is.
const MAX_HEADERS: usize = 100;
const READ_CHUNK: usize = 1024;

/// A request head, parsed.
pub struct Head {
    pub parts: http::request::Parts,
    pub keep_alive: bool,
    pub framing: Framing,
    pub expects_continue: bool,
}

/// Wait for and parse the next request head in `buf` (reading more from `io` as needed).
/// `idle` bounds the wait for its first byte, `limits.head_timeout` the rest. A quiet
/// connection holds no buffer: room is made only once bytes are there to read.
pub async fn read_head(
    io: &mut TcpStream,
    buf: &mut BytesMut,
    limits: &ConnectionLimits,
    idle: impl Future<Output = ()>,
) -> Result<Head, ReadError> {
    let mut idle = std::pin::pin!(idle);
    let mut started = (!buf.is_empty()).then(Instant::now);
    // Parsing starts over each time, so it runs only when a byte that ends or breaks a line
    // has arrived since the last try (a few times per header line, whatever the packets),
    // not on every read: a CR, an LF, or any other control byte (invalid in a head, and
    // answered at once rather than when a line ends that never will).
    let mut scanned = 0;
    loop {
        if buf[scanned..].iter().any(|&b| b < 0x20 || b == 0x7f) {
            if let Some((head, len)) = parse_head(buf, limits.max_head_bytes)? {
                buf.advance(len);
                return Ok(head);
            }
        } else if buf.len() > limits.max_head_bytes {
            return Err(too_large(buf));
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

/// Over the head cap: 414 while the request line has not ended (its target is what is too
/// long), 431 once it has (the header fields are).
fn too_large(buf: &[u8]) -> ReadError {
    let start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    if buf[start..].contains(&b'\n') {
        ReadError::HeadTooLarge
    } else {
        ReadError::TargetTooLong
    }
}

/// `Some((head, bytes it took))` once `buf` holds a whole head.
pub fn parse_head(buf: &[u8], max: usize) -> Result<Option<(Head, usize)>, ReadError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) if len <= max => len,
        Ok(httparse::Status::Complete(_)) => return Err(too_large(&buf[..max + 1])),
        Ok(httparse::Status::Partial) if buf.len() > max => return Err(too_large(buf)),
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
    fields::check_host(version, &map)?;
    let framing = fields::framing(&map)?;
    if version == Version::HTTP_10 && matches!(framing, Framing::Chunked) {
        // §6.1: an HTTP/1.0 hop would not see this framing.
        return Err(ReadError::Malformed(
            "Transfer-Encoding in an HTTP/1.0 request",
        ));
    }
    let keep_alive = fields::keep_alive(version, &map);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<Option<(Head, usize)>, ReadError> {
        parse_head(raw.as_bytes(), 8192)
    }

    fn refusal(raw: &str) -> ReadError {
        match parse(raw) {
            Err(e) => e,
            Ok(_) => panic!("accepted: {raw:?}"),
        }
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
        assert!(parse("GET / HTTP/1.1\r\nHost: a\r").unwrap().is_none());
    }

    #[test]
    fn nul_bytes_and_bare_crs_are_refused_before_any_line_ends() {
        assert!(matches!(
            refusal(&"\0".repeat(2048)),
            ReadError::Malformed(_)
        ));
        assert!(matches!(
            refusal("GET / HTTP/1.1\rHost: a\r"),
            ReadError::Malformed(_)
        ));
        assert!(matches!(
            refusal("GET / HTTP/1.1\r\nHost: a\rX: b"),
            ReadError::Malformed(_)
        ));
    }

    #[test]
    fn a_target_over_the_cap_is_414_and_headers_over_it_431() {
        let target = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(9000));
        assert_eq!(refusal(&target), ReadError::TargetTooLong);
        let unfinished = format!("GET /{}", "a".repeat(9000));
        assert_eq!(refusal(&unfinished), ReadError::TargetTooLong);
        let long = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(9000));
        assert_eq!(refusal(&long), ReadError::HeadTooLarge);
        let unfinished = format!("GET / HTTP/1.1\r\nX: {}", "a".repeat(9000));
        assert_eq!(refusal(&unfinished), ReadError::HeadTooLarge);
        let many: String = (0..=MAX_HEADERS).map(|i| format!("X-{i}: 1\r\n")).collect();
        let many = format!("GET / HTTP/1.1\r\n{many}\r\n");
        assert_eq!(refusal(&many), ReadError::HeadTooLarge);
    }

    #[test]
    fn one_host_is_required_and_transfer_encoding_needs_http_1_1() {
        for raw in [
            "GET / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        ] {
            assert!(matches!(refusal(raw), ReadError::Malformed(_)), "{raw:?}");
        }
        assert!(parse("GET / HTTP/1.0\r\n\r\n").unwrap().is_some());
    }
}
