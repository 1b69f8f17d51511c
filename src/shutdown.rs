//! Graceful shutdown. On SIGTERM (or Ctrl-C) the server stops accepting connections and lets
//! in-flight requests finish, bounded by `shutdown_grace_seconds`. Server-Sent Events streams
//! would never finish by themselves, so each is told first: it sends `event: reconnect` and
//! ends, and the browser reconnects (or polls) through the load balancer, reaching another
//! instance.

use futures::StreamExt;
use futures::stream::BoxStream;
use std::sync::Arc;
use tokio::sync::watch;

/// Cheap to clone; every clone sees the one trigger.
#[derive(Clone, Debug)]
pub struct Shutdown {
    tx: Arc<watch::Sender<bool>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    pub fn new() -> Self {
        Self {
            tx: Arc::new(watch::channel(false).0),
        }
    }

    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }

    /// A receiver that turns `true` at the trigger (what the HTTP server watches).
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.tx.subscribe()
    }

    #[cfg(test)]
    pub fn is_triggered(&self) -> bool {
        *self.tx.borrow()
    }

    /// Resolves once shutdown is triggered (at once if it was already).
    pub fn triggered(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.tx.subscribe();
        async move {
            if rx.wait_for(|stopping| *stopping).await.is_err() {
                // The sender lives as long as the server; without it nobody can stop us.
                futures::future::pending::<()>().await;
            }
        }
    }

    /// `stream`'s items as `Some`, until it ends or shutdown is triggered; then one `None`
    /// (the "reconnect elsewhere" marker) and the end.
    pub fn interrupt<T: Send + 'static>(
        &self,
        stream: BoxStream<'static, T>,
    ) -> BoxStream<'static, Option<T>> {
        let stop = Box::pin(self.triggered());
        futures::stream::unfold(Some((stream, stop)), |state| async move {
            let (mut stream, mut stop) = state?;
            tokio::select! {
                item = stream.next() => item.map(|item| (Some(item), Some((stream, stop)))),
                () = &mut stop => Some((None, None)),
            }
        })
        .boxed()
    }
}

/// Ctrl-C or SIGTERM, whichever comes first.
pub async fn signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stream_ends_with_none_when_shutdown_is_triggered() {
        let shutdown = Shutdown::new();
        let endless = futures::stream::pending::<u32>().boxed();
        let mut stream = shutdown.interrupt(futures::stream::iter([1, 2]).chain(endless).boxed());
        assert_eq!(stream.next().await, Some(Some(1)));
        assert_eq!(stream.next().await, Some(Some(2)));
        shutdown.trigger();
        assert!(shutdown.is_triggered());
        assert_eq!(stream.next().await, Some(None));
        assert_eq!(stream.next().await, None);
    }

    #[tokio::test]
    async fn a_finished_stream_ends_without_the_marker() {
        let shutdown = Shutdown::new();
        let mut stream = shutdown.interrupt(futures::stream::iter([7]).boxed());
        assert_eq!(stream.next().await, Some(Some(7)));
        assert_eq!(stream.next().await, None);
    }
}
