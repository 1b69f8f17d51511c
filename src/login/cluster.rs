//! One cluster, one truth: instances that share a Redis must share the account database (a
//! login confirmed on one is picked up on another) and accept each other's signing keys (a
//! token minted on one is checked on another, an id_token's `kid` is in every instance's JWKS).
//!
//! The database is one value: the first instance claims it, the others must bring the same.
//! The keys rotate, so each instance claims, for each kind (the Ed25519 access-token key
//! always, the RSA id_token key when OpenID clients are configured), the `kid` it signs with
//! and the ones it publishes; the rule is that every instance's signing `kid` is accepted by
//! every other. A rotation's steps (publish, swap, drop) each keep it, one instance at a time.
//! An instance that would break it stays unready and says which `kid` is not accepted by
//! whom; the instances already in agreement stay ready. Claims are renewed while the instance
//! runs and stop counting [`CLAIM_TTL`] after it stops.

use crate::store::{KeyClaim, KeyConflict, KeyKind, Peers, StoreError};
use poem_openapi::Enum;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// How long a claim lives without renewal: after a whole cluster is replaced (a new database,
/// unrelated keys), the old claims are gone this long after the last old instance.
const CLAIM_TTL: Duration = Duration::from_secs(30);
/// How often a running instance renews its claims and looks again.
pub const RECHECK_EVERY: Duration = Duration::from_secs(10);

/// Whether this instance agrees with the others on its store.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum ClusterState {
    /// Alone, or sharing the database and accepting each other's signing keys with every peer.
    Ok,
    /// Another instance on this Redis uses another account database.
    DatabaseDiffers,
    /// This instance and another on this Redis do not accept each other's signing key.
    SigningKeyDiffers,
    /// The store did not answer; not known yet.
    Unknown,
}

/// The keys of one kind an instance has, by `kid` (public thumbprints).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyIds {
    /// The key it signs with.
    pub signing: String,
    /// The keys it publishes and accepts without signing (a rotation's next or previous key).
    pub published: Vec<String>,
}

pub struct Cluster {
    peers: Arc<dyn Peers>,
    /// This instance's name in its key claims (and in the others' logs).
    instance: String,
    database_id: String,
    access_token_keys: KeyIds,
    /// Set once, before the first check, when OpenID clients are configured.
    id_token_keys: OnceLock<KeyIds>,
    /// The last verdict and, when not ok, why (logged once per change).
    verdict: Mutex<(ClusterState, Option<String>)>,
    /// Set at a clean shutdown: the key claims are withdrawn and never renewed again.
    released: AtomicBool,
}

impl Cluster {
    /// This instance's facts: its database's id and its access-token keys.
    pub fn new(peers: Arc<dyn Peers>, database_id: String, access_token_keys: KeyIds) -> Self {
        Self {
            peers,
            instance: instance_name(),
            database_id,
            access_token_keys,
            id_token_keys: OnceLock::new(),
            verdict: Mutex::new((ClusterState::Unknown, None)),
            released: AtomicBool::new(false),
        }
    }

    /// The RSA id_token keys, claimed from the next check on (they are loaded once `Saoma`
    /// exists). A second call changes nothing.
    pub fn claim_id_token_keys(&self, keys: KeyIds) {
        if self.id_token_keys.set(keys).is_err() {
            tracing::warn!("the id_token keys were already claimed; keeping the first");
        }
    }

    /// Claim every fact (renewing this instance's claims) and record the verdict. After
    /// [`Cluster::release`], the last verdict, and nothing is claimed again.
    pub async fn check(&self) -> ClusterState {
        if self.released.load(Ordering::Acquire) {
            return self
                .verdict
                .lock()
                .map_or(ClusterState::Unknown, |held| held.0);
        }
        let (state, why) = match self.disagreement().await {
            Ok(None) => (ClusterState::Ok, None),
            Ok(Some((state, why))) => (state, Some(why)),
            Err(e) => {
                tracing::warn!(error = %crate::telemetry::chain(&e), "could not compare this instance with its peers");
                (ClusterState::Unknown, None)
            }
        };
        if let Ok(mut held) = self.verdict.lock() {
            if let Some(why) = why.as_ref().filter(|why| held.1.as_ref() != Some(*why)) {
                tracing::error!(
                    instance = %self.instance,
                    "not ready: {why} (see docs/operations.md, \"What a cluster shares\", and docs/oidc.md, \"Keys and their rotation\")"
                );
            }
            *held = (state, why);
        }
        state
    }

