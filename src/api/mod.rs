//! The HTTP contract (poem-openapi): thin operations that parse, call the login core
//! (`Saoma`), and answer its errors through the edge kit (`crate::edge`).

mod account;
mod admin;
mod admin_accounts_create;
mod admin_examples;
mod admin_webhooks;
mod admin_webhooks_examples;
pub(crate) mod callback_error;
mod created;
pub(crate) mod examples;
mod health;
pub(crate) mod links;
mod middleware;
pub(crate) mod pages;
mod poll_auth;
mod profile;
mod providers;
mod scene_id;
mod scenes;
mod sms_verification;
mod sse;

pub use account::AccountApi;
pub(crate) use account::BearerAuth;
pub use admin::AdminApi;
pub use admin_accounts_create::AdminProvisionApi;
pub use admin_webhooks::AdminWebhooksApi;
pub use health::HealthApi;
pub use middleware::{access_log, body_limit, header_limit};
pub use profile::ProfileApi;
pub use providers::ProvidersApi;
pub use scene_id::{SCENE_PATTERN, SceneId};
pub use scenes::ScenesApi;
pub use sms_verification::PhoneApi;
pub(crate) use sms_verification::{BindPhoneRequest, SendCodeRequest};
