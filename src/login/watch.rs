//! The scene as a stream of status changes, for Server-Sent Events. The stream re-reads the
//! scene on every notification (notifications are hints), at the scene's deadline, and on a
//! slow timer as a safety net; it ends after a final state. When a read fails (the tokens of a
//! confirmed scene could not be minted, the store did not answer), the stream says so with an
//! error item and reads again shortly: the scene stays confirmed, nothing is lost.

use super::{Error, Saoma, SceneView};
use crate::scene::{Scene, SceneRecord, SceneStatus};
use crate::store::now_ms;
use futures::stream::{BoxStream, StreamExt};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// Re-read even without a notification this often (covers a lost hint).
const SAFETY_NET: Duration = Duration::from_secs(10);
/// When an address has `max_sse_per_ip` streams open: polling works meanwhile.
const SSE_RETRY_AFTER: Duration = Duration::from_secs(5);
/// After a failed read, read again this soon.
const RETRY: Duration = Duration::from_secs(2);

struct Watch {
    saoma: Arc<Saoma>,
    scene: Scene,
    notes: BoxStream<'static, ()>,
    last: Option<SceneStatus>,
    done: bool,
    /// The last read failed (and the stream said so): wait before the next.
    failed: bool,
    /// Counts this stream in `saoma_sse_streams` while it is open.
    _open: crate::metrics::SseGuard,
}

impl Saoma {
    /// Authorise, then stream one `SceneView` per change. Errors before the first event are
    /// the caller's (401, 404, 410); after that, the end of the scene is an event.
    pub async fn watch(
        self: &Arc<Self>,
        scene: &str,
        poll_token: Option<&str>,
    ) -> Result<BoxStream<'static, Result<SceneView, Error>>, Error> {
        let record = self.authorised(scene, poll_token).await?;
        match record.status_at(now_ms()) {
            SceneStatus::Expired => return Err(Error::SceneExpired),
            SceneStatus::Consumed => return Err(Error::SceneConsumed),
            _ => {}
        }
        // Subscribe before the first read so that no change falls between the two.
        let notes = self.parts.notifier.subscribe(&record.scene);
        let watch = Watch {
            saoma: Arc::clone(self),
            scene: record.scene,
            notes,
            last: None,
            done: false,
            failed: false,
            _open: self.parts.metrics.sse_stream(),
        };
        Ok(futures::stream::unfold(watch, next_event).boxed())
    }

    /// [`Saoma::watch`] for a client at `ip`: counted against its open streams
    /// (`limits.max_sse_per_ip`), and cut at shutdown (a `None` item: reconnect elsewhere).
    pub async fn watch_from(
        self: &Arc<Self>,
        ip: IpAddr,
        scene: &str,
        poll_token: Option<&str>,
    ) -> Result<BoxStream<'static, Option<Result<SceneView, Error>>>, Error> {
        let stream = self.watch(scene, poll_token).await?;
        let client = self.parts.limits.addresses.client(ip);
        let Some(slot) = self.parts.limits.streams.try_open(client) else {
            self.parts.metrics.rate_limited("sse_per_ip");
            return Err(Error::RateLimited {
                what: "open event streams from this address",
                retry_after: SSE_RETRY_AFTER,
            });
        };
        let stream = self.parts.shutdown.interrupt(stream).map(move |item| {
            // The slot counts this stream until the stream is dropped.
            let _open = &slot;
            item
        });
        Ok(stream.boxed())
    }
}

async fn next_event(mut w: Watch) -> Option<(Result<SceneView, Error>, Watch)> {
    if w.failed {
        // The last read failed and said so: give the store or database a moment.
        tokio::time::sleep(RETRY).await;
        w.failed = false;
    }
    loop {
        if w.done {
            return None;
        }
        // Boxed: reading may mint tokens, a large future that a waiting stream need not carry.
        let (view, deadline) = match Box::pin(read(&w.saoma, &w.scene)).await {
            Ok(read) => read,
            Err(e) => {
                tracing::warn!(error = %crate::telemetry::chain(&e), scene = %w.scene, "scene stream could not read its scene; retrying");
                w.failed = true;
                return Some((Err(e), w));
            }
        };
        if let Some(view) = view {
            w.done = view.status.is_final() || view.tokens.is_some();
            if w.last != Some(view.status) || view.tokens.is_some() {
                w.last = Some(view.status);
                return Some((Ok(view), w));
            }
        }
        let wait = deadline
            .map(|at| Duration::from_millis(u64::try_from(at - now_ms()).unwrap_or(0)))
            .map_or(SAFETY_NET, |d| d.min(SAFETY_NET));
        tokio::select! {
            note = w.notes.next() => {
                if note.is_none() {
                    // The notifier went away; keep going on timers alone.
                    w.notes = futures::stream::pending().boxed();
                }
            }
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// The current view (None on a transient failure) and, while waiting, the expiry deadline.
async fn read(saoma: &Saoma, scene: &Scene) -> Result<(Option<SceneView>, Option<i64>), Error> {
    let Some(found) = saoma.parts.scenes.get(scene).await? else {
        return Ok((Some(final_view(saoma, scene, SceneStatus::Expired)), None));
    };
    let record: SceneRecord = found.record;
    let deadline = record.status.is_waiting().then_some(record.expires_at);
    match saoma.view_or_pick_up(record).await {
        Ok(view) => Ok((Some(view), deadline)),
        Err(Error::SceneExpired) => {
            Ok((Some(final_view(saoma, scene, SceneStatus::Expired)), None))
        }
        Err(Error::SceneConsumed) => {
            Ok((Some(final_view(saoma, scene, SceneStatus::Consumed)), None))
        }
        Err(e) => Err(e),
    }
}

fn final_view(saoma: &Saoma, scene: &Scene, status: SceneStatus) -> SceneView {
    SceneView {
        scene: scene.to_string(),
        status,
        expires_in: 0,
        interval: saoma.parts.settings.interval_secs,
        scanned_by: None,
        refused: None,
        tokens: None,
        redirect: None,
    }
}
