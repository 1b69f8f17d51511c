//! The claims scopes grant (the id_token's, userinfo's), every claim Saoma can assert
//! (discovery's `claims_supported`), and the account behind them.

use super::error::OAuthError;
use super::server::Oidc;
use crate::accounts::Account;
use crate::scene::Provider;
use poem_openapi::Object;

/// Every claim Saoma can assert (discovery's `claims_supported`).
pub const CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "amr",
    "at_hash",
    "azp",
    "sid",
    "name",
    "picture",
    "phone_number",
    "phone_number_verified",
    "wechat_identities",
];

/// What the access token's scopes grant. `profile`: `name` (the nickname the person filled in,
/// else the WeChat nickname, when WeChat gave one) and `picture`; `phone`: `phone_number` (E.164) and `phone_number_verified`
/// (always true: Saoma binds only verified numbers); `wechat`: `wechat_identities`.
#[derive(Object, Debug, Clone)]
#[oai(example, skip_serializing_if_is_none)]
pub struct UserInfo {
    /// The account id (the id_token's `sub`).
    pub sub: String,
    /// `profile`: the nickname the person filled in (WeChat's content check passed it), else
    /// the WeChat nickname, when WeChat gave one.
    pub name: Option<String>,
    /// `profile`: URL of the avatar: the one the person filled in once WeChat's content check
    /// accepted it, else WeChat's.
    pub picture: Option<String>,
    /// `phone`: the bound phone number, E.164.
    pub phone_number: Option<String>,
    /// `phone`: always `true` with a `phone_number` (Saoma binds only verified numbers).
    pub phone_number_verified: Option<bool>,
    /// `wechat`: one per WeChat app the person logged in with.
    pub wechat_identities: Option<Vec<WeChatIdentity>>,
}

/// A WeChat identity: the openid is per app; the unionid (when WeChat gives one) is the same
/// across the apps of one WeChat Open Platform account.
#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none)]
pub struct WeChatIdentity {
    /// The WeChat login the identity came from.
    pub provider: Provider,
    /// The WeChat app (AppID) the openid belongs to.
    pub app_id: String,
    /// The person's id in that app.
    pub openid: String,
    /// The person's id across the apps of one WeChat Open Platform account, when WeChat
    /// gives one.
    pub unionid: Option<String>,
}

/// `issuer` is Saoma's public URL, where filled-in avatars are served.
pub fn scope_claims(account: &Account, scopes: &[&str], issuer: &str) -> UserInfo {
    let profile = scopes.contains(&"profile");
    let phone = scopes.contains(&"phone");
    let phone_number = account.phone.clone().filter(|_| phone);
    UserInfo {
        sub: account.id.clone(),
        name: profile
            .then(|| {
                account.profile.nickname.clone().or_else(|| {
                    account
                        .identities
                        .iter()
                        .rev()
                        .find_map(|i| i.nickname.clone())
                })
            })
            .flatten(),
        picture: profile
            .then(|| {
                let filled_in = account.profile.shown_avatar.as_deref();
                filled_in
                    .map(|id| format!("{issuer}{}", crate::login::avatar_path(id)))
                    .or_else(|| {
                        account
                            .identities
                            .iter()
                            .rev()
                            .find_map(|i| i.avatar.clone())
                    })
            })
            .flatten(),
        phone_number_verified: phone_number.as_ref().map(|_| true),
        phone_number,
        wechat_identities: scopes.contains(&"wechat").then(|| {
            account
                .identities
                .iter()
                .map(|i| WeChatIdentity {
                    provider: i.provider,
                    app_id: i.app_id.to_string(),
                    openid: i.openid.to_string(),
                    unionid: i.unionid.as_ref().map(ToString::to_string),
                })
                .collect()
        }),
    }
}

impl Oidc {
    /// The account, or an OAuth error a client can act on.
    pub(super) async fn account(&self, account_id: &str) -> Result<Account, OAuthError> {
        self.saoma
            .account(account_id)
            .await
            .map_err(OAuthError::domain)?
            .ok_or_else(|| OAuthError::invalid_grant("the account no longer exists"))
    }
}
