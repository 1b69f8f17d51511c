//! One async mutex per app id, so that in this process one caller fetches an app's token while
//! the others wait (`token.rs`); the client holds them.

use crate::ids::AppId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// One async mutex per app id: whoever holds it is the only one fetching that app's token.
#[derive(Default)]
pub(super) struct RefreshLocks(Mutex<HashMap<AppId, Arc<tokio::sync::Mutex<()>>>>);

impl RefreshLocks {
    pub(super) fn for_app(&self, app_id: &AppId) -> Arc<tokio::sync::Mutex<()>> {
        // The map only grows by one entry per configured app; a poisoned lock still holds a
        // usable map.
        let mut locks: MutexGuard<'_, _> = self.0.lock().unwrap_or_else(|e| e.into_inner());
        locks.entry(app_id.clone()).or_default().clone()
    }
}
