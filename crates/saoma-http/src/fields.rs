//! What a request's header fields mean for its framing and its connection: Host, Transfer-
//! Encoding and Content-Length, Connection (RFC 9112 §3.2, §6, §9.6).

use super::read_error::ReadError;
use poem::http::{HeaderMap, Version, header};

/// How a request's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Empty,
    Length(u64),
    Chunked,
}

/// §3.2: exactly one Host in HTTP/1.1 (at most one in HTTP/1.0), and its value an authority
/// without user info (`uri-host [ ":" port ]`), or empty.
pub fn check_host(version: Version, headers: &HeaderMap) -> Result<(), ReadError> {
    let mut hosts = headers.get_all(header::HOST).iter();
    let host = hosts.next();
    if hosts.next().is_some() || (version == Version::HTTP_11 && host.is_none()) {
        return Err(ReadError::Malformed(
            "an HTTP/1.1 request needs one Host header",
        ));
    }
    match host {
        Some(host) if !valid_host(host.as_bytes()) => {
            Err(ReadError::Malformed("invalid Host header"))
        }
        _ => Ok(()),
    }
}

/// `uri-host [ ":" port ]` (RFC 3986 §3.2.2): an IP literal in brackets or a reg-name
/// (unreserved, pct-encoded, sub-delims), then digits after a colon.
fn valid_host(value: &[u8]) -> bool {
    let (host, port) = match value.iter().rposition(|&b| b == b':') {
        // A colon inside an IP literal is not the port's.
        Some(at) if !value[at..].contains(&b']') => (&value[..at], Some(&value[at + 1..])),
        _ => (value, None),
    };
    let port_ok = port.is_none_or(|p| p.iter().all(u8::is_ascii_digit));
    let host_ok = match host {
        [b'[', inner @ .., b']'] => {
            !inner.is_empty()
                && inner
                    .iter()
                    .all(|&b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.' | b'v' | b'V'))
        }
        _ => host.iter().all(|&b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'-' | b'.'
                        | b'_'
                        | b'~'
                        | b'%'
                        | b'!'
                        | b'$'
                        | b'&'
                        | b'\''
                        | b'('
                        | b')'
                        | b'*'
                        | b'+'
                        | b','
                        | b';'
                        | b'='
                )
        }),
    };
    port_ok && host_ok && !(host.is_empty() && port.is_some())
}

/// §6.3: chunked (as the final coding) wins; Transfer-Encoding without it, or with a
/// Content-Length beside it, or disagreeing Content-Lengths, cannot be framed safely (400).
/// A coding before `chunked` (gzip, say) is one this server does not implement (501, §6.1).
pub fn framing(headers: &HeaderMap) -> Result<Framing, ReadError> {
    let mut codings = Vec::new();
    for value in headers.get_all(header::TRANSFER_ENCODING) {
        let value = value
            .to_str()
            .map_err(|_| ReadError::Malformed("invalid Transfer-Encoding"))?;
        // List elements may be empty (§5.6.1): they are skipped.
        codings.extend(value.split(',').map(str::trim).filter(|c| !c.is_empty()));
    }
    if !headers.contains_key(header::TRANSFER_ENCODING) {
        return content_length(headers);
    }
    let is_chunked = |c: &str| c.eq_ignore_ascii_case("chunked");
    // The final coding is the last element as written: `chunked,` does not end in chunked
    // (hyper refuses it too, and a front end must not take it for chunked when we do not).
    let last_written = headers
        .get_all(header::TRANSFER_ENCODING)
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .map(str::trim);
    let last_chunked = last_written.is_some_and(is_chunked);
    if !last_chunked || headers.contains_key(header::CONTENT_LENGTH) {
        return Err(ReadError::Malformed("unsupported Transfer-Encoding"));
    }
    // §7: chunked is applied once; anything else before it is a coding we cannot undo.
    if codings.iter().filter(|c| is_chunked(c)).count() > 1 {
        return Err(ReadError::Malformed("chunked applied twice"));
    }
    if codings.len() > 1 {
        return Err(ReadError::NotImplemented(
            "only the chunked transfer coding is implemented",
        ));
    }
    Ok(Framing::Chunked)
}

