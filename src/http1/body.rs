//! Reading one request's body whole (by Content-Length or chunked), bounded in size and time.

use super::request::{Framing, Head, ReadError};
use super::{Limits, wait_until};
use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

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
}
