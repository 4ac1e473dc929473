//! JavaScript strings, which are sequences of UTF-16 code units and may hold
//! lone surrogates that UTF-8 cannot represent.

use std::fmt;

/// A JavaScript string.
///
/// Well-formed strings are kept as UTF-8; only strings with lone surrogates
/// are kept as raw UTF-16 code units. Constructors keep this canonical, so
/// two equal JavaScript strings always compare equal here.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JsString(Repr);

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Repr {
    Utf8(String),
    Utf16(Vec<u16>),
}

impl JsString {
    /// Builds a string from UTF-16 code units (any sequence is valid).
    pub fn from_utf16(units: Vec<u16>) -> Self {
        match String::from_utf16(&units) {
            Ok(s) => JsString(Repr::Utf8(s)),
            Err(_) => JsString(Repr::Utf16(units)),
        }
    }

    /// The string as UTF-8, or `None` when it holds a lone surrogate.
    pub fn as_str(&self) -> Option<&str> {
        match &self.0 {
            Repr::Utf8(s) => Some(s),
            Repr::Utf16(_) => None,
        }
    }

    /// The raw UTF-16 code units when the string holds a lone surrogate.
    pub fn as_ill_formed_utf16(&self) -> Option<&[u16]> {
        match &self.0 {
            Repr::Utf8(_) => None,
            Repr::Utf16(u) => Some(u),
        }
    }

    /// The string as UTF-16 code units.
    pub fn to_utf16(&self) -> Vec<u16> {
        match &self.0 {
            Repr::Utf8(s) => s.encode_utf16().collect(),
            Repr::Utf16(u) => u.clone(),
        }
    }

    /// The string with lone surrogates replaced by U+FFFD (for display only).
    pub fn to_string_lossy(&self) -> String {
        match &self.0 {
            Repr::Utf8(s) => s.clone(),
            Repr::Utf16(u) => String::from_utf16_lossy(u),
        }
    }
}

impl From<&str> for JsString {
    fn from(s: &str) -> Self {
        JsString(Repr::Utf8(s.to_owned()))
    }
}

impl From<String> for JsString {
    fn from(s: String) -> Self {
        JsString(Repr::Utf8(s))
    }
}

impl fmt::Debug for JsString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Utf8(s) => fmt::Debug::fmt(s, f),
            Repr::Utf16(u) => write!(f, "utf16{u:04x?}"),
        }
    }
}

impl fmt::Display for JsString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_lossy())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_utf16_becomes_utf8() {
        let s = JsString::from_utf16("héllo 😀".encode_utf16().collect());
        assert_eq!(s.as_str(), Some("héllo 😀"));
        assert_eq!(s, JsString::from("héllo 😀"));
    }

    #[test]
    fn lone_surrogate_survives() {
        let units = vec![0x61, 0xD800, 0x62];
        let s = JsString::from_utf16(units.clone());
        assert_eq!(s.as_str(), None);
        assert_eq!(s.to_utf16(), units);
        assert_eq!(s.to_string_lossy(), "a\u{FFFD}b");
    }
}
