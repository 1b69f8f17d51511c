//! Reading one request: its head (parsed by `httparse`, copied into `http` types) and its
//! whole body (by Content-Length or chunked), bounded in size and time.

use super::{Limits, wait_until};
use bytes::{Buf, Bytes, BytesMut};
use poem::http::{self, HeaderMap, HeaderName, HeaderValue, Method, Uri, Version, header};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
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
    framing: Framing,
    expects_continue: bool,
}

enum Framing {
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

/// The body of `head`, read whole. A body over `limits.max_body_bytes` is not read: the
/// endpoint gets at most `max + 1` bytes of it (enough for the body-limit middleware to
/// answer 413) and `Ok((body, false))` says the connection cannot carry another request.
pub async fn read_body(
    io: &mut TcpStream,
    buf: &mut BytesMut,
    head: &Head,
    limits: &Limits,
) -> Result<(Bytes, bool), ReadError> {
    let max = limits.max_body_bytes as u64;
    let deadline = Instant::now() + limits.body_timeout;
    match head.framing {
        Framing::Empty => Ok((Bytes::new(), true)),
        Framing::Length(n) if n > max => Ok((Bytes::new(), false)),
        Framing::Length(n) => {
            continue_if_asked(io, head, limits).await?;
            let n = usize::try_from(n).map_err(|_| ReadError::Gone)?;
            fill(io, buf, n, deadline).await?;
            Ok((buf.split_to(n).freeze(), true))
        }
        Framing::Chunked => {
            continue_if_asked(io, head, limits).await?;
            let mut body = BytesMut::new();
            let whole = dechunk(io, buf, &mut body, max, deadline).await?;
            Ok((body.freeze(), whole))
        }
    }
}

async fn continue_if_asked(
    io: &mut TcpStream,
    head: &Head,
    limits: &Limits,
) -> Result<(), ReadError> {
    if head.expects_continue {
        let write = io.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
        match wait_until(Instant::now() + limits.write_timeout, write).await {
            Some(Ok(())) => {}
            _ => return Err(ReadError::Gone),
        }
    }
    Ok(())
}

/// Read until `buf` holds at least `n` bytes.
async fn fill(
    io: &mut TcpStream,
    buf: &mut BytesMut,
    n: usize,
    deadline: Instant,
) -> Result<(), ReadError> {
    while buf.len() < n {
        buf.reserve(n - buf.len());
        match wait_until(deadline, io.read_buf(buf)).await {
            Some(Ok(read)) if read > 0 => {}
            _ => return Err(ReadError::Gone),
        }
    }
    Ok(())
}

/// Decode a chunked body into `body`; `Ok(false)` when it passed `max` (then `body` holds
/// `max + 1` bytes and the rest is left unread).
async fn dechunk(
    io: &mut TcpStream,
    buf: &mut BytesMut,
    body: &mut BytesMut,
    max: u64,
    deadline: Instant,
) -> Result<bool, ReadError> {
    loop {
        let size = chunk_size(&read_line(io, buf, deadline).await?)?;
        if size == 0 {
            return skip_trailers(io, buf, deadline).await.map(|()| true);
        }
        if (body.len() as u64)
            .checked_add(size)
            .is_none_or(|t| t > max)
        {
            let room = usize::try_from(max + 1 - body.len() as u64).unwrap_or(usize::MAX);
            let take = room.min(usize::try_from(size).unwrap_or(usize::MAX));
            fill(io, buf, take, deadline).await?;
            body.extend_from_slice(&buf.split_to(take));
            return Ok(false);
        }
        // Within `max`, so `size + 2` fits.
        let size = usize::try_from(size).map_err(|_| ReadError::Gone)?;
        fill(io, buf, size + 2, deadline).await?;
        body.extend_from_slice(&buf[..size]);
        if &buf[size..size + 2] != b"\r\n" {
            return Err(ReadError::Malformed("invalid chunk"));
        }
        buf.advance(size + 2);
    }
}

/// RFC 9112 §7.1: `1*HEXDIG [ BWS ";" extensions ]`. Extensions are ignored, but may hold
/// no control bytes but HTAB: a proxy that ends lines at a bare LF must not read this line
/// differently from us.
fn chunk_size(line: &[u8]) -> Result<u64, ReadError> {
    let invalid = ReadError::Malformed("invalid chunk size");
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 || digits > 16 || !plain(line) {
        return Err(invalid);
    }
    let rest = line[digits..].trim_ascii_start();
    if !(rest.is_empty() || rest.starts_with(b";")) {
        return Err(invalid);
    }
    std::str::from_utf8(&line[..digits])
        .ok()
        .and_then(|hex| u64::from_str_radix(hex, 16).ok())
        .ok_or(invalid)
}

/// Trailer lines, ignored up to the blank line, at most 16 KiB in all.
async fn skip_trailers(
    io: &mut TcpStream,
    buf: &mut BytesMut,
    deadline: Instant,
) -> Result<(), ReadError> {
    const MAX_TRAILERS: usize = 16 * 1024;
    let mut seen = 0;
    loop {
        let line = read_line(io, buf, deadline).await?;
        if line.is_empty() {
            return Ok(());
        }
        seen += line.len();
        if seen > MAX_TRAILERS || !plain(&line) {
            return Err(ReadError::Malformed("invalid trailers"));
        }
    }
}

/// No control bytes but HTAB.
fn plain(line: &[u8]) -> bool {
    !line.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f)
}

/// One CRLF-terminated line (without the CRLF), at most 4 KiB. A bare CR or LF is refused.
async fn read_line(
    io: &mut TcpStream,
    buf: &mut BytesMut,
    deadline: Instant,
) -> Result<Bytes, ReadError> {
    const MAX_LINE: usize = 4096;
    let mut scanned = 0;
    loop {
        if let Some(at) = buf[scanned..].iter().position(|&b| b == b'\n') {
            let end = scanned + at;
            if end == 0 || buf[end - 1] != b'\r' || buf[..end - 1].contains(&b'\r') {
                return Err(ReadError::Malformed("a line must end with CRLF"));
            }
            let line = buf.split_to(end - 1).freeze();
            buf.advance(2);
            return Ok(line);
        }
        if buf.len() > MAX_LINE {
            return Err(ReadError::Malformed("chunk line too long"));
        }
        scanned = buf.len();
        fill(io, buf, scanned + 1, deadline).await?;
    }
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
    fn chunk_sizes_are_hex_digits_then_extensions_without_control_bytes() {
        assert_eq!(chunk_size(b"1a").unwrap(), 26);
        assert_eq!(chunk_size(b"5 ;name=value").unwrap(), 5);
        assert_eq!(chunk_size(b"ffffffffffffffff").unwrap(), u64::MAX);
        for bad in [
            &b""[..],
            b"+5",
            b"\x0c5",
            b"\xc2\xa05",
            b"5 x",
            b"2;\nxx",
            b"2;a\rb",
            b"10000000000000000",
        ] {
            assert!(chunk_size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn one_host_is_required_and_tranfer_encoding_needs_http_1_1() {
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
