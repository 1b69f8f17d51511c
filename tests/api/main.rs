//! One integration-test binary: the app on port 0, the embedded sandbox as WeChat.
mod cli;
mod clients;
mod contract;
mod flow;
mod helpers;
mod scenes;
mod wechat_faults;
