//! Scenes: one string key per scene, `<version>|<record as positional MessagePack>` (the
//! scene id is in the key, not repeated in the value), with the TTL from `keep_until`.
//! Creating is `SET NX` (never a takeover); replacing is a Lua compare-and-set on the version,
//! so two instances racing on one scene produce one outcome. MessagePack without field names
//! keeps a pending scene under 300 bytes of Redis memory (see docs/operations.md).

use super::{RedisStore, keys, ttl_ms};
use crate::scene::{
    Outcome, PhoneCheck, Provider, Refusal, Requester, ScannedBy, Scene, SceneRecord, SceneStatus,
};
use crate::store::{SceneStore, StoreError, Versioned};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// KEYS[1] scene; ARGV[1] expected version; ARGV[2] new encoded record; ARGV[3] ttl ms.
/// Returns 1 when replaced, 0 when the scene is gone or at another version. The version is
/// digits, so the first `|` ends it whatever bytes the record holds.
static REPLACE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local bar = string.find(current, '|', 1, true)
if not bar or string.sub(current, 1, bar - 1) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], (tonumber(ARGV[1]) + 1) .. '|' .. ARGV[2], 'PX', ARGV[3])
return 1
",
    )
});

/// Every field of `SceneRecord` but the scene id, in order (a MessagePack array).
#[derive(Serialize)]
struct StoredRef<'a>(
    Provider,
    SceneStatus,
    &'a str,
    &'a Requester,
    i64,
    &'a Option<ScannedBy>,
    &'a Option<Outcome>,
    &'a Option<String>,
    &'a Option<PhoneCheck>,
    &'a Option<Refusal>,
);

#[derive(Deserialize)]
struct Stored(
    Provider,
    SceneStatus,
    String,
    Requester,
    i64,
    Option<ScannedBy>,
    Option<Outcome>,
    Option<String>,
    Option<PhoneCheck>,
    Option<Refusal>,
);

/// A record written before `refused` existed (an instance of the previous version, during a
/// rolling upgrade): read as not refused.
#[derive(Deserialize)]
struct StoredBeforeRefusal(
    Provider,
    SceneStatus,
    String,
    Requester,
    i64,
    Option<ScannedBy>,
    Option<Outcome>,
    Option<String>,
    Option<PhoneCheck>,
);

fn encode(record: &SceneRecord) -> Result<Vec<u8>, StoreError> {
    // Destructured so that a new field cannot be forgotten here.
    let SceneRecord {
        scene: _,
        provider,
        status,
        poll_token_hash,
        requester,
        expires_at,
        scanned_by,
        outcome,
        return_url,
        phone_check,
        refused,
    } = record;
    let stored = StoredRef(
        *provider,
        *status,
        poll_token_hash,
        requester,
        *expires_at,
        scanned_by,
        outcome,
        return_url,
        phone_check,
        refused,
    );
    rmp_serde::to_vec(&stored).map_err(StoreError::Encoding)
}

fn decode(scene: &Scene, stored: &[u8]) -> Result<Versioned, StoreError> {
    let corrupt = || StoreError::Corrupt("a stored scene is not `<version>|<record>`");
    let bar = stored.iter().position(|&b| b == b'|').ok_or_else(corrupt)?;
    let version = std::str::from_utf8(&stored[..bar])
        .ok()
        .and_then(|v| v.parse().ok())
        .ok_or_else(corrupt)?;
    let Stored(
        provider,
        status,
        poll_token_hash,
        requester,
        expires_at,
        scanned_by,
        outcome,
        return_url,
        phone_check,
        refused,
    ) = decode_fields(&stored[bar + 1..]).ok_or_else(corrupt)?;
    let record = SceneRecord {
        scene: scene.clone(),
        provider,
        status,
        poll_token_hash,
        requester,
        expires_at,
        scanned_by,
        outcome,
        return_url,
        phone_check,
        refused,
    };
    Ok(Versioned { record, version })
}

