//! The login methods, one folder each: its struct and logic, its HTTP operations, its WeChat
//! calls that no other method makes. A method reaches the core (`login`) through `Saoma`'s
//! `pub(crate)` methods and is called by it through `LoginMethod`; the core never imports
//! this module. The `table!` at the end is the one table of them.

use crate::config::{Config, OfficialAccountSettings};
use crate::limits::Limits;
use crate::login::Methods;
use crate::metrics::Metrics;
use crate::store::RateLimiter;
use crate::wechat::WeChatClient;
use std::sync::Arc;

/// What a method is built from.
pub(crate) struct Setup<'a> {
    pub config: &'a Config,
    pub public_url: &'a url::Url,
    /// `[official_account]`, resolved (its secret read).
    pub official_account: Option<&'a OfficialAccountSettings>,
    /// What a method that calls WeChat in the background (the mini-program's code pool) needs:
    /// the client, the metrics, and the cluster's limiter with `[limits]`.
    pub wechat: &'a WeChatClient,
    pub metrics: &'a Metrics,
    pub limiter: &'a Arc<dyn RateLimiter>,
    pub limits: &'a Limits,
}

/// One line per method: its folder, its struct (registered when `from_setup` finds it
/// configured) and its HTTP operations. Makes the modules, `register` and `MethodApis`.
macro_rules! table {
    ($($method:ident :: $struct:ident, $api:ident;)*) => {
        $(pub(crate) mod $method;)*

        /// Register the methods that are configured (or played by the sandbox).
        pub(crate) fn register(setup: &Setup<'_>, methods: &mut Methods) -> anyhow::Result<()> {
            $(methods.register_some($method::$struct::from_setup(setup)?);)*
            Ok(())
        }

        /// Every method's HTTP operations: the OpenAPI service (`app/openapi.rs`) mounts them
        /// (the document does not depend on their order).
        pub(crate) type MethodApis = ($($method::$api,)*);
    };
}

table! {
    official_account::OfficialAccount, OfficialAccountApi;
    website::Website, WebsiteApi;
    in_wechat::InWechat, InWechatApi;
    mobile_app::MobileApp, MobileAppApi;
    mini_program::MiniProgram, MiniProgramApis;
}
