//! The standalone sandbox's access log: one line per request, the path without its query (a
//! query carries access tokens, secrets and codes), the status and the latency.

use poem::{Endpoint, IntoResponse, Request, Response};
use std::time::Instant;
use tracing::Instrument;

const REQUEST_ID: &str = "x-request-id";

/// The request id comes from `X-Request-Id` when it looks sane, else a new UUID; it is echoed.
pub(crate) async fn access_log<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
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
