//! One integration-test binary: the app on port 0, the embedded sandbox as WeChat.
mod cli;
mod clients;
mod contract;
mod flow;
mod helpers;
mod oa_helpers;
mod oa_refusals;
mod official_account;
mod scenes;
mod website;
mod website_errors;
mod wechat_faults;
