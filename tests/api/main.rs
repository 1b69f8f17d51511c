//! One integration-test binary: the app on port 0, the embedded sandbox as WeChat.
mod accounts;
mod cli;
mod contract;
mod flow;
mod helpers;
mod phone_sms;
mod scenes;
mod wechat_faults;
