//! Saoma (扫码): a WeChat scan-to-login server.
//!
//! The arrows point one way: `methods` (the login methods) -> (`api`, `oidc`) -> `edge` ->
//! `login` -> (`scene`, `store`, `accounts`, `tokens`, `wechat`); `login` calls a method
//! through its `LoginMethod` table, never by importing `methods`. `scene` depends on nothing; the sandbox (a fake WeChat, the `saoma-sandbox`
//! crate) is mounted by `app` and depends on nothing of Saoma.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::await_holding_lock)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod accounts;
mod api;
pub mod app;
pub mod config;
mod edge;
mod html;
pub mod ids;
mod limits;
mod login;
mod methods;
mod metrics;
mod oidc;
pub mod scene;
pub mod secret;
pub mod shutdown;
mod sms;
pub mod store;
pub mod telemetry;
pub mod tokens;
mod web;
mod webhooks;
pub mod wechat;

/// The pattern every scene id matches (in the OpenAPI document and in the code).
pub use api::SCENE_PATTERN;
/// The demo page's Content-Security-Policy, before the frame it may show.
pub use web::PAGE_CSP;
