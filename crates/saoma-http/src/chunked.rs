//! Decoding a chunked body (RFC 9112 §7.1) from whatever part of it has arrived: no I/O here,
//! so the server, the differential test and the fuzz target run the same code.

use super::read_error::ReadError;
use bytes::{Buf, BytesMut};

/// A chunk-size line or a trailer line may be at most this long.
const MAX_LINE: usize = 4096;
/// All trailer lines together.
const MAX_TRAILERS: usize = 16 * 1024;

/// Where the decoder is in the body.
#[derive(Debug, Default)]
pub struct Chunked {
    state: State,
    trailers: usize,
}

#[derive(Debug, Default)]
enum State {
    #[default]
    Size,
    Data(u64),
    DataEnd,
    Trailers,
}

/// What one call to [`Chunked::decode`] got to.
#[derive(Debug, PartialEq, Eq)]
pub enum Progress {
    /// More bytes are needed.
    More,
    /// The body and its trailers are whole.
    Done,
    /// The body is over `max`: `body` holds `max + 1` bytes of it and the rest is left unread.
    OverMax,
}

impl Chunked {
    /// Decode what `buf` holds, moving body bytes into `body` and consuming framing.
    pub fn decode(
        &mut self,
        buf: &mut BytesMut,
        body: &mut BytesMut,
        max: u64,
    ) -> Result<Progress, ReadError> {
        loop {
            match self.state {
                State::Size => {
                    let Some(line) = take_line(buf)? else {
                        return Ok(Progress::More);
                    };
                    let size = chunk_size(&line)?;
                    self.state = if size == 0 {
                        State::Trailers
                    } else {
                        State::Data(size)
                    };
                }
                State::Data(left) => {
                    let room = (max + 1).saturating_sub(body.len() as u64);
                    let take = left.min(room).min(buf.len() as u64);
                    // `take` is at most `buf.len()`, so it fits.
                    let take = usize::try_from(take).unwrap_or(buf.len());
                    body.extend_from_slice(&buf.split_to(take));
                    if body.len() as u64 > max {
                        return Ok(Progress::OverMax);
                    }
                    let left = left - take as u64;
                    if left > 0 {
                        self.state = State::Data(left);
                        return Ok(Progress::More);
                    }
                    self.state = State::DataEnd;
                }
                State::DataEnd => match buf.get(..2) {
                    Some(b"\r\n") => {
                        buf.advance(2);
                        self.state = State::Size;
                    }
                    Some(_) => return Err(invalid_chunk()),
                    None if buf.first().is_some_and(|&b| b != b'\r') => {
                        return Err(invalid_chunk());
                    }
                    None => return Ok(Progress::More),
                },
                State::Trailers => {
                    let Some(line) = take_line(buf)? else {
                        return Ok(Progress::More);
                    };
                    if line.is_empty() {
                        return Ok(Progress::Done);
                    }
                    self.trailers += line.len();
                    if self.trailers > MAX_TRAILERS || !trailer_field(&line) {
                        return Err(ReadError::Malformed("invalid trailers"));
                    }
                }
            }
        }
    }
}

fn invalid_chunk() -> ReadError {
    ReadError::Malformed("invalid chunk")
}

/// One CRLF-terminated line (without the CRLF), or `None` until it has ended. A bare CR or
/// LF, or any other control byte but HTAB, is refused as soon as it arrives: a proxy that
/// ends lines differently must not read this body differently from us.
fn take_line(buf: &mut BytesMut) -> Result<Option<BytesMut>, ReadError> {
    let bare = ReadError::Malformed("a chunk or trailer line must end with CRLF");
    let control = ReadError::Malformed("a control byte in a chunk or trailer line");
    let mut end = None;
    for (i, &b) in buf.iter().enumerate() {
        match b {
            b'\r' => match buf.get(i + 1) {
                Some(b'\n') => {
                    end = Some(i);
                    break;
                }
                Some(_) => return Err(bare),
                None => break,
            },
            b'\n' => return Err(bare),
            b'\t' => {}
            _ if b < 0x20 || b == 0x7f => return Err(control),
            _ => {}
        }
        if i >= MAX_LINE {
            return Err(ReadError::Malformed("chunk line too long"));
        }
    }
    Ok(end.map(|end| {
        let line = buf.split_to(end);
        buf.advance(2);
        line
    }))
}

