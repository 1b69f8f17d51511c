//! The client against a fake WeChat on port 0.

mod access_token;
mod calls;
mod fake;
mod oauth;
mod secrets;
