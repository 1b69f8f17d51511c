//! What the instances sharing this Redis agree on. The database: one key, held by the first
//! instance to claim it and renewed by every instance that brings the same value. The signing
//! keys: one hash per kind, a claim per instance, compared with the others' in one script.

use super::{RedisStore, keys, ms};
use crate::store::{KeyClaim, KeyConflict, KeyKind, Peers, StoreError};
use async_trait::async_trait;
use std::sync::LazyLock;
use std::time::Duration;

/// KEYS[1] the fact; ARGV[1] this instance's value, ARGV[2] ttl ms. Returns the other value
/// when it differs, else false (the key now holds ARGV[1] for the ttl).
static AGREE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local held = redis.call('GET', KEYS[1])
if held and held ~= ARGV[1] then
  return held
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
",
    )
});

/// KEYS[1] the claims of one kind: a hash, instance -> `<expires ms> <1 agreed|0 refused>
/// <signing kid> <published kid>...`. ARGV[1] ttl ms, ARGV[2] this instance, ARGV[3] its
/// signing kid, ARGV[4..] the kids it publishes. Drops the expired claims, compares this one
/// with every other live agreed claim (each side must accept the other's signing kid), writes
/// it marked agreed or refused, and returns the first conflict as {'ours'|'theirs', peer, kid},
/// else false. The hash lives as long as its last claim. Time is Redis's own (`TIME`), never an
/// instance's: a clock running ahead on one instance would otherwise expire the others' claims.
static CLAIM_KEYS: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
-- Writes after TIME need effects replication: the default from Redis 5, asked for before.
if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ttl = tonumber(ARGV[1])
local ours = {}
for i = 3, #ARGV do ours[ARGV[i]] = true end
local conflict, last = false, now + ttl
local claims = redis.call('HGETALL', KEYS[1])
for i = 1, #claims, 2 do
  local peer, words = claims[i], {}
  for word in string.gmatch(claims[i + 1], '%S+') do words[#words + 1] = word end
  local expires = tonumber(words[1]) or 0
  if expires <= now then
    redis.call('HDEL', KEYS[1], peer)
  elseif peer ~= ARGV[2] then
    if expires > last then last = expires end
    if words[2] == '1' and not conflict then
      local theirs = {}
      for j = 3, #words do theirs[words[j]] = true end
      if not theirs[ARGV[3]] then
        conflict = {'ours', peer, ARGV[3]}
      elseif not ours[words[3]] then
        conflict = {'theirs', peer, words[3]}
      end
    end
  end
end
local agreed = conflict and '0' or '1'
redis.call('HSET', KEYS[1], ARGV[2],
  string.format('%d', now + ttl) .. ' ' .. agreed .. ' ' .. table.concat(ARGV, ' ', 3))
redis.call('PEXPIRE', KEYS[1], string.format('%d', last - now))
return conflict
",
    )
});

#[async_trait]
impl Peers for RedisStore {
    async fn agree(
        &self,
        name: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<Option<String>, StoreError> {
        let mut call = AGREE.key(keys::peers(name));
        call.arg(value).arg(ms(ttl));
        self.run(|mut conn| async move { call.invoke_async(&mut conn).await })
            .await
    }

    async fn claim_keys(
        &self,
        kind: KeyKind,
        claim: &KeyClaim,
        ttl: Duration,
    ) -> Result<Option<KeyConflict>, StoreError> {
        let mut call = CLAIM_KEYS.key(keys::peers(kind.name()));
        call.arg(ms(ttl))
            .arg(&claim.instance)
            .arg(&claim.signing)
            .arg(&claim.published);
        let found: Option<(String, String, String)> = self
            .run(|mut conn| async move { call.invoke_async(&mut conn).await })
            .await?;
        Ok(found.map(|(side, peer, kid)| match side.as_str() {
            "ours" => KeyConflict::OursNotAccepted { peer, kid },
            _ => KeyConflict::TheirsNotAccepted { peer, kid },
        }))
    }

    async fn release_keys(&self, kind: KeyKind, instance: &str) -> Result<(), StoreError> {
        let (key, instance) = (keys::peers(kind.name()), instance.to_string());
        self.run(|mut conn| async move {
            redis::cmd("HDEL")
                .arg(&key)
                .arg(&instance)
                .query_async::<()>(&mut conn)
                .await
        })
        .await
    }
}
