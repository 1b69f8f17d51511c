//! Each login method against the sandbox as WeChat: the official account, the website QR, inside WeChat, the native app, and WeChat on a bad day.
pub mod in_wechat;
pub mod mobile_app;
pub mod multi_platform;
pub mod oa_refusals;
pub mod oa_retry;
pub mod official_account;
pub mod website;
pub mod website_errors;
pub mod wechat_faults;
