//! A scene id as the API receives it: documented in OpenAPI with WeChat's scene charset and
//! lengths (`pattern`, `minLength`, `maxLength`), but parsed leniently so that `Scene::parse`
//! stays the one judge and a bad scene is answered with its own code (`invalid_scene` on
//! creation, `scene_not_found` on a read), not with poem-openapi's generic `invalid_body`.

use crate::scene::{SCENE_MAX_LEN as MAX_LEN, SCENE_MIN_LEN as MIN_LEN};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{
    ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type,
};
use serde_json::Value;
use std::borrow::Cow;

/// WeChat's scene charset (docs/wechat.md section 2), as `Scene::parse` enforces it.
pub const SCENE_PATTERN: &str = r"^[0-9A-Za-z!#$&'()*+,/:;=?@._~-]{8,32}$";

/// Anything longer is not read at all (the body cap bounds it anyway).
const READ_AT_MOST: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SceneId(pub String);

impl Type for SceneId {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string(scene)".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            min_length: Some(MIN_LEN),
            max_length: Some(MAX_LEN),
            pattern: Some(SCENE_PATTERN.to_string()),
            ..MetaSchema::new("string")
        }))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromJSON for SceneId {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(s)) if s.len() <= READ_AT_MOST => Ok(Self(s)),
            // Too long to be a scene: hand `Scene::parse` something it refuses by length.
            Some(Value::String(s)) => Ok(Self(s.chars().take(MAX_LEN + 1).collect())),
            Some(other) => Err(ParseError::expected_type(other)),
            None => Err(ParseError::expected_input()),
        }
    }
}

impl ToJSON for SceneId {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

impl ParseFromParameter for SceneId {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Ok(Self(value.chars().take(MAX_LEN + 1).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::Scene;

    #[test]
    fn the_documented_pattern_says_what_scene_parse_does() {
        for (scene, valid) in [
            ("abcd1234", true),
            ("!#$&'()*+,/:;=?@-._~", true),
            ("short", false),
            ("has space1", false),
            ("引号引号引号引号", false),
        ] {
            assert_eq!(Scene::parse(scene).is_ok(), valid, "{scene}");
            let inner = &SCENE_PATTERN[2..SCENE_PATTERN.len() - 8];
            let charset_ok = scene
                .chars()
                .all(|c| c.is_ascii() && (c.is_ascii_alphanumeric() || inner.contains(c)));
            let length_ok = (MIN_LEN..=MAX_LEN).contains(&scene.len());
            assert_eq!(charset_ok && length_ok, valid, "{scene}");
        }
    }

    #[test]
    fn a_long_string_is_cut_to_something_scene_parse_refuses() {
        let long = SceneId::parse_from_json(Some(Value::String("a".repeat(10_000)))).unwrap();
        assert!(Scene::parse(long.0).is_err());
        assert!(SceneId::parse_from_json(Some(Value::Bool(true))).is_err());
    }
}
