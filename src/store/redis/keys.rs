//! Key names. The part in braces is the cluster hash tag: one scene's keys, and one app's token
//! and lock, always land in the same slot.

use crate::ids::AppId;
use crate::scene::Scene;

/// The pub/sub channel every instance publishes changed scene ids on and listens to.
pub(super) const CHANGES: &str = "saoma:changes";

/// A scene's record, `<version>|<json>`. Kept short: it is stored once per pending scene.
pub(super) fn scene(scene: &Scene) -> String {
    format!("sc:{{{scene}}}")
}

pub(super) fn token(app_id: &AppId) -> String {
    format!("saoma:wx:{{{app_id}}}:token")
}

pub(super) fn token_lock(app_id: &AppId) -> String {
    format!("saoma:wx:{{{app_id}}}:lock")
}

pub(super) fn seen(key: &str) -> String {
    format!("saoma:seen:{{{key}}}")
}

/// What the instances on this Redis agree on: the `database` (one value), the
/// `access_token_key` and `id_token_key` (a hash of every instance's claim).
pub(super) fn peers(name: &str) -> String {
    format!("saoma:peers:{{{name}}}")
}

pub(super) fn counter(key: &str) -> String {
    format!("saoma:rate:{{{key}}}")
}

pub(super) fn value(key: &str) -> String {
    format!("saoma:v:{{{key}}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_scene_and_one_app_each_share_a_hash_tag() {
        let s = Scene::parse("abcdefgh").unwrap();
        assert_eq!(scene(&s), "sc:{abcdefgh}");
        let app = AppId::parse("wx123").unwrap();
        assert_eq!(token(&app), "saoma:wx:{wx123}:token");
        assert_eq!(token_lock(&app), "saoma:wx:{wx123}:lock");
    }
}
