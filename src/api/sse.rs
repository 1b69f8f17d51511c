//! The scene events payload: Server-Sent Events written straight from the scene's stream.
//!
//! poem's `SSE` (behind poem-openapi's `EventStream`) turns the event stream into an
//! `AsyncRead` and back into a body through a 4 KiB read buffer, which every idle stream kept
//! (with an interval timer for the keep-alive). Here each event is one `Bytes`, the keep-alive
//! is the wait for the next event timing out, and a quiet stream holds no buffer. The
//! documented schema is `EventStream`'s, so the OpenAPI document is unchanged.

use crate::edge::error::ErrorBody;
use crate::login::SceneView;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use poem::{Body, IntoResponse, Response};
use poem_openapi::payload::{EventStream, Payload};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::ToJSON;
use std::time::Duration;

type Documented = EventStream<BoxStream<'static, Option<SceneView>>>;

/// What a scene's stream carries: `Some(Ok(view))` is a `status` event, `Some(Err(body))` an
/// `error` event (`{code, message}`: the scene could not be read just now, the stream reads
/// again), `None` the `reconnect` event of a server shutting down.
pub type SceneItem = Option<Result<SceneView, ErrorBody>>;

pub struct SceneEvents(BoxStream<'static, Bytes>);

impl SceneEvents {
    /// A `:` comment goes out after `keep_alive` without an event, so that proxies keep the
    /// connection and a browser notices a dead one.
    pub fn new(views: BoxStream<'static, SceneItem>, keep_alive: Duration) -> Self {
        let chunks = futures::stream::unfold(views, move |mut views| async move {
            let chunk = match tokio::time::timeout(keep_alive, views.next()).await {
                Err(_) => Bytes::from_static(b":\n\n"),
                Ok(None) => return None,
                Ok(Some(Some(Ok(view)))) => event("status", &view.to_json_string()),
                Ok(Some(Some(Err(error)))) => event("error", &error.to_json_string()),
                Ok(Some(None)) => event("reconnect", "shutting down"),
            };
            Some((chunk, views))
        });
        Self(chunks.boxed())
    }
}

/// One event; `data` is one line (compact JSON is).
fn event(kind: &str, data: &str) -> Bytes {
    Bytes::from(format!("event: {kind}\ndata: {data}\n\n"))
}

impl Payload for SceneEvents {
    const CONTENT_TYPE: &'static str = Documented::CONTENT_TYPE;

    fn schema_ref() -> MetaSchemaRef {
        Documented::schema_ref()
    }

    fn register(registry: &mut Registry) {
        Documented::register(registry);
    }
}

impl IntoResponse for SceneEvents {
    fn into_response(self) -> Response {
        Response::builder()
            .content_type(Self::CONTENT_TYPE)
            .body(Body::from_bytes_stream(self.0.map(Ok::<_, std::io::Error>)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_quiet_stream_sends_a_comment_and_shutdown_sends_reconnect() {
        let views = futures::stream::once(async {
            tokio::time::sleep(Duration::from_secs(20)).await;
            None
        })
        .boxed();
        let mut events = SceneEvents::new(views, Duration::from_secs(15)).0;
        assert_eq!(events.next().await.unwrap(), ":\n\n");
        assert_eq!(
            events.next().await.unwrap(),
            "event: reconnect\ndata: shutting down\n\n"
        );
        assert!(events.next().await.is_none());
    }
}
