//! The scene: the whole login as a browser and a phone live it, bad input on the scene API, no login lost, the code pool, shutdown.
pub mod bad_input;
pub mod code_pool;
pub mod flow;
pub mod no_login_lost;
pub mod shutdown;
pub mod validation;
