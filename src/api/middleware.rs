//! Request plumbing: an access log that never prints query strings (WeChat puts
//! `access_token=` and `secret=` there), a request id, and a body cap.

use poem::http::{StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response};
use std::time::Instant;
use tokio::io::AsyncReadExt;
use tracing::Instrument;

pub const REQUEST_ID: &str = "x-request-id";

/// One line per request: method, path (no query), status, latency, request id. The id comes
/// from `X-Request-Id` when it looks sane, else a new UUID; it is echoed in the response.
pub async fn access_log<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let started = Instant::now();
    let request_id = req
        .header(REQUEST_ID)
        .filter(|id| id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let span = tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        request_id = %request_id,
    );
    async move {
        let result = next.call(req).await.map(IntoResponse::into_response);
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        match result {
            Ok(mut response) => {
                tracing::info!(status = response.status().as_u16(), ms, "request");
                if let Ok(value) = request_id.parse() {
                    response.headers_mut().insert(REQUEST_ID, value);
                }
                Ok(response)
            }
            Err(e) => {
                tracing::info!(status = e.status().as_u16(), ms, error = %e, "request");
                Err(e)
            }
        }
    }
    .instrument(span)
    .await
}

/// Refuse requests whose header names and values add up to more than `max` bytes with 431.
/// The server has read them already (at most 100 headers, in a head of at most
/// `saoma_http::ConnectionLimits::max_head_bytes`, twice `max` and more); this is the exact cap, and keeps big
/// headers away from the handlers and the logs.
pub async fn header_limit<E: Endpoint>(
    next: E,
    req: Request,
    max: usize,
) -> poem::Result<Response> {
    let size: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if size > max {
        return Err(poem::Error::from_string(
            format!("the request headers are larger than {max} bytes"),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        ));
    }
    next.call(req).await.map(IntoResponse::into_response)
}

/// Refuse bodies over `max` bytes with 413: by Content-Length when given, else by reading at
/// most `max + 1` bytes of a chunked body.
pub async fn body_limit<E: Endpoint>(
    next: E,
    mut req: Request,
    max: usize,
) -> poem::Result<Response> {
    let too_large = || {
        poem::Error::from_string(
            format!("the body is larger than {max} bytes"),
            StatusCode::PAYLOAD_TOO_LARGE,
        )
    };
    match req.header(header::CONTENT_LENGTH).map(str::parse::<u64>) {
        Some(Ok(len)) if len > max as u64 => return Err(too_large()),
        Some(Ok(_)) => {}
        Some(Err(_)) => {
            return Err(poem::Error::from_string(
                "invalid Content-Length",
                StatusCode::BAD_REQUEST,
            ));
        }
        None if req.header(header::TRANSFER_ENCODING).is_some() => {
            let mut buffer = Vec::new();
            let limit = u64::try_from(max).unwrap_or(u64::MAX) + 1;
            req.take_body()
                .into_async_read()
                .take(limit)
                .read_to_end(&mut buffer)
                .await
                .map_err(|e| poem::Error::from_string(e.to_string(), StatusCode::BAD_REQUEST))?;
            if buffer.len() > max {
                return Err(too_large());
            }
            req.set_body(buffer);
        }
        None => {}
    }
    next.call(req).await.map(IntoResponse::into_response)
}
