//! One integration-test binary: the app on port 0, the embedded sandbox as WeChat.
mod contract;
mod flow;
mod helpers;
mod oa_helpers;
mod oa_refusals;
mod official_account;
mod scenes;
mod wechat_faults;
