//! People: one account per person, phone numbers (WeChat and SMS), the sign-up policy, the management API, webhooks.
pub mod admin;
pub mod admin_instances;
pub mod admin_persons;
pub mod admin_provision;
pub mod admin_webhooks;
pub mod linking;
pub mod phone_sms;
pub mod phone_sms_caps;
pub mod phone_wechat;
pub mod sign_up;
pub mod webhooks;
pub mod webhooks_durability;
