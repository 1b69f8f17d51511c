//! `POST /admin/v1/accounts`: provision an account ahead of its first login, by phone number
//! and/or unionid (`docs/admin.md`, "Provisioning").

use super::admin::{AdminAuth, ApiTags, admin_call};
use crate::edge::error::{ApiError, ErrorCode, body as body_error};
use crate::edge::op_error::{OpError, errors};
use crate::ids::UnionId;
use crate::login::{AdminAccount, Saoma};
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use std::sync::Arc;

/// Who the account is for: a phone number, a unionid, or both.
#[derive(Object, Debug, Default)]
#[oai(example)]
pub struct ProvisionRequest {
    /// `+<country code><number>`, or an 11-digit mainland China mobile number. Whoever binds
    /// it (SMS code, or WeChat's getPhoneNumber) joins this account.
    #[oai(validator(max_length = 32))]
    pub phone: Option<String>,
    /// The person's WeChat unionid: their first login by any app of the same WeChat Open
    /// Platform account logs into this account (with `accounts.link_by_unionid`, the default).
    #[oai(validator(pattern = r"^[!-~]{1,128}$"))]
    pub unionid: Option<String>,
}

impl poem_openapi::types::Example for ProvisionRequest {
    fn example() -> Self {
        ProvisionRequest {
            phone: Some("+8613800138000".into()),
            unionid: Some("o6_bmasdasdsad6_2sgVt7hMZOPfL".into()),
        }
    }
}

#[derive(ApiResponse)]
pub enum Provisioned {
    /// Created: the account, without identities until its first login.
    #[oai(status = 201)]
    Created(Json<AdminAccount>),
}

errors!(
    /// `adminCreateAccount`'s errors.
    CreateErrors = "adminCreateAccount", json: true,
    [Unauthenticated, InsufficientScope, InvalidPhone, PhoneOrUnionidRequired, AccountExists,
     DatabaseUnavailable]
);

#[derive(Default)]
pub struct AdminProvisionApi;

#[OpenApi(prefix_path = "/admin/v1", tag = "ApiTags::Admin")]
impl AdminProvisionApi {
    /// Provision an account ahead of its first login, by phone number and/or unionid
    ///
    /// The first login with that unionid, or the binding of that phone number, joins this
    /// account instead of creating one; under `accounts.sign_up = "provisioned_only"` a
    /// provisioned unionid may log in. Recorded as `account.created` (`provisioned: true`).
    #[oai(
        path = "/accounts",
        method = "post",
        operation_id = "adminCreateAccount"
    )]
    async fn create(
        &self,
        saoma: Data<&Arc<Saoma>>,
        auth: AdminAuth,
        body: Json<ProvisionRequest>,
    ) -> Result<Provisioned, OpError<CreateErrors>> {
        // The schema's pattern is the id's own rule: this refusal is the schema's, restated.
        let unionid = body
            .0
            .unionid
            .map(UnionId::parse)
            .transpose()
            .map_err(|e| ApiError::BadRequest(body_error(ErrorCode::InvalidBody, e.to_string())))?;
        admin_call(
            &saoma,
            &auth,
            ("POST", "/admin/v1/accounts", 201),
            async |actor| {
                let account = saoma
                    .provision_account(body.0.phone.as_deref(), unionid, actor)
                    .await?;
                Ok(Provisioned::Created(Json(account)))
            },
        )
        .await
    }
}
