//! Provisioning an account ahead of its first login (`POST /admin/v1/accounts`).

use super::admin::admin_view;
use super::{AdminAccount, Error, Saoma};
use crate::accounts::Phone;
use crate::accounts::events::Actor;
use crate::ids::UnionId;

impl Saoma {
    /// A new account holding `phone` and/or `unionid`: `PhoneOrUnionidRequired` without
    /// either, `InvalidPhone`, `AccountExists` when an account holds either (nothing is
    /// created).
    pub async fn provision_account(
        &self,
        phone: Option<&str>,
        unionid: Option<UnionId>,
        actor: &Actor,
    ) -> Result<AdminAccount, Error> {
        let phone = phone
            .map(|p| Phone::parse(p).map_err(|_| Error::InvalidPhone))
            .transpose()?;
        if phone.is_none() && unionid.is_none() {
            return Err(Error::PhoneOrUnionidRequired);
        }
        let account = self
            .parts
            .lifecycle
            .provision(phone.as_ref(), unionid.as_ref(), actor)
            .await?;
        tracing::info!(account = %account.id, "account provisioned");
        Ok(admin_view(&account))
    }
}
