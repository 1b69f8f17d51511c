//! Reading one request's body whole (by Content-Length or chunked), bounded in size and time.

use super::chunked::{Chunked, Progress};
use super::fields::Framing;
use super::read_error::ReadError;
use super::request::Head;
use super::{ConnectionLimits, wait_until};
use bytes::{Bytes, BytesMut};
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
    limits: &ConnectionLimits,
) -> Result<(Bytes, bool), ReadError> {
    let max = limits.max_body_bytes as u64;
    let deadline = Instant::now() + limits.body_timeout;
    match head.framing {
        Framing::Empty => Ok((Bytes::new(), true)),
        Framing::Length(n) if n > max => Ok((Bytes::new(), false)),
        Framing::Length(n) => {
            continue_if_asked(io, head, limits).await?;
            let n = usize::try_from(n).map_err(|_| ReadError::Gone)?;
            while buf.len() < n {
                buf.reserve(n - buf.len());
                read_more(io, buf, deadline).await?;
            }
            Ok((buf.split_to(n).freeze(), true))
        }
        Framing::Chunked => {
            continue_if_asked(io, head, limits).await?;
            let mut body = BytesMut::new();
            let mut decoder = Chunked::default();
            loop {
                match decoder.decode(buf, &mut body, max)? {
                    Progress::Done => return Ok((body.freeze(), true)),
                    Progress::OverMax => return Ok((body.freeze(), false)),
                    Progress::More => {
                        buf.reserve(1024);
                        read_more(io, buf, deadline).await?;
                    }
                }
            }
        }
    }
}

async fn continue_if_asked(
    io: &mut TcpStream,
    head: &Head,
    limits: &ConnectionLimits,
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

/// Read at least one more byte into `buf` (which has room).
async fn read_more(
    io: &mut TcpStream,
    buf: &mut BytesMut,
    deadline: Instant,
) -> Result<(), ReadError> {
    match wait_until(deadline, io.read_buf(buf)).await {
        Some(Ok(read)) if read > 0 => Ok(()),
        _ => Err(ReadError::Gone),
    }
}
