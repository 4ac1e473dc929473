//! IndexedDB keys.

use super::JsString;

/// An IndexedDB key: every type `IDBKeyRange` accepts.
///
/// Numbers and dates are never NaN (IndexedDB rejects them); the codec
/// enforces that on read.
#[derive(Clone, Debug, PartialEq)]
pub enum Key {
    /// A number key.
    Number(f64),
    /// A `Date` key: milliseconds since the Unix epoch.
    Date(f64),
    /// A string key.
    String(JsString),
    /// A binary key (`ArrayBuffer` or a view's bytes).
    Binary(Vec<u8>),
    /// An array key.
    Array(Vec<Key>),
}

impl From<&str> for Key {
    fn from(s: &str) -> Self {
        Key::String(s.into())
    }
}

impl From<f64> for Key {
    fn from(n: f64) -> Self {
        Key::Number(n)
    }
}

impl Key {
    /// Compares two keys the way IndexedDB does (`indexedDB.cmp`): arrays >
    /// binary > strings > dates > numbers; strings by UTF-16 code units,
    /// binary bytewise, arrays element by element.
    pub fn idb_cmp(&self, other: &Key) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        fn rank(k: &Key) -> u8 {
            match k {
                Key::Number(_) => 0,
                Key::Date(_) => 1,
                Key::String(_) => 2,
                Key::Binary(_) => 3,
                Key::Array(_) => 4,
            }
        }
        match (self, other) {
            (Key::Number(a), Key::Number(b)) | (Key::Date(a), Key::Date(b)) => {
                a.partial_cmp(b).unwrap_or(Ordering::Equal)
            }
            (Key::String(a), Key::String(b)) => match (a.as_str(), b.as_str()) {
                (Some(x), Some(y)) => x.encode_utf16().cmp(y.encode_utf16()),
                _ => a.to_utf16().cmp(&b.to_utf16()),
            },
            (Key::Binary(a), Key::Binary(b)) => a.cmp(b),
            (Key::Array(a), Key::Array(b)) => {
                for (x, y) in a.iter().zip(b) {
                    let o = x.idb_cmp(y);
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                a.len().cmp(&b.len())
            }
            (a, b) => rank(a).cmp(&rank(b)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering::*;

    #[test]
    fn idb_ordering() {
        let sorted = [
            Key::Number(f64::NEG_INFINITY),
            Key::Number(-1.0),
            Key::Number(0.0),
            Key::Number(f64::INFINITY),
            Key::Date(-5.0),
            Key::Date(3.0),
            Key::from(""),
            Key::from("a"),
            Key::from("\u{ff61}"),
            Key::from("😀"), // U+1F600 is D83D DE00 in UTF-16: below U+FF61? no: 0xD83D < 0xFF61
            Key::Binary(vec![]),
            Key::Binary(vec![0]),
            Key::Array(vec![]),
            Key::Array(vec![Key::Number(1.0)]),
            Key::Array(vec![Key::Number(1.0), Key::Number(0.0)]),
        ];
        // Fix up the expectation for UTF-16 order: "😀" (0xD83D…) sorts before "\u{ff61}".
        let mut expected = sorted.to_vec();
        expected.swap(8, 9);
        let mut shuffled = sorted.to_vec();
        shuffled.reverse();
        shuffled.sort_by(|a, b| a.idb_cmp(b));
        assert_eq!(shuffled, expected);
        assert_eq!(Key::Number(0.0).idb_cmp(&Key::Number(-0.0)), Equal);
        assert_eq!(Key::from("b").idb_cmp(&Key::from("a")), Greater);
    }
}
