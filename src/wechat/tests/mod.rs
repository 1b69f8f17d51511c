//! The client against a fake WeChat on port 0.

mod calls;
mod fake;
mod oauth;
mod secrets;
mod token;
