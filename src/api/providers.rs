//! `/api/v1/providers`: which logins this server offers, for the page's tabs.

use crate::edge::op_error::{OpError, errors};
use crate::login::Saoma;
use crate::scene::Provider;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};
use std::sync::Arc;

#[derive(Tags)]
enum ApiTags {
    /// Which logins this server offers.
    Providers,
}

/// The providers a page may create scenes for.
#[derive(Object, Debug)]
#[oai(example)]
pub struct ProvidersResponse {
    /// Configured providers, or the ones the sandbox plays, in the order to show them.
    pub providers: Vec<Provider>,
    /// True when the embedded sandbox plays WeChat: codes open the phone simulator
    /// (`/sandbox/phone?scene=`).
    pub sandbox: bool,
    /// True when a page opened inside WeChat's browser may log in without a code (scene
    /// provider `in_wechat`: the official account's web authorization).
    pub in_wechat: bool,
}

errors!(
    /// `listProviders`' errors.
    ProvidersErrors = "listProviders", json: false, []
);

#[derive(Default)]
pub struct ProvidersApi;

#[OpenApi(tag = "ApiTags::Providers")]
impl ProvidersApi {
    /// The login providers this server offers
    #[oai(
        path = "/api/v1/providers",
        method = "get",
        operation_id = "listProviders"
    )]
    async fn providers(
        &self,
        saoma: Data<&Arc<Saoma>>,
    ) -> Result<Json<ProvidersResponse>, OpError<ProvidersErrors>> {
        Ok(Json(ProvidersResponse {
            providers: saoma.providers(),
            sandbox: saoma.settings().sandbox,
            in_wechat: saoma.offers(Provider::InWechat),
        }))
    }
}
