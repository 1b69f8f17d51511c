//! The flat `<xml>` WeChat exchanges with a callback, as the sandbox reads it (Saoma's replies;
//! the pushes in tests): the root's direct children, each element's text and CDATA joined.
//! Nested elements are skipped; a DOCTYPE is refused, so no entity is ever declared.

use quick_xml::Reader;
use quick_xml::events::Event;
use std::collections::BTreeMap;

/// The root's direct children: element name -> text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields(BTreeMap<String, String>);

impl Fields {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// Read a flat `<xml>` document.
pub fn parse(body: &[u8]) -> Result<Fields, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the XML is not UTF-8".to_string())?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut fields = BTreeMap::new();
    let mut depth = 0usize;
    let mut field: Option<(String, String)> = None;
    loop {
        match reader
            .read_event()
            .map_err(|e| format!("malformed XML: {e}"))?
        {
            Event::DocType(_) => return Err("a DOCTYPE is not allowed".into()),
            Event::Start(start) => {
                depth += 1;
                if depth == 2 {
                    let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                    field = Some((name, String::new()));
                }
            }
            Event::Empty(empty) if depth == 1 => {
                let name = String::from_utf8_lossy(empty.name().as_ref()).into_owned();
                fields.insert(name, String::new());
            }
            Event::Text(t) if depth == 2 => {
                let text = t.unescape().map_err(|e| format!("malformed XML: {e}"))?;
                if let Some((_, value)) = field.as_mut() {
                    value.push_str(&text);
                }
            }
            Event::CData(c) if depth == 2 => {
                if let Some((_, value)) = field.as_mut() {
                    value.push_str(&String::from_utf8_lossy(&c.into_inner()));
                }
            }
            Event::End(_) => {
                if depth == 2
                    && let Some((name, value)) = field.take()
                {
                    fields.insert(name, value);
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if depth != 0 {
        return Err("the XML ends inside an element".into());
    }
    Ok(Fields(fields))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn fields_are_read_from_cdata_and_text_and_nested_elements_skipped() {
        let xml = b"<xml><ToUserName><![CDATA[gh_1]]></ToUserName><CreateTime>12</CreateTime>\
            <Content><![CDATA[a]]]]><![CDATA[>b]]></Content><Deep><X>1</X></Deep></xml>";
        let fields = parse(xml).unwrap();
        assert_eq!(fields.get("ToUserName"), Some("gh_1"));
        assert_eq!(fields.get("CreateTime"), Some("12"));
        assert_eq!(fields.get("Content"), Some("a]]>b"));
        assert_eq!(fields.get("X"), None);
    }

    #[test]
    fn a_doctype_and_malformed_xml_are_refused() {
        assert!(parse(b"<!DOCTYPE x [<!ENTITY a \"b\">]><xml><A>&a;</A></xml>").is_err());
        assert!(parse(b"<xml><A>1</B></xml>").is_err());
        assert!(parse(b"<xml><A>1</A>").is_err());
    }
}
