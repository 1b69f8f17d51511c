//! The callback's XML: a flat `<xml>` of elements holding text or CDATA. Read with quick-xml,
//! which never expands entities it was not told about; any DOCTYPE is refused outright so that
//! no DTD (internal subset, external entity, "billion laughs") is ever looked at.

use super::PushCodecError;
use quick_xml::Reader;
use quick_xml::events::Event;
use std::collections::BTreeMap;

/// The largest push Saoma reads: real events are well under 4 KiB, and a long text message
/// encrypted and base64-encoded stays under 12 KiB.
pub const MAX_XML_BYTES: usize = 16 * 1024;
/// More direct children than any WeChat event has.
const MAX_FIELDS: usize = 64;

/// The direct children of `<xml>`: element name -> its text (CDATA and text concatenated);
/// their own children as `parent.child` (the first of a name: `wxa_media_check`'s
/// `result.suggest`). Deeper elements are skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields(BTreeMap<String, String>);

impl Fields {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn invalid(e: impl std::fmt::Display) -> PushCodecError {
    PushCodecError::InvalidXml(e.to_string())
}

/// Parse a push (or a decrypted event) of at most `MAX_XML_BYTES`.
pub fn parse(body: &[u8]) -> Result<Fields, PushCodecError> {
    if body.len() > MAX_XML_BYTES {
        return Err(PushCodecError::TooLarge(MAX_XML_BYTES));
    }
    let text = std::str::from_utf8(body).map_err(|_| invalid("not UTF-8"))?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut fields = BTreeMap::new();
    // Depth 0: before the root; 1: inside <xml>; 2: inside a field; deeper: skipped.
    let mut depth = 0usize;
    let mut seen_root = false;
    let mut current: Option<(String, String)> = None;
    let mut nested: Option<(String, String)> = None;
    // Whether the current field holds elements: then only they are recorded (`detail` repeats).
    let mut container = false;
    loop {
        match reader.read_event().map_err(invalid)? {
            Event::DocType(_) => return Err(PushCodecError::DocType),
            Event::Start(start) => {
                depth += 1;
                match depth {
                    1 if !seen_root && start.name().as_ref() == b"xml" => seen_root = true,
                    1 => return Err(invalid("the root element must be a single <xml>")),
                    2 => {
                        let name = std::str::from_utf8(start.name().as_ref())
                            .map_err(invalid)?
                            .to_owned();
                        current = Some((name, String::new()));
                        container = false;
                    }
                    3 => {
                        container = true;
                        let parent = current.as_ref().map(|(p, _)| p.as_str()).unwrap_or("");
                        let name = start.name();
                        let name = std::str::from_utf8(name.as_ref()).map_err(invalid)?;
                        nested = Some((format!("{parent}.{name}"), String::new()));
                    }
                    _ => {}
                }
            }
            Event::Empty(empty) => match depth {
                0 => return Err(invalid("the root element must be <xml>")),
                1 => {
                    let name = std::str::from_utf8(empty.name().as_ref())
                        .map_err(invalid)?
                        .to_owned();
                    insert(&mut fields, name, String::new())?;
                }
                _ => {}
            },
            Event::End(_) => {
                if depth == 2
                    && let Some((name, value)) = current.take()
                    && !container
                {
                    insert(&mut fields, name, value)?;
                }
                if depth == 3
                    && let Some((name, value)) = nested.take()
                    && fields.len() < MAX_FIELDS
                {
                    fields.entry(name).or_insert(value);
                }
                depth = depth.saturating_sub(1);
            }
            Event::Text(text) => {
                let value = text.unescape().map_err(invalid)?;
                if let (Some((_, buffer)), 3) = (&mut nested, depth) {
                    buffer.push_str(&value);
                }
                match (&mut current, depth) {
                    (Some((_, buffer)), 2) => buffer.push_str(&value),
                    (_, 0 | 1) if !value.trim().is_empty() => {
                        return Err(invalid("text outside the fields"));
                    }
                    _ => {}
                }
            }
            Event::CData(cdata) => {
                let raw = cdata.into_inner();
                let value = std::str::from_utf8(&raw).map_err(invalid)?;
                if let (Some((_, buffer)), 3) = (&mut nested, depth) {
                    buffer.push_str(value);
                }
                match (&mut current, depth) {
                    (Some((_, buffer)), 2) => buffer.push_str(value),
                    (_, 0 | 1) => return Err(invalid("CDATA outside the fields")),
                    _ => {}
                }
            }
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !seen_root || depth != 0 {
        return Err(invalid("no complete <xml> element"));
    }
    Ok(Fields(fields))
}

fn insert(
    fields: &mut BTreeMap<String, String>,
    name: String,
    value: String,
) -> Result<(), PushCodecError> {
    if fields.len() >= MAX_FIELDS {
        return Err(invalid("too many fields"));
    }
    if fields.insert(name, value).is_some() {
        // Two different values for one field: which one a reader takes is up to it. Refuse.
        return Err(invalid("a field appears twice"));
    }
    Ok(())
}

/// `<![CDATA[...]]>`, splitting any `]]>` in the value so that it cannot close the section.
fn cdata(value: &str) -> String {
    format!("<![CDATA[{}]]>", value.replace("]]>", "]]]]><![CDATA[>"))
}

/// A passive text reply to the user `to` (their openid) from the account `from` (`gh_...`).
pub fn text_reply(to: &str, from: &str, create_time: i64, content: &str) -> String {
    format!(
        "<xml><ToUserName>{}</ToUserName><FromUserName>{}</FromUserName>\
         <CreateTime>{create_time}</CreateTime><MsgType>{}</MsgType><Content>{}</Content></xml>",
        cdata(to),
        cdata(from),
        cdata("text"),
        cdata(content),
    )
}

/// The envelope of an encrypted reply.
pub fn encrypted_reply(encrypt: &str, msg_signature: &str, timestamp: &str, nonce: &str) -> String {
    format!(
        "<xml><Encrypt>{}</Encrypt><MsgSignature>{}</MsgSignature>\
         <TimeStamp>{}</TimeStamp><Nonce>{}</Nonce></xml>",
        cdata(encrypt),
        cdata(msg_signature),
        timestamp_digits(timestamp),
        cdata(nonce),
    )
}

/// Timestamps are written bare (as WeChat does); anything but digits is dropped.
fn timestamp_digits(timestamp: &str) -> String {
    timestamp.chars().filter(char::is_ascii_digit).collect()
}
