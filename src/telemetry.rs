//! Logging to stderr (stdout is for what the user asked for): text or JSON lines, filtered by
//! `RUST_LOG` or the config.

use tracing_subscriber::EnvFilter;

pub fn init(format: &str, filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