fn content_length(headers: &HeaderMap) -> Result<Framing, ReadError> {
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

/// §9.3 and §9.6: HTTP/1.1 stays open unless asked to close; HTTP/1.0 closes unless asked
/// to keep alive; `close` wins over `keep-alive`, in one field or across several.
pub fn keep_alive(version: Version, headers: &HeaderMap) -> bool {
    if connection_has(headers, "close") {
        return false;
    }
    version == Version::HTTP_11 || connection_has(headers, "keep-alive")
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
    use poem::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn close_wins_over_keep_alive_in_one_field_or_two() {
        let one = headers(&[("connection", "keep-alive, close")]);
        let two = headers(&[("connection", "keep-alive"), ("connection", "close")]);
        for version in [Version::HTTP_10, Version::HTTP_11] {
            assert!(!keep_alive(version, &one));
            assert!(!keep_alive(version, &two));
        }
        let ka = headers(&[("connection", "Keep-Alive")]);
        assert!(keep_alive(Version::HTTP_10, &ka));
        assert!(!keep_alive(Version::HTTP_10, &HeaderMap::new()));
        assert!(keep_alive(Version::HTTP_11, &HeaderMap::new()));
    }

    #[test]
    fn host_values_must_be_an_authority() {
        for good in [
            "a",
            "example.com:8080",
            "127.0.0.1",
            "[::1]:443",
            "xn--fsq.com",
            "",
        ] {
            assert!(valid_host(good.as_bytes()), "{good:?}");
        }
        for bad in ["a b", "a@b", "a:b", "a/b", ":80", "[::1", "a\tb", "[]"] {
            assert!(!valid_host(bad.as_bytes()), "{bad:?}");
        }
    }

    #[test]
    fn codings_other_than_chunked_are_501_and_bad_lists_400() {
        let te = |v: &'static str| framing(&headers(&[("transfer-encoding", v)]));
        assert_eq!(te("chunked"), Ok(Framing::Chunked));
        assert_eq!(te(", Chunked "), Ok(Framing::Chunked));
        assert!(matches!(
            te("gzip, chunked"),
            Err(ReadError::NotImplemented(_))
        ));
        assert!(matches!(te("chunked, gzip"), Err(ReadError::Malformed(_))));
        assert!(matches!(te("gzip"), Err(ReadError::Malformed(_))));
        assert!(matches!(te("chunked,"), Err(ReadError::Malformed(_))));
        assert!(matches!(
            te("chunked, chunked"),
            Err(ReadError::Malformed(_))
        ));
        let split = headers(&[
            ("transfer-encoding", "gzip"),
            ("transfer-encoding", "chunked"),
        ]);
        assert!(matches!(framing(&split), Err(ReadError::NotImplemented(_))));
        let both = headers(&[("transfer-encoding", "chunked"), ("content-length", "3")]);
        assert!(matches!(framing(&both), Err(ReadError::Malformed(_))));
    }

    #[test]
    fn content_lengths_must_be_digits_and_agree() {
        let cl = |v: &[(&'static str, &'static str)]| framing(&headers(v));
        assert_eq!(cl(&[("content-length", "5")]), Ok(Framing::Length(5)));
        assert_eq!(cl(&[("content-length", "0")]), Ok(Framing::Empty));
        assert_eq!(
            cl(&[("content-length", "5"), ("content-length", "5")]),
            Ok(Framing::Length(5))
        );
        for bad in [
            &[("content-length", "+3")][..],
            &[("content-length", "3"), ("content-length", "4")],
            &[("content-length", "")],
        ] {
            assert!(matches!(cl(bad), Err(ReadError::Malformed(_))), "{bad:?}");
        }
    }
}
