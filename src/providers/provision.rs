//! Provisioning an account ahead of its first login (`POST /admin/v1/accounts`).

use super::admin::admin_view;
use super::{AdminAccount, Error, Saoma};
use crate::accounts::Phone;
use crate::accounts::events::Actor;
use crate::ids::UnionId;

impl Saoma {
    /// A new account holding `phone` and/or `unionid`: `PhoneOrUnionidRequired` without
    /// either, `InvalidPhone`, `AccountExists` when an account holds either (nothing is
    /// created). A unionid that is not one (empty, too long, not printable ASCII) is refused
    /// by the API's schema before it gets here.
    pub async fn provision_account(
        &self,
        phone: Option<&str>,
        unionid: Option<&str>,
        actor: &Actor,
    ) -> Result<AdminAccount, Error> {
        let phone = phone
            .map(|p| Phone::parse(p).map_err(|_| Error::InvalidPhone))
            .transpose()?;
        let unionid = unionid
            .map(|u| UnionId::parse(u).map_err(|_| Error::PhoneOrUnionidRequired))
            .transpose()?;
        if phone.is_none() && unionid.is_none() {
            return Err(Error::PhoneOrUnionidRequired);
        }
        let account = self
            .lifecycle
            .provision(phone.as_ref(), unionid.as_ref(), actor)
            .await?;
        tracing::info!(account = %account.id, "account provisioned");
        Ok(admin_view(&account))
    }
}
