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

/// `error` and every cause under it, `top: cause: root`, for a log line (`error = %chain(&e)`):
/// errors keep their source, and the log shows all of it.
pub fn chain<E: std::error::Error + ?Sized>(error: &E) -> Chain<'_, E> {
    Chain(error)
}

pub struct Chain<'a, E: ?Sized>(&'a E);

impl<E: std::error::Error + ?Sized> std::fmt::Display for Chain<'_, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(e) = cause {
            write!(f, ": {e}")?;
            cause = e.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_chain_shows_every_cause() {
        let io = std::io::Error::other("disk full");
        let store = crate::accounts::AccountError::Inconsistent("x".into());
        assert_eq!(super::chain(&store).to_string(), "the account store x");
        #[derive(Debug, thiserror::Error)]
        #[error("writing failed")]
        struct Outer(#[source] std::io::Error);
        assert_eq!(
            super::chain(&Outer(io)).to_string(),
            "writing failed: disk full"
        );
    }
}
