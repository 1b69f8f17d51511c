//! Scenes: one string key per scene, `<version>|<record json>` (the scene id is in the key,
//! not repeated in the JSON), with the TTL from `keep_until`.
//! Creating is `SET NX` (never a takeover); replacing is a Lua compare-and-set on the version,
//! so two instances racing on one scene produce one outcome.

use super::{RedisStore, keys, ttl_ms};
use crate::scene::{Scene, SceneRecord};
use crate::store::{SceneStore, StoreError, Versioned};
use async_trait::async_trait;
use std::sync::LazyLock;

/// The serde name of `SceneRecord::scene`.
const SCENE_FIELD: &str = "s";

/// KEYS[1] scene; ARGV[1] expected version; ARGV[2] new record json; ARGV[3] ttl ms.
/// Returns 1 when replaced, 0 when the scene is gone or at another version.
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

/// The record's JSON without its scene id: the key already says it (bytes per pending scene).
fn encode(record: &SceneRecord) -> Result<String, StoreError> {
    let failed = |e: serde_json::Error| StoreError::Unavailable(format!("encoding a scene: {e}"));
    let mut json = serde_json::to_value(record).map_err(failed)?;
    if let Some(fields) = json.as_object_mut() {
        fields.remove(SCENE_FIELD);
    }
    serde_json::to_string(&json).map_err(failed)
}

fn decode(scene: &Scene, stored: &str) -> Result<Versioned, StoreError> {
    let corrupt = || StoreError::Unavailable("a stored scene is not `<version>|<json>`".into());
    let (version, json) = stored.split_once('|').ok_or_else(corrupt)?;
    let version = version.parse().map_err(|_| corrupt())?;
    let mut json: serde_json::Value = serde_json::from_str(json).map_err(|_| corrupt())?;
    json.as_object_mut()
        .ok_or_else(corrupt)?
        .insert(SCENE_FIELD.into(), scene.to_string().into());
    let record = serde_json::from_value(json).map_err(|_| corrupt())?;
    Ok(Versioned { record, version })
}

#[async_trait]
impl SceneStore for RedisStore {
    async fn create(&self, record: &SceneRecord, keep_until: i64) -> Result<(), StoreError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(keys::scene(&record.scene))
            .arg(format!("1|{}", encode(record)?))
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
        let stored: Option<String> = self.cmd(cmd).await?;
        stored.map(|s| decode(scene, &s)).transpose()
    }

    async fn replace(
        &self,
        record: &SceneRecord,
        version: u64,
        keep_until: i64,
    ) -> Result<bool, StoreError> {
        let json = encode(record)?;
        let mut call = REPLACE.key(keys::scene(&record.scene));
        call.arg(version).arg(json).arg(ttl_ms(keep_until));
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
    use crate::scene::{Provider, Requester, SceneStatus};

    #[test]
    fn a_stored_scene_leaves_its_id_to_the_key_and_reads_back_whole() {
        let record = SceneRecord {
            scene: Scene::parse("abcdefgh").unwrap(),
            provider: Provider::MiniProgram,
            status: SceneStatus::Pending,
            poll_token_hash: "hash".into(),
            requester: Requester {
                ip: "127.0.0.1".into(),
                user_agent: "ua".into(),
                created_at: 1,
            },
            expires_at: 2,
            scanned_by: None,
            outcome: None,
            return_url: None,
            phone_check: None,
        };
        let json = encode(&record).unwrap();
        assert!(!json.contains("abcdefgh"));
        let read = decode(&record.scene, &format!("7|{json}")).unwrap();
        assert_eq!((read.record, read.version), (record, 7));
        assert!(decode(&Scene::parse("abcdefgh").unwrap(), "no version").is_err());
    }
}
