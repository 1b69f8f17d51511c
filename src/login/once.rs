//! Keys seen once: a method's retried or replayed deliveries (an official account's pushes)
//! are answered without being handled twice; and an identity unlinked when its user leaves.

use super::{Error, Saoma};
use crate::ids::{AppId, OpenId};
use std::time::Duration;

impl Saoma {
    /// Whether `key` is seen for the first time within `ttl` (then it is remembered).
    pub(crate) async fn first_seen(&self, key: &str, ttl: Duration) -> Result<bool, Error> {
        Ok(self.dedupe.first_seen(key, ttl).await?)
    }

    /// Forget `key`: what it named failed, and its retry must be handled.
    pub(crate) async fn forget_seen(&self, key: &str) -> Result<(), Error> {
        Ok(self.dedupe.forget(key).await?)
    }

    /// Unlink the identity `openid` of `app_id` from its account (an unfollow, with
    /// `accounts.unfollow = "unlink"`); whether there was one.
    pub(crate) async fn unlink_identity(
        &self,
        app_id: &AppId,
        openid: &OpenId,
    ) -> Result<bool, Error> {
        Ok(self.accounts.unlink(app_id, openid).await?)
    }
}