fn decode_fields(bytes: &[u8]) -> Option<Stored> {
    if let Ok(stored) = rmp_serde::from_slice(bytes) {
        return Some(stored);
    }
    let StoredBeforeRefusal(a, b, c, d, e, f, g, h, i) = rmp_serde::from_slice(bytes).ok()?;
    Some(Stored(a, b, c, d, e, f, g, h, i, None))
}

fn versioned(version: u64, record: &SceneRecord) -> Result<Vec<u8>, StoreError> {
    let mut value = format!("{version}|").into_bytes();
    value.extend(encode(record)?);
    Ok(value)
}

#[async_trait]
impl SceneStore for RedisStore {
    async fn create(&self, record: &SceneRecord, keep_until: i64) -> Result<(), StoreError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(keys::scene(&record.scene))
            .arg(versioned(1, record)?)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms(keep_until));
        match self.cmd::<Option<String>>(cmd).await? {
            Some(_) => Ok(()),
            None => Err(StoreError::Exists),
        }
    }

    async fn get(&self, scene: &Scene) -> Result<Option<Versioned>, StoreError> {
        let mut cmd = redis::cmd("GET");
        cmd.arg(keys::scene(scene));
        let stored: Option<Vec<u8>> = self.cmd(cmd).await?;
        stored.map(|s| decode(scene, &s)).transpose()
    }

    async fn replace(
        &self,
        record: &SceneRecord,
        version: u64,
        keep_until: i64,
    ) -> Result<bool, StoreError> {
        let encoded = encode(record)?;
        let mut call = REPLACE.key(keys::scene(&record.scene));
        call.arg(version).arg(encoded).arg(ttl_ms(keep_until));
        let replaced: i64 = self
            .run(|mut conn| async move { call.invoke_async(&mut conn).await })
            .await?;
        Ok(replaced == 1)
    }

    async fn delete(&self, scene: &Scene) -> Result<(), StoreError> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(keys::scene(scene));
        self.cmd::<i64>(cmd).await.map(|_| ())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        RedisStore::ping(self).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> SceneRecord {
        SceneRecord {
            scene: Scene::parse("abcdefgh").unwrap(),
            provider: Provider::MiniProgram,
            status: SceneStatus::Pending,
            poll_token_hash: "hash".into(),
            requester: Requester {
                ip: "127.0.0.1".into(),
                user_agent: "ua".into(),
                created_at: 1,
                for_client: None,
            },
            expires_at: 2,
            scanned_by: None,
            outcome: None,
            return_url: None,
            phone_check: None,
            refused: None,
        }
    }

    #[test]
    fn a_stored_scene_leaves_its_id_to_the_key_and_reads_back_whole() {
        let record = record();
        let value = versioned(7, &record).unwrap();
        assert!(!value.windows(8).any(|w| w == b"abcdefgh"));
        let read = decode(&record.scene, &value).unwrap();
        assert_eq!((read.record, read.version), (record, 7));
        assert!(decode(&Scene::parse("abcdefgh").unwrap(), b"no version").is_err());
        assert!(decode(&Scene::parse("abcdefgh").unwrap(), b"3|not msgpack").is_err());
    }

    #[test]
    fn every_optional_part_survives_the_round_trip() {
        let mut full = record();
        full.status = SceneStatus::NeedPhone;
        // Only the second field of ScannedBy set: positions must not shift.
        full.scanned_by = Some(ScannedBy {
            nickname: None,
            avatar: Some("https://example.com/a|b.png".into()),
        });
        full.outcome = Some(Outcome {
            account_id: "acct".into(),
            app_id: crate::ids::AppId::parse("wx123").unwrap(),
        });
        full.return_url = Some("https://example.com/|back".into());
        full.phone_check = Some(PhoneCheck {
            phone: "+8613800138000".into(),
            code_hash: "h".into(),
            attempts: 2,
            expires_at: 9,
        });
        let read = decode(&full.scene, &versioned(12, &full).unwrap()).unwrap();
        assert_eq!((read.record, read.version), (full, 12));
    }
}
