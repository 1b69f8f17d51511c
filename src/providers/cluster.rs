//! One cluster, one truth: instances that share a Redis must share the account database (a
//! login confirmed on one is picked up on another) and the signing key (a token minted on one
//! is checked on another). Each instance claims both facts in the store and renews its claim;
//! one that finds a peer with a different database or key refuses to become ready and says
//! which differs.

use crate::store::Peers;
use poem_openapi::Enum;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a claim lives without renewal: after a whole cluster is replaced (a new database,
/// a new key), the old claims are gone this long after the last old instance.
const CLAIM_TTL: Duration = Duration::from_secs(30);
/// How often a running instance renews its claims and looks again.
pub const RECHECK_EVERY: Duration = Duration::from_secs(10);

/// Whether this instance agrees with the others on its store.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum ClusterState {
    /// Alone, or sharing the database and the signing key with every peer.
    Ok,
    /// Another instance on this Redis uses another account database.
    DatabaseDiffers,
    /// Another instance on this Redis signs with another key.
    SigningKeyDiffers,
    /// The store did not answer; not known yet.
    Unknown,
}

pub struct Cluster {
    peers: Arc<dyn Peers>,
    database_id: String,
    signing_key: String,
    state: Mutex<ClusterState>,
}

impl Cluster {
    /// This instance's facts: its database's id and its signing key's id (`kid`).
    pub fn new(peers: Arc<dyn Peers>, database_id: String, signing_key: String) -> Self {
        Self {
            peers,
            database_id,
            signing_key,
            state: Mutex::new(ClusterState::Unknown),
        }
    }

    pub fn state(&self) -> ClusterState {
        self.state
            .lock()
            .map(|s| *s)
            .unwrap_or(ClusterState::Unknown)
    }

    /// Claim both facts (renewing this instance's claims) and record the verdict.
    pub async fn check(&self) -> ClusterState {
        let state = match self.disagreement().await {
            Ok(None) => ClusterState::Ok,
            Ok(Some((state, ours, theirs))) => {
                if self.state() != state {
                    tracing::error!(
                        ours,
                        theirs,
                        "not ready: {} (instances sharing a Redis must share the account database \
                         and the signing key; see the README's cluster section)",
                        match state {
                            ClusterState::DatabaseDiffers =>
                                "another instance on this Redis uses another account database",
                            _ => "another instance on this Redis signs with another key",
                        }
                    );
                }
                state
            }
            Err(e) => {
                tracing::warn!(error = %crate::telemetry::chain(&e), "could not compare this instance with its peers");
                ClusterState::Unknown
            }
        };
        if let Ok(mut held) = self.state.lock() {
            *held = state;
        }
        state
    }

    async fn disagreement(
        &self,
    ) -> Result<Option<(ClusterState, String, String)>, crate::store::StoreError> {
        let facts = [
            ("database", &self.database_id, ClusterState::DatabaseDiffers),
            (
                "signing_key",
                &self.signing_key,
                ClusterState::SigningKeyDiffers,
            ),
        ];
        for (name, ours, differs) in facts {
            if let Some(theirs) = self.peers.agree(name, ours, CLAIM_TTL).await? {
                return Ok(Some((differs, ours.clone(), theirs)));
            }
        }
        Ok(None)
    }

    /// Keep claiming and checking in the background, for as long as the process runs.
    pub fn spawn_rechecks(self: &Arc<Self>) {
        let cluster = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(RECHECK_EVERY).await;
                let Some(cluster) = cluster.upgrade() else {
                    return;
                };
                cluster.check().await;
            }
        });
    }
}
