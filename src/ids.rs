//! Identifier newtypes shared across layers. Constructors reject bad input.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(value: impl Into<String>) -> Result<Self, IdError> {
                let value = value.into();
                if value.is_empty() || value.len() > $max || !value.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(IdError(stringify!($name)));
                }
                Ok(Self(value))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, IdError> {
                Self::parse(value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

id_type!(
    /// A WeChat app id (`wx...`), of a mini-program, official account or website app.
    AppId,
    64
);
id_type!(
    /// A user's id within one app.
    OpenId,
    128
);
id_type!(
    /// A user's id across the apps bound to one open-platform account.
    UnionId,
    128
);

/// An identifier failed validation; the payload names its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid {0}")]
pub struct IdError(pub &'static str);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_reject_empty_long_and_non_graphic() {
        assert!(AppId::parse("wx1234").is_ok());
        assert!(AppId::parse("").is_err());
        assert!(AppId::parse("wx 12").is_err());
        assert!(AppId::parse("x".repeat(65)).is_err());
        assert!(OpenId::parse("o9AgO5Kd5ggOC-bXrbNODIiE3bGY").is_ok());
    }
}
