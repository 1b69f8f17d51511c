//! One integration-test binary: the app on port 0, the embedded sandbox as WeChat.
//! Grouped by capability, one folder each; `support/` is what they share.
mod accounts;
mod cluster;
mod contract;
mod edge;
mod oidc;
#[path = "../../src/accounts/tests/pg.rs"]
mod pg;
mod providers;
mod scenes;
mod support;
