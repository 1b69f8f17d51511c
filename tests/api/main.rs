//! One integration-test binary: the app on port 0, the embedded sandbox as WeChat.
mod contract;
mod flow;
mod helpers;
mod redis_footprint;
mod redis_instances;
mod redis_outage;
mod redis_pair;
mod redis_server;
mod scenes;
mod store_contract;
mod wechat_faults;