/// RFC 9112 §7.1: `1*HEXDIG [ BWS ";" extensions ]`. Extensions are ignored (their bytes
/// were checked by `take_line`).
fn chunk_size(line: &[u8]) -> Result<u64, ReadError> {
    let invalid = ReadError::Malformed("invalid chunk size");
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 || digits > 16 {
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

/// §7.1.2: a trailer line is a field line, `token ":" OWS value OWS` (no obs-fold); a
/// request line or any other text there is not a trailer.
fn trailer_field(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return false;
    };
    let name = &line[..colon];
    !name.is_empty() && name.iter().all(|&b| is_tchar(b))
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decode `raw` whole: the body, or the refusal.
    fn decode(raw: &[u8], max: u64) -> (Result<Progress, ReadError>, Vec<u8>, usize) {
        let mut buf = BytesMut::from(raw);
        let mut body = BytesMut::new();
        let progress = Chunked::default().decode(&mut buf, &mut body, max);
        (progress, body.to_vec(), buf.len())
    }

    #[test]
    fn chunk_sizes_are_hex_digits_then_extensions() {
        assert_eq!(chunk_size(b"1a").unwrap(), 26);
        assert_eq!(chunk_size(b"5 ;name=value").unwrap(), 5);
        assert_eq!(chunk_size(b"ffffffffffffffff").unwrap(), u64::MAX);
        for bad in [&b""[..], b"+5", b"5 x", b"\xc2\xa05", b"10000000000000000"] {
            assert!(chunk_size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_body_decodes_and_what_follows_it_is_left() {
        let (progress, body, left) =
            decode(b"5;x=y\r\nhello\r\n1\r\n!\r\n0\r\nA: b\r\n\r\nGET", 100);
        assert_eq!(progress, Ok(Progress::Done));
        assert_eq!(body, b"hello!");
        assert_eq!(left, 3);
    }

    #[test]
    fn a_request_line_after_the_last_chunk_is_not_a_trailer() {
        let (progress, _, _) = decode(b"0\r\nGET /x HTTP/1.1\r\n\r\n", 100);
        assert!(matches!(progress, Err(ReadError::Malformed(_))));
        for bad in [&b"0\r\n: v\r\n\r\n"[..], b"0\r\n x: folded\r\n\r\n"] {
            assert!(decode(bad, 100).0.is_err(), "{bad:?}");
        }
    }

    #[test]
    fn control_bytes_and_bare_line_ends_are_refused_before_the_line_ends() {
        for bad in [
            &b"5\0"[..],
            b"5;a\rb",
            b"5\nhello",
            b"2\r\nxxz",
            b"0\r\nA: \0",
        ] {
            assert!(decode(bad, 100).0.is_err(), "{bad:?}");
        }
        assert_eq!(decode(b"5;a=b\r", 100).0, Ok(Progress::More));
        assert_eq!(decode(b"2\r\nxx\r", 100).0, Ok(Progress::More));
    }

    #[test]
    fn a_body_over_max_stops_one_byte_past_it() {
        let (progress, body, _) = decode(b"ffffffffffffffff\r\nabcdefgh", 4);
        assert_eq!(progress, Ok(Progress::OverMax));
        assert_eq!(body, b"abcde");
    }

    #[test]
    fn endless_lines_are_refused() {
        let long = vec![b'1'; MAX_LINE + 10];
        assert!(decode(&long, 100).0.is_err());
    }
}
