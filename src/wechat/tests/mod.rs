//! The client against a fake WeChat on port 0.

mod calls;
mod fake;
mod secrets;
mod token;
