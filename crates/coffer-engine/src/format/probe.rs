//! The version probe of a JSON document (FORMAT.md §7.1 6a-6d, §2.2 steps
//! 2-4): reads two top-level members of a JSON object before its schema is
//! parsed, so that a document of another version is reported as such.
//!
//! The probe parses the whole text as RFC 8259 JSON (UTF-8, any nesting) and
//! keeps only the two members it looks for. A probed member that appears
//! more than once fails the probe. Other members are skipped unread: a
//! `\u` escape of a lone surrogate is grammatical JSON, so it fails the
//! schema (§7.1 6e), not the probe, even in a member name.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

/// The two probed members' values, in the order asked for.
pub(crate) type Probed = [Option<serde_json::Value>; 2];

/// Probes `bytes` for the top-level members `names`; the error says why the
/// text is not a JSON object holding each of them at most once.
pub(crate) fn probe(bytes: &[u8], names: [&'static str; 2]) -> Result<Probed, String> {
    std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let found = de
        .deserialize_map(ProbeVisitor { names })
        .map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(found)
}

struct ProbeVisitor {
    names: [&'static str; 2],
}

/// A member name as raw bytes: never rejected for what its escapes denote.
struct RawName(Vec<u8>);

impl<'de> de::Deserialize<'de> for RawName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<RawName, E> {
                Ok(RawName(v.to_vec()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawName, E> {
                Ok(RawName(v.as_bytes().to_vec()))
            }
        }
        d.deserialize_bytes(V)
    }
}

impl<'de> Visitor<'de> for ProbeVisitor {
    type Value = Probed;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Probed, A::Error> {
        let mut found: Probed = [None, None];
        while let Some(RawName(name)) = map.next_key()? {
            match self.names.iter().position(|n| n.as_bytes() == name) {
                Some(i) => {
                    if found[i].is_some() {
                        return Err(de::Error::custom(format!(
                            "the member {:?} appears more than once",
                            self.names[i]
                        )));
                    }
                    found[i] = Some(map.next_value()?);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 2] = ["format", "format_version"];

    #[test]
    fn finds_members_and_rejects_repeats() {
        let [f, v] = probe(br#"{"x": [1], "format": "a", "format_version": 2}"#, NAMES).unwrap();
        assert_eq!(f.unwrap(), "a");
        assert_eq!(v.unwrap(), 2);
        assert!(probe(br#"{"format_version": 2, "format_version": 2}"#, NAMES).is_err());
        assert!(probe(br#"[1]"#, NAMES).is_err());
        assert!(probe(br#"{"format": 1} x"#, NAMES).is_err());
    }

    #[test]
    fn lone_surrogates_are_left_to_the_schema() {
        let text = br#"{"format_version": 2, "\udc00": "\ud800x", "v": {"\ud800": 1}}"#;
        let [_, v] = probe(text, NAMES).unwrap();
        assert_eq!(v.unwrap(), 2);
        // Deep nesting in a skipped member is read without a depth limit.
        let deep = format!(
            r#"{{"x": {}1{}, "format_version": 2}}"#,
            "[".repeat(5000),
            "]".repeat(5000)
        );
        assert!(probe(deep.as_bytes(), NAMES).is_ok());
    }
}