    /// The first fact this instance and a peer disagree on, with what to tell the operator.
    async fn disagreement(&self) -> Result<Option<(ClusterState, String)>, StoreError> {
        let ours = &self.database_id;
        if let Some(theirs) = self.peers.agree("database", ours, CLAIM_TTL).await? {
            let why = format!(
                "another instance on this Redis uses another account database \
                 (this one: {ours}, theirs: {theirs})"
            );
            return Ok(Some((ClusterState::DatabaseDiffers, why)));
        }
        // Every kind is claimed (renewed) even after a conflict in another.
        let mut first = None;
        for (kind, keys) in self.key_kinds() {
            let claim = KeyClaim {
                instance: self.instance.clone(),
                signing: keys.signing.clone(),
                published: keys.published.clone(),
            };
            if let Some(conflict) = self.peers.claim_keys(kind, &claim, CLAIM_TTL).await? {
                first.get_or_insert_with(|| explain(kind, &conflict, keys));
            }
        }
        Ok(first.map(|why| (ClusterState::SigningKeyDiffers, why)))
    }

    /// The keys this instance claims, by kind: the access-token key always, the id_token key
    /// with OpenID clients.
    fn key_kinds(&self) -> impl Iterator<Item = (KeyKind, &KeyIds)> {
        std::iter::once((KeyKind::AccessToken, &self.access_token_keys)).chain(
            self.id_token_keys
                .get()
                .map(|keys| (KeyKind::IdToken, keys)),
        )
    }

    /// A clean shutdown: withdraw this instance's key claims, so that an instance replacing it
    /// with other keys is compared with the live ones at once, not 30 s later.
    pub async fn release(&self) {
        self.released.store(true, Ordering::Release);
        for (kind, _) in self.key_kinds() {
            if let Err(e) = self.peers.release_keys(kind, &self.instance).await {
                tracing::warn!(error = %crate::telemetry::chain(&e), "could not withdraw this instance's key claims; they lapse in 30 s");
            }
        }
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

/// Which `kid` is not accepted by whom, and what this instance accepts (kids only).
fn explain(kind: KeyKind, conflict: &KeyConflict, ours: &KeyIds) -> String {
    let what = kind.describe();
    match conflict {
        KeyConflict::OursNotAccepted { peer, kid } => format!(
            "instance {peer} does not accept the {what} key {kid} this instance signs with; \
             publish a key on every instance before any instance signs with it"
        ),
        KeyConflict::TheirsNotAccepted { peer, kid } => format!(
            "instance {peer} signs with the {what} key {kid}, which this instance does not \
             accept (it accepts {}); keep a key published until no instance signs with it",
            std::iter::once(&ours.signing)
                .chain(&ours.published)
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A name unique among the live instances, that an operator can place: the host's name (a
/// container's or pod's, when set) and a random tag.
fn instance_name() -> String {
    let tag = hex::encode(rand::random::<[u8; 4]>());
    match std::env::var("HOSTNAME") {
        Ok(host) if !host.trim().is_empty() => format!("{}-{tag}", host.trim()),
        _ => tag,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(signing: &str, published: &[&str]) -> KeyIds {
        KeyIds {
            signing: signing.into(),
            published: published.iter().map(|k| k.to_string()).collect(),
        }
    }

    #[test]
    fn a_refused_signing_key_is_named_with_the_peer_that_refuses_it() {
        let conflict = KeyConflict::OursNotAccepted {
            peer: "web-2-ab12cd34".into(),
            kid: "k2".into(),
        };
        let why = explain(KeyKind::AccessToken, &conflict, &keys("k2", &["k1"]));
        assert!(
            why.starts_with("instance web-2-ab12cd34 does not accept"),
            "{why}"
        );
        assert!(why.contains("access-token (Ed25519) key k2"), "{why}");
    }

    #[test]
    fn a_peers_key_this_instance_refuses_is_named_with_what_it_accepts() {
        let conflict = KeyConflict::TheirsNotAccepted {
            peer: "web-1-00ff00ff".into(),
            kid: "r1".into(),
        };
        let why = explain(KeyKind::IdToken, &conflict, &keys("r2", &["r3"]));
        assert!(
            why.starts_with("instance web-1-00ff00ff signs with the id_token (RSA) key r1"),
            "{why}"
        );
        assert!(why.contains("it accepts r2, r3"), "{why}");
    }

    #[test]
    fn instance_names_differ_within_one_host() {
        assert_ne!(instance_name(), instance_name());
    }
}
