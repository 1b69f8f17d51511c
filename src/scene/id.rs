use base64::Engine;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A scene id: 8..=32 characters of WeChat's scene charset (`0-9 A-Z a-z` and
/// `` !#$&'()*+,/:;=?@-._~ ``). The browser may choose it; otherwise Saoma generates 22
/// characters (132 random bits) from the URL-safe alphabet.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Scene(String);

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 32;
const PUNCTUATION: &[u8] = b"!#$&'()*+,/:;=?@-._~";

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SceneError {
    #[error("scene must be {MIN_LEN} to {MAX_LEN} characters long, got {0}")]
    Length(usize),
    #[error(
        "scene contains {0:?}, outside WeChat's scene charset (0-9 A-Z a-z !#$&'()*+,/:;=?@-._~)"
    )]
    Charset(char),
}

impl Scene {
    pub fn parse(value: impl Into<String>) -> Result<Self, SceneError> {
        let value = value.into();
        if let Some(bad) = value.chars().find(|&c| !is_scene_char(c)) {
            return Err(SceneError::Charset(bad));
        }
        let len = value.len();
        if !(MIN_LEN..=MAX_LEN).contains(&len) {
            return Err(SceneError::Length(len));
        }
        Ok(Self(value))
    }

    /// A fresh scene from the operating system's random generator.
    pub fn generate() -> Self {
        let bytes: [u8; 16] = rand::random();
        let mut s = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        s.truncate(22);
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_scene_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || (c.is_ascii() && PUNCTUATION.contains(&(c as u8)))
}

impl TryFrom<String> for Scene {
    type Error = SceneError;
    fn try_from(value: String) -> Result<Self, SceneError> {
        Self::parse(value)
    }
}

impl From<Scene> for String {
    fn from(value: Scene) -> String {
        value.0
    }
}

impl fmt::Display for Scene {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Scene {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scene({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_character_of_the_charset() {
        assert!(Scene::parse("abcXYZ09").is_ok());
        assert!(Scene::parse("!#$&'()*+,/:;=?@-._~").is_ok());
        assert!(Scene::parse("a".repeat(32)).is_ok());
    }

    #[test]
    fn refuses_bad_length() {
        assert_eq!(Scene::parse("abcdefg"), Err(SceneError::Length(7)));
        assert_eq!(Scene::parse("a".repeat(33)), Err(SceneError::Length(33)));
        assert_eq!(Scene::parse(""), Err(SceneError::Length(0)));
    }

    #[test]
    fn refuses_characters_outside_the_charset() {
        for bad in [
            "abcdefg%",
            "abcd efg",
            "abcdefg\"",
            "abcdefg<",
            "扫码扫码扫码扫码",
            "abcdefg\n",
        ] {
            assert!(
                matches!(Scene::parse(bad), Err(SceneError::Charset(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn generated_scenes_are_valid_and_distinct() {
        let a = Scene::generate();
        let b = Scene::generate();
        assert_eq!(a.as_str().len(), 22);
        assert!(Scene::parse(a.as_str()).is_ok());
        assert_ne!(a, b);
    }
}
