//! The server's reading of a byte stream, without a socket: what requests it would serve if
//! `input` arrived whole and the peer then stopped sending. The server itself reads with the
//! same functions (`request::parse_head`, `chunked::Chunked`); this is for the differential
//! test against hyper and the fuzz target.

use super::chunked::{Chunked, Progress};
use super::fields::Framing;
use super::read_error::ReadError;
use super::request::{Head, parse_head};
use bytes::BytesMut;

/// One request as the endpoint would see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRequest {
    pub method: String,
    pub target: String,
    /// `"HTTP/1.0"` or `"HTTP/1.1"`.
    pub version: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

/// How reading ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// The input ended between requests.
    Clean,
    /// A request asked to close the connection; what follows it is not read.
    Closed,
    /// The input ended inside a request.
    Incomplete,
    /// A body over the cap: the endpoint is given its first `max + 1` bytes (for a 413) and
    /// the connection closes.
    OverMax,
    /// Refused with this status (400, 414, 431, 501) and reason before the endpoint saw the
    /// request.
    Refused(u16, &'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub requests: Vec<ParsedRequest>,
    pub end: End,
}

/// Read `input` as the server does, with a head cap of `max_head` bytes and a body cap of
/// `max_body`.
pub fn parse_all(input: &[u8], max_head: usize, max_body: u64) -> Parsed {
    let mut reader = Reader::new(max_head, max_body);
    reader.feed(input);
    reader.finish()
}

/// As [`parse_all`], with `input` arriving in two parts, split at `at` (clamped to its
/// length): the answer must not depend on where packets end.
pub fn parse_in_two(input: &[u8], at: usize, max_head: usize, max_body: u64) -> Parsed {
    let (a, b) = input.split_at(at.min(input.len()));
    let mut reader = Reader::new(max_head, max_body);
    reader.feed(a);
    reader.feed(b);
    reader.finish()
}

/// The server's reading, fed bytes as they arrive.
struct Reader {
    max_head: usize,
    max_body: u64,
    buf: BytesMut,
    requests: Vec<ParsedRequest>,
    /// The request whose body is being read, with its decoder when chunked.
    current: Option<(Head, BytesMut, Option<Chunked>)>,
    end: Option<End>,
}

impl Reader {
    fn new(max_head: usize, max_body: u64) -> Self {
        Reader {
            max_head,
            max_body,
            buf: BytesMut::new(),
            requests: Vec::new(),
            current: None,
            end: None,
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        if self.end.is_some() {
            return;
        }
        self.buf.extend_from_slice(bytes);
        while self.end.is_none() && self.step() {}
    }

    /// One step of progress; false when more bytes are needed.
    fn step(&mut self) -> bool {
        let Some((head, mut body, decoder)) = self.current.take() else {
            if self.buf.is_empty() {
                return false;
            }
            return match parse_head(&self.buf, self.max_head) {
                Ok(Some((head, len))) => {
                    let _ = self.buf.split_to(len);
                    let decoder = matches!(head.framing, Framing::Chunked).then(Chunked::default);
                    self.current = Some((head, BytesMut::new(), decoder));
                    true
                }
                Ok(None) => false,
                Err(e) => {
                    self.end = Some(refused(&e));
                    false
                }
            };
        };
        let whole = match (head.framing, decoder) {
            (Framing::Empty, _) => true,
            (Framing::Length(n), _) if n > self.max_body => false,
            (Framing::Length(n), _) => {
                let need = usize::try_from(n).unwrap_or(usize::MAX);
                if self.buf.len() < need {
                    self.current = Some((head, body, None));
                    return false;
                }
                body = self.buf.split_to(need);
                true
            }
            (Framing::Chunked, decoder) => {
                let mut decoder = decoder.unwrap_or_default();
                match decoder.decode(&mut self.buf, &mut body, self.max_body) {
                    Ok(Progress::Done) => true,
                    Ok(Progress::OverMax) => false,
                    Ok(Progress::More) => {
                        self.current = Some((head, body, Some(decoder)));
                        return false;
                    }
                    Err(e) => {
                        self.end = Some(refused(&e));
                        return false;
                    }
                }
            }
        };
        let parts = &head.parts;
        self.requests.push(ParsedRequest {
            method: parts.method.to_string(),
            target: parts.uri.to_string(),
            version: format!("{:?}", parts.version),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
                .collect(),
            body: body.to_vec(),
        });
        if !whole {
            self.end = Some(End::OverMax);
        } else if !head.keep_alive {
            self.end = Some(End::Closed);
        }
        true
    }

    fn finish(self) -> Parsed {
        let end = self
            .end
            .unwrap_or(if self.buf.is_empty() && self.current.is_none() {
                End::Clean
            } else {
                End::Incomplete
            });
        Parsed {
            requests: self.requests,
            end,
        }
    }
}

fn refused(e: &ReadError) -> End {
    match *e {
        ReadError::Gone => End::Refused(0, "gone"),
        ReadError::Malformed(why) => End::Refused(400, why),
        ReadError::TargetTooLong => End::Refused(414, "request target too long"),
        ReadError::HeadTooLarge => End::Refused(431, "head too large"),
        ReadError::NotImplemented(why) => End::Refused(501, why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &str) -> Parsed {
        parse_all(input.as_bytes(), 8192, 1024)
    }

    #[test]
    fn http_1_0_keep_alive_then_close_closes_after_the_first_request() {
        let parsed = parse(
            "GET /healthz HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n\
             GET /second HTTP/1.1\r\nHost: a\r\n\r\n",
        );
        assert_eq!(parsed.requests.len(), 1);
        assert_eq!(parsed.end, End::Closed);
    }

    #[test]
    fn pipelined_requests_are_read_in_order_with_their_bodies() {
        let parsed = parse(
            "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc\
             POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n",
        );
        assert_eq!(parsed.end, End::Clean);
        let bodies: Vec<_> = parsed.requests.iter().map(|r| r.body.clone()).collect();
        assert_eq!(bodies, [b"abc".to_vec(), b"de".to_vec()]);
        assert_eq!(parsed.requests[1].target, "/b");
    }

    #[test]
    fn where_the_input_is_split_does_not_change_the_reading() {
        let input = b"POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\
            3;x\r\nabc\r\n2\r\nde\r\n0\r\nT: v\r\n\r\nGET /b HTTP/1.0\r\n\r\n";
        let whole = parse_all(input, 8192, 1024);
        assert_eq!(whole.requests.len(), 2);
        for at in 0..=input.len() {
            assert_eq!(parse_in_two(input, at, 8192, 1024), whole, "split at {at}");
        }
    }

    #[test]
    fn a_request_line_where_trailers_go_is_400_not_a_second_request() {
        let parsed = parse(
            "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\
             GET /x HTTP/1.1\r\n\r\n",
        );
        assert!(parsed.requests.is_empty());
        assert!(matches!(parsed.end, End::Refused(400, _)));
    }
}
