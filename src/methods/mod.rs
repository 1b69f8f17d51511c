//! The login methods, one folder each: its struct and logic, its HTTP operations, its WeChat
//! calls that no other method makes. A method reaches the core (`login`) through `Saoma`'s
//! `pub(crate)` methods and is called by it through `LoginMethod`; the core never imports
//! this module. [`register`] is the one table of them.

pub(crate) mod in_wechat;
pub(crate) mod mobile_app;
pub(crate) mod official_account;
pub(crate) mod website;

use crate::config::{Config, OfficialAccountSettings};
use crate::login::Methods;

/// What a method is built from.
pub(crate) struct Setup<'a> {
    pub config: &'a Config,
    pub public_url: &'a url::Url,
    /// `[official_account]`, resolved (its secret read).
    pub official_account: Option<&'a OfficialAccountSettings>,
}

/// The table: one line per method, registered when configured (or played by the sandbox).
pub(crate) fn register(setup: &Setup<'_>, methods: &mut Methods) -> anyhow::Result<()> {
    methods.register_some(website::Website::from_config(
        setup.config,
        setup.public_url,
    )?);
    methods.register_some(in_wechat::InWechat::from_config(
        setup.config,
        setup.official_account,
        setup.public_url,
    )?);
    methods.register_some(mobile_app::MobileApp::from_config(setup.config));
    methods.register_some(
        setup
            .official_account
            .cloned()
            .map(|oa| {
                official_account::OfficialAccount::from_settings(oa, setup.config.accounts.unfollow)
            })
            .transpose()?,
    );
    Ok(())
}
